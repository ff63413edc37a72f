"""Runs an ExecutionPlan: a tight loop over steps reading and writing slots.

Set ``SAVEDMODEL_DEBUG=1`` to log ``node = Op(input shapes) -> output shapes`` for every step.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from savedmodel.errors import InternalError, InvalidArgumentError, SavedModelError
from savedmodel.runtime.plan import ExecutionPlan, Step

LOGGER = logging.getLogger("savedmodel.runtime")
DEBUG = os.environ.get("SAVEDMODEL_DEBUG", "") not in ("", "0")


def execute(plan: ExecutionPlan, feeds: Sequence[Any]) -> list[Any]:
    """Runs ``plan`` with values for its feed slots (in order) and returns the fetched values."""
    slots: list[Any] = list(plan.template)
    for slot, value in zip(plan.feed_slots, feeds):
        slots[slot] = value
    with np.errstate(all="ignore"):  # TensorFlow never warns on NaN/inf arithmetic
        _run_steps(plan, slots)
    return [slots[i] for i in plan.fetch_slots]


def _run_steps(plan: ExecutionPlan, slots: list[Any]) -> None:
    for step in plan.steps:
        args = [slots[i] if i.__class__ is int else [slots[j] for j in i] for i in step.inputs]
        try:
            outputs = step.kernel(step.ctx, *args, **step.attrs)
        except SavedModelError:
            raise
        except RecursionError:
            raise
        except (ValueError, TypeError, IndexError) as err:
            raise InvalidArgumentError(f"{step.ctx.where}: {err}") from err
        except (MemoryError, ArithmeticError, KeyError, AttributeError) as err:
            raise InternalError(f"{step.ctx.where}: kernel failed: {type(err).__name__}: {err}") from err
        if len(outputs) != len(step.outputs):
            raise InternalError(f"{step.ctx.where}: kernel returned {len(outputs)} values for "
                                f"{len(step.outputs)} outputs.")
        for slot, value in zip(step.outputs, outputs):
            slots[slot] = np.asarray(value) if isinstance(value, np.generic) else value
        if DEBUG:
            _trace(step, args, outputs)
        for slot in step.release:
            slots[slot] = None


def _shape(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_shape(v) for v in value) + "]"
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    return f"{dtype}{list(shape)}" if shape is not None else type(value).__name__


def _trace(step: Step, args: list[Any], outputs: Sequence[Any]) -> None:
    LOGGER.warning("%s = %s(%s) -> %s", step.node, step.op, ", ".join(_shape(a) for a in args),
                   ", ".join(_shape(o) for o in outputs))
