"""KTable's joins: on the primary key with another KTable, or on a foreign key (a mixin).

Kafka Streams' ``KTableImpl.join/leftJoin/outerJoin`` (``doJoin``) and the foreign-key
``join/leftJoin(other, foreignKeyExtractor, joiner, TableJoined, Materialized)``
(``doJoinOnForeignKey``): the same graph nodes, names and stores.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.graph import GraphNode
from raystreams.dsl.params import Materialized, Named, validate_name
from raystreams.errors import TopologyException
from raystreams.processor import table_joins as tj
from raystreams.topology.topology import Topology

if TYPE_CHECKING:
    from raystreams.dsl.ktable import KTable
    from raystreams.dsl.table_joined import TableJoined

JOINTHIS_NAME = "KTABLE-JOINTHIS-"
JOINOTHER_NAME = "KTABLE-JOINOTHER-"
MERGE_NAME = "KTABLE-MERGE-"
FK_JOIN = "KTABLE-FK-JOIN-"
FK_JOIN_STATE_STORE_NAME = FK_JOIN + "SUBSCRIPTION-STATE-STORE-"
SUBSCRIPTION_REGISTRATION = FK_JOIN + "SUBSCRIPTION-REGISTRATION-"
SUBSCRIPTION_RESPONSE = FK_JOIN + "SUBSCRIPTION-RESPONSE-"
SUBSCRIPTION_PROCESSOR = FK_JOIN + "SUBSCRIPTION-PROCESSOR-"
SUBSCRIPTION_RESPONSE_RESOLVER_PROCESSOR = FK_JOIN + "SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-"
FK_JOIN_OUTPUT_NAME = FK_JOIN + "OUTPUT-"
TOPIC_SUFFIX = "-topic"
KTABLE_SINK_NAME = "KTABLE-SINK-"
KTABLE_SOURCE_NAME = "KTABLE-SOURCE-"


def _name_of(named: Named | str | None) -> str | None:
    if named is None:
        return None
    if isinstance(named, str):
        return validate_name(named)
    if isinstance(named, Named):
        return named.name
    raise TopologyException(f"named must be a Named or a string, got {named!r}")


def _suffix_or_generate(builder: Any, name: str | None, suffix: str, prefix: str) -> str:
    generated = builder.new_processor_name(prefix)
    return generated if name is None else validate_name(name + suffix)


class _Reversed:
    """``joiner`` with swapped arguments (Kafka's reverseJoiner); picklable."""

    __slots__ = ("joiner",)

    def __init__(self, joiner: Callable[[Any, Any], Any]) -> None:
        self.joiner = joiner

    def __call__(self, a: Any, b: Any) -> Any:
        return self.joiner(b, a)


class KTableKTableJoinGraphNode(GraphNode):
    """Writes both join processors and the merge, and connects each to the other's stores."""

    def __init__(self, name: str, *, this_name: str, other_name: str, this_parent: str,
                 other_parent: str, this_supplier: Any, other_supplier: Any, merger: Any,
                 this_stores: list[str], other_stores: list[str], store_builder: Any,
                 source_nodes: set[str]) -> None:
        super().__init__(name)
        self.this_name = this_name
        self.other_name = other_name
        self.this_parent = this_parent
        self.other_parent = other_parent
        self.this_supplier = this_supplier
        self.other_supplier = other_supplier
        self.merger = merger
        self.this_stores = this_stores
        self.other_stores = other_stores
        self.store_builder = store_builder
        self.source_nodes = source_nodes

    def write(self, topology: Topology) -> None:
        from raystreams.dsl.ktable import register_changelog

        topology.add_processor(self.this_name, self.this_supplier, self.this_parent)
        topology.add_processor(self.other_name, self.other_supplier, self.other_parent)
        topology.add_processor(self.name, self.merger, self.this_name, self.other_name)
        if self.store_builder is not None:
            topology.add_state_store(self.store_builder, self.name)
            register_changelog(topology, self.store_builder)
        if self.other_stores:
            topology.connect_processor_and_state_stores(self.this_name, *self.other_stores)
        if self.this_stores:
            topology.connect_processor_and_state_stores(self.other_name, *self.this_stores)
        topology.copartition(sorted(self.source_nodes))


class KTableJoinsMixin:
    """``join``, ``left_join`` and ``outer_join`` of a KTable.

    - primary key: ``join(other, joiner, named=None, materialized=None)`` where
      ``joiner(left_value, right_value)``; the result is a KTable (materialized when
      ``materialized`` is given);
    - foreign key: ``join(other, foreign_key_extractor, joiner, table_joined=None,
      materialized=None)`` where ``foreign_key_extractor(value)`` (``(key, value)`` with
      ``with_key=True``, Kafka's BiFunction overload) gives the key of ``other`` this row
      joins with (``None``: no match); ``left_join`` keeps rows without a match.
    """

    def join(self, other: KTable, joiner: Callable[..., Any], *args: Any,
             **kwargs: Any) -> KTable:
        """Inner join on the primary key, or on a foreign key (see the class doc)."""
        return self._dispatch(other, joiner, args, kwargs, "join", False, False)

    def left_join(self, other: KTable, joiner: Callable[..., Any], *args: Any,
                  **kwargs: Any) -> KTable:
        """Left join: every row of this table, with ``None`` for a missing partner."""
        return self._dispatch(other, joiner, args, kwargs, "left_join", True, False)

    def outer_join(self, other: KTable, joiner: Callable[[Any, Any], Any],
                   named: Named | str | None = None,
                   materialized: Materialized | None = None) -> KTable:
        """Outer join on the primary key: rows of either table, ``None`` for a missing side."""
        named, materialized = _split(named, materialized)
        return self._table_table_join(other, joiner, named, materialized, True, True)

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, other: Any, first: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                  method: str, left_outer: bool, right_outer: bool) -> KTable:
        fk = bool(args) and callable(args[0]) or "joiner" in kwargs or \
            "table_joined" in kwargs or "foreign_key_extractor" in kwargs or "with_key" in kwargs
        if fk:
            return self._fk_dispatch(other, first, args, kwargs, method, left_outer)
        if len(args) > 2:
            raise TopologyException(f"{method}() takes (other, joiner, named, materialized)")
        named = args[0] if args else kwargs.pop("named", None)
        materialized = args[1] if len(args) > 1 else kwargs.pop("materialized", None)
        if kwargs:
            raise TopologyException(f"{method}() got unexpected arguments: {', '.join(kwargs)}")
        named, materialized = _split(named, materialized)
        return self._table_table_join(other, first, named, materialized, left_outer, right_outer)

    def _fk_dispatch(self, other: Any, first: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any], method: str, left_join: bool) -> KTable:
        from raystreams.dsl.table_joined import TableJoined

        names = ("joiner", "table_joined", "materialized")
        params = dict(zip(names, args, strict=False))
        extractor = kwargs.pop("foreign_key_extractor", first)
        with_key = bool(kwargs.pop("with_key", False))
        for key, value in kwargs.items():
            if key not in names or key in params:
                raise TopologyException(f"{method}() got an unexpected or repeated argument "
                                        f"{key!r}")
            params[key] = value
        table_joined = params.get("table_joined")
        materialized = params.get("materialized")
        if isinstance(table_joined, Materialized) and materialized is None:
            table_joined, materialized = None, table_joined
        if isinstance(table_joined, Named | str):
            table_joined = TableJoined.as_(_name_of(table_joined))
        return self._fk_join(other, extractor, params.get("joiner"), table_joined,
                             materialized, left_join, with_key)

    # ------------------------------------------------------------------ primary key
    def _table_table_join(self, other: Any, joiner: Callable[[Any, Any], Any],
                          named: str | None, materialized: Materialized | None,
                          left_outer: bool, right_outer: bool) -> KTable:
        from raystreams.dsl.ktable import KTable
        from raystreams.dsl.materialize import MaterializedInternal, kv_store_builder

        this: KTable = self  # type: ignore[assignment]
        if not isinstance(other, KTable):
            raise TopologyException(f"a KTable join needs another KTable, got {other!r}")
        if not callable(joiner):
            raise TopologyException(f"joiner must be callable, got {joiner!r}")
        builder = this.builder
        mi = MaterializedInternal(materialized, builder, MERGE_NAME) \
            if materialized is not None else None
        merge_name = builder.name_or_generate(named, MERGE_NAME)
        all_sources = set(this.source_nodes) | set(other.source_nodes)
        if left_outer:
            this.enable_send_old_values(True)
        if right_outer:
            other.enable_send_old_values(True)
        store_builder = None
        if mi is not None:
            if mi.key_serde is None:
                mi.with_key_serde(this.key_serde)
            key_serde, value_serde, queryable = mi.key_serde, mi.value_serde, mi.store_name
            store_builder = kv_store_builder(mi)
        else:
            key_serde, value_serde, queryable = this.key_serde, None, None
        if not left_outer:
            this_kind, other_kind = "inner", "inner"
        elif not right_outer:
            this_kind, other_kind = "left", "right"
        else:
            this_kind, other_kind = "outer", "outer"
        join_this = tj.KTableKTableJoinSupplier(this_kind, this, other, joiner)
        join_other = tj.KTableKTableJoinSupplier(other_kind, other, this, _Reversed(joiner))
        join_this.use_versioned_semantics = bool(this.output_versioned())
        join_other.use_versioned_semantics = bool(other.output_versioned())
        this_name = _suffix_or_generate(builder, named, "-join-this", JOINTHIS_NAME)
        other_name = _suffix_or_generate(builder, named, "-join-other", JOINOTHER_NAME)
        merger = tj.KTableKTableJoinMergerSupplier(join_this, join_other, queryable)
        node = KTableKTableJoinGraphNode(
            merge_name, this_name=this_name, other_name=other_name, this_parent=this.name,
            other_parent=other.name, this_supplier=join_this, other_supplier=join_other,
            merger=merger, this_stores=list(this.value_getter_supplier().store_names()),
            other_stores=list(other.value_getter_supplier().store_names()),
            store_builder=store_builder, source_nodes=all_sources)
        builder.add_graph_node([this.graph_node, other.graph_node], node)
        return KTable(merge_name, key_serde, value_serde, all_sources, queryable, merger, node,
                      builder)

    # ------------------------------------------------------------------ foreign key
    def _fk_join(self, other: Any, extractor: Callable[[Any], Any],
                 joiner: Callable[[Any, Any], Any] | None, table_joined: TableJoined | None,
                 materialized: Materialized | None, left_join: bool,
                 with_key: bool = False) -> KTable:
        """Kafka's doJoinOnForeignKey: the nodes, topics and stores, in Kafka's index order."""
        from raystreams.dsl.graph import ProcessorGraphNode, SourceGraphNode
        from raystreams.dsl.ktable import KTable, TableSourceProcessorNode
        from raystreams.dsl.materialize import MaterializedInternal
        from raystreams.dsl.params import Consumed, Produced
        from raystreams.dsl.table_joined import TableJoined
        from raystreams.processor import fk_join as fk
        from raystreams.processor import fk_join_wrappers as fkw
        from raystreams.processor import ktable as kp

        this: KTable = self  # type: ignore[assignment]
        if not isinstance(other, KTable):
            raise TopologyException(f"foreignKeyTable must be a KTable, got {other!r}")
        if not callable(extractor):
            raise TopologyException(f"foreignKeyExtractor must be callable, got {extractor!r}")
        if not callable(joiner):
            raise TopologyException(f"joiner must be callable, got {joiner!r}")
        tj_params = table_joined if table_joined is not None else TableJoined()
        if not isinstance(tj_params, TableJoined):
            raise TopologyException(f"table_joined must be a TableJoined, got {tj_params!r}")
        if materialized is not None and not isinstance(materialized, Materialized):
            raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
        builder = this.builder
        name = tj_params.name

        other.enable_send_old_values(True)
        this.enable_send_old_values(True)

        def named(suffix: str, prefix: str) -> str:
            return _suffix_or_generate(builder, name, suffix, prefix)

        registration_topic = named("-subscription-registration", SUBSCRIPTION_REGISTRATION) \
            + TOPIC_SUFFIX
        serdes = fkw.FkSerdes(this.key_serde, this.value_serde, other.key_serde,
                             other.value_serde, registration_topic)
        wrapper_serde = fkw.SubscriptionWrapperSerde(serdes)
        response_serde = fkw.SubscriptionResponseWrapperSerde(serdes)

        send_supplier = fk.SubscriptionSendSupplier(fk.ForeignKeyExtractor(extractor, with_key),
                                                    serdes, left_join)
        send_supplier.use_versioned_semantics = bool(this.output_versioned())
        send = ProcessorGraphNode(named("-subscription-registration-processor",
                                        SUBSCRIPTION_REGISTRATION), send_supplier)
        builder.add_graph_node(this.graph_node, send)
        sub_partitioner = (_SubscriptionPartitioner(tj_params.other_partitioner)
                           if tj_params.other_partitioner is not None else None)
        sink = _InternalSinkNode(named("-subscription-registration-sink", KTABLE_SINK_NAME),
                                 registration_topic,
                                 Produced(other.key_serde, wrapper_serde,
                                          partitioner=sub_partitioner))
        builder.add_graph_node(send, sink)
        source = SourceGraphNode(named("-subscription-registration-source", KTABLE_SOURCE_NAME),
                                 [registration_topic], Consumed(other.key_serde, wrapper_serde))
        builder.add_graph_node(sink, source)

        store_name = named("-subscription-store", FK_JOIN_STATE_STORE_NAME)
        store_builder = fkw.subscription_store_builder(store_name, serdes)
        receive = _FkNode(named("-subscription-receive", SUBSCRIPTION_PROCESSOR),
                          fk.SubscriptionReceiveSupplier(store_name, serdes),
                          store_builders=[store_builder],
                          copartition=set(other.source_nodes) | {source.name})
        builder.add_graph_node(source, receive)

        fk_getter = other.value_getter_supplier()
        join_foreign = _FkNode(named("-subscription-join-foreign", SUBSCRIPTION_PROCESSOR),
                               fk.SubscriptionJoinSupplier(fk_getter),
                               stores=list(fk_getter.store_names()))
        builder.add_graph_node(receive, join_foreign)

        foreign_supplier = fk.ForeignTableJoinSupplier(store_name, serdes)
        foreign_supplier.use_versioned_semantics = bool(other.output_versioned())
        foreign_join = _FkNode(named("-foreign-join-subscription", SUBSCRIPTION_PROCESSOR),
                               foreign_supplier, store_builders=[store_builder])
        builder.add_graph_node(other.graph_node, foreign_join)

        response_topic = named("-subscription-response", SUBSCRIPTION_RESPONSE) + TOPIC_SUFFIX
        response_partitioner = (_ResponsePartitioner(tj_params.partitioner)
                                if tj_params.partitioner is not None
                                else fkw.response_partitioner)
        response_sink = _InternalSinkNode(
            named("-subscription-response-sink", KTABLE_SINK_NAME), response_topic,
            Produced(this.key_serde, response_serde, partitioner=response_partitioner))
        builder.add_graph_node([join_foreign, foreign_join], response_sink)
        response_source = SourceGraphNode(
            named("-subscription-response-source", KTABLE_SOURCE_NAME), [response_topic],
            Consumed(this.key_serde, response_serde))
        builder.add_graph_node(response_sink, response_source)
        result_sources = set(this.source_nodes) | {response_source.name}

        pk_getter = this.value_getter_supplier()
        resolver = _FkNode(named("-subscription-response-resolver",
                                 SUBSCRIPTION_RESPONSE_RESOLVER_PROCESSOR),
                           fk.ResponseJoinSupplier(pk_getter, serdes, joiner, left_join),
                           stores=list(pk_getter.store_names()), copartition=result_sources)
        builder.add_graph_node(response_source, resolver)

        result_name = named("-result", FK_JOIN_OUTPUT_NAME)
        mi = MaterializedInternal(materialized, builder, FK_JOIN_OUTPUT_NAME)
        if mi.key_serde is None:
            mi.with_key_serde(this.key_serde)
        supplier = kp.KTableSourceSupplier(mi.store_name, mi.queryable_store_name)
        result = TableSourceProcessorNode(result_name, supplier, mi)
        builder.add_graph_node(resolver, result)
        return KTable(result_name, this.key_serde, mi.value_serde, result_sources,
                      mi.queryable_store_name, supplier, result, builder)


