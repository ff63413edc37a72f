"""Graph + feeds/fetches/targets -> ExecutionPlan: pruned, sorted, kernels bound, attrs resolved once.

Every tensor gets a slot number; a step reads its input slots, runs its kernel and writes its output
slots; slots are released after their last reader so memory is freed as early as possible. Feeding a
tensor cuts the graph there (its producer does not run), as in TensorFlow. Every op without a kernel in
the pruned graph is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from savedmodel.errors import InvalidArgumentError, NotFoundError, SavedModelValueError
from savedmodel.graph.attrs import Placeholder, decode_attr
from savedmodel.graph.graph import Graph, Node
from savedmodel.graph.refs import TensorRef
from savedmodel.ops import registry
from savedmodel.ops.context import KernelContext, ResourceManager, RuntimeOptions


@dataclass
class Step:
    """One node to run: kernel, its context and attrs, and the slots it reads, writes and frees."""

    node: str
    op: str
    kernel: Callable[..., tuple]
    ctx: KernelContext
    attrs: dict[str, Any]
    inputs: list[int | list[int]]
    outputs: list[int]
    release: list[int] = field(default_factory=list)


@dataclass
class ExecutionPlan:
    """Steps to run; ``template`` is the initial slot list, with constants already in place."""

    n_slots: int
    feed_slots: list[int]
    fetch_slots: list[int]
    steps: list[Step]
    template: list[Any] = field(default_factory=list)


@dataclass
class PlanEnv:
    """What the plan's kernels share: resources, options and the function caller."""

    resources: ResourceManager
    options: RuntimeOptions
    call: Callable[[Any, Sequence[Any]], list[Any]] | None = None
    function_outputs: Callable[[str], list[str] | None] = lambda name: None


def _output_counts(op_def: registry.OpDef, attrs: dict[str, Any]) -> list[tuple[str, int]]:
    counts = []
    for arg in op_def.outputs:
        if arg.number_attr:
            counts.append((arg.name, int(attrs[arg.number_attr])))
        elif arg.type_list_attr:
            counts.append((arg.name, len(attrs[arg.type_list_attr])))
        else:
            counts.append((arg.name, 1))
    return counts


def _input_groups(op_def: registry.OpDef, attrs: dict[str, Any], n_inputs: int,
                  where: str) -> list[int | None]:
    """Number of flat inputs per input argument (None marks a single, non-list argument)."""
    groups = []
    for arg in op_def.inputs:
        if arg.number_attr:
            groups.append(int(attrs[arg.number_attr]))
        elif arg.type_list_attr:
            groups.append(len(attrs[arg.type_list_attr]))
        else:
            groups.append(None)
    expected = sum(1 if g is None else g for g in groups)
    if expected != n_inputs:
        raise InvalidArgumentError(f"{where}: has {n_inputs} data inputs, but op {op_def.name} with "
                                   f"these attrs takes {expected}.")
    return groups


def _decode_attrs(node: Node, op_def: registry.OpDef, options: RuntimeOptions,
                  func_attrs: dict[str, Any], where: str) -> dict[str, Any]:
    raw = {}
    for key, value in node.attrs.items():
        if key.startswith("_") and key not in op_def.attr_map:
            continue
        decoded = decode_attr(value, max_bytes=options.max_tensor_bytes, where=where)
        if isinstance(decoded, Placeholder):
            if decoded.name not in func_attrs:
                raise InvalidArgumentError(f"{where}: attr {key!r} refers to the caller's attr "
                                           f"{decoded.name!r}, which the call does not set.")
            decoded = func_attrs[decoded.name]
        raw[key] = decoded
    try:
        return registry.fill_attrs(op_def, raw, where)
    except SavedModelValueError as err:
        raise InvalidArgumentError(str(err)) from None


