"""A sorted view of a dict's keys that costs nothing until a range query needs it.

Point operations only add a key to a pending set (or mark it dead); a range query merges the
pending keys in (Timsort merges the two sorted runs in linear time) and bisects. Merges build a
new list, so an iterator walking an older list is never disturbed by later writes.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

__all__ = ["SortedKeySet"]


class SortedKeySet:
    """Sorted keys of a mapping, kept up to date lazily.

    The owner calls ``add`` when a key becomes present and ``discard`` when it goes away; it
    must check liveness against the mapping when iterating, since dead keys are dropped from
    the list only now and then.
    """

    __slots__ = ("_keys", "_pending", "_dead")

    def __init__(self, keys: Iterable[bytes] = ()) -> None:
        self._keys: list[bytes] = sorted(keys)
        self._pending: set[bytes] = set()
        self._dead: set[bytes] = set()

    def add(self, key: bytes) -> None:
        """``key`` was absent and is present now."""
        dead = self._dead
        if key in dead:
            dead.discard(key)  # still in the list: alive again
        else:
            self._pending.add(key)

    def discard(self, key: bytes) -> None:
        """``key`` was present and is gone now."""
        pending = self._pending
        if key in pending:
            pending.discard(key)
        else:
            self._dead.add(key)

    def clear(self) -> None:
        self._keys = []
        self._pending.clear()
        self._dead.clear()

    def sorted(self) -> list[bytes]:
        """The current sorted list (may still hold dead keys); do not mutate it."""
        keys = self._keys
        dead = self._dead
        if self._pending:
            keys = keys + sorted(self._pending)
            keys.sort()
            self._pending.clear()
            if len(dead) * 4 > len(keys):
                keys = [k for k in keys if k not in dead]
                dead.clear()
            self._keys = keys
        elif len(dead) * 4 > len(keys) + 64:
            keys = [k for k in keys if k not in dead]
            dead.clear()
            self._keys = keys
        return keys

    def bounds(self, lo: bytes | None, hi: bytes | None,
               hi_inclusive: bool = True) -> tuple[list[bytes], int, int]:
        """The sorted list and the index range ``[start, stop)`` of keys within ``[lo, hi]``."""
        keys = self.sorted()
        start = 0 if lo is None else bisect_left(keys, lo)
        if hi is None:
            stop = len(keys)
        elif hi_inclusive:
            stop = bisect_right(keys, hi)
        else:
            stop = bisect_left(keys, hi)
        return keys, start, stop
