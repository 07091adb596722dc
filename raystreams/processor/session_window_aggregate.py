"""Session-window aggregation (Kafka's ``KStreamSessionWindowAggregate``): merging sessions
within the inactivity gap, forwarding through the session store's cache with the session end
as timestamp (``SessionCacheFlushListener``), and the session value getter."""

from __future__ import annotations

from typing import Any

from raystreams.processor.api import Headers, Record, _record
from raystreams.processor.change import Change
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.processor.window_aggregate_base import (
    NO_TIMESTAMP,
    StoreValueGetter,
    WindowedAggregateProcessor,
    log_expired,
    log_null_key,
    remember_emit,
)
from raystreams.state.types import ValueAndTimestamp
from raystreams.windowed import SessionWindow, Windowed


# Time windows forward through processor.ktable's TupleForwarder (Kafka's
# TimestampedTupleForwarder + TimestampedCacheFlushListener): the window store holds
# ValueAndTimestamp values. Session stores hold plain aggregates and their results carry the
# session end as timestamp (Kafka's SessionCacheFlushListener), hence the session variant.
class SessionFlushListener:
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
            listener = SessionFlushListener(context, context.current_node)
            self.caching = bool(set_listener(listener, send_old_values))


class SessionValueGetter(StoreValueGetter):
    __slots__ = ()
    _kind = "Session-KTable"

    def get(self, key: Windowed) -> ValueAndTimestamp | None:
        w = key.window
        value = self.store.fetch_session(key.key, w.start, w.end)
        return ValueAndTimestamp.make(value, w.end)


class SessionWindowAggregateProcessor(WindowedAggregateProcessor):
    """Session windows with merging (Kafka's ``KStreamSessionWindowAggregateProcessor``).

    A record finds the key's sessions within the gap, merges them with itself, removes the
    merged-away sessions (forwarding a tombstone for each) and stores the merged session.
    """

    _table_kind = "Session-KTable"
    _forwarder_cls = SessionTupleForwarder

    def __init__(self, supplier: Any) -> None:
        super().__init__(supplier)
        self.merger = supplier.merger

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            log_null_key(self.context)
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
            log_expired(self.context, timestamp, f"[{start},{end}]", close_time,
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
        remember_emit(self.context, self.supplier.store_name, window_close_time)
