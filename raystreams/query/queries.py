"""The queries of IQv2 (Kafka's ``org.apache.kafka.streams.query``): what ``query()`` asks a store.

Each query names the store type it needs (a ``QueryableStoreType``) and the read-only call it
makes; a partition whose store is of another type answers ``UNKNOWN_QUERY_TYPE``, as Kafka's.

Example:
    >>> from raystreams.query import KeyQuery, StateQueryRequest
    >>> request = StateQueryRequest.in_store("counts").with_query(KeyQuery.with_key("fox"))
    >>> request.store_name, request.query.key
    ('counts', 'fox')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from raystreams.state.readonly import QueryableStoreType, QueryableStoreTypes

__all__ = [
    "KeyQuery", "Query", "RangeQuery", "StateQueryRequest", "TimestampedKeyQuery",
    "TimestampedRangeQuery", "VersionedKeyQuery", "WindowKeyQuery", "WindowRangeQuery",
]


def _millis(t: Any) -> int | None:
    if t is None:
        return None
    if isinstance(t, datetime):
        return int(t.timestamp() * 1000)
    return int(t)


class Query:
    """A query of one store (Kafka's ``Query<R>``)."""

    #: point queries answer one value per partition; the others an iterator, read in pages
    is_scan = False

    def store_type(self) -> QueryableStoreType:
        raise NotImplementedError

    def call(self) -> tuple[str, tuple[Any, ...]]:
        """The read-only method of the store view and its arguments."""
        raise NotImplementedError

    @property
    def routing_key(self) -> Any:
        """The key a point query can be routed by (None: ask every partition)."""
        return None


@dataclass(frozen=True)
class KeyQuery(Query):
    """The value of one key (Kafka's ``KeyQuery``); plain values, also of timestamped stores."""

    key: Any
    skips_cache: bool = False

    @staticmethod
    def with_key(key: Any) -> KeyQuery:
        if key is None:
            raise ValueError("the key of a KeyQuery cannot be None")
        return KeyQuery(key)

    def skip_cache(self) -> KeyQuery:
        """Kafka's ``skipCache()``; accepted, but reads here always see the record cache (it
        holds the latest value, and skipping it would answer older ones)."""
        return replace(self, skips_cache=True)

    def store_type(self) -> QueryableStoreType:
        return QueryableStoreTypes.key_value_store()

    def call(self) -> tuple[str, tuple[Any, ...]]:
        return "get", (self.key,)

    @property
    def routing_key(self) -> Any:
        return self.key


@dataclass(frozen=True)
class TimestampedKeyQuery(KeyQuery):
    """The ``ValueAndTimestamp`` of one key of a timestamped store (Kafka's ``TimestampedKeyQuery``)."""

    @staticmethod
    def with_key(key: Any) -> TimestampedKeyQuery:
        if key is None:
            raise ValueError("the key of a TimestampedKeyQuery cannot be None")
        return TimestampedKeyQuery(key)

    def store_type(self) -> QueryableStoreType:
        return QueryableStoreTypes.timestamped_key_value_store()


@dataclass(frozen=True)
class RangeQuery(Query):
    """Entries with ``lower <= key <= upper`` (None: open), in key order (Kafka's ``RangeQuery``)."""

    lower: Any = None
    upper: Any = None
    descending: bool = False
    is_scan = True

    @staticmethod
    def with_range(lower: Any, upper: Any) -> RangeQuery:
        return RangeQuery(lower, upper)

    @staticmethod
    def with_upper_bound(upper: Any) -> RangeQuery:
        return RangeQuery(None, upper)

    @staticmethod
    def with_lower_bound(lower: Any) -> RangeQuery:
        return RangeQuery(lower, None)

    @staticmethod
    def with_no_bounds() -> RangeQuery:
        return RangeQuery()

    def with_descending_keys(self) -> RangeQuery:
        return replace(self, descending=True)

    def with_ascending_keys(self) -> RangeQuery:
        return replace(self, descending=False)

    def store_type(self) -> QueryableStoreType:
        return QueryableStoreTypes.key_value_store()

    def call(self) -> tuple[str, tuple[Any, ...]]:
        if self.lower is None and self.upper is None:
            return ("reverse_all" if self.descending else "all"), ()
        return ("reverse_range" if self.descending else "range"), (self.lower, self.upper)


@dataclass(frozen=True)
class TimestampedRangeQuery(RangeQuery):
    """``RangeQuery`` answering ``ValueAndTimestamp``s (Kafka's ``TimestampedRangeQuery``)."""

    @staticmethod
    def with_range(lower: Any, upper: Any) -> TimestampedRangeQuery:
        return TimestampedRangeQuery(lower, upper)

    @staticmethod
    def with_no_bounds() -> TimestampedRangeQuery:
        return TimestampedRangeQuery()

    def store_type(self) -> QueryableStoreType:
        return QueryableStoreTypes.timestamped_key_value_store()


@dataclass(frozen=True)
class WindowKeyQuery(Query):
    """The windows of one key starting in ``[time_from, time_to]`` (Kafka's ``WindowKeyQuery``):
    ``KeyValue(window start, value)`` pairs."""

    key: Any
    time_from: int
    time_to: int
    is_scan = True

    @staticmethod
    def with_key_and_window_start_range(key: Any, time_from: Any, time_to: Any) -> WindowKeyQuery:
        return WindowKeyQuery(key, _millis(time_from), _millis(time_to))

    def store_type(self) -> QueryableStoreType:
        return QueryableStoreTypes.window_store()

    def call(self) -> tuple[str, tuple[Any, ...]]:
        return "fetch", (self.key, self.time_from, self.time_to)

    @property
    def routing_key(self) -> Any:
        return self.key


@dataclass(frozen=True)
class WindowRangeQuery(Query):
    """Every window starting in ``[time_from, time_to]`` (Kafka's ``WindowRangeQuery.withWindowStartRange``)."""

    time_from: int
    time_to: int
    is_scan = True

    @staticmethod
    def with_window_start_range(time_from: Any, time_to: Any) -> WindowRangeQuery:
        return WindowRangeQuery(_millis(time_from), _millis(time_to))

    def store_type(self) -> QueryableStoreType:
        return QueryableStoreTypes.window_store()

    def call(self) -> tuple[str, tuple[Any, ...]]:
        return "fetch_all", (self.time_from, self.time_to)


@dataclass(frozen=True)
class VersionedKeyQuery(Query):
    """The ``VersionedRecord`` of one key, latest or valid at ``as_of`` (Kafka's ``VersionedKeyQuery``)."""

    key: Any
    as_of_timestamp: int | None = None

    @staticmethod
    def with_key(key: Any) -> VersionedKeyQuery:
        if key is None:
            raise ValueError("the key of a VersionedKeyQuery cannot be None")
        return VersionedKeyQuery(key)

    def as_of(self, timestamp: Any) -> VersionedKeyQuery:
        return replace(self, as_of_timestamp=_millis(timestamp))

    def store_type(self) -> QueryableStoreType:
        return QueryableStoreTypes.versioned_key_value_store()

    def call(self) -> tuple[str, tuple[Any, ...]]:
        return "get", (self.key, self.as_of_timestamp)

    @property
    def routing_key(self) -> Any:
        return self.key


@dataclass(frozen=True)
class StateQueryRequest:
    """One IQv2 request (Kafka's ``StateQueryRequest``): a store, a query, which partitions.

    ``partitions`` None asks every partition (``with_all_partitions``); a point query with a
    key is routed to the key's partition unless partitions are given.
    """

    store_name: str
    query: Any = None
    partitions: frozenset[int] | None = None
    #: only active, running tasks answer (set by ``require_active()``)
    active_only: bool = False
    execution_info: bool = False

    @staticmethod
    def in_store(name: str) -> _InStore:
        return _InStore(name)

    def with_partitions(self, partitions: Iterable[int]) -> StateQueryRequest:
        return replace(self, partitions=frozenset(int(p) for p in partitions))

    def with_all_partitions(self) -> StateQueryRequest:
        return replace(self, partitions=None)

    def require_active(self) -> StateQueryRequest:
        """Only active, running tasks answer; others fail with ``NOT_ACTIVE`` (Kafka's
        ``requireActive``)."""
        return replace(self, active_only=True)

    def enable_execution_info(self) -> StateQueryRequest:
        return replace(self, execution_info=True)

    @property
    def is_all_partitions(self) -> bool:
        return self.partitions is None


@dataclass(frozen=True)
class _InStore:
    """``StateQueryRequest.in_store(name)``, waiting for ``with_query``."""

    name: str

    def with_query(self, query: Query) -> StateQueryRequest:
        if not isinstance(query, Query):
            raise TypeError(f"with_query needs a Query (KeyQuery, RangeQuery, ...), got "
                            f"{type(query).__name__}")
        return StateQueryRequest(self.name, query)
