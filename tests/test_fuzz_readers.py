"""Every on-disk reader fuzzed: it reads the file correctly or raises ClipCourseError naming it.

Property-based (hypothesis, derandomized: the same examples on every run). Each reader gets a
valid file of its format, then random bytes, truncations, byte edits and (for pickles) payloads
that name code to run. The property: a :class:`ClipCourseError` whose message names the file (or,
for folder readers, its folder), or a result that is what the format says (right dtype, shape,
labels in range, memory bounded by the file); never another exception, never more than
:data:`TIME_LIMIT` seconds, never a payload run. Closing counts, per reader, are printed at the
end of the module (``examples: N (read R, refused F)``).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import pickle
import signal
import sys
import tempfile
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from clip_course.core import checkpoint, feature_cache, hub
from clip_course.data import cifar, tv_binary, tv_files
from clip_course.data.folders import FileImages, load_image, read_image_folder
from clip_course.errors import ClipCourseError
from clip_course.report import notebook_params, schema

#: Examples per reader (each reader's file is small: the whole module runs in well under a minute).
EXAMPLES = 100
#: Seconds one read may take before it counts as a hang.
TIME_LIMIT = 10

FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

COUNTS: dict[str, Counter] = {}
RAN: list[str] = []  # what a payload would append to, were it ever run


def _payload_ran(*args: Any) -> str:
    """A global a malicious pickle names; the readers must never call it."""
    RAN.append(repr(args))
    return "ran"


class _Payload:
    def __reduce__(self):
        return (_payload_ran, ("payload",))


@pytest.fixture(scope="module", autouse=True)
def closing_counts(request):
    yield
    assert not RAN, f"a payload ran: {RAN}"
    lines = [f"  {name:<22} examples: {sum(c.values()):>3} ("
             + ", ".join(f"{k} {v}" for k, v in sorted(c.items())) + ")" for name, c in sorted(COUNTS.items())]
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print("\nfuzzed readers (derandomized hypothesis):\n" + "\n".join(lines))


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz_") as d:
        yield Path(d)


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    def stop(signum, frame):
        raise TimeoutError(f"a read took over {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _check(reader: str, read: Callable[[], Any], names: tuple[str, ...], valid: Callable[[Any], None],
           outcome: Callable[[Any], str] = lambda out: "read") -> None:
    """Run one read under the property: a valid result, or a ClipCourseError naming the file."""
    counts = COUNTS.setdefault(reader, Counter())
    with _time_limit(TIME_LIMIT), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the feature cache and rescaled images warn by design
        try:
            out = read()
        except ClipCourseError as err:
            counts["refused"] += 1
            assert any(n in str(err) for n in names), f"{reader}: the error does not name {names}: {err}"
            return
    counts[outcome(out)] += 1
    valid(out)


# --------------------------------------------------------------------------- byte strategies


def mutated(valid: bytes) -> st.SearchStrategy[bytes]:
    """Random bytes, or ``valid`` truncated and/or with up to 8 bytes replaced, inserted or deleted."""
    n = len(valid)

    def apply(args: tuple[int, list[tuple[int, int, int]]]) -> bytes:
        cut, edits = args
        b = bytearray(valid[:cut])
        for kind, pos, value in edits:
            if not b:
                break
            pos %= len(b)
            if kind == 0:
                b[pos] = value
            elif kind == 1:
                b.insert(pos, value)
            else:
                del b[pos]
        return bytes(b)

    edits = st.lists(st.tuples(st.integers(0, 2), st.integers(0, max(n - 1, 0)), st.integers(0, 255)), max_size=8)
    return st.one_of(
        st.binary(max_size=512),
        st.tuples(st.just(n), edits.filter(bool)).map(apply),
        st.tuples(st.integers(0, n), st.just([])).map(apply),
        st.tuples(st.integers(0, n), edits).map(apply),
    )


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --------------------------------------------------------------------------- CIFAR pickles


def _cifar_batch(n: int = 3) -> bytes:
    rng = np.random.default_rng(0)
    return pickle.dumps({b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                         b"labels": rng.integers(0, 10, n).tolist()}, protocol=2)


def _valid_cifar(ds) -> None:
    assert ds.images.dtype == np.uint8 and ds.images.shape[1:] == (32, 32, 3)
    assert len(ds.images) == len(ds.labels) and ds.labels.min() >= 0 and ds.labels.max() < 10


_PICKLED_VALUES = st.recursive(
    st.one_of(st.none(), st.integers(-300, 300), st.binary(max_size=40), st.text(max_size=10),
              st.builds(lambda n, k: np.zeros((n, k), dtype=np.uint8), st.integers(0, 3),
                        st.sampled_from([3, 3072, 7])),
              st.just(_Payload())),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from([b"data", b"labels", "data", b"x"]), inner, max_size=3)),
    max_leaves=8,
)


def _cifar_pickles() -> st.SearchStrategy[bytes]:
    structured = st.builds(lambda obj, proto: pickle.dumps(obj, protocol=proto), _PICKLED_VALUES, st.integers(2, 5))
    return st.one_of(mutated(_cifar_batch()), structured)


@FUZZ
@given(data=_cifar_pickles())
def test_cifar_batches(work, data):
    root = work / "cifar"
    _write(root / "cifar-10-batches-py" / "test_batch", data)
    _check("CIFAR pickle", lambda: cifar.read_cifar("cifar10", "test", root), ("test_batch", "cifar-10-batches-py"),
           _valid_cifar)


# --------------------------------------------------------------------------- idx (MNIST)


def _idx(shape=(2, 3, 4)) -> bytes:
    head = bytes([0, 0, 8, len(shape)]) + b"".join(d.to_bytes(4, "big") for d in shape)
    return head + np.arange(int(np.prod(shape)), dtype=np.uint8).tobytes()


def _valid_idx(size: int) -> Callable[[np.ndarray], None]:
    def check(a: np.ndarray) -> None:
        assert a.dtype == np.uint8 and 1 <= a.ndim <= 3 and a.nbytes <= size

    return check


@FUZZ
@given(data=mutated(_idx()))
def test_idx(work, data):
    path = _write(work / "idx" / "t10k-images-idx3-ubyte", data)
    _check("idx", lambda: tv_binary.read_idx(path), (path.name,), _valid_idx(len(data)))


@FUZZ
@given(data=mutated(gzip.compress(_idx(), mtime=0)))
def test_idx_gz(work, data):
    folder = work / "idxgz"
    path = _write(folder / "t10k-labels-idx1-ubyte.gz", data)
    _check("idx .gz", lambda: tv_binary.read_idx(folder / "t10k-labels-idx1-ubyte"), (path.name, "idx1-ubyte"),
           lambda a: _valid_idx(1 << 20)(a))


# --------------------------------------------------------------------------- .mat (SVHN, Flowers102)


def _mat(obj: dict) -> bytes:
    from scipy.io import savemat

    buf = io.BytesIO()
    savemat(buf, obj)
    return buf.getvalue()


def _valid_svhn(out) -> None:
    x, y = out
    assert x.dtype == np.uint8 and x.ndim == 4 and x.shape[3] == 3 and len(x) == len(y)
    assert y.dtype == np.int64 and (len(y) == 0 or (y.min() >= 0 and y.max() <= 9))


_SVHN = _mat({"X": np.arange(32 * 32 * 3 * 2, dtype=np.uint8).reshape(32, 32, 3, 2) % 251,
              "y": np.array([[1], [10]], dtype=np.uint8)})


@FUZZ
@given(data=mutated(_SVHN))
def test_svhn_mat(work, data):
    path = _write(work / "svhn" / "test_32x32.mat", data)
    _check("SVHN .mat", lambda: tv_binary.read_svhn(path), (path.name,), _valid_svhn)


_FLOWERS_LABELS = _mat({"labels": np.array([[1, 2, 102]], dtype=np.uint8)})
_FLOWERS_SETID = _mat({"trnid": np.array([[1]]), "valid": np.array([[2]]), "tstid": np.array([[3]])})


@FUZZ
@given(data=mutated(_FLOWERS_LABELS))
def test_flowers_mat(work, data):
    base = work / "flowers"
    _write(base / "setid.mat", _FLOWERS_SETID)
    _write(base / "imagelabels.mat", data)

    def valid(out) -> None:
        paths, labels, _ = out
        assert len(paths) == len(labels) == 1 and labels.dtype == np.int64

    _check("Flowers102 .mat", lambda: tv_files.flowers102(base, ("test",)), ("imagelabels.mat", "setid.mat"), valid)


# --------------------------------------------------------------------------- STL-10 binaries

_STL_CLASSES = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]


_STL_FILES = {"test_X.bin": bytes(range(256)) * 108, "test_y.bin": bytes([1, 10]),
              "class_names.txt": "\n".join(_STL_CLASSES).encode()}


@FUZZ
@given(which=st.sampled_from(sorted(_STL_FILES)), data=st.data())
def test_stl10_binaries(work, which, data):
    folder = work / "stl10_binary"
    for name, content in _STL_FILES.items():
        _write(folder / name, data.draw(mutated(content)) if name == which else content)

    def valid(out) -> None:
        images, labels = out
        assert images.shape[1:] == (96, 96, 3) and len(images) == len(labels)
        assert len(labels) == 0 or (labels.min() >= 0 and labels.max() <= 9)

    _check("STL-10 binaries", lambda: tv_binary.read_stl10(folder, "test", _STL_CLASSES), ("stl10_binary",), valid)


# --------------------------------------------------------------------------- image files


def _image_bytes(fmt: str) -> bytes:
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    mode = {"GIF": "P", "TIFF": "I;16"}.get(fmt, "RGB")
    a = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    im = Image.fromarray(a).convert("L").convert(mode) if mode != "RGB" else Image.fromarray(a)
    im.save(buf, format=fmt)
    return buf.getvalue()


_IMAGES = {fmt: _image_bytes(fmt) for fmt in ("PNG", "JPEG", "GIF", "BMP", "TIFF", "WEBP")}


def _valid_image(a: np.ndarray) -> None:
    assert a.dtype == np.uint8 and a.ndim == 3 and a.shape[2] == 3 and a.size <= 3 * Image.MAX_IMAGE_PIXELS


@FUZZ
@given(fmt=st.sampled_from(sorted(_IMAGES)), data=st.data())
def test_image_files(work, fmt, data):
    """One class folder's image fuzzed: the folder reader, the single-file reader and the header reader."""
    root = work / "images"
    for old in root.glob("*/*"):
        old.unlink()
    _write(root / "dog" / "0.png", _IMAGES["PNG"])
    path = _write(root / "cat" / f"0.{fmt.lower()}", data.draw(mutated(_IMAGES[fmt])))

    def read():
        ds = read_image_folder(root, "test")
        return ds, load_image(path), FileImages([path]).sizes

    def valid(out) -> None:
        ds, image, sizes = out
        assert ds.classes == ["cat", "dog"] and ds.labels.tolist() == [0, 1]
        _valid_image(image)
        assert sizes == [image.shape[:2]] and ds.images[0].shape == image.shape

    _check("image files", read, (path.name,), valid)


