"""Write (or check) every notebook's Open-in-Colab badge and Colab install cell from one setting.

    python tools/colab_cells.py            # rewrite notebooks/*.ipynb from pyproject.toml
    python tools/colab_cells.py --check    # exit 1 naming each notebook that disagrees (CI)
    python tools/colab_cells.py a.ipynb    # only these notebooks

The setting is ``[project.urls] Repository`` in pyproject.toml. The install cell is the first
code cell that tests ``"google.colab" in sys.modules``; it is replaced whole by
:func:`install_cell`. The badge is the ``[![Open In Colab](...colab-badge.svg)](URL)`` link in
the first markdown cell; its URL is replaced (a missing badge is added under the title).

Why the install cell looks the way it does:

- Colab's torch and torchvision are built for its GPU and CUDA. The cell writes their installed
  versions to a pip *constraints* file, so pip keeps them: it installs the package with all its
  other dependencies (clip-anytorch, scikit-learn, ...) from pyproject.toml as usual, but can
  neither up- nor downgrade torch/torchvision; a dependency that needed another torch would make
  pip fail loudly instead of silently swapping Colab's CUDA build. (``--no-deps`` would need the
  dependency list copied into every notebook, and would drift from pyproject.toml.)
- ``setuptools<82``: clip-anytorch 2.6 does ``from pkg_resources import packaging`` and
  setuptools 82 removed ``pkg_resources``.
- A package that was already imported in the running kernel and changed version (setuptools,
  numpy, pillow) only takes effect after a restart: the cell says so and names it; otherwise no
  restart is needed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clip_course import repository  # noqa: E402

COLAB_MARKER = '"google.colab" in sys.modules'
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE_RE = re.compile(r"\[!\[Open In Colab\]\(" + re.escape(BADGE_IMAGE) + r"\)\]\(([^)\s]*)\)")

INSTALL_CELL = '''\
# On Colab, install the package first (elsewhere `make setup` has done it).
# Written by tools/colab_cells.py from [project.urls] Repository in pyproject.toml: edit there.
import sys

if {marker}:
    import importlib.metadata as md
    from pathlib import Path

    def version(dist):
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return None

    # Keep Colab's own torch and torchvision (built for its GPU): pip may not change them.
    Path("/tmp/keep_colab_torch.txt").write_text(
        "".join(f"{{p}}=={{version(p)}}\\n" for p in ("torch", "torchvision") if version(p)))
    imported = {{"setuptools": "pkg_resources", "numpy": "numpy", "pillow": "PIL"}}
    before = {{p: version(p) for p in imported}}
    # setuptools<82: clip imports pkg_resources, which setuptools 82 removed.
    %pip install -q -c /tmp/keep_colab_torch.txt "setuptools<82" {package}
    changed = [p for p, m in imported.items()
               if version(p) != before[p] and (m in sys.modules or p in sys.modules)]
    if changed:
        print(f"Installed. Restart the session now (Runtime > Restart session) and run the "
              f"notebook again from the top: {{', '.join(changed)}} changed after import.")
    else:
        print("Installed; no restart needed.")'''


def install_cell(url: str) -> str:
    """The Colab install cell's source for the repository at ``url``."""
    return INSTALL_CELL.format(marker=COLAB_MARKER, package=repository.colab_package(url))


def badge(url: str, stem: str) -> str:
    """The Open-in-Colab badge (markdown) of ``notebooks/<stem>.ipynb``."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({repository.colab_base(url)}{stem}.ipynb)"


def problems(nb: nbformat.NotebookNode, stem: str, url: str) -> list[str]:
    """What in ``nb`` disagrees with the setting (empty when badge and install cell agree)."""
    found = []
    md = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    links = BADGE_RE.findall(md.source) if md is not None else []
    want = f"{repository.colab_base(url)}{stem}.ipynb"
    if not links:
        found.append("no Open-in-Colab badge in its first markdown cell")
    for link in links:
        if link != want:
            found.append(f"badge points at {link}, not {want}")
    cell = next((c for c in nb.cells if c.cell_type == "code" and COLAB_MARKER in c.source), None)
    if cell is None:
        found.append(f"no Colab install cell (a code cell testing {COLAB_MARKER})")
    elif cell.source != install_cell(url):
        found.append(f"its Colab install cell is not the one for {url}")
    return found


def rewrite(nb: nbformat.NotebookNode, stem: str, url: str) -> bool:
    """Make ``nb``'s badge and install cell agree with ``url``; returns True if it changed."""
    before = nbformat.writes(nb)
    md = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if md is None:
        md = nbformat.v4.new_markdown_cell(f"# {stem}")
        nb.cells.insert(0, md)
    if BADGE_RE.search(md.source):
        md.source = BADGE_RE.sub(lambda _: badge(url, stem), md.source)
    else:
        title, sep, rest = md.source.partition("\n")
        md.source = f"{title}\n\n{badge(url, stem)}\n{sep}{rest}".rstrip("\n")
    cell = next((c for c in nb.cells if c.cell_type == "code" and COLAB_MARKER in c.source), None)
    if cell is None:
        first_code = next((i for i, c in enumerate(nb.cells) if c.cell_type == "code"), len(nb.cells))
        nb.cells.insert(first_code, nbformat.v4.new_code_cell(install_cell(url)))
        nbformat.validator.normalize(nb)
    else:
        cell.source = install_cell(url)
    return nbformat.writes(nb) != before


def main(argv: list[str] | None = None) -> int:
    """Rewrite or ``--check`` notebooks; exit 1 from ``--check`` when any disagrees."""
    p = argparse.ArgumentParser(description="Colab badges and install cells from [project.urls] Repository.")
    p.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    p.add_argument("--check", action="store_true", help="only report; exit 1 if any notebook disagrees")
    p.add_argument("--pyproject", type=Path, default=ROOT / "pyproject.toml", help="where the setting is")
    args = p.parse_args(argv)
    try:
        url = repository.repository_url(args.pyproject)
        repository.github_slug(url)
    except repository.RepositoryError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    paths = args.paths or sorted((ROOT / "notebooks").glob("*.ipynb"))
    bad = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            for problem in problems(nb, path.stem, url):
                print(f"{path}: {problem}. Run `python tools/colab_cells.py` to rewrite it.")
                bad += 1
        elif rewrite(nb, path.stem, url):
            nbformat.write(nb, path)
            print(f"rewrote {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
