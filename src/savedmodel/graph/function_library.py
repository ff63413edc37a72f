"""FunctionDefs as IR: typed arguments, a body graph, and the return and control-return maps."""

from __future__ import annotations

from dataclasses import dataclass

from savedmodel._proto import function_pb2
from savedmodel.errors import InvalidArgumentError
from savedmodel.graph.graph import Graph
from savedmodel.graph.refs import TensorRef


@dataclass
class Function:
    name: str
    input_names: list[str]
    input_types: list[int]
    output_names: list[str]
    body: Graph
    ret: dict[str, TensorRef]
    control_ret: list[str]
    proto: function_pb2.FunctionDef

    @property
    def is_stateful(self) -> bool:
        return self.proto.signature.is_stateful


def function_from_proto(fdef: function_pb2.FunctionDef) -> Function:
    sig = fdef.signature
    where = f"function {sig.name!r}"
    body = Graph.from_nodes(fdef.node_def, where)
    inputs = [a.name for a in sig.input_arg]
    for name in inputs:
        if name in body.nodes:
            raise InvalidArgumentError(f"{where}: argument {name!r} clashes with a node name.")
    ret = {}
    for arg in sig.output_arg:
        if arg.name not in fdef.ret:
            raise InvalidArgumentError(f"{where}: output {arg.name!r} has no entry in 'ret'.")
        ret[arg.name] = TensorRef.from_string(fdef.ret[arg.name])
    control_ret = [fdef.control_ret[a] for a in sig.control_output if a in fdef.control_ret]
    return Function(sig.name, inputs, [a.type for a in sig.input_arg], [a.name for a in sig.output_arg],
                    body, ret, control_ret, fdef)


class FunctionLibrary:
    """All functions of a model by name; calls to library functions by op name are recognized too."""

    def __init__(self, library: function_pb2.FunctionDefLibrary | None = None) -> None:
        self.functions: dict[str, Function] = {}
        if library is not None:
            for fdef in library.function:
                self.add(function_from_proto(fdef))

    def add(self, function: Function) -> None:
        if function.name in self.functions:
            raise InvalidArgumentError(f"Function library: duplicate function {function.name!r}.")
        self.functions[function.name] = function

    def __contains__(self, name: str) -> bool:
        return name in self.functions

    def __getitem__(self, name: str) -> Function:
        return self.functions[name]

    def callees(self, function: Function) -> set[str]:
        """Library functions called from ``function``: func attrs and nodes whose op is a function."""
        names = set()
        for node in function.body.nodes.values():
            if node.op in self.functions:
                names.add(node.op)
            for value in node.attrs.values():
                kind = value.WhichOneof("value")
                if kind == "func":
                    names.add(value.func.name)
                elif kind == "list":
                    names.update(f.name for f in value.list.func)
        return names & self.functions.keys()

    def check_acyclic(self) -> None:
        """Raises InvalidArgumentError naming a cycle of function calls, if any (iterative DFS)."""
        done: set[str] = set()
        for root in sorted(self.functions):
            if root in done:
                continue
            path: list[str] = [root]
            on_path = {root}
            stack = [iter(sorted(self.callees(self.functions[root])))]
            while stack:
                callee = next(stack[-1], None)
                if callee is None:
                    stack.pop()
                    done.add(path[-1])
                    on_path.discard(path.pop())
                    continue
                if callee in on_path:
                    cycle = path[path.index(callee):] + [callee]
                    raise InvalidArgumentError(
                        f"Function library has a call cycle: {' -> '.join(cycle)}. Recursive "
                        "functions cannot run.")
                if callee not in done:
                    path.append(callee)
                    on_path.add(callee)
                    stack.append(iter(sorted(self.callees(self.functions[callee]))))