class _Planner:
    def __init__(self, graph: Graph, env: PlanEnv, args: Sequence[str], func_attrs: dict[str, Any],
                 where: str) -> None:
        self.graph = graph
        self.env = env
        self.args = {name: i for i, name in enumerate(args)}
        self.func_attrs = func_attrs
        self.where = where
        self.slots: dict[tuple[str, int], int] = {}
        self.offsets: dict[str, dict[str, int]] = {}
        self.ref_slots: set[int] = set()
        self.n_slots = 0

    def new_slot(self) -> int:
        self.n_slots += 1
        return self.n_slots - 1

    def needed(self, roots: list[str], fed: set[TensorRef]) -> list[str]:
        seen: set[str] = set()
        stack = [r for r in roots]
        while stack:
            name = stack.pop()
            if name in seen or name in self.args:
                continue
            if name not in self.graph.nodes:
                raise NotFoundError(f"{self.where}: node {name!r} is not in the graph; known nodes "
                                    f"include {sorted(self.graph.nodes)[:10]}.")
            seen.add(name)
            node = self.graph.nodes[name]
            stack.extend(r.node for r in node.inputs if _plain(r) not in fed)
            stack.extend(node.control_inputs)
        return [n for n in self.graph.nodes if n in seen]

    def order(self, names: list[str], fed: set[TensorRef]) -> list[Node]:
        """Kahn's topological sort over data and control edges, stable in file order."""
        members = set(names)
        indegree = {n: 0 for n in names}
        users: dict[str, list[str]] = {n: [] for n in names}
        for name in names:
            node = self.graph.nodes[name]
            deps = {r.node for r in node.inputs if _plain(r) not in fed} | set(node.control_inputs)
            for dep in deps & members:
                indegree[name] += 1
                users[dep].append(name)
        ready = [n for n in names if indegree[n] == 0]
        ordered: list[Node] = []
        position = {n: i for i, n in enumerate(names)}
        while ready:
            ready.sort(key=position.__getitem__, reverse=True)
            name = ready.pop()
            ordered.append(self.graph.nodes[name])
            for user in users[name]:
                indegree[user] -= 1
                if indegree[user] == 0:
                    ready.append(user)
        if len(ordered) != len(names):
            stuck = sorted(n for n in names if indegree[n] > 0)[:8]
            raise InvalidArgumentError(
                f"{self.where}: the graph has a cycle through nodes {stuck}. TensorFlow 1 while loops "
                "(Enter/Exit/NextIteration) are not supported yet; re-export with control flow v2.")
        return ordered


def _plain(ref: TensorRef) -> TensorRef:
    return TensorRef(ref.node, ref.index, ref.output_arg)


def _op_for(node: Node, env: PlanEnv) -> registry.OpDef | None:
    registered = registry.lookup(node.op)
    if registered is not None and registered.kernel is not None:
        return registered.op_def
    outputs = env.function_outputs(node.op)
    if outputs is not None:
        return registry.make_op_def(node.op, ["args: Tin"], [f"{o}: float" for o in outputs],
                                    ["Tin: list(type) >= 0"], is_stateful=True)
    return None


