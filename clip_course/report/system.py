"""The system tools the report PDF needs, each checked on its own on every build.

Three, each with its Debian package: Chromium prints the PDF (``chromium``), a local MathJax
renders the math (``libjs-mathjax``; without it the PDF would show TeX source), and a CJK font
draws Chinese (``fonts-noto-cjk``; without it every Chinese character is an empty box, and both
editions hold some). :func:`ensure` checks all three: as root on Debian it installs the missing
ones with apt-get, elsewhere it stops with one line naming each missing package.

:func:`fingerprint` says what the renderer had (which Chromium, which MathJax, which CJK fonts):
the PDF's stamp holds it, so installing a font makes the next build print the PDF again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from clip_course.errors import ChromiumNotFoundError, SystemDependencyError

__all__ = [
    "can_install", "CHROMIUM_ENV", "cjk_fonts", "DEBIAN_PACKAGES", "ensure", "find_chromium", "find_mathjax",
    "fingerprint", "install", "MATHJAX_ENV", "message", "missing",
]

CHROMIUM_ENV = "CLIP_COURSE_CHROMIUM"
MATHJAX_ENV = "CLIP_COURSE_MATHJAX"
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
_MATHJAX_PATHS = ("/usr/share/javascript/mathjax/MathJax.js", "/usr/share/mathjax/MathJax.js")


def _playwright_chromes() -> list[Path]:
    roots = [Path(os.environ["PLAYWRIGHT_BROWSERS_PATH"])] if os.environ.get("PLAYWRIGHT_BROWSERS_PATH") else []
    roots.append(Path.home() / ".cache" / "ms-playwright")
    found: list[Path] = []
    for root in roots:
        for pattern in ("chromium-*/chrome-linux*/chrome", "chromium_headless_shell-*/chrome-linux*/headless_shell"):
            found.extend(sorted(root.glob(pattern), reverse=True))
    return found


def find_chromium() -> Path | None:
    """Chromium from $CLIP_COURSE_CHROMIUM, PATH, or Playwright's browser folder; None if absent."""
    env = os.environ.get(CHROMIUM_ENV)
    if env:
        if not (Path(env).is_file() and os.access(env, os.X_OK)):
            raise ChromiumNotFoundError(f"${CHROMIUM_ENV}={env} is not an executable file.")
        return Path(env)
    for name in _CHROMIUM_NAMES:
        if path := shutil.which(name):
            return Path(path)
    return next(iter(_playwright_chromes()), None)


def find_mathjax() -> Path | None:
    """A local MathJax 2 (``$CLIP_COURSE_MATHJAX``, else Debian's libjs-mathjax), or None."""
    candidates = [os.environ[MATHJAX_ENV]] if os.environ.get(MATHJAX_ENV) else list(_MATHJAX_PATHS)
    return next((Path(p).resolve() for p in candidates if Path(p).is_file()), None)


def cjk_fonts() -> list[str]:
    """The font files fontconfig offers for Chinese (``fc-list :lang=zh``), sorted; empty when
    there is none (or no fontconfig, in which case Chromium finds none either)."""
    fc = shutil.which("fc-list")
    if fc is None:
        return []
    try:
        out = subprocess.run([fc, ":lang=zh", "file"], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip().rstrip(":") for line in out.splitlines() if line.strip()})


@dataclass(frozen=True)
class _Dependency:
    """One system tool of the report build: what it is for, its Debian package, how to find it."""

    name: str
    package: str
    why: str
    #: The name of this module's function that finds it (looked up when called, so tests can stand in).
    finder: str

    def present(self) -> bool:
        return bool(globals()[self.finder]())


_DEPENDENCIES = (
    _Dependency("Chromium", "chromium", "prints the PDF", "find_chromium"),
    _Dependency("MathJax", "libjs-mathjax", "renders the math (else the PDF shows TeX source)", "find_mathjax"),
    _Dependency("a CJK font", "fonts-noto-cjk", "draws Chinese (else empty boxes)", "cjk_fonts"),
)
#: Every package, for the install hint.
DEBIAN_PACKAGES = tuple(d.package for d in _DEPENDENCIES)


def missing(deps: tuple[_Dependency, ...] = _DEPENDENCIES) -> list[_Dependency]:
    """The dependencies this machine lacks, each checked on its own."""
    return [d for d in deps if not d.present()]


def can_install() -> bool:
    """Root on Debian with apt-get: the build installs what is missing itself."""
    return (hasattr(os, "geteuid") and os.geteuid() == 0 and Path("/etc/debian_version").is_file()
            and shutil.which("apt-get") is not None)


def install(packages: list[str]) -> None:
    """``apt-get update`` then ``apt-get install -y`` the packages, saying so first."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                                                 *packages]):
        print("report: running " + " ".join(cmd), flush=True)
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-2:])
            raise SystemDependencyError(f"`{' '.join(cmd)}` failed (exit {proc.returncode}): {tail}")


def message(lacking: list[_Dependency]) -> str:
    """One line per missing package (the CLI joins them into its one error line)."""
    lines = [f"the report build lacks {d.name}, which {d.why}: install the Debian package {d.package}"
             for d in lacking]
    lines.append(f"  sudo apt-get install -y {' '.join(d.package for d in lacking)}")
    if any(d.package == "chromium" for d in lacking):
        lines.append(f"  (Chromium also: pip install playwright && python -m playwright install chromium, "
                     f"or export {CHROMIUM_ENV}=/path/to/chrome)")
    return "\n".join(lines)


def ensure(deps: tuple[_Dependency, ...] = _DEPENDENCIES) -> None:
    """Check each dependency; as root on Debian install the missing ones, else raise naming each.

    Raises :class:`ChromiumNotFoundError` when Chromium is among the missing (a subclass of
    :class:`SystemDependencyError`), else :class:`SystemDependencyError`.
    """
    lacking = missing(deps)
    if lacking and can_install():
        install([d.package for d in lacking])
        lacking = missing(deps)
    if lacking:
        error = ChromiumNotFoundError if any(d.package == "chromium" for d in lacking) else SystemDependencyError
        raise error(message(lacking))


def fingerprint() -> dict[str, str | list[str] | None]:
    """What the renderer has: Chromium's path and version, MathJax's path and size, the CJK font
    files. A PDF printed with other tools (a font installed since, MathJax removed) is not current."""
    chromium = _find_chromium_quietly()
    mathjax = find_mathjax()
    fonts = cjk_fonts()
    return {
        "chromium": None if chromium is None else f"{chromium} {_version(chromium)}",
        "mathjax": None if mathjax is None else f"{mathjax} {_size(mathjax)}",
        "cjk_fonts": hashlib.sha256("\n".join(fonts).encode()).hexdigest() if fonts else None,
    }


def _find_chromium_quietly() -> Path | None:
    """:func:`find_chromium`, with an unusable ``$CLIP_COURSE_CHROMIUM`` as None (the build says why)."""
    try:
        return find_chromium()
    except ChromiumNotFoundError:
        return None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _version(chromium: Path) -> str:
    try:
        out = subprocess.run([str(chromium), "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "?"
