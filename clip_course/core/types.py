"""Types the stages share: the loaded model as tasks read it, and the arrays they pass.

:class:`LoadedModelLike` is what every task reads of a loaded model; :class:`clip_course.core.models.LoadedModel`
satisfies it (tests check), and so does any stand-in with the same attributes. The aliases name what
an argument holds, so a signature says ``features: Features`` rather than ``Any``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeAlias, cast, runtime_checkable

import numpy as np
import numpy.typing as npt
import torch

__all__ = [
    "ClipNetwork", "DatasetLike", "FeatureInput", "FeatureMatrix", "Features", "Labels", "LoadedModelLike", "network",
    "Path", "Protocol", "torch",
]

#: (N, D) image or text features (L2-normalised where a function says so), on any device.
Features: TypeAlias = torch.Tensor
#: Features as a classifier takes them: a tensor or a NumPy array, (N, D).
FeatureMatrix: TypeAlias = torch.Tensor | np.ndarray
#: Features as a caller may pass them before validation: a tensor or anything ``np.asarray`` reads, (N, D).
FeatureInput: TypeAlias = torch.Tensor | npt.ArrayLike
#: Integer class labels, (N,): a NumPy array, a list or a tensor (anything ``np.asarray`` reads).
Labels: TypeAlias = npt.ArrayLike


class ClipNetwork(Protocol):
    """What tasks call on the network itself (openai's ``clip.model.CLIP`` and MiniCLIP have it)."""

    logit_scale: torch.Tensor

    def encode_image(self, image: torch.Tensor) -> torch.Tensor: ...

    def encode_text(self, text: torch.Tensor) -> torch.Tensor: ...


@runtime_checkable
class LoadedModelLike(Protocol):
    """A CLIP model plus the facts caches, results and reports need (read-only)."""

    @property
    def model(self) -> torch.nn.Module: ...

    @property
    def name(self) -> str: ...

    @property
    def checkpoint(self) -> Path: ...

    @property
    def checkpoint_sha256(self) -> str: ...

    @property
    def input_resolution(self) -> int: ...

    @property
    def context_length(self) -> int: ...

    @property
    def device(self) -> torch.device: ...

    @property
    def dtype(self) -> torch.dtype: ...

    @property
    def preprocess(self) -> Callable[..., torch.Tensor]: ...


def network(lm: LoadedModelLike) -> ClipNetwork:
    """``lm.model`` as the CLIP network it is: torch types a module's attributes as
    ``Tensor | Module``, so ``lm.model.encode_image`` would not type-check without this."""
    return cast(ClipNetwork, lm.model)


class DatasetLike(Protocol):
    """What core/ reads of a dataset (``clip_course.data.dataset.ImageDataset`` satisfies it; data/
    is a stage above core/, so core names this protocol rather than the class)."""

    @property
    def name(self) -> str: ...
    @property
    def split(self) -> str: ...
    @property
    def images(self) -> np.ndarray | list[np.ndarray]: ...
    @property
    def labels(self) -> np.ndarray: ...
    @property
    def classes(self) -> list[str]: ...
    @property
    def meta(self) -> dict: ...
    @property
    def fingerprint(self) -> str: ...
    def __len__(self) -> int: ...
