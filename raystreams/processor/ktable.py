"""The processors a KTable compiles to, and their value getters (Kafka's KTableSource, ...).

A KTable processor receives and forwards ``Change(new, old)`` values. Its supplier is a
**KTable processor supplier**: calling it makes a new Processor; ``view()`` gives a
``KTableValueGetterSupplier`` (read the table's current value for a key, from the processor's
own store or computed through its parent's getter); ``enable_send_old_values(force)`` asks it
to fill ``Change.old_value`` (and returns whether it can).

When a processor writes to a store with caching on, it does not forward by itself: the store
calls the flush listener on commit, which forwards as if the processor were running
(Kafka's TimestampedTupleForwarder + TimestampedCacheFlushListener).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Headers, Processor, Record, RecordContext, _record
from raystreams.processor.change import Change
from raystreams.state.types import ValueAndTimestamp
from raystreams.state.versioned import PUT_RETURN_CODE_NOT_PUT, PUT_RETURN_CODE_VALID_TO_UNDEFINED

log = logging.getLogger(__name__)

UNKNOWN_TIMESTAMP = -1


def value_or_none(vat: Any) -> Any:
    return None if vat is None else vat.value


def count_dropped(context: Any) -> None:
    """Count a skipped record in the task's ``records_dropped`` metric."""
    task = getattr(context, "task", None)
    metrics = getattr(task, "metrics", None)
    if metrics is not None:
        metrics.records_dropped += 1


def _where(context: Any) -> str:
    rc = getattr(context, "record_context", None)
    if rc is None or rc.topic is None:
        return "Topic, partition, and offset not known."
    return f"topic=[{rc.topic}] partition=[{rc.partition}] offset=[{rc.offset}]"


class _NoPickleParent:
    """Suppliers keep their parent KTable for ``enable_send_old_values``; not for pickling."""

    _parent: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_parent"] = None
        return state


# ------------------------------------------------------------------------------------------
# forwarding through a store


class TupleForwarder:
    """Forwards a processor's ``Change`` directly, unless its store's cache will (on flush)."""

    __slots__ = ("context", "send_old_values", "caching")

    def __init__(self, store: Any, context: Any, send_old_values: bool) -> None:
        self.context = context
        self.send_old_values = send_old_values
        node = context.current_node
        set_listener = getattr(store, "set_flush_listener", None)
        self.caching = False
        if set_listener is not None:
            self.caching = bool(set_listener(_flush_listener(context, node), send_old_values))

    def maybe_forward(self, record: Record) -> None:
        if self.caching:
            return
        if not self.send_old_values:
            change = record.value
            record = record.with_value(Change(change.new_value, None, change.is_latest))
        self.context.forward(record)


def _flush_listener(context: Any, node: Any) -> Callable[..., None]:
    def on_flush(key: Any, new: Any, old: Any, rc: RecordContext | None) -> None:
        ts = new.timestamp if new is not None else rc.timestamp if rc is not None else 0
        headers = rc.headers if rc is not None and rc.headers is not None else Headers()
        record = _record(key, Change(value_or_none(new), value_or_none(old)), ts, headers)
        context.forward_from(node, rc, record)

    return on_flush


# ------------------------------------------------------------------------------------------
# timestamped or versioned: one face (Kafka's KeyValueStoreWrapper)

PUT_RETURN_CODE_IS_LATEST = PUT_RETURN_CODE_VALID_TO_UNDEFINED  # Kafka's KeyValueStoreWrapper name


class KeyValueStoreWrapper:
    """A KTable's store, timestamped or versioned, as its processors use it: ``get`` gives the
    latest ``ValueAndTimestamp``; ``put(key, value, timestamp)`` returns Kafka's put code
    (``PUT_RETURN_CODE_IS_LATEST``, ``PUT_RETURN_CODE_NOT_PUT`` or the version's valid-to)."""

    __slots__ = ("store", "versioned")

    def __init__(self, store: Any) -> None:
        self.store = store
        self.versioned = bool(getattr(store, "versioned", False))

    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
        found = self.store.get(key)
        if found is None or not self.versioned:
            return found
        return ValueAndTimestamp.make(found.value, found.timestamp)

    def put(self, key: Any, value: Any, timestamp: int) -> int:
        if self.versioned:
            return self.store.put(key, value, timestamp)
        self.store.put(key, ValueAndTimestamp.make(value, timestamp))
        return PUT_RETURN_CODE_IS_LATEST