# --------------------------------------------------------------------------- checkpoints


def _state_dict_bytes() -> bytes:
    buf = io.BytesIO()
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "b": torch.tensor([1, 2])}, buf)
    return buf.getvalue()


def _valid_tensors(size: int) -> Callable[[dict], None]:
    def check(out: dict) -> None:
        assert isinstance(out, dict) and all(isinstance(v, torch.Tensor) for v in out.values())
        assert sum(v.numel() * v.element_size() for v in out.values()) <= 16 * size + 1024

    return check


@FUZZ
@given(data=st.one_of(mutated(_state_dict_bytes()),
                      st.builds(lambda: _torch_save({"w": torch.zeros(2), "x": _Payload()}))))
def test_state_dict_checkpoints(work, data):
    path = _write(work / "ckpt" / "model.pt", data)
    _check("state dict", lambda: checkpoint.read_state_dict(path), (path.name,), _valid_tensors(len(data)))


def _torch_save(obj: Any) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _torchscript_bytes() -> bytes:
    buf = io.BytesIO()
    torch.jit.save(torch.jit.trace(torch.nn.Linear(2, 3).eval(), torch.zeros(1, 2)), buf)
    return buf.getvalue()


_SCRIPT = _torchscript_bytes()


def _with_data_pkl(archive: bytes, data_pkl: bytes) -> bytes:
    """The archive with its data.pkl replaced (a well-formed zip: the unpickler sees the edit)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, data_pkl if item.filename.endswith("/data.pkl") else zin.read(item))
    return out.getvalue()


def _script_data_pkl() -> bytes:
    with zipfile.ZipFile(io.BytesIO(_SCRIPT)) as z:
        return z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))


@FUZZ
@given(data=st.one_of(
    mutated(_SCRIPT),
    mutated(_script_data_pkl()).map(lambda pkl: _with_data_pkl(_SCRIPT, pkl)),
    st.builds(lambda proto: _with_data_pkl(_SCRIPT, pickle.dumps(_Payload(), protocol=proto)), st.integers(2, 5)),
))
def test_torchscript_checkpoints(work, data):
    path = _write(work / "ckpt" / "script.pt", data)
    _check("TorchScript", lambda: checkpoint.read_state_dict(path), (path.name,), _valid_tensors(len(data)))


def _safetensors_bytes() -> bytes:
    from safetensors.torch import save

    return save({"w": torch.arange(4.0), "b": torch.ones(2, 2)})


@FUZZ
@given(data=mutated(_safetensors_bytes()))
def test_hub_files(work, data):
    """A hub copy's file (safetensors, or torch's .bin): a DownloadError naming the copy's file."""
    folder = work / "hub"

    def download(repo_id: str, filename: str) -> str:
        return str(_write(folder / filename, data))

    def read():
        hub.fetch("ViT-B/32", folder / "out.pt", download=download)

    def valid(_):
        raise AssertionError("these tensors are not CLIP's: fetch must refuse them")

    _check("hub files", read, ("open_clip_model.safetensors",), valid)
    assert not (folder / "out.pt").exists()


