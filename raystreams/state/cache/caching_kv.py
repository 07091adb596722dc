"""The caching layer of key-value stores (Kafka's ``CachingKeyValueStore``).

Writes land in the task's record cache only; reads go through it (a miss reads the store below
and caches the value clean); range scans merge cache and store. Dirty entries go down on
``flush_cache`` (commit) or eviction, in the order of their last write, as one batch, and each
is handed to the flush listener with its old value and record context. With no cache, or one
of 0 bytes, the layer steps aside: the metered layer then talks to the layer below directly
and ``set_flush_listener`` answers False, so the processor forwards by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from raystreams.errors import InvalidStateStoreException, ProcessorStateException
from raystreams.state.base.bytes_store import BytesIterator, WrappedStore, increment, invalid_range
from raystreams.state.cache.merge import merge_cache_and_store

if TYPE_CHECKING:
    from raystreams.state.cache.task_cache import NamedCache
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = ["BytesFlushListener", "CachingKeyValueStore", "CachingLayer"]

BytesFlushListener = Callable[[bytes, "bytes | None", "bytes | None", Any], None]
"""``(key, new value, old value or None, record context)`` in bytes."""


class CachingLayer(WrappedStore):
    """What the key-value and segmented caching layers share: setup, listener, flush, close."""

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self._cache: NamedCache | None = None
        self._context: StateStoreContext | None = None
        self._listener: BytesFlushListener | None = None
        self._send_old = False
        self._namespace = ""

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._context = context
        cache = context.cache
        if cache is not None and cache.max_bytes > 0:
            self._namespace = f"{context.task_id}-{self.wrapped.name}"
            named = self._cache = cache.named_cache(self._namespace)
            named.listener = self._on_flush
        self.wrapped.init(context, root)

    @property
    def caching_active(self) -> bool:
        """Whether writes are cached (a cache of more than 0 bytes was given at init)."""
        return self._cache is not None

    def active_layer(self) -> Any:
        """The layer that should take reads and writes: this one, or the one below."""
        return self if self._cache is not None else self.wrapped

    def set_flush_listener(self, listener: BytesFlushListener | None, send_old_values: bool) -> bool:
        """Install the listener; True if it will be called (caching is active).

        Must be called after ``init`` (processors are initialised after their stores).
        """
        if self._context is None:
            raise ProcessorStateException(
                f"set_flush_listener on store {self.wrapped.name} before the store was initialised")
        self._listener = listener
        self._send_old = send_old_values
        return self._cache is not None

    def _on_flush(self, entries: list[tuple[bytes, Any, Any]]) -> None:
        raise NotImplementedError

    def _deliver(self, out: list[tuple[bytes, Any, Any, Any]]) -> None:
        # Forward with each entry's record context current, as Kafka's setRecordContext does.
        listener = self._listener
        context = self._context
        previous = context.record_context
        try:
            for key, new, old, rc in out:
                context.record_context = rc
                listener(key, new, old, rc)
        finally:
            context.record_context = previous

    def flush_cache(self) -> None:
        if self._cache is not None:
            self._cache.flush()

    def flush(self) -> None:
        self.flush_cache()
        self.wrapped.flush()

    def close(self) -> None:
        try:
            if self._cache is not None and self.wrapped.is_open():
                self._cache.flush()
        finally:
            try:
                if self._cache is not None:
                    self._context.cache.close(self._namespace)
                    self._cache = None
            finally:
                self.wrapped.close()

    def _named(self) -> NamedCache:
        cache = self._cache
        if cache is None:
            if self._context is not None and self.wrapped.is_open():
                raise ProcessorStateException(
                    f"Caching of store {self.wrapped.name} is off (no task cache, or 0 bytes); "
                    "use active_layer() to reach the store below")
            raise InvalidStateStoreException(f"Store {self.wrapped.name} is currently closed.")
        return cache


class CachingKeyValueStore(CachingLayer):
    """A record cache in front of a ``KeyValueBytesStore``."""

    def _on_flush(self, entries: list[tuple[bytes, Any, Any]]) -> None:
        wrapped = self.wrapped
        listener = self._listener
        if listener is None:
            wrapped.put_batch(entries)
            return
        get = wrapped.get
        send_old = self._send_old
        down = []
        out = []
        for key, new, rc in entries:
            old = get(key) if new is None or send_old else None
            # neither in the store nor in the cache: nothing to write, nothing to forward
            if new is not None or old is not None:
                down.append((key, new, rc))
                out.append((key, new, old if send_old else None, rc))
        wrapped.put_batch(down)
        self._deliver(out)

    def get(self, key: bytes) -> bytes | None:
        cache = self._named()
        entry = cache.get(key)
        if entry is not None:
            return entry[0]
        value = self.wrapped.get(key)
        if value is not None:
            cache.put_clean(key, value)
        return value

    def put(self, key: bytes, value: bytes | None) -> None:
        self._named().put(key, value, self._context.record_context)

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        put = self._named().put
        rc = self._context.record_context
        for key, value in entries:
            put(key, value, rc)

    def put_batch(self, entries: Any) -> None:
        put = self._named().put
        for key, value, rc in entries:
            put(key, value, rc)

    def delete(self, key: bytes) -> bytes | None:
        old = self.get(key)
        self.put(key, None)
        return old

    def range(self, key_from: bytes | None, key_to: bytes | None, forward: bool = True) -> BytesIterator:
        cache = self._named()
        if invalid_range(key_from, key_to):
            return iter(())
        return merge_cache_and_store(cache.range(key_from, key_to, forward),
                                     self.wrapped.range(key_from, key_to, forward), forward)

    def all(self, forward: bool = True) -> BytesIterator:
        cache = self._named()
        return merge_cache_and_store(cache.range(None, None, forward), self.wrapped.all(forward), forward)

    def prefix_scan(self, prefix: bytes) -> BytesIterator:
        cache = self._named()
        end = increment(prefix)
        cached = cache.range(prefix, end, True, hi_inclusive=False) if end is not None else (
            kv for kv in cache.range(prefix, None) if kv[0].startswith(prefix))
        return merge_cache_and_store(cached, self.wrapped.prefix_scan(prefix), True)

    def approximate_num_entries(self) -> int:
        self._named()
        return self.wrapped.approximate_num_entries()
