"""What the model is called and what the published figures beside it are, in words.

Every sentence naming the checkpoint goes through :func:`model_name`, which asks
:func:`clip_course.data.naming.model_name` (the checkpoint's sha256 decides: "OpenAI's ViT-B/32" only
for OpenAI's published hash or a verified hub copy; any other file by its file name and hash, never
a path). Split from :mod:`clip_course.report.prose`, which re-exports these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clip_course.data.naming import ModelName
from clip_course.data.naming import model_name as _model_name
from clip_course.data.naming import session_model_name as session_name
from clip_course.report.i18n import Bi, maybe_tr, tr

__all__ = [
    "display_name", "face_readout_sentence", "model_identity", "model_name", "model_table_caption", "ModelName",
    "no_training_log", "offline_generator_note", "published_figures_note", "session_name", "stylegan2_note",
]


def model_name(model: Mapping[str, Any] | Any) -> Bi:
    """What the report calls the model of a results ``model`` record (or a :class:`ModelName`), decided
    by its checkpoint's sha256 (:func:`clip_course.data.naming.model_name`): never a path."""
    n = model if isinstance(model, ModelName) else _model_name(model)
    return Bi(n.en, n.zh)


def display_name(model: Any) -> Bi | str:
    """A name passed by a notebook: a record or a :class:`ModelName` is named by its hash; a plain
    name that looks like a path keeps only its file name."""
    if isinstance(model, Mapping | ModelName):
        return model_name(model)
    text = str(model)
    return text.replace("\\", "/").rsplit("/", 1)[-1] if "/" in text and "." in text.rsplit("/", 1)[-1] else text


def model_identity(model: Mapping[str, Any]) -> Bi:
    """What the checkpoint is, from a results ``model`` record with its ``origin``
    (:func:`clip_course.core.models.checkpoint_origin`), named by :func:`model_name`: OpenAI's release
    only when its sha256 is the published one (or it is their hub copy, verified, converted here);
    otherwise its file name and sha256 (never a path) and that it is not OpenAI's released weights."""
    origin = model.get("origin") or {}
    sha = str(model.get("checkpoint_sha256") or origin.get("sha256") or "")
    n = _model_name(model)
    if n.kind == "openai":
        return tr("The model is {name}, the released file (sha256 {sha}…, OpenAI's published value)",
                  name=model_name(n), sha=sha[:16])
    if n.kind == "hub":
        check = (tr("equal to the value recorded in the package") if origin.get("verified")
                 else tr("recorded at its first download, with no published value to check it against"))
        who = (tr("OpenAI's CLIP {model}", model=origin["model"]) if n.openai
               else tr("an unverified copy of CLIP {model}", model=origin["model"]))
        return tr("The model is {who} from the Hugging Face hub copy {source}, converted to OpenAI's layout (tensor "
                  "sha256 {tensors}…, {check})", who=who, source=origin.get("source"),
                  tensors=str(origin.get("tensors_sha256"))[:16], check=check)
    if n.kind == "miniclip":
        return tr("The model is MiniCLIP (sha256 {sha}…), pretrained by this package on ShapesWorld", sha=sha[:16])
    return tr("The model is {name}, not OpenAI's released weights: its sha256 ({sha}) is not OpenAI's published one, "
              "so our numbers measure that file and the published figures beside them another model",
              name=model_name(n), sha=sha)


