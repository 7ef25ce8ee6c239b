"""Checkpoints of unknown origin are read as tensors only: nothing in the file runs."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from clip_course.core import models
from clip_course.core.models import TENSORS_ONLY, TRUSTED_BY_USER, load
from clip_course.errors import ModelLoadError


class _MarkerModule(torch.nn.Module):
    """A TorchScript module whose __setstate__ creates a file (torch.from_file(shared=True))."""

    def __init__(self, marker: str) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(3, 2))
        self.marker = marker
        self.k = torch.zeros(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.w.t()

    @torch.jit.export
    def __getstate__(self) -> tuple[torch.Tensor, str, bool]:
        return (self.w, self.marker, self.training)

    @torch.jit.export
    def __setstate__(self, state: tuple[torch.Tensor, str, bool]) -> None:
        self.w = state[0]
        self.marker = state[1]
        self.training = state[2]
        self.k = torch.from_file(self.marker, shared=True, size=4)


def _evil_archive(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "MARKER_jit"
    path = tmp_path / "evil.pt"
    torch.jit.script(_MarkerModule(str(marker))).save(str(path))
    return path, marker


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_torchscript_payload_is_live_but_not_run_by_load(tmp_path):
    path, marker = _evil_archive(tmp_path)
    # the payload is real: torch.jit.load runs it ...
    torch.jit.load(str(path))
    assert marker.exists()
    marker.unlink()
    # ... models.load does not (the archive is not a CLIP, so it is refused, having run nothing)
    with pytest.raises(ModelLoadError):
        load(str(path), device="cpu")
    assert not marker.exists()


def test_pickle_payload_not_run_even_when_torch_is_forced_unsafe(tmp_path, monkeypatch):
    marker = tmp_path / "MARKER_pickle"
    path = tmp_path / "evil_pickle.pt"
    with open(path, "wb") as f:
        pickle.dump({"w": _Payload(marker)}, f)
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    with pytest.raises(ModelLoadError):
        load(str(path), device="cpu")
    with pytest.raises(ModelLoadError):
        load(str(path), device="cpu", trust=True)  # trust executes TorchScript, never pickles
    assert not marker.exists()


def test_torchscript_with_payload_global_in_data_pkl_refused(tmp_path, tiny_clip_path):
    """A hand-edited archive whose data.pkl names os.system: refused by the restricted unpickler."""
    import zipfile

    from conftest import make_tiny_clip

    model = make_tiny_clip().eval()
    traced = torch.jit.trace(model, (torch.randn(1, 3, 32, 32), torch.zeros(1, 77, dtype=torch.long)),
                             check_trace=False)
    good = tmp_path / "good.pt"
    traced.save(str(good))
    marker = tmp_path / "MARKER_datapkl"
    bad = tmp_path / "bad.pt"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.endswith("/data.pkl"):
                data = pickle.dumps(_Payload(marker), protocol=2)
            zout.writestr(item, data)
    with pytest.raises(ModelLoadError, match="run code.*--trust-checkpoint"):
        load(str(bad), device="cpu")
    assert not marker.exists()


def test_jit_archive_read_as_tensors_matches_executed_load(tmp_path):
    from conftest import make_tiny_clip

    model = make_tiny_clip().eval()
    traced = torch.jit.trace(model, (torch.randn(1, 3, 32, 32), torch.zeros(1, 77, dtype=torch.long)),
                             check_trace=False)
    path = tmp_path / "tiny_jit.pt"
    traced.save(str(path))
    safe = load(str(path), device="cpu")
    trusted = load(str(path), device="cpu", trust=True)
    assert safe.checkpoint_trust == TENSORS_ONLY and trusted.checkpoint_trust == TRUSTED_BY_USER
    a, b = safe.model.state_dict(), trusted.model.state_dict()
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_openai_hash_is_trusted(tmp_path, monkeypatch):
    from conftest import make_tiny_clip

    traced = torch.jit.trace(make_tiny_clip().eval(),
                             (torch.randn(1, 3, 32, 32), torch.zeros(1, 77, dtype=torch.long)), check_trace=False)
    path = tmp_path / "tiny_jit.pt"
    traced.save(str(path))
    sha = models.checkpoint_sha256(path)
    monkeypatch.setattr(models, "openai_sha256s", lambda: {sha: "ViT-B/32"})
    assert load(str(path), device="cpu").checkpoint_trust == models.TRUSTED_OPENAI


def test_state_dict_records_tensors_only(tiny_clip_path):
    lm = load(str(tiny_clip_path), device="cpu")
    assert lm.checkpoint_trust == TENSORS_ONLY and lm.describe()["checkpoint_trust"] == TENSORS_ONLY


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_weights_refused(tmp_path, tiny_clip_path, value):
    sd = torch.load(tiny_clip_path, weights_only=True)
    sd["visual.proj"][0, 0] = value
    path = tmp_path / "nan.pt"
    torch.save(sd, path)
    with pytest.raises(ModelLoadError, match="NaN or infinite weights.*visual.proj"):
        load(str(path), device="cpu")


def test_cuda_unavailable_names_the_device(tiny_clip_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ModelLoadError, match="Device 'cuda' is unavailable") as info:
        load(str(tiny_clip_path), device="cuda")
    assert "corrupt" not in str(info.value)


def test_bogus_device_is_one_line(tiny_clip_path):
    with pytest.raises(ModelLoadError, match="Unknown device 'bogus'"):
        load(str(tiny_clip_path), device="bogus")


def test_cli_trust_flag_and_payload_in_subprocess(tmp_path):
    """End to end: the CLI refuses the archive in one line and the marker never appears."""
    path, marker = _evil_archive(tmp_path)
    env = {**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    proc = subprocess.run([sys.executable, "-m", "clip_course", "zeroshot", "--model", str(path),
                           "--dataset", "shapes10", "--limit", "4", "--device", "cpu", "--cache-dir",
                           str(tmp_path / "cache")], capture_output=True, text=True, env=env)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: ")
    assert "evil.pt" in proc.stderr
    assert not marker.exists()
