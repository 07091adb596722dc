"""What the windowed aggregations share (Kafka's ``AbstractKStreamTimeWindowAggregateProcessor``
and the helpers of ``KStreamWindowAggregate`` / ``KStreamSessionWindowAggregate``): the store,
observed stream time, the forwarder, emit-final's wall-clock throttle and the last emitted
window close time kept in the committed processor metadata, and the dropped-record logs."""

from __future__ import annotations

import logging
from typing import Any

from raystreams.config.keys import EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION
from raystreams.errors import InvalidStateStoreException
from raystreams.processor.api import Processor, Record, _record
from raystreams.processor.change import Change
from raystreams.processor.dropped import count_dropped, skip_record, task_prefix, where
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.windowed import Windowed

log = logging.getLogger(__name__)

#: Kafka's default of its internal emit interval: the least wall-clock ms between two emit-final checks
DEFAULT_EMIT_INTERVAL_MS = 1000
NO_TIMESTAMP = -1
ON_WINDOW_CLOSE = "ON_WINDOW_CLOSE"


def emit_interval_ms(context: Any) -> int:
    try:
        configs = context.app_configs
    except Exception:  # noqa: BLE001 - a context without configs: Kafka's default
        return DEFAULT_EMIT_INTERVAL_MS
    value = configs.get(EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION)
    if value is None:
        return DEFAULT_EMIT_INTERVAL_MS
    return int(value)


def log_null_key(context: Any, what: str = "null key") -> None:
    skip_record(log, context, what)


def log_expired(context: Any, timestamp: int, window: str, close_time: int,
                 stream_time: int) -> None:
    log.warning("%sSkipping record for expired window. %s timestamp=[%d] window=%s "
                "expiration=[%d] streamTime=[%d]", task_prefix(context), where(context),
                timestamp, window, close_time, stream_time)
    count_dropped(context)


def get_store(context: Any, name: str, kind: str) -> Any:
    store = context.get_state_store(name)
    if store is None:
        raise InvalidStateStoreException(f"{kind} state store {name} not found")
    return store


class StoreValueGetter:
    """A windowed table's value getter over its store (Kafka's
    ``KTableMaterializedValueGetterSupplier`` for window and session stores)."""

    __slots__ = ("store_name", "store")
    _kind = "Windowed-KTable"

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store: Any = None

    def init(self, context: Any) -> None:
        self.store = get_store(context, self.store_name, self._kind)

    def close(self) -> None:
        pass


def last_emit(context: Any, store_name: str) -> int:
    """The close time of the last emit-final before a restart, from the committed processor
    metadata (Kafka keys it by the store's name)."""
    getter = getattr(context, "processor_metadata_for_key", None)
    value = getter(store_name) if getter is not None else None
    return NO_TIMESTAMP if value is None else value


def remember_emit(context: Any, store_name: str, window_close_time: int) -> None:
    adder = getattr(context, "add_processor_metadata_key_value", None)
    if adder is not None:
        adder(store_name, window_close_time)


class WindowedAggregateProcessor(Processor):
    """What the time, sliding and session window aggregations share: their store, stream time
    and forwarder, and emit-final's throttle and last emitted close time."""

    _table_kind = "Windowed-KTable"
    _forwarder_cls: type[TupleForwarder] = TupleForwarder

    def __init__(self, supplier: Any) -> None:
        self.supplier = supplier
        self.windows = supplier.windows
        self.initializer = supplier.initializer
        self.aggregator = supplier.aggregator
        self.emit_final = supplier.emit_final
        self.send_old_values = supplier.send_old_values
        self.observed_stream_time = NO_TIMESTAMP
        self.last_emit_window_close_time = NO_TIMESTAMP
        self.next_time_to_emit = 0
        self.emit_interval = DEFAULT_EMIT_INTERVAL_MS
        self.context: Any = None
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: Any) -> None:
        self.context = context
        self.store = get_store(context, self.supplier.store_name, self._table_kind)
        if self.emit_final:  # emit-final forwards itself, never through the cache
            self.last_emit_window_close_time = last_emit(context, self.supplier.store_name)
            self.emit_interval = emit_interval_ms(context)
            self.forwarder = self._forwarder_cls(None, context, self.send_old_values)
        else:
            self.forwarder = self._forwarder_cls(self.store, context, self.send_old_values)


class TimeWindowProcessorBase(WindowedAggregateProcessor):
    """Kafka's ``AbstractKStreamTimeWindowAggregateProcessor``: stream time, forwarding, emit-final."""

    def _forward_update(self, record: Record, window: Any, old_agg: Any, new_agg: Any,
                        timestamp: int) -> None:
        if self.emit_final:
            return
        self.forwarder.maybe_forward(_record(
            Windowed(record.key, window),
            Change(new_agg, old_agg if self.send_old_values else None),
            timestamp, record.headers))

    def _should_emit_final(self, window_close_time: int) -> bool:
        if not self.emit_final:
            return False
        now = self.context.current_system_time_ms()
        if now < self.next_time_to_emit:
            return False
        self.next_time_to_emit = now + self.emit_interval
        return (self.last_emit_window_close_time == NO_TIMESTAMP
                or self.last_emit_window_close_time < window_close_time)

    def _maybe_forward_final(self, record: Record, window_close_time: int) -> None:
        if not self._should_emit_final(window_close_time):
            return
        upper = self._emit_upper(window_close_time)
        if upper < 0:
            return  # no window has closed yet
        lower = self._emit_lower(window_close_time)
        if self._should_range_fetch(lower, upper):
            self._fetch_and_emit(record, window_close_time, lower, upper)

    def _fetch_and_emit(self, record: Record, window_close_time: int, lower: int,
                        upper: int) -> None:
        forward = self.forwarder.maybe_forward
        headers = record.headers
        with self.store.fetch_all(lower, upper) as it:
            for key, vat in it:
                forward(_record(key, Change(vat.value, None), vat.timestamp, headers))
        self.last_emit_window_close_time = window_close_time
        remember_emit(self.context, self.supplier.store_name, window_close_time)

    def _emit_lower(self, window_close_time: int) -> int:
        raise NotImplementedError

    def _emit_upper(self, window_close_time: int) -> int:
        raise NotImplementedError

    def _should_range_fetch(self, lower: int, upper: int) -> bool:
        return True
