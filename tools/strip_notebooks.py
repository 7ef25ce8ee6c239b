"""Clear outputs, execution counts and run metadata from notebooks before committing.

    python tools/strip_notebooks.py                 # strip notebooks/*.ipynb in place
    python tools/strip_notebooks.py a.ipynb b.ipynb # strip these
    python tools/strip_notebooks.py --check         # exit 1 if any notebook holds outputs

Only what an execution adds is removed (outputs, execution counts, papermill and execution
metadata, widget state); sources, tags and the notebook's own metadata stay.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

RUN_METADATA = ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime")
NOTEBOOK_RUN_METADATA = ("papermill", "widgets")


def strip(nb: nbformat.NotebookNode) -> bool:
    """Strip ``nb`` in place; returns True if anything changed."""
    changed = False
    for key in NOTEBOOK_RUN_METADATA:
        if key in nb.metadata:
            del nb.metadata[key]
            changed = True
    for cell in nb.cells:
        for key in RUN_METADATA:
            if key in cell.metadata:
                del cell.metadata[key]
                changed = True
        if cell.cell_type == "code":
            if cell.get("outputs"):
                cell.outputs = []
                changed = True
            if cell.get("execution_count") is not None:
                cell.execution_count = None
                changed = True
    return changed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Clear notebook outputs before committing.")
    p.add_argument("paths", nargs="*", type=Path, help="notebooks (default: notebooks/*.ipynb)")
    p.add_argument("--check", action="store_true", help="only report; exit 1 if any notebook needs stripping")
    args = p.parse_args(argv)
    paths = args.paths or sorted(Path("notebooks").glob("*.ipynb"))
    dirty = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if strip(nb):
            dirty.append(path)
            if not args.check:
                nbformat.write(nb, path)
    for path in dirty:
        print(f"{'holds outputs' if args.check else 'stripped'}: {path}")
    return 1 if args.check and dirty else 0


if __name__ == "__main__":
    sys.exit(main())
