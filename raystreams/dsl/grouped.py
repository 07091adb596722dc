"""Grouped streams and grouped tables: what aggregations start from (Kafka's KGroupedStream).

``KStream.group_by``/``group_by_key`` give a ``KGroupedStream``; ``KTable.group_by`` gives a
``KGroupedTable``. Aggregating a grouped stream that needs repartitioning first goes through
``<application.id>-<name>-repartition`` (``name`` = the Grouped name, else the store name),
exactly where and as Kafka Streams does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.graph import GraphNode
from raystreams.dsl.kstream import (
    REPARTITION_TOPIC_SUFFIX,
    SINK_NAME,
    SOURCE_NAME,
    KStream,
    _check_fn,
    _named,
)
from raystreams.dsl.ktable import KTable, StoreProcessorGraphNode
from raystreams.dsl.materialize import MaterializedInternal, kv_store_builder
from raystreams.dsl.params import Grouped, Materialized, Named
from raystreams.errors import TopologyException
from raystreams.processor import aggregate as ag
from raystreams.processor.change import ChangeSerde
from raystreams.serde import Serdes
from raystreams.topology.topology import Topology

if TYPE_CHECKING:
    from raystreams.dsl.builder import StreamsBuilder
    from raystreams.dsl.cogrouped import CogroupedKStream

KSTREAM_AGGREGATE_NAME = "KSTREAM-AGGREGATE-"
KSTREAM_REDUCE_NAME = "KSTREAM-REDUCE-"
KTABLE_AGGREGATE_NAME = "KTABLE-AGGREGATE-"
KTABLE_REDUCE_NAME = "KTABLE-REDUCE-"


def _materialized(materialized: Any) -> Materialized | None:
    if materialized is not None and not isinstance(materialized, Materialized):
        raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
    return materialized


def _named_and_materialized(named: Any, materialized: Any) -> tuple[str | None, Materialized | None]:
    if isinstance(named, Materialized) and materialized is None:
        named, materialized = None, named
    return _named(named), _materialized(materialized)


def add_child_once(builder: StreamsBuilder, parent: GraphNode, child: GraphNode) -> None:
    """``builder.add_graph_node`` for a node that may already be the parent's child.

    Kafka keeps a node's children in a set, so re-adding a shared repartition node only
    moves its build priority on; a second edge here would run every record twice.
    """
    if child in parent.children:
        child.build_priority = builder._priority
        builder._priority += 1
    else:
        builder.add_graph_node(parent, child)


class KGroupedStream:
    """A stream grouped by key, ready for ``count``/``reduce``/``aggregate``/``windowed_by``."""

    def __init__(self, builder: StreamsBuilder, name: str, key_serde: Any, value_serde: Any,
                 source_nodes: set[str], repartition_required: bool, graph_node: GraphNode,
                 grouped: Grouped) -> None:
        self.builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.source_nodes = set(source_nodes)
        self.repartition_required = repartition_required
        self.graph_node = graph_node
        self.grouped = grouped
        self._repartition_node: GraphNode | None = None

    @property
    def user_repartition_name(self) -> str | None:
        return self.grouped.name

    # ------------------------------------------------------------ the shared hook
    def repartition_for(self, store_name: str) -> tuple[GraphNode, str]:
        """Add (or reuse) the repartition node an aggregation needs; its graph node and source.

        Kafka's GroupedStreamAggregateBuilder: the topic is ``<Grouped name or store
        name>-repartition``; a node made for a user-named topic is shared by later calls.
        """
        prefix = self.grouped.name if self.grouped.name is not None else store_name
        node = KStream._repartition_node(self, prefix, self.key_serde, self.value_serde)  # type: ignore[arg-type]
        if self._repartition_node is None or self.grouped.name is None:
            self._repartition_node = node
        add_child_once(self.builder, self.graph_node, self._repartition_node)
        return self._repartition_node, self._repartition_node.output_name()

    def build_aggregate(self, function_name: str, store_builder: Any, processor_supplier: Any,
                        queryable_store_name: str | None, key_serde: Any, value_serde: Any,
                        *, graph_node: GraphNode | None = None) -> KTable:
        """Add an aggregation processor owning ``store_builder``; returns its KTable.

        Inserts the repartition first when the stream needs it. ``graph_node`` lets a caller
        pass its own node (a windowed aggregation's); by default a processor node named
        ``function_name`` that adds and connects ``store_builder``.
        """
        store_name = store_builder.name
        if queryable_store_name is not None and queryable_store_name != store_name:
            raise TopologyException(f"queryable store name should be None or equal to the store "
                                    f"name, got store {store_name!r} and {queryable_store_name!r}")
        parent, source_nodes = self.graph_node, self.source_nodes
        if self.repartition_required:
            parent, source = self.repartition_for(store_name)
            source_nodes = {source}
        if graph_node is None:
            graph_node = StoreProcessorGraphNode(function_name, processor_supplier)
            graph_node.store_builders.append(store_builder)
        self.builder.add_graph_node(parent, graph_node)
        return KTable(function_name, key_serde, value_serde, source_nodes, queryable_store_name,
                      processor_supplier, graph_node, self.builder)

    # ------------------------------------------------------------ aggregations
    def count(self, named: Named | str | None = None,
              materialized: Materialized | None = None) -> KTable:
        """Count records per key (None keys and values are skipped) into a Long KTable."""
        given, materialized = _named_and_materialized(named, materialized)
        if materialized is None:
            materialized = Materialized.with_(self.key_serde, Serdes.Long())
        elif MaterializedInternal(materialized).store_name is None:
            self.builder.new_store_name(KSTREAM_AGGREGATE_NAME)  # Kafka burns one more here
        mi = MaterializedInternal(materialized, self.builder, KSTREAM_AGGREGATE_NAME)
        if mi.key_serde is None:
            mi.key_serde = self.key_serde
        if mi.value_serde is None:
            mi.value_serde = Serdes.Long()
        name = self.builder.name_or_generate(given, KSTREAM_AGGREGATE_NAME)
        supplier = ag.KStreamAggregateSupplier(mi.store_name, ag._zero, ag.count_aggregator)
        return self.build_aggregate(name, kv_store_builder(mi), supplier,
                                    mi.queryable_store_name, mi.key_serde, mi.value_serde)

    def reduce(self, reducer: Callable[[Any, Any], Any], named: Named | str | None = None,
               materialized: Materialized | None = None) -> KTable:
        """Combine values per key with ``reducer(aggregate, value)``."""
        _check_fn(reducer, "reduce()'s reducer")
        given, materialized = _named_and_materialized(named, materialized)
        if materialized is None:
            materialized = Materialized.with_(self.key_serde, self.value_serde)
        mi = MaterializedInternal(materialized, self.builder, KSTREAM_REDUCE_NAME)
        if mi.key_serde is None:
            mi.key_serde = self.key_serde
        if mi.value_serde is None:
            mi.value_serde = self.value_serde
        name = self.builder.name_or_generate(given, KSTREAM_REDUCE_NAME)
        supplier = ag.KStreamReduceSupplier(mi.store_name, reducer)
        return self.build_aggregate(name, kv_store_builder(mi), supplier,
                                    mi.queryable_store_name, mi.key_serde, mi.value_serde)

    def aggregate(self, initializer: Callable[[], Any],
                  aggregator: Callable[[Any, Any, Any], Any], named: Named | str | None = None,
                  materialized: Materialized | None = None) -> KTable:
        """Fold values per key: ``initializer()`` then ``aggregator(key, value, aggregate)``."""
        _check_fn(initializer, "aggregate()'s initializer")
        _check_fn(aggregator, "aggregate()'s aggregator")
        given, materialized = _named_and_materialized(named, materialized)
        if materialized is None:
            materialized = Materialized.with_(self.key_serde, None)
        mi = MaterializedInternal(materialized, self.builder, KSTREAM_AGGREGATE_NAME)
        if mi.key_serde is None:
            mi.key_serde = self.key_serde
        name = self.builder.name_or_generate(given, KSTREAM_AGGREGATE_NAME)
        supplier = ag.KStreamAggregateSupplier(mi.store_name, initializer, aggregator)
        return self.build_aggregate(name, kv_store_builder(mi), supplier,
                                    mi.queryable_store_name, mi.key_serde, mi.value_serde)

    def cogroup(self, aggregator: Callable[[Any, Any, Any], Any]) -> CogroupedKStream:
        """Start a cogroup: this stream's records fold in with ``aggregator(key, value, agg)``."""
        from raystreams.dsl.cogrouped import CogroupedKStream

        _check_fn(aggregator, "cogroup()'s aggregator")
        return CogroupedKStream(self.builder).cogroup(self, aggregator)

    def windowed_by(self, windows: Any) -> Any:
        """Window the grouped stream (time, sliding or session windows)."""
        from raystreams.dsl.windowed import windowed_by

        return windowed_by(self, windows)

    def __repr__(self) -> str:
        return f"KGroupedStream({self.name!r}, repartition={self.repartition_required})"


# ------------------------------------------------------------------------------------------
# grouped tables


class TableRepartitionGraphNode(GraphNode):
    """A grouped table's repartition: sink → topic → source, values as ``Change`` (no filter)."""

    def __init__(self, name: str, *, topic: str, sink_name: str, source_name: str,
                 key_serde: Any, change_serde: ChangeSerde) -> None:
        super().__init__(name)
        self.topic = topic
        self.sink_name = sink_name
        self.source_name = source_name
        self.key_serde = key_serde
        self.change_serde = change_serde

    def output_name(self) -> str:
        return self.source_name

    def write(self, topology: Topology) -> None:
        topology.add_internal_topic(self.topic, "repartition", None)
        topology.add_sink(self.sink_name, self.topic, *self.parent_names(),
                          key_serde=self.key_serde, value_serde=self.change_serde)
        topology.add_source(self.source_name, self.topic, key_serde=self.key_serde,
                            value_serde=self.change_serde)


class KGroupedTable:
    """A table re-grouped by a new key, ready for ``count``/``reduce``/``aggregate``."""

    def __init__(self, builder: StreamsBuilder, name: str, source_nodes: set[str],
                 grouped: Grouped, graph_node: GraphNode, map_supplier: Any) -> None:
        self.builder = builder
        self.name = name
        self.key_serde = grouped.key_serde
        self.value_serde = grouped.value_serde
        self.source_nodes = set(source_nodes)
        self.grouped = grouped
        self.graph_node = graph_node
        self.change_serde = ChangeSerde(grouped.value_serde)
        map_supplier.change_serde = self.change_serde
        self._repartition_node: TableRepartitionGraphNode | None = None

    def _aggregate(self, supplier: Any, given: str | None, function_prefix: str,
                   mi: MaterializedInternal) -> KTable:
        gen_sink = self.builder.new_processor_name(SINK_NAME)
        gen_source = self.builder.new_processor_name(SOURCE_NAME)
        sink = given + "-sink" if given is not None else gen_sink
        source = given + "-source" if given is not None else gen_source
        func = self.builder.name_or_generate(given, function_prefix)
        prefix = self.grouped.name if self.grouped.name is not None else mi.store_name
        topic = prefix + REPARTITION_TOPIC_SUFFIX
        if self._repartition_node is None or self.grouped.name is None:
            self._repartition_node = TableRepartitionGraphNode(
                source, topic=topic, sink_name=sink, source_name=source,
                key_serde=self.key_serde, change_serde=self.change_serde)
        add_child_once(self.builder, self.graph_node, self._repartition_node)
        node = StoreProcessorGraphNode(func, supplier)
        node.store_builders.append(kv_store_builder(mi))
        self.builder.add_graph_node(self._repartition_node, node)
        return KTable(func, mi.key_serde, mi.value_serde, {self._repartition_node.source_name},
                      mi.queryable_store_name, supplier, node, self.builder)

    def _mi(self, materialized: Materialized | None, value_serde: Any) -> MaterializedInternal:
        if materialized is None:
            materialized = Materialized.with_(self.key_serde, value_serde)
        mi = MaterializedInternal(materialized, self.builder, KTABLE_AGGREGATE_NAME)
        if mi.key_serde is None:
            mi.key_serde = self.key_serde
        return mi

    def count(self, named: Named | str | None = None,
              materialized: Materialized | None = None) -> KTable:
        """Rows per new key; a row moving away counts down (Kafka's KGroupedTable.count)."""
        given, materialized = _named_and_materialized(named, materialized)
        mi = self._mi(materialized, Serdes.Long())
        if mi.value_serde is None:
            mi.value_serde = Serdes.Long()
        supplier = ag.KTableAggregateSupplier(mi.store_name, ag._zero, ag.count_aggregator,
                                              ag.count_subtractor, self.change_serde)
        return self._aggregate(supplier, given, KTABLE_AGGREGATE_NAME, mi)

    def reduce(self, adder: Callable[[Any, Any], Any], subtractor: Callable[[Any, Any], Any],
               named: Named | str | None = None,
               materialized: Materialized | None = None) -> KTable:
        """``adder(agg, new)`` for rows arriving, ``subtractor(agg, old)`` for rows leaving."""
        _check_fn(adder, "reduce()'s adder")
        _check_fn(subtractor, "reduce()'s subtractor")
        given, materialized = _named_and_materialized(named, materialized)
        mi = self._mi(materialized, self.value_serde)
        if mi.value_serde is None:
            mi.value_serde = self.value_serde
        supplier = ag.KTableReduceSupplier(mi.store_name, adder, subtractor, self.change_serde)
        return self._aggregate(supplier, given, KTABLE_REDUCE_NAME, mi)

    def aggregate(self, initializer: Callable[[], Any], adder: Callable[[Any, Any, Any], Any],
                  subtractor: Callable[[Any, Any, Any], Any], named: Named | str | None = None,
                  materialized: Materialized | None = None) -> KTable:
        """``adder(key, new, agg)`` for rows arriving, ``subtractor(key, old, agg)`` leaving."""
        _check_fn(initializer, "aggregate()'s initializer")
        _check_fn(adder, "aggregate()'s adder")
        _check_fn(subtractor, "aggregate()'s subtractor")
        given, materialized = _named_and_materialized(named, materialized)
        mi = self._mi(materialized, None)
        supplier = ag.KTableAggregateSupplier(mi.store_name, initializer, adder, subtractor,
                                              self.change_serde)
        return self._aggregate(supplier, given, KTABLE_AGGREGATE_NAME, mi)

    def __repr__(self) -> str:
        return f"KGroupedTable({self.name!r})"
