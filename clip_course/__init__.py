"""clip-course: OpenAI's CLIP, evaluated the way the paper does it, as reproducible software.

The public API is small and flat, like openai/CLIP's own:

- :func:`clip_course.models.load` loads a CLIP model (any openai name, a checkpoint, or the
  offline ``"miniclip"``);
- :func:`clip_course.data.load_dataset` gives a dataset as uint8 arrays plus class names;
- :func:`clip_course.encode.image_features` / :func:`~clip_course.encode.encode_texts` encode;
- :mod:`clip_course.zeroshot`, :mod:`clip_course.probe`, :mod:`clip_course.styleclip` run tasks.
"""

__version__ = "0.1.0"
