"""Stream joins: KStream-KStream (windowed), KStream-KTable and KStream-GlobalKTable.

Kafka Streams' ``KStreamJoinWindow``, ``KStreamKStreamJoin`` (with the left/right side
processors and the shared outer-join store of Kafka >= 3.1), ``KStreamKTableJoin`` and
``KStreamGlobalKTableJoin``.

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

The two window stores and the outer-join store are built by builders in this module:
in-memory, ordered exactly as Kafka's RocksDB layouts order them (window store: key, then
timestamp, then insertion; outer store: ``<timestamp><side byte><key bytes>``). They are not
changelogged yet (see the report / docs/COMPATIBILITY.md).
"""

from __future__ import annotations

import bisect
import itertools
import logging
import struct
from collections.abc import Callable, Iterator
from typing import Any

from raystreams.processor.api import Processor, ProcessorContext, Record
from raystreams.state.types import KeyValue, ValueAndTimestamp

log = logging.getLogger(__name__)

EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"
NO_TIMESTAMP = -1
_MAX = 2**63 - 1


def _serialize_key(serde: Any, key: Any, topic: str) -> bytes:
    if serde is None:
        return repr(key).encode()
    data = serde.serialize(topic, key)
    return b"" if data is None else data


# --------------------------------------------------------------------------- stores

class _JoinStoreBase:
    """What the join stores share: name, lifecycle and the serdes the task may fill in."""

    persistent = False
    caching_enabled = False

    def __init__(self, name: str, key_serde: Any) -> None:
        self.name = name
        self.key_serde = key_serde
        self._open = False
        self.context: Any = None

    def init(self, context: Any, root: Any) -> None:
        self.context = context
        self._open = True
        register = getattr(context, "register", None)
        if register is not None:
            try:
                register(root, None)
            except Exception:  # noqa: BLE001 - a state manager may not know in-memory join stores
                log.debug("join store %s not registered with the state manager", self.name)

    def is_open(self) -> bool:
        return self._open

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._open = False


class JoinWindowStore(_JoinStoreBase):
    """A window store retaining duplicates, as a stream-stream join buffers one side.

    ``put(key, value, ts)`` drops records older than ``observed stream time - retention``;
    ``fetch(key, time_from, time_to)`` yields ``KeyValue(ts, value)`` in timestamp order
    (duplicates in insertion order), ignoring expired records, as Kafka's RocksDB window
    store does.
    """

    store_kind = "window"
    timestamped = False

    def __init__(self, name: str, retention_ms: int, window_size_ms: int, key_serde: Any) -> None:
        super().__init__(name, key_serde)
        self.retention_period = retention_ms
        self.window_size = window_size_ms
        self.observed_stream_time = NO_TIMESTAMP
        self._data: dict[bytes, list[tuple[int, int, Any, Any]]] = {}
        self._seq = itertools.count()

    def _kb(self, key: Any) -> bytes:
        return _serialize_key(self.key_serde, key, self.name)

    def put(self, key: Any, value: Any, window_start_timestamp: int) -> None:
        ts = window_start_timestamp
        self.observed_stream_time = max(self.observed_stream_time, ts)
        if ts <= self.observed_stream_time - self.retention_period:
            log.debug("skipping expired record for store %s", self.name)
            return
        kb = self._kb(key)
        rows = self._data.setdefault(kb, [])
        if value is None:
            # a null value deletes every entry of this key at this timestamp
            rows[:] = [r for r in rows if r[0] != ts]
            return
        bisect.insort(rows, (ts, next(self._seq), key, value), key=lambda r: (r[0], r[1]))
        self._expire(rows)

    def _expire(self, rows: list[tuple[int, int, Any, Any]]) -> None:
        low = self.observed_stream_time - self.retention_period + 1
        if rows and rows[0][0] < low:
            cut = bisect.bisect_left(rows, low, key=lambda r: r[0])
            del rows[:cut]

    def fetch(self, key: Any, time_from: int, time_to: int) -> Iterator[KeyValue[int, Any]]:
        actual_from = max(time_from, self.observed_stream_time - self.retention_period + 1)
        if time_to < actual_from:
            return iter(())
        rows = self._data.get(self._kb(key))
        if not rows:
            return iter(())
        lo = bisect.bisect_left(rows, actual_from, key=lambda r: r[0])
        hi = bisect.bisect_right(rows, time_to, key=lambda r: r[0])
        return iter([KeyValue(r[0], r[3]) for r in rows[lo:hi]])

    def all(self) -> Iterator[KeyValue[Any, Any]]:
        from raystreams.windowed import TimeWindow, Windowed

        low = self.observed_stream_time - self.retention_period + 1
        out = []
        for kb in sorted(self._data):
            for ts, _, key, value in self._data[kb]:
                if ts >= low:
                    out.append(KeyValue(Windowed(key, TimeWindow(ts, ts + self.window_size)), value))
        return iter(out)


