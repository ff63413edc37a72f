"""Bit operations against tf.raw_ops on every integer type."""

from __future__ import annotations

import numpy as np
import pytest
from _math_testing import (
    assert_same,
    cpu_dtypes,
    dtype_id,
    edge_values,
    random_values,
    run,
    tf_call,
)

import savedmodel.ops.bitwise_ops  # noqa: F401  (registers the ops)
from savedmodel.errors import InvalidArgumentError


class TestBitwiseKernel:
    """And/Or/Xor, shifts with out-of-range counts, Invert, PopulationCount."""

    @pytest.mark.parametrize(
        "op", ["BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift"]
    )
    @pytest.mark.parametrize("dtype", cpu_dtypes("BitwiseAnd"), ids=dtype_id)
    def test_binary(self, op, dtype):
        x = edge_values(dtype)
        bits = 8 * np.dtype(dtype).itemsize
        counts = np.array(
            [0, 1, 3, bits - 1, bits, bits + 5] + ([-1, -9] if np.dtype(dtype).kind == "i" else []),
            dtype,
        )
        y = counts if "Shift" in op else x[::-1].copy()
        a, b = np.repeat(x, y.size), np.tile(y, x.size)
        assert_same(run(op, a, b), tf_call(op, x=a, y=b))
        rng = np.random.default_rng(0)
        a, b = (
            random_values(dtype, (3, 1), rng, -10, 10),
            np.abs(random_values(dtype, (4,), rng, 0, 1)),
        )
        assert_same(run(op, a, b), tf_call(op, x=a, y=b))

    @pytest.mark.parametrize("dtype", cpu_dtypes("Invert"), ids=dtype_id)
    def test_unary(self, dtype):
        x = edge_values(dtype)
        assert_same(run("Invert", x), tf_call("Invert", x=x))
        assert_same(run("PopulationCount", x), tf_call("PopulationCount", x=x))

    def test_incompatible_shapes(self):
        with pytest.raises(InvalidArgumentError, match="Incompatible shapes"):
            run("BitwiseAnd", np.ones((2, 3), np.int32), np.ones(4, np.int32))
