"""StreamsBuilder: the entry point of the DSL (Kafka Streams' StreamsBuilder)."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.graph import (
    GraphNode,
    RootNode,
    SourceGraphNode,
    StateStoreGraphNode,
    mark_null_key_filters,
)
from raystreams.dsl.params import Consumed, Materialized
from raystreams.errors import TopologyException
from raystreams.topology.topology import Topology

if TYPE_CHECKING:
    from raystreams.dsl.kstream import KStream
    from raystreams.dsl.ktable import GlobalKTable, KTable

SOURCE_NAME = "KSTREAM-SOURCE-"


class StreamsBuilder:
    """Builds a Topology from DSL operations; ``build()`` returns it.

    Example:
        >>> from raystreams import StreamsBuilder
        >>> builder = StreamsBuilder()
        >>> builder.stream("input").filter(lambda k, v: len(v) > 5).to("output")
        >>> print(builder.build().describe())  # doctest: +NORMALIZE_WHITESPACE
        Topologies:
           Sub-topology: 0
            Source: KSTREAM-SOURCE-0000000000 (topics: [input])
              --> KSTREAM-FILTER-0000000001
            Processor: KSTREAM-FILTER-0000000001 (stores: [])
              --> KSTREAM-SINK-0000000002
              <-- KSTREAM-SOURCE-0000000000
            Sink: KSTREAM-SINK-0000000002 (topic: output)
              <-- KSTREAM-FILTER-0000000001
        <BLANKLINE>
    """

    def __init__(self, config: Any = None) -> None:
        self._index = 0
        self._priority = 0
        self.root = RootNode()
        self.config = config
        self._built: Topology | None = None
        self._topics_used: set[str] = set()

    # ---------------------------------------------------------------- naming
    def new_processor_name(self, prefix: str) -> str:
        """``prefix`` plus the next 10-digit index, as Kafka Streams names nodes."""
        name = f"{prefix}{self._index:010d}"
        self._index += 1
        return name

    def new_store_name(self, prefix: str) -> str:
        """``prefix`` + ``STATE-STORE-`` + the next index (``KSTREAM-AGGREGATE-STATE-STORE-...``)."""
        name = f"{prefix}STATE-STORE-{self._index:010d}"
        self._index += 1
        return name

    def name_or_generate(self, name: str | None, prefix: str) -> str:
        """A user's name, else a generated one; the index is used up either way (Kafka's rule)."""
        generated = self.new_processor_name(prefix)
        return name if name is not None else generated

    def add_graph_node(self, parents: GraphNode | Iterable[GraphNode], child: GraphNode) -> None:
        if self._built is not None:
            raise TopologyException("this StreamsBuilder was already built; create a new one")
        parent_list = [parents] if isinstance(parents, GraphNode) else list(parents)
        for parent in parent_list:
            if child not in parent.children:  # a node reached twice (shared repartition) is one edge
                parent.children.append(child)
            if parent not in child.parents:
                child.parents.append(parent)
        child.build_priority = self._priority
        self._priority += 1

    # ---------------------------------------------------------------- sources
    def stream(self, topics: str | Iterable[str] | re.Pattern[str],
               consumed: Consumed | None = None) -> KStream:
        """A KStream over one topic, several topics, or every topic matching a pattern."""
        from raystreams.dsl.kstream import KStream

        consumed = consumed or Consumed()
        pattern = None
        if isinstance(topics, re.Pattern):
            pattern, topic_list = topics, []
        elif isinstance(topics, str):
            topic_list = [topics]
        else:
            topic_list = list(topics)
            if not topic_list:
                raise TopologyException("stream() needs at least one topic")
        for topic in topic_list:
            if not isinstance(topic, str) or not topic:
                raise TopologyException(f"topic names must be non-empty strings, got {topic!r}")
            if topic in self._topics_used:
                raise TopologyException(f"Topic {topic} has already been registered by another "
                                        f"source.")
            self._topics_used.add(topic)
        name = self.name_or_generate(consumed.name, SOURCE_NAME)
        node = SourceGraphNode(name, topic_list, consumed, pattern)
        self.add_graph_node(self.root, node)
        return KStream(name, consumed.key_serde, consumed.value_serde, {name}, False, node, self)

    def table(self, topic: str, consumed: Consumed | None = None,
              materialized: Materialized | None = None) -> KTable:
        """A KTable over ``topic``: each record an update of its key, None a delete."""
        from raystreams.dsl.ktable import table

        return table(self, topic, consumed, materialized)

    def global_table(self, topic: str, consumed: Consumed | None = None,
                     materialized: Materialized | None = None) -> GlobalKTable:
        """A GlobalKTable: ``topic`` replicated in full into a global store on every instance."""
        from raystreams.dsl.ktable import global_table

        return global_table(self, topic, consumed, materialized)

    def add_global_store(self, store_builder: Any, topic: str, consumed: Consumed | None,
                         state_update_supplier: Any) -> StreamsBuilder:
        """A global store kept up to date from ``topic`` by ``state_update_supplier()``'s processor."""
        from raystreams.dsl.ktable import add_global_store

        add_global_store(self, store_builder, topic, consumed, state_update_supplier)
        return self

    def add_state_store(self, store_builder: Any) -> StreamsBuilder:
        """Register a store that ``process(..., store_name)`` calls can then use."""
        self.add_graph_node(self.root, StateStoreGraphNode(store_builder))
        return self

    # ---------------------------------------------------------------- build
    def build(self, config: Any = None) -> Topology:
        """Write every DSL node into a new Topology, in creation order.

        ``config`` (as for Kafka's ``build(props)``) decides build-time choices such as
        ``topology.optimization``; without it the builder's own config is used.
        """
        if self._built is not None:
            return self._built
        if config is not None:
            self.config = config
        mark_null_key_filters(self.root)
        topology = Topology()
        topology.build_config = self.config
        heap: list[tuple[int, int, GraphNode]] = [(self.root.build_priority, 0, self.root)]
        tie = 1
        while heap:
            _, _, node = heapq.heappop(heap)
            if not node.written and all(p.written for p in node.parents):
                node.write(topology)
                node.written = True
            for child in node.children:
                heapq.heappush(heap, (child.build_priority, tie, child))
                tie += 1
        self._built = topology
        return topology