class OuterJoinStore(_JoinStoreBase):
    """The shared store of left/outer stream-stream joins (Kafka's ListValueStore).

    Keys are ``(timestamp, is_left, key)``, ordered as Kafka serializes them
    (``<8-byte timestamp><1 byte: 1 = left side><key bytes>``); each key holds a list of
    ``(is_left, value)``. ``put(k, None)`` deletes the whole list.
    """

    store_kind = "key_value"
    timestamped = False

    def __init__(self, name: str, key_serde: Any) -> None:
        super().__init__(name, key_serde)
        self._data: dict[bytes, tuple[tuple[int, bool, Any], list[tuple[bool, Any]]]] = {}
        self._keys: list[bytes] = []

    def _kb(self, tkey: tuple[int, bool, Any]) -> bytes:
        ts, is_left, key = tkey
        return struct.pack(">qB", ts, 1 if is_left else 0) + _serialize_key(self.key_serde, key,
                                                                           self.name)

    def put(self, tkey: tuple[int, bool, Any], value: tuple[bool, Any] | None) -> None:
        kb = self._kb(tkey)
        if value is None:
            if self._data.pop(kb, None) is not None:
                del self._keys[bisect.bisect_left(self._keys, kb)]
            return
        entry = self._data.get(kb)
        if entry is None:
            self._data[kb] = (tkey, [value])
            bisect.insort(self._keys, kb)
        else:
            entry[1].append(value)

    def put_if_absent(self, tkey: tuple[int, bool, Any], value: tuple[bool, Any] | None) -> None:
        kb = self._kb(tkey)
        if kb in self._data:
            self.put(tkey, value)
        return None

    def get(self, tkey: tuple[int, bool, Any]) -> list[tuple[bool, Any]] | None:
        entry = self._data.get(self._kb(tkey))
        return None if entry is None else list(entry[1])

    def all(self) -> Iterator[KeyValue[tuple[int, bool, Any], tuple[bool, Any]]]:
        rows = []
        for kb in list(self._keys):
            tkey, values = self._data[kb]
            rows.extend(KeyValue(tkey, v) for v in list(values))
        return iter(rows)

    def approximate_num_entries(self) -> int:
        return len(self._keys)


class _JoinStoreBuilder:
    """Builder of a join store: name, key serde (filled from the defaults if unset), logging."""

    caching_enabled = False

    def __init__(self, name: str, key_serde: Any, factory: Callable[[Any], Any],
                 logging_enabled: bool = True, topic_config: dict[str, str] | None = None) -> None:
        self.name = name
        self.key_serde = key_serde
        self._factory = factory
        self.logging_enabled = logging_enabled
        self.topic_config = dict(topic_config or {})

    def with_serdes_if_unset(self, key_serde: Any, value_serde: Any) -> _JoinStoreBuilder:
        if self.key_serde is None:
            self.key_serde = key_serde
        return self

    def with_caching_disabled(self) -> _JoinStoreBuilder:
        return self

    def with_caching_enabled(self) -> _JoinStoreBuilder:
        return self

    def with_logging_disabled(self) -> _JoinStoreBuilder:
        self.logging_enabled = False
        return self

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> _JoinStoreBuilder:
        self.logging_enabled = True
        self.topic_config = dict(config or {})
        return self

    def build(self) -> Any:
        return self._factory(self.key_serde)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class _WindowFactory:
    __slots__ = ("name", "retention", "size")

    def __init__(self, name: str, retention: int, size: int) -> None:
        self.name, self.retention, self.size = name, retention, size

    def __call__(self, key_serde: Any) -> JoinWindowStore:
        return JoinWindowStore(self.name, self.retention, self.size, key_serde)


