"""A dict of bytes with sorted range scans: the core of every in-memory store."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from raystreams.state.base.sorted_keys import SortedKeySet

__all__ = ["SortedBytesMap"]


class SortedBytesMap:
    """``dict[bytes, bytes]`` plus range scans in key order.

    The sorted index is built on the first range scan and kept up to date from then on, so a
    store that only sees point reads and writes pays for a plain dict and nothing more.
    Iterators see the keys present when they started and the values current when they get
    there (a key deleted meanwhile is skipped).
    """

    __slots__ = ("data", "_index")

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self._index: SortedKeySet | None = None

    def __len__(self) -> int:
        return len(self.data)

    def get(self, key: bytes) -> bytes | None:
        return self.data.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        data = self.data
        if value is None:
            if data.pop(key, None) is not None and self._index is not None:
                self._index.discard(key)
            return
        if self._index is not None and key not in data:
            self._index.add(key)
        data[key] = value

    def write(self, entries: Sequence[tuple[bytes, bytes | None]]) -> None:
        put = self.put
        for key, value in entries:
            put(key, value)

    def clear(self) -> None:
        # In place, so that open iterators (which hold this dict) find nothing more.
        self.data.clear()
        self._index = None

    def range(self, lo: bytes | None, hi: bytes | None, forward: bool = True,
              hi_inclusive: bool = True) -> Iterator[tuple[bytes, bytes]]:
        """Entries in ``[lo, hi]`` in key order; the keys are taken when iteration starts."""
        index = self._index
        if index is None:
            index = self._index = SortedKeySet(self.data)
        keys, start, stop = index.bounds(lo, hi, hi_inclusive)
        yield from _walk(self.data, keys, start, stop, forward)

    def prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        index = self._index
        if index is None:
            index = self._index = SortedKeySet(self.data)
        keys, start, _ = index.bounds(prefix, None)
        yield from _walk_prefix(self.data, keys, start, prefix)


def _walk(data: dict[bytes, bytes], keys: list[bytes], start: int, stop: int,
          forward: bool) -> Iterator[tuple[bytes, bytes]]:
    get = data.get
    for i in range(start, stop) if forward else range(stop - 1, start - 1, -1):
        key = keys[i]
        value = get(key)
        if value is not None:
            yield key, value


def _walk_prefix(data: dict[bytes, bytes], keys: list[bytes], start: int,
                 prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    get = data.get
    for i in range(start, len(keys)):
        key = keys[i]
        if not key.startswith(prefix):
            return
        value = get(key)
        if value is not None:
            yield key, value
