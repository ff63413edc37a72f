"""Helpers for op tests: run one of our kernels, and the same op through TensorFlow's raw_ops."""

from __future__ import annotations

import numpy as np
import pytest

from savedmodel.ops import registry


def run(name: str, *inputs, **attrs):
    """Our kernel's outputs for ``name``; a single output is returned bare."""
    outputs = registry.run_kernel(name, list(inputs), attrs)
    return outputs[0] if len(outputs) == 1 else outputs


def assert_same(ours, theirs, rtol: float = 1e-6, atol: float = 0.0) -> None:
    """Equal dtype, shape and values (exact for ints/bools/strings, NaN where NaN)."""
    theirs = theirs.numpy() if hasattr(theirs, "numpy") else np.asarray(theirs)
    ours = np.asarray(ours)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    if theirs.dtype == object or theirs.dtype.kind in "SU":
        assert ours.tolist() == theirs.tolist()
        return
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    if theirs.dtype.kind in "fc" or str(theirs.dtype) == "bfloat16":
        np.testing.assert_allclose(ours.astype(np.float64) if ours.dtype.kind != "c" else ours,
                                   theirs.astype(np.float64) if theirs.dtype.kind != "c" else theirs,
                                   rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(ours, theirs)


@pytest.fixture
def tf():
    import tensorflow

    return tensorflow
