"""The ``predict``, ``models``, ``datasets``, ``results``, ``download`` and ``report`` commands, and
:data:`HELP`, each command's line in ``--help`` (kept apart from :mod:`clip_course.cli`, which holds the
evaluation commands and the assembly, so each module stays small).

``predict`` is the openai/CLIP README's first example as a command: images against a list of
texts, one ranked table per image. ``models`` lists the model names ``--model`` accepts without
importing torch: openai's names are read from clip's own table (``clip/clip.py``'s ``_MODELS``)
as text, which is what ``clip.available_models()`` returns.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import sys
from pathlib import Path

from clip_course.cli_flags import (
    add_command,
    add_device,
    add_model,
    add_profile,
    apply_profile,
    check_out_file,
)
from clip_course.core.prompts import class_names, templates
from clip_course.errors import PromptError, UsageError
from clip_course.io import atomic_write_bytes
from clip_course.report.collect import collect, to_csv, to_markdown

__all__ = [
    "datasets_parser", "download_parser", "HELP", "models_listing", "models_parser", "OFFLINE_MODEL", "predict_parser",
    "report_parser", "results_parser", "run_report",
]

OFFLINE_MODEL = "miniclip"  # core.models.OFFLINE_MODEL; that module imports torch

#: Each command's line in ``--help``, in one place so that listing them builds no parser.
HELP = {
    "predict": "rank texts for images, as in the openai/CLIP README (start here)",
    "zeroshot": "zero-shot top-1/top-5 of a CLIP model on a dataset",
    "probe": "linear-probe (and k-shot) accuracy of a CLIP model's image features",
    "styleclip": "edit a generated image toward a text by StyleCLIP latent optimisation",
    "pretrain": "train MiniCLIP on ShapesWorld (defaults reproduce the shipped checkpoint)",
    "models": "list the model names --model accepts",
    "datasets": "list every dataset name with its source, classes, splits and whether it is on disk",
    "download": "fetch CLIP ViT-B/32 weights and CIFAR-10/100, or named datasets (needs internet)",
    "results": "one table of every results JSON under results/ (markdown, CSV)",
    "report": "run the notebooks and build the report PDF",
}


# ----------------------------------------------------------------------------- predict


def predict_parser(sub: argparse._SubParsersAction) -> None:
    """``predict``'s flags."""
    p = add_command(sub, "predict", _run_predict,
                    "Rank texts for each image, as in the openai/CLIP README: probabilities are a softmax over "
                    "the texts at the model's own logit scale (100 for openai's CLIP). IMAGE is an image file or "
                    "a photo shipped with scikit-image/scikit-learn (astronaut, chelsea, coffee, rocket, china, "
                    "flower). Example: predict chelsea rocket --labels 'a cat,a rocket,a dog'", HELP["predict"])
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files or built-in photo names")
    labels = p.add_mutually_exclusive_group(required=True)
    labels.add_argument("--labels", metavar="TEXTS", help="comma-separated texts, e.g. 'a dog,a cat'")
    labels.add_argument("--labels-file", type=Path, metavar="FILE", help="a text file, one text per line")
    labels.add_argument("--dataset", metavar="NAME",
                        help="a dataset's class names (see `datasets`), each in the dataset's single template "
                             "('a photo of a {}.')")
    p.add_argument("--data-root", default="data", help="where downloaded datasets live (for --dataset)")
    add_model(p)
    add_profile(p)
    add_device(p)
    p.add_argument("--top-k", type=int, default=5, help="rows printed per image (--out keeps every text)")
    p.add_argument("--out", default=None, help="write every ranking here: .csv (one row per image) or .json")
    p.set_defaults(_out_kind="file")


def _split_labels(text: str, what: str) -> list[str]:
    labels = [t.strip() for t in text.split("\n" if what == "--labels-file" else ",") if t.strip()]
    if len(labels) < 2:
        raise UsageError(f"{what} gives {len(labels)} text(s); give at least two to rank, e.g. --labels 'a dog,a cat'.")
    if len(set(labels)) != len(labels):
        raise UsageError(f"{what} repeats a text; each text must be distinct (they compete in one softmax).")
    return labels


