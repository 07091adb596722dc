"""State stores: key-value, window and session stores on rocksdict or in memory.

Every store is a stack, as Kafka Streams builds it: **metered** (typed; serdes and counts) →
**caching** (optional; the task's record cache) → **change-logging** (optional; one changelog
record per write) → a bytes backend (**rocksdb** or **memory**). Below the metered layer only
bytes pass, in Kafka's layouts, so stores restore from changelogs byte for byte and a
changelog written here reads like one written by Kafka Streams.

The engine talks to stores through ``StateStoreContext`` (``context.py``) and manages a task's
stores with ``TaskStateManager`` (``manager.py``); processors use the typed interfaces
(``interfaces.py``); interactive queries use ``QueryableStoreTypes`` (``readonly.py``).
"""

from raystreams.errors import InvalidStoreNameError, StoreArgumentError, TaskCorruptedError
from raystreams.state.builders import (
    KeyValueStoreBuilder,
    SessionStoreBuilder,
    StoreBuilder,
    TimestampedKeyValueStoreBuilder,
    TimestampedWindowStoreBuilder,
    WindowStoreBuilder,
)
from raystreams.state.cache.task_cache import NamedCache, TaskCache
from raystreams.state.checkpoint import OffsetCheckpoint
from raystreams.state.context import (
    RestoreCallback,
    StateStore,
    StateStoreContext,
    StoreContext,
    cache_max_bytes,
    default_serdes,
)
from raystreams.state.interfaces import (
    CacheFlushListener,
    KeyValueStore,
    ReadOnlyKeyValueStore,
    ReadOnlySessionStore,
    ReadOnlyWindowStore,
    SessionStore,
    TimestampedKeyValueStore,
    TimestampedWindowStore,
    WindowStore,
)
from raystreams.state.manager import GlobalStateManager, TaskStateManager
from raystreams.state.names import changelog_topic, validate_store_name
from raystreams.state.readonly import QueryableStoreType, QueryableStoreTypes
from raystreams.state.serdes import ValueAndTimestampSerde
from raystreams.state.stores import Stores
from raystreams.state.types import ChangelogRecord, KeyValue, KeyValueIterator, ValueAndTimestamp
from raystreams.state.versioned import (
    VersionedBytesStoreSupplier,
    VersionedKeyValueStore,
    VersionedKeyValueStoreBuilder,
    VersionedRecord,
)

__all__ = [
    "CacheFlushListener",
    "ChangelogRecord",
    "GlobalStateManager",
    "InvalidStoreNameError",
    "KeyValue",
    "KeyValueIterator",
    "KeyValueStore",
    "KeyValueStoreBuilder",
    "NamedCache",
    "OffsetCheckpoint",
    "QueryableStoreType",
    "QueryableStoreTypes",
    "ReadOnlyKeyValueStore",
    "ReadOnlySessionStore",
    "ReadOnlyWindowStore",
    "RestoreCallback",
    "SessionStore",
    "SessionStoreBuilder",
    "StateStore",
    "StateStoreContext",
    "StoreArgumentError",
    "StoreBuilder",
    "StoreContext",
    "Stores",
    "TaskCache",
    "TaskCorruptedError",
    "TaskStateManager",
    "TimestampedKeyValueStore",
    "TimestampedKeyValueStoreBuilder",
    "TimestampedWindowStore",
    "TimestampedWindowStoreBuilder",
    "ValueAndTimestamp",
    "ValueAndTimestampSerde",
    "VersionedBytesStoreSupplier",
    "VersionedKeyValueStore",
    "VersionedKeyValueStoreBuilder",
    "VersionedRecord",
    "WindowStore",
    "WindowStoreBuilder",
    "cache_max_bytes",
    "changelog_topic",
    "default_serdes",
    "validate_store_name",
]
