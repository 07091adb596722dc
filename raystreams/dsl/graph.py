"""The DSL's graph: one node per operation, written into a Topology at ``build()``.

As in Kafka Streams (``kstream/internals/graph``), DSL methods only add graph nodes; the
Topology is filled afterwards, in creation order, so that later operations can still change
earlier nodes (a KTable source materialized because a join needs it, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raystreams.processor.stateless import FilterProcessor
from raystreams.topology.topology import Topology


class GraphNode:
    """One DSL operation. ``write`` adds its nodes to the Topology."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.parents: list[GraphNode] = []
        self.children: list[GraphNode] = []
        self.build_priority = -1
        self.written = False
        self.key_changing = False
        self.value_changing = False
        self.merge_node = False
        self.labels: set[str] = set()

    def parent_names(self) -> tuple[str, ...]:
        return tuple(p.output_name() for p in self.parents)

    def output_name(self) -> str:
        """The topology node that children connect to (a repartition's source, say)."""
        return self.name

    def write(self, topology: Topology) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, priority={self.build_priority})"


class RootNode(GraphNode):
    def __init__(self) -> None:
        super().__init__("ROOT")
        self.written = True

    def write(self, topology: Topology) -> None:
        pass


class SourceGraphNode(GraphNode):
    """``builder.stream(...)``: a source node over topics or a pattern."""

    def __init__(self, name: str, topics: list[str], consumed: Any, pattern: Any = None) -> None:
        super().__init__(name)
        self.topics = topics
        self.consumed = consumed
        self.pattern = pattern

    def write(self, topology: Topology) -> None:
        c = self.consumed
        topology.add_source(self.name, *self.topics, key_serde=c.key_serde,
                            value_serde=c.value_serde, timestamp_extractor=c.timestamp_extractor,
                            offset_reset=c.offset_reset, pattern=self.pattern)


class ProcessorGraphNode(GraphNode):
    """A processor; ``stores`` are store names it is connected to."""

    def __init__(self, name: str, supplier: Callable[[], Any], *, stores: list[str] | None = None,
                 fixed_key: bool = False, fusable: bool = False) -> None:
        super().__init__(name)
        self.supplier = supplier
        self.stores = list(stores or [])
        self.fixed_key = fixed_key
        self.fusable = fusable
        self.store_builders: list[Any] = []  # stores this node adds to the topology itself

    def write(self, topology: Topology) -> None:
        topology.add_processor(self.name, self.supplier, *self.parent_names(),
                               fixed_key=self.fixed_key, fusable=self.fusable)
        for builder in self.store_builders:
            if builder.name not in topology.stores:
                topology.add_state_store(builder, self.name)
            else:
                topology.connect_processor_and_state_stores(self.name, builder.name)
        if self.stores:
            topology.connect_processor_and_state_stores(self.name, *self.stores)


class StateStoreGraphNode(GraphNode):
    """``builder.add_state_store(store_builder)``: a store not yet connected to a processor."""

    def __init__(self, builder: Any) -> None:
        super().__init__(builder.name)
        self.store_builder = builder

    def write(self, topology: Topology) -> None:
        topology.add_state_store(self.store_builder)


class SinkGraphNode(GraphNode):
    """``KStream.to(...)``."""

    def __init__(self, name: str, topic: Any, produced: Any) -> None:
        super().__init__(name)
        self.topic = topic
        self.produced = produced

    def write(self, topology: Topology) -> None:
        p = self.produced
        topology.add_sink(self.name, self.topic, *self.parent_names(), key_serde=p.key_serde,
                          value_serde=p.value_serde, partitioner=p.partitioner)


class RepartitionGraphNode(GraphNode):
    """A repartition through an internal topic: filter → sink → topic → source.

    The filter drops null keys, unless a left or outer join downstream wants them
    (``drop_null_keys`` is decided at build time, Kafka's rewriteRepartitionNodes).
    """

    def __init__(self, name: str, *, topic: str, filter_name: str, sink_name: str,
                 source_name: str, key_serde: Any, value_serde: Any,
                 partitioner: Any = None, num_partitions: int | None = None) -> None:
        super().__init__(name)
        self.topic = topic
        self.filter_name = filter_name
        self.sink_name = sink_name
        self.source_name = source_name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.partitioner = partitioner
        self.num_partitions = num_partitions
        self.drop_null_keys = False

    def output_name(self) -> str:
        return self.source_name

    def write(self, topology: Topology) -> None:
        topology.add_internal_topic(self.topic, "repartition", self.num_partitions)
        predicate = _key_not_none if self.drop_null_keys else _always
        topology.add_processor(self.filter_name, _FilterSupplier(predicate), *self.parent_names(),
                               fusable=True)
        topology.add_sink(self.sink_name, self.topic, self.filter_name, key_serde=self.key_serde,
                          value_serde=self.value_serde, partitioner=self.partitioner)
        topology.add_source(self.source_name, self.topic, key_serde=self.key_serde,
                            value_serde=self.value_serde)


def _key_not_none(key: Any, value: Any) -> bool:
    return key is not None


def _always(key: Any, value: Any) -> bool:
    return True


NULL_KEY_RELAXED_JOIN = "NULL_KEY_RELAXED_JOIN"


def mark_null_key_filters(root: GraphNode) -> None:
    """Repartitions drop null keys unless a null-key-relaxed join lies downstream.

    Kafka Streams' NodesWithRelaxedNullKeyJoinDownstream + rewriteRepartitionNodes.
    """
    visited: set[int] = set()
    relaxed: set[int] = set()
    repartitions: list[RepartitionGraphNode] = []
    stack: list[tuple[GraphNode, int]] = [(root, 0)]
    while stack:  # iterative post-order, so deep graphs do not hit the recursion limit
        node, index = stack.pop()
        if index == 0 and id(node) in visited:
            continue
        if index < len(node.children):
            stack.append((node, index + 1))
            child = node.children[index]
            if id(child) not in visited:
                stack.append((child, 0))
            continue
        for child in node.children:
            if NULL_KEY_RELAXED_JOIN in child.labels or id(child) in relaxed:
                relaxed.add(id(node))
        visited.add(id(node))
        if isinstance(node, RepartitionGraphNode):
            repartitions.append(node)
    for node in repartitions:
        node.drop_null_keys = id(node) not in relaxed


class _FilterSupplier:
    __slots__ = ("predicate",)

    def __init__(self, predicate: Callable[[Any, Any], bool]) -> None:
        self.predicate = predicate

    def __call__(self) -> FilterProcessor:
        return FilterProcessor(self.predicate)
