"""Reading checkpoint tensors without running any code from the file.

``torch.jit.load`` executes the TorchScript in an archive (a module's ``__setstate__`` runs
while loading) and a plain ``pickle`` runs whatever globals a file names. A checkpoint of
unknown origin is therefore read here as tensors only:

- a state dict through ``torch.load(weights_only=True)`` (passed explicitly, so that
  ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot turn it off, and torch < 2.6 is safe too);
- a TorchScript archive by unpickling its ``data.pkl`` with a restricted unpickler that knows
  only tensors, storages and containers; the archive's modules become inert records whose
  attribute dicts give the state dict. Its code is never compiled or run.
"""

from __future__ import annotations

import collections
import os
import pickle
import zipfile
from typing import Any

import torch

from clip_course.errors import ModelLoadError
from clip_course.io import printable

__all__ = ["is_torchscript_archive", "read_state_dict", "UnsafeCheckpointError"]

#: Storage classes a TorchScript pickle names, mapped to the dtype of their bytes.
_STORAGE_DTYPES = {
    "FloatStorage": torch.float32, "DoubleStorage": torch.float64, "HalfStorage": torch.float16,
    "BFloat16Storage": torch.bfloat16, "LongStorage": torch.int64, "IntStorage": torch.int32,
    "ShortStorage": torch.int16, "CharStorage": torch.int8, "ByteStorage": torch.uint8,
    "BoolStorage": torch.bool,
}


class UnsafeCheckpointError(ModelLoadError, pickle.UnpicklingError):
    """The file names a global that a tensors-only reader does not admit (nothing from it ran)."""


#: A storage entry larger than this many bytes per value is not a storage (bounds memory on a damaged file).
_MAX_ITEMSIZE = 16


class _ScriptRecord:
    """Inert stand-in for a ``__torch__`` class: keeps the state it is given, runs nothing."""

    def __init__(self, *args: object) -> None:
        self.state: object = None

    def __setstate__(self, state: object) -> None:
        self.state = state


class _StorageType:
    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype


def _rebuild_tensor_v2(storage, offset, size, stride, requires_grad=False, hooks=None, *extra):
    # torch's own rebuild minus backward hooks (a checkpoint has no business setting any).
    t = torch.empty((0,), dtype=storage.dtype).set_(storage.untyped(), offset, size, stride)
    return t


def _rebuild_parameter(data, requires_grad, hooks, *extra):
    return data


class _TensorsOnlyUnpickler(pickle.Unpickler):
    """Unpickles a TorchScript ``data.pkl``: tensors, storages, containers, inert records."""

    def __init__(self, file, archive: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix

    def find_class(self, module: str, name: str) -> Any:
        if module == "__torch__" or module.startswith("__torch__."):
            return _ScriptRecord
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise UnsafeCheckpointError(f"refusing the global {module}.{name}")

    def persistent_load(self, pid: object) -> torch.storage.TypedStorage:
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise UnsafeCheckpointError(f"unexpected persistent id {pid!r}")
        _, stype, key, _location, numel = pid
        name = f"{self._prefix}/data/{key}"
        info = self._archive.getinfo(name)  # KeyError: no such entry
        if not isinstance(numel, int) or numel < 0 or info.file_size > _MAX_ITEMSIZE * numel + 64:
            raise pickle.UnpicklingError(f"storage {key} is {info.file_size} bytes for {numel!r} values")
        raw = bytearray(self._archive.read(name))
        untyped = torch.UntypedStorage.from_buffer(raw, dtype=torch.uint8) if raw else torch.UntypedStorage(0)
        storage = torch.storage.TypedStorage(wrap_storage=untyped, dtype=stype.dtype, _internal=True)
        if storage.size() < numel:
            raise pickle.UnpicklingError(f"storage {key} holds {storage.size()} values, expected {numel}")
        return storage


def is_torchscript_archive(path: str | os.PathLike) -> bool:
    """True when ``path`` is a zip holding TorchScript code (what ``torch.jit.save`` writes)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as z:
        return any(n.split("/")[1:2] == ["constants.pkl"] or "/code/" in n for n in z.namelist())


def _flatten(obj: object, prefix: str, out: dict[str, torch.Tensor], seen: set[int] | None = None) -> None:
    # A module record's state is its attribute dict: tensors are parameters and buffers,
    # records are sub-modules (torch.jit.save writes exactly these for a traced model).
    seen = set() if seen is None else seen
    if id(obj) in seen or prefix.count(".") > 64:  # a pickle can make a record hold itself
        raise ValueError(f"module {prefix or '<root>'} contains itself (or nests over 64 deep)")
    seen.add(id(obj))
    state = obj.state if isinstance(obj, _ScriptRecord) else obj
    if not isinstance(state, dict):
        raise ValueError(
            f"module {prefix or '<root>'} stores its state as {type(state).__name__}, not as "
            f"attributes (a custom __setstate__); its tensors cannot be named without running it"
        )
    for name, value in state.items():
        key = f"{prefix}{name}"
        if isinstance(value, torch.Tensor):
            out[key] = value
        elif isinstance(value, _ScriptRecord):
            _flatten(value, f"{key}.", out, seen)


def _read_torchscript_tensors(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The state dict of a TorchScript archive, read without executing the archive."""
    with zipfile.ZipFile(path) as z:
        data = [n for n in z.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if len(data) != 1:
            raise ValueError(f"{path} has {len(data)} data.pkl entries, expected one")
        prefix = data[0].rsplit("/", 1)[0]
        with z.open(data[0]) as f:
            root = _TensorsOnlyUnpickler(f, z, prefix).load()
    out: dict[str, torch.Tensor] = {}
    _flatten(root, "", out)
    return out


def _read(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    if is_torchscript_archive(path):
        return _read_torchscript_tensors(path)
    obj = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"it holds a {type(obj).__name__}, not a dict of tensors")
    return obj


def _check_storage(tensors: dict[str, torch.Tensor]) -> None:
    """Each tensor within its own bytes: a damaged file could make a 0-stride view of 10^12 values
    that any later reduction would materialise."""
    for key, t in tensors.items():
        if t.numel() > max(1, t.untyped_storage().nbytes() // max(1, t.element_size())):
            raise ValueError(f"tensor {key!r} of shape {tuple(t.shape)} is larger than its stored values")


def read_state_dict(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """Tensors of a checkpoint (state dict or TorchScript archive); never runs code from it.

    A file that is not one raises :class:`~clip_course.errors.ModelLoadError` naming it
    (:class:`UnsafeCheckpointError`, also one, when it names code to run).
    """
    try:
        tensors = _read(path)
        _check_storage(tensors)
    except UnsafeCheckpointError as err:
        raise UnsafeCheckpointError(
            f"Refused to load {printable(path)}: it asks to run code while loading ({err}). Nothing from it "
            f"ran. If you trust where the file came from, pass --trust-checkpoint."
        ) from None
    except ModelLoadError:
        raise
    except Exception as err:  # torch, zipfile and pickle raise many types for a damaged file
        raise ModelLoadError(
            f"Could not read the checkpoint {printable(path)}: it is corrupt, truncated or not a CLIP checkpoint "
            f"({type(err).__name__}: {printable(' '.join(str(err).split())[:200])}). Delete it and fetch it "
            f"again (`make download` for openai weights, `make pretrain` for MiniCLIP)."
        ) from None
    return tensors
