"""The segmented bytes store: window and session data split into time segments.

Kafka's ``AbstractRocksDBSegmentedBytesStore`` + ``AbstractSegments``, over a backend that
supplies the segments (column families of one rocksdict database, or in-memory sorted maps).
A segment covers ``segment_interval`` ms of segment time; when stream time moves on, whole
segments older than the retention period are dropped, which is cheap. Records are also
expired one by one, as Kafka does: a record at or before ``observed stream time - retention``
is not written and never returned.

Iteration order is Kafka's RocksDB order: segment by segment in time order, and within a
segment by store-key bytes (so by key, then time).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Protocol

from raystreams.errors import IllegalArgumentException, InvalidStateStoreException
from raystreams.state.base.bytes_store import BytesIterator, DirtyEntry, invalid_range
from raystreams.state.base.key_schema import LONG_MAX, KeySchema

if TYPE_CHECKING:
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = ["Segment", "SegmentProvider", "SegmentedStore", "default_segment_interval"]

log = logging.getLogger(__name__)

_LONG = struct.Struct(">q")


def default_segment_interval(retention_ms: int) -> int:
    """Kafka's default: half the retention period, at least one minute."""
    return max(retention_ms // 2, 60_000)


class Segment(Protocol):
    """One time slice of a segmented store: a sorted key-value map of bytes."""

    def get(self, key: bytes) -> bytes | None: ...

    def put(self, key: bytes, value: bytes | None) -> None: ...

    def write(self, entries: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Apply many puts at once (one write batch); ``None`` deletes."""
        ...

    def range(self, lo: bytes | None, hi: bytes | None, forward: bool) -> BytesIterator:
        """Entries with ``lo <= key <= hi`` (``None``: open end)."""
        ...


class SegmentProvider(Protocol):
    """The backend of a segmented store: opens, creates and drops its segments."""

    def open(self, context: StateStoreContext, store_name: str, segment_interval: int) -> dict[int, Segment]:
        """Open the store's storage; returns the segments that already exist, by id."""
        ...

    def create(self, segment_id: int) -> Segment: ...

    def drop(self, segment_id: int, segment: Segment) -> None: ...

    def flush(self) -> None: ...

    def persist(self) -> None:
        """Make written data durable (RocksDB: flush memtables)."""
        ...

    def close(self) -> None:
        """Close the storage and end every iterator still open on it."""
        ...

    def persistent(self) -> bool: ...


class SegmentedStore:
    """A ``SegmentedBytesStore`` over segments from a ``SegmentProvider``.

    Args:
        name: Store name.
        retention_ms: How long records stay, in ms of stream time.
        segment_interval_ms: Time each segment covers.
        schema: ``WINDOW_KEY_SCHEMA`` or ``SESSION_KEY_SCHEMA``.
        provider: The backend.
    """

    def __init__(self, name: str, retention_ms: int, segment_interval_ms: int, schema: KeySchema,
                 provider: SegmentProvider) -> None:
        if segment_interval_ms < 1:
            raise IllegalArgumentException(
                f"segment interval of store {name} must be positive, got {segment_interval_ms}")
        self._name = name
        self.retention_period = retention_ms
        self.segment_interval = segment_interval_ms
        self.schema = schema
        self.timestamped = False
        self._provider = provider
        self._segments: dict[int, Segment] = {}
        self._observed = -1  # Kafka's NO_TIMESTAMP
        self._min_live = -1 << 63
        self._open = False
        self.expired_records = 0
        """Records dropped because they were already expired (Kafka's dropped-records metric)."""

    @property
    def name(self) -> str:
        return self._name

    @property
    def observed_stream_time(self) -> int:
        return self._observed

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._segments = dict(self._provider.open(context, self._name, self.segment_interval))
        self._open = True
        context.register(root, self.restore_batch)

    def persistent(self) -> bool:
        return self._provider.persistent()

    def is_open(self) -> bool:
        return self._open

    def flush(self) -> None:
        if self._open:
            self._provider.flush()

    def persist(self) -> None:
        if self._open:
            self._provider.persist()

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        self._segments = {}
        self._provider.close()

    def _check_open(self) -> None:
        if not self._open:
            raise InvalidStateStoreException(f"Store {self._name} is currently closed.")

    # -- segments ---------------------------------------------------------------------------------

    def _advance(self, timestamp: int) -> None:
        # Called with a new maximum segment time: drop the segments that fell out of retention.
        self._observed = timestamp
        min_live = (timestamp - self.retention_period) // self.segment_interval
        if min_live > self._min_live:
            self._min_live = min_live
            segments = self._segments
            for seg_id in [s for s in segments if s < min_live]:
                self._provider.drop(seg_id, segments.pop(seg_id))

    def _segment_for_write(self, seg_id: int) -> Segment:
        segment = self._segments.get(seg_id)
        if segment is None:
            segment = self._segments[seg_id] = self._provider.create(seg_id)
        return segment

    def _segments_between(self, time_from: int, time_to: int, forward: bool) -> list[Segment]:
        interval = self.segment_interval
        lo, hi = time_from // interval, time_to // interval
        ids = sorted((s for s in self._segments if lo <= s <= hi), reverse=not forward)
        segments = self._segments
        return [segments[s] for s in ids]

    # -- writes -----------------------------------------------------------------------------------

    def put(self, key: bytes, value: bytes | None) -> None:
        if not self._open:
            self._check_open()
        ts = self.schema.segment_timestamp(key)
        if ts > self._observed:
            self._advance(ts)
        if ts <= self._observed - self.retention_period:
            self.expired_records += 1
            log.debug("Skipping record for expired segment of store %s", self._name)
            return
        self._segment_for_write(ts // self.segment_interval).put(key, value)

    def put_batch(self, entries: Sequence[DirtyEntry]) -> None:
        self._write_grouped([(e[0], e[1]) for e in entries])

    def _write_grouped(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        self._check_open()
        seg_ts = self.schema.segment_timestamp
        entries = list(entries)
        if not entries:
            return
        newest = max(seg_ts(k) for k, _ in entries)
        if newest > self._observed:
            self._advance(newest)
        expired_before = self._observed - self.retention_period
        interval = self.segment_interval
        groups: dict[int, list[tuple[bytes, bytes | None]]] = {}
        for key, value in entries:
            ts = seg_ts(key)
            if ts <= expired_before:
                self.expired_records += 1
                continue
            groups.setdefault(ts // interval, []).append((key, value))
        for seg_id, group in groups.items():
            self._segment_for_write(seg_id).write(group)

    def restore_batch(self, records: Sequence[Sequence]) -> None:
        """Write raw changelog records straight into the segments (no logging, no cache)."""
        if self.timestamped:
            pack = _LONG.pack
            entries = [(r[0], None if r[1] is None else pack(r[2]) + r[1]) for r in records]
        else:
            entries = [(r[0], r[1]) for r in records]
        self._write_grouped(entries)

    # -- reads ------------------------------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        if not self._open:
            self._check_open()
        ts = self.schema.segment_timestamp(key)
        if ts < self._observed - self.retention_period + 1:
            return None
        segment = self._segments.get(ts // self.segment_interval)
        return None if segment is None else segment.get(key)

    def fetch(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int,
              forward: bool = True) -> BytesIterator:
        self._check_open()
        if invalid_range(key_from, key_to):
            return iter(())
        actual_from = max(time_from, self._observed - self.retention_period + 1)
        schema = self.schema
        if schema.is_window and time_to < actual_from:
            return iter(())
        if key_from is not None and key_from == key_to:
            lo = schema.lower_range_fixed(key_from, actual_from)
            hi = schema.upper_range_fixed(key_from, time_to)
        else:
            lo = None if key_from is None else schema.lower_range(key_from, actual_from)
            hi = None if key_to is None else schema.upper_range(key_to, time_to)
        seg_from, seg_to = schema.segment_time_range(actual_from, time_to)
        return self._scan(seg_from, seg_to, lo, hi, schema.matcher(key_from, key_to, actual_from, time_to),
                          forward)

    def all(self, forward: bool = True) -> BytesIterator:
        self._check_open()
        actual_from = max(0, self._observed - self.retention_period + 1)
        return self._scan(actual_from, LONG_MAX, None, None,
                          self.schema.matcher(None, None, actual_from, LONG_MAX), forward)

    def _scan(self, seg_from: int, seg_to: int, lo: bytes | None, hi: bytes | None, match,
              forward: bool) -> Iterator[tuple[bytes, bytes]]:
        # A generator, so segments are chosen and opened when iteration starts (as Kafka's
        # SegmentIterator opens each segment's iterator lazily).
        for segment in self._segments_between(seg_from, seg_to, forward):
            if not self._open:
                return  # closed meanwhile: the iteration just ends, as in Kafka
            for kv in segment.range(lo, hi, forward):
                if match(kv[0]):
                    yield kv

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r})"
