"""A binary heap that breaks ties exactly as java.util.PriorityQueue does.

Kafka Streams picks the next record (and the next punctuation) from a PriorityQueue; when
timestamps tie, which one wins is decided by that heap's sift rules, so we follow them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class JavaPriorityQueue(Generic[T]):
    __slots__ = ("_q", "_cmp")

    def __init__(self, compare: Callable[[T, T], int]) -> None:
        self._q: list[T] = []
        self._cmp = compare

    def __len__(self) -> int:
        return len(self._q)

    def __bool__(self) -> bool:
        return bool(self._q)

    def __contains__(self, item: object) -> bool:
        return any(x is item for x in self._q)

    def peek(self) -> T | None:
        return self._q[0] if self._q else None

    def offer(self, item: T) -> None:
        q = self._q
        q.append(item)
        k = len(q) - 1
        cmp = self._cmp
        while k > 0:
            parent = (k - 1) >> 1
            e = q[parent]
            if cmp(item, e) >= 0:
                break
            q[k] = e
            k = parent
        q[k] = item

    def poll(self) -> T | None:
        q = self._q
        if not q:
            return None
        result = q[0]
        last = q.pop()
        if q:
            self._sift_down(0, last)
        return result

    def remove(self, item: T) -> bool:
        q = self._q
        for i, x in enumerate(q):
            if x is item:
                last = q.pop()
                if i < len(q):
                    self._sift_down(i, last)
                    if q[i] is last:
                        self._sift_up(i, last)
                return True
        return False

    def clear(self) -> None:
        self._q.clear()

    def _sift_up(self, k: int, item: T) -> None:
        q, cmp = self._q, self._cmp
        while k > 0:
            parent = (k - 1) >> 1
            e = q[parent]
            if cmp(item, e) >= 0:
                break
            q[k] = e
            k = parent
        q[k] = item

    def _sift_down(self, k: int, item: T) -> None:
        q, cmp = self._q, self._cmp
        n = len(q)
        half = n >> 1
        while k < half:
            child = 2 * k + 1
            c = q[child]
            right = child + 1
            if right < n and cmp(c, q[right]) > 0:
                child = right
                c = q[child]
            if cmp(item, c) <= 0:
                break
            q[k] = c
            k = child
        q[k] = item
