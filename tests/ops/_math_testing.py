"""Helpers for the math op tests: TF's registered CPU dtypes, edge-value samples, comparison."""

from __future__ import annotations


import ml_dtypes
import numpy as np
import tensorflow as tf
from tensorflow.python.framework import kernels, op_def_registry

from savedmodel.errors import InvalidArgumentError


from tests.ops.conftest import assert_same, run  # noqa: E402

BF16 = np.dtype(ml_dtypes.bfloat16)
LOW = (np.dtype(np.float16), BF16)


def cpu_dtypes(op: str, attr: str = "T", exclude: tuple = ()) -> list[np.dtype]:
    """The NumPy dtypes TensorFlow registers a CPU kernel for, for type attr ``attr`` of ``op``."""
    found = set()
    for kernel in kernels.get_registered_kernels_for_op(op).kernel:
        if kernel.device_type != "CPU":
            continue
        for constraint in kernel.constraint:
            if constraint.name == attr:
                found.update(constraint.allowed_values.list.type)
    allowed = {a.name: a.allowed_values.list.type for a in op_def_registry.get(op).attr}.get(attr)
    if allowed:  # some kernels are registered for types their OpDef refuses
        found &= set(allowed)
    names = sorted(tf.as_dtype(t).name for t in found)
    return [
        np.dtype(tf.as_dtype(n).as_numpy_dtype)
        for n in names
        if n not in exclude and not n.startswith(("q", "variant", "resource", "string"))
    ]


def dtype_id(dtype) -> str:
    return np.dtype(dtype).name


def edge_values(dtype: np.dtype) -> np.ndarray:
    """Special values of ``dtype``: zeros, ones, extremes, infinities and NaN where they exist."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.array([False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = [0, 1, 2, 3, 7, info.max, info.max - 1] + (
            [-1, -2, -7, info.min, info.min + 1] if dtype.kind == "i" else []
        )
        return np.array(vals, dtype)
    real = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.0, np.inf, -np.inf, np.nan]
    if dtype.kind == "c":
        parts = np.array(real[:10] + [np.inf, np.nan])
        return (parts[:, None] + 1j * parts[None, ::3]).reshape(-1).astype(dtype)
    return np.array(real, np.float64).astype(dtype)


def random_values(
    dtype: np.dtype, shape, rng: np.random.Generator, low=-4.0, high=4.0
) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(info.min, int(low * 8)), min(info.max, int(high * 8))
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
    values = rng.uniform(low, high, size=shape)
    if dtype.kind == "c":
        values = values + 1j * rng.uniform(low, high, size=shape)
    return values.astype(dtype)


def tolerance(dtype: np.dtype, loose: bool = False) -> dict:
    """rtol/atol allowing TensorFlow's Eigen approximations (a few ulps; more when ``loose``)."""
    dtype = np.dtype(dtype)
    if dtype == BF16:
        return {"rtol": 1.6e-2, "atol": 1e-2 if loose else 0.0}
    if dtype == np.float16:
        return {"rtol": 2e-3, "atol": 1e-3 if loose else 0.0}
    if dtype in (np.float32, np.complex64):
        return {"rtol": 1e-5 if loose else 2e-6, "atol": 1e-6 if loose else 1e-7}
    if dtype in (np.float64, np.complex128):
        return {"rtol": 1e-12 if loose else 1e-14, "atol": 1e-13 if loose else 1e-300}
    return {}


def tf_call(op: str, **kwargs):
    """``tf.raw_ops.<op>(**kwargs)`` as NumPy (a tuple for several outputs)."""

    def tensor(value):
        if isinstance(value, np.ndarray):
            return tf.constant(value)
        if isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            return [tf.constant(v) for v in value]
        return value

    result = getattr(tf.raw_ops, op)(**{k: tensor(v) for k, v in kwargs.items()})
    if isinstance(result, (list, tuple)):
        return tuple(r.numpy() for r in result)
    return result.numpy()


def check_against_tf(
    op: str, ours_inputs: list, tf_kwargs: dict, attrs: dict | None = None, **tol
) -> None:
    """Our kernel equals TensorFlow's, or both reject the inputs with InvalidArgumentError."""
    try:
        theirs = tf_call(op, **tf_kwargs, **(attrs or {}))
    except tf.errors.InvalidArgumentError as error:
        try:
            run(op, *ours_inputs, **(attrs or {}))
        except InvalidArgumentError:
            return
        raise AssertionError(
            f"TensorFlow rejected {op} ({error.message}) but we did not."
        ) from None
    ours = run(op, *ours_inputs, **(attrs or {}))
    if isinstance(theirs, tuple):
        for o, t in zip(ours, theirs):
            assert_same(o, t, **tol)
    else:
        assert_same(ours, theirs, **tol)
