"""The checkpoint file: a zip archive that holds a step's state without
pickle, so loading a checkpoint never runs code.

- ``checkpoint.json``: ``{"format": 1, "step", "saved_at", "metrics",
  "state"}``, the state as JSON in which each NumPy array is
  ``{"__array__": "arrays/<n>.npy"}`` and each ``bytes`` value
  ``{"__bytes__": "bytes/<n>"}``;
- ``arrays/<n>.npy``: NumPy's own format, read back with
  ``allow_pickle=False`` (object arrays are refused when saving);
- ``bytes/<n>``: raw bytes (a serialised model of your own format).

A state is a dict of JSON values (str, int, float, bool, None, lists, dicts
with string keys), NumPy arrays and bytes, nested as you like. NumPy is
imported only when a state holds arrays.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

from ..errors import CheckpointError

FORMAT_VERSION = 1
_MANIFEST = "checkpoint.json"
_ARRAY = "__array__"
_BYTES = "__bytes__"
_RESERVED = (_ARRAY, _BYTES)


@dataclass
class Saved:
    """A checkpoint as loaded: the ``step`` it was saved at, the ``state``
    given to ``save``, its ``metrics`` and when it was written (ISO 8601)."""

    step: int
    state: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    saved_at: str = ""


def encode(step: int, state: dict[str, Any], metrics: dict[str, Any], saved_at: str) -> bytes:
    """``state`` as a checkpoint file's bytes (a CheckpointError names the
    first value that cannot be stored, by its path in the state)."""
    if not isinstance(state, dict):
        raise CheckpointError(
            f"a checkpoint's state must be a dict, got {type(state).__name__}: "
            "return {'name': value, ...} with JSON values, NumPy arrays or bytes"
        )
    blobs: list[tuple[str, bytes]] = []

    def walk(value: Any, path: str) -> Any:
        if value is None or isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                return {"__float__": repr(value)}
            return value
        if isinstance(value, (bytes, bytearray, memoryview)):
            name = f"bytes/{len(blobs)}"
            blobs.append((name, bytes(value)))
            return {_BYTES: name}
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise CheckpointError(f"state{path}: keys must be strings, got {key!r}")
                if key in _RESERVED or key == "__float__":
                    raise CheckpointError(f"state{path}: the key {key!r} is reserved")
                out[key] = walk(item, f"{path}.{key}")
            return out
        if isinstance(value, (list, tuple)):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if type(value).__module__ == "numpy" and hasattr(value, "dtype"):
            return walk_numpy(value, path)
        raise CheckpointError(
            f"state{path or ''}: a {type(value).__module__}.{type(value).__name__} cannot be "
            "stored in a checkpoint (no pickle); store JSON values, NumPy arrays or bytes"
        )

    def walk_numpy(value: Any, path: str) -> Any:
        import numpy as np

        if isinstance(value, np.generic):  # a NumPy scalar: as the Python value
            return walk(value.item(), path)
        if value.dtype.hasobject:
            raise CheckpointError(
                f"state{path}: an array of Python objects cannot be stored (no pickle)"
            )
        buffer = io.BytesIO()
        np.save(buffer, value, allow_pickle=False)
        name = f"arrays/{len(blobs)}.npy"
        blobs.append((name, buffer.getvalue()))
        return {_ARRAY: name}

    manifest = {
        "format": FORMAT_VERSION,
        "step": int(step),
        "saved_at": saved_at,
        "metrics": walk(metrics, ".metrics") if metrics else {},
        "state": walk(state, ""),
    }
    out = io.BytesIO()
    # stored, not deflated: arrays of floats hardly compress, and saving
    # must cost the training loop as little as possible
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest, allow_nan=False))
        for name, blob in blobs:
            archive.writestr(name, blob)
    return out.getvalue()


def decode(data: bytes, where: str = "checkpoint") -> Saved:
    """A checkpoint file's bytes back as :class:`Saved` (a CheckpointError
    naming ``where`` when they are not a readable checkpoint)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = json.loads(archive.read(_MANIFEST))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CheckpointError(f"{where} is not a readable checkpoint: {exc}") from exc
    if manifest.get("format") != FORMAT_VERSION:
        raise CheckpointError(
            f"{where} has checkpoint format {manifest.get('format')!r}; this Baton reads "
            f"format {FORMAT_VERSION}"
        )

    def load(value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {_ARRAY}:
                import numpy as np

                return np.load(io.BytesIO(archive.read(value[_ARRAY])), allow_pickle=False)
            if set(value) == {_BYTES}:
                return archive.read(value[_BYTES])
            if set(value) == {"__float__"}:
                return float(value["__float__"])
            return {k: load(v) for k, v in value.items()}
        if isinstance(value, list):
            return [load(v) for v in value]
        return value

    try:
        return Saved(
            step=int(manifest["step"]),
            state=load(manifest["state"]),
            metrics=load(manifest.get("metrics") or {}),
            saved_at=str(manifest.get("saved_at") or ""),
        )
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise CheckpointError(f"{where} is not a readable checkpoint: {exc}") from exc
