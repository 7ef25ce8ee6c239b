"""ShapesWorld: determinism, balance, held-out pairs, rendering and caption semantics."""

from __future__ import annotations

import re

import numpy as np
import pytest

from clip_course import errors
from clip_course.core import prompts
from clip_course.data import shapes as synthetic
from clip_course.data.catalog import load_dataset


def _fresh(name: str, split: str, n: int, seed: int = 0):
    synthetic._generate.cache_clear()  # regenerate, do not reuse the in-process cache
    return synthetic.load_shapes_dataset(name, split, n=n, seed=seed)


def test_datasets_are_deterministic_by_seed():
    a, b = _fresh("shapes10", "test", 60), _fresh("shapes10", "test", 60)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    c = _fresh("shapes10", "test", 60, seed=1)
    assert not np.array_equal(a.images, c.images)
    train = _fresh("shapes10", "train", 60)
    assert not np.array_equal(a.images, train.images)


def test_shapes_of_datasets_and_class_balance():
    s10 = synthetic.load_shapes_dataset("shapes10", "test", n=200)
    assert s10.images.shape == (200, 32, 32, 3) and s10.images.dtype == np.uint8
    assert s10.classes == synthetic.SHAPES and len(s10.classes) == 10
    assert np.bincount(s10.labels, minlength=10).tolist() == [20] * 10
    s100 = synthetic.load_shapes_dataset("shapes100", "test", n=270)
    assert len(s100.classes) == 100 and s100.classes[0] == "red circle"
    counts = np.bincount(s100.labels, minlength=100)
    held = np.array([s100.classes.index(f"{c} {s}") for s, c in synthetic.HELD_OUT_PAIRS])
    assert counts[held].sum() == 0  # held-out pairs are only in shapes100_unseen
    assert sorted(set(np.delete(counts, held).tolist())) == [3]


def test_default_sizes_through_data_loader():
    ds = load_dataset("shapes10", "test")
    assert len(ds) == synthetic.DEFAULT_SIZES["shapes10"][1]


def test_unseen_split_holds_only_held_out_pairs_in_a_100_way_label_space():
    ds = synthetic.load_shapes_dataset("shapes100_unseen", "test", n=50)
    assert ds.classes == synthetic.SHAPES100_CLASSES
    held = {f"{c} {s}" for s, c in synthetic.HELD_OUT_PAIRS}
    assert {ds.classes[i] for i in ds.labels} == held
    # one pair per shape and per colour: each attribute is seen in pretraining, the pair is not
    assert len({s for s, _ in synthetic.HELD_OUT_PAIRS}) == 10
    assert len({c for _, c in synthetic.HELD_OUT_PAIRS}) == 10


def test_held_out_pairs_never_appear_in_pretraining_scenes_or_captions():
    from clip_course.tasks.pretrain import PretrainConfig, batches

    rng = np.random.default_rng(3)
    scenes = synthetic.sample_scenes(5000, rng, exclude_held_out=True)
    assert not synthetic.held_out_mask(scenes.shape, scenes.colour).any()
    # Both shapes and colours still cover everything (only the pairs are missing).
    assert set(scenes.shape) == set(range(10)) and set(scenes.colour) == set(range(10))
    caps = synthetic.make_captions(synthetic.pretraining_scenes(5000, rng), rng)
    stated = (caps.shape >= 0) & (caps.colour >= 0)  # label noise included
    assert stated.sum() > 1000
    assert not synthetic.held_out_mask(caps.shape[stated], caps.colour[stated]).any()
    data = batches(PretrainConfig(batch_size=256, seed=5))
    texts = [t for _ in range(4) for t in next(data)[1]]
    for shape, colour in synthetic.HELD_OUT_PAIRS:
        pattern = re.compile(rf"\b{colour} {shape}\b")
        assert not any(pattern.search(t) for t in texts), (shape, colour)


def test_render_puts_the_named_colour_in_the_centre_and_background_at_the_corner():
    img = synthetic.render("circle", "red", size="big", background="grey", rng=0)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    r, g, b = img[14:18, 14:18].reshape(-1, 3).mean(0)
    assert r > 120 and r > 2 * g and r > 2 * b
    corner = img[:3, :3].reshape(-1, 3).mean(0)
    assert np.all(np.abs(corner - 128) < 20)


def test_small_shapes_cover_less_area_and_positions_move_them():
    def covered(img):  # pixels far from the grey background
        return np.abs(img.astype(int) - 128).max(-1) > 60

    big = covered(synthetic.render("square", "blue", size="big", rng=1))
    small = covered(synthetic.render("square", "blue", size="small", rng=1))
    assert big.sum() > 2 * small.sum() > 0
    left = covered(synthetic.render("square", "blue", size="small", position="left", rng=1))
    right = covered(synthetic.render("square", "blue", size="small", position="right", rng=1))
    cols = np.arange(32)
    assert (left.sum(0) * cols).sum() / left.sum() < 12 < 20 < (right.sum(0) * cols).sum() / right.sum()