def compile_plan(graph: Graph, env: PlanEnv, *, feeds: Sequence[TensorRef | str] = (),
                 fetches: Sequence[TensorRef] = (), targets: Sequence[str] = (),
                 keep_stateful: bool = False, func_attrs: dict[str, Any] | None = None,
                 where: str = "graph") -> ExecutionPlan:
    """Compiles the part of ``graph`` that computes ``fetches`` and runs ``targets``.

    ``feeds`` are tensor refs (graphs) or argument names (function bodies); with ``keep_stateful``
    (function semantics) stateful nodes run even when no fetch needs them.
    """
    arg_names = [f for f in feeds if isinstance(f, str)]
    fed_refs = {_plain(f) for f in feeds if isinstance(f, TensorRef)}
    planner = _Planner(graph, env, arg_names, func_attrs or {}, where)
    roots = [r.node for r in fetches if _plain(r) not in fed_refs] + list(targets)
    if keep_stateful:
        roots += [n.name for n in graph.nodes.values()
                  if (reg := registry.lookup(n.op)) is not None and reg.op_def.is_stateful]
    names = planner.needed(roots, fed_refs)
    _check_kernels(graph, names, env)
    feed_slots = [planner.new_slot() for _ in feeds]
    for slot, feed in zip(feed_slots, feeds):
        key = (feed, 0) if isinstance(feed, str) else (feed.node, feed.index)
        planner.slots[key] = slot
        if isinstance(feed, TensorRef) and feed.output_arg:
            planner.slots[(feed.node, -1, feed.output_arg, feed.index)] = slot  # type: ignore[index]
    steps = [_make_step(planner, node) for node in planner.order(names, fed_refs)]
    fetch_slots = [_resolve(planner, ref, where) for ref in fetches]
    fetch_slots = [_deref_fetch(planner, steps, slot, where) for slot in fetch_slots]
    template: list[Any] = [None] * planner.n_slots
    steps = _prefill_constants(steps, template)
    _add_releases(steps, set(fetch_slots) | {i for i, v in enumerate(template) if v is not None})
    return ExecutionPlan(planner.n_slots, feed_slots, fetch_slots, steps, template)


def _prefill_constants(steps: list[Step], template: list[Any]) -> list[Step]:
    """Const nodes run once, at plan time: their values sit in the slot template."""
    kept = []
    for step in steps:
        if step.op == "Const" and not step.inputs:
            (template[step.outputs[0]],) = step.kernel(step.ctx, **step.attrs)
        else:
            kept.append(step)
    return kept


def _check_kernels(graph: Graph, names: list[str], env: PlanEnv) -> None:
    missing: dict[str, list[str]] = {}
    for name in names:
        node = graph.nodes[name]
        if _op_for(node, env) is None:
            missing.setdefault(node.op, []).append(name)
    registry.check_supported(missing)


def _resolve(planner: _Planner, ref: TensorRef, where: str) -> int:
    if ref.node in planner.args and not ref.output_arg:
        return planner.slots[(ref.node, 0)]
    if ref.output_arg:
        fed = planner.slots.get((ref.node, -1, ref.output_arg, ref.index))  # type: ignore[call-overload]
        if fed is not None:
            return fed
        offsets = planner.offsets.get(ref.node)
        if offsets is None or ref.output_arg not in offsets:
            raise InvalidArgumentError(f"{where}: input {str(ref)!r} names an unknown node or output.")
        index = offsets[ref.output_arg] + ref.index
    else:
        index = ref.index
    slot = planner.slots.get((ref.node, index))
    if slot is None:
        raise InvalidArgumentError(f"{where}: input {str(ref)!r} refers to a missing node or an output "
                                   "index the node does not have.")
    return slot


def _make_step(planner: _Planner, node: Node) -> Step:
    where = f"{planner.where}: node {node.name!r} ({node.op})"
    op_def = _op_for(node, planner.env)
    assert op_def is not None  # checked by _check_kernels
    registered = registry.lookup(node.op)
    is_function = registered is None or registered.kernel is None
    if is_function:
        attrs: dict[str, Any] = {"Tin": [None] * len(node.inputs)}
        kernel = _function_kernel(node.op)
    else:
        attrs = _decode_attrs(node, op_def, planner.env.options, planner.func_attrs, where)
        kernel = registered.kernel
    groups = _input_groups(op_def, attrs, len(node.inputs), where)
    flat = [_resolve(planner, ref, where) for ref in node.inputs]
    kernel = _with_deref(kernel, _deref_positions(op_def, groups, flat, planner.ref_slots), where)
    inputs: list[int | list[int]] = []
    position = 0
    for count in groups:
        if count is None:
            inputs.append(flat[position])
            position += 1
        else:
            inputs.append(flat[position:position + count])
            position += count
    outputs, offsets, start = [], {}, 0
    for arg, (arg_name, count) in zip(op_def.outputs, _output_counts(op_def, attrs)):
        offsets[arg_name] = start
        for i in range(count):
            slot = planner.new_slot()
            if arg.is_ref:
                planner.ref_slots.add(slot)
            planner.slots[(node.name, start + i)] = slot
            outputs.append(slot)
        start += count
    planner.offsets[node.name] = offsets
    if is_function:
        attrs = {}
    elif any(arg.is_list for arg in op_def.outputs):
        kernel = _flattening(kernel, [arg.is_list for arg in op_def.outputs])
    ctx = KernelContext(node.name, node.op, planner.env.resources, planner.env.options,
                        planner.env.call)
    return Step(node.name, node.op, kernel, ctx, attrs, inputs, outputs)


