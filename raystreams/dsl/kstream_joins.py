"""KStream's joins with a KStream, a KTable or a GlobalKTable (a mixin of KStream).

Kafka Streams' ``KStreamImpl.join/leftJoin/outerJoin`` and ``KStreamImplJoin``: the same
graph nodes, the same generated names (and burnt indices), the same store names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.graph import NULL_KEY_RELAXED_JOIN
from raystreams.dsl.join_nodes import (
    StreamStreamJoinGraphNode,
    StreamTableJoinGraphNode,
    WindowedJoinSideNode,
)
from raystreams.dsl.params import Joined, Named, StreamJoined, validate_name
from raystreams.dsl.windows import duration_ms
from raystreams.errors import StreamsException, TopologyException
from raystreams.processor import stream_joins as sj
from raystreams.processor.stream_table_join import StreamTableJoinSupplier

if TYPE_CHECKING:
    from raystreams.dsl.kstream import KStream

WINDOWED_NAME = "KSTREAM-WINDOWED-"
JOINTHIS_NAME = "KSTREAM-JOINTHIS-"
JOINOTHER_NAME = "KSTREAM-JOINOTHER-"
OUTERTHIS_NAME = "KSTREAM-OUTERTHIS-"
OUTEROTHER_NAME = "KSTREAM-OUTEROTHER-"
OUTERSHARED_NAME = "KSTREAM-OUTERSHARED-"
MERGE_NAME = "KSTREAM-MERGE-"
JOIN_NAME = "KSTREAM-JOIN-"
LEFTJOIN_NAME = "KSTREAM-LEFTJOIN-"


class ValueJoiner:
    """``joiner(left, right)`` (or ``joiner(key, left, right)`` with ``with_key``) as the
    processors call it: ``(key, left, right)``. Picklable."""

    __slots__ = ("fn", "with_key")

    def __init__(self, fn: Callable[..., Any], with_key: bool = False) -> None:
        self.fn = fn
        self.with_key = with_key

    def __call__(self, key: Any, left: Any, right: Any) -> Any:
        return self.fn(key, left, right) if self.with_key else self.fn(left, right)


class KeySelector:
    """A GlobalKTable join's ``selector(key, value) -> global key``; picklable wrapper."""

    __slots__ = ("fn",)

    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self.fn = fn

    def __call__(self, key: Any, value: Any) -> Any:
        return self.fn(key, value)


