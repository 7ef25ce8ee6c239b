"""The paper's other datasets by name, read from the files torchvision's own classes download.

``python -m clip_course download --datasets eurosat,dtd`` (or ``all``) fetches them through
torchvision (``download=True``, md5-checked there) into ``data/``; :func:`read_torchvision_set`
reads them back without torchvision, from exactly the folders and files its class lays out, by
the readers in :mod:`clip_course.data.tv_binary` and :mod:`clip_course.data.tv_files`. Reading
checks no md5 (as :mod:`clip_course.data.cifar` does): the tests write tiny files in the same
layouts, whose md5s cannot match the published ones; and nothing is ever executed from a file.

Names are CLIP_benchmark's short names (``flowers`` is Flowers102, ``pets`` Oxford-IIIT Pet;
``flowers102``, ``oxford_pets``, ``stanford_cars``, ``fashionmnist`` and ``rendered_sst2`` are
accepted too). Class names are openai's from CLIP_benchmark's JSON where it has them, else
torchvision's or the dataset's own (:func:`clip_course.core.prompts.class_names`).

Splits: ``test`` is the dataset's test split; ``train`` is its train split, joined with its
validation split where it has one (DTD, Flowers102, FGVC-Aircraft, Country211, Rendered SST2:
the paper chooses the probe's C on validation, then refits on both; our probe holds out its own
validation share of ``train``). EuroSAT and SUN397 have no fixed split: a seeded 20% of each class
(:data:`SPLIT_SEED`, whatever ``--seed`` is) is ``test``, and ``meta`` records the split seed and sizes.
StanfordCars is read if its files are there but cannot be downloaded: its address is gone
(torchvision's class says so), so copy the Kaggle mirror into ``data/stanford_cars`` by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clip_course.core.prompts import class_names
from clip_course.data import tv_binary, tv_files
from clip_course.data.dataset import DATA_ROOT, ImageDataset
from clip_course.data.folders import FileImages, stratified_test_mask
from clip_course.errors import DatasetError

__all__ = [
    "canonical", "describe", "downloadable", "EUROSAT_FOLDERS", "is_torchvision_set", "missing_files", "present",
    "read_torchvision_set", "SPECS", "SPLIT_SEED", "torchvision_download",
]

#: Share of each class in ``test`` for datasets without a fixed split (VTAB's EuroSAT test share).
SEEDED_TEST_FRACTION = 0.2
#: Seed of that split: fixed, so that train and test never overlap whatever --seed is.
SPLIT_SEED = 0
#: EuroSAT's class folders (torchvision's ImageFolder order), which CLIP_benchmark's names follow.
EUROSAT_FOLDERS = ["AnnualCrop", "Forest", "HerbaceousVegetation", "Highway", "Industrial", "Pasture",
                   "PermanentCrop", "Residential", "River", "SeaLake"]


@dataclass(frozen=True)
class _TorchvisionSet:
    """One dataset: its torchvision class, where its files lie and how our splits map onto its own."""

    name: str
    tv_class: str
    folder: str  #: the one folder under the data root that holds it
    about: str
    n_classes: int
    sizes: tuple[int, int] | None  #: (train, test) images; None for a seeded split of ``total``
    splits: dict[str, tuple[str, ...]] | None  #: our split -> torchvision's; None: seeded split
    needs: tuple[str, ...]  #: paths under ``folder`` that must exist
    host: str | None  #: where torchvision downloads from (None: no download)
    calls: tuple[dict, ...] = ({},)  #: keyword arguments of each torchvision call with download=True
    total: int | None = None
    names: str = "fixed"  #: "fixed" (prompts.class_names) or "files" (the dataset's own)
    tv_root_is_folder: bool = False  #: torchvision's root is ``folder`` itself (SVHN's files lie in its root)
    no_download: str = ""


def _mnist(name: str, tv_class: str, about: str, host: str) -> _TorchvisionSet:
    raw = tuple(f"raw/{p}-{kind}-ubyte" for p in ("train", "t10k") for kind in ("images-idx3", "labels-idx1"))
    return _TorchvisionSet(name, tv_class, tv_class, about, 10, (60000, 10000),
                          {"train": ("train",), "test": ("test",)}, raw, host, ({"train": True}, {"train": False}))


_OX = "https://www.robots.ox.ac.uk/"
_OPENAI = "https://openaipublic.azureedge.net/"  # openai's host; its CLIP weights address 404s since Oct 2025
_TV = (
    _mnist("mnist", "MNIST", "handwritten digits", "https://ossci-datasets.s3.amazonaws.com/"),
    _mnist("fashion_mnist", "FashionMNIST", "Zalando's clothing thumbnails",
           "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"),
    _mnist("kmnist", "KMNIST", "Kuzushiji (cursive Japanese) characters", "http://codh.rois.ac.jp/"),
    _TorchvisionSet("svhn", "SVHN", "svhn", "street-view house-number digits", 10, (73257, 26032),
                   {"train": ("train",), "test": ("test",)}, ("train_32x32.mat", "test_32x32.mat"),
                   "http://ufldl.stanford.edu/", ({"split": "train"}, {"split": "test"}), tv_root_is_folder=True),
    _TorchvisionSet("stl10", "STL10", "stl10_binary", "96 px ImageNet-like objects", 10, (5000, 8000),
                   {"train": ("train",), "test": ("test",)},
                   ("train_X.bin", "train_y.bin", "test_X.bin", "test_y.bin", "class_names.txt"),
                   "http://ai.stanford.edu/", ({"split": "test"},)),
    _TorchvisionSet("eurosat", "EuroSAT", "eurosat", "Sentinel-2 satellite land use (RGB)", 10, None, None, ("2750",),
                   "https://huggingface.co/", total=27000),
    _TorchvisionSet("dtd", "DTD", "dtd", "describable textures (partition 1)", 47, (3760, 1880),
                   {"train": ("train", "val"), "test": ("test",)},
                   ("dtd/images", "dtd/labels/train1.txt", "dtd/labels/val1.txt", "dtd/labels/test1.txt"), _OX,
                   ({"split": "test"},), names="files"),
    _TorchvisionSet("flowers", "Flowers102", "flowers-102", "Oxford 102 flower species", 102, (2040, 6149),
                   {"train": ("train", "val"), "test": ("test",)}, ("jpg", "imagelabels.mat", "setid.mat"), _OX,
                   ({"split": "test"},)),
    _TorchvisionSet("pets", "OxfordIIITPet", "oxford-iiit-pet", "Oxford-IIIT cat and dog breeds", 37, (3680, 3669),
                   {"train": ("trainval",), "test": ("test",)},
                   ("images", "annotations/trainval.txt", "annotations/test.txt"), _OX, ({"split": "test"},)),
    _TorchvisionSet("food101", "Food101", "food-101", "Food-101 dishes", 101, (75750, 25250),
                   {"train": ("train",), "test": ("test",)}, ("images", "meta/train.json", "meta/test.json"),
                   "http://data.vision.ee.ethz.ch/", ({"split": "test"},), names="files"),
    _TorchvisionSet("gtsrb", "GTSRB", "gtsrb", "German traffic signs", 43, (26640, 12630),
                   {"train": ("train",), "test": ("test",)},
                   ("GTSRB/Training", "GTSRB/Final_Test/Images", "GT-final_test.csv"), "https://sid.erda.dk/",
                   ({"split": "train"}, {"split": "test"})),
    _TorchvisionSet("fgvc_aircraft", "FGVCAircraft", "fgvc-aircraft-2013b", "aircraft variants", 100, (6667, 3333),
                   {"train": ("trainval",), "test": ("test",)},
                   ("data/images", "data/variants.txt", "data/images_variant_trainval.txt",
                    "data/images_variant_test.txt"), _OX, ({"split": "test"},), names="files"),
    _TorchvisionSet("country211", "Country211", "country211", "YFCC100m photos by country (geolocation)", 211,
                   (42200, 21100), {"train": ("train", "valid"), "test": ("test",)}, ("train", "valid", "test"),
                   _OPENAI, ({"split": "test"},)),
    _TorchvisionSet("renderedsst2", "RenderedSST2", "rendered-sst2", "rendered movie-review sentences (sentiment, OCR)",
                   2, (7792, 1821), {"train": ("train", "valid"), "test": ("test",)}, ("train", "valid", "test"),
                   _OPENAI, ({"split": "test"},)),
    _TorchvisionSet("sun397", "SUN397", "SUN397", "SUN397 scenes (a large download)", 397, None, None,
                   ("ClassName.txt",), "http://vision.princeton.edu/", total=108754, names="files"),
    _TorchvisionSet("cars", "StanfordCars", "stanford_cars", "Stanford Cars models", 196, (8144, 8041),
                   {"train": ("train",), "test": ("test",)},
                   ("devkit/cars_meta.mat", "devkit/cars_train_annos.mat", "cars_test_annos_withlabels.mat",
                    "cars_train", "cars_test"), None, names="files",
                   no_download="StanfordCars cannot be downloaded: its original address is gone (torchvision's "
                   "StanfordCars says so). Copy a mirror (e.g. Kaggle's) into data/stanford_cars in torchvision's "
                   "layout (devkit/, cars_train/, cars_test/, cars_test_annos_withlabels.mat)."),
)
SPECS: dict[str, _TorchvisionSet] = {s.name: s for s in _TV}
_ALIASES = {"flowers102": "flowers", "oxford_pets": "pets", "stanford_cars": "cars", "fashionmnist": "fashion_mnist",
           "rendered_sst2": "renderedsst2"}


def canonical(name: str) -> str:
    """Our name for ``name`` (aliases resolved); unchanged when unknown."""
    return _ALIASES.get(name, name)


def is_torchvision_set(name: str) -> bool:
    return canonical(name) in SPECS


def downloadable() -> list[str]:
    """Names ``download --datasets all`` fetches."""
    return [n for n, s in SPECS.items() if s.host]


def missing_files(name: str, root: str | Path = DATA_ROOT) -> list[Path]:
    """The files and folders of ``name`` that are not under ``root``."""
    spec = SPECS[canonical(name)]
    folder = Path(root) / spec.folder
    return [folder / p for p in spec.needs if not (folder / p).exists()]


def present(name: str, root: str | Path = DATA_ROOT) -> bool:
    return not missing_files(name, root)


def _missing_message(name: str, split: str, root: Path, missing: list) -> str:
    spec = SPECS[name]
    shown = ", ".join(str(p) for p in missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    fix = spec.no_download or (f"Fetch it with `python -m clip_course download --datasets {name}` (or `make "
                               f"download DATASETS={name}`) on a machine with internet, or copy torchvision's "
                               f"{spec.tv_class} folder there.")
    return f"{name} {split} data not found under {root}: missing {shown}. {fix}"


def _listing(spec: _TorchvisionSet, folder: Path, tv_splits: tuple[str, ...], classes: list[str] | None):
    """(images, labels, class names from the files or None) of torchvision splits ``tv_splits``."""
    name = spec.name
    if name in ("mnist", "fashion_mnist", "kmnist"):
        return (*tv_binary.read_mnist_like(folder, tv_splits[0]), None)
    if name == "svhn":
        return (*tv_binary.read_svhn(folder / f"{tv_splits[0]}_32x32.mat"), None)
    if name == "stl10":
        return (*tv_binary.read_stl10(folder, tv_splits[0], classes or []), None)  # STL10's names are fixed
    if name in ("eurosat", "country211", "renderedsst2"):
        sub = {"eurosat": ("2750",)}.get(name, tv_splits)
        paths, labels, found = tv_files.image_folders([folder / s for s in sub],
                                                      (".png",) if name == "renderedsst2" else tv_files.IMG_EXTENSIONS)
    else:
        readers: dict[str, Callable[..., Any]] = {"dtd": lambda: tv_files.dtd(folder / "dtd", tv_splits),
                                                  "flowers": tv_files.flowers102,
                  "pets": tv_files.oxford_pets, "food101": tv_files.food101, "gtsrb": tv_files.gtsrb,
                  "fgvc_aircraft": tv_files.fgvc_aircraft, "sun397": tv_files.sun397,
                  "cars": tv_files.stanford_cars}
        reader = readers[name]
        paths, labels, found = reader() if name == "dtd" else reader(folder, tv_splits)
    return FileImages(paths), labels, found


def _check_classes(spec: _TorchvisionSet, folder: Path, classes: list[str], found: list[str] | None,
                   labels: np.ndarray) -> None:
    if spec.name == "eurosat" and found != EUROSAT_FOLDERS:
        raise DatasetError(f"{folder / '2750'} has class folders {found}, not EuroSAT's {EUROSAT_FOLDERS}.")
    if found is not None and len(found) != len(classes):
        raise DatasetError(f"{folder} defines {len(found)} classes, not {spec.name}'s {len(classes)}; "
                           f"delete it and download it again.")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise DatasetError(f"{folder} holds labels outside 0..{len(classes) - 1} ({spec.name} has {len(classes)} "
                           "classes).")


def read_torchvision_set(name: str, split: str, root: str | Path = DATA_ROOT) -> ImageDataset:
    """One split of a torchvision dataset from its files under ``root`` (see the module docstring)."""
    name, root = canonical(name), Path(root)
    spec = SPECS[name]
    missing = missing_files(name, root)
    if missing:
        raise DatasetError(_missing_message(name, split, root, missing))
    folder = root / spec.folder
    fixed = class_names(name) if spec.names == "fixed" else None
    tv_splits = spec.splits[split] if spec.splits else ("all",)
    images, labels, found = _listing(spec, folder, tv_splits, fixed)
    classes = fixed or list(found or [])
    _check_classes(spec, folder, classes, found, labels)
    meta: dict = {"source": f"torchvision.datasets.{spec.tv_class} layout", "torchvision_split": "+".join(tv_splits)}
    if spec.splits is None:
        mask = stratified_test_mask(labels, SEEDED_TEST_FRACTION, SPLIT_SEED)
        keep = np.flatnonzero(mask if split == "test" else ~mask)
        meta.update({"split": "seeded", "split_seed": SPLIT_SEED, "test_fraction": SEEDED_TEST_FRACTION,
                     "sizes": {"train": int((~mask).sum()), "test": int(mask.sum())}})
        images = images.subset(keep) if hasattr(images, "subset") else images[keep]
        labels = labels[keep]
    return ImageDataset(name, split, images, labels, classes, meta)


def describe(name: str, root: str | Path = DATA_ROOT) -> dict:
    """One row of the ``datasets`` listing for ``name``."""
    spec = SPECS[name]
    splits: dict[str, int | str]
    if spec.sizes and spec.splits:  # a fixed split has both
        splits, note = {"train": spec.sizes[0], "test": spec.sizes[1]}, (
            "train = its train + validation splits" if len(spec.splits["train"]) > 1 else "its own splits")
    else:
        assert spec.total is not None  # a seeded split has a total
        test = round(spec.total * SEEDED_TEST_FRACTION)
        splits = {"train": spec.total - test, "test": test}
        note = (f"seeded split: {SEEDED_TEST_FRACTION:.0%} of each class is test (split seed {SPLIT_SEED}), "
                f"of {spec.total}")
    if spec.sizes is None and spec.name == "sun397":
        splits = {"train": f"~{splits['train']}", "test": f"~{splits['test']}"}
    classes = class_names(name) if spec.names == "fixed" else []
    return {"name": name, "about": spec.about, "n_classes": spec.n_classes, "classes": classes,
            "splits": splits, "split_note": note, "source": f"torchvision.datasets.{spec.tv_class}",
            "on_disk": present(name, root), "folder": str(Path(root) / spec.folder),
            "downloadable": spec.host is not None}


def torchvision_download(name: str, root: str | Path) -> Path:
    """Download ``name`` through torchvision's own class (``download=True``) into ``root``.

    The one place torchvision's dataset classes are called (tests replace the class in
    ``torchvision.datasets``). Returns the dataset's folder under ``root``.
    """
    from torchvision import datasets

    spec = SPECS[canonical(name)]
    cls = getattr(datasets, spec.tv_class)
    folder = Path(root) / spec.folder
    for kwargs in spec.calls:
        cls(str(folder if spec.tv_root_is_folder else root), download=True, **kwargs)
    return folder

