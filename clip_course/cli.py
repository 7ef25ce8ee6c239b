"""Command line: ``python -m clip_course <command> ...`` (or ``clip-course``).

Every command is defined here, with the flags they share defined once. Handlers only parse,
call into the library and print; the work lives in :mod:`clip_course.tasks`,
:mod:`clip_course.offline`, :mod:`clip_course.data` and :mod:`clip_course.report`. A
:class:`~clip_course.errors.ClipCourseError` (the user's to fix) is printed as one line and
exits 2. Heavy modules are imported inside the handlers, so ``--help`` and ``report`` stay fast.
"""

from __future__ import annotations

import argparse
import errno
import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from clip_course.cli_flags import (
    add_cache,
    add_command,
    add_dataset,
    add_device,
    add_limit,
    add_model,
    add_out_json,
    add_seed,
    check_args,
)
from clip_course.errors import ClipCourseError
from clip_course.io import printable

Handler = Callable[[argparse.Namespace], int]

_TOP1_KEY = ("The JSON record (--out) gives test top-1 accuracy in percent (0-100) under metrics.top1 "
             "(also metrics.top5 and metrics.mean_per_class_recall, in percent).")


# ----------------------------------------------------------------------------- zeroshot


def _zeroshot_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "zeroshot", run_zeroshot, "zero-shot top-1/top-5 of a CLIP model on a dataset",
                 "Zero-shot classification with a prompt-template ensemble, as in the CLIP paper. "
                 "Writes a JSON record with every parameter beside the metrics. " + _TOP1_KEY)
    add_model(p)
    add_dataset(p)
    p.add_argument("--split", default="test", choices=["train", "test"])
    p.add_argument("--templates", default="ensemble", help="template set: ensemble, single or bare")
    p.add_argument("--template", action="append", dest="custom_templates", metavar="TEXT",
                   help="a custom template with '{}' for the class name (repeatable; overrides --templates)")
    add_limit(p)
    add_seed(p, "the --limit subset")
    add_device(p)
    add_cache(p)
    add_out_json(p)
    p.set_defaults(_out_kind="file")


def run_zeroshot(args: argparse.Namespace) -> int:
    """``zeroshot``: evaluate and print top-1/top-5; write the record with ``--out``."""
    from clip_course.core.models import load
    from clip_course.core.prompts import templates as resolve_templates
    from clip_course.data.catalog import load_dataset
    from clip_course.io import write_json
    from clip_course.tasks.zeroshot import evaluate

    dataset = load_dataset(args.dataset, args.split, root=args.data_root, limit=args.limit, seed=args.seed)
    templates = args.custom_templates or args.templates
    resolve_templates(templates, dataset.name)  # fail on a bad set before loading the model
    lm = load(args.model, device=args.device, trust=args.trust_checkpoint)
    record = evaluate(lm, dataset, templates, cache_dir=args.cache_dir)
    m = record["metrics"]
    print(f"{printable(args.model)} on {printable(dataset.name)} {args.split} ({len(dataset)} images, "
          f"{printable(record['params']['templates'])}): "
          f"top-1 {m['top1']:.2f}%  top-5 {m['top5']:.2f}%  mean per-class recall {m['mean_per_class_recall']:.2f}%")
    if args.out:
        write_json(args.out, record)
        print(f"wrote {args.out}")
    return 0


# ----------------------------------------------------------------------------- probe


