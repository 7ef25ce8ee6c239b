"""Every dataset by name: ``load_dataset(name, split)`` and the ``datasets`` listing.

- ``cifar10`` / ``cifar100``: read from CIFAR's python-pickle batches under ``data/`` by our
  own reader (so tests can use CIFAR-format files they write); :func:`download_cifar`
  fetches them through torchvision.
- ``shapes10`` / ``shapes100`` / ``shapes100_unseen``, the style-shifted test sets
  ``shapes10_<style>`` / ``shapes100_<style>`` (outline, sketch, photo, cartoon) and
  ``shapes_count``: the offline ShapesWorld (:mod:`clip_course.data.shapes`).
- ``stl10``, ``mnist``, ``svhn``, ``eurosat``, ``dtd``, ``flowers``, ``pets``, ``food101``, ``gtsrb``,
  ``fgvc_aircraft``, ``country211``, ``renderedsst2``, ``sun397``, ``fashion_mnist``, ``kmnist``,
  ``cars``: read from the files torchvision's classes download
  (:mod:`clip_course.data.torchvision_sets`; ``download --datasets NAME`` fetches them).
- ``folder:PATH``: one sub-folder per class, images of any size.
"""

from __future__ import annotations

from pathlib import Path

from clip_course.data import shapes
from clip_course.data import torchvision_sets as tv
from clip_course.data.cifar import _CIFAR, cifar_present, read_cifar
from clip_course.data.dataset import DATA_ROOT, ImageDataset
from clip_course.data.folders import read_image_folder
from clip_course.data.shapes import DATASET_NAMES, load_shapes_dataset
from clip_course.errors import DatasetError

__all__ = [
    "cifar_present", "dataset_names", "DatasetError", "describe_datasets", "format_datasets", "load_dataset",
    "read_image_folder", "tv",
]


def load_dataset(
    name: str,
    split: str = "test",
    root: str | Path = DATA_ROOT,
    limit: int | None = None,
    seed: int = 0,
) -> ImageDataset:
    """Load a dataset by name (see the module docstring); ``limit`` takes a seeded subset."""
    if split not in ("train", "test"):
        raise DatasetError(f"Unknown split {split!r}; use 'train' or 'test'.")
    if name in _CIFAR:
        ds = read_cifar(name, split, root)
    elif name.startswith("shapes") and name in _shapes_names():
        ds = load_shapes_dataset(name, split)
    elif tv.is_torchvision_set(name):
        ds = tv.read_torchvision_set(name, split, root)
    elif name.startswith("folder:"):
        ds = read_image_folder(name.split(":", 1)[1], split=split)
    else:
        raise DatasetError(
            f"Unknown dataset {name!r}; use one of {dataset_names()} or 'folder:PATH' "
            f"(one sub-folder of images per class)."
        )
    return ds.limit(limit, seed)


def _shapes_names() -> tuple[str, ...]:
    return DATASET_NAMES


def dataset_names() -> list[str]:
    """Names :func:`load_dataset` accepts (besides ``folder:PATH``)."""
    return [*_CIFAR, *tv.SPECS, *_shapes_names()]


#: What each dataset family is, for :func:`describe_datasets`.
_ABOUT = {
    "cifar10": "CIFAR-10 (paper profile; `download` fetches it)",
    "cifar100": "CIFAR-100 (paper profile; `download` fetches it)",
    "shapes10": "ShapesWorld shape classes, flat style (CIFAR-10-like)",
    "shapes100": "ShapesWorld colour x shape classes, flat style (CIFAR-100-like)",
    "shapes100_unseen": "the 10 held-out colour-shape pairs only, 100-way (compositional zero-shot)",
    "shapes_count": "how many copies of a shape (one..four); captions never state it",
}
_CIFAR_SIZES = {"cifar10": (50000, 10000), "cifar100": (50000, 10000)}


def describe_datasets(root: str | Path = DATA_ROOT) -> list[dict]:
    """One row per dataset name: name, description, source, classes (count and names where fixed),
    split sizes (``split_note`` says how they are made) and whether it is on disk under ``root``
    (``None``: generated on demand)."""
    rows = []
    for name in dataset_names():
        if name in tv.SPECS:
            rows.append(tv.describe(name, root))
            continue
        if name in _CIFAR:
            classes, sizes = _CIFAR[name]["classes"], _CIFAR_SIZES[name]
            about, source, on_disk = (_ABOUT[name], "CIFAR python batches (torchvision's download)",
                                      cifar_present(name, root))
        else:
            base, style = shapes.parse_name(name)
            classes, sizes = shapes.class_names(name), shapes.DEFAULT_SIZES[base]
            about = _ABOUT.get(name) or f"{base} drawn in the {shapes.STYLES[style]} style (shifted test set)"
            source, on_disk = "ShapesWorld (generated offline)", None
        rows.append({"name": name, "about": about, "n_classes": len(classes), "classes": list(classes),
                     "splits": {"train": sizes[0], "test": sizes[1]}, "split_note": "its own splits",
                     "source": source, "on_disk": on_disk})
    return rows


def format_datasets(rows: list[dict]) -> list[str]:
    """One line per :func:`describe_datasets` row, then the ``folder:PATH`` form."""
    lines = []
    for r in rows:
        shown = (", ".join(c if len(c) <= 24 else c[:23] + "…" for c in r["classes"][:4])
                 + (", ..." if r["n_classes"] > 4 else "")) if r["classes"] else "names from the dataset's files"
        note = "" if r["split_note"] == "its own splits" else f" ({r['split_note']})"
        disk = "generated on demand" if r["on_disk"] is None else f"on disk: {'yes' if r['on_disk'] else 'no'}"
        fetch = "; cannot be downloaded (copy it by hand)" if r.get("downloadable") is False else ""
        lines.append(f"{r['name']:<18} {r['n_classes']:>3} classes ({shown}); train {r['splits']['train']}, "
                     f"test {r['splits']['test']}{note}: {r['about']} [{r['source']}; {disk}{fetch}]")
    return [*lines, "folder:PATH        one sub-folder of images per class"]
