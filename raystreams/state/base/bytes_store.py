"""The protocols below the metered layer, where only bytes pass, and the wrapping base class.

``KeyValueBytesStore`` is Kafka's ``KeyValueStore<Bytes, byte[]>``; ``SegmentedBytesStore`` is
its ``SegmentedBytesStore`` (keys laid out by ``WindowKeySchema`` or ``SessionKeySchema``),
the shape of window and session stores below the metered layer. Caching, change-logging and
the rocksdict and in-memory backends all implement one of them, so they stack in any order the
builders choose.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from raystreams.processor.api import RecordContext

if TYPE_CHECKING:
    from raystreams.state.base.key_schema import KeySchema
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = [
    "BytesIterator",
    "DirtyEntry",
    "KeyValueBytesStore",
    "SegmentedBytesStore",
    "WrappedStore",
    "increment",
    "invalid_range",
]

log = logging.getLogger(__name__)

BytesIterator = Iterator[tuple[bytes, bytes]]
"""Pairs of (key bytes, value bytes) in key order; generators, so ``close()`` releases them."""

DirtyEntry = tuple[bytes, "bytes | None", "RecordContext | None"]
"""A write flushed from the cache: key, value (``None`` deletes) and the context it was made in."""


def increment(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix`` (None: none)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))


def invalid_range(key_from: bytes | None, key_to: bytes | None) -> bool:
    """True (and a warning, as Kafka logs) when ``key_from > key_to``: the range is empty."""
    if key_from is not None and key_to is not None and key_from > key_to:
        log.warning("Returning empty iterator for fetch with invalid key range: from > to. This may be "
                    "due to range arguments set in the wrong order, or serdes that don't preserve "
                    "ordering when lexicographically comparing the serialized bytes. Note that the "
                    "built-in numerical serdes do not follow this for negative numbers")
        return True
    return False


@runtime_checkable
class KeyValueBytesStore(Protocol):
    """A key-value store of bytes, iterated in lexicographic key order.

    ``range`` bounds are inclusive; ``None`` leaves that end open. ``put`` with ``None``
    deletes.
    """

    timestamped: bool
    """Values are ``[timestamp 8 BE][value]``; restore rebuilds that from the changelog record."""

    @property
    def name(self) -> str: ...

    def init(self, context: StateStoreContext, root: StateStore) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def persistent(self) -> bool: ...

    def is_open(self) -> bool: ...

    def get(self, key: bytes) -> bytes | None: ...

    def put(self, key: bytes, value: bytes | None) -> None: ...

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None: ...

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None: ...

    def put_batch(self, entries: Sequence[DirtyEntry]) -> None:
        """Write cache-flushed entries at once (a RocksDB write batch); keys are distinct."""
        ...

    def delete(self, key: bytes) -> bytes | None: ...

    def range(self, key_from: bytes | None, key_to: bytes | None, forward: bool = True) -> BytesIterator: ...

    def all(self, forward: bool = True) -> BytesIterator: ...

    def prefix_scan(self, prefix: bytes) -> BytesIterator: ...

    def approximate_num_entries(self) -> int: ...


@runtime_checkable
class SegmentedBytesStore(Protocol):
    """Window or session data under schema-encoded keys, split into time segments.

    Keys are whole store keys (``[key][ts][seq]`` or ``[key][end][start]``). Records whose
    segment timestamp is at or before ``observed_stream_time - retention_period`` are dropped
    on write and never returned, as in Kafka.
    """

    timestamped: bool
    schema: KeySchema
    retention_period: int
    segment_interval: int

    @property
    def name(self) -> str: ...

    @property
    def observed_stream_time(self) -> int: ...

    def init(self, context: StateStoreContext, root: StateStore) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def persistent(self) -> bool: ...

    def is_open(self) -> bool: ...

    def get(self, key: bytes) -> bytes | None: ...

    def put(self, key: bytes, value: bytes | None) -> None: ...

    def put_batch(self, entries: Sequence[DirtyEntry]) -> None: ...

    def fetch(self, key_from: bytes | None, key_to: bytes | None, time_from: int, time_to: int,
              forward: bool = True) -> BytesIterator:
        """Records of keys in ``[key_from, key_to]`` whose times match ``[time_from, time_to]``.

        Windows match when their start lies in the interval; sessions when ``end >= time_from``
        and ``start <= time_to`` (Kafka's ``findSessions`` bounds).
        """
        ...

    def all(self, forward: bool = True) -> BytesIterator: ...


class WrappedStore:
    """A store layer around another one, adding one concern (Kafka's ``WrappedStateStore``).

    Delegates the lifecycle; subclasses override the data methods they care about.
    """

    __slots__ = ("wrapped",)

    def __init__(self, wrapped: Any) -> None:
        self.wrapped = wrapped

    @property
    def name(self) -> str:
        return self.wrapped.name

    @property
    def timestamped(self) -> bool:
        return self.wrapped.timestamped

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self.wrapped.init(context, root)

    def flush(self) -> None:
        self.wrapped.flush()

    def persist(self) -> None:
        persist = getattr(self.wrapped, "persist", None)
        if persist is not None:
            persist()

    def close(self) -> None:
        self.wrapped.close()

    def persistent(self) -> bool:
        return self.wrapped.persistent()

    def is_open(self) -> bool:
        return self.wrapped.is_open()

    def inner_most(self) -> Any:
        """The backend at the bottom of the stack."""
        store = self.wrapped
        while isinstance(store, WrappedStore):
            store = store.wrapped
        return store

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.wrapped!r})"