# --------------------------------------------------------------------------- params YAML, results JSON

_PARAMS = b"global:\n  seed: 0\n03_cifar_zero_shot:\n  limit: 200\n  datasets: [cifar10, cifar100]\n"


@FUZZ
@given(data=st.one_of(mutated(_PARAMS), st.text(max_size=80).map(str.encode)))
def test_params_yaml(work, data):
    path = _write(work / "params" / "params.yaml", data)

    def valid(out) -> None:
        assert isinstance(out, dict) and all(isinstance(k, str) and isinstance(v, dict) for k, v in out.items())

    _check("params YAML", lambda: notebook_params.load_params_file(path), (path.name,), valid)


_RESULTS = json.dumps(schema.example_record("01_intro")).encode()


@FUZZ
@given(data=mutated(_RESULTS))
def test_results_json(work, data):
    path = _write(work / "results" / "01_intro.json", data)

    def valid(out) -> None:
        schema.validate("01_intro", out)

    _check("results JSON", lambda: schema.read_results(path, "01_intro"), (path.name,), valid)


# --------------------------------------------------------------------------- feature cache

_KEY = {"checkpoint_sha256": "ab" * 32, "dataset": "shapes10", "split": "test", "fingerprint": "f" * 64, "n": 3,
        "resolution": 32, "preprocess_version": 1, "preprocess": "p", "dtype": "float32"}
