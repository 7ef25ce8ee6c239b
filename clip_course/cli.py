"""Command line: ``python -m clip_course <command> ...`` (or ``clip-course``).

Every command is defined here (``predict`` and ``models`` in :mod:`clip_course.cli_commands`), with
the flags they share defined once (:mod:`clip_course.cli_flags`). Handlers only parse, call into the
library and print; the work lives in :mod:`clip_course.tasks`, :mod:`clip_course.data` and
:mod:`clip_course.report`. A :class:`~clip_course.errors.ClipCourseError` (the user's to fix) is
printed as one line and exits 2.

Instant answers: ``--help``, ``--version``, ``datasets``, ``results`` and ``models`` never import
torch. ``--help`` lists the commands from :data:`HELP` without building their parsers; a command's
parser is built only when it is named, and torch, clip and the tasks are imported inside the work
commands' handlers (each such import is marked "lazy").
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
from typing import TYPE_CHECKING

from clip_course import __version__
from clip_course.cli_commands import (
    HELP,
    datasets_parser,
    download_parser,
    models_parser,
    predict_parser,
    report_parser,
    results_parser,
    run_report,  # noqa: F401 (re-exported: callers import the handlers from here)
)
from clip_course.cli_flags import (
    add_cache,
    add_command,
    add_dataset,
    add_device,
    add_limit,
    add_model,
    add_out_json,
    add_predictions,
    add_profile,
    add_seed,
    add_split,
    apply_profile,
    check_args,
    with_classnames,
)
from clip_course.core import miniclip
from clip_course.core.prompts import templates as resolve_templates
from clip_course.core.provenance import run_record
from clip_course.errors import ClipCourseError, ProbeError
from clip_course.io import printable, write_json
from clip_course.report.collect import custom_name

if TYPE_CHECKING:  # annotations only: the instant commands never import numpy
    import numpy as np

__all__ = [
    "build_parser", "COMMANDS", "Handler", "HELP", "main", "Path", "printable", "probe_features", "ProbeError",
    "run_probe", "run_report", "sys", "time", "warnings",
]

Handler = Callable[[argparse.Namespace], int]

_TOP1_KEY = ("The JSON record (--out) gives test top-1 accuracy in percent (0-100) under metrics.top1 "
             "(also metrics.top5 and metrics.mean_per_class_recall, in percent).")


# ----------------------------------------------------------------------------- zeroshot


def _zeroshot_parser(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "zeroshot", _run_zeroshot,
                    "Zero-shot classification with a prompt-template ensemble, as in the CLIP paper. "
                    "Writes a JSON record with every parameter beside the metrics. " + _TOP1_KEY, HELP["zeroshot"])
    add_model(p)
    add_profile(p)
    add_dataset(p)
    add_split(p)
    p.add_argument("--templates", default="ensemble", help="template set: ensemble, single or bare")
    p.add_argument("--template", action="append", dest="custom_templates", metavar="TEXT",
                   help="a custom template with '{}' for the class name (repeatable; overrides --templates)")
    add_limit(p)
    add_seed(p, "the --limit subset")
    add_device(p)
    add_cache(p)
    add_out_json(p)
    add_predictions(p)
    p.set_defaults(_out_kind="file")


def _topk_text(metrics: dict, n_classes: int) -> str:
    """"  top-5 X%" where 5 < the number of classes (with fewer it is always 100%)."""
    return f"  top-5 {metrics['top5']:.2f}%" if n_classes > 5 else ""


def _write_predictions(path: str, logits: np.ndarray, true: list[str], classes: list[str], ids: list,
                       k: int, meta: dict) -> None:
    """``--predictions``: per image, the top-k classes by ``softmax(logits)``."""
    from clip_course.tasks import predictions  # lazy: numpy, only when asked

    rows = predictions.topk_rows(predictions.softmax(logits), true, classes, ids, k)
    predictions.write(path, rows, meta)
    print(f"wrote {path} ({len(rows)} images, {sum(not r['correct'] for r in rows)} misclassified)")


def _run_zeroshot(args: argparse.Namespace) -> int:
    """``zeroshot``: evaluate and print top-1/top-5; write the record with ``--out``."""
    # lazy: torch, clip and the datasets, for the work commands only
    from clip_course.core.models import load
    from clip_course.data.catalog import load_dataset
    from clip_course.tasks.zeroshot import evaluate, predict

    apply_profile(args)
    dataset = load_dataset(args.dataset, args.split, root=args.data_root, limit=args.limit, seed=args.seed)
    dataset = with_classnames(dataset, args.classnames)
    templates = args.custom_templates or args.templates
    resolve_templates(templates, dataset.name)  # fail on a bad set before loading the model
    lm = load(args.model, device=args.device, trust=args.trust_checkpoint)
    record = evaluate(lm, dataset, templates, cache_dir=args.cache_dir)
    m, n = record["metrics"], len(dataset.classes)
    shown = custom_name(templates) if args.custom_templates else templates
    print(f"{printable(args.model)} on {printable(dataset.name)} {args.split} ({len(dataset)} images, {n} classes, "
          f"{printable(shown)}): top-1 {m['top1']:.2f}%{_topk_text(m, n)}  "
          f"mean per-class recall {m['mean_per_class_recall']:.2f}%")
    if args.out:
        write_json(args.out, record)
        print(f"wrote {args.out}")
    if args.predictions:  # image features come from the cache evaluate just filled
        scores, _, _ = predict(lm, dataset, templates, cache_dir=args.cache_dir, progress=False)
        _write_predictions(args.predictions, scores.numpy(),
                           [dataset.classes[i] for i in dataset.labels], dataset.classes, list(range(len(dataset))),
                           args.top_k, {"task": "zeroshot", "model": lm.name, "dataset": dataset.name,
                                        "split": args.split, "templates": record["params"]["template_list"],
                                        "probabilities": "softmax of the zero-shot logits (tasks.zeroshot)",
                                        "id": "index in the evaluated split (after --limit)"})
    return 0


# ----------------------------------------------------------------------------- probe


def _probe_parser(sub: argparse._SubParsersAction) -> None:
    # lazy: keeps torch out of the CLI until needed
    from clip_course.tasks.logreg import FITTERS
    from clip_course.tasks.probe import GRID_STEPS, SEARCHES

    p = add_command(sub, "probe", run_probe,
                    "Logistic regression on frozen image features, as in the CLIP paper: C swept over "
                    "1e-6..1e6 on a validation split of train, refit on train+val, test top-1/top-5. "
                    "--kshot adds k-shot probes over seeds beside zero-shot accuracy on the same test set. "
                    "Writes a JSON record with every parameter beside the metrics. " + _TOP1_KEY +
                    " With --kshot, metrics.k_shot and metrics.zero_shot.top1 (percent) as well.", HELP["probe"])
    add_model(p)
    add_profile(p)
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
    add_predictions(p)
    p.set_defaults(_out_kind="file")


def _parse_ks(text: str) -> tuple[int | None, ...]:
    """``"1,2,4,full"`` -> (1, 2, 4, None)."""
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


def _parse_seeds(text: str) -> tuple[int, ...]:
    """``"0,1,2"`` -> (0, 1, 2)."""
    try:
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise ProbeError(f"--seeds must be comma-separated integers, got {text!r}.") from None


def probe_features(args: argparse.Namespace) -> tuple:
    """(model, train dataset, test dataset, train features, test features) for ``probe``."""
    # lazy: keeps torch out of the CLI until needed
    from clip_course.core.feature_cache import image_features
    from clip_course.core.models import load
    from clip_course.data.catalog import load_dataset

    train, test = (with_classnames(load_dataset(args.dataset, split, root=args.data_root, limit=args.limit,
                                                seed=args.seed), args.classnames) for split in ("train", "test"))
    lm = load(args.model, device=args.device, trust=args.trust_checkpoint)
    feats = [image_features(lm, ds, normalize=args.normalize, cache_dir=args.cache_dir) for ds in (train, test)]
    return lm, train, test, feats[0], feats[1]


def run_probe(args: argparse.Namespace) -> int:
    """``probe``: the paper's probe protocol, optionally with k-shot probes and zero-shot."""
    # lazy: torch and the probe, for the work commands only
    import numpy as np

    from clip_course.tasks import probe
    from clip_course.tasks.kshot import k_shot
    from clip_course.tasks.zeroshot import classification_metrics, predict

    ks, seeds = _parse_ks(args.ks), _parse_seeds(args.seeds)  # fail on bad flags before loading anything
    apply_profile(args)
    start = time.perf_counter()
    lm, train, test, Xtr, Xte = probe_features(args)
    device = args.device or lm.device
    result = probe.run_probe(Xtr, train.labels, Xte, test.labels, train.classes, args.val_fraction, args.seed,
                             args.fitter, args.search, args.steps, device, args.max_iter,
                             test_logits=bool(args.predictions))
    params, m = result["params"], result["metrics"]
    params.update({"normalize": args.normalize, "train_size": len(train), "limit": args.limit,
                   "train_fingerprint": train.fingerprint[:16]})
    print(f"{printable(args.model)} on {printable(test.name)} ({len(train)} train / {len(test)} test, "
          f"{args.fitter}): {probe.summary(result, len(params['classes']))}")
    if args.predictions:  # test images of classes without training images are left out, as in the metrics
        trained = set(np.asarray(train.labels).tolist())
        kept = [i for i, label in enumerate(np.asarray(test.labels).tolist()) if label in trained]
        _write_predictions(args.predictions, result["test_logits"],
                           [test.classes[test.labels[i]] for i in kept], params["classes"], kept, args.top_k,
                           {"task": "probe", "model": args.model, "dataset": test.name, "split": "test",
                            "C": m["C"], "probabilities": "the fitted logistic regression's",
                            "id": "index in the test split (after --limit)"})
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
    p = add_command(sub, "styleclip", _run_styleclip,
                    "StyleCLIP latent optimisation: CLIP loss + l2_lambda * ||w - w0||^2, Adam with "
                    "StyleCLIP's schedule. Writes figures, a GIF and result.json to --out.", HELP["styleclip"])
    p.add_argument("--text", help="target description, e.g. 'a blue circle' or 'a woman with purple hair'")
    p.add_argument("--start", default=None,
                   help="offline: a ShapesWorld phrase (default 'a red circle'); StyleGAN2: 'random' "
                   "(seeded, truncation 0.7), 'mean' or a W+ .pt file; or a latent .pt file")
    p.add_argument("--steps", type=int, default=300, help="optimisation steps (StyleCLIP: 300)")
    p.add_argument("--lr", type=float, default=0.1, help="initial learning rate (StyleCLIP: 0.1)")
    p.add_argument("--l2-lambda", type=float, default=0.008, help="weight of ||w - w0||^2 (StyleCLIP: 0.008)")
    add_seed(p, "the start latent")
    p.add_argument("--generator", default="offline",
                   help="'offline' (ShapesWorld VAE), 'stylegan2' (data/stylegan2-ffhq-config-f.pt) or a "
                        "checkpoint path")
    add_model(p, None, " (default: the --profile's; with auto, the generator's: miniclip for the offline one, "
                       "ViT-B/32 for StyleGAN2)")
    add_profile(p)
    add_device(p)
    p.add_argument("--out", default="results/styleclip", help="output folder")
    p.set_defaults(_out_kind="folder")
    p.add_argument("--train-generator", action="store_true",
                   help="retrain the shipped offline generator (clip_course/generators/assets/shapes_generator.pt; "
                   "same device kind, same bytes) and exit")


