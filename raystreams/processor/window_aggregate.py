"""Windowed aggregations: the suppliers of time (tumbling/hopping), sliding and session windows,
and the time-window processor (the sliding and session ones are in ``sliding_window_aggregate``
and ``session_window_aggregate``, what all share in ``window_aggregate_base``).

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

from collections.abc import Callable
from typing import Any

from raystreams.processor.api import Processor, Record
from raystreams.processor.ktable.getters import MaterializedValueGetterSupplier
from raystreams.processor.session_window_aggregate import (
    SessionTupleForwarder,
    SessionValueGetter,
    SessionWindowAggregateProcessor,
)
from raystreams.processor.sliding_window_aggregate import SlidingWindowAggregateProcessor
from raystreams.processor.window_aggregate_base import (
    NO_TIMESTAMP,
    ON_WINDOW_CLOSE,
    StoreValueGetter,
    TimeWindowProcessorBase,
    log_expired,
    log_null_key,
)
from raystreams.state.types import ValueAndTimestamp
from raystreams.windowed import Windowed

__all__ = [
    "KStreamSessionWindowAggregate",
    "KStreamSlidingWindowAggregate",
    "KStreamWindowAggregate",
    "SessionTupleForwarder",
]


class WindowValueGetter(StoreValueGetter):
    __slots__ = ()

    def get(self, key: Windowed) -> ValueAndTimestamp | None:
        return self.store.fetch(key.key, key.window.start)


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
        return MaterializedValueGetterSupplier(self.store_name, WindowValueGetter)

    def __call__(self) -> Processor:
        raise NotImplementedError


class KStreamWindowAggregate(_AggregateSupplier):
    """Supplier of the time-window (tumbling, hopping) aggregate processor."""

    def __init__(self, store_name: str, windows: Any, emit_strategy: Any,
                 initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name, windows, emit_strategy, initializer, aggregator)

    def __call__(self) -> Processor:
        return TimeWindowAggregateProcessor(self)


class KStreamSlidingWindowAggregate(_AggregateSupplier):
    """Supplier of the sliding-window aggregate processor."""

    def __call__(self) -> Processor:
        return SlidingWindowAggregateProcessor(self)


class KStreamSessionWindowAggregate(_AggregateSupplier):
    """Supplier of the session-window aggregate processor; ``merger`` joins two sessions."""

    def __init__(self, store_name: str, windows: Any, emit_strategy: Any,
                 initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any],
                 merger: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name, windows, emit_strategy, initializer, aggregator)
        self.merger = merger

    def view(self) -> Any:
        return MaterializedValueGetterSupplier(self.store_name, SessionValueGetter)

    def __call__(self) -> Processor:
        return SessionWindowAggregateProcessor(self)


class TimeWindowAggregateProcessor(TimeWindowProcessorBase):
    """Tumbling and hopping windows (Kafka's ``KStreamWindowAggregateProcessor``)."""

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            log_null_key(self.context)
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
                log_expired(self.context, timestamp, f"[{start},{window.end})",
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
