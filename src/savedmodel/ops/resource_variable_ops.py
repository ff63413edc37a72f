"""Resource variables: handles, reads, assignments, gathers, and variable shapes."""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops.context import KernelContext, ResourceHandle, VariableState, read_variable
from savedmodel.ops.registry import register_op


def _state(ctx: KernelContext, handle: Any) -> VariableState:
    if not isinstance(handle, ResourceHandle):
        raise InvalidArgumentError(f"{ctx.where}: expected a resource handle, got {type(handle).__name__}.")
    return ctx.resources.get(handle, ctx.where)


@register_op("VarHandleOp", inputs=[], outputs=["resource: resource"],
             attrs=["container: string = ''", "shared_name: string = ''", "debug_name: string = ''",
                    "dtype: type", "shape: shape", "allowed_devices: list(string) = []"], stateful=True)
def _var_handle(ctx: KernelContext, *, container: str, shared_name: str, dtype: Any, shape: Any,
                **_: Any) -> tuple:
    handle = ResourceHandle(container, shared_name or ctx.node_name, "variable", dtype.enum, shape)
    ctx.resources.lookup_or_create(handle, lambda: VariableState(dtype.enum, shape, None, shared_name))
    return (handle,)


@register_op("ReadVariableOp", inputs=["resource: resource"], outputs=["value: dtype"],
             attrs=["dtype: type"], stateful=True)
def _read(ctx: KernelContext, resource: Any, *, dtype: Any) -> tuple:
    value = read_variable(ctx.resources, resource, ctx.where)
    if value.dtype != dtype.numpy:
        raise InvalidArgumentError(f"{ctx.where}: trying to read variable {resource.shared_name!r} "
                                   f"of dtype {value.dtype} as {dtype.name}.")
    return (value,)


def _checked_value(ctx: KernelContext, state: VariableState, value: Any, dtype: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype != dtype.numpy:
        raise InvalidArgumentError(f"{ctx.where}: assigning {array.dtype} to a {dtype.name} variable.")
    return array


@register_op("AssignVariableOp", inputs=["resource: resource", "value: dtype"], outputs=[],
             attrs=["dtype: type", "validate_shape: bool = false"], stateful=True)
def _assign(ctx: KernelContext, resource: Any, value: Any, *, dtype: Any, validate_shape: bool) -> tuple:
    state = _state(ctx, resource)
    array = _checked_value(ctx, state, value, dtype)
    if validate_shape and state.value is not None and state.value.shape != array.shape:
        raise InvalidArgumentError(f"{ctx.where}: trying to assign shape {array.shape} to variable "
                                   f"of shape {state.value.shape}.")
    state.value = array
    return ()


def _update(ctx: KernelContext, resource: Any, value: Any, dtype: Any, sign: int) -> tuple:
    state = _state(ctx, resource)
    current = read_variable(ctx.resources, resource, ctx.where)
    delta = _checked_value(ctx, state, value, dtype)
    if current.shape != np.broadcast_shapes(current.shape, delta.shape):
        raise InvalidArgumentError(f"{ctx.where}: cannot update variable of shape {current.shape} "
                                   f"with a value of shape {delta.shape}.")
    state.value = (current + delta if sign > 0 else current - delta).astype(current.dtype)
    return ()


@register_op("AssignAddVariableOp", inputs=["resource: resource", "value: dtype"], outputs=[],
             attrs=["dtype: type"], stateful=True)
def _assign_add(ctx: KernelContext, resource: Any, value: Any, *, dtype: Any) -> tuple:
    return _update(ctx, resource, value, dtype, 1)


@register_op("AssignSubVariableOp", inputs=["resource: resource", "value: dtype"], outputs=[],
             attrs=["dtype: type"], stateful=True)
def _assign_sub(ctx: KernelContext, resource: Any, value: Any, *, dtype: Any) -> tuple:
    return _update(ctx, resource, value, dtype, -1)


@register_op("VarIsInitializedOp", inputs=["resource: resource"], outputs=["is_initialized: bool"],
             attrs=[], stateful=True)
def _is_initialized(ctx: KernelContext, resource: Any) -> tuple:
    ready = resource in ctx.resources and ctx.resources.get(resource).value is not None
    return (np.asarray(ready),)


@register_op("DestroyResourceOp", inputs=["resource: resource"], outputs=[],
             attrs=["ignore_lookup_error: bool = true"], stateful=True)
def _destroy(ctx: KernelContext, resource: Any, *, ignore_lookup_error: bool) -> tuple:
    if resource not in ctx.resources and not ignore_lookup_error:
        ctx.resources.get(resource, ctx.where)
    ctx.resources.delete(resource)
    return ()


@register_op("ResourceGather", inputs=["resource: resource", "indices: Tindices"],
             outputs=["output: dtype"],
             attrs=["batch_dims: int = 0", "validate_indices: bool = true", "dtype: type",
                    "Tindices: type {int32, int64}"], stateful=True)
def _gather(ctx: KernelContext, resource: Any, indices: Any, *, batch_dims: int, **_: Any) -> tuple:
    params = read_variable(ctx.resources, resource, ctx.where)
    indices = np.asarray(indices)
    if batch_dims != 0:
        raise InvalidArgumentError(f"{ctx.where}: ResourceGather with batch_dims={batch_dims} is not "
                                   "supported yet.")
    if params.ndim == 0:
        raise InvalidArgumentError(f"{ctx.where}: params must be at least 1-D.")
    if indices.size and (indices.min() < 0 or indices.max() >= params.shape[0]):
        bad = indices[(indices < 0) | (indices >= params.shape[0])].reshape(-1)[0]
        raise InvalidArgumentError(f"{ctx.where}: indices contains {int(bad)}, not in "
                                   f"[0, {params.shape[0]}).")
    return (np.take(params, indices, axis=0),)


@register_op("VariableShape", inputs=["input: resource"], outputs=["output: out_type"],
             attrs=["out_type: type {int32, int64} = DT_INT32"], stateful=True)
def _variable_shape(ctx: KernelContext, input: Any, *, out_type: Any) -> tuple:
    value = read_variable(ctx.resources, input, ctx.where)
    return (np.asarray(value.shape, dtype=out_type.numpy),)
