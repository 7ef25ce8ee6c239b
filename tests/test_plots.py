"""Figures: each draws what its data says (checked on the artists) and saves a valid PNG."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle
from PIL import Image

from clip_course.figures import intro, single_image, style
from clip_course.figures import probe as plots
from clip_course.figures import zeroshot as zeroshot_figures
from clip_course.tasks.zeroshot import most_confused_pairs

RNG = np.random.default_rng(0)


def bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() != 0 and p.get_height() != 0
            and p.get_fill()]


def assert_png(path) -> None:
    assert path.is_file() and path.stat().st_size > 1000
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size[0] > 100 and im.size[1] > 100
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_save_writes_png_and_svg_atomically(tmp_path):
    fig = single_image.image_grid([RNG.integers(0, 255, (8, 8, 3), dtype=np.uint8)] * 3, ["a", "b", "c"])
    out = style.save_figure(fig, tmp_path / "sub" / "grid.png", svg=True)
    assert_png(out)
    assert (tmp_path / "sub" / "grid.svg").read_text().lstrip().startswith("<?xml")


def test_similarity_heatmap_marks_diagonal_and_reports_means(tmp_path):
    sim = np.array([[0.9, 0.1, 0.2], [0.3, 0.8, 0.1], [0.0, 0.2, 0.7]])
    images = [np.full((6, 6, 3), v, dtype=np.uint8) for v in (0, 100, 200)]
    fig = intro.similarity_heatmap(sim, images=images, captions=["x", "y", "z"], save=tmp_path / "s.png")
    ax = fig.axes[0]
    marked = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    centres = sorted((p.get_x() + p.get_width() / 2, p.get_y() + p.get_height() / 2) for p in marked)
    np.testing.assert_allclose(centres, [(0, 0), (1, 1), (2, 2)])
    # hand-computed: diagonal mean 0.8, off-diagonal mean 0.9 / 6 = 0.15
    assert "mean 0.80" in ax.get_xlabel() and "mean 0.15" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert len(ax.child_axes) == 3  # one thumbnail per image row
    assert_png(tmp_path / "s.png")
    with pytest.raises(ValueError, match="square"):
        intro.similarity_heatmap(np.zeros((2, 3)))


def test_training_curves_convert_scale_and_fraction():
    log = [{"step": s, "loss": 4.0 - s, "accuracy": 0.25 * s, "logit_scale": 10.0 * (s + 1)} for s in range(4)]
    fig = intro.training_curves(log)
    loss_ax, acc_ax, temp_ax = fig.axes
    np.testing.assert_allclose(acc_ax.lines[0].get_ydata(), [0, 25, 50, 75])
    np.testing.assert_allclose(temp_ax.lines[0].get_ydata(), [0.1, 0.05, 1 / 30, 0.025])
    np.testing.assert_allclose(loss_ax.lines[0].get_xdata(), [0, 1, 2, 3])
    with pytest.raises(ValueError, match="step"):
        intro.training_curves({"loss": [1.0]})


def test_training_curves_smooth_long_noisy_logs():
    steps = np.arange(400)
    noisy = np.where(steps % 2 == 0, 1.0, 3.0)  # alternating: running mean of an even window is 2
    fig = intro.training_curves({"step": steps, "loss": noisy})
    raw, smooth = fig.axes[0].lines[:2]
    np.testing.assert_allclose(raw.get_ydata(), noisy)
    np.testing.assert_allclose(smooth.get_ydata()[10:], 2.0)  # window 10
    np.testing.assert_allclose(intro._running_mean(np.array([1.0, 2.0, 3.0, 4.0]), 2), [1.0, 1.5, 2.5, 3.5])


def test_prompt_bars_sort_and_colour_the_winner():
    fig = single_image.prompt_bars([("b", 0.2), ("a", 0.7), ("c", 0.1)], image=np.zeros((5, 5, 3), np.uint8))
    ax = fig.axes[1]
    rects = bars(ax)
    # drawn bottom-up in ascending order: the top bar is the most probable prompt
    assert [r.get_width() for r in rects] == pytest.approx([10, 20, 70])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "b", "a"]
    assert to_hex(rects[-1].get_facecolor()) == style.RIGHT.lower()
    assert all(to_hex(r.get_facecolor()) == style.PALETTE["grey"].lower() for r in rects[:-1])


def test_refinement_chart_rings_each_winner_and_labels_added_prompt():
    steps = [[("a shape", 1.0)], [("a circle", 0.8), ("a shape", 0.2)],
             [("a red circle", 0.6), ("a circle", 0.3), ("a shape", 0.1)]]
    fig = single_image.refinement_chart(steps)
    ax = fig.axes[0]
    rings = [ln for ln in ax.lines if ln.get_markersize() == 15]
    assert [(float(r.get_xdata()[0]), float(r.get_ydata()[0])) for r in rings] == [(0, 100), (1, 80), (2, 60)]
    labels = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert labels == ["+ “a shape”", "+ “a circle”", "+ “a red circle”"]
    shape_line = next(ln for ln in ax.lines if ln.get_label() == "a shape")
    np.testing.assert_allclose(shape_line.get_ydata(), [100, 20, 10])


def test_accuracy_comparison_hatches_references_and_skips_missing():
    scores = {"d1": {"ours": {"top1": 50.0, "top5": 80.0}, "paper": {"top1": 90.0}},
              "d2": {"ours": {"top1": 30.0, "top5": 60.0}, "paper": {"top1": 60.0}}}
    fig = zeroshot_figures.accuracy_comparison(scores, references=["paper"])
    top1, top5 = fig.axes[:2]
    assert sorted(r.get_height() for r in bars(top1)) == [30, 50, 60, 90]
    assert sorted(r.get_height() for r in bars(top5)) == [60, 80]  # paper has no top-5: no bar
    hatched = sorted(r.get_height() for r in bars(top1) if r.get_hatch())
    assert hatched == [60, 90]


def test_per_class_accuracy_sorted_and_split_at_mean():
    acc = {"cat": 90.0, "dog": 10.0, "car": 50.0, "none": None}
    fig = zeroshot_figures.per_class_accuracy(acc)
    ax = fig.axes[0]
    assert [r.get_width() for r in bars(ax)] == [10, 50, 90]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dog", "car", "cat"]
    colours = [to_hex(r.get_facecolor()) for r in bars(ax)]
    assert colours == [style.WRONG.lower(), style.RIGHT.lower(), style.RIGHT.lower()]  # mean 50
    many = {f"c{i}": float(i) for i in range(1, 101)}
    ax = zeroshot_figures.per_class_accuracy(many).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 31 and labels[:2] == ["c1", "c2"] and labels[15] == "…" and labels[-1] == "c100"
    assert ("worst and best 15 of 100" in ax.get_title("left") + ax.get_title()
            and "mean of per-class accuracies 50.5% (100 classes)" in " ".join(t.get_text() for t in ax.texts))


def test_confusion_matrix_rows_normalised():
    cm = np.array([[8, 2], [1, 3]])
    fig = zeroshot_figures.confusion_matrix(cm, ["a", "b"])
    shown = fig.axes[0].images[0].get_array()
    np.testing.assert_allclose(shown, [[80, 20], [25, 75]])
    with pytest.raises(ValueError, match="classes"):
        zeroshot_figures.confusion_matrix(cm, ["a", "b", "c"])


def test_most_confused_bars_are_rates():
    cm = np.array([[5, 5, 0], [1, 8, 1], [0, 4, 6]])
    pairs = most_confused_pairs(cm, ["a", "b", "c"], n=3)
    fig = zeroshot_figures.most_confused(pairs)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "a → b"
    assert max(r.get_width() for r in bars(ax)) == pytest.approx(50.0)
    empty = zeroshot_figures.most_confused([])
    assert "no confusions" in empty.axes[0].texts[0].get_text()


def test_prediction_grid_colours_true_class():
    imgs = [np.zeros((4, 4, 3), np.uint8)] * 2
    top = np.array([[1, 0, 2], [2, 1, 0]])
    prob = np.array([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1]])
    fig = zeroshot_figures.prediction_grid(imgs, [1, 1], top, prob, ["x", "y", "z"], ncols=2)
    right_bars, wrong_bars = fig.axes[1], fig.axes[3]
    assert fig.axes[0].get_title().startswith("✓") and fig.axes[2].get_title().startswith("✗")
    rb = bars(right_bars)
    assert to_hex(rb[0].get_facecolor()) == style.RIGHT.lower()  # first drawn = top-1 = true class
    wb = bars(wrong_bars)
    assert [to_hex(b.get_facecolor()) for b in wb] == [style.WRONG.lower(), style.RIGHT.lower(),
                                                       style.PALETTE["grey"].lower()]



def test_kshot_curve_with_json_keys_and_sweep(tmp_path):
    curves = {"d": {"1": {"mean": 20.0, "std": 2.0}, "4": {"mean": 60.0, "std": 1.0}, "2": {"mean": 40.0}}}
    fig = plots.kshot_curve(curves, {"d": 50.0}, save=tmp_path / "k.png")
    ax = fig.axes[0]
    probe = next(ln for ln in ax.lines if ln.get_label().startswith("linear probe"))
    np.testing.assert_allclose(probe.get_xdata(), [1, 2, 4])
    np.testing.assert_allclose(probe.get_ydata(), [20, 40, 60])
    vline = [ln for ln in ax.lines if len(set(ln.get_xdata())) == 1 and ln is not probe]
    assert float(vline[0].get_xdata()[0]) == pytest.approx(2 ** 1.5)
    assert_png(tmp_path / "k.png")
    sweep = {"d": {"C": [1e-2, 1.0, 1e2], "accuracy": [40.0, 70.0, 60.0], "best_C": 1.0}}
    ax = plots.sweep_curve(sweep).axes[0]
    star = next(ln for ln in ax.lines if ln.get_marker() == "*")
    assert (float(star.get_xdata()[0]), float(star.get_ydata()[0])) == (1.0, 70.0)


def test_pipeline_and_panels_render(tmp_path):
    img = RNG.integers(0, 255, (20, 30, 3), dtype=np.uint8)
    intro.pipeline_diagram(["cat", "dog", "car"], ["a photo of a {}."], probabilities=[0.2, 0.7, 0.1],
                           image=img, save=tmp_path / "p.png")
    assert_png(tmp_path / "p.png")
    fig = single_image.prompt_panels([("one", img, [("a", 0.6), ("b", 0.4)]), ("two", img, [("c", 1.0)])], ncols=2)
    assert len(fig.subfigs) == 2
    with pytest.raises(ValueError):
        single_image.prompt_panels([])


def test_pretraining_diagram_marks_the_true_pairs(tmp_path):
    from matplotlib.colors import to_hex

    from clip_course.figures.intro import pretraining_diagram

    fig = pretraining_diagram(n=5, save=tmp_path / "p.png")
    ax = fig.axes[0]
    diagonal = [p for p in ax.patches if to_hex(p.get_facecolor()) == style.RIGHT.lower()]
    cells = [t.get_text() for t in ax.texts if "·" in t.get_text()]
    assert len(cells) == 25 and len(diagonal) == 5
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
