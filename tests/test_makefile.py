"""`make lab`: starts as root too (Jupyter needs --allow-root there) and opens the repository root."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _lab_command(user_id: int) -> str:
    out = subprocess.run(["make", "-n", "-s", "lab", f"USER_ID={user_id}"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    [line] = [ln for ln in out.splitlines() if "jupyter lab" in ln]
    return line


@pytest.mark.parametrize("user_id, allow_root", [(0, True), (1000, False)])
def test_lab_allows_root_only_as_root_and_opens_the_repository_root(user_id, allow_root):
    line = _lab_command(user_id)
    assert ("--allow-root" in line) is allow_root
    assert f'--ServerApp.root_dir="{ROOT}"' in line
    assert not line.rstrip().endswith("notebooks")


def test_lab_defaults_to_the_callers_user_id():
    import os

    out = subprocess.run(["make", "-n", "-s", "lab"], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert ("--allow-root" in out) is (os.geteuid() == 0)
