"""Function-calling and control-flow-v2 ops: PartitionedCall, If, While, Case and their stateless forms.

Branches and loop bodies are library functions run through ``ctx.call_function``; the runtime caches
their plans, so a loop iteration costs one plan execution.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError, ResourceExhaustedError
from savedmodel.ops.context import KernelContext
from savedmodel.ops.registry import register_op

_CALL = dict(inputs=["args: Tin"], outputs=["output: Tout"],
             attrs=["Tin: list(type) >= 0", "Tout: list(type) >= 0", "f: func", "config: string = ''",
                    "config_proto: string = ''", "executor_type: string = ''"])
_IF = dict(inputs=["cond: Tcond", "input: Tin"], outputs=["output: Tout"],
           attrs=["Tcond: type", "Tin: list(type) >= 0", "Tout: list(type) >= 0", "then_branch: func",
                  "else_branch: func", "output_shapes: list(shape) = []"])
_WHILE = dict(inputs=["input: T"], outputs=["output: T"],
              attrs=["T: list(type) >= 0", "cond: func", "body: func", "output_shapes: list(shape) = []",
                     "parallel_iterations: int = 10"])
_CASE = dict(inputs=["branch_index: int32", "input: Tin"], outputs=["output: Tout"],
             attrs=["Tin: list(type) >= 0", "Tout: list(type) >= 0", "branches: list(func) >= 1",
                    "output_shapes: list(shape) = []"])


def to_bool(value: Any, where: str) -> bool:
    """TensorFlow's truth value of a predicate tensor (scalars by value, others by non-emptiness)."""
    array = np.asarray(value)
    if array.ndim != 0:
        return array.size > 0
    item = array.item()
    if isinstance(item, bytes):
        return len(item) > 0
    return bool(item)


def _call(ctx: KernelContext, args: list[Any], *, f: Any, **_: Any) -> tuple:
    return (ctx.call_function(f, args),)


register_op("PartitionedCall", **_CALL)(_call)
register_op("StatefulPartitionedCall", **_CALL, stateful=True)(_call)


def _if(ctx: KernelContext, cond: Any, args: list[Any], *, then_branch: Any, else_branch: Any,
        **_: Any) -> tuple:
    branch = then_branch if to_bool(cond, ctx.where) else else_branch
    return (ctx.call_function(branch, args),)


register_op("If", **_IF, stateful=True)(_if)
register_op("StatelessIf", **_IF)(_if)


def _while(ctx: KernelContext, values: list[Any], *, cond: Any, body: Any, **_: Any) -> tuple:
    limit = ctx.options.max_loop_iterations
    for _iteration in range(limit + 1):
        (predicate,) = ctx.call_function(cond, values)[:1]
        if not to_bool(predicate, ctx.where):
            return (list(values),)
        values = ctx.call_function(body, values)
    raise ResourceExhaustedError(
        f"{ctx.where}: while loop ran more than {limit} iterations. Raise "
        "RuntimeOptions.max_loop_iterations if the model is trusted.")


register_op("While", **_WHILE, stateful=True)(_while)
register_op("StatelessWhile", **_WHILE)(_while)


def _case(ctx: KernelContext, branch_index: Any, args: list[Any], *, branches: list[Any],
          **_: Any) -> tuple:
    index = int(np.asarray(branch_index))
    if not branches:
        raise InvalidArgumentError(f"{ctx.where}: Case has no branches.")
    if index < 0 or index >= len(branches):
        index = len(branches) - 1  # TensorFlow runs the last branch as the default
    return (ctx.call_function(branches[index], args),)


register_op("Case", **_CASE, stateful=True)(_case)
register_op("StatelessCase", **_CASE)(_case)
