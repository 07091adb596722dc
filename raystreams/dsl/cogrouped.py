"""CogroupedKStream: several grouped streams folded into one aggregate (Kafka's cogroup).

Each grouped stream gets its own ``COGROUPKSTREAM-AGGREGATE-`` processor; all of them share
one store, and a ``COGROUPKSTREAM-MERGE-`` pass-through joins their outputs into one KTable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.graph import GraphNode, ProcessorGraphNode
from raystreams.dsl.kstream import KStream, _check_fn, _named
from raystreams.dsl.ktable import KTable, StoreProcessorGraphNode
from raystreams.dsl.materialize import MaterializedInternal, kv_store_builder
from raystreams.dsl.params import Materialized, Named
from raystreams.errors import TopologyException
from raystreams.processor import aggregate as ag
from raystreams.processor.ktable import KTablePassThroughSupplier
from raystreams.topology.topology import Topology

if TYPE_CHECKING:
    from raystreams.dsl.builder import StreamsBuilder
    from raystreams.dsl.grouped import KGroupedStream

AGGREGATE_NAME = "COGROUPKSTREAM-AGGREGATE-"
MERGE_NAME = "COGROUPKSTREAM-MERGE-"


def suffix_or_generate(builder: StreamsBuilder, name: str | None, suffix: str, prefix: str) -> str:
    """Kafka's NamedInternal.suffixWithOrElseGet: the index is burnt either way."""
    generated = builder.new_processor_name(prefix)
    return name + suffix if name is not None else generated


class _CogroupMergeNode(ProcessorGraphNode):
    """The merge processor; also records that the cogrouped streams must be co-partitioned."""

    copartition_sources: list[str] = []

    def write(self, topology: Topology) -> None:
        super().write(topology)
        if len(self.copartition_sources) > 1:
            topology.copartition(self.copartition_sources)


class CogroupedKStream:
    """Grouped streams with their aggregators, in the order they were added."""

    def __init__(self, builder: StreamsBuilder) -> None:
        self.builder = builder
        self.group_patterns: list[tuple[KGroupedStream, Callable[[Any, Any, Any], Any]]] = []
        self._parent_nodes: dict[int, GraphNode] = {}

    def cogroup(self, grouped_stream: KGroupedStream,
                aggregator: Callable[[Any, Any, Any], Any]) -> CogroupedKStream:
        """Add ``grouped_stream``, folded in with ``aggregator(key, value, aggregate)``."""
        from raystreams.dsl.grouped import KGroupedStream

        if not isinstance(grouped_stream, KGroupedStream):
            raise TopologyException(f"cogroup() takes a KGroupedStream, got {grouped_stream!r}")
        _check_fn(aggregator, "cogroup()'s aggregator")
        for i, (existing, _) in enumerate(self.group_patterns):
            if existing is grouped_stream:  # a map in Kafka: the later aggregator wins
                self.group_patterns[i] = (grouped_stream, aggregator)
                return self
        self.group_patterns.append((grouped_stream, aggregator))
        return self

    def aggregate(self, initializer: Callable[[], Any], named: Named | str | None = None,
                  materialized: Materialized | None = None) -> KTable:
        """The cogrouped aggregate: ``initializer()`` then each stream's aggregator."""
        _check_fn(initializer, "aggregate()'s initializer")
        if isinstance(named, Materialized) and materialized is None:
            named, materialized = None, named
        if materialized is not None and not isinstance(materialized, Materialized):
            raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
        mi = MaterializedInternal(materialized or Materialized(), self.builder, AGGREGATE_NAME)
        store_builder = kv_store_builder(mi)

        def make(aggregator: Callable[[Any, Any, Any], Any]) -> Any:
            return ag.KStreamAggregateSupplier(mi.store_name, initializer, aggregator)

        return self.build(make, store_builder, _named(named), mi.queryable_store_name,
                          mi.key_serde, mi.value_serde)

    def windowed_by(self, windows: Any) -> Any:
        """Window the cogroup (time, sliding or session windows)."""
        from raystreams.dsl.windowed import cogrouped_windowed_by

        return cogrouped_windowed_by(self, windows)

    # ------------------------------------------------------------ shared with windowed cogroups
    def process_repartitions(self, store_name: str) -> list[GraphNode]:
        """Kafka's processRepartitions: a repartition per stream that needs one; parent nodes."""
        parents = []
        for grouped, _ in self.group_patterns:
            if grouped.repartition_required:
                prefix = grouped.grouped.name if grouped.grouped.name is not None else store_name
                node = KStream._repartition_node(grouped, prefix, grouped.key_serde,  # type: ignore[arg-type]
                                                 grouped.value_serde)
                if id(grouped) not in self._parent_nodes:
                    self.builder.add_graph_node(grouped.graph_node, node)
                    self._parent_nodes[id(grouped)] = node
            else:
                self._parent_nodes[id(grouped)] = grouped.graph_node
            parents.append(self._parent_nodes[id(grouped)])
        return parents

    def build(self, make_supplier: Callable[[Callable[..., Any]], Any], store_builder: Any,
              named: str | None, queryable_store_name: str | None, key_serde: Any,
              value_serde: Any, node_factory: Callable[[str, Any], GraphNode] | None = None
              ) -> KTable:
        """Add one aggregate processor per stream (sharing ``store_builder``) and the merge.

        ``make_supplier(aggregator)`` returns a stream's processor supplier; ``node_factory``
        makes its graph node (default: a processor node that adds/connects the store).
        """
        if not self.group_patterns:
            raise TopologyException("cogroup() needs at least one grouped stream")
        parents = self.process_repartitions(store_builder.name)
        processors: list[GraphNode] = []
        suppliers = []
        for i, ((_, aggregator), parent) in enumerate(zip(self.group_patterns, parents, strict=True)):
            supplier = make_supplier(aggregator)
            suppliers.append(supplier)
            name = suffix_or_generate(self.builder, named, f"-cogroup-agg-{i}", AGGREGATE_NAME)
            if node_factory is not None:
                node = node_factory(name, supplier)
            else:
                node = StoreProcessorGraphNode(name, supplier)
                node.store_builders.append(store_builder)
            processors.append(node)
            self.builder.add_graph_node(parent, node)
        merge_name = suffix_or_generate(self.builder, named, "-cogroup-merge", MERGE_NAME)
        pass_through = KTablePassThroughSupplier(suppliers, store_builder.name)
        merge = _CogroupMergeNode(merge_name, pass_through)
        merge.merge_node = True
        # Kafka's ensureCopartitionWith: the grouped streams' own source nodes (even when a
        # stream was repartitioned on the way)
        sources: set[str] = set()
        for grouped, _ in self.group_patterns:
            sources |= grouped.source_nodes
        merge.copartition_sources = sorted(sources)
        self.builder.add_graph_node(processors, merge)
        return KTable(merge_name, key_serde, value_serde, {merge_name}, queryable_store_name,
                      pass_through, merge, self.builder)