def _predict_labels(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """(labels shown, texts encoded): ``--labels``/``--labels-file`` as given, ``--dataset`` templated."""
    if args.labels is not None:
        labels = _split_labels(args.labels, "--labels")
        return labels, labels
    if args.labels_file is not None:
        try:
            text = args.labels_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"--labels-file {args.labels_file}: cannot be read ({err}); give a UTF-8 text file, "
                             f"one text per line.") from None
        labels = _split_labels(text, "--labels-file")
        return labels, labels
    # lazy: the command's own imports

    try:
        classes = class_names(args.dataset)
    except PromptError:  # names read from the dataset itself (ShapesWorld, folders, DTD ...)
        # lazy: keeps numpy out of the CLI until needed
        from clip_course.data.catalog import load_dataset

        classes = list(load_dataset(args.dataset, "test", root=args.data_root).classes)
    template = templates("single", args.dataset)[0]
    return classes, [template.format(c) for c in classes]


def _run_predict(args: argparse.Namespace) -> int:
    """``predict``: a ranked table per image; every ranking to ``--out``."""
    # lazy: torch, only for the work commands
    from clip_course.core.models import load
    from clip_course.tasks import predictions, single_image
    from clip_course.tasks.zeroshot import model_logit_scale

    labels, texts = _predict_labels(args)  # fail on bad labels before loading anything
    images = [single_image.open_image(spec) for spec in args.images]
    apply_profile(args, fill_dataset=False)
    lm = load(args.model, device=args.device, trust=args.trust_checkpoint)
    label_of = dict(zip(texts, labels, strict=True))
    scale = model_logit_scale(lm)
    rows = []
    for spec, ranking in zip(args.images, single_image.rank_images(lm, images, texts), strict=True):
        print(f"{spec}: {lm.name}, softmax over {len(texts)} texts at logit scale {scale:.2f}")
        for i, (text, p) in enumerate(ranking[: args.top_k]):
            print(f"  {i + 1:>3}  {100 * p:6.2f}%  {label_of[text]}")
        rows.append({"image": spec, "top_k": [{"label": label_of[t], "text": t, "probability": p} for t, p in ranking]})
    if args.out:
        predictions.write(args.out, rows, {"model": lm.name, "checkpoint_sha256": lm.checkpoint_sha256,
                                           "logit_scale": scale, "texts": texts})
        print(f"wrote {args.out}")
    return 0


# ----------------------------------------------------------------------------- models


def models_parser(sub: argparse._SubParsersAction) -> None:
    """``models``' flags: ``--all`` adds every open_clip architecture and pretrained tag."""
    p = add_command(sub, "models", _run_models,
                    "List the model names --model accepts: openai's CLIP models (weights fetched by `make download`, "
                    "into ~/.cache/clip) and the offline miniclip shipped with the package; with --all also every "
                    "OpenCLIP architecture and pretrained tag (--model ARCH --pretrained TAG, or ARCH:TAG) with "
                    "its pretraining data. A checkpoint path is accepted too.", HELP["models"])
    p.add_argument("--all", action="store_true",
                   help="also list open_clip's models and tags (imports torch and open_clip, a few seconds)")


def _openai_model_names() -> list[str]:
    """``clip.available_models()``, read from clip's source without importing it (that imports torch)."""
    spec = importlib.util.find_spec("clip")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError("The clip package is not installed; run `make setup` (it installs clip-anytorch).")
    source = Path(list(spec.submodule_search_locations)[0]) / "clip.py"
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "_MODELS" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise UsageError(f"{source} holds no _MODELS table; reinstall clip-anytorch (`make setup`).")


