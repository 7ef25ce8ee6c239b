"""The core: loading a CLIP model, preprocessing, encoding and the feature cache, prompts.
"""

__all__ = []
