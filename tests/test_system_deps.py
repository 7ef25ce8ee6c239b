"""The report's system tools (Chromium, MathJax, a CJK font) are checked one by one on every build:
installed as root on Debian, else named one line each; the PDF's stamp holds what the renderer had."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clip_course import errors
from clip_course.report import stamps, system


@pytest.fixture
def machine(monkeypatch):
    """A machine whose tools the test decides: {name: present?}, not root unless it says so."""
    have = {"chromium": True, "mathjax": True, "cjk": True}
    monkeypatch.setattr(system, "find_chromium", lambda: Path("/opt/chrome") if have["chromium"] else None)
    monkeypatch.setattr(system, "find_mathjax", lambda: Path("/opt/MathJax.js") if have["mathjax"] else None)
    monkeypatch.setattr(system, "cjk_fonts", lambda: ["/opt/NotoSansCJK.ttc"] if have["cjk"] else [])
    monkeypatch.setattr(system, "can_install", lambda: False)
    return have


@pytest.mark.parametrize(("gone", "package"), [("chromium", "chromium"), ("mathjax", "libjs-mathjax"),
                                               ("cjk", "fonts-noto-cjk")])
def test_each_tool_is_checked_on_its_own(machine, gone, package):
    machine[gone] = False
    error = errors.ChromiumNotFoundError if gone == "chromium" else errors.SystemDependencyError
    with pytest.raises(error) as caught:
        system.ensure()
    lines = str(caught.value).splitlines()
    assert package in lines[0] and sum(p in lines[0] for p in system.DEBIAN_PACKAGES) == 1
    assert f"apt-get install -y {package}" in str(caught.value)
    others = [p for p in system.DEBIAN_PACKAGES if p != package]
    assert not any(p in str(caught.value) for p in others)


def test_one_line_per_missing_package(machine):
    machine.update(mathjax=False, cjk=False)
    with pytest.raises(errors.SystemDependencyError) as caught:
        system.ensure()
    lines = str(caught.value).splitlines()
    assert "libjs-mathjax" in lines[0] and "fonts-noto-cjk" in lines[1]
    assert lines[2].strip() == "sudo apt-get install -y libjs-mathjax fonts-noto-cjk"
    assert not isinstance(caught.value, errors.ChromiumNotFoundError)


def test_root_on_debian_installs_only_what_is_missing(machine, monkeypatch):
    machine.update(mathjax=False, cjk=False)
    asked = []

    def apt(packages):
        asked.append(list(packages))
        machine.update(mathjax=True, cjk=True)  # what apt-get would have done

    monkeypatch.setattr(system, "can_install", lambda: True)
    monkeypatch.setattr(system, "install", apt)
    system.ensure()
    assert asked == [["libjs-mathjax", "fonts-noto-cjk"]]


def test_an_install_that_leaves_a_tool_missing_still_stops_the_build(machine, monkeypatch):
    machine["cjk"] = False
    monkeypatch.setattr(system, "can_install", lambda: True)
    monkeypatch.setattr(system, "install", lambda packages: None)
    with pytest.raises(errors.SystemDependencyError, match="fonts-noto-cjk"):
        system.ensure()


def test_nothing_is_installed_when_nothing_is_missing(machine, monkeypatch):
    monkeypatch.setattr(system, "can_install", lambda: True)
    monkeypatch.setattr(system, "install", lambda packages: pytest.fail(f"installed {packages}"))
    system.ensure()


def test_install_needs_root_on_debian(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert system.can_install() is False


def test_fontconfig_without_a_cjk_font_finds_none(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?><fontconfig><dir>{tmp_path / "empty"}</dir>'
                    f'<cachedir>{tmp_path / "cache"}</cachedir></fontconfig>')
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    assert system.cjk_fonts() == []


def test_the_pdf_stamp_changes_when_the_renderer_gains_a_font_or_mathjax(machine, tmp_path):
    def key() -> str:
        return stamps.pdf_key([], "offline", False, tmp_path, tmp_path / "report.pdf")

    machine.update(mathjax=False, cjk=False)
    before = key()
    assert key() == before  # the key is a function of the machine, not of time
    machine["cjk"] = True
    with_fonts = key()
    machine["mathjax"] = True
    assert len({before, with_fonts, key()}) == 3


def test_a_current_pdf_is_printed_again_after_fonts_are_installed(machine, tmp_path):
    """The runner's up-to-date test: a stamp written before the fonts no longer vouches for the PDF."""
    from clip_course.io import sha256_file, write_json

    out = tmp_path / "report.pdf"
    out.write_bytes(b"%PDF-1.4 printed without fonts")
    machine["cjk"] = False
    key = stamps.pdf_key([], "offline", False, tmp_path, out)
    write_json(tmp_path / "stamps" / "_report.json", {"key": key, "pdf_sha256": sha256_file(out), "pages": 3})
    assert stamps.pdf_is_current(tmp_path, stamps.pdf_key([], "offline", False, tmp_path, out), out) == 3
    machine["cjk"] = True
    assert stamps.pdf_is_current(tmp_path, stamps.pdf_key([], "offline", False, tmp_path, out), out) == 0


def test_a_build_stops_before_its_notebooks_when_a_tool_is_missing(machine, tmp_path):
    import nbformat

    from clip_course.report import runner

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("open('ran', 'w').write('yes')")]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    (tmp_path / "notebooks").mkdir()
    nbformat.write(nb, tmp_path / "notebooks" / "01_intro.ipynb")
    machine["cjk"] = False
    with pytest.raises(errors.SystemDependencyError, match="fonts-noto-cjk"):
        runner.build_report(profile="offline", root=tmp_path, progress=False)
    assert not (tmp_path / "ran").exists() and not (tmp_path / "report" / "clip_course_report.pdf").exists()
