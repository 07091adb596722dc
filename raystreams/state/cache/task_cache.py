"""The per-task record cache: one byte budget shared by all caching stores of a task.

Kafka Streams' ``ThreadCache`` and ``NamedCache``, with Kafka's sizes and eviction order. Each
caching store owns a namespace (a ``NamedCache``): an insertion-ordered dict from serialized
key to ``(value bytes | None, RecordContext | None, size)``, kept in least-recently-used order,
and a dict of its dirty keys in the order they were last written. When a write takes the task
over budget, the least recently used entries *of the namespace being written* are evicted;
evicting a dirty entry flushes that namespace's dirty entries, evicted one first, to the
store's flush listener (which writes them down and forwards them).

Sizes are Kafka's estimates: key + value + 45 bytes of entry overhead + the record context's
topic and header bytes.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from raystreams.errors import IllegalArgumentException, ProcessorStateException
from raystreams.processor.api import RecordContext
from raystreams.state.base.sorted_keys import SortedKeySet

__all__ = ["ENTRY_OVERHEAD", "CacheEntry", "NamedCache", "TaskCache", "entry_size"]

ENTRY_OVERHEAD = 45
"""Kafka's per-entry estimate: LRU node (3 x 8), dirty flag (1), timestamp, offset (2 x 8), partition (4)."""

CacheEntry = tuple[Any, Any, int]
"""``(value bytes or None for a delete, RecordContext or None for a clean entry, size in bytes)``."""

FlushListener = Callable[[list[tuple[bytes, Any, Any]]], None]


def _context_size(ctx: RecordContext | None) -> int:
    if ctx is None:
        return 0
    n = len(ctx.topic) if ctx.topic else 0
    headers = ctx.headers
    if headers:
        for key, value in headers:
            n += len(key) + (len(value) if value else 0)
    return n


def entry_size(key: bytes, value: bytes | None, ctx: RecordContext | None = None) -> int:
    """Kafka's size estimate of a cache entry (``NamedCache.LRUNode.size``)."""
    return len(key) + (len(value) if value is not None else 0) + ENTRY_OVERHEAD + _context_size(ctx)


class NamedCache:
    """One store's namespace in a ``TaskCache`` (Kafka's ``NamedCache``)."""

    __slots__ = ("name", "_owner", "entries", "dirty", "size", "listener", "_index")

    def __init__(self, name: str, owner: TaskCache) -> None:
        self.name = name
        self._owner = owner
        self.entries: OrderedDict[bytes, CacheEntry] = OrderedDict()
        self.dirty: dict[bytes, None] = {}
        self.size = 0
        self.listener: FlushListener | None = None
        self._index: SortedKeySet | None = None

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: bytes) -> CacheEntry | None:
        """The entry of ``key`` (which becomes the most recently used), or ``None``."""
        entries = self.entries
        entry = entries.get(key)
        if entry is not None:
            entries.move_to_end(key)
        return entry

    def put(self, key: bytes, value: bytes | None, context: RecordContext | None) -> None:
        """A write: a dirty entry, to be flushed with ``context``. ``None`` is a delete."""
        owner = self._owner
        if context is not owner._last_ctx:
            # the stores of a task write many entries per record: size its context once
            owner._last_ctx_size = _context_size(context) + ENTRY_OVERHEAD
            owner._last_ctx = context
        size = len(key) + (len(value) if value is not None else 0) + owner._last_ctx_size
        entries = self.entries
        old = entries.get(key)
        entries[key] = (value, context, size)
        if old is None:
            if self._index is not None:
                self._index.add(key)
            delta = size
        else:
            entries.move_to_end(key)
            delta = size - old[2]
        dirty = self.dirty
        dirty.pop(key, None)  # re-insert: flush order is the order of the last writes
        dirty[key] = None
        self.size += delta
        owner.size += delta
        if owner.size > owner.max_bytes:
            self._maybe_evict()

    def put_clean(self, key: bytes, value: bytes) -> None:
        """A value read from the store below, cached for later reads (never flushed)."""
        entries = self.entries
        if key in entries:
            return  # a dirty entry must not be replaced by an older clean value
        size = len(key) + len(value) + ENTRY_OVERHEAD
        if self._index is not None:
            self._index.add(key)
        entries[key] = (value, None, size)
        self.size += size
        owner = self._owner
        owner.size += size
        if owner.size > owner.max_bytes:
            self._maybe_evict()

    def delete(self, key: bytes) -> CacheEntry | None:
        """Drop ``key`` from the cache without flushing it."""
        entry = self.entries.pop(key, None)
        if entry is None:
            return None
        self.dirty.pop(key, None)
        if self._index is not None:
            self._index.discard(key)
        self.size -= entry[2]
        self._owner.size -= entry[2]
        return entry

    def _maybe_evict(self) -> None:
        owner = self._owner
        entries = self.entries
        # Stop when this namespace is empty even if the task is still over budget: the write
        # may have come from another namespace's flush listener (Kafka's ThreadCache.maybeEvict).
        while owner.size > owner.max_bytes and entries:
            self.evict()

    def evict(self) -> None:
        """Remove the least recently used entry; if it was dirty, flush the namespace."""
        entries = self.entries
        if not entries:
            return
        key, entry = entries.popitem(last=False)
        if self._index is not None:
            self._index.discard(key)
        self.size -= entry[2]
        owner = self._owner
        owner.size -= entry[2]
        owner.evicts += 1
        if key in self.dirty:
            self._flush(key, entry)

    def flush(self) -> None:
        """Hand every dirty entry, in write order, to the listener; entries stay cached, clean."""
        self._flush(None, None)

    def _flush(self, evicted_key: bytes | None, evicted: CacheEntry | None) -> None:
        self._owner.flushes += 1
        dirty = self.dirty
        if not dirty:
            return
        listener = self.listener
        if listener is None:
            raise ProcessorStateException(f"No flush listener registered for cache namespace {self.name}")
        out: list[tuple[bytes, Any, Any]] = []
        if evicted_key is not None:
            out.append((evicted_key, evicted[0], evicted[1]))
            del dirty[evicted_key]
        entries = self.entries
        deleted = []
        for key in dirty:
            entry = entries[key]
            out.append((key, entry[0], entry[1]))
            if entry[0] is None:
                deleted.append(key)
        # cleared before the listener runs: it may write to this cache again
        self.dirty = {}
        listener(out)
        for key in deleted:
            self.delete(key)

    def range(self, lo: bytes | None, hi: bytes | None, forward: bool = True,
              hi_inclusive: bool = True) -> Iterator[tuple[bytes, bytes | None]]:  # a generator
        """Cached ``(key, value)`` pairs in key order; a ``None`` value is a pending delete.

        The keys are taken when iteration starts; entries evicted while iterating are
        skipped; reading does not refresh LRU order.
        """
        index = self._index
        if index is None:
            index = self._index = SortedKeySet(self.entries)
        keys, start, stop = index.bounds(lo, hi, hi_inclusive)
        yield from _walk(self.entries, keys, start, stop, forward)

    def clear(self) -> None:
        """Forget every entry without flushing."""
        self._owner.size -= self.size
        self.size = 0
        self.entries.clear()  # in place: open iterators find nothing more
        self.dirty = {}
        self._index = None


