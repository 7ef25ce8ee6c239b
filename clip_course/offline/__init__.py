"""The offline world: MiniCLIP and its pretraining, the ShapesWorld generator, StyleGAN2, and
StyleCLIP latent optimisation over either.
"""
