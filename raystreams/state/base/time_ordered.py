"""Window and session stores in time order: Kafka's time-ordered and in-memory stores.

- ``TimeOrderedWindowStore`` / ``TimeOrderedSessionStore``: the stores Kafka's DSL gives
  emit-on-window-close aggregations (below);
- ``InMemoryWindowStore`` / ``InMemorySessionStore``: Kafka's in-memory stores' iteration order.

The time-ordered window store:

Kafka's ``RocksDBTimeOrderedWindowStore`` over ``RocksDBTimeOrderedWindowSegmentedBytesStore``
(``RocksDbIndexedTimeOrderedWindowBytesStoreSupplier``): inside each segment, keys are laid out
time first, ``[0x00][window start 8 BE][key][seqnum 4 BE]`` (``TimeFirstWindowKeySchema``), so
``all`` and ``fetch_all`` iterate by window start, then key. The layers above still see and
log Kafka's usual window keys ``[key][start][seqnum]``: this store converts at its edges, as
Kafka's changelog of this store also carries ``WindowKeySchema`` keys.

Retention differs from the key-ordered store by one millisecond: reads keep windows starting
at or after ``observed stream time - retention`` (Kafka's ``getActualFrom`` for the time-first
schema, so that a window that has just closed can still be emitted), and a write is dropped
only when its whole segment has expired (``getOrCreateSegmentIfLive``).

With ``has_index`` (Kafka uses it for sliding windows) each segment also holds an index entry
``[0x01][key][start][seqnum]`` per window, and fetches by key read through it, key first (a
single key's windows come in time order either way); ``fetch_all`` and ``all`` read the
time-first entries (a fetch with both key bounds ``None`` counts as ``fetch_all``).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from raystreams.state.base.bytes_store import BytesIterator, invalid_range
from raystreams.state.base.key_schema import LONG_MAX, WINDOW_KEY_SCHEMA
from raystreams.state.base.segmented import SegmentedStore

if TYPE_CHECKING:
    from raystreams.state.base.segmented import SegmentProvider

__all__ = [
    "InMemorySessionStore",
    "InMemoryWindowStore",
    "TimeOrderedSessionStore",
    "TimeOrderedWindowStore",
    "from_time_first",
    "session_from_time_first",
    "session_time_first",
    "several_keys",
    "time_first_bounds",
    "time_first_matcher",
    "to_time_first",
]

log = logging.getLogger(__name__)

_LONG = struct.Struct(">q")
_long_at = _LONG.unpack_from
TIME_FIRST_PREFIX = b"\x00"
INDEX_PREFIX = b"\x01"


def to_time_first(key: bytes) -> bytes:
    """``[key][start][seqnum]`` → ``[0x00][start][key][seqnum]``."""
    n = len(key) - 12
    return TIME_FIRST_PREFIX + key[n:n + 8] + key[:n] + key[n + 8:]


def from_time_first(key: bytes) -> bytes:
    """``[0x00][start][key][seqnum]`` → ``[key][start][seqnum]``."""
    return key[9:-4] + key[1:9] + key[-4:]


def time_first_matcher(key_from: bytes | None, key_to: bytes | None, time_from: int,
                       time_to: int) -> Callable[[bytes], bool]:
    """Kafka's ``TimeFirstWindowKeySchema.hasNextCondition`` as a predicate on time-first keys."""
    if key_from is None and key_to is None:
        def any_key(b: bytes) -> bool:
            return time_from <= _long_at(b, 1)[0] <= time_to
        return any_key

    def key_range(b: bytes) -> bool:
        if not time_from <= _long_at(b, 1)[0] <= time_to:
            return False
        k = b[9:-4]
        return (key_from is None or k >= key_from) and (key_to is None or k <= key_to)
    return key_range


def several_keys(key_from: bytes | None, key_to: bytes | None) -> bool:
    """Whether an indexed store iterates this fetch key first: a key range of several keys.

    Both bounds ``None`` is ``fetch_all`` (time order); Kafka's index would also serve a
    ``fetch(null, null, ...)``, which raystreams cannot tell apart from ``fetch_all``.
    """
    return (key_from is not None or key_to is not None) and key_from != key_to


def time_first_bounds(time_from: int, time_to: int) -> tuple[bytes, bytes]:
    """Inclusive byte bounds, within a segment, of the time-first keys starting in the range."""
    lo = TIME_FIRST_PREFIX + _LONG.pack(max(0, time_from))
    hi = TIME_FIRST_PREFIX + _LONG.pack(time_to + 1) if time_to < LONG_MAX else b"\x01"
    return lo, hi  # no key equals ``hi``: keys are longer than 9 bytes


