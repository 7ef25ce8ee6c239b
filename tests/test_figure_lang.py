"""The Chinese edition's figures: their titles, axes, legends and tick labels are Chinese, drawn in a CJK font."""

from __future__ import annotations

import pytest
from matplotlib import font_manager

from clip_course.figures import lang, probe


def _texts(fig) -> list[str]:
    fig.canvas.draw()  # tick labels are made at draw time
    return [t.get_text() for t in fig.findobj(lang.Text) if t.get_text().strip()]


def test_a_figure_is_rewritten_in_chinese_and_its_data_kept():
    curves = {"shapes10": {1: {"mean": 40.0, "lo": 35.0, "hi": 45.0}, 2: {"mean": 60.0, "lo": 55.0, "hi": 65.0}}}
    fig = probe.kshot_curve(curves, {"shapes10": 50.0}, {"shapes10": 80.0})
    english = _texts(fig)
    assert "labelled examples per class (k)" in english
    unknown = lang.translate_figure(fig, "zh")
    chinese = _texts(fig)
    assert "每类标注样本数（k）" in chinese and "少样本线性探测与零样本对比" in chinese
    assert "零样本（50.0%）" in chinese  # a legend entry with its number
    assert "shapes10" in chinese  # a data set's name is data: kept
    assert not [t for t in unknown if lang.needs_translation(t)]
    assert lang.cjk_family() in fig.axes[0].title.get_fontfamily()


def test_english_leaves_the_figure_as_drawn():
    fig = probe.kshot_curve({"a": {1: {"mean": 1.0, "lo": 0.0, "hi": 2.0}}}, {"a": 1.0})
    before = _texts(fig)
    assert lang.translate_figure(fig, "en") == [] and _texts(fig) == before


def test_tick_labels_set_as_a_list_are_translated():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    ax.set_xticks([0, 1], ["single", "ensemble"])
    lang.translate_figure(fig, "zh")
    fig.canvas.draw()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["单一模板", "提示集成"]


def test_patterns_translate_texts_with_numbers_and_names():
    assert lang.translate_text("severity 3") == "强度 3"
    assert lang.translate_text("Per-class top-1, shapes100 (ensemble)") == "各类别 top-1，shapes100（提示集成）"
    assert lang.translate_text("Zero-shot accuracy (MiniCLIP, offline profile)") == "零样本准确率（MiniCLIP，离线配置）"
    assert lang.translate_text("a blue star") is None  # a prompt is data


def test_the_figure_terms_are_the_glossary_terms():
    from clip_course.report.catalogue_zh import GLOSSARY

    terms = " ".join(t for t, _, _ in GLOSSARY)
    for english, chinese in (("zero-shot", "零样本"), ("linear probe", "线性探测"), ("ensemble", "提示集成")):
        assert lang.FIGURE_ZH[english] == chinese and chinese in terms


def test_no_cjk_font_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    with pytest.raises(lang.MissingCJKFontError, match="fonts-noto-cjk"):
        lang.cjk_family()


def test_composed_titles_and_the_ensemble_legend_are_chinese_throughout():
    # a pattern's group that another pattern knows is itself translated (no English left in the title)
    title = lang.translate_text("Per-class top-1, shapes100 (ensemble): worst and best 15 of 86")
    assert title == "各类别 top-1，shapes100（提示集成）：最差与最好的各 15 个（共 86 个）"
    assert lang.translate_text("ensemble of 16: 75.3%") == "16 个模板的提示集成：75.3%"
    assert lang.translate_text("family") == "数据集类别"  # the legend of the data-set categories
