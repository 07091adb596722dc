"""Value types shared by all stores: KeyValue, ValueAndTimestamp, ChangelogRecord and iterators.

These are Kafka Streams' ``KeyValue``, ``ValueAndTimestamp`` and ``KeyValueIterator``; the
changelog record is the raw shape a restore consumes (Kafka's ``ConsumerRecord<byte[], byte[]>``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, NamedTuple, TypeVar

from raystreams.keyvalue import KeyValue

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["ChangelogRecord", "KeyValue", "KeyValueIterator", "ValueAndTimestamp"]


class ValueAndTimestamp(NamedTuple, Generic[V]):
    """A value with the timestamp of the record that last wrote it (Kafka's ``ValueAndTimestamp``).

    Stored as Kafka lays it out: 8-byte big-endian timestamp, then the value bytes.
    """

    value: V
    timestamp: int

    @staticmethod
    def make(value: V | None, timestamp: int) -> ValueAndTimestamp[V] | None:
        """Kafka's ``ValueAndTimestamp.make``: ``None`` when the value is ``None`` (a tombstone)."""
        return None if value is None else ValueAndTimestamp(value, timestamp)

    @staticmethod
    def get_value_or_null(vat: ValueAndTimestamp[V] | None) -> V | None:
        """The value, or ``None`` for ``None`` (Kafka's ``getValueOrNull``)."""
        return None if vat is None else vat.value


class ChangelogRecord(NamedTuple):
    """One raw record read back from a changelog (or a global store's source topic).

    Restore callbacks index it (``rec[0]``, ``rec[1]``, ``rec[2]``), so any tuple of
    ``(key, value, timestamp[, offset])`` works too.
    """

    key: bytes
    value: bytes | None
    timestamp: int
    offset: int = -1


_EMPTY: Any = object()


class KeyValueIterator(Generic[K, V]):
    """A closeable iterator over ``KeyValue`` pairs (Kafka's ``KeyValueIterator``).

    Plain-iterable and usable with ``with``; ``close()`` releases what the store holds for it
    (a RocksDB iterator, for instance) and ends the iteration. ``peek_next_key()`` and
    ``has_next()`` mirror Kafka's ``peekNextKey`` and ``hasNext``.
    """

    __slots__ = ("_it", "_peeked", "_on_close", "__weakref__")

    def __init__(self, it: Iterator[Any], on_close: Callable[[], None] | None = None) -> None:
        self._it: Iterator[Any] | None = it
        self._peeked: Any = _EMPTY
        self._on_close = on_close

    def __iter__(self) -> KeyValueIterator[K, V]:
        return self

    def __next__(self) -> KeyValue[K, V]:
        peeked = self._peeked
        if peeked is not _EMPTY:
            self._peeked = _EMPTY
            return peeked
        it = self._it
        if it is None:
            raise StopIteration
        return next(it)

    def has_next(self) -> bool:
        """Whether another pair follows (Kafka's ``hasNext``)."""
        if self._peeked is not _EMPTY:
            return True
        if self._it is None:
            return False
        try:
            self._peeked = next(self._it)
        except StopIteration:
            return False
        return True

    def peek_next(self) -> KeyValue[K, V]:
        """The next pair, without consuming it.

        Raises:
            StopIteration: The iterator is exhausted (Kafka throws NoSuchElementException).
        """
        if not self.has_next():
            raise StopIteration("no next element")
        return self._peeked

    def peek_next_key(self) -> K:
        """The next key, without consuming it (Kafka's ``peekNextKey``)."""
        return self.peek_next()[0]

    def close(self) -> None:
        """End the iteration and release the store's resources; idempotent."""
        it = self._it
        self._it = None
        self._peeked = _EMPTY
        if it is not None:
            close = getattr(it, "close", None)
            if close is not None:
                close()
        on_close = self._on_close
        if on_close is not None:
            self._on_close = None
            on_close()

    def __enter__(self) -> KeyValueIterator[K, V]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def to_list(self) -> list[KeyValue[K, V]]:
        """Drain into a list and close (a convenience for tests and queries)."""
        try:
            return list(self)
        finally:
            self.close()
