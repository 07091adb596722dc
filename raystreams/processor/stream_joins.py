"""Stream-stream joins (windowed); the stream-table joins are in ``stream_table_join``.

Kafka Streams' ``KStreamJoinWindow`` and ``KStreamKStreamJoin`` (with the left/right side
processors and the shared outer-join store of Kafka >= 3.1).

Stream-stream join semantics (Kafka >= 3.1, ``JoinWindows.of_time_difference_*``):

- each side's windowed processor puts its record into its own window store (retaining
  duplicates), then the join processor looks the key up in the *other* side's store in
  ``[ts - before, ts + after]`` (mirrored for the right side) and forwards one joined record
  per match, with timestamp ``max(this ts, other ts)``;
- a left/outer record that found no partner is parked in the shared outer-join store and is
  forwarded with a ``None`` partner only once its window has closed, i.e. when stream time
  (shared by both sides) passes ``ts + after (before for the right side) + grace``. A later
  match removes it from the store;
- records with a ``None`` key or value are dropped, except that an outer side forwards a
  ``None``-key record at once with a ``None`` partner (Kafka's rule).

The two window stores (RocksDB window stores retaining duplicates) and the outer-join store
(a RocksDB key-value store keyed ``<timestamp><side byte><key bytes>``, Kafka's layout, so it
iterates in time order) come from ``raystreams.state.Stores`` and are changelogged.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import Any

from raystreams.config.keys import EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX
from raystreams.processor.api import Processor, ProcessorContext, Record
from raystreams.processor.dropped import skip_record
from raystreams.serde import Serde

log = logging.getLogger(__name__)

NO_TIMESTAMP = -1
_MAX = 2**63 - 1
_LONG = struct.Struct(">q")
_INT = struct.Struct(">i")


# --------------------------------------------------------------------------- stores

class JoinSerdes:
    """The serdes of one stream-stream join, shared by its outer-join store serdes.

    Any may be None at build time; ``resolve(context)`` fills them from the app's defaults
    when a join processor starts (Kafka's ``setIfUnset``).
    """

    def __init__(self, key: Any, left_value: Any, right_value: Any) -> None:
        self.key = key
        self.left_value = left_value
        self.right_value = right_value

    def resolve(self, context: Any) -> JoinSerdes:
        if None in (self.key, self.left_value, self.right_value):
            from raystreams.state.context import default_serdes

            key_default, value_default = default_serdes(getattr(context, "config", None))
            self.key = self.key or key_default
            self.left_value = self.left_value or value_default
            self.right_value = self.right_value or value_default
        return self


class TimestampedKeyAndJoinSideSerde(Serde[tuple[int, bool, Any]]):
    """``(timestamp, is_left, key)`` as Kafka lays it out: ``<8-byte ts><1 = left><key>``.

    The byte order makes the outer-join store iterate by time, then right before left.
    """

    def __init__(self, serdes: JoinSerdes) -> None:
        self.serdes = serdes

    def serialize(self, topic: str, data: tuple[int, bool, Any] | None) -> bytes | None:
        if data is None:
            return None
        ts, is_left, key = data
        return struct.pack(">qB", ts, 1 if is_left else 0) + (
            self.serdes.key.serialize(topic, key) or b"")

    def deserialize(self, topic: str, data: bytes | None) -> tuple[int, bool, Any] | None:
        if data is None:
            return None
        ts, side = struct.unpack_from(">qB", data)
        return ts, side == 1, self.serdes.key.deserialize(topic, bytes(data[9:]))


class LeftOrRightListSerde(Serde[list[tuple[bool, Any]]]):
    """The outer-join store's values: a list of ``(is_left, value)`` (Kafka's ListValueStore of
    LeftOrRightValue): per item ``<1 = left><4-byte length><value bytes>``."""

    def __init__(self, serdes: JoinSerdes) -> None:
        self.serdes = serdes

    def serialize(self, topic: str, data: list[tuple[bool, Any]] | None) -> bytes | None:
        if data is None:
            return None
        out = bytearray()
        for is_left, value in data:
            serde = self.serdes.left_value if is_left else self.serdes.right_value
            raw = serde.serialize(topic, value) or b""
            out += struct.pack(">Bi", 1 if is_left else 0, len(raw)) + raw
        return bytes(out)

    def deserialize(self, topic: str, data: bytes | None) -> list[tuple[bool, Any]] | None:
        if data is None:
            return None
        items, pos = [], 0
        while pos < len(data):
            side, n = struct.unpack_from(">Bi", data, pos)
            pos += 5
            serde = self.serdes.left_value if side == 1 else self.serdes.right_value
            items.append((side == 1, serde.deserialize(topic, bytes(data[pos:pos + n]))))
            pos += n
        return items


def join_window_store_builder(name: str, retention_ms: int, window_size_ms: int, key_serde: Any,
                              value_serde: Any = None, logging_enabled: bool = True,
                              topic_config: dict[str, str] | None = None,
                              supplier: Any = None) -> Any:
    """The builder of one side's join window store: a RocksDB window store retaining
    duplicates (or ``supplier``), changelogged with ``cleanup.policy=delete``."""
    from raystreams.state import Stores

    config = dict(topic_config or {})
    config["cleanup.policy"] = "delete"  # duplicates: never compact (Kafka's rule)
    if supplier is None:
        supplier = Stores.persistent_window_store(name, retention_ms, window_size_ms, True)
    builder = Stores.window_store_builder(supplier, key_serde, value_serde)
    if logging_enabled:
        builder.with_logging_enabled(config)
    else:
        builder.with_logging_disabled()
    return builder


def outer_join_store_builder(name: str, serdes: JoinSerdes, logging_enabled: bool = True,
                             topic_config: dict[str, str] | None = None,
                             in_memory: bool = False) -> Any:
    """The builder of the shared outer-join store (``KSTREAM-OUTERSHARED-...-store``).

    A key-value store (RocksDB, or in memory when the join's stores are), keyed by
    ``(timestamp, is_left, key)``, holding lists of the unmatched values; never cached.
    """
    from raystreams.state import Stores

    supplier = (Stores.in_memory_key_value_store(name) if in_memory
                else Stores.persistent_key_value_store(name))
    builder = Stores.key_value_store_builder(supplier, TimestampedKeyAndJoinSideSerde(serdes),
                                             LeftOrRightListSerde(serdes))
    if logging_enabled:
        builder.with_logging_enabled(dict(topic_config or {}))
    else:
        builder.with_logging_disabled()
    builder.with_caching_disabled()
    return builder


# --------------------------------------------------------------------------- stream-stream

def emit_interval_ms(context: Any) -> int:
    """The outer-join emit throttle: Kafka's internal
    ``EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX`` (1000 ms; the test driver sets
    0, as Kafka's does)."""
    try:
        configs = context.app_configs
    except Exception:  # noqa: BLE001 - a bare context without config
        configs = {}
    value = (configs.get(EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX)
             if isinstance(configs, dict) else None)
    return 1000 if value is None else int(value)


def _long(value: int) -> int:
    """``value`` wrapped to a signed 64-bit integer, as Java's ``long`` arithmetic does."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


class KStreamJoinWindowProcessor(Processor):
    """Forwards each record, then puts it (with a key and a value) into its side's window store."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        # forwarded first, stored after (Kafka's order); a None key or value is never stored
        # (a retain-duplicates store skips None values), but still goes on, so an outer
        # join can emit a None-key record
        self.context.forward(record)
        if record.key is not None and record.value is not None:
            self.store.put(record.key, record.value, record.timestamp)


class TimeTracker:
    """Stream time and outer-join emit state shared by both sides of one join in one task."""

    __slots__ = ("emit_interval_ms", "stream_time", "min_time", "next_time_to_emit")

    def __init__(self) -> None:
        self.emit_interval_ms = 1000
        self.stream_time = NO_TIMESTAMP
        self.min_time = _MAX
        self.next_time_to_emit = 0


class TimeTrackerSupplier:
    """One TimeTracker per task, shared by the two join processors (Kafka's TimeTrackerSupplier)."""

    def __init__(self) -> None:
        self._trackers: dict[str, TimeTracker] = {}

    def get(self, task_id: str) -> TimeTracker:
        tracker = self._trackers.get(task_id)
        if tracker is None:
            tracker = self._trackers[task_id] = TimeTracker()
        return tracker

    def remove(self, task_id: str) -> None:
        self._trackers.pop(task_id, None)

    def __getstate__(self) -> dict[str, Any]:
        return {}  # trackers are per process: a copy shipped elsewhere starts empty

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._trackers = {}


class KStreamKStreamJoinProcessor(Processor):
    """One side of a windowed stream-stream join (Kafka's KStreamKStreamJoin{Left,Right}Side).

    Args:
        is_left: this processor reads the left stream (the one ``join`` was called on).
        joiner: ``joiner(key, this_value, other_value)`` (reversed for the right side).
        outer: this side emits unmatched records (left side of left/outer, right of outer).
        join_before_ms / join_after_ms: the lookup bounds around this record's timestamp.
        windows_before_ms / windows_after_ms / grace_ms: the JoinWindows, for closing.
        other_store: the other side's window store; outer_store: the shared store or None.
    """

    def __init__(self, *, is_left: bool, joiner: Callable[[Any, Any], Any], outer: bool,
                 join_before_ms: int, join_after_ms: int, windows_before_ms: int,
                 windows_after_ms: int, grace_ms: int, other_store: str,
                 outer_store: str | None, tracker_supplier: TimeTrackerSupplier,
                 serdes: JoinSerdes | None = None) -> None:
        self.is_left = is_left
        self.joiner = joiner
        self.outer = outer
        self.join_before_ms = join_before_ms
        self.join_after_ms = join_after_ms
        self.windows_before_ms = windows_before_ms
        self.windows_after_ms = windows_after_ms
        self.grace_ms = grace_ms
        self.other_store_name = other_store
        self.outer_store_name = outer_store
        self.tracker_supplier = tracker_supplier
        self.serdes = serdes

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.other_store = context.get_state_store(self.other_store_name)
        self.tracker = self.tracker_supplier.get(context.task_id)
        self.outer_store = None
        if self.outer_store_name is not None:
            self.outer_store = context.get_state_store(self.outer_store_name)
            if self.serdes is not None:
                self.serdes.resolve(context)
            self.tracker.emit_interval_ms = emit_interval_ms(context)

    def process(self, record: Record) -> None:
        ts = record.timestamp
        tracker = self.tracker
        tracker.stream_time = max(tracker.stream_time, ts)
        key, value = record.key, record.value
        if self.outer and key is None and value is not None:
            self.context.forward(record.with_value(self.joiner(key, value, None)))
            return
        if key is None or value is None:
            skip_record(log, self.context, "null key or value")
            return
        if ts == tracker.stream_time and self.outer_store is not None:
            self._emit_non_joined(record)
        time_from = max(0, ts - self.join_before_ms)
        time_to = max(0, ts + self.join_after_ms)
        matches = list(self.other_store.fetch(key, time_from, time_to))
        for other_ts, other_value in matches:
            if self.outer_store is not None:
                # the other record found a partner: it must not be emitted as unmatched
                # (Kafka's ListValueStore.putIfAbsent(key, null): delete if present)
                other_key = (other_ts, not self.is_left, key)
                if self.outer_store.get(other_key) is not None:
                    self.outer_store.delete(other_key)
            self.context.forward(record.with_value(self.joiner(key, value, other_value))
                                 .with_timestamp(max(ts, other_ts)))
        if self.outer and not matches:
            if self.outer_store is None or time_to < tracker.stream_time:
                self.context.forward(record.with_value(self.joiner(key, value, None)))
            else:
                tracker.min_time = min(tracker.min_time, ts)
                this_key = (ts, self.is_left, key)
                values = self.outer_store.get(this_key) or []
                values.append((self.is_left, value))
                self.outer_store.put(this_key, values)

    def _window_open(self, ts: int, is_left: bool) -> bool:
        look_back = self.windows_after_ms if is_left else self.windows_before_ms
        return self.tracker.min_time + look_back + self.grace_ms >= self.tracker.stream_time

    def _emit_non_joined(self, record: Record) -> None:
        tracker = self.tracker
        # Java's long arithmetic: with nothing parked (min time = Long.MAX_VALUE) the sum
        # overflows to a negative number, so the check passes and the throttle is armed
        if _long(tracker.min_time + self.join_after_ms + self.grace_ms) >= tracker.stream_time:
            return
        now = self.context.current_system_time_ms()
        if now < tracker.next_time_to_emit:
            return
        tracker.next_time_to_emit = now + tracker.emit_interval_ms
        tracker.min_time = _MAX
        store = self.outer_store
        emitted: list[Any] = []
        left_open = right_open = False
        it = store.all()
        try:
            for tkey, values in it:
                ts, is_left_side, key = tkey
                tracker.min_time = ts
                if left_open and right_open:
                    break  # no more candidates on either side
                if self._window_open(ts, is_left_side):
                    if is_left_side:
                        left_open = True
                    else:
                        right_open = True
                    continue
                for is_left_value, stored in values:
                    if self.is_left:
                        this_value, other_value = ((stored, None) if is_left_value
                                                   else (None, stored))
                    else:
                        this_value, other_value = ((None, stored) if is_left_value
                                                   else (stored, None))
                    self.context.forward(Record(key, self.joiner(key, this_value, other_value),
                                                ts, record.headers))
                emitted.append(tkey)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()
        for tkey in emitted:
            store.delete(tkey)

    def close(self) -> None:
        task_id = getattr(getattr(self, "context", None), "task_id", None)
        if task_id is not None:
            self.tracker_supplier.remove(task_id)


class _SharedSupplier:
    """Supplier of one side's join processor; both sides share one TimeTrackerSupplier."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def __call__(self) -> KStreamKStreamJoinProcessor:
        return KStreamKStreamJoinProcessor(**self.kwargs)


def stream_stream_join_suppliers(*, joiner: Callable[[Any, Any], Any], left_outer: bool,
                                 right_outer: bool, before_ms: int, after_ms: int, grace_ms: int,
                                 this_store: str, other_store: str, outer_store: str | None,
                                 serdes: JoinSerdes | None = None
                                 ) -> tuple[_SharedSupplier, _SharedSupplier]:
    """The suppliers of the this-side and other-side join processors."""
    tracker = TimeTrackerSupplier()
    this = _SharedSupplier(is_left=True, joiner=joiner, outer=left_outer,
                           join_before_ms=before_ms, join_after_ms=after_ms,
                           windows_before_ms=before_ms, windows_after_ms=after_ms,
                           grace_ms=grace_ms, other_store=other_store, outer_store=outer_store,
                           tracker_supplier=tracker, serdes=serdes)
    other = _SharedSupplier(is_left=False, joiner=_Reversed(joiner), outer=right_outer,
                            join_before_ms=after_ms, join_after_ms=before_ms,
                            windows_before_ms=before_ms, windows_after_ms=after_ms,
                            grace_ms=grace_ms, other_store=this_store, outer_store=outer_store,
                            tracker_supplier=tracker, serdes=serdes)
    return this, other


class _Reversed:
    """``joiner`` with its arguments swapped (Kafka's reverseJoiner); picklable."""

    __slots__ = ("joiner",)

    def __init__(self, joiner: Callable[[Any, Any], Any]) -> None:
        self.joiner = joiner

    def __call__(self, key: Any, a: Any, b: Any) -> Any:
        return self.joiner(key, b, a)


class KStreamKStreamSelfJoinProcessor(Processor):
    """A stream joined with itself through one window store (Kafka's KStreamKStreamSelfJoin).

    Written instead of the two join processors when ``topology.optimization`` includes
    ``single.store.self.join`` and both sides are the same stream: each record joins the
    stored records in ``[ts - before, ts + after]``, then the stored records join it in the
    mirrored window, and the record joins itself (in timestamp order) unless expired.
    """

    def __init__(self, store_name: str, joiner: Callable[..., Any], before_ms: int,
                 after_ms: int, retention_ms: int) -> None:
        self.store_name = store_name
        self.joiner = joiner
        self.before_ms = before_ms
        self.after_ms = after_ms
        self.retention_ms = retention_ms
        self.stream_time = NO_TIMESTAMP

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        key, value, ts = record.key, record.value, record.timestamp
        if key is None or value is None:
            skip_record(log, self.context, "null key or value")
            return
        forward = self.context.forward
        self_record = record.with_value(self.joiner(key, value, value)).with_timestamp(ts)
        self.stream_time = max(self.stream_time, ts)
        emit_self = ts > self.stream_time - self.retention_ms + 1
        for other_ts, other in list(self.store.fetch(key, max(0, ts - self.before_ms),
                                                     max(0, ts + self.after_ms))):
            forward(record.with_value(self.joiner(key, value, other))
                    .with_timestamp(max(ts, other_ts)))
        emitted_self = False
        for other_ts, other in list(self.store.fetch(key, max(0, ts - self.after_ms),
                                                     max(0, ts + self.before_ms))):
            out_ts = max(ts, other_ts)
            if ts < out_ts and not emitted_self and emit_self:
                emitted_self = True
                forward(self_record)
            forward(record.with_value(self.joiner(key, other, value)).with_timestamp(out_ts))
        if not emitted_self and emit_self:
            forward(self_record)


class SelfJoinSupplier:
    def __init__(self, store_name: str, joiner: Callable[..., Any], before_ms: int,
                 after_ms: int, retention_ms: int) -> None:
        self.args = (store_name, joiner, before_ms, after_ms, retention_ms)

    def __call__(self) -> KStreamKStreamSelfJoinProcessor:
        return KStreamKStreamSelfJoinProcessor(*self.args)
