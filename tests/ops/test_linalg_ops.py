"""Matrix products, Einsum, Cross and decompositions against tf.raw_ops."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from _math_testing import (
    BF16,
    LOW,
    assert_same,
    check_against_tf,
    cpu_dtypes,
    dtype_id,
    random_values,
    run,
    tf_call,
)

import savedmodel.ops.linalg_ops  # noqa: F401  (registers the ops)
from savedmodel.errors import FailedPreconditionError, InvalidArgumentError
from savedmodel.format import dtypes as sm_dtypes

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DECOMPOSITION_TYPES = [np.float32, np.float64, np.complex64, np.complex128]


def _tolerance(dtype, scale=1.0):
    dtype = np.dtype(dtype)
    if dtype in LOW:
        return {"rtol": 2e-2, "atol": 5e-2 * scale}
    if dtype in (np.float32, np.complex64):
        return {"rtol": 1e-4, "atol": 1e-4 * scale}
    if dtype in (np.float64, np.complex128):
        return {"rtol": 1e-10, "atol": 1e-10 * scale}
    return {}


def _matrices(dtype, shape, rng, well_conditioned=True):
    x = random_values(dtype, shape, rng, -1, 1)
    if well_conditioned and shape[-1] == shape[-2]:
        x = x + (np.eye(shape[-1]) * shape[-1]).astype(dtype)
    return x


class TestMatMul:
    """MatMul, BatchMatMul (V1, V2, V3) and SparseMatMul."""

    @pytest.mark.parametrize("dtype", cpu_dtypes("MatMul"), ids=dtype_id)
    def test_mat_mul(self, dtype):
        rng = np.random.default_rng(0)
        a, b = random_values(dtype, (3, 4), rng), random_values(dtype, (4, 5), rng)
        for ta in (False, True):
            for tb in (False, True):
                x, y = (a.T.copy() if ta else a), (b.T.copy() if tb else b)
                check_against_tf(
                    "MatMul",
                    [x, y],
                    {"a": x, "b": y},
                    {"transpose_a": ta, "transpose_b": tb},
                    **_tolerance(dtype, 10),
                )
        empty = np.zeros((0, 4), dtype)
        assert_same(run("MatMul", empty, b), tf_call("MatMul", a=empty, b=b))

    def test_mat_mul_errors(self):
        with pytest.raises(
            InvalidArgumentError,
            match=r"Matrix size-incompatible: In\[0\]: \[2, 3\], In\[1\]: \[4, 5\]",
        ):
            run("MatMul", np.ones((2, 3)), np.ones((4, 5)))
        with pytest.raises(InvalidArgumentError, match=r"In\[0\] is not a matrix"):
            run("MatMul", np.ones(3), np.ones((3, 5)))

    @pytest.mark.parametrize("op", ["BatchMatMul", "BatchMatMulV2"])
    def test_batch_mat_mul(self, op):
        rng = np.random.default_rng(1)
        for dtype in cpu_dtypes(op):
            x, y = random_values(dtype, (2, 3, 4), rng), random_values(dtype, (2, 4, 5), rng)
            for adj_x in (False, True):
                for adj_y in (False, True):
                    a = np.conj(np.swapaxes(x, -1, -2)).copy() if adj_x else x
                    b = np.conj(np.swapaxes(y, -1, -2)).copy() if adj_y else y
                    check_against_tf(
                        op,
                        [a, b],
                        {"x": a, "y": b},
                        {"adj_x": adj_x, "adj_y": adj_y},
                        **_tolerance(dtype, 10),
                    )

    def test_batch_mat_mul_v2_broadcasts(self):
        rng = np.random.default_rng(2)
        x, y = (
            random_values(np.float32, (2, 1, 3, 4), rng),
            random_values(np.float32, (5, 4, 6), rng),
        )
        check_against_tf("BatchMatMulV2", [x, y], {"x": x, "y": y}, **_tolerance(np.float32, 10))
        with pytest.raises(InvalidArgumentError, match="must have compatible batch dimensions"):
            run("BatchMatMulV2", np.ones((2, 2, 3)), np.ones((3, 3, 4)))
        with pytest.raises(
            InvalidArgumentError, match=r"In\[0\].dim\(0\) and In\[1\].dim\(0\) must be the same"
        ):
            run("BatchMatMul", np.ones((2, 2, 3)), np.ones((1, 3, 4)))

    @pytest.mark.parametrize(
        "ta,tb,tout",
        [
            (np.int8, np.int8, np.int32),
            (np.uint8, np.int8, np.int32),
            (BF16, np.int8, BF16),
            (np.float32, np.float32, np.float32),
            (np.int64, np.int64, np.int64),
        ],
        ids=dtype_id,
    )
    def test_batch_mat_mul_v3(self, ta, tb, tout):
        rng = np.random.default_rng(3)
        x, y = random_values(ta, (2, 3, 4), rng), random_values(tb, (1, 4, 2), rng)
        ours = run("BatchMatMulV3", x, y, Tout=sm_dtypes.as_dtype(tout))
        assert_same(
            ours, tf_call("BatchMatMulV3", x=x, y=y, Tout=tf.as_dtype(tout)), **_tolerance(tout, 10)
        )

    @pytest.mark.parametrize(
        "ta,tb", [(np.float32, np.float32), (BF16, np.float32), (BF16, BF16)], ids=dtype_id
    )
    def test_sparse_mat_mul(self, ta, tb):
        rng = np.random.default_rng(4)
        a, b = random_values(ta, (3, 4), rng), random_values(tb, (5, 4), rng)
        assert_same(
            run("SparseMatMul", a, b, transpose_b=True),
            tf_call("SparseMatMul", a=a, b=b, transpose_b=True),
            **_tolerance(np.float32, 10),
        )


EINSUM_CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("abc,cde->abde", [(2, 3, 4), (4, 5, 6)]),
    ("aecd,abcd->acbe", [(2, 3, 4, 5), (2, 6, 4, 5)]),
    ("ii->", [(4, 4)]),
    ("ii->i", [(4, 4)]),
    ("i->ii", [(3,)]),
    ("ij->iji", [(2, 3)]),
    ("ij->j", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("bii,b->b", [(2, 3, 3), (2,)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 6)]),
    ("a...b->b...a", [(2, 5, 7, 3)]),
    ("...ij,...jk->...ik", [(3, 4), (4, 5)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("iJ->Ji", [(2, 3)]),
    ("ij,jk->", [(0, 3), (3, 2)]),
]


class TestEinsum:
    """Every form TensorFlow's Einsum kernel accepts, and its errors."""

    @pytest.mark.parametrize("equation,shapes", EINSUM_CASES, ids=[c[0] for c in EINSUM_CASES])
    def test_forms(self, equation, shapes):
        rng = np.random.default_rng(len(equation))
        inputs = [random_values(np.float32, s, rng) for s in shapes]
        assert_same(
            run("Einsum", inputs, equation=equation),
            tf_call("Einsum", inputs=inputs, equation=equation),
            **_tolerance(np.float32, 10),
        )

    @pytest.mark.parametrize("dtype", cpu_dtypes("Einsum"), ids=dtype_id)
    def test_dtypes(self, dtype):
        rng = np.random.default_rng(5)
        inputs = [random_values(dtype, (2, 3, 4), rng), random_values(dtype, (2, 4, 3), rng)]
        assert_same(
            run("Einsum", inputs, equation="bij,bjk->bik"),
            tf_call("Einsum", inputs=inputs, equation="bij,bjk->bik"),
            **_tolerance(dtype, 10),
        )

    def test_errors(self):
        ones = np.ones((2, 3), np.float32)
        cases = [
            ([ones, ones], "ij,jk", "exactly one '->'"),
            ([ones] * 3, "ij,jk,kl->il", "Expecting 1 or 2 input subscripts"),
            ([ones], "ij,jk->ik", "Expected 2 inputs but got: 1"),
            ([ones], "ijk->i", "Expected input 0 to have rank 3 but got: 2"),
            ([ones, np.ones((1, 3), np.float32)], "ij,ij->ij", "Expected dimension 2 at axis 0"),
            ([np.ones((2, 3, 4), np.float32)], "...ij->ij", "no ellipsis"),
            ([ones], "ij->ik", "do not appear in the inputs"),
        ]
        for inputs, equation, message in cases:
            with pytest.raises(InvalidArgumentError, match=message):
                run("Einsum", inputs, equation=equation)


