"""TopologyDescription: the structure of a Topology, printed exactly as Kafka Streams prints it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from raystreams.topology.java_order import JavaTreeSet, java_hash_order, java_hash_set_copy_order
from raystreams.topology.nodes import ProcessorSpec, SinkSpec, SourceSpec

if TYPE_CHECKING:
    from raystreams.topology.topology import Topology


class Node:
    """A described node; ``size`` (paths below it) orders nodes the way Kafka does."""

    kind = "Node"

    def __init__(self, name: str) -> None:
        self.name = name
        self.size = 1
        self._predecessors: JavaTreeSet[Node] = JavaTreeSet(_compare_nodes)
        self._successors: JavaTreeSet[Node] = JavaTreeSet(_compare_nodes)

    @property
    def predecessors(self) -> list[Node]:
        return list(self._predecessors)

    @property
    def successors(self) -> list[Node]:
        return list(self._successors)

    def _names(self, nodes: JavaTreeSet[Node]) -> str:
        names = [n.name for n in nodes]
        return ", ".join(names) if names else "none"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _compare_nodes(a: Node, b: Node) -> int:
    if a is b:
        return 0
    if a.size != b.size:
        return b.size - a.size
    return (a.name > b.name) - (a.name < b.name)


class Source(Node):
    kind = "Source"

    def __init__(self, name: str, topics: list[str], pattern: str | None = None) -> None:
        super().__init__(name)
        self.topics = topics
        self.topic_pattern = pattern

    def __str__(self) -> str:
        topics = self.topic_pattern if self.topic_pattern is not None else f"[{', '.join(self.topics)}]"
        return f"Source: {self.name} (topics: {topics})\n      --> {self._names(self._successors)}"


class Processor(Node):
    kind = "Processor"

    def __init__(self, name: str, stores: list[str]) -> None:
        super().__init__(name)
        self.stores = stores

    def __str__(self) -> str:
        return (f"Processor: {self.name} (stores: [{', '.join(self.stores)}])\n      --> "
                f"{self._names(self._successors)}\n      <-- {self._names(self._predecessors)}")


class Sink(Node):
    kind = "Sink"

    def __init__(self, name: str, topic: str | None, extractor: object = None) -> None:
        super().__init__(name)
        self.topic = topic
        self.topic_extractor = extractor

    def __str__(self) -> str:
        if self.topic is not None:
            return f"Sink: {self.name} (topic: {self.topic})\n      <-- {self._names(self._predecessors)}"
        return (f"Sink: {self.name} (extractor class: {self.topic_extractor})\n      <-- "
                f"{self._names(self._predecessors)}")


@dataclass
class SubtopologyDescription:
    id: int
    nodes: list[Node]

    def __str__(self) -> str:
        return f"Sub-topology: {self.id}\n" + "".join(f"    {n}\n" for n in self.nodes) + "\n"


@dataclass
class GlobalStoreDescription:
    id: int
    source: Source
    processor: Processor

    def __str__(self) -> str:
        return (f"Sub-topology: {self.id} for global store (will not generate tasks)\n"
                f"    {self.source}\n    {self.processor}\n")


@dataclass
class TopologyDescription:
    """What ``Topology.describe()`` returns; ``str()`` is Kafka Streams' text, byte for byte."""

    subtopologies: list[SubtopologyDescription] = field(default_factory=list)
    global_stores: list[GlobalStoreDescription] = field(default_factory=list)

    def __str__(self) -> str:
        parts = ["Topologies:\n "]
        subs = sorted(self.subtopologies, key=lambda s: s.id)
        globs = sorted(self.global_stores, key=lambda g: g.id)
        expected = 0
        while subs and globs:
            if subs[0].id == expected:
                parts.append("  " + str(subs.pop(0)))
            else:
                parts.append("  " + str(globs.pop(0)))
            expected += 1
        parts.extend("  " + str(s) for s in subs)
        parts.extend("  " + str(g) for g in globs)
        return "".join(parts)


def _describe_node(topology: Topology, name: str) -> Node:
    spec = topology.nodes[name]
    if isinstance(spec, SourceSpec):
        if spec.pattern is not None:
            return Source(name, [], spec.pattern.pattern)
        return Source(name, java_hash_set_copy_order(spec.topics))
    if isinstance(spec, SinkSpec):
        return Sink(name, spec.topic, spec.topic_extractor)
    assert isinstance(spec, ProcessorSpec)
    return Processor(name, java_hash_order(spec.stores))


def _add_size(node: Node, delta: int) -> None:
    node.size += delta
    for pred in node._predecessors:
        _add_size(pred, delta)


def describe_topology(topology: Topology) -> TopologyDescription:
    description = TopologyDescription()
    for gid, names in topology.node_groups().items():
        # Kafka keeps each group in a HashSet and connects nodes in that set's order.
        ordered = java_hash_order(names)
        nodes = {n: _describe_node(topology, n) for n in ordered}
        global_source = next((n for n in ordered if topology.is_global_source(n)), None)
        if global_source is not None:
            proc_name = next(n for n in ordered if n != global_source)
            spec = topology.nodes[proc_name]
            assert isinstance(spec, ProcessorSpec)
            src_spec = topology.nodes[global_source]
            assert isinstance(src_spec, SourceSpec)
            source = Source(global_source, [src_spec.topics[0]])
            proc = Processor(proc_name, [spec.stores[0]])
            source._successors.add(proc)
            proc._predecessors.add(source)
            description.global_stores.append(GlobalStoreDescription(gid, source, proc))
            continue
        for name in ordered:
            node = nodes[name]
            for pred_name in topology.nodes[name].predecessors:
                pred = nodes[pred_name]
                node._predecessors.add(pred)
                pred._successors.add(node)
                _add_size(pred, node.size)
        final: JavaTreeSet[Node] = JavaTreeSet(_compare_nodes)
        for node in nodes.values():
            final.add(node)
        description.subtopologies.append(SubtopologyDescription(gid, list(final)))
    return description
