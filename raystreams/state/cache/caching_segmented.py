"""The caching layer of window and session stores (Kafka's ``CachingWindowStore`` / ``CachingSessionStore``).

Cache keys are the store key prefixed with its segment id (8 bytes BE, Kafka's
``SegmentedCacheFunction``), so the cache sorts as the segmented store iterates and a fetch
merges the two in one pass. Point reads that miss are not cached (as in Kafka). On flush each
dirty entry goes down with its record context and reaches the listener with the old value
read from the store below.

The cache side of a read is filtered only by the requested keys and times, as Kafka's
``CachingWindowStore`` / ``CachingSessionStore`` do: an entry stays visible while it is cached
(flushing keeps entries, clean), even after the store below has expired it. Only the store
side applies retention (``observed stream time - retention``), so with the cache on, ``all()``
still lists, and a fetch or ``find_sessions`` still finds, a window or session that the same
store without a cache would hide.

Over Kafka's time-ordered window store the cache keys hold the time-first key instead
(``TimeOrderedCachingWindowStore``), and over the in-memory stores the segment id of the cache
is the time itself (Kafka's in-memory suppliers report a 1 ms segment interval), so in every
case the cache iterates in the order of the store below.
"""

from __future__ import annotations

import struct
from typing import Any

from raystreams.state.base.bytes_store import BytesIterator, invalid_range
from raystreams.state.base.key_schema import LONG_MAX
from raystreams.state.base.time_ordered import (
    from_time_first,
    several_keys,
    time_first_bounds,
    time_first_matcher,
    to_time_first,
)
from raystreams.state.cache.caching_kv import CachingLayer
from raystreams.state.cache.merge import merge_segmented

__all__ = ["CachingSegmentedStore"]

_LONG = struct.Struct(">q")


