"""Typed store interfaces: what processors and interactive queries see.

Kafka Streams' ``KeyValueStore``, ``TimestampedKeyValueStore``, ``WindowStore``,
``SessionStore`` and their ``ReadOnly*`` query halves. Keys and values are Python objects;
the metered layer turns them into bytes. Times are epoch milliseconds (or aware datetimes).
Iteration follows the serialized key bytes, as in Kafka.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, TypeVar, overload, runtime_checkable

from raystreams.state.context import StateStore
from raystreams.state.types import KeyValueIterator, ValueAndTimestamp

if TYPE_CHECKING:
    from raystreams.processor.api import RecordContext
    from raystreams.windowed import Windowed

__all__ = [
    "CacheFlushListener",
    "KeyValueStore",
    "ReadOnlyKeyValueStore",
    "ReadOnlySessionStore",
    "ReadOnlyWindowStore",
    "SessionStore",
    "TimestampedKeyValueStore",
    "TimestampedWindowStore",
    "WindowStore",
]

K = TypeVar("K")
V = TypeVar("V")
K_contra = TypeVar("K_contra", contravariant=True)
V_contra = TypeVar("V_contra", contravariant=True)


class CacheFlushListener(Protocol[K_contra, V_contra]):
    """Called for each cache entry a flush writes down (Kafka's ``CacheFlushListener``).

    Gets the typed key, the new value (``None``: deleted), the old value (only with
    ``send_old_values``, else ``None``) and the record context captured when the entry was
    written; that context is also the task's current one during the call.
    """

    def __call__(self, key: K_contra, new_value: V_contra | None, old_value: V_contra | None,
                 context: RecordContext) -> None: ...


@runtime_checkable
class ReadOnlyKeyValueStore(Protocol[K, V]):
    """Queries of a key-value store (Kafka's ``ReadOnlyKeyValueStore``)."""

    def get(self, key: K) -> V | None: ...

    def range(self, key_from: K | None, key_to: K | None) -> KeyValueIterator[K, V]:
        """Keys in ``[key_from, key_to]`` (both inclusive; ``None`` opens that end), ascending."""
        ...

    def reverse_range(self, key_from: K | None, key_to: K | None) -> KeyValueIterator[K, V]: ...

    def all(self) -> KeyValueIterator[K, V]: ...

    def reverse_all(self) -> KeyValueIterator[K, V]: ...

    def prefix_scan(self, prefix: Any, prefix_key_serde: Any) -> KeyValueIterator[K, V]:
        """Keys whose bytes start with ``prefix`` serialized by ``prefix_key_serde``."""
        ...

    def approximate_num_entries(self) -> int: ...


@runtime_checkable
class KeyValueStore(StateStore, ReadOnlyKeyValueStore[K, V], Protocol[K, V]):
    """A writable key-value store (Kafka's ``KeyValueStore``); a ``None`` value deletes."""

    def put(self, key: K, value: V | None) -> None: ...

    def put_if_absent(self, key: K, value: V | None) -> V | None: ...

    def put_all(self, entries: list[tuple[K, V | None]]) -> None: ...

    def delete(self, key: K) -> V | None:
        """Remove ``key``; returns the old value."""
        ...


@runtime_checkable
class TimestampedKeyValueStore(KeyValueStore[K, ValueAndTimestamp[V]], Protocol[K, V]):
    """A key-value store of ``ValueAndTimestamp`` values (Kafka's ``TimestampedKeyValueStore``)."""


@runtime_checkable
class ReadOnlyWindowStore(Protocol[K, V]):
    """Queries of a window store (Kafka's ``ReadOnlyWindowStore``).

    ``fetch(key, time)`` gives one window's value; ``fetch(key, time_from, time_to)`` iterates
    ``KeyValue(window start, value)`` of one key; ``fetch(key_from, key_to, time_from,
    time_to)`` iterates ``KeyValue(Windowed(key, TimeWindow), value)``. Window starts are
    matched inclusively against ``[time_from, time_to]``.
    """

    @overload
    def fetch(self, key: K, time: int, /) -> V | None: ...

    @overload
    def fetch(self, key: K, time_from: int, time_to: int, /) -> KeyValueIterator[int, V]: ...

    @overload
    def fetch(self, key_from: K | None, key_to: K | None, time_from: int, time_to: int,
              /) -> KeyValueIterator[Windowed[K], V]: ...

    def fetch(self, *args: Any) -> Any: ...

    def backward_fetch(self, *args: Any) -> Any: ...

    def fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[K], V]: ...

    def backward_fetch_all(self, time_from: int, time_to: int) -> KeyValueIterator[Windowed[K], V]: ...

    def all(self) -> KeyValueIterator[Windowed[K], V]: ...

    def backward_all(self) -> KeyValueIterator[Windowed[K], V]: ...


@runtime_checkable
class WindowStore(StateStore, ReadOnlyWindowStore[K, V], Protocol[K, V]):
    """A writable window store (Kafka's ``WindowStore``)."""

    @property
    def retention_period(self) -> int: ...

    @property
    def window_size(self) -> int: ...

    def put(self, key: K, value: V | None, window_start_timestamp: int) -> None: ...


@runtime_checkable
class TimestampedWindowStore(WindowStore[K, ValueAndTimestamp[V]], Protocol[K, V]):
    """A window store of ``ValueAndTimestamp`` values (Kafka's ``TimestampedWindowStore``)."""


@runtime_checkable
class ReadOnlySessionStore(Protocol[K, V]):
    """Queries of a session store (Kafka's ``ReadOnlySessionStore``).

    ``find_sessions(key, earliest_session_end_time, latest_session_start_time)`` and its
    key-range form return sessions with ``end >= earliest end`` and ``start <= latest start``;
    ``find_sessions(earliest_end, latest_end)`` returns every key's sessions ending in that
    interval; ``fetch(key)`` / ``fetch(key_from, key_to)`` return all sessions of the keys.
    """

    def fetch(self, *args: Any) -> KeyValueIterator[Windowed[K], V]: ...

    def backward_fetch(self, *args: Any) -> KeyValueIterator[Windowed[K], V]: ...

    def find_sessions(self, *args: Any) -> KeyValueIterator[Windowed[K], V]: ...

    def backward_find_sessions(self, *args: Any) -> KeyValueIterator[Windowed[K], V]: ...

    def fetch_session(self, key: K, session_start_time: int, session_end_time: int) -> V | None: ...


@runtime_checkable
class SessionStore(StateStore, ReadOnlySessionStore[K, V], Protocol[K, V]):
    """A writable session store (Kafka's ``SessionStore``)."""

    @property
    def retention_period(self) -> int: ...

    def put(self, session_key: Windowed[K], aggregate: V | None) -> None: ...

    def remove(self, session_key: Windowed[K]) -> None: ...

