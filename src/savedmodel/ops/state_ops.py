"""TF1 reference variables (VariableV2, Assign, AssignAdd, AssignSub, IsVariableInitialized).

A ref output carries the ``VariableState`` itself; the planner dereferences it wherever a non-ref
input consumes it (``w/read = Identity(w)``), as TensorFlow does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.errors import FailedPreconditionError, InvalidArgumentError
from savedmodel.ops.context import KernelContext, ResourceHandle, VariableState
from savedmodel.ops.registry import register_op


def deref(state: VariableState, where: str) -> np.ndarray:
    """The value behind a ref; TensorFlow's wording when it is uninitialized."""
    if state.value is None:
        raise FailedPreconditionError(f"{where}: Attempting to use uninitialized value {state.name}.")
    return state.value


@register_op("VariableV2", inputs=[], outputs=["ref: Ref(dtype)"],
             attrs=["shape: shape", "dtype: type", "container: string = ''", "shared_name: string = ''"],
             stateful=True)
def _variable_v2(ctx: KernelContext, *, shape: Any, dtype: Any, container: str, shared_name: str) -> tuple:
    handle = ResourceHandle(container, shared_name or ctx.node_name, "ref_variable", dtype.enum, shape)
    state = ctx.resources.lookup_or_create(
        handle, lambda: VariableState(dtype.enum, shape, None, shared_name or ctx.node_name))
    return (state,)


def _check(ctx: KernelContext, ref: Any) -> VariableState:
    if not isinstance(ref, VariableState):
        raise InvalidArgumentError(f"{ctx.where}: input 0 must be a reference variable.")
    return ref


@register_op("Assign", inputs=["ref: Ref(T)", "value: T"], outputs=["output_ref: Ref(T)"],
             attrs=["T: type", "validate_shape: bool = true", "use_locking: bool = true"])
def _assign(ctx: KernelContext, ref: Any, value: Any, *, validate_shape: bool, **_: Any) -> tuple:
    state = _check(ctx, ref)
    array = np.asarray(value)
    if validate_shape and state.shape is not None and -1 not in state.shape and tuple(
            state.shape) != array.shape:
        raise InvalidArgumentError(f"{ctx.where}: Assign requires shapes of both tensors to match. "
                                   f"lhs shape= {list(state.shape)} rhs shape= {list(array.shape)}")
    state.value = array
    return (state,)


def _update(ctx: KernelContext, ref: Any, value: Any, sign: int) -> tuple:
    state = _check(ctx, ref)
    current = deref(state, ctx.where)
    delta = np.asarray(value)
    state.value = (current + delta if sign > 0 else current - delta).astype(current.dtype)
    return (state,)


_UPDATE = dict(inputs=["ref: Ref(T)", "value: T"], outputs=["output_ref: Ref(T)"],
               attrs=["T: type {float, double, int32, uint8, int16, int8, complex64, int64, qint8, quint8, "
                      "qint32, bfloat16, qint16, quint16, uint16, complex128, half, uint32, uint64}",
                      "use_locking: bool = false"])


@register_op("AssignAdd", **_UPDATE)
def _assign_add(ctx: KernelContext, ref: Any, value: Any, **_: Any) -> tuple:
    return _update(ctx, ref, value, 1)


@register_op("AssignSub", **_UPDATE)
def _assign_sub(ctx: KernelContext, ref: Any, value: Any, **_: Any) -> tuple:
    return _update(ctx, ref, value, -1)


@register_op("IsVariableInitialized", inputs=["ref: Ref(dtype)"], outputs=["is_initialized: bool"],
             attrs=["dtype: type"])
def _is_initialized(ctx: KernelContext, ref: Any, **_: Any) -> tuple:
    return (np.asarray(_check(ctx, ref).value is not None),)
