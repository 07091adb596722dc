"""Merging a cache range with a store range (Kafka's ``MergedSortedCache*Iterator``).

Both sides come sorted the same way; on equal keys the cache wins, and a cached ``None`` (a
delete not yet flushed) hides the store's entry.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator

__all__ = ["merge_cache_and_store", "merge_segmented"]

_LONG = struct.Struct(">q")

Pair = tuple[bytes, "bytes | None"]


def _close(it: object) -> None:
    close = getattr(it, "close", None)
    if close is not None:
        close()


def merge_cache_and_store(cache: Iterator[Pair], store: Iterator[tuple[bytes, bytes]],
                          forward: bool) -> Iterator[tuple[bytes, bytes]]:
    """Merge two key-ordered streams of ``(key, value)``; ``forward`` says which order."""
    try:
        c = next(cache, None)
        s = next(store, None)
        while c is not None and s is not None:
            ck, sk = c[0], s[0]
            if ck == sk:
                if c[1] is not None:
                    yield c
                c = next(cache, None)
                s = next(store, None)
            elif (ck < sk) == forward:
                if c[1] is not None:
                    yield c
                c = next(cache, None)
            else:
                yield s
                s = next(store, None)
        while c is not None:
            if c[1] is not None:
                yield c
            c = next(cache, None)
        if s is not None:
            yield s
            yield from store
    finally:
        _close(cache)
        _close(store)


def merge_segmented(cache: Iterator[Pair], store: Iterator[tuple[bytes, bytes]], forward: bool,
                    segment_of: Callable[[bytes], int],
                    store_sort: Callable[[bytes], bytes] | None = None,
                    unwrap: Callable[[bytes], bytes] | None = None) -> Iterator[tuple[bytes, bytes]]:
    """Merge a segment-prefixed cache range with a segmented store's range.

    Cache keys are ``[segment id 8 BE][store key]``, so they sort as the store iterates
    (segment by segment, then by key); store keys get the same prefix for comparing, and the
    prefix is stripped from what is yielded. A store that iterates in another order within a
    segment (the time-ordered window store) passes ``store_sort``, the cache key a store key
    compares as, and ``unwrap``, the store key of a cache key.
    """
    pack = _LONG.pack
    if store_sort is None:
        def store_sort(k: bytes) -> bytes:
            return pack(segment_of(k)) + k
    if unwrap is None:
        def unwrap(ck: bytes) -> bytes:
            return ck[8:]

    def store_sorted() -> Iterator[tuple[bytes, bytes, bytes]]:
        for k, v in store:
            yield store_sort(k), k, v

    s_it = store_sorted()
    try:
        c = next(cache, None)
        s = next(s_it, None)
        while c is not None and s is not None:
            ck, sk = c[0], s[0]
            if ck == sk:
                if c[1] is not None:
                    yield unwrap(ck), c[1]
                c = next(cache, None)
                s = next(s_it, None)
            elif (ck < sk) == forward:
                if c[1] is not None:
                    yield unwrap(ck), c[1]
                c = next(cache, None)
            else:
                yield s[1], s[2]
                s = next(s_it, None)
        while c is not None:
            if c[1] is not None:
                yield unwrap(c[0]), c[1]
            c = next(cache, None)
        while s is not None:
            yield s[1], s[2]
            s = next(s_it, None)
    finally:
        _close(cache)
        s_it.close()
        _close(store)
