"""Iteration orders of java.util collections, so descriptions print exactly as Kafka Streams does.

Kafka Streams' ``TopologyDescription`` text depends on the iteration order of Java
``HashSet``/``HashMap`` (by String hash bucket) and of ``TreeSet`` (a red-black tree whose
comparator may change while elements sit in it). Tools made for Kafka Streams compare that
text, so these helpers reproduce both orders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


def java_string_hash(text: str) -> int:
    """``String.hashCode()``: 31-polynomial over UTF-16 code units, as a signed 32-bit int."""
    units = text.encode("utf-16-be")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + (units[i] << 8 | units[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def _table_size_for(capacity: int) -> int:
    n = 1
    while n < capacity:
        n <<= 1
    return max(n, 1)


def java_hash_order(items: Iterable[str], initial_capacity: int = 16) -> list[str]:
    """The iteration order of a ``java.util.HashSet<String>`` filled with ``items`` in order.

    Buckets are ``(h ^ (h >>> 16)) & (capacity - 1)``; the table doubles past 0.75 load, and a
    resize keeps the relative order inside a bucket, so order is (bucket, insertion).
    """
    unique: list[str] = []
    seen: set[str] = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            unique.append(item)
    capacity = _table_size_for(initial_capacity)
    while len(unique) > capacity * 0.75:
        capacity <<= 1

    def bucket(s: str) -> int:
        h = java_string_hash(s) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    indexed = sorted(enumerate(unique), key=lambda pair: (bucket(pair[1]), pair[0]))
    return [s for _, s in indexed]


def java_hash_set_copy_order(items: list[str]) -> list[str]:
    """Order of ``new HashSet<>(collection)``: sized for the collection, at least 16."""
    return java_hash_order(items, max(int(len(items) / 0.75) + 1, 16))


class _Entry(Generic[T]):
    __slots__ = ("item", "left", "right", "parent", "red")

    def __init__(self, item: T, parent: _Entry[T] | None) -> None:
        self.item = item
        self.left: _Entry[T] | None = None
        self.right: _Entry[T] | None = None
        self.parent = parent
        self.red = False


class JavaTreeSet(Generic[T]):
    """A ``java.util.TreeSet`` with a comparator: red-black insertion as ``TreeMap.put`` does it.

    The comparator is consulted at insertion time only, so elements whose sort key changes
    afterwards stay where they were put, exactly as in Java.
    """

    def __init__(self, compare: Callable[[T, T], int]) -> None:
        self._compare = compare
        self._root: _Entry[T] | None = None
        self._size = 0

    def add(self, item: T) -> bool:
        node = self._root
        if node is None:
            self._compare(item, item)
            self._root = _Entry(item, None)
            self._size = 1
            return True
        while True:
            cmp = self._compare(item, node.item)
            if cmp == 0:
                return False
            nxt = node.left if cmp < 0 else node.right
            if nxt is None:
                entry = _Entry(item, node)
                if cmp < 0:
                    node.left = entry
                else:
                    node.right = entry
                self._fix_after_insertion(entry)
                self._size += 1
                return True
            node = nxt

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[T]:
        stack: list[_Entry[T]] = []
        node = self._root
        while stack or node is not None:
            while node is not None:
                stack.append(node)
                node = node.left
            node = stack.pop()
            yield node.item
            node = node.right

    # --- red-black balancing, following the classic CLR algorithm TreeMap uses ---

    @staticmethod
    def _is_red(e: _Entry[T] | None) -> bool:
        return e is not None and e.red

    def _rotate_left(self, p: _Entry[T] | None) -> None:
        if p is None or p.right is None:
            return
        r = p.right
        p.right = r.left
        if r.left is not None:
            r.left.parent = p
        r.parent = p.parent
        if p.parent is None:
            self._root = r
        elif p.parent.left is p:
            p.parent.left = r
        else:
            p.parent.right = r
        r.left = p
        p.parent = r

    def _rotate_right(self, p: _Entry[T] | None) -> None:
        if p is None or p.left is None:
            return
        left = p.left
        p.left = left.right
        if left.right is not None:
            left.right.parent = p
        left.parent = p.parent
        if p.parent is None:
            self._root = left
        elif p.parent.right is p:
            p.parent.right = left
        else:
            p.parent.left = left
        left.right = p
        p.parent = left

    def _fix_after_insertion(self, x: _Entry[T]) -> None:
        x.red = True
        while x is not None and x is not self._root and x.parent is not None and x.parent.red:
            parent = x.parent
            grand = parent.parent
            if grand is None:
                break
            if parent is grand.left:
                uncle = grand.right
                if self._is_red(uncle):
                    parent.red = False
                    uncle.red = False  # type: ignore[union-attr]
                    grand.red = True
                    x = grand
                else:
                    if x is parent.right:
                        x = parent
                        self._rotate_left(x)
                    assert x.parent is not None and x.parent.parent is not None
                    x.parent.red = False
                    x.parent.parent.red = True
                    self._rotate_right(x.parent.parent)
            else:
                uncle = grand.left
                if self._is_red(uncle):
                    parent.red = False
                    uncle.red = False  # type: ignore[union-attr]
                    grand.red = True
                    x = grand
                else:
                    if x is parent.left:
                        x = parent
                        self._rotate_right(x)
                    assert x.parent is not None and x.parent.parent is not None
                    x.parent.red = False
                    x.parent.parent.red = True
                    self._rotate_left(x.parent.parent)
        assert self._root is not None
        self._root.red = False