def _probe_parser(sub: argparse._SubParsersAction) -> None:
    from clip_course.tasks.logreg import FITTERS
    from clip_course.tasks.probe import GRID_STEPS, SEARCHES

    p = add_command(sub, "probe", run_probe, "linear-probe (and k-shot) accuracy of a CLIP model's image features",
                 "Logistic regression on frozen image features, as in the CLIP paper: C swept over "
                 "1e-6..1e6 on a validation split of train, refit on train+val, test top-1/top-5. "
                 "--kshot adds k-shot probes over seeds beside zero-shot accuracy on the same test set. "
                 "Writes a JSON record with every parameter beside the metrics. " + _TOP1_KEY +
                 " With --kshot, metrics.k_shot and metrics.zero_shot.top1 (percent) as well.")
    add_model(p)
    add_dataset(p)
    p.add_argument("--fitter", choices=FITTERS, default="torch",
                   help="torch: L-BFGS on --device; sklearn: LogisticRegression(lbfgs), the reference")
    p.add_argument("--search", choices=SEARCHES, default="refine",
                   help="refine: the paper's coarse-then-halving search (15 fits); grid: every value")
    p.add_argument("--steps", type=int, default=GRID_STEPS, help="log-spaced C values over 1e-6..1e6")
    p.add_argument("--val-fraction", type=float, default=0.2, help="share of train held out to choose C")
    add_seed(p, "the validation split and --limit subsets")
    p.add_argument("--normalize", action=argparse.BooleanOptionalAction, default=False,
                   help="L2-normalise features (off: raw projected encode_image output, as in the openai README)")
    p.add_argument("--max-iter", type=int, default=1000, help="L-BFGS iterations per fit")
    p.add_argument("--kshot", action="store_true", help="also run k-shot probes and zero-shot on the same test set")
    p.add_argument("--ks", default="1,2,4,8,16,full", help="k values for --kshot ('full' = all training data)")
    p.add_argument("--seeds", default="0,1,2", help="k-shot seeds")
    p.add_argument("--templates", default="ensemble", help="zero-shot template set for --kshot's comparison")
    add_limit(p, "train and test images")
    add_device(p)
    add_cache(p)
    add_out_json(p)
    p.set_defaults(_out_kind="file")


def parse_ks(text: str) -> tuple[int | None, ...]:
    """``"1,2,4,full"`` -> (1, 2, 4, None)."""
    from clip_course.errors import ProbeError

    out: list[int | None] = []
    for part in text.split(","):
        part = part.strip().lower()
        if part in ("full", "all", "none"):
            out.append(None)
        elif part.isdigit() and int(part) > 0:
            out.append(int(part))
        else:
            raise ProbeError(f"--ks entry {part!r} is not a positive integer or 'full'.")
    return tuple(out)


def parse_seeds(text: str) -> tuple[int, ...]:
    """``"0,1,2"`` -> (0, 1, 2)."""
    from clip_course.errors import ProbeError

    try:
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ProbeError(f"--seeds must be comma-separated integers, got {text!r}.") from None


def probe_features(args: argparse.Namespace) -> tuple:
    """(model, train dataset, test dataset, train features, test features) for ``probe``."""
    from clip_course.core.feature_cache import image_features
    from clip_course.core.models import load
    from clip_course.data.catalog import load_dataset

    train = load_dataset(args.dataset, "train", root=args.data_root, limit=args.limit, seed=args.seed)
    test = load_dataset(args.dataset, "test", root=args.data_root, limit=args.limit, seed=args.seed)
    lm = load(args.model, device=args.device, trust=args.trust_checkpoint)
    feats = [image_features(lm, ds, normalize=args.normalize, cache_dir=args.cache_dir) for ds in (train, test)]
    return lm, train, test, feats[0], feats[1]


def run_probe(args: argparse.Namespace) -> int:
    """``probe``: the paper's probe protocol, optionally with k-shot probes and zero-shot."""
    from clip_course.core.provenance import run_record
    from clip_course.io import write_json
    from clip_course.tasks import probe
    from clip_course.tasks.kshot import k_shot
    from clip_course.tasks.zeroshot import classification_metrics, predict

    ks, seeds = parse_ks(args.ks), parse_seeds(args.seeds)  # fail on bad flags before loading anything
    start = time.perf_counter()
    lm, train, test, Xtr, Xte = probe_features(args)
    device = args.device or lm.device
    result = probe.run_probe(Xtr, train.labels, Xte, test.labels, train.classes, args.val_fraction, args.seed,
                             args.fitter, args.search, args.steps, device, args.max_iter)
    params, m = result["params"], result["metrics"]
    params.update({"normalize": args.normalize, "train_size": len(train), "limit": args.limit,
                   "train_fingerprint": train.fingerprint[:16]})
    print(f"{printable(args.model)} on {printable(test.name)} ({len(train)} train / {len(test)} test, "
          f"{args.fitter}): {probe.summary(m)}")
    if args.kshot:
        shots = k_shot(Xtr, train.labels, Xte, test.labels, ks, seeds, train.classes, args.fitter, device,
                       args.val_fraction, steps=args.steps, max_iter=args.max_iter,
                       full_probe=result if seeds[0] == args.seed else None)
        scores, _, tmpl = predict(lm, test, args.templates, cache_dir=args.cache_dir, progress=False)
        zs = classification_metrics(scores, test.labels, test.classes)
        m["k_shot"] = shots["metrics"]
        m["zero_shot"] = {"top1": zs["top1"], "top5": zs["top5"], "templates": args.templates,
                          "n_templates": len(tmpl)}
        params["k_shot"] = {k: v for k, v in shots["params"].items() if k != "classes"}
        for row in shots["metrics"]["per_k"]:
            print(f"  k={row['label']:>4}: top-1 {row['top1_mean']:.2f} ± {row['top1_std']:.2f}%  ({row['C_method']})")
        print(f"  zero-shot: top-1 {m['zero_shot']['top1']:.2f}%")
    record = run_record("probe", params, m, lm=lm, dataset=test, seconds=time.perf_counter() - start)
    if args.out:
        write_json(args.out, record)
        print(f"wrote {args.out}")
    return 0