def test_render_rejects_unknown_names():
    with pytest.raises(errors.ShapesWorldError, match="shape"):
        synthetic.render("hexagonal prism", "red")
    with pytest.raises(errors.ShapesWorldError, match="colour"):
        synthetic.render("circle", "mauve")
    with pytest.raises(errors.ShapesWorldError, match="dataset"):
        synthetic.load_shapes_dataset("shapes7")


def test_caption_matches_follow_what_captions_state_and_keep_the_scraped_pair():
    scenes = synthetic.Scenes(
        shape=np.array([0, 0, 1]), colour=np.array([0, 4, 0]),
        size=np.array([1, 1, 0]), position=np.array([0, 0, 1]), background=np.array([0, 0, 0]),
    )
    none = np.array([-1, -1, -1])
    # captions: "circle" (shape only), "azure disc", "red square" (a wrong word: the image is red ... square,
    # but caption 2 says the colour is blue, label noise)
    caps = synthetic.Captions(
        text=["circle", "azure disc", "blue square"], shape=np.array([0, 0, 1]), colour=np.array([-1, 4, 4]),
        size=none, position=none, background=none, style=none,
    )
    expected = np.array([
        [True, False, False],   # red circle: "circle" only
        [True, True, False],    # blue circle: "circle", "azure disc"
        [False, False, True],   # red square: its own (wrong) caption stays a positive
    ])
    assert np.array_equal(synthetic.caption_matches(scenes, caps), expected)


def test_captions_are_alt_text_with_synonyms_missing_words_and_stated_label_noise():
    from clip_course.data import shapes_captions as sc

    rng = np.random.default_rng(0)
    scenes = synthetic.pretraining_scenes(4000, rng)
    caps = synthetic.make_captions(scenes, rng)
    has = (caps.shape >= 0)
    assert 0.8 < has.mean() < 0.9
    wrong_shape = (caps.shape[has] != scenes.shape[has]).mean()
    named = caps.colour >= 0
    wrong_colour = (caps.colour[named] != scenes.colour[named]).mean()
    assert abs(wrong_shape - sc.LABEL_NOISE["shape"]) < 0.02 and abs(wrong_colour - sc.LABEL_NOISE["colour"]) < 0.03
    synonyms = [w for ws in sc.SHAPE_SYNONYMS.values() for w in ws]
    assert 0.2 < np.mean([any(re.search(rf"\b{w}\b", t) for w in synonyms) for t in caps.text]) < 0.6
    for i, text in enumerate(caps.text[:500]):
        if caps.shape[i] >= 0:
            s = synthetic.SHAPES[caps.shape[i]]
            assert s in text or any(w in text for w in sc.SHAPE_SYNONYMS[s]), text
    assert any(w in caps.text[i] for i in range(4000) for w in sc.STYLE_WORDS["sketch"])
    assert len(set(caps.text)) > 2000  # varied
    assert not any(re.search(r"\b(one|two|three|four)\b", t) for t in caps.text)  # never a count


def test_ensemble_templates_are_not_caption_sentences():
    templates = prompts.templates("ensemble", "shapes100")
    assert templates == synthetic.SHAPES_TEMPLATES and len(templates) >= 8
    assert prompts.templates("ensemble", "shapes100_unseen") == templates
    assert prompts.templates("ensemble", "shapes10_sketch") == templates
    assert prompts.templates("ensemble", "shapes_count") == synthetic.COUNT_TEMPLATES
    rng = np.random.default_rng(1)
    texts = synthetic.make_captions(synthetic.pretraining_scenes(20000, rng), rng).text
    for t in templates:
        prefix, suffix = (p.strip() for p in t.split("{}"))
        for cls in ("red circle", "circle", "blue star"):
            assert t.format(cls) not in texts
        if len(prefix.split()) >= 3:  # "a photo of", "a picture of" ...: never a caption's frame
            assert not any(prefix in x for x in texts), t


def test_caption_tokens_fit_the_training_context():
    import clip

    from clip_course.tasks.pretrain import TRAIN_CONTEXT

    rng = np.random.default_rng(2)
    texts = synthetic.make_captions(synthetic.pretraining_scenes(3000, rng), rng).text
    clip.tokenize(texts, context_length=TRAIN_CONTEXT)  # raises if any is too long


