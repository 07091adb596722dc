"""The graph nodes of KStream joins (Kafka's ``StreamStreamJoinNode``, ``StreamTableJoinNode``
and the windowed side of a stream-stream join): what each writes into the Topology."""

from __future__ import annotations

from typing import Any

from raystreams.config.keys import TOPOLOGY_OPTIMIZATION_CONFIG
from raystreams.dsl.graph import GraphNode, ProcessorGraphNode
from raystreams.dsl.window_materialize import DEFAULT_ADDITIONAL_RETENTION_MS
from raystreams.errors import TopologyException
from raystreams.processor.stateless import PassThroughProcessor
from raystreams.topology.topology import Topology


class StreamStreamJoinGraphNode(GraphNode):
    """Writes the two join processors and the merge (Kafka's StreamStreamJoinNode)."""

    def __init__(self, name: str, *, this_name: str, other_name: str, this_windowed: str,
                 other_windowed: str, this_supplier: Any, other_supplier: Any,
                 this_stores: list[Any], other_stores: list[Any],
                 source_nodes: set[str], self_join_supplier: Any = None,
                 this_store: str | None = None) -> None:
        super().__init__(name)
        self.self_join_supplier = self_join_supplier  # set when both sides are one stream
        self.this_store = this_store
        self.this_name = this_name
        self.other_name = other_name
        self.this_windowed = this_windowed
        self.other_windowed = other_windowed
        self.this_supplier = this_supplier
        self.other_supplier = other_supplier
        self.this_stores = this_stores
        self.other_stores = other_stores
        self.source_nodes = source_nodes

    def write(self, topology: Topology) -> None:
        if self.self_join_supplier is not None and self_join_optimized(topology):
            # Kafka's rewriteSingleStoreSelfJoin: one processor, named as the merge
            topology.add_processor(self.name, self.self_join_supplier, self.this_windowed)
            topology.connect_processor_and_state_stores(self.name, self.this_store)
            topology.copartition(sorted(self.source_nodes))
            return
        for proc, supplier, parent, stores in (
                (self.this_name, self.this_supplier, self.this_windowed, self.this_stores),
                (self.other_name, self.other_supplier, self.other_windowed, self.other_stores)):
            topology.add_processor(proc, supplier, parent)
            for builder in stores:
                if builder.name in topology.stores:
                    topology.connect_processor_and_state_stores(proc, builder.name)
                else:
                    topology.add_state_store(builder, proc)
                    register_join_changelog(topology, builder)
        topology.add_processor(self.name, PassThroughProcessor, self.this_name, self.other_name)
        topology.copartition(sorted(self.source_nodes))


def register_join_changelog(topology: Topology, builder: Any) -> None:
    """Record a join store's changelog topic (``<store>-changelog``) when it is logged.

    Window stores retain duplicates, so their changelog is ``cleanup.policy=delete`` with
    the window retention plus a day; the outer-join store's is compacted.
    """
    if not getattr(builder, "logging_enabled", False):
        return
    user = dict(getattr(builder, "log_config", None) or {})
    retention = getattr(builder, "retention_period", None)
    if retention is not None:
        configs = {"cleanup.policy": "delete",
                   "retention.ms": str(retention + DEFAULT_ADDITIONAL_RETENTION_MS)}
    else:
        configs = {"cleanup.policy": "compact"}
    configs.update(user)
    topology.add_internal_topic(f"{builder.name}-changelog", "changelog", None, configs)


def self_join_optimized(topology: Topology) -> bool:
    """Whether ``topology.optimization`` asks for the single-store self-join rewrite."""
    config = getattr(topology, "build_config", None)
    value = None
    if config is not None:
        getter = getattr(config, "get", None)
        try:
            value = getter(TOPOLOGY_OPTIMIZATION_CONFIG) if getter is not None else None
        except Exception:  # noqa: BLE001 - a config without the key
            value = None
    if not value:
        return False
    choices = {v.strip() for v in str(value).split(",")}
    return bool(choices & {"all", "single.store.self.join"})


class WindowedJoinSideNode(ProcessorGraphNode):
    """A join's windowed processor: adds its side's window store and its changelog.

    The other side's node of a self-join is dropped when the self-join rewrite applies.
    """

    self_join_other = False

    def write(self, topology: Topology) -> None:
        if self.self_join_other and self_join_optimized(topology):
            return
        super().write(topology)
        for builder in self.store_builders:
            register_join_changelog(topology, builder)


class StreamTableJoinGraphNode(ProcessorGraphNode):
    """A stream-table join processor connected to the table's stores (StreamTableJoinNode)."""

    def __init__(self, name: str, supplier: Any, store_names: list[str],
                 copartition: list[str] | None) -> None:
        super().__init__(name, supplier, stores=store_names)
        self.copartition_sources = copartition

    def write(self, topology: Topology) -> None:
        from raystreams.dsl.ktable import register_changelog

        super().write(topology)
        for builder in self.store_builders:  # the grace period's buffer
            register_changelog(topology, builder)
        grace = getattr(self.supplier, "grace_ms", None)
        if grace is not None:
            for store in self.stores:  # Kafka's StreamTableJoinNode checks, at build time
                builder = topology.stores[store].builder
                retention = getattr(builder, "history_retention_ms", None)
                if retention is None:
                    raise TopologyException("KTable must be versioned to use a grace period in "
                                            "a stream table join.")
                if grace > retention:
                    raise TopologyException("History retention must be at least grace period.")
        if self.copartition_sources:
            topology.copartition(sorted(self.copartition_sources))
