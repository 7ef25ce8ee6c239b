"""StyleCLIP latent optimisation: schedule, objective, batching, offline generator, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from clip_course.cli import main
from clip_course.core import models
from clip_course.data import shapes as synthetic
from clip_course.errors import StyleCLIPError
from clip_course.generators import editable
from clip_course.generators import load as generators
from clip_course.generators import shapes_generator as shapes_generator_offline
from clip_course.generators.shapes_generator import ShapesGenerator, ShapesVAE, ShapesVAEConfig
from clip_course.io import read_json
from clip_course.report import prose
from clip_course.tasks import styleclip, styleclip_studies
from clip_course.tasks.styleclip import EditConfig, EditResult, edit, lambda_sweep, lr_schedule

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def lm(tiny_clip_path):
    return models.load(str(tiny_clip_path), device="cpu")


def tiny_vae(seed: int = 0) -> ShapesVAE:
    torch.manual_seed(seed)
    return ShapesVAE(ShapesVAEConfig(latent_dim=8, width=8)).eval()


@pytest.fixture(scope="module")
def tiny_gen() -> ShapesGenerator:
    return ShapesGenerator(tiny_vae(), None, torch.device("cpu"), source="test")


@pytest.fixture(scope="module")
def shipped() -> ShapesGenerator:
    return shapes_generator_offline.load_shapes_generator(device="cpu")


# ----------------------------------------------------------------------------- schedule


def test_lr_schedule_is_styleclips():
    # Hand-computed from StyleCLIP's get_lr(t, 0.1, rampdown=0.25, rampup=0.05).
    assert lr_schedule(0.0, 0.1) == 0.0
    assert lr_schedule(0.025, 0.1) == pytest.approx(0.05)  # half-way up the linear ramp
    assert lr_schedule(0.05, 0.1) == pytest.approx(0.1)
    assert lr_schedule(0.5, 0.1) == pytest.approx(0.1)
    assert lr_schedule(0.875, 0.1) == pytest.approx(0.05)  # cos ramp at its midpoint
    assert lr_schedule(1 - 0.25 / 3, 0.1) == pytest.approx(0.1 * (0.5 - 0.5 * math.cos(math.pi / 3)))
    assert lr_schedule(1.0, 0.1) == pytest.approx(0.0, abs=1e-12)
    c = EditConfig()
    assert (c.steps, c.lr, c.l2_lambda, c.id_lambda, c.rampdown, c.rampup) == (300, 0.1, 0.008, 0.0, 0.25, 0.05)


# ------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("text", ["", "   ", None])
def test_empty_text_is_refused(tiny_gen, lm, text):
    with pytest.raises(StyleCLIPError, match="text must be a non-empty"):
        edit(tiny_gen, lm, text, config=EditConfig(steps=2), progress=False)


@pytest.mark.parametrize("steps", [0, -3, 2.5])
def test_bad_steps_are_refused(tiny_gen, lm, steps):
    with pytest.raises(StyleCLIPError, match="steps must be a positive integer"):
        edit(tiny_gen, lm, "a blue circle", config=EditConfig(steps=steps), progress=False)


def test_bad_latents_and_lambdas_are_refused(tiny_gen, lm):
    with pytest.raises(StyleCLIPError, match=r"shape \(1, 18, 512\).*\(batch, 8\)"):
        edit(tiny_gen, lm, "a blue circle", torch.zeros(1, 18, 512), EditConfig(steps=2), progress=False)
    with pytest.raises(StyleCLIPError, match="l2_lambda must be a finite number"):
        edit(tiny_gen, lm, "a blue circle", config=EditConfig(steps=2, l2_lambda=-1), progress=False)
    with pytest.raises(StyleCLIPError, match="one finite value >= 0 per start latent"):
        edit(tiny_gen, lm, "a blue circle", torch.zeros(2, 8), EditConfig(steps=2), l2_lambdas=[0.1], progress=False)
    with pytest.raises(StyleCLIPError, match="no identity loss"):
        edit(tiny_gen, lm, "a blue circle", config=EditConfig(steps=2, id_lambda=0.1), progress=False)
    with pytest.raises(StyleCLIPError, match="must name a ShapesWorld shape and colour"):
        tiny_gen.start_latent("a purple elephant")


# ---------------------------------------------------------------------------- optimisation


def test_edit_raises_similarity_and_records_the_trajectory(tiny_gen, lm):
    cfg = EditConfig(steps=30, lr=0.3, l2_lambda=0.0, record_every=10)
    w0 = tiny_gen.start_latent("a red circle")
    res = edit(tiny_gen, lm, "a blue circle", w0, cfg, progress=False)
    assert res.steps == list(range(31)) and len(res.similarity) == 31 == len(res.distance)
    assert [s for s, _ in res.frames] == [0, 10, 20, 30]
    assert res.similarity_after[0] > res.similarity_before[0] + 0.005
    assert res.distance[0] == [0.0] and res.distance[-1][0] > 0
    torch.testing.assert_close(res.latent0, w0)
    np.testing.assert_array_equal(res.before, tiny_gen.images_uint8(w0))
    np.testing.assert_array_equal(res.after, tiny_gen.images_uint8(res.latent))
    # The recorded similarity is the cosine of CLIP features of the generated image.
    sim = styleclip.ClipSimilarity(lm, "a blue circle")
    with torch.no_grad():
        final = sim(tiny_gen.synthesize(res.latent))
    assert final.item() == pytest.approx(res.similarity_after[0], abs=1e-5)
    # The first step has learning rate 0 (StyleCLIP's ramp-up starts at 0), so w is unchanged.
    assert res.lr[0] == 0.0 and res.distance[1] == [0.0]


def test_batched_sweep_equals_separate_runs_and_l2_pulls_back(tiny_gen, lm):
    cfg = EditConfig(steps=12)
    w0 = tiny_gen.start_latent("a red circle")
    run, rows = lambda_sweep(tiny_gen, lm, "a blue circle", [0.0, 2.0], w0, cfg, progress=False)
    for k, lam in enumerate([0.0, 2.0]):
        alone = edit(tiny_gen, lm, "a blue circle", w0, cfg, l2_lambdas=[lam], progress=False)
        torch.testing.assert_close(run.latent[k : k + 1], alone.latent, rtol=1e-4, atol=1e-5)
        assert rows[k]["similarity_after"] == pytest.approx(alone.similarity_after[0], abs=1e-4)
    assert rows[1]["latent_distance"] < rows[0]["latent_distance"]
    assert rows[0]["similarity_after"] > rows[0]["similarity_before"]


def test_identity_loss_is_used_and_keeps_the_image(tiny_gen, lm):
    calls = []

    def pixel_identity(edited: torch.Tensor, start: torch.Tensor) -> torch.Tensor:
        calls.append(edited.shape)
        return ((edited - start) ** 2).mean((1, 2, 3)) * 1000

    w0 = tiny_gen.start_latent("a red circle")
    free = edit(tiny_gen, lm, "a blue circle", w0, EditConfig(steps=15, l2_lambda=0), progress=False)
    held = edit(tiny_gen, lm, "a blue circle", w0, EditConfig(steps=15, l2_lambda=0, id_lambda=1.0),
                id_loss=pixel_identity, progress=False)
    assert len(calls) == 16
    assert held.summary()["pixel_change"][0] < free.summary()["pixel_change"][0]


# ----------------------------------------------------------------------- offline generator


def test_parse_phrase_reads_shapesworld_attributes():
    got = shapes_generator_offline.parse_phrase("a small red circle on the left on a light grey background")
    assert got == {"shape": "circle", "colour": "red", "size": "small", "position": "left",
                   "background": "light grey"}
    assert shapes_generator_offline.parse_phrase("A blue star.")["position"] == "centre"


def test_shipped_generator_reconstructs_and_reads_attributes(shipped):
    assert editable.SHAPES_GENERATOR.stat().st_size < 10 * 2**20
    render = synthetic.render("circle", "red", rng=5)
    w = shipped.start_latent(render)
    recon = shipped.images_uint8(w)[0]
    # Reconstruction error far below the render's distance to a different scene.
    other = synthetic.render("star", "blue", rng=5)
    err = np.abs(recon.astype(float) - render).mean()
    assert err < 0.5 * np.abs(other.astype(float) - render).mean()
    probs = shipped.read_attributes(torch.from_numpy(np.stack([render, recon, other])).permute(0, 3, 1, 2) / 255)
    names = editable.attribute_names()
    assert [names["shape"][i] for i in probs["shape"].argmax(-1)] == ["circle", "circle", "star"]
    assert [names["colour"][i] for i in probs["colour"].argmax(-1)] == ["red", "red", "blue"]


def test_attribute_changes_name_what_changed(shipped):
    before = np.stack([synthetic.render("circle", "red", rng=1), synthetic.render("square", "green", rng=2)])
    after = np.stack([synthetic.render("circle", "blue", rng=1), synthetic.render("square", "green", rng=3)])
    res = EditResult("a blue circle", EditConfig(), [0.0, 0.0], torch.zeros(2, 32), torch.zeros(2, 32),
                     frames=[(0, before), (1, after)])
    ch = styleclip_studies.attribute_changes(shipped, res)
    assert ch["colour"]["changed"] == [True, False]
    assert ch["colour"]["after"][0] == "blue"
    assert ch["shape"]["changed"] == [False, False] and ch["size"]["changed_fraction"] == 0.0


def test_generator_training_is_reproducible_and_loads(tmp_path):
    cfg = shapes_generator_offline.ShapesTrainConfig(n_images=64, steps=3, readout_steps=2, batch_size=8,
                                       vae=ShapesVAEConfig(latent_dim=4, width=8))
    a = shapes_generator_offline.train_shapes_generator(tmp_path / "a.pt", cfg, progress=False)
    b = shapes_generator_offline.train_shapes_generator(tmp_path / "b.pt", cfg, progress=False)
    pa, pb = (torch.load(p, weights_only=True) for p in (a, b))
    for part in ("vae", "readout"):
        assert pa[part].keys() == pb[part].keys()
        assert all(torch.equal(pa[part][k], pb[part][k]) for k in pa[part])
    assert pa["config"]["steps"] == 3 and 0 <= pa["evaluation"]["recon_mae"] <= 1
    g = shapes_generator_offline.load_shapes_generator(a, device="cpu")
    assert g.latent_shape == (4,) and g.readout is not None


def test_offline_checkpoint_errors(tmp_path):
    with pytest.raises(StyleCLIPError, match="--train-generator"):
        shapes_generator_offline.load_shapes_generator(tmp_path / "missing.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00garbage" * 50)
    with pytest.raises(StyleCLIPError, match="corrupt"):
        shapes_generator_offline.load_shapes_generator(bad)
    with pytest.raises(StyleCLIPError, match="does not exist"):
        generators.load_editable(str(tmp_path / "nothing.pt"))


# ------------------------------------------------------------------------------------ CLI


def test_cli_writes_figures_gif_and_json(tmp_path, tiny_clip_path):
    ckpt = shapes_generator_offline.save_shapes_generator(tmp_path / "g.pt", tiny_vae(), None)
    out = tmp_path / "out"
    code = main(["styleclip", "--text", "a blue circle", "--steps", "4", "--generator", str(ckpt),
                 "--model", str(tiny_clip_path), "--device", "cpu", "--out", str(out)])
    assert code == 0
    for name in ("before_after.png", "strip.png", "curves.png", "trajectory.gif"):
        assert (out / name).stat().st_size > 1000, name
    rec = read_json(out / "result.json")
    assert rec["text"] == "a blue circle" and rec["config"]["steps"] == 4
    assert len(rec["curves"]["similarity"]) == 5 and rec["start"] == "a red circle"
    from PIL import Image

    with Image.open(out / "trajectory.gif") as gif:
        assert gif.n_frames >= 2


def test_cli_reports_bad_input_as_one_line(tmp_path, tiny_clip_path, capsys):
    ckpt = shapes_generator_offline.save_shapes_generator(tmp_path / "g.pt", tiny_vae(), None)
    common = ["--generator", str(ckpt), "--model", str(tiny_clip_path), "--device", "cpu", "--out", str(tmp_path)]
    assert main(["styleclip", "--text", "", *common]) == 2
    assert "text must be a non-empty" in capsys.readouterr().err
    assert main(["styleclip", "--text", "a blue circle", "--steps", "0", *common]) == 2
    assert "steps must be a positive integer" in capsys.readouterr().err
    assert main(["styleclip", "--text", "x", "--generator", str(tmp_path / "none.pt")]) == 2
    assert "does not exist" in capsys.readouterr().err


# ------------------------------------------------------------------- entanglement study


def test_find_attributes_names_only_what_the_text_says():
    assert shapes_generator_offline.find_attributes("a blue circle") == {"shape": "circle", "colour": "blue"}
    assert shapes_generator_offline.find_attributes("a photo of a big star at the top on a checkered background") == {
        "shape": "star", "size": "big", "position": "top", "background": "checkered"}


def test_start_batch_varies_everything_but_shape_and_colour(shipped):
    latents, labels = styleclip_studies.start_batch(shipped, "a red circle", 5, seed=0)
    assert latents.shape == (5, 32) and labels[0] == "a red circle" and len(set(labels)) == 5
    for label in labels:
        attrs = shapes_generator_offline.parse_phrase(label)
        assert (attrs["shape"], attrs["colour"]) == ("circle", "red")
    probs = shipped.read_attributes(shipped.synthesize(latents))
    names = editable.attribute_names()
    assert {names["colour"][i] for i in probs["colour"].argmax(-1)} == {"red"}
    with pytest.raises(StyleCLIPError, match="positive number"):
        styleclip_studies.start_batch(shipped, "a red circle", 0)


def test_entanglement_study_counts_requested_and_unrequested_changes(shipped, lm):
    run, study = styleclip_studies.entanglement_study(shipped, lm, "a blue circle", "a red circle", n=3,
                                              config=EditConfig(steps=3), progress=False)
    assert study["requested"] == {"colour": "blue"}  # the starts are already circles
    assert set(study["unrequested_changed"]) == {"shape", "size", "position", "background"}
    r = study["readout"]
    for attr, frac in study["unrequested_changed"].items():
        assert frac == pytest.approx(np.mean(r[attr]["changed"]))
    assert study["requested_reached"]["colour"] == pytest.approx(np.mean([c == "blue" for c in r["colour"]["after"]]))
    sentence = prose.entanglement_sentence(study)
    assert "“a blue circle”" in sentence and "colour = blue in" in sentence and "of 3 edits" in sentence
    entry = styleclip_studies.edit_entry(run, start="a red circle")
    assert entry["prompt"] == "a blue circle" and entry["steps"] == 3
    assert entry["similarity_after"] == run.similarity_after[0]


def test_sweep_sentence_names_the_extremes_and_the_run():
    rows = [{"l2_lambda": 0.0, "similarity_before": 0.2, "similarity_after": 0.7, "pixel_change": 0.3},
            {"l2_lambda": 0.008, "similarity_before": 0.2, "similarity_after": 0.4, "pixel_change": 0.1},
            {"l2_lambda": 0.1, "similarity_before": 0.2, "similarity_after": 0.25, "pixel_change": 0.01}]
    text = prose.sweep_sentence(rows, 0.008)
    assert "highest similarity came at λ = 0 (0.700" in text
    assert "smallest change at λ = 0.1 (similarity 0.250, pixel change 0.010)" in text
    assert "A higher similarity is not a better edit" in text
    assert "used λ = 0.008: similarity 0.400" in text


def test_entanglement_study_on_stylegan2_uses_seeds_and_pixel_measures(lm):
    from test_stylegan2 import TINY, random_checkpoint, rosinality_spec

    from clip_course.generators import stylegan2

    g = stylegan2.Generator(**TINY).eval().requires_grad_(False)
    ckpt = random_checkpoint(rosinality_spec(**TINY))
    g.load_state_dict(ckpt["g_ema"])
    gen = generators.StyleGAN2Generator(g, ckpt["latent_avg"].view(1, -1), source="tiny")
    run, study = styleclip_studies.entanglement_study(gen, lm, "a woman with purple hair", "random", n=2,
                                              config=EditConfig(steps=4), progress=False)
    assert study["starts"] == ["seed 0", "seed 1"] and "readout" not in study
    torch.testing.assert_close(run.latent0[1:], gen.start_latent("random", seed=1))
    assert [s for s, _ in run.frames] == [0, 4]  # only the start and the result are kept
    assert study["pixel_change_mean"] == pytest.approx(np.mean(run.summary()["pixel_change"]))
    assert "of 2 edits" in prose.entanglement_sentence(study)


# ------------------------------------------------------------------------------ profiles


def test_paper_without_the_stylegan2_checkpoint_edits_with_the_offline_generator(tmp_path, monkeypatch):
    from clip_course.data import profiles

    monkeypatch.chdir(tmp_path)  # no data/stylegan2-ffhq-config-f.pt here
    off = styleclip_studies.resolve_setup("offline")
    assert (off["profile"], off["model"], off["generator"]) == ("offline", "miniclip", "offline")
    monkeypatch.setattr(profiles, "resolve", lambda name="auto", data_root="data", model=None: (
        profiles.paper("assets present.") if name in ("auto", "paper") else profiles.offline("asked")))
    # paper asked for: the chapter says so and edits with the offline generator, under the paper's CLIP
    paper = styleclip_studies.resolve_setup("paper")
    assert (paper["profile"], paper["model"], paper["generator"]) == ("paper", "ViT-B/32", "offline")
    assert "No StyleGAN2 checkpoint" in paper["reason"] and "offline ShapesWorld generator" in paper["reason"]
    assert "make download" in paper["reason"]
    auto = styleclip_studies.resolve_setup("auto")
    assert auto["generator"] == "offline" and "no StyleGAN2 checkpoint" in auto["reason"]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "stylegan2-ffhq-config-f.pt").write_bytes(b"x")
    paper = styleclip_studies.resolve_setup("auto")
    assert (paper["profile"], paper["model"], paper["generator"]) == ("paper", "ViT-B/32", "stylegan2")


# ------------------------------------------------------------------------------ notebook


def test_notebook_runs_offline_with_quick_parameters(quick_report):
    """Notebook 05 as the session's quick offline report ran it (its quick parameters, CPU here)."""
    import nbformat
    from PIL import Image

    out, _ = quick_report
    src = Path(__file__).resolve().parents[1] / "notebooks" / "05_styleclip.ipynb"
    quick = nbformat.read(src, as_version=4).metadata["clip_course"]["quick_parameters"]
    rec = read_json(out / "results" / "05_styleclip.json")
    assert rec["profile"] == "offline" and rec["generator"] == "shapes-vae" and rec["model"]["name"] == "miniclip"
    (entry,) = rec["edits"]
    assert entry["prompt"] == "a blue circle" and entry["steps"] == quick["steps"]
    assert entry["similarity_after"] > entry["similarity_before"]
    assert [r["l2_lambda"] for r in rec["sweep"]] == quick["sweep_lambdas"]
    study = rec["entanglement"]
    assert study["n"] == quick["n_starts"] and set(study["readout"]) == {"shape", "colour", "size", "position",
                                                                         "background"}
    assert len(rec["curves"]["similarity"]) == quick["steps"] + 1
    figures = out / "figures" / "05_styleclip"
    for name in ("before_after", "strip", "curves", "sweep", "entanglement"):
        with Image.open(figures / f"{name}.png") as im:
            assert im.format == "PNG" and min(im.size) > 150, name
    with Image.open(figures / "trajectory.gif") as gif:
        assert gif.n_frames > 2


def test_face_readout_is_clips_softmax_over_the_prompts_before_and_after(lm, tiny_gen):
    from clip_course.tasks.single_image import rank_prompts

    rng = np.random.default_rng(0)
    before, after = (rng.integers(0, 256, size=(1, 32, 32, 3), dtype=np.uint8) for _ in range(2))
    res = EditResult("a woman with purple hair", EditConfig(), [0.0], torch.zeros(1, 32), torch.zeros(1, 32),
                     frames=[(0, before), (1, after)])
    rows = styleclip_studies.face_readout(lm, res)
    assert [r["prompt"] for r in rows] == list(styleclip_studies.FACE_READOUT_PROMPTS)
    for key, image in (("before", before[0]), ("after", after[0])):
        assert math.isclose(sum(r[key] for r in rows), 1.0, rel_tol=1e-5)
        expected = dict(rank_prompts(lm, image, list(styleclip_studies.FACE_READOUT_PROMPTS)))
        assert all(math.isclose(r[key], expected[r["prompt"]], rel_tol=1e-5) for r in rows)
    assert not styleclip_studies.edits_faces(tiny_gen)  # the offline generator draws shapes: no face readout
