"""Windowed aggregation processors: time (tumbling/hopping), sliding and session windows.

Ports of Kafka Streams' ``KStreamWindowAggregate``, ``KStreamSlidingWindowAggregate`` and
``KStreamSessionWindowAggregate`` (with ``AbstractKStreamTimeWindowAggregateProcessor``):

- each processor tracks its own *observed stream time* (the largest timestamp it has seen);
- a record whose windows all closed (window end at or before ``stream time - grace``) is
  dropped, counted in ``task.metrics.records_dropped`` and logged at WARN (without the record);
- results are ``Record(Windowed(key, window), Change(new, old))``: through the store's record
  cache and its flush listener when caching is on, forwarded directly otherwise (Kafka's
  ``TimestampedTupleForwarder`` + ``TimestampedCacheFlushListener``/``SessionCacheFlushListener``);
- with ``EmitStrategy.on_window_close()`` nothing is forwarded per update; instead, after each
  record, windows that closed since the last emission are read back from the store and
  forwarded once (Kafka's emit-final path, throttled by wall-clock time: the internal config
  ``__emit.interval.ms.kstreams.windowed.aggregation__``, 1000 ms by default).

Every supplier is also a KTable processor supplier: ``view()`` gives a value getter over the
window/session store, ``enable_send_old_values`` turns on old values in the ``Change``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from raystreams.config.keys import EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION
from raystreams.errors import InvalidStateStoreException, StreamsException
from raystreams.processor.api import Headers, Processor, Record, _record
from raystreams.processor.change import Change
from raystreams.processor.dropped import count_dropped, skip_record, task_prefix, where
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.processor.ktable.getters import MaterializedValueGetterSupplier
from raystreams.state.types import ValueAndTimestamp
from raystreams.windowed import SessionWindow, TimeWindow, Windowed

__all__ = [
    "KStreamSessionWindowAggregate",
    "KStreamSlidingWindowAggregate",
    "KStreamWindowAggregate",
    "SessionTupleForwarder",
]

log = logging.getLogger(__name__)

"""Kafka's internal config: the least wall-clock ms between two emit-final checks."""
DEFAULT_EMIT_INTERVAL_MS = 1000
NO_TIMESTAMP = -1
ON_WINDOW_CLOSE = "ON_WINDOW_CLOSE"


def _emit_interval(context: Any) -> int:
    try:
        configs = context.app_configs
    except Exception:  # noqa: BLE001 - a context without configs: Kafka's default
        return DEFAULT_EMIT_INTERVAL_MS
    value = configs.get(EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION)
    if value is None:
        return DEFAULT_EMIT_INTERVAL_MS
    return int(value)


def _log_null_key(context: Any, what: str = "null key") -> None:
    skip_record(log, context, what)


def _log_expired(context: Any, timestamp: int, window: str, close_time: int,
                 stream_time: int) -> None:
    log.warning("%sSkipping record for expired window. %s timestamp=[%d] window=%s "
                "expiration=[%d] streamTime=[%d]", task_prefix(context), where(context),
                timestamp, window, close_time, stream_time)
    count_dropped(context)


def _get_store(context: Any, name: str, kind: str) -> Any:
    store = context.get_state_store(name)
    if store is None:
        raise InvalidStateStoreException(f"{kind} state store {name} not found")
    return store


# ----------------------------------------------------------------------------- forwarding
# Time windows forward through processor.ktable's TupleForwarder (Kafka's
# TimestampedTupleForwarder + TimestampedCacheFlushListener): the window store holds
# ValueAndTimestamp values. Session stores hold plain aggregates and their results carry the
# session end as timestamp (Kafka's SessionCacheFlushListener), hence the session variant.
class _SessionFlushListener:
    """Forwards a flushed session-store entry as ``Change`` from the aggregate's node."""

    __slots__ = ("context", "node")

    def __init__(self, context: Any, node: Any) -> None:
        self.context = context
        self.node = node

    def __call__(self, key: Any, new_value: Any, old_value: Any, rc: Any) -> None:
        headers = rc.headers if rc is not None and rc.headers is not None else Headers()
        record = _record(key, Change(new_value, old_value), key.window.end, headers)
        self.context.forward_from(self.node, rc, record)