class _FkNode(GraphNode):
    """A processor of an FK join: its own stores (changelogged), connected stores, and a
    co-partitioning requirement recorded when written."""

    def __init__(self, name: str, supplier: Any, *, stores: list[str] | None = None,
                 store_builders: list[Any] | None = None,
                 copartition: set[str] | None = None) -> None:
        super().__init__(name)
        self.supplier = supplier
        self.stores = list(stores or [])
        self.store_builders = list(store_builders or [])
        self.copartition = copartition

    def write(self, topology: Topology) -> None:
        from raystreams.dsl.ktable import register_changelog

        topology.add_processor(self.name, self.supplier, *self.parent_names())
        for builder in self.store_builders:
            if builder.name in topology.stores:
                topology.connect_processor_and_state_stores(self.name, builder.name)
            else:
                topology.add_state_store(builder, self.name)
                register_changelog(topology, builder)
        if self.stores:
            topology.connect_processor_and_state_stores(self.name, *self.stores)
        if self.copartition:
            topology.copartition(sorted(self.copartition))


class _InternalSinkNode(GraphNode):
    """A sink to one of the join's own (repartition-like) topics."""

    def __init__(self, name: str, topic: str, produced: Any) -> None:
        super().__init__(name)
        self.topic = topic
        self.produced = produced

    def write(self, topology: Topology) -> None:
        topology.add_internal_topic(self.topic, "repartition")
        p = self.produced
        topology.add_sink(self.name, self.topic, *self.parent_names(), key_serde=p.key_serde,
                          value_serde=p.value_serde, partitioner=p.partitioner)


class _SubscriptionPartitioner:
    """Subscriptions go where the right table's partitioner puts their foreign key."""

    def __init__(self, partitioner: Callable[..., Any]) -> None:
        self.partitioner = partitioner

    def __call__(self, topic: str, key: Any, value: Any, num_partitions: int) -> Any:
        return self.partitioner(topic, key, None, num_partitions)


class _ResponsePartitioner:
    """Answers go where the left table's partitioner puts their primary key."""

    def __init__(self, partitioner: Callable[..., Any]) -> None:
        self.partitioner = partitioner

    def __call__(self, topic: str, key: Any, value: Any, num_partitions: int) -> Any:
        return self.partitioner(topic, key, None, num_partitions)


def _split(named: Any, materialized: Any) -> tuple[str | None, Materialized | None]:
    if isinstance(named, Materialized) and materialized is None:
        named, materialized = None, named
    if materialized is not None and not isinstance(materialized, Materialized):
        raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
    return _name_of(named), materialized
