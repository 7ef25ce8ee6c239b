"""The images StyleCLIP edits: the generator interface, the offline ShapesWorld VAE, StyleGAN2."""

__all__ = []
