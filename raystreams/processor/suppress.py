"""``KTable.suppress``: the suppression processor (its buffer store is ``suppress_buffer``).

Ports of Kafka Streams' ``KTableSuppressProcessorSupplier`` and
``InMemoryTimeOrderedKeyValueChangeBuffer``:

- the processor tracks the stream time it has observed (the largest record timestamp) and
  buffers each update by *buffer time*: the window end for ``until_window_closes``, the record
  time for ``until_time_limit``;
- after each record it emits, oldest buffer time first, every entry whose buffer time is at or
  before ``stream time - suppress duration`` (the grace period for window closing, the time
  limit otherwise); then, if the buffer exceeds ``max_records`` / ``max_bytes``, it emits the
  oldest entries (``emit_early_when_full``) or fails the task (``shut_down_when_full``);
- a key buffered again keeps its place in the buffer (Kafka's non-resetting semantics) and
  its first old value ("prior value");
- final-result suppression drops tombstones of keys that were never emitted.

The buffer is an in-memory store, change-logged as Kafka logs it: on flush (commit), each
key changed since the last flush is written to ``<application.id>-<store>-changelog`` as
Kafka's version-3 buffer value (record context, prior/old/new value parts, buffer time), or a
tombstone if it was emitted. A restore reads the same layout back.
"""

from __future__ import annotations

import logging
from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Processor, Record, RecordContext, _record
from raystreams.processor.suppress_buffer import (
    Eviction,
    SuppressBufferBuilder,
    TimeOrderedKeyValueBuffer,
)

__all__ = [
    "KTableSuppressProcessorSupplier",
    "SuppressBufferBuilder",
    "TimeOrderedKeyValueBuffer",
]

log = logging.getLogger(__name__)



# ----------------------------------------------------------------------------- processor
WINDOW_END_TIME = "window_end"
RECORD_TIME = "record_time"


class KTableSuppressProcessorSupplier:
    """KTable processor supplier of ``suppress``.

    Args:
        store_name: The buffer store.
        suppress_ms: How long past its buffer time an entry waits (grace, or the time limit).
        time_definition: ``"window_end"`` or ``"record_time"``: what an entry's buffer time is.
        max_records: Most entries held before the buffer is full.
        max_bytes: Most bytes (Kafka's estimate) held before the buffer is full.
        shut_down_when_full: Fail the task when full (else emit the oldest entries early).
        safe_to_drop_tombstones: Final-result suppression: never forward a deletion.
        parent: The suppressed KTable (for its value getter and old values); not pickled.
    """

    def __init__(self, store_name: str, suppress_ms: int, time_definition: str, max_records: int,
                 max_bytes: int, shut_down_when_full: bool, safe_to_drop_tombstones: bool,
                 parent: Any) -> None:
        self.store_name = store_name
        self.suppress_ms = suppress_ms
        self.time_definition = time_definition
        self.max_records = max_records
        self.max_bytes = max_bytes
        self.shut_down_when_full = shut_down_when_full
        self.safe_to_drop_tombstones = safe_to_drop_tombstones
        self._parent = parent
        self._parent_view = None
        parent.enable_send_old_values(True)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_parent"] = None
        return state

    def __call__(self) -> Processor:
        return KTableSuppressProcessor(self)

    def view(self) -> Any:
        if self._parent_view is None:
            self._parent_view = self._parent.value_getter_supplier()
        return _SuppressGetterSupplier(self.store_name, self._parent_view)

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        return self._parent.enable_send_old_values(force_materialization)


class _SuppressGetterSupplier:
    def __init__(self, store_name: str, parent: Any) -> None:
        self.store_name = store_name
        self.parent = parent

    def get(self) -> _SuppressGetter:
        return _SuppressGetter(self.store_name, self.parent.get())

    def store_names(self) -> list[str]:
        return [self.store_name, *self.parent.store_names()]


class _SuppressGetter:
    """A key still buffered reads as its prior value (what downstream has seen)."""

    def __init__(self, store_name: str, parent: Any) -> None:
        self.store_name = store_name
        self.parent = parent
        self.buffer: Any = None

    def init(self, context: Any) -> None:
        self.parent.init(context)
        self.buffer = context.get_state_store(self.store_name)

    def get(self, key: Any) -> Any:
        found, prior = self.buffer.prior_value_for_buffered(key)
        return prior if found else self.parent.get(key)

    def close(self) -> None:
        self.parent.close()


class KTableSuppressProcessor(Processor):
    """Buffers KTable updates and emits them once their time is up (Kafka's ``KTableSuppressProcessor``)."""

    def __init__(self, supplier: KTableSuppressProcessorSupplier) -> None:
        self.store_name = supplier.store_name
        self.suppress_ms = supplier.suppress_ms
        self.window_end_time = supplier.time_definition == WINDOW_END_TIME
        self.max_records = supplier.max_records
        self.max_bytes = supplier.max_bytes
        self.shut_down_when_full = supplier.shut_down_when_full
        self.safe_to_drop_tombstones = supplier.safe_to_drop_tombstones
        self.observed_stream_time = -1
        self.context: Any = None
        self.buffer: TimeOrderedKeyValueBuffer | None = None
        self.emitted = 0

    def init(self, context: Any) -> None:
        self.context = context
        self.buffer = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.timestamp > self.observed_stream_time:
            self.observed_stream_time = record.timestamp
        rc = self.context.record_context
        # Kafka's forward() makes the forwarded record's time and headers the record context.
        context = RecordContext(record.timestamp, rc.offset if rc else -1,
                                rc.partition if rc else -1, rc.topic if rc else None,
                                record.headers)
        time = record.key.window.end if self.window_end_time else record.timestamp
        self.buffer.put(time, record, context)
        self._enforce_constraints()

    def _over_capacity(self) -> bool:
        buffer = self.buffer
        return buffer.num_records() > self.max_records or buffer.buffer_size() > self.max_bytes

    def _enforce_constraints(self) -> None:
        buffer = self.buffer
        expiry = self.observed_stream_time - self.suppress_ms
        buffer.evict_while(lambda: buffer.min_timestamp() <= expiry, self._emit)
        if self._over_capacity():
            if self.shut_down_when_full:
                raise StreamsException(
                    f"{self.context.current_node_name} buffer exceeded its max capacity. "
                    f"Currently [{buffer.num_records()}/{self.max_records}] records and "
                    f"[{buffer.buffer_size()}/{self.max_bytes}] bytes.",
                    processor=self.context.current_node_name)
            buffer.evict_while(self._over_capacity, self._emit)

    def _emit(self, eviction: Eviction) -> None:
        change = eviction.value
        if change.new_value is None and self.safe_to_drop_tombstones:
            return
        rc = eviction.record_context
        context = self.context
        previous = context.record_context
        context.record_context = rc
        try:
            context.forward(_record(eviction.key, change, rc.timestamp, rc.headers))
            self.emitted += 1
        finally:
            context.record_context = previous