def test_styles_render_distinct_domains_of_the_same_scene():
    imgs = {st: synthetic.render("heart", "red", style=st, rng=4) for st in synthetic.STYLES}
    flat = imgs["flat"].astype(float)
    for st, img in imgs.items():
        assert img.shape == (32, 32, 3) and img.dtype == np.uint8
        if st != "flat":
            assert np.abs(img.astype(float) - flat).mean() > 8, st
    assert imgs["sketch"][:3, :3].mean() > 190  # white paper
    ink = np.abs(imgs["outline"].astype(int) - 128).max(-1) > 60
    fill = np.abs(imgs["flat"].astype(int) - 128).max(-1) > 60
    assert 0 < ink.sum() < 0.6 * fill.sum()  # contour only
    with pytest.raises(errors.ShapesWorldError, match="style"):
        synthetic.render("heart", "red", style="oil painting")


def test_counts_render_that_many_separate_copies():
    from scipy import ndimage

    for k in synthetic.COUNTS:
        img = synthetic.render("square", "blue", count=k, rng=k)
        blobs = ndimage.label(np.abs(img.astype(int) - 128).max(-1) > 60)[1]
        assert blobs == k


def test_shifted_and_counting_sets_by_name():
    names = load_dataset.__globals__["dataset_names"]()
    for st in ("outline", "sketch", "photo", "cartoon"):
        assert f"shapes10_{st}" in names and f"shapes100_{st}" in names
    base = synthetic.load_shapes_dataset("shapes10", "test", n=50)
    shifted = synthetic.load_shapes_dataset("shapes10_sketch", "test", n=50)
    assert np.array_equal(base.labels, shifted.labels) and shifted.classes == base.classes
    assert shifted.meta["style"] == "sketch" and base.meta["style"] == "flat"
    assert not np.array_equal(base.images, shifted.images)
    count = load_dataset("shapes_count", "test", limit=40)
    assert count.classes == ["one", "two", "three", "four"] and set(count.labels) <= {0, 1, 2, 3}
    with pytest.raises(errors.DatasetError, match="shapes10_sketch"):
        load_dataset("shapes10_oil")


def test_datasets_command_lists_every_name_with_classes_and_sizes(capsys):
    from clip_course.cli import main
    from clip_course.data.catalog import dataset_names

    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in dataset_names():
        assert re.search(rf"^{name} +\d+ classes", out, re.M), name
    assert "shapes_count         4 classes (one, two, three, four); train 4000, test 1000" in out


def _shades_of(n: int, seed: int = 0) -> tuple[synthetic.Scenes, np.ndarray]:
    rng = np.random.default_rng(seed)
    scenes = synthetic.sample_scenes(n, rng, exclude_held_out=False)
    return scenes, synthetic._shades(scenes, rng)


def test_neighbouring_colours_overlap_but_distant_ones_do_not():
    scenes, rgb = _shades_of(20000)
    # Nearest mean shade (a simple observer of the exact object colour).
    means = np.stack([rgb[scenes.colour == c].mean(0) for c in range(10)])
    pred = np.argmin(((rgb[:, None] - means[None]) ** 2).sum(-1), 1)
    acc = (pred == scenes.colour).mean()
    assert 0.6 < acc < 0.92  # confusable, yet mostly nameable

    def confused(a: str, b: str) -> float:
        ia, ib = synthetic.COLOUR_NAMES.index(a), synthetic.COLOUR_NAMES.index(b)
        return float(np.mean(pred[scenes.colour == ia] == ib))

    for a, b in [("orange", "yellow"), ("orange", "brown"), ("red", "pink"), ("blue", "purple")]:
        assert confused(a, b) + confused(b, a) > 0.04, (a, b)
    for a, b in [("green", "pink"), ("yellow", "blue"), ("white", "black"), ("red", "green")]:
        assert confused(a, b) + confused(b, a) < 0.005, (a, b)


def test_every_object_stands_out_from_its_background():
    scenes, rgb = _shades_of(20000, seed=1)
    level = np.array([synthetic._BG_LEVEL[synthetic.BACKGROUNDS[b]] for b in scenes.background])
    assert rgb.min() >= 0 and rgb.max() <= 255
    assert np.abs(rgb - level[:, None]).max(1).min() >= synthetic.MIN_CONTRAST - 1e-3


def test_named_render_shows_the_names_own_shade_and_spread_varies_it():
    img = synthetic.render("square", "orange", size="big", background="grey", rng=3)
    centre = img[12:20, 12:20].reshape(-1, 3).astype(float).mean(0)
    assert np.abs(centre - synthetic.COLOURS["orange"]).max() < 8  # only pixel noise
    varied = [synthetic.render("square", "orange", size="big", rng=s, colour_spread=1.0)[12:20, 12:20]
              .reshape(-1, 3).astype(float).mean(0) for s in range(20)]
    assert np.std(varied, axis=0).max() > 10