# ----------------------------------------------------------------------------- styleclip


def _styleclip_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "styleclip", run_styleclip,
                 "edit a generated image toward a text by StyleCLIP latent optimisation",
                 "StyleCLIP latent optimisation: CLIP loss + l2_lambda * ||w - w0||^2, Adam with "
                 "StyleCLIP's schedule. Writes figures, a GIF and result.json to --out.")
    p.add_argument("--text", help="target description, e.g. 'a blue circle' or 'a woman with purple hair'")
    p.add_argument("--start", default=None,
                   help="offline: a ShapesWorld phrase (default 'a red circle'); StyleGAN2: 'random' "
                   "(seeded, truncation 0.7), 'mean' or a W+ .pt file; or a latent .pt file")
    p.add_argument("--steps", type=int, default=300, help="optimisation steps (StyleCLIP: 300)")
    p.add_argument("--lr", type=float, default=0.1, help="initial learning rate (StyleCLIP: 0.1)")
    p.add_argument("--l2-lambda", type=float, default=0.008, help="weight of ||w - w0||^2 (StyleCLIP: 0.008)")
    add_seed(p, "the start latent")
    p.add_argument("--generator", default="offline",
                   help="'offline' (ShapesWorld VAE), 'stylegan2' (data/stylegan2-ffhq-config-f.pt) or a checkpoint path")
    add_model(p, None, " (default: miniclip offline, ViT-B/32 for StyleGAN2)")
    add_device(p)
    p.add_argument("--out", default="results/styleclip", help="output folder")
    p.set_defaults(_out_kind="folder")
    p.add_argument("--train-generator", action="store_true",
                   help="retrain the shipped offline generator (clip_course/generators/assets/shapes_generator.pt; "
                   "same device kind, same bytes) and exit")


def run_styleclip(args: argparse.Namespace) -> int:
    """``styleclip``: one edit, its figures, GIF and ``result.json``."""
    from clip_course.core.device import default_device
    from clip_course.figures import styleclip as figs
    from clip_course.generators import shapes_generator
    from clip_course.io import write_json
    from clip_course.tasks import styleclip, styleclip_studies

    if args.train_generator:
        path = shapes_generator.train_shapes_generator(device=args.device or default_device())
        print(f"wrote {path}")
        return 0
    text = styleclip.check_text(args.text)
    gen, lm, start_spec = styleclip_studies.cli_setup(args.generator, args.model, args.start, args.device,
                                                      trust=args.trust_checkpoint)
    config = styleclip.EditConfig(steps=args.steps, lr=args.lr, l2_lambda=args.l2_lambda, seed=args.seed).validated()
    result = styleclip.edit(gen, lm, text, gen.start_latent(start_spec, seed=args.seed), config)
    out = Path(args.out)
    figs.plot_before_after(result, save=out / "before_after.png")
    figs.plot_strip(result, save=out / "strip.png")
    figs.plot_curves(result, save=out / "curves.png")
    figs.save_gif(result, out / "trajectory.gif")
    record = styleclip_studies.cli_record(gen, lm, start_spec, result)
    write_json(out / "result.json", record)
    print(f"similarity to {text!r}: {result.similarity_before[0]:.4f} -> {result.similarity_after[0]:.4f} "
          f"(latent distance {result.distance[-1][0]:.3f}); wrote {out}/")
    return 0


# ----------------------------------------------------------------------------- pretrain


