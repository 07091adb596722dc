"""Read-only views of stores for interactive queries (Kafka's ``ReadOnly*Facade`` and ``QueryableStoreTypes``).

A view exposes only the query methods of its store. The value-only views of timestamped
stores drop the timestamps, as Kafka's ``keyValueStore()`` query type does on a timestamped
store; ``timestamped_*`` query types keep them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from raystreams.errors import InvalidStateStoreException, UnknownQueryTypeException
from raystreams.state.types import KeyValue, KeyValueIterator, ValueAndTimestamp

__all__ = [
    "QueryableStoreType",
    "QueryableStoreTypes",
    "ReadOnlyKeyValueView",
    "ReadOnlySessionView",
    "ReadOnlyVersionedView",
    "ReadOnlyWindowView",
    "ValueOnlyKeyValueView",
    "ValueOnlyWindowView",
]


class _ReadOnlyView:
    """A store seen through its queries only; every query first checks the store is open."""

    __slots__ = ("_store",)

    def __init__(self, store: Any) -> None:
        self._store = store

    @property
    def name(self) -> str:
        return self._store.name

    def _check(self) -> Any:
        store = self._store
        if not store.is_open():
            raise InvalidStateStoreException(f"Store {store.name} is not open for queries.")
        return store

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._store!r})"


class ReadOnlyKeyValueView(_ReadOnlyView):
    """Only the queries of a key-value store (``ReadOnlyKeyValueStore``)."""

    __slots__ = ()
    POINT_QUERIES = frozenset({"get", "approximate_num_entries"})
    SCANS = frozenset({"range", "reverse_range", "all", "reverse_all", "prefix_scan"})

    def get(self, key: Any) -> Any:
        return self._check().get(key)

    def range(self, key_from: Any, key_to: Any) -> KeyValueIterator:
        return self._check().range(key_from, key_to)

    def reverse_range(self, key_from: Any, key_to: Any) -> KeyValueIterator:
        return self._check().reverse_range(key_from, key_to)

    def all(self) -> KeyValueIterator:
        return self._check().all()

    def reverse_all(self) -> KeyValueIterator:
        return self._check().reverse_all()

    def prefix_scan(self, prefix: Any, prefix_key_serde: Any) -> KeyValueIterator:
        return self._check().prefix_scan(prefix, prefix_key_serde)

    def approximate_num_entries(self) -> int:
        return self._check().approximate_num_entries()


def _strip(it: KeyValueIterator) -> Iterator[KeyValue]:
    try:
        for key, vat in it:
            yield KeyValue(key, vat.value)
    finally:
        it.close()


class ValueOnlyKeyValueView(ReadOnlyKeyValueView):
    """Queries of a timestamped key-value store that return plain values."""

    __slots__ = ()

    def get(self, key: Any) -> Any:
        return ValueAndTimestamp.get_value_or_null(self._check().get(key))

    def range(self, key_from: Any, key_to: Any) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().range(key_from, key_to)))

    def reverse_range(self, key_from: Any, key_to: Any) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().reverse_range(key_from, key_to)))

    def all(self) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().all()))

    def reverse_all(self) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().reverse_all()))

    def prefix_scan(self, prefix: Any, prefix_key_serde: Any) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().prefix_scan(prefix, prefix_key_serde)))


class ReadOnlyWindowView(_ReadOnlyView):
    """Only the queries of a window store (``ReadOnlyWindowStore``).

    ``fetch(key, time)`` is a point query; every other fetch is a scan.
    """

    __slots__ = ()
    POINT_QUERIES = frozenset({"fetch"})
    SCANS = frozenset({"fetch", "backward_fetch", "fetch_all", "backward_fetch_all", "all",
                       "backward_all"})

    def fetch(self, *args: Any) -> Any:
        return self._check().fetch(*args)

    def backward_fetch(self, *args: Any) -> Any:
        return self._check().backward_fetch(*args)

    def fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator:
        return self._check().fetch_all(time_from, time_to)

    def backward_fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator:
        return self._check().backward_fetch_all(time_from, time_to)

    def all(self) -> KeyValueIterator:
        return self._check().all()

    def backward_all(self) -> KeyValueIterator:
        return self._check().backward_all()


class ValueOnlyWindowView(ReadOnlyWindowView):
    """Queries of a timestamped window store that return plain values."""

    __slots__ = ()

    def fetch(self, *args: Any) -> Any:
        result = super().fetch(*args)
        if len(args) == 2:
            return ValueAndTimestamp.get_value_or_null(result)
        return KeyValueIterator(_strip(result))

    def backward_fetch(self, *args: Any) -> Any:
        return KeyValueIterator(_strip(super().backward_fetch(*args)))

    def fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().fetch_all(time_from, time_to)))

    def backward_fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().backward_fetch_all(time_from, time_to)))

    def all(self) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().all()))

    def backward_all(self) -> KeyValueIterator:
        return KeyValueIterator(_strip(super().backward_all()))


class ReadOnlySessionView(_ReadOnlyView):
    """Only the queries of a session store (``ReadOnlySessionStore``)."""

    __slots__ = ()
    POINT_QUERIES = frozenset({"fetch_session"})
    SCANS = frozenset({"fetch", "backward_fetch", "find_sessions", "backward_find_sessions"})

    def fetch(self, *args: Any) -> KeyValueIterator:
        return self._check().fetch(*args)

    def backward_fetch(self, *args: Any) -> KeyValueIterator:
        return self._check().backward_fetch(*args)

    def find_sessions(self, *args: Any) -> KeyValueIterator:
        return self._check().find_sessions(*args)

    def backward_find_sessions(self, *args: Any) -> KeyValueIterator:
        return self._check().backward_find_sessions(*args)

    def fetch_session(self, key: Any, session_start_time: Any, session_end_time: Any) -> Any:
        return self._check().fetch_session(key, session_start_time, session_end_time)


class ReadOnlyVersionedView(_ReadOnlyView):
    """Only the queries of a versioned key-value store (``VersionedKeyValueStore.get``)."""

    __slots__ = ()
    POINT_QUERIES = frozenset({"get"})
    SCANS: frozenset[str] = frozenset()

    def get(self, key: Any, as_of_timestamp: int | None = None) -> Any:
        """The key's ``VersionedRecord``, latest or valid at ``as_of_timestamp``."""
        return self._check().get(key, as_of_timestamp)


