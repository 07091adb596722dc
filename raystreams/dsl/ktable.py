"""KTable and GlobalKTable: changelog streams seen as tables (Kafka Streams' KTable).

Every KTable carries a **KTable processor supplier** (see ``raystreams.processor.ktable``):
its ``view()`` is how joins read the table, its ``enable_send_old_values`` how aggregations
and joins ask for old values. Whether a table is materialized in a store is decided when the
topology is written, so that later operations (a join needing a value getter) can still
force it, as in Kafka Streams.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.config.keys import TOPOLOGY_OPTIMIZATION_CONFIG
from raystreams.dsl.graph import GraphNode, ProcessorGraphNode
from raystreams.dsl.kstream import AbstractStream, KStream, _check_fn, _named, _Supplier
from raystreams.dsl.materialize import (
    MaterializedInternal,
    changelog_topic_configs,
    kv_store_builder,
)
from raystreams.dsl.params import Consumed, Grouped, Materialized, Named
from raystreams.errors import TopologyException
from raystreams.processor import ktable as kp
from raystreams.topology.topology import Topology

try:  # the joins work adds this mixin; a KTable without it simply has no joins yet
    from raystreams.dsl.ktable_joins import KTableJoinsMixin
except ImportError:  # pragma: no cover - until dsl/ktable_joins.py exists
    class KTableJoinsMixin:  # type: ignore[no-redef]
        """Placeholder until ``raystreams.dsl.ktable_joins`` exists."""

if TYPE_CHECKING:
    from raystreams.dsl.builder import StreamsBuilder
    from raystreams.dsl.grouped import KGroupedTable

SOURCE_NAME = "KTABLE-SOURCE-"
FILTER_NAME = "KTABLE-FILTER-"
MAPVALUES_NAME = "KTABLE-MAPVALUES-"
TRANSFORMVALUES_NAME = "KTABLE-TRANSFORMVALUES-"
TOSTREAM_NAME = "KTABLE-TOSTREAM-"
SELECT_NAME = "KTABLE-SELECT-"
KSTREAM_SOURCE_NAME = "KSTREAM-SOURCE-"
TABLE_SOURCE_SUFFIX = "-source"


def register_changelog(topology: Topology, store_builder: Any) -> None:
    """Record ``<store>-changelog`` as an internal topic when the store is logged."""
    if getattr(store_builder, "logging_enabled", False):
        topology.add_internal_topic(f"{store_builder.name}-changelog", "changelog", None,
                                    changelog_topic_configs(store_builder))


def reuse_source_topics(config: Any) -> bool:
    """Whether ``topology.optimization`` lets a table reuse its source topic as changelog."""
    if config is None:
        return False
    getter = getattr(config, "get", None)
    try:
        value = getter(TOPOLOGY_OPTIMIZATION_CONFIG) if getter is not None else None
    except Exception:
        value = None
    if not value:
        return False
    options = {v.strip() for v in str(value).split(",")}
    return "all" in options or "reuse.ktable.source.topics" in options


class StoreProcessorGraphNode(ProcessorGraphNode):
    """A processor that adds its own stores; logged stores get their changelog topic."""

    def write(self, topology: Topology) -> None:
        super().write(topology)
        for builder in self.store_builders:
            register_changelog(topology, builder)


class TableSourceProcessorNode(GraphNode):
    """The KTable source processor (``table()`` or ``to_table()``), materialized if needed.

    With ``topic`` set it also writes the source node reading that topic (``table()``).
    """

    def __init__(self, name: str, supplier: kp.KTableSourceSupplier, mi: MaterializedInternal,
                 *, source_name: str | None = None, topic: str | None = None,
                 consumed: Consumed | None = None) -> None:
        super().__init__(name)
        self.supplier = supplier
        self.mi = mi
        self.source_name = source_name
        self.topic = topic
        self.consumed = consumed
        self.store_builder: Any = None

    def write(self, topology: Topology) -> None:
        if self.topic is not None:
            c = self.consumed or Consumed()
            topology.add_source(self.source_name, self.topic, key_serde=c.key_serde,
                                value_serde=c.value_serde,
                                timestamp_extractor=c.timestamp_extractor,
                                offset_reset=c.offset_reset)
            parents: tuple[str, ...] = (self.source_name,)
        else:
            parents = self.parent_names()
        topology.add_processor(self.name, self.supplier, *parents)
        if self.supplier.materialized:
            self.store_builder = kv_store_builder(self.mi, allow_versioned=True)
            topology.add_state_store(self.store_builder, self.name)
            if self.topic is not None and reuse_source_topics(topology.build_config):
                # topology.optimization=all: the source topic is the store's changelog
                self.store_builder.with_logging_disabled()
                topology.store_source_topics[self.store_builder.name] = self.topic
            else:
                register_changelog(topology, self.store_builder)


class GlobalTableSourceNode(GraphNode):
    """``global_table()``: a global store fed by a KTable source processor."""

    def __init__(self, name: str, source_name: str, topic: str, consumed: Consumed,
                 supplier: Any, store_builder: Any) -> None:
        super().__init__(name)
        self.source_name = source_name
        self.topic = topic
        self.consumed = consumed
        self.supplier = supplier
        self.store_builder = store_builder

    def write(self, topology: Topology) -> None:
        c = self.consumed
        topology.add_global_store(self.store_builder, self.source_name, self.topic, self.name,
                                  self.supplier, key_serde=c.key_serde, value_serde=c.value_serde,
                                  timestamp_extractor=c.timestamp_extractor)


def _split_named_materialized(named: Any, materialized: Any) -> tuple[str | None, Materialized | None]:
    """Accept ``(named, materialized)`` or ``(materialized)`` in the second position."""
    if isinstance(named, Materialized) and materialized is None:
        named, materialized = None, named
    if materialized is not None and not isinstance(materialized, Materialized):
        raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
    return _named(named), materialized


class KTable(KTableJoinsMixin, AbstractStream):
    """A changelog stream: each record an update of its key's value, None a delete.

    Args (as Kafka's KTableImpl): node name, serdes, source node names, the queryable store
    name (set when materialized under a user's name), the KTable processor supplier, graph
    node and builder.
    """

    def __init__(self, name: str, key_serde: Any, value_serde: Any, source_nodes: set[str],
                 queryable_store_name: str | None, processor_supplier: Any,
                 graph_node: GraphNode, builder: StreamsBuilder) -> None:
        super().__init__(name, key_serde, value_serde, source_nodes, graph_node, builder)
        self.queryable_store_name = queryable_store_name
        self.processor_supplier = processor_supplier
        self._send_old_values = False

    # ------------------------------------------------------------ supplier protocol
    def output_versioned(self) -> bool | None:
        """Whether this table's values come from a versioned store (Kafka's
        ``isOutputVersioned``): a source or a materialized operation says so by its store; an
        operation that is not materialized passes its parent's answer on."""
        node = self.graph_node
        if isinstance(node, TableSourceProcessorNode):
            return getattr(node.mi.store_supplier, "history_retention_ms", None) is not None
        builders = getattr(node, "store_builders", None)
        if builders:
            return bool(getattr(builders[0], "versioned", False))
        parent = getattr(self.processor_supplier, "_parent", None)
        if isinstance(parent, KTable) and isinstance(node, StoreProcessorGraphNode):
            return parent.output_versioned()
        return False

    def value_getter_supplier(self) -> Any:
        """How to read this table's current value per key (Kafka's valueGetterSupplier)."""
        return self.processor_supplier.view()

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        """Ask every processor up to the source to forward old values; False if it cannot."""
        if not self._send_old_values:
            if not self.processor_supplier.enable_send_old_values(force_materialization):
                return False
            self._send_old_values = True
        return True

    def _table(self, name: str, node: GraphNode, key_serde: Any, value_serde: Any,
               queryable: str | None, supplier: Any) -> KTable:
        self.builder.add_graph_node(self.graph_node, node)
        return KTable(name, key_serde, value_serde, self.source_nodes, queryable, supplier, node,
                      self.builder)

    def _materialize_for(self, materialized: Materialized | None, prefix: str
                         ) -> tuple[MaterializedInternal | None, str | None]:
        """Kafka's rule for filter/map_values: a nameless Materialized burns a store index."""
        if materialized is None:
            return None, None
        mi = MaterializedInternal(materialized)
        if mi.store_name is None:
            self.builder.new_store_name(prefix)
        return mi, mi.queryable_store_name

    # ------------------------------------------------------------ operations
    def filter(self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None,
               materialized: Materialized | None = None) -> KTable:
        """Keep the rows for which ``predicate(key, value)`` holds; others become deletes."""
        return self._filter(predicate, named, materialized, False)

    def filter_not(self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None,
                   materialized: Materialized | None = None) -> KTable:
        """Drop the rows for which ``predicate(key, value)`` holds (they become deletes)."""
        return self._filter(predicate, named, materialized, True)

    def _filter(self, predicate: Any, named: Any, materialized: Any, filter_not: bool) -> KTable:
        _check_fn(predicate, "filter()'s predicate")
        given, materialized = _split_named_materialized(named, materialized)
        mi, queryable = self._materialize_for(materialized, FILTER_NAME)
        key_serde = (mi.key_serde if mi and mi.key_serde is not None else self.key_serde)
        value_serde = (mi.value_serde if mi and mi.value_serde is not None else self.value_serde)
        name = self.builder.name_or_generate(given, FILTER_NAME)
        send_old = self.enable_send_old_values(False)
        supplier = kp.KTableFilterSupplier(self, predicate, filter_not, queryable, send_old)
        supplier.use_versioned_semantics = bool(self.output_versioned())
        node = StoreProcessorGraphNode(name, supplier)
        if queryable is not None:
            mi.key_serde, mi.value_serde = key_serde, value_serde
            node.store_builders.append(kv_store_builder(mi, allow_versioned=True))
        return self._table(name, node, key_serde, value_serde, queryable, supplier)

    def map_values(self, mapper: Callable[..., Any], named: Named | str | None = None,
                   materialized: Materialized | None = None, *, with_key: bool = False) -> KTable:
        """Replace each value by ``mapper(value)`` (``mapper(key, value)`` with ``with_key``)."""
        _check_fn(mapper, "map_values()'s mapper")
        given, materialized = _split_named_materialized(named, materialized)
        mi, queryable = self._materialize_for(materialized, MAPVALUES_NAME)
        key_serde = (mi.key_serde if mi and mi.key_serde is not None else self.key_serde)
        value_serde = mi.value_serde if mi else None
        name = self.builder.name_or_generate(given, MAPVALUES_NAME)
        supplier = kp.KTableMapValuesSupplier(self, mapper, with_key, queryable)
        node = StoreProcessorGraphNode(name, supplier)
        node.value_changing = True
        if queryable is not None:
            mi.key_serde = key_serde
            node.store_builders.append(kv_store_builder(mi, allow_versioned=True))
        return self._table(name, node, key_serde, value_serde, queryable, supplier)

    def transform_values(self, transformer_supplier: Callable[[], Any], *store_names: str,
                         materialized: Materialized | None = None,
                         named: Named | str | None = None) -> KTable:
        """Replace each value by ``transformer.transform(key, value)`` (Kafka's transformValues).

        ``transformer_supplier()`` returns a new transformer (``init(context)``,
        ``transform(key, value)``, ``close()``) or a ``(key, value)`` function; it may read
        the stores named in ``store_names``. It is called with None values (deletes) too.
        """
        _check_fn(transformer_supplier, "transform_values()'s transformer supplier")
        given = _named(named)
        mi = MaterializedInternal(materialized) if materialized is not None else None
        queryable = mi.queryable_store_name if mi else None
        key_serde = (mi.key_serde if mi and mi.key_serde is not None else self.key_serde)
        value_serde = mi.value_serde if mi else None
        name = self.builder.name_or_generate(given, TRANSFORMVALUES_NAME)
        supplier = kp.KTableTransformValuesSupplier(self, transformer_supplier, queryable)
        node = StoreProcessorGraphNode(name, supplier, stores=list(store_names))
        node.value_changing = True
        if queryable is not None:
            mi.key_serde = key_serde
            node.store_builders.append(kv_store_builder(mi, allow_versioned=True))
        return self._table(name, node, key_serde, value_serde, queryable, supplier)

    def to_stream(self, mapper: Callable[[Any, Any], Any] | None = None,
                  named: Named | str | None = None) -> KStream:
        """The table's changelog as a KStream of new values (None for deletes).

        With ``mapper``, the stream is re-keyed by ``mapper(key, value)`` (``select_key``).
        """
        if isinstance(mapper, Named | str):
            mapper, named = None, mapper
        name = self.builder.name_or_generate(_named(named), TOSTREAM_NAME)
        node = ProcessorGraphNode(name, _Supplier(kp.KTableToStreamProcessor))
        self.builder.add_graph_node(self.graph_node, node)
        stream = KStream(name, self.key_serde, self.value_serde, self.source_nodes, False, node,
                         self.builder)
        return stream.select_key(mapper) if mapper is not None else stream

    def group_by(self, selector: Callable[[Any, Any], tuple[Any, Any]],
                 grouped: Grouped | None = None) -> KGroupedTable:
        """Re-group rows by ``selector(key, value) -> (new_key, new_value)`` for aggregation."""
        from raystreams.dsl.grouped import KGroupedTable

        _check_fn(selector, "group_by()'s selector")
        grouped = grouped or Grouped()
        if not isinstance(grouped, Grouped):
            raise TopologyException(f"grouped must be a Grouped, got {grouped!r}")
        name = self.builder.name_or_generate(grouped.name, SELECT_NAME)
        supplier = kp.KTableRepartitionMapSupplier(self, selector)
        supplier.use_versioned_semantics = bool(self.output_versioned())
        node = ProcessorGraphNode(name, supplier)
        node.key_changing = True
        self.builder.add_graph_node(self.graph_node, node)
        self.enable_send_old_values(True)
        return KGroupedTable(self.builder, name, self.source_nodes, grouped, node, supplier)

    def suppress(self, suppressed: Any) -> KTable:
        """Hold back updates (Kafka's suppress); see ``raystreams.dsl.suppressed``."""
        from raystreams.dsl.suppressed import suppress

        return suppress(self, suppressed)

    def __repr__(self) -> str:
        return f"KTable({self.name!r}, store={self.queryable_store_name!r})"


class GlobalKTable:
    """A table replicated in full to every instance, fed by all partitions of its topic."""

    def __init__(self, getter_supplier: Any, queryable_store_name: str | None,
                 store_name: str) -> None:
        self._getter_supplier = getter_supplier
        self.queryable_store_name = queryable_store_name
        self.store_name = store_name

    def value_getter_supplier(self) -> Any:
        return self._getter_supplier

    def __repr__(self) -> str:
        return f"GlobalKTable(store={self.store_name!r})"


# ------------------------------------------------------------------------------------------
# StreamsBuilder entry points (builder.table / global_table / add_global_store delegate here)


def _claim_topic(builder: StreamsBuilder, topic: str) -> None:
    if not isinstance(topic, str) or not topic:
        raise TopologyException(f"topic must be a non-empty string, got {topic!r}")
    if topic in builder._topics_used:
        raise TopologyException(f"Topic {topic} has already been registered by another source.")
    builder._topics_used.add(topic)


def _suffix_or_generate(builder: StreamsBuilder, name: str | None, suffix: str, prefix: str) -> str:
    generated = builder.new_processor_name(prefix)  # burnt either way, as Kafka does
    return name + suffix if name is not None else generated


def _consumed_and_materialized(consumed: Consumed | None, materialized: Materialized | None
                               ) -> tuple[Consumed, Materialized]:
    if consumed is not None and not isinstance(consumed, Consumed):
        raise TopologyException(f"consumed must be a Consumed, got {consumed!r}")
    if materialized is not None and not isinstance(materialized, Materialized):
        raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
    if consumed is not None and materialized is not None:
        materialized.key_serde = consumed.key_serde
        materialized.value_serde = consumed.value_serde
    elif materialized is not None:
        consumed = Consumed(materialized.key_serde, materialized.value_serde)
    else:
        consumed = consumed or Consumed()
        materialized = Materialized.with_(consumed.key_serde, consumed.value_serde)
    return consumed, materialized


def table(builder: StreamsBuilder, topic: str, consumed: Consumed | None = None,
          materialized: Materialized | None = None) -> KTable:
    """``StreamsBuilder.table``: a KTable over ``topic`` (Kafka's InternalStreamsBuilder.table)."""
    consumed, materialized = _consumed_and_materialized(consumed, materialized)
    mi = MaterializedInternal(materialized, builder, topic + "-")
    _claim_topic(builder, topic)
    source_name = _suffix_or_generate(builder, consumed.name, TABLE_SOURCE_SUFFIX,
                                      KSTREAM_SOURCE_NAME)
    table_name = builder.name_or_generate(consumed.name, SOURCE_NAME)
    supplier = kp.KTableSourceSupplier(mi.store_name, mi.queryable_store_name)
    node = TableSourceProcessorNode(table_name, supplier, mi, source_name=source_name,
                                    topic=topic, consumed=consumed)
    builder.add_graph_node(builder.root, node)
    return KTable(table_name, consumed.key_serde, consumed.value_serde, {source_name},
                  mi.queryable_store_name, supplier, node, builder)


def global_table(builder: StreamsBuilder, topic: str, consumed: Consumed | None = None,
                 materialized: Materialized | None = None) -> GlobalKTable:
    """``StreamsBuilder.global_table``: a GlobalKTable over ``topic`` (always materialized)."""
    force = materialized is None  # Kafka forces a queryable name only without Materialized
    consumed, materialized = _consumed_and_materialized(consumed, materialized)
    materialized.with_logging_disabled()
    mi = MaterializedInternal(materialized, builder, topic + "-", force_queryable=force)
    _claim_topic(builder, topic)
    source_name = _suffix_or_generate(builder, consumed.name, TABLE_SOURCE_SUFFIX,
                                      KSTREAM_SOURCE_NAME)
    processor_name = builder.name_or_generate(consumed.name, SOURCE_NAME)
    supplier = kp.KTableSourceSupplier(mi.store_name, mi.store_name)
    store_builder = kv_store_builder(mi, allow_versioned=True)
    node = GlobalTableSourceNode(processor_name, source_name, topic, consumed, supplier,
                                 store_builder)
    builder.add_graph_node(builder.root, node)
    return GlobalKTable(kp.MaterializedValueGetterSupplier(mi.store_name),
                        mi.queryable_store_name, mi.store_name)


def add_global_store(builder: StreamsBuilder, store_builder: Any, topic: str,
                     consumed: Consumed | None, state_update_supplier: Callable[[], Any]) -> None:
    """``StreamsBuilder.add_global_store``: a user processor keeps a global store up to date."""
    if store_builder is None or not getattr(store_builder, "name", None):
        raise TopologyException(f"add_global_store() needs a store builder with a name, "
                                f"got {store_builder!r}")
    if not callable(state_update_supplier):
        raise TopologyException("add_global_store() needs a processor supplier (a Processor "
                                "class or a function returning a new Processor)")
    consumed = consumed or Consumed()
    _claim_topic(builder, topic)
    source_name = _suffix_or_generate(builder, consumed.name, TABLE_SOURCE_SUFFIX,
                                      KSTREAM_SOURCE_NAME)
    processor_name = builder.name_or_generate(consumed.name, SOURCE_NAME)
    if getattr(store_builder, "logging_enabled", False):
        store_builder.with_logging_disabled()
    node = GlobalTableSourceNode(processor_name, source_name, topic, consumed,
                                 state_update_supplier, store_builder)
    builder.add_graph_node(builder.root, node)
