"""KStream's stateful operations: group_by, group_by_key, to_table (a mixin of KStream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.params import Grouped, Materialized, Named
from raystreams.errors import TopologyException

if TYPE_CHECKING:
    from raystreams.dsl.grouped import KGroupedStream
    from raystreams.dsl.ktable import KTable

KEY_SELECT_NAME = "KSTREAM-KEY-SELECT-"
TO_KTABLE_NAME = "KSTREAM-TOTABLE-"


def _grouped(grouped: Any) -> Grouped | None:
    if grouped is not None and not isinstance(grouped, Grouped):
        raise TopologyException(f"grouped must be a Grouped, got {grouped!r}")
    return grouped


class KStreamStatefulMixin:
    """``group_by``, ``group_by_key`` and ``to_table`` of KStream (Kafka's KStreamImpl)."""

    def group_by_key(self, grouped: Grouped | None = None) -> KGroupedStream:
        """Group by the current key; repartitions first only if the key was changed before."""
        from raystreams.dsl.grouped import KGroupedStream

        s: Any = self
        grouped = _grouped(grouped) or Grouped(s.key_serde, s.value_serde)
        return KGroupedStream(s.builder, s.name, grouped.key_serde, grouped.value_serde,
                              s.source_nodes, s.repartition_required, s.graph_node, grouped)

    def group_by(self, selector: Callable[[Any, Any], Any],
                 grouped: Grouped | None = None) -> KGroupedStream:
        """Group by ``selector(key, value)``: a ``KSTREAM-KEY-SELECT-`` node, then repartition."""
        from raystreams.dsl.graph import ProcessorGraphNode
        from raystreams.dsl.grouped import KGroupedStream
        from raystreams.dsl.kstream import _check_fn, _Supplier
        from raystreams.processor.stateless import SelectKeyProcessor

        s: Any = self
        _check_fn(selector, "group_by()'s selector")
        grouped = _grouped(grouped) or Grouped(None, s.value_serde)
        name = s.builder.name_or_generate(grouped.name, KEY_SELECT_NAME)
        node = ProcessorGraphNode(name, _Supplier(SelectKeyProcessor, selector), fusable=True)
        node.key_changing = True
        s.builder.add_graph_node(s.graph_node, node)
        return KGroupedStream(s.builder, name, grouped.key_serde, grouped.value_serde,
                              s.source_nodes, True, node, grouped)

    def to_table(self, named: Named | str | None = None,
                 materialized: Materialized | None = None) -> KTable:
        """The stream as a table: each record an update of its key (None deletes)."""
        from raystreams.dsl.kstream import _named
        from raystreams.dsl.ktable import KTable, TableSourceProcessorNode
        from raystreams.dsl.materialize import MaterializedInternal
        from raystreams.processor.ktable import KTableSourceSupplier

        s: Any = self
        if isinstance(named, Materialized) and materialized is None:
            named, materialized = None, named
        if materialized is not None and not isinstance(materialized, Materialized):
            raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
        given = _named(named)
        name = s.builder.name_or_generate(given, TO_KTABLE_NAME)
        mi = MaterializedInternal(materialized or Materialized(), s.builder, TO_KTABLE_NAME)
        key_serde = mi.key_serde if mi.key_serde is not None else s.key_serde
        value_serde = mi.value_serde if mi.value_serde is not None else s.value_serde
        mi.key_serde, mi.value_serde = key_serde, value_serde
        parent, source_nodes = s.graph_node, s.source_nodes
        if s.repartition_required:
            parent = s._repartition_node(name, key_serde, value_serde)
            s.builder.add_graph_node(s.graph_node, parent)
            source_nodes = {parent.output_name()}
        supplier = KTableSourceSupplier(mi.store_name, mi.queryable_store_name)
        node = TableSourceProcessorNode(name, supplier, mi)
        s.builder.add_graph_node(parent, node)
        return KTable(name, key_serde, value_serde, source_nodes, mi.queryable_store_name,
                      supplier, node, s.builder)