class QueryableStoreType:
    """Which stores a query accepts and the view it gets (Kafka's ``QueryableStoreType``).

    ``create(store)`` is the read-only view of one local store (what a task answers with); the
    view over every partition of a store (Kafka's ``QueryableStoreType.create(StateStoreProvider,
    name)``) is ``raystreams.query.composite.store_for``, since stores sit below the query layer.
    """

    def __init__(self, name: str, kind: str, timestamped: bool | None, view: type) -> None:
        self.name = name
        self.kind = kind
        self._timestamped = timestamped
        self._view = view

    def __eq__(self, other: object) -> bool:
        return isinstance(other, QueryableStoreType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def accepts(self, store: Any) -> bool:
        """Whether ``store`` (a metered store) can serve this query type."""
        if getattr(store, "store_kind", None) != self.kind:
            return False
        return self._timestamped is None or bool(getattr(store, "timestamped", False)) == self._timestamped

    def view_class(self, store: Any) -> type:
        """The view class ``create`` gives ``store``."""
        if self._timestamped is None and getattr(store, "timestamped", False):
            if self.kind == "key_value":
                return ValueOnlyKeyValueView
            if self.kind == "window":
                return ValueOnlyWindowView
        return self._view

    def create(self, store: Any) -> Any:
        """The read-only view of ``store``; raises if it does not accept it."""
        if not self.accepts(store):
            raise UnknownQueryTypeException(
                f"Store {getattr(store, 'name', store)!r} cannot be queried as {self.name}")
        return self.view_class(store)(store)

    def is_point_query(self, method: str, args: tuple[Any, ...]) -> bool:
        """Whether ``method(*args)`` answers one value (else it is a scan, answered in pages)."""
        if self.kind == "window" and method == "fetch":
            return len(args) == 2
        return method in self._view.POINT_QUERIES

    def check_method(self, method: str) -> None:
        """Raise unless ``method`` is a query of this store type (never a write, never private)."""
        view = self._view
        if method not in view.POINT_QUERIES and method not in view.SCANS:
            raise InvalidStateStoreException(
                f"{method!r} is not a query of {self.name}; use one of "
                f"{sorted(view.POINT_QUERIES | view.SCANS)}")

    def __repr__(self) -> str:
        return f"QueryableStoreTypes.{self.name}()"


class QueryableStoreTypes:
    """The query types of interactive queries (Kafka's ``QueryableStoreTypes``)."""

    @staticmethod
    def key_value_store() -> QueryableStoreType:
        """Plain values, from plain or timestamped key-value stores."""
        return QueryableStoreType("key_value_store", "key_value", None, ReadOnlyKeyValueView)

    @staticmethod
    def timestamped_key_value_store() -> QueryableStoreType:
        return QueryableStoreType("timestamped_key_value_store", "key_value", True, ReadOnlyKeyValueView)

    @staticmethod
    def versioned_key_value_store() -> QueryableStoreType:
        """``VersionedRecord``s, latest or as of a time, from versioned key-value stores."""
        return QueryableStoreType("versioned_key_value_store", "versioned", None, ReadOnlyVersionedView)

    @staticmethod
    def window_store() -> QueryableStoreType:
        """Plain values, from plain or timestamped window stores."""
        return QueryableStoreType("window_store", "window", None, ReadOnlyWindowView)

    @staticmethod
    def timestamped_window_store() -> QueryableStoreType:
        return QueryableStoreType("timestamped_window_store", "window", True, ReadOnlyWindowView)

    @staticmethod
    def session_store() -> QueryableStoreType:
        return QueryableStoreType("session_store", "session", None, ReadOnlySessionView)