# ------------------------------------------------------------------------------------------
# value getters


class MaterializedValueGetterSupplier:
    """Reads a table's value from its own store (Kafka's KTableMaterializedValueGetterSupplier).

    ``getter`` is the getter class for the store's kind: key-value by default; windowed and
    session tables pass theirs.
    """

    def __init__(self, store_name: str, getter: type | None = None) -> None:
        self.store_name = store_name
        self.getter = getter or MaterializedValueGetter

    def get(self) -> Any:
        return self.getter(self.store_name)

    def store_names(self) -> list[str]:
        return [self.store_name]


class MaterializedValueGetter:
    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store: Any = None

    def init(self, context: Any) -> None:
        self.store = context.get_state_store(self.store_name)

    def is_versioned(self) -> bool:
        return bool(getattr(self.store, "versioned", False))

    def get(self, key: Any, as_of_timestamp: int | None = None) -> ValueAndTimestamp[Any] | None:
        """The latest value, or (a versioned table only) the one valid at ``as_of_timestamp``."""
        store = self.store
        if not getattr(store, "versioned", False):
            return store.get(key)
        found = store.get(key, as_of_timestamp)
        return None if found is None else ValueAndTimestamp.make(found.value, found.timestamp)

    def close(self) -> None:
        pass


class _ComputedGetterSupplier:
    """A getter computed from the parent's getter (filter, map_values, transform_values)."""

    def __init__(self, parent: Any, getter_cls: Any, supplier: Any) -> None:
        self.parent = parent
        self.getter_cls = getter_cls
        self.supplier = supplier

    def get(self) -> Any:
        return self.getter_cls(self.parent.get(), self.supplier)

    def store_names(self) -> list[str]:
        return self.parent.store_names()


def _is_versioned(getter: Any) -> bool:
    check = getattr(getter, "is_versioned", None)
    return bool(check()) if check is not None else False


def _parent_get(parent: Any, key: Any, as_of_timestamp: int | None) -> Any:
    if as_of_timestamp is None:
        return parent.get(key)
    return parent.get(key, as_of_timestamp)


class _DerivedGetter:
    """A getter computed through the parent table's getter (filter, map_values): versioned
    when the parent is, reading it as of a time when asked."""

    def __init__(self, parent: Any, supplier: Any) -> None:
        self.parent = parent
        self.supplier = supplier

    def init(self, context: Any) -> None:
        self.parent.init(context)

    def is_versioned(self) -> bool:
        return _is_versioned(self.parent)

    def get(self, key: Any, as_of_timestamp: int | None = None) -> Any:
        vat = _parent_get(self.parent, key, as_of_timestamp)
        return None if vat is None else self._derive(key, vat)

    def _derive(self, key: Any, vat: ValueAndTimestamp[Any]) -> ValueAndTimestamp[Any] | None:
        raise NotImplementedError

    def close(self) -> None:
        self.parent.close()


class _FilterGetter(_DerivedGetter):
    def _derive(self, key: Any, vat: ValueAndTimestamp[Any]) -> ValueAndTimestamp[Any] | None:
        return vat if self.supplier.passes(key, vat.value) else None


class _MapValuesGetter(_DerivedGetter):
    def _derive(self, key: Any, vat: ValueAndTimestamp[Any]) -> ValueAndTimestamp[Any] | None:
        return ValueAndTimestamp.make(self.supplier.apply(key, vat.value), vat.timestamp)


# ------------------------------------------------------------------------------------------
# source


class KTableSourceSupplier:
    """``builder.table()``'s processor: puts each update in the store (if materialized), forwards it.

    Materialized when the user named the store, or when a later operation needs it (a value
    getter, old values); decided when the topology is written, as in Kafka.
    """

    def __init__(self, store_name: str, queryable_name: str | None) -> None:
        self.store_name = store_name
        self.queryable_name = queryable_name
        self.send_old_values = False

    @property
    def materialized(self) -> bool:
        return self.queryable_name is not None

    def materialize(self) -> None:
        self.queryable_name = self.store_name

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        if not force_materialization and not self.materialized:
            return False
        self.send_old_values = True
        self.queryable_name = self.store_name
        return True

    def view(self) -> MaterializedValueGetterSupplier:
        self.materialize()
        return MaterializedValueGetterSupplier(self.store_name)

    def __call__(self) -> KTableSourceProcessor:
        return KTableSourceProcessor(self.queryable_name, self.send_old_values)


