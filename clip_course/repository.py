"""The repository's address, from one setting: ``[project.urls] Repository`` in pyproject.toml.

Open-in-Colab badges, the notebooks' Colab install cells (written by ``tools/colab_cells.py``)
and :data:`clip_course.notebook.COLAB_PACKAGE` / ``COLAB_BASE`` all derive from it. In a source
checkout the checkout's own ``pyproject.toml`` is read (so an edit there counts at once); an
installed package reads its metadata (``importlib.metadata``'s ``Project-URL``). To move the
repository, change that one line and run ``python tools/colab_cells.py``.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

from clip_course.errors import ClipCourseError

__all__ = [
    "colab_base", "colab_package", "FALLBACK_URL", "github_slug", "importlib", "repository_url", "RepositoryError",
    "SOURCE_PYPROJECT", "url_from_pyproject",
]

#: The distribution name, for importlib.metadata.
_DISTRIBUTION = "clip-course"
#: The key under ``[project.urls]`` that holds the address.
URL_KEY = "Repository"
#: Used only when neither pyproject.toml nor installed metadata has the key (still a placeholder).
FALLBACK_URL = "https://github.com/clip-course/clip-course"
#: The branch Colab opens notebooks from.
_BRANCH = "main"
SOURCE_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


class RepositoryError(ClipCourseError, ValueError):
    """The repository setting is missing or not a GitHub address Colab can open."""


def url_from_pyproject(pyproject: str | Path) -> str | None:
    """``[project.urls] Repository`` of ``pyproject``, or None when it has none."""
    text = Path(pyproject).read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: a plain scan of the [project.urls] table
        table = re.search(r"^\[project\.urls\]\s*$(.*?)(?=^\[|\Z)", text, re.M | re.S)
        if not table:
            return None
        line = re.search(rf'^\s*"?{URL_KEY}"?\s*=\s*"([^"]+)"', table.group(1), re.M)
        return line.group(1) if line else None
    urls = tomllib.loads(text).get("project", {}).get("urls", {})
    return urls.get(URL_KEY)


def _url_from_metadata() -> str | None:
    """The ``Repository`` project URL of the installed distribution, or None."""
    try:
        entries = importlib.metadata.metadata(_DISTRIBUTION).get_all("Project-URL") or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == URL_KEY.lower():
            return url.strip()
    return None


def repository_url(pyproject: str | Path | None = None) -> str:
    """The repository address: ``pyproject`` if given, else the checkout's, else installed metadata."""
    if pyproject is not None:
        url = url_from_pyproject(pyproject)
        if url is None:
            raise RepositoryError(
                f"{pyproject} has no [project.urls] {URL_KEY} = \"https://github.com/OWNER/REPO\": add it."
            )
        return url.rstrip("/")
    url = url_from_pyproject(SOURCE_PYPROJECT) if SOURCE_PYPROJECT.is_file() else None
    return (url or _url_from_metadata() or FALLBACK_URL).rstrip("/")


def github_slug(url: str) -> str:
    """``OWNER/REPO`` of a GitHub address (Colab opens notebooks from GitHub only)."""
    m = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", url)
    if not m:
        raise RepositoryError(
            f"[project.urls] {URL_KEY} = {url!r} is not https://github.com/OWNER/REPO; Colab badges "
            f"need a GitHub repository. Fix the address in pyproject.toml."
        )
    return f"{m.group(1)}/{m.group(2)}"


def colab_package(url: str) -> str:
    """What ``pip install`` takes to install the package from the repository."""
    return f"git+https://github.com/{github_slug(url)}"


def colab_base(url: str, branch: str = _BRANCH) -> str:
    """The Open-in-Colab prefix of ``notebooks/`` in the repository (append ``<stem>.ipynb``)."""
    return f"https://colab.research.google.com/github/{github_slug(url)}/blob/{branch}/notebooks/"
