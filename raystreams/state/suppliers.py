"""Store suppliers: they make the bytes store at the bottom of a stack (Kafka's ``*BytesStoreSupplier``).

A supplier is shared by all tasks of a store; ``get()`` returns a new, unopened bytes store
each time (one per task).
"""

from __future__ import annotations

from raystreams.errors import IllegalArgumentException
from raystreams.state.base.key_schema import SESSION_KEY_SCHEMA, WINDOW_KEY_SCHEMA
from raystreams.state.base.segmented import SegmentedStore, default_segment_interval
from raystreams.state.memory.kv import InMemoryKeyValueStore
from raystreams.state.memory.lru import MemoryLRUStore
from raystreams.state.memory.segments import MemorySegmentProvider
from raystreams.state.names import validate_store_name

__all__ = [
    "InMemoryKeyValueBytesStoreSupplier",
    "InMemorySessionBytesStoreSupplier",
    "InMemoryWindowBytesStoreSupplier",
    "KeyValueBytesStoreSupplier",
    "LRUMapSupplier",
    "RocksDBKeyValueBytesStoreSupplier",
    "RocksDBSessionBytesStoreSupplier",
    "RocksDBTimeOrderedSessionBytesStoreSupplier",
    "RocksDBTimeOrderedWindowBytesStoreSupplier",
    "RocksDBWindowBytesStoreSupplier",
    "SessionBytesStoreSupplier",
    "WindowBytesStoreSupplier",
]


class KeyValueBytesStoreSupplier:
    """Makes key-value bytes stores (Kafka's ``KeyValueBytesStoreSupplier``).

    Attributes:
        name: Store name (validated: it names the changelog topic).
        metrics_scope: Kafka's metrics scope of the store type.
        timestamped: Whether the store type is meant for timestamped values.
    """

    metrics_scope = ""

    def __init__(self, name: str, timestamped: bool = False) -> None:
        self.name = validate_store_name(name)
        self.timestamped = timestamped

    def get(self):
        raise NotImplementedError

    def persistent(self) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class RocksDBKeyValueBytesStoreSupplier(KeyValueBytesStoreSupplier):
    """Persistent rocksdict key-value stores."""

    metrics_scope = "rocksdb"

    def get(self):
        from raystreams.state.rocksdb.kv import RocksDBKeyValueStore  # rocksdict only when used
        store = RocksDBKeyValueStore(self.name)
        store.timestamped = self.timestamped
        return store

    def persistent(self) -> bool:
        return True


class InMemoryKeyValueBytesStoreSupplier(KeyValueBytesStoreSupplier):
    """In-memory key-value stores."""

    metrics_scope = "in-memory"

    def get(self) -> InMemoryKeyValueStore:
        store = InMemoryKeyValueStore(self.name)
        store.timestamped = self.timestamped
        return store

    def persistent(self) -> bool:
        return False


class LRUMapSupplier(KeyValueBytesStoreSupplier):
    """In-memory LRU maps of at most ``max_cache_size`` entries."""

    metrics_scope = "in-memory-lru"

    def __init__(self, name: str, max_cache_size: int) -> None:
        super().__init__(name)
        if max_cache_size < 0:
            raise IllegalArgumentException("maxCacheSize cannot be negative")
        self.max_cache_size = max_cache_size

    def get(self) -> MemoryLRUStore:
        return MemoryLRUStore(self.name, self.max_cache_size)

    def persistent(self) -> bool:
        return False


class WindowBytesStoreSupplier:
    """Makes window bytes stores (Kafka's ``WindowBytesStoreSupplier``).

    Attributes:
        name: Store name.
        retention_period: Ms of stream time a window is kept.
        window_size: Size of the windows in ms.
        segment_interval: Ms of time per segment.
        retain_duplicates: Keep every put (stream-stream joins).
        timestamped: Values are ``ValueAndTimestamp``.
    """

    metrics_scope = ""

    def __init__(self, name: str, retention_period: int, window_size: int, retain_duplicates: bool,
                 segment_interval: int | None = None, timestamped: bool = False) -> None:
        self.name = validate_store_name(name)
        if retention_period < 0:
            raise IllegalArgumentException("retentionPeriod cannot be negative")
        if window_size < 0:
            raise IllegalArgumentException("windowSize cannot be negative")
        if window_size > retention_period:
            raise IllegalArgumentException(
                f"The retention period of the window store {name} must be no smaller than its window "
                f"size. Got size=[{window_size}], retention=[{retention_period}]")
        self.retention_period = retention_period
        self.window_size = window_size
        self.retain_duplicates = retain_duplicates
        self.segment_interval = (default_segment_interval(retention_period)
                                 if segment_interval is None else segment_interval)
        if self.segment_interval < 1:
            raise IllegalArgumentException("segmentInterval cannot be zero or negative")
        self.timestamped = timestamped

    def _provider(self):
        raise NotImplementedError

    def get(self) -> SegmentedStore:
        store = SegmentedStore(self.name, self.retention_period, self.segment_interval, WINDOW_KEY_SCHEMA,
                               self._provider())
        store.timestamped = self.timestamped
        return store

    def persistent(self) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.name!r}, retention={self.retention_period}, "
                f"window_size={self.window_size}, retain_duplicates={self.retain_duplicates})")