class KTableSourceProcessor(Processor):
    def __init__(self, queryable_name: str | None, send_old_values: bool) -> None:
        self.queryable_name = queryable_name
        self.send_old_values = send_old_values
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: Any) -> None:
        self.context = context
        if self.queryable_name is not None:
            raw = context.get_state_store(self.queryable_name)
            self.store = KeyValueStoreWrapper(raw)
            self.forwarder = TupleForwarder(raw, context, self.send_old_values)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            log.warning("Skipping record due to null key. %s", _where(self.context))
            count_dropped(self.context)
            return
        if self.store is None:
            self.context.forward(record.with_value(Change(record.value, None)))
            return
        old = self.store.get(key)
        if old is not None and record.timestamp < old.timestamp:
            log.warning("Detected out-of-order KTable update for %s, old timestamp=[%s] new "
                        "timestamp=[%s]. %s", self.queryable_name, old.timestamp,
                        record.timestamp, _where(self.context))
        code = self.store.put(key, record.value, record.timestamp)
        if code != PUT_RETURN_CODE_NOT_PUT:  # a version too old for a versioned table: dropped
            self.forwarder.maybe_forward(record.with_value(
                Change(record.value, value_or_none(old), code == PUT_RETURN_CODE_IS_LATEST)))


# ------------------------------------------------------------------------------------------
# filter, map_values, transform_values


class _MaterializingProcessor(Processor):
    """Shared by filter/map_values/transform_values: optional own store and forwarder."""

    def __init__(self, supplier: Any) -> None:
        self.supplier = supplier
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: Any) -> None:
        self.context = context
        name = self.supplier.queryable_name
        if name is not None:
            raw = context.get_state_store(name)
            self.store = KeyValueStoreWrapper(raw)
            self.forwarder = TupleForwarder(raw, context, self.supplier.send_old_values)

    def _old_value(self, key: Any, change: Change) -> Any:
        """The old value to send with an update: this table's stored one when materialized,
        else the parent's old value computed through this table; None without old values."""
        if not self.supplier.send_old_values:
            return None
        if self.store is not None:
            return value_or_none(self.store.get(key))
        return self.supplier.compute(key, change.old_value)

    def _emit(self, record: Record, new: Any, old: Any) -> None:
        if self.store is not None:
            code = self.store.put(record.key, new, record.timestamp)
            if code != PUT_RETURN_CODE_NOT_PUT:
                self.forwarder.maybe_forward(record.with_value(
                    Change(new, old, code == PUT_RETURN_CODE_IS_LATEST)))
        else:
            self.context.forward(record.with_value(Change(new, old, record.value.is_latest)))


class _DerivedTableSupplier(_NoPickleParent):
    """A KTable computed from its parent (filter, map_values, transform_values).

    Materialized (``queryable_name``), it reads its own store and always sends old values;
    otherwise its value getter computes through the parent's, and it sends old values only
    when the parent can.
    """

    queryable_name: str | None
    send_old_values: bool

    def _getter(self) -> type:
        raise NotImplementedError

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        if self.queryable_name is not None:
            self.send_old_values = True
            return True
        if self._parent is not None and self._parent.enable_send_old_values(force_materialization):
            self.send_old_values = True
        return self.send_old_values

    def view(self) -> Any:
        if self.queryable_name is not None:
            return MaterializedValueGetterSupplier(self.queryable_name)
        return _ComputedGetterSupplier(self._parent.value_getter_supplier(), self._getter(),
                                       self)


