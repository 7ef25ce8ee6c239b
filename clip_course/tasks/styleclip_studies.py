"""StyleCLIP studies for notebook 05 and the CLI: which generator and model a profile uses,
batched start latents, what an edit changed (attribute readout), entanglement.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import torch

from clip_course.core import models
from clip_course.core.types import LoadedModelLike
from clip_course.data import profiles
from clip_course.errors import StyleCLIPError
from clip_course.generators import stylegan2
from clip_course.generators.editable import ATTRIBUTES, EditableGenerator, attribute_names
from clip_course.generators.load import load_editable
from clip_course.generators.shapes_generator import ShapesGenerator, find_attributes, parse_phrase
from clip_course.io import status
from clip_course.tasks.single_image import rank_images
from clip_course.tasks.styleclip import EditConfig, EditResult, edit

__all__ = [
    "attribute_changes", "cli_record", "cli_setup", "default_phrases", "edit_entry", "edits_faces",
    "entanglement_study", "face_readout", "FACE_READOUT_PROMPTS", "resolve_setup", "SAD_TEXT", "small_model_threads",
    "start_batch",
]

# -------------------------------------------------------------------- entanglement (offline)


def attribute_changes(generator: ShapesGenerator, result: EditResult) -> dict:
    """What the attribute readout sees before and after each edited sample.

    Per attribute (shape, colour, size, position, background): the predicted value before
    and after per sample, whether it changed, and the fraction of samples that changed. The
    readout is a separate CNN trained on ShapesWorld renders and reconstructions, not the
    CLIP model that guided the edit, so it is an independent witness.
    """
    if not isinstance(generator, ShapesGenerator):
        raise StyleCLIPError("attribute_changes needs the offline ShapesWorld generator (it has the readout).")
    names = attribute_names()

    def read(images: np.ndarray) -> dict[str, torch.Tensor]:
        x = torch.from_numpy(images).permute(0, 3, 1, 2).float() / 255
        return generator.read_attributes(x)

    before, after = read(result.before), read(result.after)
    out: dict[str, Any] = {}
    for attr in ATTRIBUTES:
        b, a = before[attr].argmax(-1), after[attr].argmax(-1)
        out[attr] = {
            "before": [names[attr][i] for i in b.tolist()],
            "after": [names[attr][i] for i in a.tolist()],
            "confidence_after": [round(float(p), 3) for p in after[attr].max(-1).values],
            "changed": (a != b).tolist(),
            "changed_fraction": float((a != b).float().mean()),
        }
    return out


def border_change(result: EditResult, border: int = 3) -> list[float]:
    """Mean absolute change (0..1) of the outer ``border`` pixels: mostly background."""
    mask = np.ones(result.before.shape[1:3], dtype=bool)
    mask[border:-border, border:-border] = False
    diff = np.abs(result.after.astype(np.float32) - result.before.astype(np.float32)) / 255
    return [round(float(d[mask].mean()), 5) for d in diff]


def edit_entry(result: EditResult, index: int = 0, start: object = None) -> dict:
    """One edit as the report reads it: prompt, steps, similarity before/after, and more."""
    s = result.summary()
    return {"prompt": result.text, "start": None if start is None else str(start),
            "steps": result.config.steps, "lr": result.config.lr,
            "l2_lambda": result.l2_lambdas[index], "id_lambda": result.config.id_lambda,
            "similarity_before": s["similarity_before"][index], "similarity_after": s["similarity_after"][index],
            "latent_distance": s["latent_distance"][index], "pixel_change": s["pixel_change"][index],
            "border_change": border_change(result)[index], "seconds": s["seconds"]}


def start_batch(generator: EditableGenerator, start: object, n: int, seed: int = 0) -> tuple[torch.Tensor, list[str]]:
    """``n`` related start latents and their labels, for measuring what an edit changes.

    Offline: the start phrase's shape and colour in varied sizes, positions and
    backgrounds (the first is the phrase itself). StyleGAN2: ``n`` seeds from ``seed``.
    """
    if n <= 0:
        raise StyleCLIPError(f"n must be a positive number of start images, got {n}.")
    if isinstance(generator, ShapesGenerator):
        base = parse_phrase(str(start))
        shape, colour = base["shape"], base["colour"]
        variants = [str(start)] + [
            f"a {size} {colour} {shape}{where} on a {bg} background"
            for size, where, bg in [
                ("small", "", "grey"), ("small", " on the left", "dark grey"), ("big", "", "light grey"),
                ("small", " at the top", "striped"), ("big", "", "checkered"), ("small", " on the right", "grey"),
                ("small", " at the bottom", "light grey"), ("big", "", "dark grey"), ("small", "", "striped"),
            ]
        ]
        labels = [variants[k % len(variants)] for k in range(n)]
        latents = torch.cat([generator.start_latent(t, seed=seed + k) for k, t in enumerate(labels)])
        return latents, labels
    labels = [f"seed {seed + k}" for k in range(n)]
    spec = start if start not in (None, "random") else "random"
    latents = torch.cat([generator.start_latent(spec, seed=seed + k) for k in range(n)])
    return latents, labels


def entanglement_study(
    generator: EditableGenerator,
    lm: LoadedModelLike,
    text: str,
    start: object,
    n: int = 8,
    config: EditConfig | None = None,
    progress: bool = True,
) -> tuple[EditResult, dict]:
    """Edit ``n`` related starts toward ``text`` (one batched run) and measure what changed.

    Always: similarity before/after, pixel change overall and on the border (mostly
    background). Offline also: the attribute readout before/after, whether the requested
    attributes were reached, and how often each *unrequested* attribute changed anyway.
    """
    config = config or EditConfig()
    latents, labels = start_batch(generator, start, n, config.seed)
    config = replace(config, record_every=config.steps)  # keep the start and the result only
    run = edit(generator, lm, text, latents, config, progress=progress)
    s = run.summary()
    summary: dict[str, Any] = {
        "text": run.text, "n": n, "starts": labels,
        "similarity_before_mean": float(np.mean(s["similarity_before"])),
        "similarity_after_mean": float(np.mean(s["similarity_after"])),
        "similarity_rose": float(np.mean(np.array(s["similarity_after"]) > np.array(s["similarity_before"]))),
        "pixel_change_mean": float(np.mean(s["pixel_change"])),
        "border_change_mean": float(np.mean(border_change(run))),
    }
    if isinstance(generator, ShapesGenerator) and generator.readout is not None:
        summary.update(_attribute_summary(generator, run))
    return run, summary


def _attribute_summary(generator: ShapesGenerator, run: EditResult) -> dict:
    changes = attribute_changes(generator, run)
    target = find_attributes(run.text)
    n = len(run.after)
    # Requested: what the text names with a value the start does not have.
    requested = {a: v for a, v in target.items() if any(b != v for b in changes[a]["before"])}
    reached = {a: sum(x == v for x in changes[a]["after"]) / n for a, v in requested.items()}
    leaked = {a: changes[a]["changed_fraction"] for a in ATTRIBUTES if a not in requested}
    return {"readout": changes, "target": target, "requested": requested,
            "requested_reached": reached, "unrequested_changed": leaked}


# ------------------------------------------------------------------------ profiles / setup


def resolve_setup(profile: str = "auto", generator: str | None = None, model: str | None = None) -> dict[str, str]:
    """Which generator and CLIP model a profile uses for StyleCLIP, and why.

    ``paper``: StyleGAN2 FFHQ + ViT-B/32, or, without the StyleGAN2 checkpoint, the offline
    ShapesWorld generator guided by the paper's CLIP (said in the reason: the chapter runs, the
    rest of the paper report is unchanged); ``offline``: the ShapesWorld generator + MiniCLIP;
    ``auto``: paper when its CLIP weights and the StyleGAN2 checkpoint are both on disk.
    """
    prof = profiles.resolve(profile, model=model)
    if prof.name == "paper" and generator is None and not stylegan2.DEFAULT_CHECKPOINT.is_file():
        missing = (f"no StyleGAN2 checkpoint at {stylegan2.DEFAULT_CHECKPOINT} (`make download` fetches it; "
                   f"it is optional)")
        if profile == "paper":
            return {"profile": prof.name, "model": prof.model, "generator": "offline",
                    "missing": str(stylegan2.DEFAULT_CHECKPOINT),
                    "reason": f"{prof.reason} {missing[0].upper()}{missing[1:]}, so this chapter edits "
                              f"with the offline ShapesWorld generator."}
        off = profiles.resolve("offline")
        return {"profile": off.name, "model": off.model, "generator": "offline",
                "reason": f"{prof.reason}; but {missing}"}
    gen = generator or ("stylegan2" if prof.name == "paper" else "offline")
    return {"profile": prof.name, "model": prof.model, "generator": gen, "reason": prof.reason}


def small_model_threads(gen: EditableGenerator) -> None:
    # The offline models are tiny: on CPU a second OpenMP thread only adds synchronisation,
    # which costs up to 10x on a busy machine. One thread, said out loud.
    if isinstance(gen, ShapesGenerator) and gen.device.type == "cpu" and torch.get_num_threads() > 1:
        torch.set_num_threads(1)
        status("torch: 1 CPU thread (the offline models are too small to gain from more)")


#: What the notebook edits when its ``text`` / ``start`` parameters are None.
_DEFAULTS = {
    "offline": {"text": "a blue circle", "start": "a red circle"},
    "paper": {"text": "a woman with purple hair", "start": "random"},  # the original course report's example
}


def default_phrases(gen: EditableGenerator) -> dict[str, str]:
    """The ``text`` / ``start`` defaults for the generator actually used (not the profile's)."""
    return _DEFAULTS["offline" if isinstance(gen, ShapesGenerator) else "paper"]


def cli_setup(generator: str, model: str | None, start: str | None,
              device: str | None, trust: bool = False) -> tuple[EditableGenerator, Any, str]:
    """The ``styleclip`` command's generator, CLIP model and start phrase (defaults follow the generator)."""
    gen = load_editable(generator, device=device)
    offline = isinstance(gen, ShapesGenerator)
    small_model_threads(gen)
    lm = models.load(model or ("miniclip" if offline else "ViT-B/32"), device=device, trust=trust)
    return gen, lm, start or ("a red circle" if offline else "random")


def cli_record(gen: EditableGenerator, lm: LoadedModelLike, start: str, result: EditResult) -> dict:
    """The ``styleclip`` command's ``result.json``: start, model, summary and attribute changes."""
    record = {"start": start, "model": lm.name, "checkpoint_sha256": lm.checkpoint_sha256, **result.summary()}
    if isinstance(gen, ShapesGenerator) and gen.readout is not None:
        record["attributes"] = attribute_changes(gen, result)
    return record


# -------------------------------------------------------------------- faces (StyleGAN2 FFHQ)

#: The original course report's second StyleCLIP edit, shown as a strip of frames.
SAD_TEXT = "a really sad person"
#: What CLIP is asked about each face before and after an edit: the requested change and the ones the
#: original course report saw come with it (lips, background, clothes), plus the smile "sad" should remove.
FACE_READOUT_PROMPTS = ("a person with purple hair", "a purple background", "a person with red lips",
                        "a person smiling", "a sad person", "a person in colourful clothes")


def edits_faces(gen: EditableGenerator) -> bool:
    """Whether ``gen`` draws faces (StyleGAN2 FFHQ), not the offline generator's synthetic shapes."""
    return not isinstance(gen, ShapesGenerator)


def face_readout(lm: LoadedModelLike, result: EditResult, prompts: tuple[str, ...] = FACE_READOUT_PROMPTS,
                 index: int = 0) -> list[dict[str, Any]]:
    """CLIP's readout of one edited face: for each prompt, its softmax share over ``prompts`` (the
    model's own logit scale) on the start and on the result, ``[{"prompt", "before", "after"}]``."""
    before, after = rank_images(lm, [result.before[index], result.after[index]], list(prompts))
    b, a = dict(before), dict(after)
    return [{"prompt": p, "before": float(b[p]), "after": float(a[p])} for p in prompts]