def _pretrain_parser(sub: argparse._SubParsersAction) -> None:
    from clip_course.tasks.pretrain import shipped_config

    defaults = shipped_config()
    p = add_command(sub, "pretrain", run_pretrain, "train MiniCLIP on ShapesWorld (defaults reproduce the shipped checkpoint)",
                 "Train MiniCLIP from scratch with CLIP's contrastive objective on ShapesWorld. With the "
                 "defaults it reproduces the shipped checkpoint byte for byte (on a CPU) and reports "
                 "whether the sha256 matches.", defaults_in_help=False)
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the state dict (default: miniclip-trained.pt in the user cache)")
    p.add_argument("--steps", type=int, default=defaults.steps, help=f"optimiser steps (default {defaults.steps})")
    p.add_argument("--seed", type=int, default=defaults.seed, help=f"random seed (default {defaults.seed})")
    add_device(p)
    p.add_argument("--evaluate", action="store_true", help="also report zero-shot accuracy on the ShapesWorld tests")
    p.add_argument("--ship", action="store_true", help=argparse.SUPPRESS)  # maintainers: refresh the assets
    p.set_defaults(_defaults=defaults, _out_kind="file")


def run_pretrain(args: argparse.Namespace) -> int:
    """``pretrain``: retrain MiniCLIP and compare with the shipped checkpoint."""
    from dataclasses import asdict, replace

    from clip_course.core import miniclip
    from clip_course.tasks import pretrain

    config = replace(args._defaults, steps=args.steps, seed=args.seed)
    if config.warmup_steps >= config.steps:
        config = replace(config, warmup_steps=max(0, config.steps // 10))
    out = args.out or miniclip.cache_dir() / "miniclip-trained.pt"
    result = pretrain.train_miniclip(asdict(config), out, progress=True, device=args.device)
    print(f"wrote {out} ({result['bytes'] / 1e6:.1f} MB, sha256 {result['sha256'][:16]}) "
          f"in {result['log']['seconds']:.0f} s")
    if miniclip.SHIPPED_META.is_file():
        same = result["sha256"] == miniclip.shipped_metadata()["sha256"]
        print("matches the shipped checkpoint" if same else "differs from the shipped checkpoint "
              "(expected unless defaults, a CPU and the same torch version were used)")
    metrics = pretrain.evaluate_checkpoint(out) if (args.evaluate or args.ship) else None
    if metrics:
        print("zero-shot top-1:", json.dumps({k: round(v, 1) for k, v in metrics.items()}))
    if args.ship:
        meta = pretrain.write_shipped(result, Path(out), metrics)
        print(f"shipped: {meta['xz_bytes'] / 1e6:.2f} MB compressed")
    return 0


# ----------------------------------------------------------------------------- datasets


def _datasets_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "datasets", run_datasets, "list every dataset name with its source, classes, splits and whether it is on disk",
                 "List the datasets --dataset accepts (offline ShapesWorld sets, the paper's CIFAR, and the "
                 "torchvision datasets `download --datasets` fetches), with their source, number of classes, "
                 "the first class names, the train/test sizes (and how a split is made where the dataset has "
                 "none) and whether their files are under --root. folder:PATH (one sub-folder of images per "
                 "class) is accepted too.")
    p.add_argument("--root", "--data-root", dest="root", default="data", help="where downloaded datasets live")
    p.add_argument("--json", action="store_true", help="print the full list (every class name) as JSON")


def run_datasets(args: argparse.Namespace) -> int:
    """``datasets``: one line per dataset name (or JSON with ``--json``)."""
    from clip_course.data.catalog import describe_datasets, format_datasets

    rows = describe_datasets(args.root)
    print(json.dumps(rows, indent=1) if args.json else "\n".join(format_datasets(rows)))
    return 0


# ----------------------------------------------------------------------------- results


def _results_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "results", run_results, "one table of every results JSON under results/ (markdown, CSV)",
                 "Collect every results JSON under --root (the notebooks' results/<notebook>.json and the "
                 "zeroshot/probe --out records) into one table, one row per model x dataset x task (and "
                 "template set), with CLIP_benchmark's keys (model, dataset, task, acc1, acc5, "
                 "mean_per_class_recall; percent) beside ours, and CLIP_benchmark's published zero-shot "
                 "figures beside openai checkpoints' ensemble rows. Prints markdown unless --csv/--markdown.")
    p.add_argument("--root", default="results", help="folder searched (recursively) for results JSON")
    p.add_argument("--csv", default=None, help="write the table as CSV here")
    p.add_argument("--markdown", default=None, help="write the table as markdown here")