class KTableFilterSupplier(_DerivedTableSupplier):
    """``KTable.filter``/``filter_not`` (Kafka's KTableFilter).

    A value that stops passing becomes a tombstone downstream; with old values on, an update
    where neither the new nor the old value passes is not forwarded at all.
    """

    def __init__(self, parent: Any, predicate: Callable[[Any, Any], bool], filter_not: bool,
                 queryable_name: str | None, send_old_values: bool) -> None:
        self._parent = parent
        self.predicate = predicate
        self.filter_not = filter_not
        self.queryable_name = queryable_name
        #: downstream of a versioned table every update goes on, even a delete of nothing
        self.use_versioned_semantics = False
        self.send_old_values = send_old_values

    def passes(self, key: Any, value: Any) -> bool:
        return self.filter_not ^ bool(self.predicate(key, value))

    def compute(self, key: Any, value: Any) -> Any:
        if value is not None and self.passes(key, value):
            return value
        return None

    def _getter(self) -> type:
        return _FilterGetter

    def __call__(self) -> KTableFilterProcessor:
        return KTableFilterProcessor(self)


class KTableFilterProcessor(_MaterializingProcessor):
    def process(self, record: Record) -> None:
        s = self.supplier
        key, change = record.key, record.value
        new = s.compute(key, change.new_value)
        old = self._old_value(key, change)
        if s.send_old_values and old is None and new is None and not s.use_versioned_semantics:
            return
        self._emit(record, new, old)


class KTableMapValuesSupplier(_DerivedTableSupplier):
    """``KTable.map_values`` (Kafka's KTableMapValues); the mapper is never called with None."""

    def __init__(self, parent: Any, mapper: Callable[..., Any], with_key: bool,
                 queryable_name: str | None) -> None:
        self._parent = parent
        self.mapper = mapper
        self.with_key = with_key
        self.queryable_name = queryable_name
        self.send_old_values = False

    def apply(self, key: Any, value: Any) -> Any:
        return self.mapper(key, value) if self.with_key else self.mapper(value)

    def compute(self, key: Any, value: Any) -> Any:
        return None if value is None else self.apply(key, value)

    def _getter(self) -> type:
        return _MapValuesGetter

    def __call__(self) -> KTableMapValuesProcessor:
        return KTableMapValuesProcessor(self)


class KTableMapValuesProcessor(_MaterializingProcessor):
    def process(self, record: Record) -> None:
        s = self.supplier
        key, change = record.key, record.value
        self._emit(record, s.compute(key, change.new_value), self._old_value(key, change))


def _new_transformer(supplier: Callable[[], Any]) -> Any:
    transformer = supplier()
    if callable(transformer) and not hasattr(transformer, "transform"):
        return _FunctionTransformer(transformer)
    if not callable(getattr(transformer, "transform", None)):
        raise StreamsException(f"transform_values() supplier returned {transformer!r}: expected "
                               f"an object with transform(key, value) (a ValueTransformerWithKey)")
    return transformer


class _FunctionTransformer:
    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self.fn = fn

    def init(self, context: Any) -> None:
        pass

    def transform(self, key: Any, value: Any) -> Any:
        return self.fn(key, value)

    def close(self) -> None:
        pass