def _run_styleclip(args: argparse.Namespace) -> int:
    """``styleclip``: one edit, its figures, GIF and ``result.json``."""
    # lazy: keeps torch out of the CLI until needed
    from clip_course.core.device import default_device
    from clip_course.figures import styleclip as figs
    from clip_course.generators import shapes_generator
    from clip_course.tasks import styleclip, styleclip_studies

    if args.train_generator:
        path = shapes_generator.train_shapes_generator(device=args.device or default_device())
        print(f"wrote {path}")
        return 0
    text = styleclip.check_text(args.text)
    if args.profile != "auto":  # auto: the generator decides the model (cli_setup)
        apply_profile(args, fill_dataset=False)
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
    # lazy: keeps torch out of the CLI until needed
    from clip_course.tasks.pretrain import shipped_config

    defaults = shipped_config()
    p = add_command(sub, "pretrain", _run_pretrain,
                    "Train MiniCLIP from scratch with CLIP's contrastive objective on ShapesWorld. With the "
                    "defaults it reproduces the shipped checkpoint byte for byte (on a CPU) and reports "
                    "whether the sha256 matches.", HELP["pretrain"])
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the state dict (default: miniclip-trained.pt in the user cache)")
    p.add_argument("--steps", type=int, default=defaults.steps, help="optimiser steps")
    p.add_argument("--seed", type=int, default=defaults.seed, help="random seed")
    add_device(p)
    p.add_argument("--evaluate", action="store_true", help="also report zero-shot accuracy on the ShapesWorld tests")
    p.add_argument("--ship", action="store_true", help=argparse.SUPPRESS)  # maintainers: refresh the assets
    p.set_defaults(_defaults=defaults, _out_kind="file")