def _check_callable(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TopologyException(f"{what} must be callable, got {fn!r}")


def _name_of(named: Named | str | None) -> str | None:
    if named is None:
        return None
    if isinstance(named, str):
        return validate_name(named)
    if isinstance(named, Named):
        return named.name
    raise TopologyException(f"named must be a Named or a string, got {named!r}")


def _suffix_or_generate(builder: Any, name: str | None, suffix: str, prefix: str) -> str:
    """Kafka's NamedInternal.suffixWithOrElseGet(suffix, provider, prefix): burns an index."""
    generated = builder.new_processor_name(prefix)
    if name is None:
        return generated
    return validate_name(name + suffix)


def _kind(other: Any) -> str:
    from raystreams.dsl.kstream import KStream
    from raystreams.dsl.ktable import GlobalKTable, KTable

    if isinstance(other, KStream):
        return "stream"
    if isinstance(other, KTable):
        return "table"
    if isinstance(other, GlobalKTable):
        return "global"
    raise TopologyException(f"join() takes a KStream, a KTable or a GlobalKTable, got {other!r}")


class KStreamJoinsMixin:
    """``join``, ``left_join`` and ``outer_join`` of a KStream.

    - with a KStream: ``join(other, joiner, windows, stream_joined=None)`` over
      ``JoinWindows``; left/outer results for unmatched records come out once the window
      has closed (Kafka >= 3.1);
    - with a KTable: ``join(table, joiner, joined=None)`` (no outer join);
    - with a GlobalKTable: ``join(global_table, key_selector, joiner, named=None)`` where
      ``key_selector(key, value)`` gives the table key (no outer join).

    ``joiner(left_value, right_value)``; pass ``with_key=True`` for ``joiner(key, left, right)``
    (Kafka's ValueJoinerWithKey).
    """

    # ------------------------------------------------------------------ public API
    def join(self, other: Any, *args: Any, with_key: bool = False, **kwargs: Any) -> KStream:
        """Inner join with a KStream (windowed), a KTable or a GlobalKTable."""
        return self._dispatch_join(other, args, kwargs, with_key, "join")

    def left_join(self, other: Any, *args: Any, with_key: bool = False, **kwargs: Any) -> KStream:
        """Left join: every record of this stream comes out, with ``None`` for a missing partner."""
        return self._dispatch_join(other, args, kwargs, with_key, "left_join")

    def outer_join(self, other: KStream, joiner: Callable[..., Any], windows: Any,
                   stream_joined: StreamJoined | None = None, *,
                   with_key: bool = False) -> KStream:
        """Outer join with a KStream: unmatched records of both sides come out."""
        if _kind(other) != "stream":
            raise TopologyException("outer_join() is only defined between two KStreams "
                                    "(use a KTable-KTable outer_join for tables)")
        return self._stream_stream_join(other, joiner, windows, stream_joined, with_key,
                                        left_outer=True, right_outer=True)

    # ------------------------------------------------------------------ dispatch
    def _dispatch_join(self, other: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                       with_key: bool, method: str) -> KStream:
        kind = _kind(other)
        is_left = method == "left_join"
        if kind == "stream":
            params = _bind(args, kwargs, ("joiner", "windows", "stream_joined"), 2, method)
            return self._stream_stream_join(other, params["joiner"], params["windows"],
                                            params.get("stream_joined"), with_key,
                                            left_outer=is_left, right_outer=False)
        if kind == "table":
            params = _bind(args, kwargs, ("joiner", "joined"), 1, method)
            return self._stream_table_join(other, params["joiner"], params.get("joined"),
                                           with_key, is_left)
        params = _bind(args, kwargs, ("key_selector", "joiner", "named"), 2, method)
        return self._global_table_join(other, params["key_selector"], params["joiner"],
                                       params.get("named"), with_key, is_left)

    # ------------------------------------------------------------------ stream-stream
    def _stream_stream_join(self, other: KStream, joiner: Callable[..., Any], windows: Any,
                            stream_joined: StreamJoined | None, with_key: bool, *,
                            left_outer: bool, right_outer: bool) -> KStream:
        from raystreams.dsl.kstream import KStream
        from raystreams.dsl.windows import JoinWindows

        this: KStream = self  # type: ignore[assignment]
        if other is None:
            raise TopologyException("otherStream cannot be null")
        _check_callable(joiner, "joiner")
        if not isinstance(windows, JoinWindows):
            raise TopologyException(f"a stream-stream join needs JoinWindows, got {windows!r}")
        sj_params = stream_joined if stream_joined is not None else StreamJoined()
        if not isinstance(sj_params, StreamJoined):
            raise TopologyException(f"stream_joined must be a StreamJoined, got {sj_params!r}")
        builder = this.builder
        name = sj_params.name

        join_this: KStream = this
        join_other: KStream = other
        if join_this.repartition_required:
            prefix = name + "-left" if name is not None else join_this.name
            join_this = _repartition_for_join(join_this, prefix, sj_params.key_serde,
                                              sj_params.value_serde)
        if join_other.repartition_required:
            prefix = name + "-right" if name is not None else join_other.name
            join_other = _repartition_for_join(join_other, prefix, sj_params.key_serde,
                                               sj_params.other_value_serde)
        all_sources = set(join_this.source_nodes) | set(join_other.source_nodes)

        this_suffix = "-outer-this-join" if right_outer else "-this-join"
        other_suffix = "-outer-other-join" if left_outer else "-other-join"
        this_windowed = _suffix_or_generate(builder, name, "-this-windowed", WINDOWED_NAME)
        other_windowed = _suffix_or_generate(builder, name, "-other-windowed", WINDOWED_NAME)
        this_generated = builder.new_processor_name(OUTERTHIS_NAME if right_outer
                                                    else JOINTHIS_NAME)
        other_generated = builder.new_processor_name(OUTEROTHER_NAME if left_outer
                                                     else JOINOTHER_NAME)
        join_this_name = validate_name(name + this_suffix) if name else this_generated
        join_other_name = validate_name(name + other_suffix) if name else other_generated
        merge_name = _suffix_or_generate(builder, name, "-merge", MERGE_NAME)

        base = sj_params.store_name
        this_supplier_name = getattr(sj_params.this_store_supplier, "name", None)
        other_supplier_name = getattr(sj_params.other_store_supplier, "name", None)
        if this_supplier_name and this_supplier_name == other_supplier_name:
            raise StreamsException("Both StoreSuppliers have the same name.  StoreSuppliers "
                                   "must provide unique names")
        this_store = this_supplier_name or (
            (base + this_suffix if base is not None else this_generated) + "-store")
        other_store = other_supplier_name or (
            (base + other_suffix if base is not None else other_generated) + "-store")

        size = windows.size()
        retention = size + windows.grace_ms
        logging = sj_params.logging_enabled
        topic_config = sj_params.topic_config
        _check_supplier(sj_params.this_store_supplier, windows)
        _check_supplier(sj_params.other_store_supplier, windows)
        this_builder = sj.join_window_store_builder(
            this_store, retention, size, sj_params.key_serde, sj_params.value_serde, logging,
            topic_config, sj_params.this_store_supplier)
        other_builder = sj.join_window_store_builder(
            other_store, retention, size, sj_params.key_serde, sj_params.other_value_serde,
            logging, topic_config, sj_params.other_store_supplier)
        outer_builder = None
        join_serdes = sj.JoinSerdes(sj_params.key_serde, sj_params.value_serde,
                                    sj_params.other_value_serde)
        if left_outer:
            shared_suffix = "-outer-shared-join" if right_outer else "-left-shared-join"
            if this_supplier_name:
                outer_name = this_supplier_name + shared_suffix
            elif base is not None:
                outer_name = base + shared_suffix
            else:
                prefix_len = len(OUTERTHIS_NAME if right_outer else JOINTHIS_NAME)
                outer_name = OUTERSHARED_NAME + this_generated[prefix_len:]
            in_memory = "InMemory" in type(sj_params.this_store_supplier).__name__
            outer_builder = sj.outer_join_store_builder(outer_name + "-store", join_serdes,
                                                        logging, topic_config, in_memory)

        this_windowed_node = WindowedJoinSideNode(
            this_windowed, _WindowSupplier(this_store))
        this_windowed_node.store_builders = [this_builder]
        builder.add_graph_node(join_this.graph_node, this_windowed_node)
        other_windowed_node = WindowedJoinSideNode(
            other_windowed, _WindowSupplier(other_store))
        other_windowed_node.store_builders = [other_builder]
        builder.add_graph_node(join_other.graph_node, other_windowed_node)

        this_supplier, other_supplier = sj.stream_stream_join_suppliers(
            joiner=ValueJoiner(joiner, with_key), left_outer=left_outer, right_outer=right_outer,
            before_ms=windows.before_ms, after_ms=windows.after_ms, grace_ms=windows.grace_ms,
            this_store=this_store, other_store=other_store,
            outer_store=outer_builder.name if outer_builder is not None else None,
            serdes=join_serdes)
        extra = [outer_builder] if outer_builder is not None else []
        self_join = None
        if join_this.graph_node is join_other.graph_node:
            other_windowed_node.self_join_other = True
            self_join = sj.SelfJoinSupplier(this_store, ValueJoiner(joiner, with_key),
                                            windows.before_ms, windows.after_ms, retention)
        node = StreamStreamJoinGraphNode(
            merge_name, this_name=join_this_name, other_name=join_other_name,
            this_windowed=this_windowed, other_windowed=other_windowed,
            this_supplier=this_supplier, other_supplier=other_supplier,
            this_stores=[other_builder, *extra], other_stores=[this_builder, *extra],
            source_nodes=all_sources, self_join_supplier=self_join, this_store=this_store)
        if left_outer or right_outer:
            node.labels = {NULL_KEY_RELAXED_JOIN}
        builder.add_graph_node([join_this.graph_node, join_other.graph_node], node)
        return KStream(merge_name, sj_params.key_serde, None, all_sources, False, node, builder)

    # ------------------------------------------------------------------ stream-table
    def _stream_table_join(self, table: Any, joiner: Callable[..., Any], joined: Joined | None,
                           with_key: bool, left_join: bool) -> KStream:
        from raystreams.dsl.kstream import KStream

        this: KStream = self  # type: ignore[assignment]
        _check_callable(joiner, "joiner")
        joined = joined if joined is not None else Joined()
        if not isinstance(joined, Joined):
            raise TopologyException(f"joined must be a Joined, got {joined!r}")
        stream: KStream = this
        if stream.repartition_required:
            prefix = joined.name if joined.name is not None else stream.name
            stream = _repartition_for_join(stream, prefix, joined.key_serde, joined.value_serde)
        builder = stream.builder
        all_sources = set(stream.source_nodes) | set(table.source_nodes)
        name = builder.name_or_generate(joined.name, LEFTJOIN_NAME if left_join else JOIN_NAME)
        grace_ms = buffer = None
        if joined.grace_period is not None:
            if table.output_versioned() is False:
                raise TopologyException(
                    "KTable must be versioned to use a grace period in a stream table join.")
            grace_ms = duration_ms(joined.grace_period, "gracePeriod")
            buffer = _join_buffer_builder(f"{name}-Buffer")
        key_serde = joined.key_serde if joined.key_serde is not None else stream.key_serde
        value_serde = joined.value_serde if joined.value_serde is not None else stream.value_serde
        getter_supplier = table.value_getter_supplier()
        supplier = StreamTableJoinSupplier(getter_supplier, None, ValueJoiner(joiner, with_key),
                                              left_join, grace_ms=grace_ms,
                                              buffer_name=buffer.name if buffer else None,
                                              key_serde=key_serde, value_serde=value_serde)
        node = StreamTableJoinGraphNode(name, supplier, list(getter_supplier.store_names()),
                                        sorted(all_sources))
        if buffer is not None:
            node.store_builders.append(buffer)
        if left_join:
            node.labels = {NULL_KEY_RELAXED_JOIN}
        builder.add_graph_node(stream.graph_node, node)
        return KStream(name, key_serde, None, all_sources, False, node, builder)

    # ------------------------------------------------------------------ stream-global table
    def _global_table_join(self, global_table: Any, key_selector: Callable[[Any, Any], Any],
                           joiner: Callable[..., Any], named: Named | str | None,
                           with_key: bool, left_join: bool) -> KStream:
        from raystreams.dsl.kstream import KStream

        this: KStream = self  # type: ignore[assignment]
        _check_callable(key_selector, "keySelector")
        _check_callable(joiner, "joiner")
        builder = this.builder
        # Kafka names inner and left GlobalKTable joins alike: KSTREAM-LEFTJOIN-
        name = builder.name_or_generate(_name_of(named), LEFTJOIN_NAME)
        supplier = StreamTableJoinSupplier(global_table.value_getter_supplier(),
                                              KeySelector(key_selector),
                                              ValueJoiner(joiner, with_key), left_join)
        node = StreamTableJoinGraphNode(name, supplier, [], None)
        if left_join:
            node.labels = {NULL_KEY_RELAXED_JOIN}
        builder.add_graph_node(this.graph_node, node)
        return KStream(name, this.key_serde, None, this.source_nodes, this.repartition_required,
                       node, builder)


def _join_buffer_builder(name: str) -> Any:
    """The store a stream-table join with a grace period buffers stream records in (Kafka's
    RocksDBTimeOrderedKeyValueBuffer): time-first keys, logged, never cached."""
    from raystreams.serde import Serdes
    from raystreams.state import Stores

    return (Stores.key_value_store_builder(Stores.persistent_key_value_store(name),
                                           Serdes.Bytes(), Serdes.Bytes())
            .with_caching_disabled().with_logging_enabled())


def _check_supplier(supplier: Any, windows: Any) -> None:
    """Kafka's assertWindowSettings: a join store supplier must match the JoinWindows."""
    if supplier is None:
        return
    if not getattr(supplier, "retain_duplicates", False):
        raise StreamsException("The StoreSupplier must set retainDuplicates=true, found "
                               "retainDuplicates=false")
    retention = getattr(supplier, "retention_period", None)
    size = getattr(supplier, "window_size", None)
    if retention != windows.size() + windows.grace_ms or size != windows.size():
        raise StreamsException(
            f"Window settings mismatch. WindowBytesStoreSupplier settings {supplier!r} must "
            f"match JoinWindows settings {windows!r} for the window size and retention period")


class _WindowSupplier:
    __slots__ = ("store",)

    def __init__(self, store: str) -> None:
        self.store = store

    def __call__(self) -> sj.KStreamJoinWindowProcessor:
        return sj.KStreamJoinWindowProcessor(self.store)


def _bind(args: tuple[Any, ...], kwargs: dict[str, Any], names: tuple[str, ...],
          required: int, method: str) -> dict[str, Any]:
    if len(args) > len(names):
        raise TopologyException(f"{method}() takes at most {len(names)} arguments after the "
                                f"other side ({', '.join(names)}), got {len(args)}")
    params = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names:
            raise TopologyException(f"{method}() got an unexpected argument {key!r} "
                                    f"(expected one of: {', '.join(names)})")
        if key in params:
            raise TopologyException(f"{method}() got {key!r} twice")
        params[key] = value
    for needed in names[:required]:
        if params.get(needed) is None:
            raise TopologyException(f"{method}(): {needed} cannot be null")
    return params


def _repartition_for_join(stream: KStream, prefix: str, key_serde: Any,
                          value_serde: Any) -> KStream:
    """Kafka's repartitionForJoin: a repartition topic named after ``prefix``."""
    from raystreams.dsl.kstream import KStream

    ks = key_serde if key_serde is not None else stream.key_serde
    vs = value_serde if value_serde is not None else stream.value_serde
    node = stream._repartition_node(prefix, ks, vs)  # burns three indices either way
    cached = getattr(stream, "_join_repartition_node", None)
    if cached is not None and prefix == stream.name:
        # Kafka reuses a stream's join repartition topic when the name is generated
        node = cached
    else:
        stream.builder.add_graph_node(stream.graph_node, node)
        stream._join_repartition_node = node  # type: ignore[attr-defined]
    return KStream(node.source_name, ks, vs, {node.source_name}, False, node, stream.builder)