class TestCross:
    """Cross on every registered dtype."""

    @pytest.mark.parametrize("dtype", cpu_dtypes("Cross"), ids=dtype_id)
    def test_matches_tensorflow(self, dtype):
        rng = np.random.default_rng(6)
        a, b = random_values(dtype, (4, 3), rng), random_values(dtype, (4, 3), rng)
        assert_same(run("Cross", a, b), tf_call("Cross", a=a, b=b), **_tolerance(dtype))

    def test_errors(self):
        with pytest.raises(FailedPreconditionError, match="only defined for 3-element vectors"):
            run("Cross", np.ones((2, 4)), np.ones((2, 4)))
        with pytest.raises(InvalidArgumentError, match="Both inputs must be of same shape"):
            run("Cross", np.ones((2, 3)), np.ones((1, 3)))


def _reconstructs(u, s, v, x):
    k = s.shape[-1]
    return np.allclose(
        (u[..., :, :k] * s[..., None, :]) @ np.conj(np.swapaxes(v[..., :, :k], -1, -2)),
        x,
        atol=1e-3,
    )


class TestDecompositions:
    """Determinants, inverses, solves, Cholesky, QR, SVD, eigen-decompositions."""

    @pytest.mark.parametrize("dtype", DECOMPOSITION_TYPES, ids=dtype_id)
    def test_determinants_and_inverse(self, dtype):
        rng = np.random.default_rng(7)
        for shape in [(3, 3), (2, 4, 4), (2, 0, 0)]:
            x = _matrices(dtype, shape, rng)
            assert_same(
                run("MatrixDeterminant", x),
                tf_call("MatrixDeterminant", input=x),
                **_tolerance(dtype, 10),
            )
            for o, t in zip(
                run("LogMatrixDeterminant", x), tf_call("LogMatrixDeterminant", input=x)
            ):
                assert_same(o, t, **_tolerance(dtype))
            for adjoint in (False, True):
                assert_same(
                    run("MatrixInverse", x, adjoint=adjoint),
                    tf_call("MatrixInverse", input=x, adjoint=adjoint),
                    **_tolerance(dtype),
                )

    def test_singular_inputs(self):
        singular = np.ones((2, 2), np.float32)
        with pytest.raises(InvalidArgumentError, match="Input is not invertible"):
            run("MatrixInverse", singular)
        with pytest.raises(InvalidArgumentError, match="Input matrix is not invertible"):
            run("MatrixSolve", singular, np.ones((2, 1), np.float32))
        not_pd = np.array([[[4.0, 2.0], [2.0, 3.0]], [[1.0, 2.0], [2.0, 1.0]]], np.float32)
        # TensorFlow fills the failed matrix's lower triangle with NaN and leaves the rest unset.
        lower = np.tri(2, dtype=bool)
        assert_same(run("Cholesky", not_pd)[:, lower], tf_call("Cholesky", input=not_pd)[:, lower])
        triangular = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
        assert_same(
            run("MatrixTriangularSolve", triangular, np.ones((2, 1), np.float32)),
            tf_call("MatrixTriangularSolve", matrix=triangular, rhs=np.ones((2, 1), np.float32)),
        )
        with pytest.raises(InvalidArgumentError, match="Input matrix must be square"):
            run("MatrixDeterminant", np.ones((2, 3), np.float32))

    @pytest.mark.parametrize("dtype", DECOMPOSITION_TYPES, ids=dtype_id)
    def test_cholesky_and_solves(self, dtype):
        rng = np.random.default_rng(8)
        x = _matrices(dtype, (2, 4, 4), rng)
        spd = x @ np.conj(np.swapaxes(x, -1, -2))
        assert_same(run("Cholesky", spd), tf_call("Cholesky", input=spd), **_tolerance(dtype, 10))
        rhs = random_values(dtype, (2, 4, 3), rng)
        for adjoint in (False, True):
            assert_same(
                run("MatrixSolve", x, rhs, adjoint=adjoint),
                tf_call("MatrixSolve", matrix=x, rhs=rhs, adjoint=adjoint),
                **_tolerance(dtype),
            )
            for lower in (False, True):
                assert_same(
                    run("MatrixTriangularSolve", x, rhs, lower=lower, adjoint=adjoint),
                    tf_call(
                        "MatrixTriangularSolve", matrix=x, rhs=rhs, lower=lower, adjoint=adjoint
                    ),
                    **_tolerance(dtype, 10),
                )
        broadcast_rhs = rhs[:1]
        assert_same(
            run("MatrixTriangularSolve", x, broadcast_rhs),
            tf_call("MatrixTriangularSolve", matrix=x, rhs=broadcast_rhs),
            **_tolerance(dtype, 10),
        )
        tall = random_values(dtype, (2, 5, 3), rng)
        for l2 in (0.0, 0.5):
            l2_tensor = np.array(l2)
            assert_same(
                run("MatrixSolveLs", tall, rhs[:, :1].repeat(5, axis=1)[:, :5], l2_tensor),
                tf_call(
                    "MatrixSolveLs",
                    matrix=tall,
                    rhs=rhs[:, :1].repeat(5, axis=1)[:, :5],
                    l2_regularizer=l2_tensor,
                ),
                **_tolerance(dtype, 100),
            )

    @pytest.mark.parametrize("dtype", DECOMPOSITION_TYPES, ids=dtype_id)
    def test_qr(self, dtype):
        rng = np.random.default_rng(9)
        for shape in [(4, 3), (3, 4), (2, 3, 3)]:
            x = random_values(dtype, shape, rng)
            for full in (False, True):
                for o, t in zip(
                    run("Qr", x, full_matrices=full), tf_call("Qr", input=x, full_matrices=full)
                ):
                    if (
                        full and shape[-2] > shape[-1]
                    ):  # the extra columns of Q are any orthonormal basis
                        o, t = o[..., : shape[-1]], t[..., : shape[-1]]
                    assert_same(o, t, **_tolerance(dtype, 10))

    @pytest.mark.parametrize("dtype", DECOMPOSITION_TYPES, ids=dtype_id)
    def test_svd_and_eigh(self, dtype):
        rng = np.random.default_rng(10)
        x = random_values(dtype, (2, 4, 3), rng)
        s, u, v = run("Svd", x)
        tf_s, tf_u, tf_v = tf_call("Svd", input=x)
        assert_same(s, tf_s, **_tolerance(dtype))
        assert u.shape == tf_u.shape and v.shape == tf_v.shape and _reconstructs(u, s, v, x)
        assert_same(np.abs(u), np.abs(tf_u), **_tolerance(dtype, 10))  # columns agree up to a phase
        s_only = run("Svd", x, compute_uv=False, full_matrices=True)
        assert_same(s_only[0], tf_s, **_tolerance(dtype))
        full = run("Svd", x, full_matrices=True)
        assert [o.shape for o in full] == [
            t.shape for t in tf_call("Svd", input=x, full_matrices=True)
        ]
        sym = x @ np.conj(np.swapaxes(x, -1, -2))
        e, vectors = run("SelfAdjointEigV2", sym)
        tf_e, _ = tf_call("SelfAdjointEigV2", input=sym)
        assert_same(e, tf_e, **_tolerance(dtype, 10))
        assert np.allclose(sym @ vectors, vectors * e[..., None, :], atol=1e-3)
        assert_same(run("SelfAdjointEigV2", sym, compute_v=False)[0], tf_e, **_tolerance(dtype, 10))

    def test_eig(self):
        x = np.array([[2.0, 1.0], [-1.0, 2.0]], np.float32)
        e, v = run("Eig", x, Tout=sm_dtypes.as_dtype(np.complex64))
        tf_e, _ = tf_call("Eig", input=x, Tout=tf.complex64)
        assert_same(np.sort_complex(e), np.sort_complex(tf_e), rtol=1e-6)
        assert np.allclose(x @ v, v * e[None, :], atol=1e-5)