def _walk(entries: dict[bytes, CacheEntry], keys: Sequence[bytes], start: int, stop: int,
          forward: bool) -> Iterator[tuple[bytes, bytes | None]]:
    get = entries.get
    for i in range(start, stop) if forward else range(stop - 1, start - 1, -1):
        key = keys[i]
        entry = get(key)
        if entry is not None:
            yield key, entry[0]


class TaskCache:
    """The record cache of one task: a byte budget over the namespaces of its caching stores.

    Kafka shares one ``ThreadCache`` per stream thread; raystreams gives each task its own, of
    ``statestore.cache.max.bytes``. With ``max_bytes == 0`` the caching layers step aside:
    every write goes straight down and no flush listener is used.

    Args:
        max_bytes: The budget in bytes.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise IllegalArgumentException(f"cache size cannot be negative, got {max_bytes}")
        self.max_bytes = max_bytes
        self.size = 0
        self.evicts = 0
        self.flushes = 0
        self._caches: dict[str, NamedCache] = {}
        self._last_ctx: Any = object()
        self._last_ctx_size = ENTRY_OVERHEAD

    @classmethod
    def from_config(cls, config: Any) -> TaskCache:
        """A cache of ``statestore.cache.max.bytes`` (10 MiB when unset)."""
        from raystreams.state.context import cache_max_bytes
        return cls(cache_max_bytes(config))

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def named_cache(self, namespace: str) -> NamedCache:
        """The namespace's cache, created on first use."""
        cache = self._caches.get(namespace)
        if cache is None:
            cache = self._caches[namespace] = NamedCache(namespace, self)
        return cache

    def get(self, namespace: str, key: bytes) -> CacheEntry | None:
        cache = self._caches.get(namespace)
        return None if cache is None or key is None else cache.get(key)

    def put(self, namespace: str, key: bytes, value: bytes | None, context: RecordContext | None) -> None:
        self.named_cache(namespace).put(key, value, context)

    def delete(self, namespace: str, key: bytes) -> CacheEntry | None:
        cache = self._caches.get(namespace)
        return None if cache is None else cache.delete(key)

    def flush(self, namespace: str | None = None) -> None:
        """Flush one namespace, or all of them in creation order."""
        if namespace is not None:
            cache = self._caches.get(namespace)
            if cache is not None:
                cache.flush()
            return
        for cache in list(self._caches.values()):
            cache.flush()

    def close(self, namespace: str) -> None:
        """Drop a namespace and its entries (after its store flushed it)."""
        cache = self._caches.pop(namespace, None)
        if cache is not None:
            cache.clear()
            cache.listener = None

    def resize(self, max_bytes: int) -> None:
        """Change the budget; shrinking evicts from the namespaces in turn (Kafka's ``resize``)."""
        shrink = max_bytes < self.max_bytes
        self.max_bytes = max_bytes
        if not shrink:
            return
        while self.size > self.max_bytes:
            progressed = False
            for cache in list(self._caches.values()):
                if self.size <= self.max_bytes:
                    break
                if cache.entries:
                    cache.evict()
                    progressed = True
            if not progressed:
                break

    def size_bytes(self) -> int:
        """Bytes in use by all namespaces (Kafka's ``sizeBytes``)."""
        return self.size

    def __len__(self) -> int:
        """Entries over all namespaces (Kafka's ``size``)."""
        return sum(len(c) for c in self._caches.values())

    def namespaces(self) -> list[str]:
        return list(self._caches)

    def __repr__(self) -> str:
        return f"TaskCache(max_bytes={self.max_bytes}, size={self.size}, namespaces={len(self._caches)})"