class CachingSegmentedStore(CachingLayer):
    """A record cache in front of a ``SegmentedBytesStore`` (window or session keys)."""

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self._observed = -1
        bottom = self.inner_most()
        # Over Kafka's time-ordered window store the cache is kept in its order too
        # (TimeOrderedCachingWindowStore): cache keys are [segment id][time-first key].
        self._time_ordered = bool(getattr(bottom, "time_ordered", False)) and bottom.schema.is_window
        self._has_index = bool(getattr(bottom, "has_index", False))
        # Kafka's in-memory suppliers give the cache a segment interval of 1 ms, so the cache
        # iterates by time, then key, as their stores do (segmentIntervalMs() == 1)
        self._interval = getattr(bottom, "cache_segment_interval", None) or self.wrapped.segment_interval

    @property
    def schema(self) -> Any:
        return self.wrapped.schema

    @property
    def retention_period(self) -> int:
        return self.wrapped.retention_period

    @property
    def segment_interval(self) -> int:
        return self.wrapped.segment_interval

    @property
    def observed_stream_time(self) -> int:
        return max(self._observed, self.wrapped.observed_stream_time)

    def _segment_of(self, key: bytes) -> int:
        return self.wrapped.schema.segment_timestamp(key) // self._interval

    def _cache_key(self, key: bytes) -> bytes:
        seg = _LONG.pack(self.wrapped.schema.segment_timestamp(key) // self._interval)
        return seg + (to_time_first(key) if self._time_ordered else key)

    def _store_key(self, cache_key: bytes) -> bytes:
        return from_time_first(cache_key[8:]) if self._time_ordered else cache_key[8:]

    def _time_first_sort(self, key: bytes) -> bytes:
        return _LONG.pack(self._segment_of(key)) + to_time_first(key)

    def _on_flush(self, entries: list[tuple[bytes, Any, Any]]) -> None:
        wrapped = self.wrapped
        listener = self._listener
        store_key = self._store_key
        if listener is None:
            wrapped.put_batch([(store_key(k), v, rc) for k, v, rc in entries])
            return
        get = wrapped.get
        send_old = self._send_old
        down = []
        out = []
        for cache_key, new, rc in entries:
            key = store_key(cache_key)
            old = get(key) if new is None or send_old else None
            if new is not None or old is not None:
                down.append((key, new, rc))
                out.append((key, new, old if send_old else None, rc))
        wrapped.put_batch(down)
        self._deliver(out)

    def get(self, key: bytes) -> bytes | None:
        # a cached entry answers even if the store below considers it expired (Kafka's
        # fetchPointInternal reads the cache first)
        entry = self._named().get(self._cache_key(key))
        if entry is not None:
            return entry[0]
        return self.wrapped.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        ts = self.wrapped.schema.segment_timestamp(key)
        if ts > self._observed:
            self._observed = ts
        seg = _LONG.pack(ts // self._interval)
        self._named().put(seg + (to_time_first(key) if self._time_ordered else key), value,
                          self._context.record_context)

    def put_batch(self, entries: Any) -> None:
        rc_put = self.put
        context = self._context
        previous = context.record_context
        try:
            for key, value, rc in entries:
                context.record_context = rc
                rc_put(key, value)
        finally:
            context.record_context = previous

    def fetch(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int,
              forward: bool = True) -> BytesIterator:
        cache = self._named()
        if invalid_range(key_from, key_to):
            return iter(())
        schema = self.wrapped.schema
        interval = self._interval
        if schema.is_window and time_to < time_from:
            return iter(())
        if self._time_ordered:
            return self._fetch_time_ordered(cache, key_from, key_to, time_from, time_to, forward)
        if key_from is not None and key_from == key_to:
            lo = schema.lower_range_fixed(key_from, time_from)
            hi = schema.upper_range_fixed(key_from, time_to)
        else:
            lo = b"" if key_from is None else schema.lower_range(key_from, time_from)
            hi = None if key_to is None else schema.upper_range(key_to, time_to)
        seg_from, seg_to = schema.segment_time_range(max(0, time_from), time_to)
        if seg_to < seg_from:
            return iter(())
        cache_lo = _LONG.pack(seg_from // interval) + lo
        last = seg_to // interval
        if hi is not None:
            cached = cache.range(cache_lo, _LONG.pack(last) + hi, forward)
        elif last < LONG_MAX:
            cached = cache.range(cache_lo, _LONG.pack(last + 1), forward, hi_inclusive=False)
        else:
            cached = cache.range(cache_lo, None, forward)
        match = schema.matcher(key_from, key_to, time_from, time_to)
        filtered = (kv for kv in cached if match(kv[0][8:]))
        return merge_segmented(filtered, self.wrapped.fetch(key_from, key_to, time_from, time_to, forward),
                               forward, self._segment_of)

    def _fetch_time_ordered(self, cache: Any, key_from: bytes | None, key_to: bytes | None,
                            time_from: int, time_to: int, forward: bool) -> BytesIterator:
        # Kafka's TimeOrderedCachingWindowStore: the cached time-first keys of the time range,
        # filtered by key and time only (no retention), merged in the store's order
        interval = self._interval
        lo, hi = time_first_bounds(time_from, time_to)
        cache_hi = (_LONG.pack(time_to // interval) + hi if time_to < LONG_MAX
                    else _LONG.pack(LONG_MAX // interval) + hi)
        cached = cache.range(_LONG.pack(max(0, time_from) // interval) + lo, cache_hi, forward)
        match = time_first_matcher(key_from, key_to, time_from, time_to)
        filtered = (kv for kv in cached if match(kv[0][8:]))
        below = self.wrapped.fetch(key_from, key_to, time_from, time_to, forward)
        if self._has_index and several_keys(key_from, key_to):
            # the index orders a key range key first within each segment
            keyed = sorted(((ck[:8] + from_time_first(ck[8:]), v) for ck, v in filtered),
                           reverse=not forward)
            return merge_segmented(iter(keyed), below, forward, self._segment_of)
        return merge_segmented(filtered, below, forward, self._segment_of, self._time_first_sort,
                               self._store_key)

    def all(self, forward: bool = True) -> BytesIterator:
        # every cached entry, unfiltered (Kafka's cache.all in CachingWindowStore.allInternal)
        cached = self._named().range(None, None, forward)
        if self._time_ordered:
            return merge_segmented(cached, self.wrapped.all(forward), forward, self._segment_of,
                                   self._time_first_sort, self._store_key)
        return merge_segmented(cached, self.wrapped.all(forward), forward, self._segment_of)