def _run_pretrain(args: argparse.Namespace) -> int:
    """``pretrain``: retrain MiniCLIP and compare with the shipped checkpoint."""
    from dataclasses import asdict, replace

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
    if args.ship and metrics is not None:  # --ship evaluated the checkpoint above
        meta = pretrain.write_shipped(result, Path(out), metrics)
        print(f"shipped: {meta['xz_bytes'] / 1e6:.2f} MB compressed")
    return 0


# ----------------------------------------------------------------------------- assembly

#: Commands in --help order, each with the function that adds its sub-parser.
COMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "predict": predict_parser, "zeroshot": _zeroshot_parser, "probe": _probe_parser,
    "styleclip": _styleclip_parser, "pretrain": _pretrain_parser, "models": models_parser,
    "datasets": datasets_parser, "download": download_parser, "results": results_parser,
    "report": report_parser,
}


def build_parser(only: str | None = None, listing: bool = False) -> argparse.ArgumentParser:
    """The parser, with every command (or just ``only``'s, which imports less).

    ``listing``: the commands by name and one-line help only, without their flags (what ``--help``
    shows), so that no command's module is imported to answer it.
    """
    parser = argparse.ArgumentParser(
        prog="python -m clip_course",
        description="Reproduce and extend CLIP's evaluation: zero-shot, linear probe, StyleCLIP, "
        "and the course report. Run a command with --help for its options. Start with: "
        "python -m clip_course predict chelsea --labels 'a cat,a dog,a rocket'",
    )
    parser.add_argument("--version", action="version", version=f"clip-course {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add in COMMANDS.items():
        if listing:
            sub.add_parser(name, help=HELP[name])
        elif only is None or name == only:
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
    args = build_parser(only=command, listing=command is None).parse_args(argv)
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