class TimeOrderedWindowStore(SegmentedStore):
    """A window ``SegmentedBytesStore`` kept in time order (Kafka's time-ordered window store).

    The caching layer over it keeps its cache in the same order (Kafka's
    ``TimeOrderedCachingWindowStore``).

    Args:
        name: Store name.
        retention_ms: Retention in ms of stream time.
        segment_interval_ms: Time each segment covers.
        provider: The backend of the segments.
        has_index: Iterate key-range fetches of several keys key first (Kafka's index).
    """

    time_ordered = True

    def __init__(self, name: str, retention_ms: int, segment_interval_ms: int, provider: SegmentProvider,
                 has_index: bool = False) -> None:
        super().__init__(name, retention_ms, segment_interval_ms, WINDOW_KEY_SCHEMA, provider)
        self.has_index = has_index

    def _live_from(self) -> int:
        return self._observed - self.retention_period

    def _expired(self, ts: int) -> bool:
        return ts // self.segment_interval < self._min_live

    # -- writes -----------------------------------------------------------------------------------

    def put(self, key: bytes, value: bytes | None) -> None:
        if not self._open:
            self._check_open()
        ts = _long_at(key, len(key) - 12)[0]
        if ts > self._observed:
            self._advance(ts)
        if self._expired(ts):
            self.expired_records += 1
            log.debug("Skipping record for expired segment of store %s", self._name)
            return
        segment = self._segment_for_write(ts // self.segment_interval)
        if self.has_index:  # index first, as Kafka: a base entry never exists without its index entry
            segment.put(INDEX_PREFIX + key, None if value is None else b"")
        segment.put(to_time_first(key), value)

    def _write_grouped(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        self._check_open()
        entries = list(entries)
        if not entries:
            return
        newest = max(_long_at(k, len(k) - 12)[0] for k, _ in entries)
        if newest > self._observed:
            self._advance(newest)
        interval = self.segment_interval
        expired = self._expired
        groups: dict[int, list[tuple[bytes, bytes | None]]] = {}
        for key, value in entries:
            ts = _long_at(key, len(key) - 12)[0]
            if expired(ts):
                self.expired_records += 1
                continue
            group = groups.setdefault(ts // interval, [])
            if self.has_index:
                group.append((INDEX_PREFIX + key, None if value is None else b""))
            group.append((to_time_first(key), value))
        for seg_id, group in groups.items():
            self._segment_for_write(seg_id).write(group)

    # -- reads ------------------------------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        if not self._open:
            self._check_open()
        ts = _long_at(key, len(key) - 12)[0]
        if ts < self._live_from():
            return None
        segment = self._segments.get(ts // self.segment_interval)
        return None if segment is None else segment.get(to_time_first(key))

    def fetch(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int,
              forward: bool = True) -> BytesIterator:
        self._check_open()
        if invalid_range(key_from, key_to):
            return iter(())
        actual_from = max(time_from, self._live_from())
        if time_to < actual_from:
            return iter(())
        if self.has_index and (key_from is not None or key_to is not None):
            return self._scan_index(key_from, key_to, actual_from, time_to, forward)
        lo, hi = time_first_bounds(actual_from, time_to)
        match = time_first_matcher(key_from, key_to, actual_from, time_to)
        return self._scan_time_first(max(0, actual_from), time_to, lo, hi, match, forward)

    def _scan_index(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int,
                    forward: bool) -> Iterator[tuple[bytes, bytes]]:
        # Kafka's IndexToBaseStoreIterator: key-first index entries, values from the base entries
        schema = self.schema
        if key_from is not None and key_from == key_to:
            lo = INDEX_PREFIX + schema.lower_range_fixed(key_from, time_from)
            hi = INDEX_PREFIX + schema.upper_range_fixed(key_from, time_to)
        else:
            lo = INDEX_PREFIX + (b"" if key_from is None else schema.lower_range(key_from, time_from))
            hi = b"\x02" if key_to is None else INDEX_PREFIX + schema.upper_range(key_to, time_to)
        match = schema.matcher(key_from, key_to, time_from, time_to)
        for segment in self._segments_between(max(0, time_from), time_to, forward):
            if not self._open:
                return
            get = segment.get
            for index_key, _ in segment.range(lo, hi, forward):
                key = index_key[1:]
                if match(key):
                    value = get(to_time_first(key))
                    if value is not None:
                        yield key, value

    def all(self, forward: bool = True) -> BytesIterator:
        self._check_open()
        actual_from = max(0, self._live_from())
        lo, hi = time_first_bounds(actual_from, LONG_MAX)
        return self._scan_time_first(0, LONG_MAX, lo, hi, time_first_matcher(None, None, actual_from, LONG_MAX),
                                     forward)

    def _scan_time_first(self, seg_from: int, seg_to: int, lo: bytes, hi: bytes,
                         match: Callable[[bytes], bool], forward: bool) -> Iterator[tuple[bytes, bytes]]:
        # a generator: segments are chosen when iteration starts, as in SegmentedStore._scan
        for segment in self._segments_between(seg_from, seg_to, forward):
            if not self._open:
                return
            for k, v in segment.range(lo, hi, forward):
                if match(k):
                    yield from_time_first(k), v


def _window_order(kv: tuple[bytes, bytes]) -> tuple[bytes, bytes, bytes]:
    k = kv[0]
    return k[-12:-4], k[:-12], k[-4:]  # start, key, seqnum


def _session_order(kv: tuple[bytes, bytes]) -> tuple[bytes, bytes, bytes]:
    k = kv[0]
    return k[-16:-8], k[:-16], k[-8:]  # end, key, start


class _InMemoryOrder(SegmentedStore):
    """Kafka's in-memory window and session stores: maps by time first, then key.

    Kafka's ``InMemoryWindowStore`` iterates window start → key → value and its
    ``InMemorySessionStore`` session end → key → start; their suppliers give the caching layer
    1 ms segments (``segmentIntervalMs() == 1``), so the cache iterates the same way. Here the
    segments keep the key-first layout, which a single-key read already visits in time order;
    reads over several keys are put in Kafka's order. Retention is the key-ordered store's
    (reads keep times after ``observed - retention``; each expired write is dropped), as in
    Kafka's in-memory stores.
    """

    cache_segment_interval = 1
    """The segment interval of the cache in front (Kafka's in-memory ``segmentIntervalMs()``)."""
    _order: Callable[[tuple[bytes, bytes]], tuple[bytes, bytes, bytes]]

    def fetch(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int,
              forward: bool = True) -> BytesIterator:
        found = super().fetch(key_from, key_to, time_from, time_to, forward)
        if key_from is not None and key_from == key_to:
            return found
        return self._sorted(found, forward)

    def all(self, forward: bool = True) -> BytesIterator:
        return self._sorted(super().all(forward), forward)

    def _sorted(self, found: BytesIterator, forward: bool) -> Iterator[tuple[bytes, bytes]]:
        # a generator: the store is read when iteration starts, as the other scans; closing the
        # store ends it
        for kv in sorted(found, key=type(self)._order, reverse=not forward):
            if not self._open:
                return
            yield kv


class InMemoryWindowStore(_InMemoryOrder):
    """Kafka's ``InMemoryWindowStore`` order: by window start, then key."""

    _order = staticmethod(_window_order)


class InMemorySessionStore(_InMemoryOrder):
    """Kafka's ``InMemorySessionStore`` order: by session end, then key, then start."""

    _order = staticmethod(_session_order)


# -- sessions -----------------------------------------------------------------------------------



def session_time_first(key: bytes) -> bytes:
    """``[key][end][start]`` → ``[0x00][end][start][key]`` (Kafka's ``TimeFirstSessionKeySchema``)."""
    n = len(key) - 16
    return TIME_FIRST_PREFIX + key[n:] + key[:n]


def session_from_time_first(key: bytes) -> bytes:
    """``[0x00][end][start][key]`` → ``[key][end][start]``."""
    return key[17:] + key[1:17]


class TimeOrderedSessionStore(SegmentedStore):
    """Kafka's ``RocksDBTimeOrderedSessionStore`` with its index (the emit-final session store).

    Each segment (by session end) holds a base entry ``[0x00][end][start][key]`` with the value
    and an index entry ``[0x01][key][end][start]`` (empty), as Kafka's
    ``RocksDBTimeOrderedSessionSegmentedBytesStore``. Key lookups (``fetch``, ``get``) go
    through the index, in key order, with the usual retention (sessions ending after
    ``observed - retention``); ``fetch_sessions(earliest_end, latest_end)`` (Kafka's
    ``findSessions(earliestSessionEndTime, latestSessionEndTime)``) and ``all`` read the base
    entries in (end, start, key) order, and ``fetch_sessions`` applies no retention at all:
    closed sessions stay findable until their segment is dropped. A write is dropped only when
    its segment has expired. The layers above and the changelog keep ``SessionKeySchema`` keys.
    """

    time_ordered = True

    def __init__(self, name: str, retention_ms: int, segment_interval_ms: int,
                 provider: SegmentProvider) -> None:
        from raystreams.state.base.key_schema import SESSION_KEY_SCHEMA
        super().__init__(name, retention_ms, segment_interval_ms, SESSION_KEY_SCHEMA, provider)

    @staticmethod
    def _end(key: bytes) -> int:
        return _long_at(key, len(key) - 16)[0]

    # -- writes -----------------------------------------------------------------------------------

    def put(self, key: bytes, value: bytes | None) -> None:
        self._write_grouped([(key, value)])

    def _write_grouped(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        self._check_open()
        entries = list(entries)
        if not entries:
            return
        end_of = self._end
        newest = max(end_of(k) for k, _ in entries)
        if newest > self._observed:
            self._advance(newest)
        interval = self.segment_interval
        min_live = self._min_live
        groups: dict[int, list[tuple[bytes, bytes | None]]] = {}
        for key, value in entries:
            seg_id = end_of(key) // interval
            if seg_id < min_live:
                self.expired_records += 1
                continue
            # index first, as Kafka: a base entry never exists without its index entry
            groups.setdefault(seg_id, []).extend(
                ((INDEX_PREFIX + key, None if value is None else b""), (session_time_first(key), value)))
        for seg_id, group in groups.items():
            self._segment_for_write(seg_id).write(group)

    # -- reads ------------------------------------------------------------------------------------

    def get(self, key: bytes) -> bytes | None:
        if not self._open:
            self._check_open()
        end = self._end(key)
        if end < self._observed - self.retention_period + 1:
            return None
        segment = self._segments.get(end // self.segment_interval)
        return None if segment is None else segment.get(session_time_first(key))

    def fetch(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int,
              forward: bool = True) -> BytesIterator:
        self._check_open()
        if invalid_range(key_from, key_to):
            return iter(())
        schema = self.schema
        actual_from = max(time_from, self._observed - self.retention_period + 1)
        if key_from is not None and key_from == key_to:
            lo = INDEX_PREFIX + schema.lower_range_fixed(key_from, actual_from)
            hi = INDEX_PREFIX + schema.upper_range_fixed(key_from, time_to)
        else:
            lo = INDEX_PREFIX + (b"" if key_from is None else schema.lower_range(key_from, actual_from))
            hi = b"\x02" if key_to is None else INDEX_PREFIX + schema.upper_range(key_to, time_to)
        match = schema.matcher(key_from, key_to, actual_from, time_to)
        return self._scan_index(max(0, actual_from), lo, hi, match, forward)

    def _scan_index(self, seg_from: int, lo: bytes, hi: bytes, match: Callable[[bytes], bool],
                    forward: bool) -> Iterator[tuple[bytes, bytes]]:
        for segment in self._segments_between(seg_from, LONG_MAX, forward):
            if not self._open:
                return
            get = segment.get
            for index_key, _ in segment.range(lo, hi, forward):
                key = index_key[1:]
                if not match(key):
                    continue
                value = get(session_time_first(key))
                if value is not None:
                    yield key, value

    def fetch_sessions(self, earliest_end: int, latest_end: int) -> BytesIterator:
        """Every key's sessions ending in ``[earliest_end, latest_end]``, by end, start, key."""
        self._check_open()
        lo = TIME_FIRST_PREFIX + _LONG.pack(max(0, earliest_end))
        hi = TIME_FIRST_PREFIX + _LONG.pack(latest_end + 1) if latest_end < LONG_MAX else INDEX_PREFIX
        return self._scan_base(max(0, earliest_end), latest_end, lo, hi, earliest_end, latest_end, True)

    def all(self, forward: bool = True) -> BytesIterator:
        self._check_open()
        actual_from = max(0, self._observed - self.retention_period + 1)
        lo = TIME_FIRST_PREFIX + _LONG.pack(actual_from)
        return self._scan_base(0, LONG_MAX, lo, INDEX_PREFIX, actual_from, LONG_MAX, forward)

    def _scan_base(self, seg_from: int, seg_to: int, lo: bytes, hi: bytes, end_from: int, end_to: int,
                   forward: bool) -> Iterator[tuple[bytes, bytes]]:
        for segment in self._segments_between(seg_from, seg_to, forward):
            if not self._open:
                return
            for base_key, value in segment.range(lo, hi, forward):
                if base_key[:1] == TIME_FIRST_PREFIX and end_from <= _long_at(base_key, 1)[0] <= end_to:
                    yield session_from_time_first(base_key), value