class SessionTupleForwarder(TupleForwarder):
    """``TupleForwarder`` for session stores (their flush listener stamps the session end)."""

    def __init__(self, store: Any, context: Any, send_old_values: bool) -> None:
        self.context = context
        self.send_old_values = send_old_values
        self.caching = False
        set_listener = getattr(store, "set_flush_listener", None)
        if set_listener is not None:
            listener = _SessionFlushListener(context, context.current_node)
            self.caching = bool(set_listener(listener, send_old_values))


# ----------------------------------------------------------------------------- value getters
class _WindowValueGetter:
    __slots__ = ("store_name", "store")

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store: Any = None

    def init(self, context: Any) -> None:
        self.store = _get_store(context, self.store_name, "Windowed-KTable")

    def get(self, key: Windowed) -> ValueAndTimestamp | None:
        return self.store.fetch(key.key, key.window.start)

    def close(self) -> None:
        pass


class _SessionValueGetter:
    __slots__ = ("store_name", "store")

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store: Any = None

    def init(self, context: Any) -> None:
        self.store = _get_store(context, self.store_name, "Session-KTable")

    def get(self, key: Windowed) -> ValueAndTimestamp | None:
        w = key.window
        value = self.store.fetch_session(key.key, w.start, w.end)
        return ValueAndTimestamp.make(value, w.end)

    def close(self) -> None:
        pass


# ----------------------------------------------------------------------------- suppliers
class _AggregateSupplier:
    """What the three windowed suppliers share: store name, functions, old-values switch."""

    def __init__(self, store_name: str, windows: Any, emit_strategy: Any,
                 initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any]) -> None:
        self.store_name = store_name
        self.windows = windows
        self.emit_final = getattr(emit_strategy, "type", emit_strategy) == ON_WINDOW_CLOSE
        self.initializer = initializer
        self.aggregator = aggregator
        self.send_old_values = False

    def enable_send_old_values(self, force_materialization: bool = True) -> bool:
        """Forward ``Change(new, old)`` with the old value (the store always holds it)."""
        self.send_old_values = True
        return True

    def view(self) -> Any:
        return MaterializedValueGetterSupplier(self.store_name, _WindowValueGetter)

    def __call__(self) -> Processor:
        raise NotImplementedError


class KStreamWindowAggregate(_AggregateSupplier):
    """Supplier of the time-window (tumbling, hopping) aggregate processor."""

    def __init__(self, store_name: str, windows: Any, emit_strategy: Any,
                 initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name, windows, emit_strategy, initializer, aggregator)

    def __call__(self) -> Processor:
        return _TimeWindowAggregateProcessor(self)


class KStreamSlidingWindowAggregate(_AggregateSupplier):
    """Supplier of the sliding-window aggregate processor."""

    def __call__(self) -> Processor:
        return _SlidingWindowAggregateProcessor(self)


class KStreamSessionWindowAggregate(_AggregateSupplier):
    """Supplier of the session-window aggregate processor; ``merger`` joins two sessions."""

    def __init__(self, store_name: str, windows: Any, emit_strategy: Any,
                 initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any],
                 merger: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name, windows, emit_strategy, initializer, aggregator)
        self.merger = merger

    def view(self) -> Any:
        return MaterializedValueGetterSupplier(self.store_name, _SessionValueGetter)

    def __call__(self) -> Processor:
        return _SessionWindowAggregateProcessor(self)


# ----------------------------------------------------------------------------- processors
def _last_emit(context: Any, store_name: str) -> int:
    """The close time of the last emit-final before a restart, from the committed processor
    metadata (Kafka keys it by the store's name)."""
    getter = getattr(context, "processor_metadata_for_key", None)
    value = getter(store_name) if getter is not None else None
    return NO_TIMESTAMP if value is None else value


def _remember_emit(context: Any, store_name: str, window_close_time: int) -> None:
    adder = getattr(context, "add_processor_metadata_key_value", None)
    if adder is not None:
        adder(store_name, window_close_time)


class _WindowedAggregateProcessor(Processor):
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
        self.store = _get_store(context, self.supplier.store_name, self._table_kind)
        if self.emit_final:  # emit-final forwards itself, never through the cache
            self.last_emit_window_close_time = _last_emit(context, self.supplier.store_name)
            self.emit_interval = _emit_interval(context)
            self.forwarder = self._forwarder_cls(None, context, self.send_old_values)
        else:
            self.forwarder = self._forwarder_cls(self.store, context, self.send_old_values)


