"""The sentences that say what a build ran (paper profile): one case stated, never a range of one, a
comparison with itself or a promise of what did not run."""

from __future__ import annotations

from clip_course.data.naming import ModelName
from clip_course.data.published import VIT_B32
from clip_course.notebook import model_table
from clip_course.report import facts, prose, prose_across
from clip_course.report.captions import kshot_caption

OPENAI = ModelName("OpenAI's ViT-B/32", "OpenAI 的 ViT-B/32", "openai", True, True, "a" * 64)
OTHER = ModelName("the checkpoint x.pt (sha256 5d7f5341b8e6…)", "检查点 x.pt（sha256 5d7f5341b8e6…）", "other",
                  False, False, "5d7f" + "0" * 60)


def test_appendix_b_gives_the_download_step_of_what_was_missing():
    results = {"05": {"profile": "paper", "generator": "shapes-vae"},
               "07": {"missing": {"eurosat": "not on disk", "dtd": "not on disk"}}}
    steps = facts.to_fetch(results)
    assert [command for _, command in steps] == ["make download-styleclip", "make download DATASETS=dtd,eurosat"]
    assert "StyleGAN2 FFHQ" in steps[0][0].en and steps[1][0].en.startswith("dtd, eurosat:")
    # StyleGAN2 ran (or an offline build): nothing to fetch
    assert facts.to_fetch({"05": {"profile": "paper", "generator": "stylegan2-1024"}, "07": {"missing": {}}}) == []


def test_openais_file_is_not_set_beside_itself_in_the_model_table():
    info = {**VIT_B32, "name": "clip-cache/ViT-B-32.pt", "logit_scale": 100.0}
    header = model_table(info, name=OPENAI).splitlines()[0]
    assert "OpenAI's ViT-B/32" in header and header.count("|") == 3  # the label column and one model column
    assert model_table(info, name=OTHER).splitlines()[0].count("|") == 4  # another file: beside OpenAI's
    assert "sha256 is the one OpenAI published" in prose.model_table_caption(OPENAI, False).en
    assert "not the one OpenAI published" in prose.model_table_caption(OTHER, False).en


def test_a_probe_on_fewer_classes_than_the_published_figure_is_not_compared():
    rows = [{"quantity": "zero-shot top-1", "dataset": "cifar100", "n_way": 100, "reference_dataset": "cifar100"},
            {"quantity": "linear probe top-1", "dataset": "cifar100", "n_way": 10, "reference_dataset": "cifar100"}]
    same = prose.comparison_note(rows, OPENAI).en
    assert "for the same model" in same and "linear probe top-1 on cifar100 is a 10-way task" in same
    assert "zero-shot top-1 on cifar100" not in same and "100-way: that row is not comparable" in same
    assert "not OpenAI's released file" in prose.comparison_note(rows[:1], OTHER).en


def test_one_draw_and_one_k_are_said_as_such():
    curves = {"cifar10": {"1": {"mean": 20.0, "std": 0.0}}}
    one = kshot_caption(curves, {"cifar10": 30.0}, draws=1).en
    assert "one draw of the training images, k = 1)" in one and "±" not in one
    assert "mean ± spread over 3 draws, k = 1 to 16" in kshot_caption(
        {"cifar10": {"1": {"mean": 20.0, "std": 1.0}, "16": {"mean": 40.0, "std": 1.0}}}, {"cifar10": 30.0}, draws=3).en


def test_the_solver_and_the_training_images_that_ran_are_stated():
    quick = prose.probe_protocol_sentence("torch", 50, {"cifar10": 40, "cifar100": 200}, 200).en
    assert "L-BFGS in PyTorch, at most 50 iterations" in quick and "may stop short of convergence" in quick
    assert "cifar10: 40 of the 200 requested; cifar100: 200" in quick
    full = prose.probe_protocol_sentence("sklearn", 1000, {"cifar10": 50000}, None).en
    assert "as in the paper's protocol" in full and "cifar10: 50,000" in full and "requested" not in full


def test_figure_5s_contrast_names_the_missing_families_not_the_object_sets():
    text = prose_across.paper_sentence(None, False, 0, ["cifar10", "cifar100"], ["stl10", "eurosat", "mnist"]).en
    assert "this run measured only cifar10, cifar100, so it draws none" in text
    assert "eurosat, mnist were not on disk" in text and "stl10" not in text and "Appendix B" in text


def test_one_corruption_severity_and_several_are_worded_for_what_ran():
    assert "at severity 5 on 12" in prose.corruptions_sentence(["gaussian_noise"], [5], 12, "cifar10").en
    assert "gaussian_noise, blur at severities 3, 5" in prose.corruptions_sentence(
        ["gaussian_noise", "blur"], [3, 5], 12, "cifar10").en