class RocksDBWindowBytesStoreSupplier(WindowBytesStoreSupplier):
    """Persistent window stores: one rocksdict database, a column family per segment."""

    metrics_scope = "rocksdb-window"

    def _provider(self):
        from raystreams.state.rocksdb.segments import RocksDBSegmentProvider
        return RocksDBSegmentProvider()

    def persistent(self) -> bool:
        return True


class RocksDBTimeOrderedWindowBytesStoreSupplier(RocksDBWindowBytesStoreSupplier):
    """Persistent window stores in time order (Kafka's ``RocksDbIndexedTimeOrderedWindowBytesStoreSupplier``).

    The store of emit-on-window-close aggregations: ``all`` and ``fetch_all`` iterate by window
    start, then key; reads keep windows starting at ``stream time - retention``. ``has_index``
    is Kafka's index (on for sliding windows): key-range fetches iterate key first.
    """

    def __init__(self, name: str, retention_period: int, window_size: int, retain_duplicates: bool,
                 has_index: bool = False, segment_interval: int | None = None,
                 timestamped: bool = True) -> None:
        super().__init__(name, retention_period, window_size, retain_duplicates, segment_interval,
                         timestamped=timestamped)
        self.has_index = has_index

    def get(self) -> SegmentedStore:
        from raystreams.state.base.time_ordered import TimeOrderedWindowStore
        store = TimeOrderedWindowStore(self.name, self.retention_period, self.segment_interval,
                                       self._provider(), self.has_index)
        store.timestamped = self.timestamped
        return store


class InMemoryWindowBytesStoreSupplier(WindowBytesStoreSupplier):
    """In-memory window stores."""

    metrics_scope = "in-memory-window"

    def _provider(self) -> MemorySegmentProvider:
        return MemorySegmentProvider()

    def get(self) -> SegmentedStore:
        # by window start, then key, as Kafka's InMemoryWindowStore iterates
        from raystreams.state.base.time_ordered import InMemoryWindowStore
        store = InMemoryWindowStore(self.name, self.retention_period, self.segment_interval, WINDOW_KEY_SCHEMA,
                                    self._provider())
        store.timestamped = self.timestamped
        return store

    def persistent(self) -> bool:
        return False


class SessionBytesStoreSupplier:
    """Makes session bytes stores (Kafka's ``SessionBytesStoreSupplier``)."""

    metrics_scope = ""

    def __init__(self, name: str, retention_period: int, segment_interval: int | None = None) -> None:
        self.name = validate_store_name(name)
        if retention_period < 0:
            raise IllegalArgumentException("retentionPeriod cannot be negative")
        self.retention_period = retention_period
        self.segment_interval = (default_segment_interval(retention_period)
                                 if segment_interval is None else segment_interval)

    def _provider(self):
        raise NotImplementedError

    def get(self) -> SegmentedStore:
        return SegmentedStore(self.name, self.retention_period, self.segment_interval, SESSION_KEY_SCHEMA,
                              self._provider())

    def persistent(self) -> bool:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, retention={self.retention_period})"


class RocksDBSessionBytesStoreSupplier(SessionBytesStoreSupplier):
    """Persistent session stores."""

    metrics_scope = "rocksdb-session"

    def _provider(self):
        from raystreams.state.rocksdb.segments import RocksDBSegmentProvider
        return RocksDBSegmentProvider()

    def persistent(self) -> bool:
        return True


class RocksDBTimeOrderedSessionBytesStoreSupplier(RocksDBSessionBytesStoreSupplier):
    """Persistent session stores in time order, with index (Kafka's ``RocksDbTimeOrderedSessionBytesStoreSupplier``).

    The store of emit-on-window-close session aggregations: ``find_sessions(earliest_end,
    latest_end)`` reads sessions by end time and applies no retention.
    """

    def get(self) -> SegmentedStore:
        from raystreams.state.base.time_ordered import TimeOrderedSessionStore
        return TimeOrderedSessionStore(self.name, self.retention_period, self.segment_interval, self._provider())


class InMemorySessionBytesStoreSupplier(SessionBytesStoreSupplier):
    """In-memory session stores."""

    metrics_scope = "in-memory-session"

    def _provider(self) -> MemorySegmentProvider:
        return MemorySegmentProvider()

    def get(self) -> SegmentedStore:
        # by session end, then key, as Kafka's InMemorySessionStore iterates
        from raystreams.state.base.time_ordered import InMemorySessionStore
        return InMemorySessionStore(self.name, self.retention_period, self.segment_interval, SESSION_KEY_SCHEMA,
                                    self._provider())

    def persistent(self) -> bool:
        return False