class _OuterFactory:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, key_serde: Any) -> OuterJoinStore:
        return OuterJoinStore(self.name, key_serde)


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
        supplier = Stores.in_memory_window_store(name, retention_ms, window_size_ms, True)
    builder = Stores.window_store_builder(supplier, key_serde, value_serde)
    if logging_enabled:
        builder.with_logging_enabled(config)
    else:
        builder.with_logging_disabled()
    return builder


def outer_join_store_builder(name: str, key_serde: Any, logging_enabled: bool = True,
                             topic_config: dict[str, str] | None = None) -> _JoinStoreBuilder:
    """The builder of the shared outer-join store (``KSTREAM-OUTERSHARED-...-store``)."""
    return _JoinStoreBuilder(name, key_serde, _OuterFactory(name), logging_enabled, topic_config)


# --------------------------------------------------------------------------- stream-stream

def emit_interval_ms(context: Any) -> int:
    """The outer-join emit throttle (Kafka's internal ``EMIT_INTERVAL_CONFIG``, 1000 ms).

    Kafka's TopologyTestDriver sets it to 0 unless given; raystreams' StreamsConfig does not
    accept internal ``__...__`` keys yet, so a task run by the test driver gets 0 here.
    """
    try:
        configs = context.app_configs
    except Exception:  # noqa: BLE001 - a bare context without config
        configs = {}
    value = configs.get(EMIT_INTERVAL_CONFIG) if isinstance(configs, dict) else None
    if value is not None:
        return int(value)
    collector = getattr(getattr(context, "task", None), "collector", None)
    if type(collector).__module__ == "raystreams.testing":
        return 0
    return 1000