def models_listing() -> str:
    """Every model and tag as text, one per line (for a ``models`` command): name to type, tag, data, loader."""
    from clip_course.core.models import known_models  # lazy: open_clip's registry needs torch

    rows = known_models()
    width = max(len(r["model"] if r["pretrained"] in (None, "openai") and r["loader"] != "open_clip"
                    else f"{r['model']}:{r['pretrained']}") for r in rows)
    lines = []
    for r in rows:
        name = r["model"] if r["loader"] != "open_clip" else f"{r['model']}:{r['pretrained']}"
        lines.append(f"{name:<{width}}  {r['pretrained'] or '-':<24}  {r['training_data'] or '-':<14}  {r['loader']}")
    return "\n".join(lines)


def _run_models(args: argparse.Namespace) -> int:
    """``models``: one line per name (``--all``: every model and tag, open_clip's included)."""
    if args.all:
        # lazy: open_clip's registry needs torch, which the plain listing avoids
        print(models_listing())
        return 0
    for name in _openai_model_names():
        print(f"{name:<16} openai CLIP")
    print(f"{OFFLINE_MODEL:<16} offline MiniCLIP, shipped with the package (no download)")
    print("openai weights: `make download` fetches ViT-B/32 into ~/.cache/clip; other names download on "
          "first use (online). A checkpoint path works as --model too; `models --all` lists OpenCLIP's "
          "architectures and pretrained tags (e.g. --model ViT-B-32 --pretrained laion2b_s34b_b79k).")
    return 0


# ----------------------------------------------------------------------------- datasets


def datasets_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "datasets", _run_datasets,
                 "List the datasets --dataset accepts (offline ShapesWorld sets, the paper's CIFAR, and the "
                 "torchvision datasets `download --datasets` fetches), with their source, number of classes, "
                 "the first class names, the train/test sizes (and how a split is made where the dataset has "
                 "none) and whether their files are under --root. folder:PATH (one sub-folder of images per "
                 "class) is accepted too.", HELP["datasets"])
    p.add_argument("--root", "--data-root", dest="root", default="data", help="where downloaded datasets live")
    p.add_argument("--json", action="store_true", help="print the full list (every class name) as JSON")


def _run_datasets(args: argparse.Namespace) -> int:
    """``datasets``: one line per dataset name (or JSON with ``--json``)."""
    # lazy: numpy, for this command only
    from clip_course.data.catalog import describe_datasets, format_datasets

    rows = describe_datasets(args.root)
    print(json.dumps(rows, indent=1) if args.json else "\n".join(format_datasets(rows)))
    return 0


# ----------------------------------------------------------------------------- results


def results_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "results", _run_results,
                 "Collect every results JSON under --root (the notebooks' results/<notebook>.json and the "
                 "zeroshot/probe --out records) into one table, one row per model x dataset x task (and "
                 "template set), with CLIP_benchmark's keys (model, dataset, task, acc1, acc5, "
                 "mean_per_class_recall; percent) beside ours, and CLIP_benchmark's published zero-shot "
                 "figures beside openai checkpoints' ensemble rows. Prints markdown unless --csv/--markdown.",
                 HELP["results"])
    p.add_argument("--root", default="results", help="folder searched (recursively) for results JSON")
    p.add_argument("--csv", default=None, help="write the table as CSV here")
    p.add_argument("--markdown", default=None, help="write the table as markdown here")


def _run_results(args: argparse.Namespace) -> int:
    """``results``: collect, then print or write the table."""
    # lazy: only this command reads results

    for flag in ("csv", "markdown"):
        if getattr(args, flag):
            check_out_file(f"--{flag}", getattr(args, flag))
    rows, skipped = collect(args.root)
    for note in skipped:
        print(f"skipped {note}", file=sys.stderr)
    if args.csv:
        atomic_write_bytes(args.csv, to_csv(rows).encode("utf-8"))
        print(f"wrote {args.csv} ({len(rows)} rows)")
    if args.markdown:
        atomic_write_bytes(args.markdown, to_markdown(rows).encode("utf-8"))
        print(f"wrote {args.markdown} ({len(rows)} rows)")
    if not (args.csv or args.markdown):
        print(to_markdown(rows), end="")
    return 0


# ----------------------------------------------------------------------------- download


