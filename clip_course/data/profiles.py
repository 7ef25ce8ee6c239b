"""Profiles: which model and datasets a run uses, and why.

- ``paper``: CLIP ViT-B/32 on CIFAR-10 / CIFAR-100 (needs ``make download`` once);
- ``offline``: the shipped MiniCLIP on ShapesWorld's ``shapes10`` / ``shapes100``, which
  runs anywhere without a network.

``auto`` picks ``paper`` only when its weights and both CIFARs are already on disk, and
says in :attr:`Profile.reason` which file decided it: it never downloads. ``paper`` asked for
with assets missing fetches them on demand when the machine is online (what ``make download``
does: clip's sha256-checked download with the Hugging Face hub fallback, CIFAR through
torchvision, with progress bars), and stops with the reason when it cannot.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from clip_course.errors import DownloadError, ModelLoadError, ProfileError

__all__ = ["missing_paper_assets", "offline", "paper", "Path", "Profile", "PROFILE_NAMES", "resolve"]

PROFILE_NAMES = ("auto", "paper", "offline")
_PAPER_MODEL = "ViT-B/32"


@dataclass(frozen=True)
class Profile:
    """The model and the coarse / fine datasets of a run, with the reason for the choice."""

    name: str
    model: str
    coarse: str
    fine: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """Plain dict, for result JSONs and notebook parameters."""
        return asdict(self)


def missing_paper_assets(data_root: str | Path = "data", model: str | None = _PAPER_MODEL) -> list[str]:
    """What the paper profile needs for ``model`` and is not on disk (empty when it can run).

    openai's weights count only when their sha256 is openai's (or when they were fetched from
    the Hugging Face hub and converted); a checkpoint path counts when it is a file.
    """
    # lazy: keeps torch out of profiles (the CLI's instant commands import it) until needed
    from clip_course.core.models import weights_problem
    from clip_course.data.cifar import _CIFAR, cifar_present

    missing = []
    problem = weights_problem(model or _PAPER_MODEL)
    if problem:
        missing.append(problem)
    for name in ("cifar10", "cifar100"):
        if not cifar_present(name, data_root):
            missing.append(f"{name} ({Path(data_root) / str(_CIFAR[name]['folder'])})")
    return missing


def _fetch_on_demand(data_root: str | Path, model: str, missing: list[str]) -> list[str]:
    """Fetch the paper profile's missing assets (online only); what is still missing after it.

    Nothing is fetched for a checkpoint path, nor over a user's file at openai's weights path.
    """
    # lazy: keeps torch out of profiles (the CLI's instant commands import it) until needed
    from clip_course.core.models import available_models, model_spec
    from clip_course.data.download import download_paper_assets
    # lazy: keeps torch out of profiles (the CLI's instant commands import it) until needed

    try:
        kind = model_spec(model).kind if model not in available_models() else "openai"
    except ModelLoadError:
        kind = "other"
    if kind == "other":
        return missing  # a path: nothing to fetch for it (CIFAR alone would not make it run)
    print("The paper profile's assets are not all on disk; fetching them (needs internet): " + "; ".join(missing),
          flush=True)
    try:
        download_paper_assets(data_root, model)
    except DownloadError as err:
        return [*missing, f"nothing could be fetched: {err}"]
    return missing_paper_assets(data_root, model)


def paper(reason: str) -> Profile:
    """The paper profile."""
    return Profile("paper", _PAPER_MODEL, "cifar10", "cifar100", reason)


def offline(reason: str) -> Profile:
    """The offline profile."""
    return Profile("offline", "miniclip", "shapes10", "shapes100", reason)


def resolve(profile: str = "auto", data_root: str | Path = "data", model: str | None = None) -> Profile:
    """The profile to run: ``paper``, ``offline``, or ``auto`` (paper when its assets are here).

    ``model`` is the model the run will load (None: the paper profile's ViT-B/32): its weights
    are the ones checked.
    """
    if profile not in PROFILE_NAMES:
        raise ProfileError(f"Unknown profile {profile!r}; choose one of {list(PROFILE_NAMES)}.")
    if profile == "offline":
        return offline("The offline profile was asked for.")
    model = model or _PAPER_MODEL
    missing = missing_paper_assets(data_root, model)
    if profile == "paper":
        if missing:
            missing = _fetch_on_demand(data_root, model, missing)
        if missing:
            raise ProfileError(
                "The paper profile needs files that are not on disk: " + "; ".join(missing)
                + ". Run `make download` on a machine with internet, or use --profile offline."
            )
        return paper(f"The paper profile was asked for and the {model} weights and CIFAR are on disk.")
    if missing:
        return offline(
            "auto chose offline because the paper profile's assets are missing: "
            + "; ".join(missing) + " (run `make download` to get them)."
        )
    return paper(f"auto chose paper: the {model} weights and CIFAR-10/100 are on disk.")
