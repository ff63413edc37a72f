"""Edge strings parsed in one place: ``"^a"``, ``"a"``, ``"a:1"`` (graphs) and ``"a:out:0"`` (functions)."""

from __future__ import annotations

from typing import NamedTuple

from savedmodel.errors import InvalidArgumentError


class TensorRef(NamedTuple):
    """One input edge: the producing node (or function argument), which output, and control-ness.

    ``output_arg`` is set for function-body references (``node:arg:index``); ``index`` is the position
    inside that argument (or the flat output index in a graph).
    """

    node: str
    index: int = 0
    output_arg: str = ""
    is_control: bool = False

    @classmethod
    def from_string(cls, text: str) -> TensorRef:
        if not text:
            raise InvalidArgumentError("Empty input name in a node's input list.")
        if text.startswith("^"):
            return cls(text[1:], 0, "", True)
        parts = text.split(":")
        try:
            if len(parts) == 1:
                return cls(parts[0])
            if len(parts) == 2:
                return cls(parts[0], int(parts[1]))
            if len(parts) == 3:
                return cls(parts[0], int(parts[2]), parts[1])
        except ValueError:
            pass
        raise InvalidArgumentError(f"Malformed tensor name {text!r}: expected 'node', 'node:index', "
                                   "'node:output_arg:index' or '^node'.")

    def __str__(self) -> str:
        if self.is_control:
            return f"^{self.node}"
        if self.output_arg:
            return f"{self.node}:{self.output_arg}:{self.index}"
        return f"{self.node}:{self.index}"