def published_figures_note(comparable: bool, offline: bool, model: Any, what: str = "hatched bars",
                           templates: int | None = None) -> Bi:
    """Whether the published CIFAR figures beside ours measure the same thing (the same model and data).

    ``model``: a results ``model`` record or :class:`ModelName` (named by its hash), or a name. Published
    bars are drawn (hatched) only beside comparable numbers, so otherwise the note points at the table."""
    if not comparable and what == "hatched bars":
        what = "zero-shot figures of the table's last column"
    what = maybe_tr(what)
    if comparable and templates is not None and templates != 18:  # the paper's CIFAR ensemble has 18 templates
        return tr("These are CIFAR test images and OpenAI's released weights, so the {what} are for the same model; "
                  "the paper's figures (Table 11) use its 18-template ensemble and this build {k} templates, so the "
                  "templates are part of any difference.", what=what, k=templates)
    if comparable:
        return tr("These are CIFAR test images and OpenAI's released weights, so the {what} are directly comparable: "
                  "the paper's figures (Table 11) use the same 18-template ensemble; CLIP_benchmark's are LAION's "
                  "independent re-measurement of the same model.", what=what)
    if offline:
        # each table's caveat names its own comparison: the probe table compares the probe with zero-shot
        shape = (tr("the probe against zero-shot, coarse against fine") if "probe" in str(what) else
                 tr("coarse against fine, ensemble against single"))
        return tr("**Offline profile:** the {what} are the published CIFAR-10/100 figures for ViT-B/32 and are "
                  "*not* comparable numerically with {model} on ShapesWorld: they are quoted for the shape of the "
                  "comparison ({shape}), not its values.", what=what, model=display_name(model), shape=shape)
    return tr("**Not comparable:** the {what} are the published figures for OpenAI's released ViT-B/32, and the "
              "model measured here, {model}, is not that file (see the abstract): they are quoted, not matched.",
              what=what, model=display_name(model))


def model_table_caption(name: ModelName, offline: bool) -> Bi:
    """Notebook 01's model table: the loaded model's architecture, set beside OpenAI's ViT-B/32 only when it
    is another model (OpenAI's own file, by its sha256, is not compared with itself)."""
    if offline:
        return tr("The loaded model's architecture, read off the model itself, beside OpenAI's ViT-B/32: the offline "
                  "MiniCLIP is the same class at a fraction of the size.")
    if name.openai:
        return tr("The architecture of {name}, read off the loaded model itself; its checkpoint's sha256 is the one "
                  "OpenAI published.", name=model_name(name))
    return tr("The architecture of {name}, read off the loaded model itself, beside OpenAI's ViT-B/32: its sha256 "
              "is not the one OpenAI published.", name=model_name(name))


def no_training_log(model: Mapping[str, Any]) -> Bi:
    """Notebook 01's pretraining section outside the offline profile."""
    n = _model_name(model)
    if n.openai:
        return tr("{name} comes pretrained by OpenAI: there is no training log to show.", name=model_name(n))
    return tr("This checkpoint came without a training log, so no pretraining curve is shown.")


def offline_generator_note(checkpoint: str) -> Bi:
    """Notebook 05 in the paper profile without the StyleGAN2 checkpoint: the one paragraph the
    chapter prints instead of a study of synthetic shapes (which generator ran, why, what a run with
    the checkpoint shows, and where the download step is)."""
    return tr("**Which generator ran.** The original course report's StyleCLIP edits ran on StyleGAN2 FFHQ, a "
              "generator of 1024 px faces, and so does this chapter when that checkpoint ({checkpoint}, about "
              "380 MB) is on disk. It was not on disk for this build, so no face was edited: the notebook ran the "
              "same code on the package's small generator of synthetic shapes, which says nothing about faces, "
              "and this report leaves those numbers out. With the checkpoint (Appendix B gives the download step) "
              "and a GPU, this chapter edits a face toward \"a woman with purple hair\" as the original course "
              "report did, reads the face before and after with CLIP prompts (the purple hair asked for, and the "
              "lips, background and clothes the original saw change with it), and shows \"a really sad person\" "
              "as a strip of frames.", checkpoint=Path(checkpoint).name)


def stylegan2_note(checkpoint: str, model: Bi) -> Bi:
    """Notebook 05 in the paper profile with StyleGAN2 FFHQ on disk: which generator ran, guided by which CLIP."""
    return tr("**Which generator ran.** StyleGAN2 FFHQ, a generator of 1024 px faces ({checkpoint}, the checkpoint "
              "StyleCLIP uses), guided by {model}: a face is edited toward \"a woman with purple hair\" as in the "
              "original course report, CLIP's own prompts read the face before and after, and \"a really sad "
              "person\" is shown as a strip of frames.", checkpoint=Path(checkpoint).name, model=model)


def face_readout_sentence(text: str) -> Bi:
    """Under the face readout table: what its shares are, and are not."""
    return tr("[Table](#tab-face-readout) gives CLIP's share of each prompt (a softmax over the listed prompts) on the "
              "face before and after the edit toward “{text}”: the change asked for and the ones the original course "
              "report saw come with it. One face is one unit, so these are this face's shares, not a rate over "
              "faces.", text=text)
