"""Function-call semantics: library functions compiled once into plans and called by name."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from savedmodel.errors import InvalidArgumentError, NotFoundError, ResourceExhaustedError
from savedmodel.graph.attrs import FuncRef
from savedmodel.graph.function_library import Function, FunctionLibrary
from savedmodel.ops.context import ResourceManager, RuntimeOptions
from savedmodel.runtime.executor import execute
from savedmodel.runtime.plan import ExecutionPlan, PlanEnv, compile_plan


class FunctionRuntime:
    """Calls functions of one library with shared resources; plans are cached per function."""

    def __init__(self, library: FunctionLibrary, resources: ResourceManager | None = None,
                 options: RuntimeOptions | None = None) -> None:
        library.check_acyclic()
        self.library = library
        self.resources = resources or ResourceManager()
        self.options = options or RuntimeOptions()
        self.env = PlanEnv(self.resources, self.options, self.call, self._outputs_of)
        self._plans: dict[str, ExecutionPlan] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def _outputs_of(self, name: str) -> list[str] | None:
        function = self.library.functions.get(name)
        return None if function is None else function.output_names

    def plan(self, name: str, func_attrs: dict[str, Any] | None = None) -> ExecutionPlan:
        """The compiled plan of function ``name`` (compiled on first use)."""
        key = name if not func_attrs else f"{name}{sorted(func_attrs.items())!r}"
        plan = self._plans.get(key)
        if plan is None:
            with self._lock:
                plan = self._plans.get(key) or self._compile(name, func_attrs or {})
                self._plans[key] = plan
        return plan

    def _compile(self, name: str, func_attrs: dict[str, Any]) -> ExecutionPlan:
        function = self._function(name)
        return compile_plan(function.body, self.env, feeds=function.input_names,
                            fetches=[function.ret[o] for o in function.output_names],
                            targets=function.control_ret, keep_stateful=True,
                            func_attrs=func_attrs, where=f"function {name!r}")

    def _function(self, name: str) -> Function:
        try:
            return self.library[name]
        except KeyError:
            raise NotFoundError(f"Function {name!r} is not in the model's function library.") from None

    def call(self, func: FuncRef | str, args: Sequence[Any]) -> list[Any]:
        """Runs a function on ``args`` (one value per input argument) and returns its outputs."""
        ref = FuncRef(func) if isinstance(func, str) else func
        function = self._function(ref.name)
        if len(args) != len(function.input_names):
            raise InvalidArgumentError(f"Function {ref.name!r} takes {len(function.input_names)} "
                                       f"arguments, got {len(args)}.")
        depth = getattr(self._local, "depth", 0)
        if depth >= self.options.max_call_depth:
            raise ResourceExhaustedError(
                f"Function {ref.name!r}: call depth exceeds {self.options.max_call_depth} nested "
                "calls. Raise RuntimeOptions.max_call_depth if the model is trusted.")
        self._local.depth = depth + 1
        try:
            return execute(self.plan(ref.name, ref.attrs), list(args))
        finally:
            self._local.depth = depth