def run_results(args: argparse.Namespace) -> int:
    """``results``: collect, then print or write the table."""
    from clip_course.cli_flags import check_out_file
    from clip_course.io import atomic_write_bytes
    from clip_course.report.collect import collect, to_csv, to_markdown

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


def _download_parser(sub: argparse._SubParsersAction) -> None:
    from clip_course.data.download import STYLEGAN2_URL

    p = add_command(sub, "download", run_download, "fetch CLIP ViT-B/32 weights and CIFAR-10/100, or named datasets (needs internet)",
                 "Fetch the paper profile's assets: CLIP weights (clip's sha256-checked downloader, into "
                 "~/.cache/clip) and CIFAR-10/100 (into --data). With --datasets, fetch those datasets instead "
                 "through torchvision's own classes (eurosat,dtd,... or all; see `datasets`). With --styleclip, "
                 "fetch the StyleGAN2 FFHQ checkpoint instead. Fails fast without a network and never leaves "
                 "partial files.")
    p.add_argument("--data", type=Path, default=Path("data"), help="dataset folder")
    p.add_argument("--model", default="ViT-B/32", help="openai CLIP model name")
    p.add_argument("--datasets", default=None, metavar="NAMES",
                   help="comma-separated dataset names (eurosat,dtd,mnist,...) or 'all': fetch only these")
    p.add_argument("--styleclip", action="store_true", help="fetch the StyleGAN2 FFHQ checkpoint for StyleCLIP")
    p.add_argument("--url", default=STYLEGAN2_URL, help="override the StyleGAN2 checkpoint URL (with --styleclip)")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the StyleGAN2 checkpoint (default: the styleclip module's path)")
    p.set_defaults(_out_kind="file")


def run_download(args: argparse.Namespace) -> int:
    """``download``: the paper profile's assets, named datasets, or the StyleGAN2 checkpoint."""
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


def _report_parser(sub: argparse._SubParsersAction) -> None:
    from clip_course.report.runner import DEFAULT_OUT, PROFILES

    p = add_command(sub, "report", run_report, "run the notebooks and build the report PDF",
                 "Run notebooks/[0-9][0-9]_*.ipynb with papermill (incrementally) and print the course "
                 "report to PDF with headless Chromium.")
    p.add_argument("--profile", choices=PROFILES, default="auto", help="asset profile")
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
    from clip_course.report.runner import build_report

    only = [s for s in args.notebooks.split(",") if s.strip()] if args.notebooks else None
    build_report(profile=args.profile, params=args.params, notebooks=only, quick=args.quick,
                 out=args.out, build_dir=args.build_dir, kernel=args.kernel, lang=args.lang)
    return 0


# ----------------------------------------------------------------------------- assembly

#: Commands in --help order, each with the function that adds its sub-parser.
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "zeroshot": _zeroshot_parser, "probe": _probe_parser, "styleclip": _styleclip_parser,
    "pretrain": _pretrain_parser, "datasets": _datasets_parser, "download": _download_parser,
    "results": _results_parser, "report": _report_parser,
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser, with every command (or just ``only``'s, which imports less)."""
    parser = argparse.ArgumentParser(
        prog="python -m clip_course",
        description="Reproduce and extend CLIP's evaluation: zero-shot, linear probe, StyleCLIP, "
        "and the course report. Run a command with --help for its options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add in COMMANDS.items():
        if only is None or name == only:
            add(sub)
    return parser


_USER_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EISDIR, errno.ENOTDIR}


def _is_user_error(err: BaseException) -> bool:
    return isinstance(err, (ClipCourseError, FileNotFoundError)) or (
        isinstance(err, OSError) and err.errno in _USER_ERRNOS)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
    argv = sys.argv[1:] if argv is None else list(argv)
    command = argv[0] if argv and argv[0] in COMMANDS else None
    args = build_parser(only=command).parse_args(argv)
    try:
        check_args(args)
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if not _is_user_error(err):
            raise
        # one line, always; names from disk in it are data, not terminal commands
        print(f"error: {printable(' '.join(str(err).split()))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
