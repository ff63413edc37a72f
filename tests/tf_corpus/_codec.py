"""Lossless JSON + ``.npz`` encoding of tensors and nested structures for the reference corpus.

No TensorFlow here: the build side (``_common.py``) and the test side (``cases.py``) both use it.

A tensor leaf is a JSON object ``{"dtype": <TF dtype name>, "shape": [...], ...}`` plus either
``"npz": <key>`` naming an array in the companion ``.npz`` file (written with ``np.savez``,
``allow_pickle=False``), or, for ``dtype == "string"``, ``"b64": [...]``: the flattened elements in
C order, each base64-encoded. Base64 keeps every byte (NumPy ``S`` arrays drop trailing NULs, and
``.npz`` cannot hold ``object`` arrays without pickle). Dtypes NumPy cannot store natively
(``bfloat16``, the ``float8`` family, ``int4``...) are stored as the unsigned integer view of the
same width; ``"dtype"`` names the real type. Decoded strings come back as ``object`` arrays of
``bytes``, as TensorFlow's ``.numpy()`` returns them.

Nested structures: ``{"dict": {...}}``, ``{"list": [...]}``, ``{"tuple": [...]}`` and
``{"none": true}``; anything holding a ``"dtype"`` key is a leaf.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import ml_dtypes
import numpy as np

FORMAT_VERSION = 1

# TF dtype names whose NumPy type lives in ml_dtypes (stored as their unsigned-int view).
_ML_DTYPES = {
    name: np.dtype(getattr(ml_dtypes, name))
    for name in ("bfloat16", "float8_e5m2", "float8_e4m3fn", "float8_e4m3fnuz",
                 "float8_e4m3b11fnuz", "float8_e5m2fnuz", "int4", "uint4")
    if hasattr(ml_dtypes, name)
}


def dtype_name(array: np.ndarray) -> str:
    """TF dtype name of a NumPy array (object, ``S`` and ``U`` arrays are ``string``)."""
    if array.dtype == object or array.dtype.kind in "SU":
        return "string"
    return array.dtype.name


def numpy_dtype(name: str) -> np.dtype:
    """NumPy dtype for a TF dtype name (``object`` for ``string``)."""
    if name == "string":
        return np.dtype(object)
    if name in _ML_DTYPES:
        return _ML_DTYPES[name]
    return np.dtype(name)


def _as_bytes(item: Any) -> bytes:
    return item.encode("utf-8") if isinstance(item, str) else bytes(item)


class Encoder:
    """Turns arrays and nested structures into JSON nodes, collecting arrays for one ``.npz``."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}

    def leaf(self, value: Any) -> dict:
        """JSON node for one tensor (an array, a NumPy scalar, ``bytes`` or ``str``)."""
        is_text = isinstance(value, (bytes, str))
        array = np.asarray(value, dtype=object) if is_text else np.asarray(value)
        name = dtype_name(array)
        node: dict[str, Any] = {"dtype": name, "shape": list(array.shape)}
        if name == "string":
            flat = array.reshape(-1)
            node["b64"] = [base64.b64encode(_as_bytes(item)).decode("ascii") for item in flat]
            return node
        key = f"t{len(self.arrays)}"
        if name in _ML_DTYPES:
            array = array.view(f"u{array.dtype.itemsize}")
        self.arrays[key] = np.array(array, order="C")  # ascontiguousarray would make 0-d 1-d
        node["npz"] = key
        return node

    def nest(self, value: Any) -> dict:
        """JSON node for a nested structure of dicts, lists, tuples, None and tensors."""
        if value is None:
            return {"none": True}
        if isinstance(value, dict):  # sorted: TF's output dicts do not keep one order
            return {"dict": {k: self.nest(value[k]) for k in sorted(value, key=str)}}
        if isinstance(value, list):
            return {"list": [self.nest(v) for v in value]}
        if isinstance(value, tuple):
            return {"tuple": [self.nest(v) for v in value]}
        return self.leaf(value)

    def save(self, doc: dict, json_path: Path, npz_path: Path) -> None:
        """Writes ``doc`` as JSON and the collected arrays as ``.npz``."""
        json_path.write_text(json.dumps(dict(doc, format=FORMAT_VERSION), indent=1) + "\n")
        np.savez(npz_path, **self.arrays)


def decode_leaf(node: dict, arrays: Any) -> np.ndarray:
    """Array for a leaf node (``arrays``: the loaded ``.npz``)."""
    shape = tuple(node["shape"])
    if node["dtype"] == "string":
        items = [base64.b64decode(item) for item in node["b64"]]
        out = np.empty(len(items), dtype=object)
        out[:] = items
        return out.reshape(shape)
    stored = arrays[node["npz"]]
    if node["dtype"] in _ML_DTYPES:
        stored = stored.view(_ML_DTYPES[node["dtype"]])
    if stored.dtype != numpy_dtype(node["dtype"]) or stored.shape != shape:
        raise ValueError(f"Corpus tensor {node['npz']!r}: stored {stored.dtype}{stored.shape}, "
                         f"expected {node['dtype']}{shape}. Rebuild the corpus.")
    return stored


def decode(node: dict, arrays: Any) -> Any:
    """Nested structure for a node written by ``Encoder.nest``."""
    if "dtype" in node:
        return decode_leaf(node, arrays)
    if "none" in node:
        return None
    if "dict" in node:
        return {k: decode(v, arrays) for k, v in node["dict"].items()}
    if "list" in node:
        return [decode(v, arrays) for v in node["list"]]
    if "tuple" in node:
        return tuple(decode(v, arrays) for v in node["tuple"])
    raise ValueError(f"Corpus JSON node with unknown kind: {sorted(node)}.")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Flat ``{path: leaf}`` of a nested structure; paths join keys and indices with ``/``."""
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, (list, tuple)):
        items = list(enumerate(value))
    else:
        return {prefix or "output": value}
    flat: dict[str, Any] = {}
    for key, item in items:
        flat.update(flatten(item, f"{prefix}/{key}" if prefix else str(key)))
    return flat
