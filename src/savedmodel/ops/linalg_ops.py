"""Matrix products, Einsum, Cross and the decompositions of ``linalg_ops.cc``.

MatMul takes rank-2 operands (transposes only); BatchMatMul needs equal batch dimensions while
V2/V3 broadcast them; ``adj_*`` conjugate-transposes. Products of 16-bit floats are computed in
float32 and rounded once (TensorFlow accumulates them in float32 too); integer products wrap.
Einsum accepts what TensorFlow's kernel accepts: one or two inputs, an explicit ``->``, ``...``
broadcasting, repeated labels in an input (diagonals, traces) and in the output (inflated
diagonals); labelled dimensions must match exactly. Decompositions use NumPy's LAPACK: values
match TensorFlow's to rounding, but the signs of singular vectors and eigenvectors (and the order
of Eig's eigenvalues) are not unique and may differ. Failed factorizations follow TensorFlow:
MatrixInverse/MatrixSolve raise, Cholesky returns NaN for that matrix, MatrixTriangularSolve
divides by the zero pivot.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from savedmodel.errors import FailedPreconditionError, InvalidArgumentError
from savedmodel.ops._math_common import FLOAT32, LOW_FLOATS, REAL_NUMBER, widen
from savedmodel.ops.registry import register_op

_LINALG = "T: type {double, float, half, complex64, complex128}"
_MATMUL_FLAGS = ["grad_a: bool = false", "grad_b: bool = false"]
_BMM_FLAGS = ["adj_x: bool = false", "adj_y: bool = false", "grad_x: bool = false",
              "grad_y: bool = false"]


def _matmul(a: np.ndarray, b: np.ndarray, out_dtype: np.dtype) -> np.ndarray:
    """a @ b in ``out_dtype``; 16-bit floats go through float32."""
    compute = FLOAT32 if out_dtype in LOW_FLOATS else out_dtype
    product = np.matmul(a.astype(compute, copy=False), b.astype(compute, copy=False))
    return product.astype(out_dtype, copy=False)


def _adjoint(x: np.ndarray, adjoint: bool) -> np.ndarray:
    if not adjoint:
        return x
    swapped = np.swapaxes(x, -1, -2)
    return np.conj(swapped) if x.dtype.kind == "c" else swapped


def _check_inner(ctx: Any, x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    if a.shape[-1] != b.shape[-2]:
        raise InvalidArgumentError(
            f"{ctx.where}: Matrix size-incompatible: In[0]: {list(x.shape)}, "
            f"In[1]: {list(y.shape)}.")


@register_op("BatchMatMul", inputs=["x: T", "y: T"], outputs=["output: T"],
             attrs=["T: type {bfloat16, half, float, double, int32, int64, complex64, complex128}"]
             + _BMM_FLAGS)
def _batch_mat_mul(ctx, x, y, *, adj_x, adj_y, **_):
    if x.ndim < 2 or y.ndim < 2:
        raise InvalidArgumentError(
            f"{ctx.where}: In[0] and In[1] ndims must be >= 2: {min(x.ndim, y.ndim)}.")
    if x.ndim != y.ndim:
        raise InvalidArgumentError(
            f"{ctx.where}: In[0] and In[1] has different ndims: {list(x.shape)} vs. "
            f"{list(y.shape)}.")
    for i in range(x.ndim - 2):
        if x.shape[i] != y.shape[i]:
            raise InvalidArgumentError(
                f"{ctx.where}: In[0].dim({i}) and In[1].dim({i}) must be the same: "
                f"{list(x.shape)} vs {list(y.shape)}.")
    return _batch_product(ctx, x, y, adj_x, adj_y, x.dtype)


def _batch_product(ctx: Any, x: np.ndarray, y: np.ndarray, adj_x: bool, adj_y: bool,
                   out_dtype: np.dtype) -> tuple:
    for i, value in enumerate((x, y)):
        if value.ndim < 2:
            raise InvalidArgumentError(f"{ctx.where}: In[{i}] ndims must be >= 2: {value.ndim}.")
    try:
        np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    except ValueError:
        raise InvalidArgumentError(
            f"{ctx.where}: In[0] and In[1] must have compatible batch dimensions: "
            f"{list(x.shape)} vs. {list(y.shape)}.") from None
    a, b = _adjoint(x, adj_x), _adjoint(y, adj_y)
    _check_inner(ctx, x, y, a, b)
    return (_matmul(a, b, out_dtype),)


@register_op("BatchMatMulV2", inputs=["x: T", "y: T"], outputs=["output: T"],
             attrs=[("T: type {bfloat16, half, float, double, int16, int32, int64, uint8, uint16, "
                     "uint32, uint64, complex64, complex128}")] + _BMM_FLAGS)
def _batch_mat_mul_v2(ctx, x, y, *, adj_x, adj_y, **_):
    return _batch_product(ctx, x, y, adj_x, adj_y, x.dtype)


_V3_TYPES = "bfloat16, half, float, double, uint8, int8, int16, int32, int64, complex64, complex128"


@register_op("BatchMatMulV3", inputs=["x: Ta", "y: Tb"], outputs=["output: Tout"],
             attrs=[f"Ta: type {{{_V3_TYPES}}}", f"Tb: type {{{_V3_TYPES}}}",
                    ("Tout: type {bfloat16, half, float, double, int16, int32, int64, complex64, "
                     "complex128}")] + _BMM_FLAGS)
def _batch_mat_mul_v3(ctx, x, y, *, Tout, adj_x, adj_y, **_):
    return _batch_product(ctx, x, y, adj_x, adj_y, Tout.numpy)


@register_op("Cholesky", inputs=["input: T"], outputs=["output: T"], attrs=[_LINALG])
def _cholesky(ctx, x, **_):
    _check_square(ctx, x)
    wide = widen(x)
    try:
        out = np.linalg.cholesky(wide)
    except np.linalg.LinAlgError:  # TensorFlow returns NaN (lower triangle) for each failed matrix
        out = np.empty_like(wide)
        matrix_shape = (-1,) + wide.shape[-2:]
        flat_in, flat_out = wide.reshape(matrix_shape), out.reshape(matrix_shape)
        for i, matrix in enumerate(flat_in):
            try:
                flat_out[i] = np.linalg.cholesky(matrix)
            except np.linalg.LinAlgError:
                flat_out[i] = np.where(np.tri(matrix.shape[-1], dtype=bool), np.nan, 0)
    return (out.astype(x.dtype),)


@register_op("Cross", inputs=["a: T", "b: T"], outputs=["product: T"],
             attrs=[f"T: type {{{REAL_NUMBER}}}"])
def _cross(ctx, a, b, **_):
    if a.shape != b.shape:
        raise InvalidArgumentError(f"{ctx.where}: Both inputs must be of same shape: "
                                   f"{list(a.shape)} vs. {list(b.shape)}.")
    if a.ndim < 1 or a.shape[-1] != 3:
        raise FailedPreconditionError(
            f"{ctx.where}: Cross-products are only defined for 3-element vectors.")
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    # Per-component products and differences in the element type, as the Eigen kernel computes them.
    return (np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=-1),)


@register_op("Eig", inputs=["input: T"], outputs=["e: Tout", "v: Tout"],
             attrs=["compute_v: bool = true", "T: type {float, double, complex64, complex128}",
                    "Tout: type {complex64, complex128}"])
def _eig(ctx, x, *, compute_v, Tout, **_):
    _check_square(ctx, x)
    values, vectors = np.linalg.eig(x)
    v = vectors.astype(Tout.numpy) if compute_v else np.zeros((), Tout.numpy)
    return values.astype(Tout.numpy), v


def _parse_einsum(ctx: Any, equation: str, count: int) -> tuple[list[str], str]:
    if equation.count("->") != 1:
        raise InvalidArgumentError(
            f"{ctx.where}: Expecting exactly one '->' in einsum equation: {equation}.")
    lhs, output = equation.split("->")
    inputs = lhs.split(",")
    if len(inputs) not in (1, 2):
        raise InvalidArgumentError(f"{ctx.where}: Expecting 1 or 2 input subscripts in equation "
                                   f"'{equation}' but got: {len(inputs)}.")
    if len(inputs) != count:
        raise InvalidArgumentError(f"{ctx.where}: Expected {len(inputs)} inputs but got: {count}.")
    for term in inputs + [output]:
        if not term.replace("...", "").isalpha() and term.replace("...", ""):
            raise InvalidArgumentError(f"{ctx.where}: Invalid character in einsum term {term!r} of "
                                       f"equation {equation!r}; expected letters and '...'.")
    return inputs, output


def _einsum_labels(ctx: Any, terms: list[str], output: str, operands: list[np.ndarray]) -> dict:
    """Checks ranks and that every label has one size; returns label -> size."""
    sizes: dict[str, int] = {}
    ellipsis_rank = 0
    for i, (term, value) in enumerate(zip(terms, operands)):
        labels = term.replace("...", "")
        rank = len(labels)
        if "..." not in term and value.ndim != rank or value.ndim < rank:
            raise InvalidArgumentError(
                f"{ctx.where}: Expected input {i} to have rank {rank} but got: {value.ndim}.")
        if "..." in term:
            ellipsis_rank = max(ellipsis_rank, value.ndim - rank)
        before = term.split("...")[0]
        after = rank - len(before)
        positions = list(range(len(before))) + list(range(value.ndim - after, value.ndim))
        for label, axis in zip(labels, positions):
            if sizes.setdefault(label, value.shape[axis]) != value.shape[axis]:
                raise InvalidArgumentError(
                    f"{ctx.where}: Expected dimension {sizes[label]} at axis {axis} of the input "
                    f"shaped {list(value.shape)} but got dimension {value.shape[axis]}.")
    if ellipsis_rank and "..." not in output:
        raise InvalidArgumentError(
            f"{ctx.where}: Output contains {ellipsis_rank} broadcasting dimension(s) but no "
            "ellipsis (...) was found in the output subscripts.")
    unknown = sorted(set(output.replace("...", "")) - set(sizes))
    if unknown:
        raise InvalidArgumentError(
            f"{ctx.where}: Output subscripts {unknown} do not appear in the inputs.")
    return sizes


def _inflate(result: np.ndarray, output: str, unique_output: str, shape: tuple) -> np.ndarray:
    """Writes ``result`` onto the diagonals that repeated output labels describe."""
    out = np.zeros(shape, result.dtype)
    np.einsum(f"{output}->{unique_output}", out)[...] = result  # a writable diagonal view
    return out


def _output_shape(output: str, sizes: dict, result: np.ndarray, unique_output: str) -> tuple:
    """The full output shape: label sizes, with the broadcast ``...`` dims taken from ``result``."""
    start = unique_output.find("...")
    labels = len(unique_output) - 3
    ellipsis = result.shape[start:start + result.ndim - labels] if start >= 0 else ()
    shape: list[int] = []
    for label in output.replace("...", "."):
        shape.extend(ellipsis if label == "." else [sizes[label]])
    return tuple(shape)


@functools.lru_cache(maxsize=512)
def _unique_output(output: str) -> str:
    """The output subscripts with repeated labels dropped (``...`` kept in place)."""
    seen: set[str] = set()
    kept = []
    for part in output.replace("...", "."):
        if part == "." or part not in seen:
            kept.append("..." if part == "." else part)
            seen.add(part)
    return "".join(kept)


@register_op("Einsum", inputs=["inputs: N * T"], outputs=["output: T"],
             attrs=["equation: string", "N: int >= 1", "T: type"])
def _einsum(ctx, inputs, *, equation, **_):
    terms, output = _parse_einsum(ctx, equation, len(inputs))
    sizes = _einsum_labels(ctx, terms, output, inputs)
    unique_output = _unique_output(output)
    operands = [widen(v) for v in inputs]
    optimize = ["einsum_path", (0, 1)] if len(operands) == 2 else False
    try:
        result = np.einsum(",".join(terms) + "->" + unique_output, *operands, optimize=optimize)
    except ValueError as error:  # ellipsis dimensions that do not broadcast
        shapes = [list(v.shape) for v in inputs]
        raise InvalidArgumentError(f"{ctx.where}: Einsum operands {shapes} do not broadcast for "
                                   f"equation {equation!r}: {error}.") from None
    result = np.asarray(result).astype(inputs[0].dtype, copy=False)
    if unique_output != output:
        shape = _output_shape(output, sizes, result, unique_output)
        result = _inflate(result, output, unique_output, shape)
    return (result,)


def _check_square(ctx: Any, x: np.ndarray) -> None:
    if x.ndim < 2:
        raise InvalidArgumentError(
            f"{ctx.where}: Input tensor 0 must have rank >= 2, got {x.ndim}.")
    if x.shape[-1] != x.shape[-2]:
        raise InvalidArgumentError(f"{ctx.where}: Input matrix must be square.")


@register_op("LogMatrixDeterminant", inputs=["input: T"],
             outputs=["sign: T", "log_abs_determinant: T"],
             attrs=["T: type {half, float, double, complex64, complex128}"])
def _log_matrix_determinant(ctx, x, **_):
    _check_square(ctx, x)
    sign, log_abs = np.linalg.slogdet(widen(x))
    return np.asarray(sign).astype(x.dtype), np.asarray(log_abs).astype(x.dtype)


@register_op("MatMul", inputs=["a: T", "b: T"], outputs=["product: T"],
             attrs=["transpose_a: bool = false", "transpose_b: bool = false",
                    ("T: type {bfloat16, half, float, double, int32, int64, uint8, uint16, uint32, "
                     "uint64, complex64, complex128}")] + _MATMUL_FLAGS)
def _mat_mul(ctx, a, b, *, transpose_a, transpose_b, **_):
    for i, value in enumerate((a, b)):
        if value.ndim != 2:
            raise InvalidArgumentError(
                f"{ctx.where}: In[{i}] is not a matrix. Instead it has shape {list(value.shape)}.")
    left, right = (a.T if transpose_a else a), (b.T if transpose_b else b)
    _check_inner(ctx, a, b, left, right)
    return (_matmul(left, right, a.dtype),)


@register_op("MatrixDeterminant", inputs=["input: T"], outputs=["output: T"],
             attrs=["T: type {half, float, double, complex64, complex128}"])
def _matrix_determinant(ctx, x, **_):
    _check_square(ctx, x)
    return (np.asarray(np.linalg.det(widen(x))).astype(x.dtype),)


@register_op("MatrixInverse", inputs=["input: T"], outputs=["output: T"],
             attrs=["adjoint: bool = false", _LINALG])
def _matrix_inverse(ctx, x, *, adjoint, **_):
    _check_square(ctx, x)
    try:
        inverse = np.linalg.inv(_adjoint(widen(x), adjoint))
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(f"{ctx.where}: Input is not invertible.") from None
    return (inverse.astype(x.dtype),)


@register_op("MatrixSolve", inputs=["matrix: T", "rhs: T"], outputs=["output: T"],
             attrs=["adjoint: bool = false", _LINALG])
def _matrix_solve(ctx, matrix, rhs, *, adjoint, **_):
    _check_square(ctx, matrix)
    if rhs.ndim != matrix.ndim or rhs.shape[:-2] != matrix.shape[:-2]:
        raise InvalidArgumentError(
            f"{ctx.where}: All input tensors must have the same outer dimensions.")
    if rhs.shape[-2] != matrix.shape[-1]:
        raise InvalidArgumentError(f"{ctx.where}: Input matrix and rhs are incompatible.")
    try:
        solution = np.linalg.solve(_adjoint(widen(matrix), adjoint), widen(rhs))
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(f"{ctx.where}: Input matrix is not invertible.") from None
    return (solution.astype(matrix.dtype),)


def _regularized_least_squares(a: np.ndarray, b: np.ndarray, l2: float) -> np.ndarray:
    """Normal equations with Tikhonov regularization, the ``fast`` path of MatrixSolveLs."""
    ah = _adjoint(a, True)
    if a.shape[-2] >= a.shape[-1]:
        gram = ah @ a + l2 * np.eye(a.shape[-1], dtype=a.dtype)
        return np.linalg.solve(gram, ah @ b)
    gram = a @ ah + l2 * np.eye(a.shape[-2], dtype=a.dtype)
    return ah @ np.linalg.solve(gram, b)


@register_op("MatrixSolveLs", inputs=["matrix: T", "rhs: T", "l2_regularizer: double"],
             outputs=["output: T"],
             attrs=["T: type {double, float, half, complex64, complex128}", "fast: bool = true"])
def _matrix_solve_ls(ctx, matrix, rhs, l2_regularizer, *, fast, **_):
    if matrix.ndim < 2 or rhs.ndim != matrix.ndim or rhs.shape[:-2] != matrix.shape[:-2] \
            or rhs.shape[-2] != matrix.shape[-2]:
        raise InvalidArgumentError(
            f"{ctx.where}: matrix {list(matrix.shape)} and rhs {list(rhs.shape)} must have equal "
            "batch dimensions and row counts.")
    l2 = float(l2_regularizer)
    a, b = widen(matrix), widen(rhs)
    try:
        if fast:
            solution = _regularized_least_squares(a, b, l2)
        else:
            if l2 != 0:
                raise InvalidArgumentError(
                    f"{ctx.where}: Only l2_regularizer=0 is supported with fast=False.")
            flat_a, flat_b = a.reshape((-1,) + a.shape[-2:]), b.reshape((-1,) + b.shape[-2:])
            pairs = zip(flat_a, flat_b)
            solution = np.stack([np.linalg.lstsq(m, r, rcond=None)[0] for m, r in pairs])
            solution = solution.reshape(a.shape[:-2] + solution.shape[-2:])
    except np.linalg.LinAlgError:
        raise InvalidArgumentError(f"{ctx.where}: Input matrix is not invertible.") from None
    return (solution.astype(matrix.dtype),)


def _triangular_solve(matrix: np.ndarray, rhs: np.ndarray, lower: bool) -> np.ndarray:
    """Forward/back substitution over the broadcast batch, reading only one triangle."""
    n = matrix.shape[-1]
    out = np.zeros(np.broadcast_shapes(matrix.shape[:-2], rhs.shape[:-2]) + rhs.shape[-2:],
                   np.result_type(matrix, rhs))
    rows = range(n) if lower else range(n - 1, -1, -1)
    for i in rows:
        done = slice(0, i) if lower else slice(i + 1, n)
        partial = np.einsum("...k,...kj->...j", matrix[..., i, done], out[..., done, :])
        out[..., i, :] = (rhs[..., i, :] - partial) / matrix[..., i, i][..., None]
    return out


@register_op("MatrixTriangularSolve", inputs=["matrix: T", "rhs: T"], outputs=["output: T"],
             attrs=["lower: bool = true", "adjoint: bool = false",
                    "T: type {bfloat16, double, float, half, complex64, complex128}"])
def _matrix_triangular_solve(ctx, matrix, rhs, *, lower, adjoint, **_):
    _check_square(ctx, matrix)
    if rhs.ndim < 2 or rhs.shape[-2] != matrix.shape[-1]:
        raise InvalidArgumentError(f"{ctx.where}: Input matrix and rhs are incompatible: "
                                   f"{list(matrix.shape)} vs. {list(rhs.shape)}.")
    try:
        np.broadcast_shapes(matrix.shape[:-2], rhs.shape[:-2])
    except ValueError:
        raise InvalidArgumentError(
            f"{ctx.where}: Incompatible batch shapes: {list(matrix.shape)} vs. {list(rhs.shape)}."
        ) from None
    a, b = widen(matrix), widen(rhs)
    with np.errstate(divide="ignore", invalid="ignore"):
        if adjoint:  # solve with the adjoint of the stored triangle: the other triangle's system
            triangle = np.tril(a) if lower else np.triu(a)
            solution = _triangular_solve(_adjoint(triangle, True), b, not lower)
        else:
            solution = _triangular_solve(a, b, lower)
    return (solution.astype(matrix.dtype),)


@register_op("Qr", inputs=["input: T"], outputs=["q: T", "r: T"],
             attrs=["full_matrices: bool = false", _LINALG])
def _qr(ctx, x, *, full_matrices, **_):
    if x.ndim < 2:
        raise InvalidArgumentError(
            f"{ctx.where}: Input tensor 0 must have rank >= 2, got {x.ndim}.")
    q, r = np.linalg.qr(widen(x), mode="complete" if full_matrices else "reduced")
    return q.astype(x.dtype), r.astype(x.dtype)


@register_op("SelfAdjointEigV2", inputs=["input: T"], outputs=["e: T", "v: T"],
             attrs=["compute_v: bool = true", _LINALG])
def _self_adjoint_eig_v2(ctx, x, *, compute_v, **_):
    _check_square(ctx, x)
    wide = widen(x)
    if not compute_v:
        return np.linalg.eigvalsh(wide).astype(x.dtype), np.zeros((), x.dtype)
    values, vectors = np.linalg.eigh(wide)
    return values.astype(x.dtype), vectors.astype(x.dtype)


@register_op("SparseMatMul", inputs=["a: Ta", "b: Tb"], outputs=["product: float"],
             attrs=["transpose_a: bool = false", "transpose_b: bool = false",
                    "a_is_sparse: bool = false", "b_is_sparse: bool = false",
                    "Ta: type {float, bfloat16} = DT_FLOAT",
                    "Tb: type {float, bfloat16} = DT_FLOAT"])
def _sparse_mat_mul(ctx, a, b, *, transpose_a, transpose_b, **_):
    return _mat_mul(ctx, a.astype(FLOAT32), b.astype(FLOAT32), transpose_a=transpose_a,
                    transpose_b=transpose_b)


@register_op("Svd", inputs=["input: T"], outputs=["s: T", "u: T", "v: T"],
             attrs=["compute_uv: bool = true", "full_matrices: bool = false", _LINALG])
def _svd(ctx, x, *, compute_uv, full_matrices, **_):
    if x.ndim < 2:
        raise InvalidArgumentError(
            f"{ctx.where}: Input tensor 0 must have rank >= 2, got {x.ndim}.")
    wide = widen(x)
    if not compute_uv:  # TensorFlow leaves u and v as unused scalars
        empty = np.zeros((), x.dtype)
        return np.linalg.svd(wide, compute_uv=False).astype(x.dtype), empty, empty
    u, s, vh = np.linalg.svd(wide, full_matrices=full_matrices)
    return s.astype(x.dtype), u.astype(x.dtype), _adjoint(vh, True).astype(x.dtype)
