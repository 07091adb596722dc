"""A bounded in-memory key-value store that forgets its least recently used keys (``Stores.lru_map``).

Kafka's ``MemoryLRUCache`` / ``MemoryNavigableLRUCache``: reads and writes make a key the most
recently used; a write beyond ``max_cache_size`` entries removes the eldest. When the store is
change-logged, each such removal is logged as a tombstone, so a restore ends up with the same
keys.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

from raystreams.errors import IllegalArgumentException, InvalidStateStoreException
from raystreams.state.base.bytes_store import BytesIterator, DirtyEntry, invalid_range

if TYPE_CHECKING:
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = ["MemoryLRUStore"]

_LONG = struct.Struct(">q")


class MemoryLRUStore:
    """An LRU map of bytes with at most ``max_cache_size`` entries.

    Range scans sort the keys they cover when called; the map is meant to stay small.
    """

    def __init__(self, name: str, max_cache_size: int) -> None:
        if max_cache_size < 0:
            raise IllegalArgumentException(
                f"max_cache_size of store {name} cannot be negative, got {max_cache_size}")
        self._name = name
        self.max_cache_size = max_cache_size
        self._map: OrderedDict[bytes, bytes] = OrderedDict()
        self._open = False
        self._restoring = False
        self._on_evict: Callable[[bytes, bytes], None] | None = None
        self.timestamped = False

    @property
    def name(self) -> str:
        return self._name

    def set_when_eldest_removed(self, listener: Callable[[bytes, bytes], None] | None) -> None:
        """Call ``listener(key, value)`` for each entry evicted for lack of room (not on restore)."""
        self._on_evict = listener

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._open = True
        context.register(root, self.restore_batch)

    def persistent(self) -> bool:
        return False

    def is_open(self) -> bool:
        return self._open

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._open = False
        self._map.clear()

    def _check(self) -> None:
        if not self._open:
            raise InvalidStateStoreException(f"Store {self._name} is currently closed.")

    def restore_batch(self, records: Sequence[Sequence]) -> None:
        self._restoring = True
        try:
            pack = _LONG.pack
            for r in records:
                value = r[1]
                if value is not None and self.timestamped:
                    value = pack(r[2]) + value
                self._put(r[0], value)
        finally:
            self._restoring = False

    def _put(self, key: bytes, value: bytes | None) -> None:
        m = self._map
        if value is None:
            m.pop(key, None)
            return
        m[key] = value
        m.move_to_end(key)
        while len(m) > self.max_cache_size:
            old_key, old_value = m.popitem(last=False)
            if self._on_evict is not None and not self._restoring:
                self._on_evict(old_key, old_value)

    def get(self, key: bytes) -> bytes | None:
        self._check()
        m = self._map
        value = m.get(key)
        if value is not None:
            m.move_to_end(key)
        return value

    def put(self, key: bytes, value: bytes | None) -> None:
        self._check()
        self._put(key, value)

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        old = self.get(key)
        if old is None:
            self._put(key, value)
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        self._check()
        for key, value in entries:
            self._put(key, value)

    def put_batch(self, entries: Sequence[DirtyEntry]) -> None:
        self._check()
        for entry in entries:
            self._put(entry[0], entry[1])

    def delete(self, key: bytes) -> bytes | None:
        self._check()
        return self._map.pop(key, None)

    def range(self, key_from: bytes | None, key_to: bytes | None, forward: bool = True) -> BytesIterator:
        self._check()
        if invalid_range(key_from, key_to):
            return iter(())
        keys = sorted(self._map)
        start = 0 if key_from is None else bisect_left(keys, key_from)
        stop = len(keys) if key_to is None else bisect_right(keys, key_to)
        return self._walk(keys[start:stop] if forward else keys[start:stop][::-1])

    def all(self, forward: bool = True) -> BytesIterator:
        return self.range(None, None, forward)

    def prefix_scan(self, prefix: bytes) -> BytesIterator:
        self._check()
        return self._walk([k for k in sorted(self._map) if k.startswith(prefix)])

    def _walk(self, keys: list[bytes]) -> Iterator[tuple[bytes, bytes]]:
        get = self._map.get
        for key in keys:
            value = get(key)
            if value is not None:
                yield key, value

    def approximate_num_entries(self) -> int:
        self._check()
        return len(self._map)

    def __repr__(self) -> str:
        return f"MemoryLRUStore({self._name!r}, max_cache_size={self.max_cache_size})"