class _TimeWindowProcessorBase(_WindowedAggregateProcessor):
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
        _remember_emit(self.context, self.supplier.store_name, window_close_time)

    def _emit_lower(self, window_close_time: int) -> int:
        raise NotImplementedError

    def _emit_upper(self, window_close_time: int) -> int:
        raise NotImplementedError

    def _should_range_fetch(self, lower: int, upper: int) -> bool:
        return True


class _TimeWindowAggregateProcessor(_TimeWindowProcessorBase):
    """Tumbling and hopping windows (Kafka's ``KStreamWindowAggregateProcessor``)."""

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            _log_null_key(self.context)
            return
        timestamp = record.timestamp
        if timestamp > self.observed_stream_time:
            self.observed_stream_time = timestamp
        window_close_time = self.observed_stream_time - self.windows.grace_ms
        store = self.store
        for start, window in self.windows.windows_for(timestamp).items():
            if window.end > window_close_time:
                old = store.fetch(key, start)
                if old is None or old.value is None:
                    old_agg = self.initializer()
                    new_ts = timestamp
                else:
                    old_agg = old.value
                    new_ts = max(timestamp, old.timestamp)
                new_agg = self.aggregator(key, record.value, old_agg)
                store.put(key, ValueAndTimestamp.make(new_agg, new_ts), start)
                self._forward_update(record, window, old_agg, new_agg, new_ts)
            else:
                _log_expired(self.context, timestamp, f"[{start},{window.end})",
                             window_close_time, self.observed_stream_time)
        self._maybe_forward_final(record, window_close_time)

    def _emit_lower(self, window_close_time: int) -> int:
        if self.last_emit_window_close_time == NO_TIMESTAMP:
            return 0
        return max(0, self.last_emit_window_close_time - self.windows.size_ms) + 1

    def _emit_upper(self, window_close_time: int) -> int:
        return window_close_time - self.windows.size_ms

    def _should_range_fetch(self, lower: int, upper: int) -> bool:
        # Skip the fetch when the closed range does not reach a new window.
        if self.last_emit_window_close_time != NO_TIMESTAMP:
            closing = self.windows.windows_for(upper)
            emitted = self.windows.windows_for(lower - 1) if lower - 1 >= 0 else {}
            if list(closing) == list(emitted):
                return False
        return True