class KStreamJoinWindowProcessor(Processor):
    """Puts each record with a key and a value into its side's window store, then forwards it."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        # a None key or value cannot join: it is not stored, but it still goes on, so a
        # left/outer join can emit it (None key) or drop it
        if record.key is not None and record.value is not None:
            self.store.put(record.key, record.value, record.timestamp)
        self.context.forward(record)


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
                 outer_store: str | None, tracker_supplier: TimeTrackerSupplier) -> None:
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

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.other_store = context.get_state_store(self.other_store_name)
        self.tracker = self.tracker_supplier.get(context.task_id)
        self.outer_store = None
        if self.outer_store_name is not None:
            self.outer_store = context.get_state_store(self.outer_store_name)
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
            log.warning("Skipping record due to null key or value. topic=[%s] offset=[%s]",
                        getattr(self.context, "topic", None), getattr(self.context, "offset", None))
            return
        if ts == tracker.stream_time and self.outer_store is not None:
            self._emit_non_joined(record)
        time_from = max(0, ts - self.join_before_ms)
        time_to = max(0, ts + self.join_after_ms)
        matches = list(self.other_store.fetch(key, time_from, time_to))
        for other_ts, other_value in matches:
            if self.outer_store is not None:
                # the other record found a partner: it must not be emitted as unmatched
                self.outer_store.put_if_absent((other_ts, not self.is_left, key), None)
            self.context.forward(record.with_value(self.joiner(key, value, other_value))
                                 .with_timestamp(max(ts, other_ts)))
        if self.outer and not matches:
            if self.outer_store is None or time_to < tracker.stream_time:
                self.context.forward(record.with_value(self.joiner(key, value, None)))
            else:
                tracker.min_time = min(tracker.min_time, ts)
                self.outer_store.put((ts, self.is_left, key), (self.is_left, value))

    def _window_open(self, ts: int, is_left: bool) -> bool:
        look_back = self.windows_after_ms if is_left else self.windows_before_ms
        return self.tracker.min_time + look_back + self.grace_ms >= self.tracker.stream_time

    def _emit_non_joined(self, record: Record) -> None:
        tracker = self.tracker
        if tracker.min_time + self.join_after_ms + self.grace_ms >= tracker.stream_time:
            return
        now = self.context.current_system_time_ms()
        if now < tracker.next_time_to_emit:
            return
        tracker.next_time_to_emit = now + tracker.emit_interval_ms
        tracker.min_time = _MAX
        store = self.outer_store
        prev_key = None
        left_open = right_open = False
        for tkey, (is_left_value, stored) in store.all():
            ts, is_left_side, key = tkey
            tracker.min_time = ts
            if left_open and right_open:
                break
            if self._window_open(ts, is_left_side):
                if is_left_side:
                    left_open = True
                else:
                    right_open = True
                continue
            if self.is_left:
                this_value, other_value = ((stored, None) if is_left_value else (None, stored))
            else:
                this_value, other_value = ((None, stored) if is_left_value else (stored, None))
            self.context.forward(Record(key, self.joiner(key, this_value, other_value), ts,
                                        record.headers))
            if prev_key is not None and prev_key != tkey:
                store.put(prev_key, None)
            prev_key = tkey
        if prev_key is not None:
            store.put(prev_key, None)

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
                                 this_store: str, other_store: str, outer_store: str | None
                                 ) -> tuple[_SharedSupplier, _SharedSupplier]:
    """The suppliers of the this-side and other-side join processors."""
    tracker = TimeTrackerSupplier()
    this = _SharedSupplier(is_left=True, joiner=joiner, outer=left_outer,
                           join_before_ms=before_ms, join_after_ms=after_ms,
                           windows_before_ms=before_ms, windows_after_ms=after_ms,
                           grace_ms=grace_ms, other_store=other_store, outer_store=outer_store,
                           tracker_supplier=tracker)
    other = _SharedSupplier(is_left=False, joiner=_Reversed(joiner), outer=right_outer,
                            join_before_ms=after_ms, join_after_ms=before_ms,
                            windows_before_ms=before_ms, windows_after_ms=after_ms,
                            grace_ms=grace_ms, other_store=this_store, outer_store=outer_store,
                            tracker_supplier=tracker)
    return this, other


class _Reversed:
    """``joiner`` with its arguments swapped (Kafka's reverseJoiner); picklable."""

    __slots__ = ("joiner",)

    def __init__(self, joiner: Callable[[Any, Any], Any]) -> None:
        self.joiner = joiner

    def __call__(self, key: Any, a: Any, b: Any) -> Any:
        return self.joiner(key, b, a)


# --------------------------------------------------------------------------- stream-table

def value_or_none(vat: Any) -> Any:
    """The plain value of a ValueAndTimestamp (or of a bare value), ``None`` for ``None``."""
    if vat is None:
        return None
    if isinstance(vat, ValueAndTimestamp):
        return vat.value
    return getattr(vat, "value", vat)


class KStreamKTableJoinProcessor(Processor):
    """Joins each stream record with the table's current value (KStreamKTableJoinProcessor).

    ``key_mapper(key, value)`` gives the table key: the identity for KStream-KTable joins, the
    user's selector for GlobalKTable joins. Records whose mapped key or value is ``None`` are
    dropped, except that a left join still forwards a ``None`` mapped key with a ``None``
    table value. ``joiner(key, stream_value, table_value)``.
    """

    def __init__(self, value_getter_supplier: Any, key_mapper: Callable[[Any, Any], Any] | None,
                 joiner: Callable[[Any, Any], Any], left_join: bool) -> None:
        self.value_getter = value_getter_supplier.get()
        self.key_mapper = key_mapper
        self.joiner = joiner
        self.left_join = left_join

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.value_getter.init(context)

    def _mapped(self, record: Record) -> Any:
        return record.key if self.key_mapper is None else self.key_mapper(record.key, record.value)

    def process(self, record: Record) -> None:
        mapped = self._mapped(record)
        keep_for_left = self.left_join and mapped is None and record.value is not None
        if not keep_for_left and (mapped is None or record.value is None):
            log.warning("Skipping record due to null join key or value. topic=[%s] "
                        "offset=[%s]", getattr(self.context, "topic", None),
                        getattr(self.context, "offset", None))
            return
        mapped = self._mapped(record)  # Kafka calls the mapper twice
        table_value = None if mapped is None else value_or_none(self.value_getter.get(mapped))
        if self.left_join or table_value is not None:
            self.context.forward(record.with_value(self.joiner(record.key, record.value, table_value)))

    def close(self) -> None:
        self.value_getter.close()


class StreamTableJoinSupplier:
    """Supplier of KStreamKTableJoinProcessor (both KTable and GlobalKTable joins)."""

    def __init__(self, value_getter_supplier: Any, key_mapper: Callable[[Any, Any], Any] | None,
                 joiner: Callable[[Any, Any], Any], left_join: bool) -> None:
        self.value_getter_supplier = value_getter_supplier
        self.key_mapper = key_mapper
        self.joiner = joiner
        self.left_join = left_join

    def __call__(self) -> KStreamKTableJoinProcessor:
        return KStreamKTableJoinProcessor(self.value_getter_supplier, self.key_mapper,
                                          self.joiner, self.left_join)
