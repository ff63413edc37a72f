"""NoOp, Assert and the logging ops (PrintV2 goes to our logger, never to a file)."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from savedmodel.errors import InvalidArgumentError
from savedmodel.ops.context import KernelContext
from savedmodel.ops.registry import register_op

PRINT_LOGGER = logging.getLogger("savedmodel.print")


@register_op("Assert", inputs=["condition: bool", "data: T"], outputs=[],
             attrs=["T: list(type) >= 1", "summarize: int = 3"], stateful=True)
def _assert(ctx: KernelContext, condition: Any, data: list[Any], *, summarize: int, **_: Any) -> tuple:
    if np.asarray(condition).ndim != 0:
        raise InvalidArgumentError(f"{ctx.where}: Assert condition must be a scalar, got shape "
                                   f"{np.asarray(condition).shape}.")
    if not bool(condition):
        parts = [_summarize(d, summarize) for d in data]
        raise InvalidArgumentError("assertion failed: [" + "] [".join(parts) + "]")
    return ()


def _summarize(value: Any, summarize: int) -> str:
    array = np.asarray(value)
    flat = array.reshape(-1)[: max(summarize, 0) if summarize >= 0 else None]
    items = [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in flat.tolist()]
    return " ".join(items) + ("..." if flat.size < array.size else "")


@register_op("NoOp", inputs=[], outputs=[], attrs=[])
def _no_op(ctx: KernelContext, **_: Any) -> tuple:
    return ()


@register_op("PrintV2", inputs=["input: string"], outputs=[],
             attrs=["output_stream: string = 'stderr'", "end: string = '\\n'"], stateful=True)
def _print_v2(ctx: KernelContext, input: Any, *, output_stream: str, **_: Any) -> tuple:
    text = np.asarray(input).item()
    PRINT_LOGGER.info("%s", text.decode("utf-8", "replace") if isinstance(text, bytes) else text)
    return ()