def _flattening(kernel: Callable[..., tuple], is_list: list[bool]) -> Callable[..., tuple]:
    """Wraps a kernel whose list outputs come back as Python lists so its outputs are flat."""

    def flat_kernel(ctx: KernelContext, *args: Any, **attrs: Any) -> tuple:
        outputs = kernel(ctx, *args, **attrs)
        if len(outputs) != len(is_list):
            raise InvalidArgumentError(f"{ctx.where}: kernel returned {len(outputs)} outputs, "
                                       f"expected {len(is_list)}.")
        flat: list[Any] = []
        for value, listed in zip(outputs, is_list):
            if listed:
                flat.extend(value)
            else:
                flat.append(value)
        return tuple(flat)

    return flat_kernel


def _deref_fetch(planner: _Planner, steps: list[Step], slot: int, where: str) -> int:
    """Fetching a TF1 ref gives its value: a dereferencing step writes it to a fresh slot."""
    if slot not in planner.ref_slots:
        return slot
    from savedmodel.ops.state_ops import deref

    out = planner.new_slot()
    ctx = KernelContext("<fetch>", "Identity", planner.env.resources, planner.env.options, planner.env.call)
    steps.append(Step("<fetch>", "Identity", lambda c, ref: (deref(ref, where),), ctx, {}, [slot], [out]))
    return out


def _deref_positions(op_def: registry.OpDef, groups: list[int | None], flat: list[int],
                     ref_slots: set[int]) -> list[tuple[int, int]]:
    """(argument index, element index or -1) of inputs where a ref meets a non-ref argument."""
    positions, flat_index = [], 0
    for arg_index, (arg, count) in enumerate(zip(op_def.inputs, groups)):
        for element in range(1 if count is None else count):
            if not arg.is_ref and flat[flat_index] in ref_slots:
                positions.append((arg_index, -1 if count is None else element))
            flat_index += 1
    return positions


def _with_deref(kernel: Callable[..., tuple], positions: list[tuple[int, int]],
                where: str) -> Callable[..., tuple]:
    """Wraps a kernel so TF1 reference inputs arrive as their current values."""
    if not positions:
        return kernel
    from savedmodel.ops.state_ops import deref

    def deref_kernel(ctx: KernelContext, *args: Any, **attrs: Any) -> tuple:
        values = list(args)
        for arg_index, element in positions:
            if element < 0:
                values[arg_index] = deref(values[arg_index], where)
            else:
                values[arg_index] = list(values[arg_index])
                values[arg_index][element] = deref(values[arg_index][element], where)
        return kernel(ctx, *values, **attrs)

    return deref_kernel


def _function_kernel(name: str) -> Callable[..., tuple]:
    from savedmodel.graph.attrs import FuncRef

    ref = FuncRef(name)

    def kernel(ctx: KernelContext, args: list[Any]) -> tuple:
        return tuple(ctx.call_function(ref, args))

    return kernel


def _add_releases(steps: list[Step], keep: set[int]) -> None:
    last_use: dict[int, int] = {}
    for index, step in enumerate(steps):
        for item in step.inputs:
            for slot in item if isinstance(item, list) else [item]:
                last_use[slot] = index
        for slot in step.outputs:
            last_use.setdefault(slot, index)
    for slot, index in last_use.items():
        if slot not in keep:
            steps[index].release.append(slot)