_FEATS = torch.arange(12, dtype=torch.float32).reshape(3, 4) / 7


def _cache_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.pt"
        feature_cache._write_cache(path, _KEY, _FEATS)
        return path.read_bytes()


@FUZZ
@given(data=mutated(_cache_bytes()))
def test_feature_cache(work, data):
    """The cache never raises: a damaged file is deleted (None: recompute); what it returns is exact."""
    path = _write(work / "cache" / "features" / "shapes10_test.pt", data)

    def read():
        return feature_cache._read_cache(path, _KEY, 4)

    def valid(out) -> None:
        if out is None:
            assert not path.exists()  # deleted, recomputed by the caller
        else:
            assert torch.equal(out, _FEATS)

    _check("feature cache", read, (path.name,), valid,
           lambda out: "read" if out is not None else "detected, deleted")


def test_valid_files_read():
    """The seeds of the fuzzing are themselves valid (else every example would only test refusals)."""
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        root = work / "cifar"
        _write(root / "cifar-10-batches-py" / "test_batch", _cifar_batch())
        _valid_cifar(cifar.read_cifar("cifar10", "test", root))
        assert tv_binary.read_idx(_write(work / "a-idx3-ubyte", _idx())).shape == (2, 3, 4)
        _valid_svhn(tv_binary.read_svhn(_write(work / "s.mat", _SVHN)))
        for fmt, content in _IMAGES.items():
            assert load_image(_write(work / f"i.{fmt.lower()}", content)).shape == (6, 5, 3)
        assert set(checkpoint.read_state_dict(_write(work / "m.pt", _state_dict_bytes()))) == {"w", "b"}
        assert set(checkpoint.read_state_dict(_write(work / "s.pt", _SCRIPT))) == {"weight", "bias"}
        assert notebook_params.load_params_file(_write(work / "p.yaml", _PARAMS))["03_cifar_zero_shot"]["limit"] == 200
        schema.read_results(_write(work / "r.json", _RESULTS), "01_intro")
        cache = _write(work / "features" / "c.pt", _cache_bytes())
        assert torch.equal(feature_cache._read_cache(cache, _KEY, 4), _FEATS)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
