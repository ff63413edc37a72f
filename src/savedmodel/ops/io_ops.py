"""Checkpoint I/O ops. They read files, so they run only when the caller allows them by name
(the loader allows RestoreV2 for the model's own ``variables/`` prefix)."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError, PermissionDeniedError
from savedmodel.format.bundle import BundleReader
from savedmodel.ops.context import KernelContext
from savedmodel.ops.registry import register_op


def _checked_prefix(ctx: KernelContext, prefix: Any) -> str:
    ctx.check_io_allowed()
    path = np.asarray(prefix).item()
    path = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else str(path)
    real = os.path.realpath(path)
    roots = [os.path.realpath(p) for p in ctx.options.allowed_paths]
    if not any(os.path.commonpath([root, real]) == root for root in roots):
        raise PermissionDeniedError(f"{ctx.where}: checkpoint prefix {path!r} is outside the allowed "
                                    f"directories {roots}.")
    return path


def _parse_slice(spec: str, where: str) -> tuple[tuple[int, ...], tuple[slice, ...]] | None:
    """``"10 4 0,5:-"`` -> (full shape, index) for TF1 partitioned restores; "" -> None."""
    if not spec:
        return None
    parts = spec.split(" ")
    try:
        shape = tuple(int(p) for p in parts[:-1])
        index = []
        for extent in parts[-1].split(":"):
            if extent == "-":
                index.append(slice(None))
            else:
                start, length = (int(v) for v in extent.split(","))
                index.append(slice(start, start + length))
    except ValueError:
        raise InvalidArgumentError(f"{where}: malformed shape_and_slice {spec!r}.") from None
    return shape, tuple(index)


@register_op("RestoreV2", inputs=["prefix: string", "tensor_names: string", "shape_and_slices: string"],
             outputs=["tensors: dtypes"], attrs=["dtypes: list(type) >= 1"], stateful=True)
def _restore_v2(ctx: KernelContext, prefix: Any, tensor_names: Any, shape_and_slices: Any, *,
                dtypes: list[Any]) -> tuple:
    path = _checked_prefix(ctx, prefix)
    names = [n.decode() for n in np.asarray(tensor_names).reshape(-1)]
    specs = [s.decode() for s in np.asarray(shape_and_slices).reshape(-1)]
    if not (len(names) == len(specs) == len(dtypes)):
        raise InvalidArgumentError(f"{ctx.where}: {len(names)} names, {len(specs)} slices and "
                                   f"{len(dtypes)} dtypes must agree.")
    values = []
    with BundleReader(path) as reader:
        for name, spec, dtype in zip(names, specs, dtypes):
            value = reader.read(name)
            sliced = _parse_slice(spec, ctx.where)
            if sliced is not None:
                value = value[sliced[1]]
            if value.dtype != dtype.numpy:
                raise InvalidArgumentError(f"{ctx.where}: tensor {name!r} is {value.dtype} in the "
                                           f"checkpoint, expected {dtype.name}.")
            values.append(value)
    return (values,)