class _SlidingWindowAggregateProcessor(_TimeWindowProcessorBase):
    """Sliding windows (Kafka's ``KStreamSlidingWindowAggregateProcessor``)."""

    reverse_possible: bool | None = None

    def process(self, record: Record) -> None:
        if record.key is None or record.value is None:
            _log_null_key(self.context, "null key or value")
            return
        timestamp = record.timestamp
        if timestamp > self.observed_stream_time:
            self.observed_stream_time = timestamp
        close_time = self.observed_stream_time - self.windows.grace_ms
        diff = self.windows.time_difference_ms
        if timestamp + diff < close_time:
            _log_expired(self.context, timestamp, f"[{timestamp},{timestamp + diff}]", close_time,
                         self.observed_stream_time)
            return
        if timestamp < diff:
            self._process_early(record, close_time)
            return
        if self.reverse_possible is None:
            self.reverse_possible = callable(getattr(self.store, "backward_fetch", None))
        if self.reverse_possible:
            self._process_reverse(record, close_time)
        else:
            self._process_in_order(record, close_time)
        self._maybe_forward_final(record, close_time)

    def _process_in_order(self, record: Record, close_time: int) -> None:
        """For stores without backward iteration (Kafka's processInOrder)."""
        key, timestamp = record.key, record.timestamp
        diff = self.windows.time_difference_ms
        starts: set[int] = set()
        left_agg = right_agg = None
        left_created = right_created = False
        previous_ts: int | None = None
        with self.store.fetch(key, key, max(0, timestamp - 2 * diff), timestamp + 1) as it:
            for wkey, vat in it:
                start = wkey.window.start
                starts.add(start)
                end = start + diff
                max_ts = vat.timestamp
                if end < timestamp:
                    left_agg = vat
                    previous_ts = max_ts
                elif end == timestamp:
                    left_created = True
                    if max_ts < timestamp:
                        previous_ts = max_ts
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif end > timestamp and start <= timestamp:
                    right_agg = vat
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif start == timestamp + 1:
                    right_created = True
                else:
                    raise StreamsException("Unexpected window found when processing sliding windows",
                                           processor=self.context.current_node_name)
        self._create_windows(record, close_time, starts, right_agg, left_agg, left_created,
                             right_created, previous_ts)

    def _process_reverse(self, record: Record, close_time: int) -> None:
        key, timestamp = record.key, record.timestamp
        diff = self.windows.time_difference_ms
        starts: set[int] = set()
        left_agg = right_agg = None
        left_created = right_created = False
        previous_ts: int | None = None
        with self.store.backward_fetch(key, key, max(0, timestamp - 2 * diff),
                                       timestamp + 1) as it:
            for wkey, vat in it:
                start = wkey.window.start
                starts.add(start)
                end = start + diff
                max_ts = vat.timestamp
                if start == timestamp + 1:
                    right_created = True
                elif end > timestamp:
                    if right_agg is None:
                        right_agg = vat
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif end == timestamp:
                    left_created = True
                    self._update_and_forward(wkey.window, vat, record, close_time)
                    if max_ts < timestamp:
                        previous_ts = max_ts
                    else:
                        return  # the record's windows all exist already
                else:  # end < timestamp
                    left_agg = vat
                    previous_ts = max_ts
                    break
        self._create_windows(record, close_time, starts, right_agg, left_agg, left_created,
                             right_created, previous_ts)

    def _process_early(self, record: Record, close_time: int) -> None:
        key, timestamp = record.key, record.timestamp
        diff = self.windows.time_difference_ms
        combined = None
        right_agg = None
        right_created = False
        starts: set[int] = set()
        previous_ts: int | None = None
        with self.store.fetch(key, key, 0, timestamp + 1) as it:
            for wkey, vat in it:
                start = wkey.window.start
                starts.add(start)
                if start == 0:
                    combined = (wkey, vat)
                    if vat.timestamp < timestamp:
                        previous_ts = vat.timestamp
                elif start <= timestamp:
                    right_agg = vat
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif start == timestamp + 1:
                    right_created = True
                else:
                    raise StreamsException("Unexpected window found when processing sliding windows",
                                           processor=self.context.current_node_name)
        if right_agg is None and combined is not None and combined[1].timestamp > timestamp:
            right_agg = combined[1]
        if not right_created and self._right_not_empty(right_agg, timestamp):
            self._create_current_right(timestamp, right_agg, record)
        if previous_ts is not None and previous_ts + 1 not in starts:
            self._create_previous_right(previous_ts + 1, record, close_time)
        if combined is None:
            self._update_and_forward(TimeWindow(0, diff),
                                     ValueAndTimestamp(self.initializer(), timestamp), record,
                                     close_time)
        else:
            self._update_and_forward(combined[0].window, combined[1], record, close_time)

    def _create_windows(self, record: Record, close_time: int, starts: set[int], right_agg: Any,
                        left_agg: Any, left_created: bool, right_created: bool,
                        previous_ts: int | None) -> None:
        timestamp = record.timestamp
        diff = self.windows.time_difference_ms
        if previous_ts is not None:
            previous_right_start = previous_ts + 1
            if previous_right_start not in starts and previous_right_start + diff >= timestamp:
                self._create_previous_right(previous_right_start, record, close_time)
        if not left_created:
            if previous_ts is not None and timestamp - diff <= previous_ts:
                vat = ValueAndTimestamp(left_agg.value, timestamp)
            else:
                vat = ValueAndTimestamp(self.initializer(), timestamp)
            self._update_and_forward(TimeWindow(timestamp - diff, timestamp), vat, record,
                                     close_time)
        if not right_created and self._right_not_empty(right_agg, timestamp):
            self._create_current_right(timestamp, right_agg, record)

    @staticmethod
    def _right_not_empty(right_agg: Any, timestamp: int) -> bool:
        return right_agg is not None and right_agg.timestamp > timestamp

    def _create_current_right(self, timestamp: int, right_agg: Any, record: Record) -> None:
        diff = self.windows.time_difference_ms
        window = TimeWindow(timestamp + 1, timestamp + 1 + diff)
        self.store.put(record.key, right_agg, window.start)
        self._forward_update(record, window, None, right_agg.value, right_agg.timestamp)

    def _create_previous_right(self, start: int, record: Record, close_time: int) -> None:
        window = TimeWindow(start, start + self.windows.time_difference_ms)
        self._update_and_forward(window, ValueAndTimestamp(self.initializer(), record.timestamp),
                                 record, close_time)

    def _update_and_forward(self, window: Any, vat: Any, record: Record, close_time: int) -> None:
        start, end = window.start, window.end
        if end >= close_time:
            old_agg = None if vat is None else vat.value
            new_agg = self.aggregator(record.key, record.value, old_agg)
            new_ts = record.timestamp if old_agg is None else max(record.timestamp, vat.timestamp)
            self.store.put(record.key, ValueAndTimestamp.make(new_agg, new_ts), start)
            self._forward_update(record, window, old_agg, new_agg, new_ts)
        else:
            _log_expired(self.context, record.timestamp, f"[{start},{end}]", close_time,
                         self.observed_stream_time)

    def _emit_lower(self, window_close_time: int) -> int:
        if self.last_emit_window_close_time == NO_TIMESTAMP:
            return 0
        return max(0, self.last_emit_window_close_time - self.windows.time_difference_ms)

    def _emit_upper(self, window_close_time: int) -> int:
        return window_close_time - self.windows.time_difference_ms - 1