def download_parser(sub: argparse._SubParsersAction) -> None:
    # lazy: built only when `download` is named
    from clip_course.data.download import STYLEGAN2_URL

    p = add_command(sub, "download", _run_download,
                 "Fetch the paper profile's assets: CLIP weights (clip's sha256-checked downloader, into "
                 "~/.cache/clip) and CIFAR-10/100 (into --data). With --datasets, fetch those datasets instead "
                 "through torchvision's own classes (eurosat,dtd,... or all; see `datasets`). With --styleclip, "
                 "fetch the StyleGAN2 FFHQ checkpoint instead. Fails fast without a network and never leaves "
                 "partial files.", HELP["download"])
    p.add_argument("--data", type=Path, default=Path("data"), help="dataset folder")
    p.add_argument("--model", default="ViT-B/32", help="openai CLIP model name")
    p.add_argument("--datasets", default=None, metavar="NAMES",
                   help="comma-separated dataset names (eurosat,dtd,mnist,...) or 'all': fetch only these")
    p.add_argument("--styleclip", action="store_true", help="fetch the StyleGAN2 FFHQ checkpoint for StyleCLIP")
    p.add_argument("--url", default=STYLEGAN2_URL, help="override the StyleGAN2 checkpoint URL (with --styleclip)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the StyleGAN2 checkpoint (default: the styleclip module's path)")
    p.set_defaults(_out_kind="file")


def _run_download(args: argparse.Namespace) -> int:
    """``download``: the paper profile's assets, named datasets, or the StyleGAN2 checkpoint."""
    # lazy: the download machinery, for this command only
    from clip_course.data.download import (
        download_paper_assets,
        fetch_datasets,
        fetch_stylegan2,
        parse_dataset_names,
    )

    if args.styleclip:
        print(f"StyleGAN2 checkpoint: {fetch_stylegan2(args.url, args.out)}")
        return 0
    if args.datasets is not None:
        for path in fetch_datasets(parse_dataset_names(args.datasets), args.data):
            print(f"ready: {path}")
        return 0
    fetched = download_paper_assets(args.data, args.model)
    if not fetched:
        print("The paper profile's assets are already on disk; nothing to do.")
    for path in fetched:
        print(f"ready: {path}")
    return 0


# ----------------------------------------------------------------------------- report


def report_parser(sub: argparse._SubParsersAction) -> None:
    # lazy: papermill/nbformat take ~1.5 s
    from clip_course.report.runner import DEFAULT_OUT, PROFILES

    p = add_command(sub, "report", run_report,
                 "Run notebooks/[0-9][0-9]_*.ipynb with papermill (incrementally) and print the course "
                 "report to PDF with headless Chromium.", HELP["report"])
    p.add_argument("--profile", choices=PROFILES, default="auto",
                   help="asset profile: offline (miniclip, ShapesWorld), paper (ViT-B/32, CIFAR; needs `make "
                        "download`) or auto (paper when its files are on disk, else offline)")
    p.add_argument("--params", help="YAML file: 'global:' and per-notebook parameters")
    p.add_argument("--notebooks", help="comma-separated subset by number or name, e.g. 01,03")
    p.add_argument("--quick", action="store_true", help="each notebook's quick (small) parameters")
    p.add_argument("--out", default=str(DEFAULT_OUT), help="the PDF")
    p.add_argument("--build-dir", default="build", help="executed notebooks and stamps")
    p.add_argument("--kernel", default="python3", help="Jupyter kernel")
    p.add_argument("--lang", choices=("en", "zh", "both"), default="en",
                   help="edition: English, Chinese (<out>_zh.pdf) or both, from one run of the notebooks")
    p.set_defaults(_out_kind="file")


def run_report(args: argparse.Namespace) -> int:
    """``report``: run the notebooks (incrementally) and print the PDF."""
    # lazy: papermill, for this command only
    from clip_course.report.runner import build_report

    only = [s for s in args.notebooks.split(",") if s.strip()] if args.notebooks else None
    build_report(profile=args.profile, params=args.params, notebooks=only, quick=args.quick,
                 out=args.out, build_dir=args.build_dir, kernel=args.kernel, lang=args.lang)
    return 0
