"""Zero-shot engine against an independent reference in openai's notebook style."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import top_k_accuracy_score

from clip_course.cli import main as cli_main
from clip_course.core.models import load
from clip_course.data.dataset import ImageDataset
from clip_course.tasks import zeroshot

CLASSES = ["cat", "dog", "red car", "blue circle", "airplane", "tree", "ship"]
TEMPLATES = ["a photo of a {}.", "a blurry photo of the {}.", "a {} in the snow."]


def reference_classifier(model, classnames, templates):
    """openai's prompt notebook: one forward pass per class, normalise, mean, renormalise."""
    import clip

    weights = []
    with torch.no_grad():
        for name in classnames:
            emb = model.encode_text(clip.tokenize([t.format(name) for t in templates]))
            emb = emb / emb.norm(dim=-1, keepdim=True)
            mean = emb.mean(dim=0)
            weights.append(mean / mean.norm())
    return torch.stack(weights, dim=1)


def reference_predictions(lm, images, weights):
    """PIL preprocess per image, encode_image, 100 * cosine."""
    with torch.no_grad():
        x = torch.stack([lm.preprocess(Image.fromarray(im)) for im in images])
        f = lm.model.encode_image(x)
        f = f / f.norm(dim=-1, keepdim=True)
    return 100.0 * f @ weights


@pytest.fixture(scope="module")
def lm(tiny_clip_path):
    return load(str(tiny_clip_path), device="cpu")


def test_classifier_matches_per_class_reference(lm):
    ours = zeroshot.build_classifier(lm, CLASSES, TEMPLATES)
    ref = reference_classifier(lm.model, CLASSES, TEMPLATES)
    assert ours.shape == (32, len(CLASSES))
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(ours.norm(dim=0), torch.ones(len(CLASSES)))


def test_predictions_match_reference_pipeline(lm, tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(200, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, len(CLASSES), size=200)
    ds = ImageDataset("random", "test", images, labels, CLASSES)
    scores, weights, tmpl = zeroshot.predict(lm, ds, TEMPLATES, cache_dir=str(tmp_path), progress=False)
    assert tmpl == TEMPLATES
    ref = reference_predictions(lm, images, reference_classifier(lm.model, CLASSES, TEMPLATES))
    agree = (scores.argmax(1) == ref.argmax(1)).float().mean().item()
    assert agree >= 0.999


def test_metrics_against_sklearn():
    rng = np.random.default_rng(1)
    scores = torch.tensor(rng.normal(size=(300, 12)), dtype=torch.float32)
    labels = rng.integers(0, 12, size=300)
    classes = [f"c{i}" for i in range(12)]
    m = zeroshot.classification_metrics(scores, labels, classes)
    s = scores.numpy()
    assert m["top1"] == pytest.approx(100 * top_k_accuracy_score(labels, s, k=1, labels=range(12)))
    assert m["top5"] == pytest.approx(100 * top_k_accuracy_score(labels, s, k=5, labels=range(12)))
    cm = sk_confusion(labels, s.argmax(1), labels=range(12))
    assert m["confusion"] == cm.tolist()
    recalls = np.diag(cm) / cm.sum(1)
    assert m["mean_per_class_recall"] == pytest.approx(100 * recalls.mean())
    assert m["per_class_accuracy"]["c3"] == pytest.approx(100 * recalls[3])


def test_most_confused_pairs_by_hand():
    cm = [[5, 3, 0], [1, 6, 0], [0, 4, 2]]
    rows = zeroshot.most_confused_pairs(cm, ["a", "b", "c"], n=5)
    assert [(r["true"], r["predicted"], r["count"]) for r in rows] == [("c", "b", 4), ("a", "b", 3), ("b", "a", 1)]
    assert rows[0]["rate"] == pytest.approx(100 * 4 / 6)


def test_evaluate_record_holds_parameters(lm, tmp_path):
    rng = np.random.default_rng(2)
    ds = ImageDataset("random", "test", rng.integers(0, 256, (40, 32, 32, 3), dtype=np.uint8),
                      rng.integers(0, 3, 40), CLASSES[:3])
    rec = zeroshot.evaluate(lm, ds, "single", cache_dir=str(tmp_path), progress=False)
    assert rec["task"] == "zeroshot" and rec["params"]["template_list"] == ["a photo of a {}."]
    assert rec["model"]["checkpoint_sha256"] == lm.checkpoint_sha256
    assert rec["dataset"]["size"] == 40 and 0 <= rec["metrics"]["top1"] <= 100
    assert rec["metrics"]["top5"] == 100.0  # 3 classes: the label is always among the top 5
    json.dumps(rec)


def _write_folder(root, n_classes=3):
    for k in range(n_classes):
        (root / f"class{k}").mkdir(parents=True)
        Image.new("RGB", (40, 32), (80 * k, 10, 200 - 60 * k)).save(root / f"class{k}" / "a.png")


def test_cli_writes_record(tmp_path, tiny_clip_path, capsys):
    _write_folder(tmp_path / "imgs")
    out = tmp_path / "out" / "zs.json"
    code = cli_main(["zeroshot", "--model", str(tiny_clip_path), "--dataset", f"folder:{tmp_path / 'imgs'}",
                     "--templates", "single", "--device", "cpu", "--cache-dir", str(tmp_path / "cache"),
                     "--out", str(out)])
    assert code == 0
    rec = json.loads(out.read_text())
    assert rec["dataset"]["classes"] == 3 and rec["metrics"]["n"] == 3
    assert "top-1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--dataset", "imagenet"], "imagenet"),
        (["--templates", "nonsense"], "nonsense"),
        (["--template", "a photo without a slot"], "a photo without a slot"),
        (["--model", "ViT-Q/99"], "ViT-Q/99"),
    ],
)
def test_cli_bad_input_exits_nonzero_naming_it(tmp_path, tiny_clip_path, capsys, args, needle):
    _write_folder(tmp_path / "imgs")
    base = ["zeroshot", "--model", str(tiny_clip_path), "--dataset", f"folder:{tmp_path / 'imgs'}",
            "--device", "cpu", "--cache-dir", str(tmp_path / "cache")]
    assert cli_main(base + args) == 2
    assert needle in capsys.readouterr().err


