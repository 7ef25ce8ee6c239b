"""Names from the user's disk are data: control characters in class and file names are printed
escaped, never executed by the terminal nor breaking a report table."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from clip_course.cli import main
from clip_course.io import printable, status
from clip_course.notebook.session import markdown_table

RED = "\x1b[31m"


@pytest.mark.parametrize("raw, shown", [
    ("cat", "cat"),
    ("猫 chat", "猫 chat"),  # non-ASCII text is kept
    ("a\nb", "a\\nb"),
    (f"{RED}dog", "\\x1b[31mdog"),
    ("bell\x07\x7f\x9b", "bell\\x07\\x7f\\x9b"),  # C0, DEL and C1 (CSI) controls
    ("abc\u202edcba", "abc\\u202edcba"),  # right-to-left override
    ("tab\there\r", "tab\\there\\r"),
])
def test_printable(raw, shown):
    assert printable(raw) == shown
    assert printable(shown) == shown  # the escaped form is plain text
    assert printable(raw).isprintable()


def test_status_line_escapes(capsys, monkeypatch):
    monkeypatch.delenv("CLIP_COURSE_REPORT", raising=False)
    status(f"data: {RED}x\ny")
    assert capsys.readouterr().out == "data: \\x1b[31mx\\ny\n"


def test_markdown_table_keeps_one_row_per_class():
    table = markdown_table(["class", "top-1"], [["a\nb", 50.0], [f"{RED}c|d", 25.0]])
    lines = table.split("\n")
    assert len(lines) == 4 and "\x1b" not in table
    assert lines[2] == "| a\\nb | 50.0 |" and lines[3] == "| \\x1b[31mc\\|d | 25.0 |"


def test_cli_prints_class_folder_names_escaped(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for k, name in enumerate([f"{RED}cat", "dog\nbird"]):
        (tmp_path / "f" / name).mkdir(parents=True)
        for i in range(3):
            pixels = np.clip(60 + 120 * k + rng.normal(0, 20, (32, 32, 3)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(tmp_path / "f" / name / f"{i}.png")
    code = main(["probe", "--model", "miniclip", "--dataset", f"folder:{tmp_path / 'f'}", "--device", "cpu",
                 "--cache-dir", str(tmp_path / "cache")])
    out = capsys.readouterr().out
    assert code == 0
    assert "\x1b" not in out
    assert "training images per class: \\x1b[31mcat 1, dog bird 1" in out  # the name read as words, nothing raw


def test_cli_error_naming_a_file_escapes_it(tmp_path, capsys):
    bad = tmp_path / f"{RED}x"
    code = main(["probe", "--model", "miniclip", "--dataset", f"folder:{bad}"])
    err = capsys.readouterr().err
    assert code == 2 and "\x1b" not in err and "\\x1b[31mx does not exist" in err
