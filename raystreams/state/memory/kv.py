"""The in-memory key-value bytes store (Kafka's ``InMemoryKeyValueStore``)."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from raystreams.errors import InvalidStateStoreException
from raystreams.state.base.bytes_store import BytesIterator, DirtyEntry, invalid_range
from raystreams.state.memory.sorted_map import SortedBytesMap

if TYPE_CHECKING:
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = ["InMemoryKeyValueStore"]

_LONG = struct.Struct(">q")


class InMemoryKeyValueStore:
    """Keys and values as bytes in a dict, range-scanned in key order; not persistent.

    Lost on close, rebuilt from the changelog when the task starts again.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._map = SortedBytesMap()
        self._open = False
        self.timestamped = False

    @property
    def name(self) -> str:
        return self._name

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._open = True
        context.register(root, self.restore_batch)

    def persistent(self) -> bool:
        return False

    def is_open(self) -> bool:
        return self._open

    def flush(self) -> None:
        pass  # nothing is buffered

    def close(self) -> None:
        self._open = False
        self._map.clear()

    def _closed(self) -> InvalidStateStoreException:
        return InvalidStateStoreException(f"Store {self._name} is currently closed.")

    def restore_batch(self, records: Sequence[Sequence]) -> None:
        """Write raw changelog records (``(key, value, timestamp, ...)``) into the map."""
        put = self._map.put
        if self.timestamped:
            pack = _LONG.pack
            for r in records:
                value = r[1]
                put(r[0], None if value is None else pack(r[2]) + value)
        else:
            for r in records:
                put(r[0], r[1])

    def get(self, key: bytes) -> bytes | None:
        if not self._open:
            raise self._closed()
        return self._map.data.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        if not self._open:
            raise self._closed()
        self._map.put(key, value)

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        old = self.get(key)
        if old is None:
            self._map.put(key, value)
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        if not self._open:
            raise self._closed()
        put = self._map.put
        for key, value in entries:
            put(key, value)

    def put_batch(self, entries: Sequence[DirtyEntry]) -> None:
        if not self._open:
            raise self._closed()
        put = self._map.put
        for entry in entries:
            put(entry[0], entry[1])

    def delete(self, key: bytes) -> bytes | None:
        if not self._open:
            raise self._closed()
        old = self._map.data.get(key)
        if old is not None:
            self._map.put(key, None)
        return old

    def range(self, key_from: bytes | None, key_to: bytes | None, forward: bool = True) -> BytesIterator:
        if not self._open:
            raise self._closed()
        if invalid_range(key_from, key_to):
            return iter(())
        return self._map.range(key_from, key_to, forward)

    def all(self, forward: bool = True) -> BytesIterator:
        if not self._open:
            raise self._closed()
        return self._map.range(None, None, forward)

    def prefix_scan(self, prefix: bytes) -> BytesIterator:
        if not self._open:
            raise self._closed()
        return self._map.prefix(prefix)

    def approximate_num_entries(self) -> int:
        if not self._open:
            raise self._closed()
        return len(self._map)

    def __repr__(self) -> str:
        return f"InMemoryKeyValueStore({self._name!r})"