class ForwardingDisabledContext:
    """The context a value transformer sees: everything but ``forward`` (Kafka's same-named)."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def forward(self, *args: Any, **kwargs: Any) -> None:
        raise StreamsException("ValueTransformer.transform() must return the new value; "
                               "forward() is not allowed in transform_values()")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class KTableTransformValuesSupplier(_DerivedTableSupplier):
    """``KTable.transform_values`` (Kafka's KTableTransformValues).

    ``transformer_supplier()`` returns an object with ``init(context)``, ``transform(key,
    value)`` and ``close()`` (or a plain ``(key, value)`` function). It is called with a
    None value too (tombstones), as Kafka does.
    """

    def __init__(self, parent: Any, transformer_supplier: Callable[[], Any],
                 queryable_name: str | None) -> None:
        self._parent = parent
        self.transformer_supplier = transformer_supplier
        self.queryable_name = queryable_name
        self.send_old_values = False

    def _getter(self) -> type:
        return _TransformValuesGetter

    def __call__(self) -> KTableTransformValuesProcessor:
        return KTableTransformValuesProcessor(self)


class KTableTransformValuesProcessor(_MaterializingProcessor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.transformer = _new_transformer(self.supplier.transformer_supplier)
        self.transformer.init(ForwardingDisabledContext(context))

    def process(self, record: Record) -> None:
        key, change = record.key, record.value
        new = self.transformer.transform(key, change.new_value)
        if self.store is not None:
            old = value_or_none(self.store.get(key)) if self.supplier.send_old_values else None
        else:
            old = self.transformer.transform(key, change.old_value) if self.supplier.send_old_values else None
        self._emit(record, new, old)

    def close(self) -> None:
        self.transformer.close()


class _TransformValuesGetter:
    def __init__(self, parent: Any, supplier: KTableTransformValuesSupplier) -> None:
        self.parent = parent
        self.transformer = _new_transformer(supplier.transformer_supplier)
        self.context: Any = None

    def init(self, context: Any) -> None:
        self.context = context
        self.parent.init(context)
        self.transformer.init(ForwardingDisabledContext(context))

    def is_versioned(self) -> bool:
        return _is_versioned(self.parent)

    def get(self, key: Any, as_of_timestamp: int | None = None) -> Any:
        vat = _parent_get(self.parent, key, as_of_timestamp)
        ctx = self.context
        current = ctx.record_context
        ts = UNKNOWN_TIMESTAMP if vat is None else vat.timestamp
        ctx.record_context = RecordContext(ts, -1, -1, None, Headers())
        try:
            value = self.transformer.transform(key, value_or_none(vat))
        finally:
            ctx.record_context = current
        return ValueAndTimestamp.make(value, ts)

    def close(self) -> None:
        self.parent.close()
        self.transformer.close()


# ------------------------------------------------------------------------------------------
# to_stream, group_by's map, pass-through


class KTableToStreamProcessor(Processor):
    """``KTable.to_stream()``: forwards each update's new value (None for a delete)."""

    def init(self, context: Any) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        change = record.value
        self.context.forward(_record(record.key, change.new_value if isinstance(change, Change)
                                     else change, record.timestamp, record.headers))


class KTableRepartitionMapSupplier(_NoPickleParent):
    """``KTable.group_by``'s selector (Kafka's KTableRepartitionMap).

    Maps the new and the old value to ``(key, value)`` pairs; when both land on the same key,
    one ``Change(new, old)`` goes out, otherwise the old pair as ``Change(None, old)`` and
    then the new pair as ``Change(new, None)``. Pairs with a None key or value are dropped.
    """

    def __init__(self, parent: Any, mapper: Callable[[Any, Any], Any],
                 change_serde: Any = None) -> None:
        self._parent = parent
        self.mapper = mapper
        self.change_serde = change_serde
        self.use_versioned_semantics = False

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        raise StreamsException("KTableRepartitionMap should always require sending old values.")

    def view(self) -> Any:
        return _RepartitionMapView(self._parent.value_getter_supplier(), self.mapper)

    def __call__(self) -> KTableRepartitionMapProcessor:
        processor = KTableRepartitionMapProcessor(self.mapper, self.change_serde)
        processor.use_versioned_semantics = self.use_versioned_semantics
        return processor


def _pair(result: Any) -> tuple[Any, Any] | None:
    if result is None:
        return None
    try:
        key, value = result
    except (TypeError, ValueError):
        raise StreamsException(f"group_by()'s selector must return a (key, value) pair, "
                               f"got {result!r}") from None
    return key, value


class KTableRepartitionMapProcessor(Processor):
    def __init__(self, mapper: Callable[[Any, Any], Any], change_serde: Any) -> None:
        self.mapper = mapper
        self.change_serde = change_serde
        self.use_versioned_semantics = False

    def init(self, context: Any) -> None:
        self.context = context
        if self.change_serde is not None:
            self.change_serde.set_if_unset_from(context)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            raise StreamsException("Record key for the grouping KTable should not be null.")
        change = record.value
        if self.use_versioned_semantics and not change.is_latest:
            # an aggregate of a versioned table counts its latest versions only
            return
        new_pair = None if change.new_value is None else _pair(self.mapper(key, change.new_value))
        old_pair = None if change.old_value is None else _pair(self.mapper(key, change.old_value))
        old_ok = old_pair is not None and old_pair[0] is not None and old_pair[1] is not None
        new_ok = new_pair is not None and new_pair[0] is not None and new_pair[1] is not None
        forward = self.context.forward
        ts, headers = record.timestamp, record.headers
        if old_ok and new_ok and old_pair[0] == new_pair[0]:
            forward(_record(old_pair[0], Change(new_pair[1], old_pair[1]), ts, headers))
            return
        if old_ok:
            forward(_record(old_pair[0], Change(None, old_pair[1]), ts, headers))
        if new_ok:
            forward(_record(new_pair[0], Change(new_pair[1], None), ts, headers))


class _RepartitionMapView:
    def __init__(self, parent: Any, mapper: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.mapper = mapper

    def get(self) -> Any:
        return _RepartitionMapGetter(self.parent.get(), self.mapper)

    def store_names(self) -> list[str]:
        raise StreamsException("Underlying state store not accessible due to repartitioning.")


class _RepartitionMapGetter:
    def __init__(self, parent: Any, mapper: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.mapper = mapper
        self.context: Any = None

    def init(self, context: Any) -> None:
        self.context = context
        self.parent.init(context)

    def get(self, key: Any) -> Any:
        vat = self.parent.get(key)
        ts = vat.timestamp if vat is not None else self.context.record_context.timestamp
        return ValueAndTimestamp.make(self.mapper(key, value_or_none(vat)), ts)

    def close(self) -> None:
        self.parent.close()


class KTablePassThroughSupplier:
    """The merge node of a cogroup: forwards; reads from the shared aggregate store."""

    def __init__(self, parents: list[Any], store_name: str) -> None:
        self.parents = parents
        self.store_name = store_name

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        for parent in self.parents:
            parent.enable_send_old_values(force_materialization)
        return True

    def view(self) -> MaterializedValueGetterSupplier:
        return MaterializedValueGetterSupplier(self.store_name)

    def __call__(self) -> KTablePassThroughProcessor:
        return KTablePassThroughProcessor()


class KTablePassThroughProcessor(Processor):
    def init(self, context: Any) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        self.context.forward(record)


# ------------------------------------------------------------------------------------------
# the value serde of a grouped table's repartition topic


def _zigzag_varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 31)
    out = bytearray()
    while z & ~0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _read_zigzag_varint(data: bytes) -> tuple[int, int]:
    value = shift = pos = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    return (value >> 1) ^ -(value & 1), pos


class ChangeSerde:
    """``Change`` values on a repartition topic (Kafka's ChangedSerializer/Deserializer, 3.5+).

    ``[new]1``, ``[old]0``, or ``[varint len(new)][new][old]2``. ``inner`` None means the
    config's default value serde; processors next to the topic fill it in at ``init``
    (``set_if_unset_from``), as Kafka's ``WrappingNullableSerde.setIfUnset`` does.
    """

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner

    def set_if_unset_from(self, context: Any) -> None:
        if self.inner is None:
            config = getattr(context, "config", None)
            default = getattr(config, "default_value_serde", None)
            if callable(default):
                self.inner = default()
            else:
                from raystreams.serde import Serdes

                self.inner = Serdes.String()

    def _inner(self) -> Any:
        if self.inner is None:
            from raystreams.serde import Serdes

            self.inner = Serdes.String()
        return self.inner

    def serialize(self, topic: str, data: Change | None) -> bytes | None:
        if data is None:
            return None
        inner = self._inner()
        new = None if data.new_value is None else inner.serialize(topic, data.new_value)
        old = None if data.old_value is None else inner.serialize(topic, data.old_value)
        if new is not None and old is not None:
            return _zigzag_varint(len(new)) + new + old + b"\x02"
        if new is not None:
            return new + b"\x01"
        if old is not None:
            return old + b"\x00"
        raise StreamsException("Both old and new values are null in ChangeSerializer, which is "
                               "not allowed.")

    def deserialize(self, topic: str, data: bytes | None) -> Change | None:
        if data is None:
            return None
        inner = self._inner()
        flag = data[-1]
        if flag in (0, 3):
            end = len(data) - (1 if flag == 0 else 2)
            return Change(None, inner.deserialize(topic, data[:end]))
        if flag in (1, 4):
            end = len(data) - (1 if flag == 1 else 2)
            return Change(inner.deserialize(topic, data[:end]), None)
        if flag in (2, 5):
            length, pos = _read_zigzag_varint(data)
            end = len(data) - (1 if flag == 2 else 2)
            return Change(inner.deserialize(topic, data[pos:pos + length]),
                          inner.deserialize(topic, data[pos + length:end]))
        raise StreamsException(f"Invalid encoding flag {flag} of a Change value on {topic}")
