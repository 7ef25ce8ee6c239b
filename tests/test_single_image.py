"""Single-image prompt ranking against the openai README pipeline, and its input errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from PIL import Image

from clip_course.core.models import load
from clip_course.data import pictures
from clip_course.errors import DatasetError, PromptError
from clip_course.report import prose
from clip_course.tasks import single_image

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import clip

PROMPTS = ["a diagram", "a dog", "a cat", "a photo of a rocket"]


@pytest.fixture(scope="module")
def lm(tiny_clip_path):
    return load(str(tiny_clip_path), device="cpu")


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return single_image.sample_photos(["chelsea"], folder=None)["chelsea"]


def readme_probs(lm, image: np.ndarray, prompts: list[str]) -> np.ndarray:
    """openai/CLIP README's usage example: clip's PIL preprocess, then the model's own forward
    (``logits_per_image``, scaled by its learned logit scale), softmax over the prompts."""
    x = lm.preprocess(Image.fromarray(image)).unsqueeze(0)
    with torch.no_grad():
        logits_per_image, _ = lm.model(x, clip.tokenize(prompts))
    return logits_per_image.float().softmax(dim=-1)[0].numpy()


def test_rank_prompts_matches_readme_pipeline(lm, photo):
    ranked = single_image.rank_prompts(lm, photo, PROMPTS)
    expected = dict(zip(PROMPTS, readme_probs(lm, photo, PROMPTS), strict=True))
    assert sorted(p for p, _ in ranked) == sorted(PROMPTS)
    for prompt, prob in ranked:
        assert prob == pytest.approx(expected[prompt], abs=2e-3)
    probs = [p for _, p in ranked]
    assert probs == sorted(probs, reverse=True)
    assert sum(probs) == pytest.approx(1.0, abs=1e-5)


def test_rank_prompts_accepts_path_pil_and_grey(lm, photo, tmp_path):
    path = tmp_path / "cat.png"
    Image.fromarray(photo).save(path)
    from_array = dict(single_image.rank_prompts(lm, photo, PROMPTS))
    from_path = dict(single_image.rank_prompts(lm, path, PROMPTS))
    from_pil = dict(single_image.rank_prompts(lm, Image.fromarray(photo), PROMPTS))
    for p in PROMPTS:
        assert from_path[p] == pytest.approx(from_array[p], abs=1e-6)
        assert from_pil[p] == pytest.approx(from_array[p], abs=1e-6)
    grey = photo.mean(axis=2).astype(np.uint8)
    as_rgb = np.repeat(grey[..., None], 3, axis=2)
    g1 = dict(single_image.rank_prompts(lm, grey, PROMPTS))
    g2 = dict(single_image.rank_prompts(lm, as_rgb, PROMPTS))
    assert all(g1[p] == pytest.approx(g2[p], abs=1e-6) for p in PROMPTS)


def test_refinement_series_equals_separate_rankings(lm, photo):
    steps = single_image.cumulative(["a shape", "a circle", "a red circle"], base=["a car"])
    assert steps == [["a car", "a shape"], ["a car", "a shape", "a circle"],
                     ["a car", "a shape", "a circle", "a red circle"]]
    series = single_image.refinement_series(lm, photo, steps)
    assert len(series) == 3
    for step, ranking in zip(steps, series, strict=True):
        alone = dict(single_image.rank_prompts(lm, photo, step))
        assert [p for p, _ in ranking] == sorted(step, key=lambda p: -alone[p])
        assert all(q == pytest.approx(alone[p], abs=1e-6) for p, q in ranking)


def test_bad_prompts_raise_clear_errors(lm, photo):
    with pytest.raises(PromptError, match="empty"):
        single_image.rank_prompts(lm, photo, [])
    with pytest.raises(PromptError, match="single string"):
        single_image.rank_prompts(lm, photo, "a cat")
    with pytest.raises(PromptError, match="distinct"):
        single_image.rank_prompts(lm, photo, ["a cat", "a cat"])
    with pytest.raises(PromptError, match="non-empty"):
        single_image.rank_prompts(lm, photo, ["a cat", "  "])
    with pytest.raises(PromptError, match="step 2"):
        single_image.refinement_series(lm, photo, [["a cat"], []])
    with pytest.raises(PromptError):
        single_image.refinement_series(lm, photo, [])


def test_bad_images_raise_clear_errors(lm, tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        single_image.rank_prompts(lm, tmp_path / "missing.jpg", ["a cat"])
    fake = tmp_path / "notes.jpg"
    fake.write_text("not an image")
    with pytest.raises(DatasetError, match="not a readable image"):
        single_image.rank_prompts(lm, fake, ["a cat"])
    with pytest.raises(DatasetError, match="shape"):
        single_image.rank_prompts(lm, np.zeros((4, 4, 2), dtype=np.uint8), ["a cat"])
    with pytest.raises(DatasetError, match=r"\[0, 1\]"):
        single_image.as_rgb(np.full((4, 4, 3), 2.0))


def test_as_rgb_conversions():
    rgba = np.zeros((3, 5, 4), dtype=np.uint8)
    rgba[..., 0] = 200
    out = single_image.as_rgb(rgba)
    assert out.shape == (3, 5, 3) and out.dtype == np.uint8 and (out[..., 0] == 200).all()
    floats = np.full((2, 2, 3), 0.5)
    assert (single_image.as_rgb(floats) == 128).all()


def test_sample_photos_builtin_and_folder(tmp_path):
    Image.fromarray(np.full((10, 12, 3), 7, dtype=np.uint8)).save(tmp_path / "mine.png")
    (tmp_path / "readme.txt").write_text("ignored: not an image suffix")
    photos = single_image.sample_photos(folder=tmp_path)
    assert set(single_image.BUILTIN_PHOTOS) <= set(photos)
    assert (photos["mine"] == 7).all() and photos["mine"].shape == (10, 12, 3)
    for img in photos.values():
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    from sklearn.datasets import load_sample_image

    assert np.array_equal(photos["china"], load_sample_image("china.jpg"))
    picked = single_image.sample_photos(["flower", "mine"], folder=tmp_path)
    assert list(picked) == ["flower", "mine"]
    with pytest.raises(DatasetError, match="Unknown sample photo"):
        single_image.sample_photos(["nope"], folder=tmp_path)
    (tmp_path / "broken.jpg").write_bytes(b"\x00\x01")
    with pytest.raises(DatasetError, match="broken.jpg"):
        single_image.sample_photos(folder=tmp_path)


@pytest.mark.parametrize("profile", ["offline", "paper"])
def test_experiments_resolve_to_images_and_distinct_prompts(profile):
    exps = single_image.experiments(profile)
    extra = {"offline": {"drawn", "composite"}, "paper": {"drawn", "diagram", "composite"}}[profile]
    assert {e.name for e in exps} == {"refinement", "style_word", "generic_vs_specific", *extra}
    for e in exps:
        img = single_image.experiment_image(e.image, folder=None)
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
        assert all(len(set(step)) == len(step) for step in e.steps)
    refine = next(e for e in exps if e.name == "refinement")
    # cumulative: each step is the previous one plus exactly one prompt
    for a, b in zip(refine.steps, refine.steps[1:], strict=False):
        assert b[: len(a)] == a and len(b) == len(a) + 1
    with pytest.raises(DatasetError, match="profile"):
        single_image.experiments("nope")


def test_scene_renders_what_it_names():
    from clip_course.data import shapes as synthetic

    img = single_image.scene("big red circle on grey")
    assert np.array_equal(img, synthetic.render("circle", "red", size="big", background="grey", rng=0))
    red = (img[..., 0] > 150) & (img[..., 1] < 100)
    assert red[12:20, 12:20].all() and not red[:3, :3].any()  # a centred red disc on grey
    with pytest.raises(DatasetError, match="size"):
        single_image.scene("red circle")


def test_gallery_adds_folder_images(tmp_path):
    Image.fromarray(np.zeros((5, 5, 3), np.uint8)).save(tmp_path / "zero.png")
    g = single_image.gallery("offline", tmp_path)
    assert "small red circle on grey" in g and "zero" in g and "chelsea" in g
    assert set(single_image.gallery("paper", None)) == set(pictures.PICTURES)


def test_series_json_and_sentences():
    series = [[("a car", 0.7), ("a shape", 0.3)],
              [("a circle", 0.6), ("a car", 0.3), ("a shape", 0.1)]]
    rows = single_image.series_json(series)
    assert rows[0]["added"] == ["a car", "a shape"] and rows[1]["added"] == "a circle"
    assert [r["winner"] for r in rows] == ["a car", "a circle"]
    text = prose.refinement_sentence(series)
    assert "“a car” (70%) → “a circle” (60%)" in text
    assert "won 1 of 1 refinements" in text and "changed 1 time" in text
    s = prose.winner_sentence(series[1], "Q?")
    assert s.en.startswith("Q? Here **“a circle”** wins with 60.0%, ahead of “a car” (30.0%)")
    assert s.zh.startswith("Q? 排在首位的是“**a circle**”（60.0%），其次是“a car”（30.0%）")
    assert "last: “a shape” (10.0%)" in s


def test_composites_and_styles_are_images_the_experiments_can_use():
    one = single_image.experiment_image("shapes:big red circle on grey")
    both = single_image.experiment_image("shapes:big red circle on grey + shapes:big blue star on grey")
    assert both.shape == (32, 64, 3) and np.array_equal(both[:, :32], one)  # left half is the first scene
    sketch = single_image.experiment_image("shapes:big red circle on grey as sketch")
    assert sketch.shape == one.shape and not np.array_equal(sketch, one)
    names = {e.name for e in single_image.experiments("offline")}
    assert {"drawn", "composite"} <= names and "composite" in {e.name for e in single_image.experiments("paper")}


def test_gallery_says_when_images_dir_is_wrong_and_can_show_only_yours(tmp_path):
    with pytest.raises(DatasetError, match="images_dir='.*nope' is not a folder"):
        single_image.gallery("offline", tmp_path / "nope")
    with pytest.raises(DatasetError, match="holds no image files"):
        single_image.gallery("offline", tmp_path, builtin=False)
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(tmp_path / "mine.png")
    assert list(single_image.gallery("offline", tmp_path, builtin=False)) == ["mine"]
    both = single_image.gallery("offline", tmp_path)
    assert "mine" in both and len(both) > 1


def test_paper_profile_replays_the_original_reports_six_pictures_and_prompt_lists():
    """The six roles of the original course report's section 二, each a drawn picture, each asked
    the prompts the original lists for it."""
    assert [pictures.PICTURES[n][1] for n in pictures.PICTURES] == [1, 2, 3, 4, 5, 6]
    images = {n: pictures.picture(n) for n in pictures.PICTURES}
    for name, img in images.items():
        assert img.dtype == np.uint8 and img.shape == (224, 224, 3), name
        assert np.array_equal(img, pictures.picture(name)), name  # deterministic
    assert len({img.tobytes() for img in images.values()}) == 6
    by_image = {e.image: e for e in single_image.experiments("paper")}
    assert set(by_image) == {f"picture:{n}" for n in ("map", "drawn", "person_dog", "emblem", "diagram", "composite")}
    assert [s[-1] for s in by_image["picture:map"].steps] == ["map", "a white map", "a colorful map",
                                                              "Chinese province"]
    dog = ("a person with a dog", "blue", "a person laughing with a dog", "anime")
    assert by_image["picture:drawn"].steps == (dog,) and by_image["picture:person_dog"].steps == (dog,)
    assert "emblem of beihang university" in by_image["picture:emblem"].steps[0]
    assert {"nlp", "GPT", "BERT"} <= set(by_image["picture:diagram"].steps[0])
    assert by_image["picture:composite"].steps[0] == ("architecture", "sky", "sky and architecture", "green grass",
                                                      "lawn")
    with pytest.raises(DatasetError, match="Unknown picture"):
        single_image.experiment_image("picture:nope")
