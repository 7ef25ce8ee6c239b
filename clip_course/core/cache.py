"""The user cache folder: where the package keeps what it can rebuild (unpacked checkpoints,
image and text features), never the current directory.

``$CLIP_COURSE_CACHE`` when set, else ``$XDG_CACHE_HOME/clip_course``, else ``~/.cache/clip_course``
(the XDG base-directory default). A run from any folder, a notebook opened in JupyterLab or a
papermill run all share one cache and leave no ``data/cache`` behind them.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["Path", "resolve_cache_dir", "USER_CACHE", "user_cache_dir"]

#: Pass as ``cache_dir`` to mean :func:`user_cache_dir` (resolved when used, so a changed
#: ``CLIP_COURSE_CACHE`` is honoured); ``None`` still means no disk cache.
USER_CACHE = "<user cache>"


def user_cache_dir() -> Path:
    """``$CLIP_COURSE_CACHE``, else ``$XDG_CACHE_HOME/clip_course``, else ``~/.cache/clip_course``."""
    own = os.environ.get("CLIP_COURSE_CACHE")
    if own:
        return Path(own).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "clip_course"


def resolve_cache_dir(cache_dir: str | os.PathLike | None) -> Path | None:
    """``cache_dir`` as a folder: :data:`USER_CACHE` -> :func:`user_cache_dir`, None -> None."""
    if cache_dir is None:
        return None
    return user_cache_dir() if str(cache_dir) == USER_CACHE else Path(cache_dir)
