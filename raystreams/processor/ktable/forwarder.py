"""Forwarding a KTable processor's updates, directly or when its store's cache flushes
(Kafka's TimestampedTupleForwarder and TimestampedCacheFlushListener).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raystreams.processor.api import Headers, Record, RecordContext, _record
from raystreams.processor.change import Change
from raystreams.state.types import ValueAndTimestamp


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
        record = _record(key, Change(ValueAndTimestamp.get_value_or_null(new), ValueAndTimestamp.get_value_or_null(old)), ts, headers)
        context.forward_from(node, rc, record)

    return on_flush