class _SessionWindowAggregateProcessor(_WindowedAggregateProcessor):
    """Session windows with merging (Kafka's ``KStreamSessionWindowAggregateProcessor``).

    A record finds the key's sessions within the gap, merges them with itself, removes the
    merged-away sessions (forwarding a tombstone for each) and stores the merged session.
    """

    _table_kind = "Session-KTable"
    _forwarder_cls = SessionTupleForwarder

    def __init__(self, supplier: KStreamSessionWindowAggregate) -> None:
        super().__init__(supplier)
        self.merger = supplier.merger

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            _log_null_key(self.context)
            return
        timestamp = record.timestamp
        if timestamp > self.observed_stream_time:
            self.observed_stream_time = timestamp
        gap = self.windows.gap_ms
        close_time = self.observed_stream_time - self.windows.grace_ms - gap
        merged: list[tuple[Windowed, Any]] = []
        new_window = SessionWindow(timestamp, timestamp)
        start, end = timestamp, timestamp
        agg = self.initializer()
        with self.store.find_sessions(key, timestamp - gap, timestamp + gap) as it:
            for skey, value in it:
                merged.append((skey, value))
                agg = self.merger(key, agg, value)
                w = skey.window
                if w.start < start:
                    start = w.start
                if w.end > end:
                    end = w.end
        merged_window = new_window if (start, end) == (timestamp, timestamp) \
            else SessionWindow(start, end)
        if end < close_time:
            _log_expired(self.context, timestamp, f"[{start},{end}]", close_time,
                         self.observed_stream_time)
        else:
            if merged_window != new_window:
                for skey, value in merged:
                    self.store.remove(skey)
                    self._forward_update(skey, value, None)
            agg = self.aggregator(key, record.value, agg)
            session_key = Windowed(key, merged_window)
            self.store.put(session_key, agg)
            self._forward_update(session_key, None, agg)
        self._maybe_forward_final(record, close_time)

    def _forward_update(self, key: Windowed, old_agg: Any, new_agg: Any) -> None:
        if self.emit_final:
            return
        # Kafka builds a new Record here: no headers
        self.forwarder.maybe_forward(_record(
            key, Change(new_agg, old_agg if self.send_old_values else None), key.window.end,
            Headers()))

    def _maybe_forward_final(self, record: Record, window_close_time: int) -> None:
        if not self.emit_final:
            return
        now = self.context.current_system_time_ms()
        if now < self.next_time_to_emit:
            return
        self.next_time_to_emit = now + self.emit_interval
        if not (self.last_emit_window_close_time == NO_TIMESTAMP
                or self.last_emit_window_close_time < window_close_time):
            return
        upper = window_close_time - 1
        if upper < 0:
            return
        lower = max(0, self.last_emit_window_close_time)
        if upper < lower:
            return
        forward = self.forwarder.maybe_forward
        with self.store.find_sessions(lower, upper) as it:
            for skey, value in it:
                forward(_record(skey, Change(value, None), skey.window.end, record.headers))
        self.last_emit_window_close_time = window_close_time
        _remember_emit(self.context, self.supplier.store_name, window_close_time)
