"""``Stores``: factories of store suppliers and builders (Kafka's ``org.apache.kafka.streams.state.Stores``).

>>> from raystreams.serde import Serdes
>>> builder = Stores.key_value_store_builder(
...     Stores.persistent_key_value_store("counts"), Serdes.String(), Serdes.Long())
>>> builder.with_caching_enabled().name
'counts'
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from raystreams.state.builders import (
    KeyValueStoreBuilder,
    SessionStoreBuilder,
    TimestampedKeyValueStoreBuilder,
    TimestampedWindowStoreBuilder,
    WindowStoreBuilder,
)
from raystreams.state.names import to_millis
from raystreams.state.suppliers import (
    InMemoryKeyValueBytesStoreSupplier,
    InMemorySessionBytesStoreSupplier,
    InMemoryWindowBytesStoreSupplier,
    KeyValueBytesStoreSupplier,
    LRUMapSupplier,
    RocksDBKeyValueBytesStoreSupplier,
    RocksDBSessionBytesStoreSupplier,
    RocksDBTimeOrderedSessionBytesStoreSupplier,
    RocksDBTimeOrderedWindowBytesStoreSupplier,
    RocksDBWindowBytesStoreSupplier,
    SessionBytesStoreSupplier,
    WindowBytesStoreSupplier,
)
from raystreams.state.versioned import VersionedBytesStoreSupplier, VersionedKeyValueStoreBuilder

__all__ = ["Stores"]

Duration = int | timedelta


class Stores:
    """Store suppliers (what holds the bytes) and builders (what stacks the layers on them).

    Durations are int milliseconds or ``timedelta``. Names must be legal in a topic name
    (``[a-zA-Z0-9._-]``, at most 249 characters): they name the changelog topic.
    """

    @staticmethod
    def persistent_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        """A rocksdict key-value store under ``task_dir/<name>``."""
        return RocksDBKeyValueBytesStoreSupplier(name)

    @staticmethod
    def persistent_timestamped_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        """A rocksdict key-value store for ``ValueAndTimestamp`` values."""
        return RocksDBKeyValueBytesStoreSupplier(name, timestamped=True)

    @staticmethod
    def persistent_versioned_key_value_store(name: str, history_retention: Duration,
                                             segment_interval: Duration | None = None,
                                             ) -> VersionedBytesStoreSupplier:
        """A rocksdict versioned store keeping every version for ``history_retention``."""
        retention = to_millis(history_retention, "historyRetention")
        interval = None if segment_interval is None else to_millis(segment_interval,
                                                                    "segmentInterval")
        return VersionedBytesStoreSupplier(name, retention, interval)

    @staticmethod
    def in_memory_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        return InMemoryKeyValueBytesStoreSupplier(name)

    @staticmethod
    def lru_map(name: str, max_cache_size: int) -> KeyValueBytesStoreSupplier:
        """An in-memory map of at most ``max_cache_size`` entries, forgetting the least recently used."""
        return LRUMapSupplier(name, max_cache_size)

    @staticmethod
    def persistent_window_store(name: str, retention_period: Duration, window_size: Duration,
                                retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        """A rocksdict window store, segmented every ``max(retention / 2, 60 s)``."""
        return RocksDBWindowBytesStoreSupplier(name, to_millis(retention_period, "retentionPeriod"),
                                               to_millis(window_size, "windowSize"), retain_duplicates)

    @staticmethod
    def persistent_timestamped_window_store(name: str, retention_period: Duration, window_size: Duration,
                                            retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        return RocksDBWindowBytesStoreSupplier(name, to_millis(retention_period, "retentionPeriod"),
                                               to_millis(window_size, "windowSize"), retain_duplicates,
                                               timestamped=True)

    @staticmethod
    def persistent_timestamped_time_ordered_window_store(
            name: str, retention_period: Duration, window_size: Duration, retain_duplicates: bool = False,
            has_index: bool = False) -> WindowBytesStoreSupplier:
        """A rocksdict window store in time order, for ``ValueAndTimestamp`` values.

        Kafka's internal ``RocksDbIndexedTimeOrderedWindowBytesStoreSupplier``, which its DSL uses
        for emit-on-window-close aggregations (``has_index`` for sliding windows). Not part of
        Kafka's public ``Stores``.
        """
        return RocksDBTimeOrderedWindowBytesStoreSupplier(
            name, to_millis(retention_period, "retentionPeriod"), to_millis(window_size, "windowSize"),
            retain_duplicates, has_index=has_index)

    @staticmethod
    def in_memory_window_store(name: str, retention_period: Duration, window_size: Duration,
                               retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        return InMemoryWindowBytesStoreSupplier(name, to_millis(retention_period, "retentionPeriod"),
                                                to_millis(window_size, "windowSize"), retain_duplicates)

    @staticmethod
    def persistent_session_store(name: str, retention_period: Duration) -> SessionBytesStoreSupplier:
        return RocksDBSessionBytesStoreSupplier(name, to_millis(retention_period, "retentionPeriod"))

    @staticmethod
    def persistent_time_ordered_session_store(name: str, retention_period: Duration) -> SessionBytesStoreSupplier:
        """A rocksdict session store in time order, with index.

        Kafka's internal ``RocksDbTimeOrderedSessionBytesStoreSupplier``, which its DSL uses for
        emit-on-window-close session aggregations. Not part of Kafka's public ``Stores``.
        """
        return RocksDBTimeOrderedSessionBytesStoreSupplier(name, to_millis(retention_period, "retentionPeriod"))

    @staticmethod
    def in_memory_session_store(name: str, retention_period: Duration) -> SessionBytesStoreSupplier:
        return InMemorySessionBytesStoreSupplier(name, to_millis(retention_period, "retentionPeriod"))

    @staticmethod
    def key_value_store_builder(supplier: KeyValueBytesStoreSupplier, key_serde: Any = None,
                                value_serde: Any = None) -> KeyValueStoreBuilder:
        return KeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_key_value_store_builder(supplier: KeyValueBytesStoreSupplier, key_serde: Any = None,
                                            value_serde: Any = None) -> TimestampedKeyValueStoreBuilder:
        return TimestampedKeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def versioned_key_value_store_builder(supplier: VersionedBytesStoreSupplier,
                                          key_serde: Any = None,
                                          value_serde: Any = None) -> VersionedKeyValueStoreBuilder:
        """Builds ``VersionedKeyValueStore``s: logged, never cached."""
        return VersionedKeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def window_store_builder(supplier: WindowBytesStoreSupplier, key_serde: Any = None,
                             value_serde: Any = None) -> WindowStoreBuilder:
        return WindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_window_store_builder(supplier: WindowBytesStoreSupplier, key_serde: Any = None,
                                         value_serde: Any = None) -> TimestampedWindowStoreBuilder:
        return TimestampedWindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def session_store_builder(supplier: SessionBytesStoreSupplier, key_serde: Any = None,
                              value_serde: Any = None) -> SessionStoreBuilder:
        return SessionStoreBuilder(supplier, key_serde, value_serde)