def test_cli_unreadable_image_in_folder(tmp_path, tiny_clip_path, capsys):
    _write_folder(tmp_path / "imgs")
    (tmp_path / "imgs" / "class1" / "bad.png").write_bytes(b"not an image")
    code = cli_main(["zeroshot", "--model", str(tiny_clip_path), "--dataset", f"folder:{tmp_path / 'imgs'}"])
    assert code == 2 and "bad.png" in capsys.readouterr().err


def test_empty_class_list_rejected(lm):
    from clip_course.errors import PromptError

    with pytest.raises(PromptError, match="empty"):
        zeroshot.build_classifier(lm, [], TEMPLATES)


def test_granularity_verdict_by_hand():
    # 1000 images each at 90% and 60%: SE = sqrt(.09/1000 + .24/1000) = 1.82 points
    g = zeroshot.granularity_verdict(90.0, 1000, 60.0, 1000)
    assert g["verdict"] == "drop" and g["diff"] == pytest.approx(-30.0)
    assert g["two_se"] == pytest.approx(2 * 100 * (0.33 / 1000) ** 0.5)
    assert zeroshot.granularity_verdict(95.8, 1000, 95.2, 1800)["verdict"] == "noise"
    assert zeroshot.granularity_verdict(60.0, 5000, 70.0, 5000)["verdict"] == "rise"


def test_score_keeps_classes_and_reindexes_against_a_hand_pipeline():
    """``score(..., keep=...)`` drops the images of classes it does not keep, re-indexes the rest and
    scores with the model's own logit scale: checked against features, weights and labels by hand."""
    from types import SimpleNamespace

    gen = torch.Generator().manual_seed(0)
    d, classes = 8, ["a", "b", "c"]
    protos = torch.nn.functional.normalize(torch.randn(3, d, generator=gen), dim=1)
    labels = np.array([0, 1, 2, 2, 1, 0, 2])
    feats = torch.nn.functional.normalize(protos[labels] + 0.1 * torch.randn(7, d, generator=gen), dim=1)
    lm = SimpleNamespace(model=SimpleNamespace(logit_scale=torch.tensor(np.log(20.0))))
    clf = zeroshot.Classifier(protos[[0, 2]].T.contiguous(), ("a", "c"), ("{}",), zeroshot.model_logit_scale(lm))
    scored = clf.score(feats, labels, classes)
    mask = labels != 1
    assert scored.kept_images.tolist() == mask.tolist()
    assert scored.labels.tolist() == [0, 1, 1, 0, 1]  # a -> 0, c -> 1
    want = 20.0 * feats[torch.from_numpy(mask)] @ protos[[0, 2]].T
    torch.testing.assert_close(scored.logits, want)
    assert scored.top1 == 100.0 * float(np.mean(want.argmax(1).numpy() == np.array([0, 1, 1, 0, 1])))
    assert scored.metrics["n"] == 5 and len(scored.metrics["per_class_accuracy"]) == 2
