"""The graph IR: nodes with parsed input edges, imported from a GraphDef or a FunctionDef body."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from savedmodel._proto import attr_value_pb2, graph_pb2, node_def_pb2
from savedmodel.errors import InvalidArgumentError
from savedmodel.graph.refs import TensorRef


@dataclass
class Node:
    """One operation: name, op type, data inputs, control inputs and raw attributes."""

    name: str
    op: str
    inputs: list[TensorRef]
    control_inputs: list[str]
    attrs: dict[str, attr_value_pb2.AttrValue]
    device: str = ""

    @classmethod
    def from_proto(cls, node: node_def_pb2.NodeDef) -> Node:
        refs = [TensorRef.from_string(i) for i in node.input]
        return cls(node.name, node.op, [r for r in refs if not r.is_control],
                   [r.node for r in refs if r.is_control], dict(node.attr), node.device)


@dataclass
class Graph:
    """Nodes by name, in file order."""

    nodes: dict[str, Node] = field(default_factory=dict)

    @classmethod
    def from_nodes(cls, nodes: Iterable[node_def_pb2.NodeDef], where: str = "graph") -> Graph:
        graph = cls()
        for proto in nodes:
            if not proto.name:
                raise InvalidArgumentError(f"{where}: a node has an empty name (op {proto.op!r}).")
            if proto.name in graph.nodes:
                raise InvalidArgumentError(f"{where}: duplicate node name {proto.name!r}.")
            graph.nodes[proto.name] = Node.from_proto(proto)
        return graph

    @classmethod
    def from_graph_def(cls, graph_def: graph_pb2.GraphDef) -> Graph:
        return cls.from_nodes(graph_def.node)

    def __contains__(self, name: str) -> bool:
        return name in self.nodes

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    def ops(self) -> set[str]:
        return {n.op for n in self.nodes.values()}
