"""Interactive queries: one path for ``KafkaStreams``, the ``TopologyTestDriver`` and the inspector.

IQv1 (``store(StoreQueryParameters)`` → a composite read-only store over every partition) and
IQv2 (``query(StateQueryRequest)`` → a ``StateQueryResult`` per partition) both go through a
``StoreProvider`` to each task's ``StoreQueryServer``, which reads the task's stores through a
``QueryableStoreType`` view (Kafka's ``org.apache.kafka.streams.query`` and
``state.internals.Composite*`` classes).
"""

from raystreams.query.composite import (
    CompositeReadOnlyKeyValueStore,
    CompositeReadOnlySessionStore,
    CompositeReadOnlyVersionedStore,
    CompositeReadOnlyWindowStore,
    StoreEntry,
    StorePage,
    StoreProvider,
    composite_for,
    run_state_query,
    store_for,
)
from raystreams.query.local import LocalStoreProvider
from raystreams.query.metadata import HostInfo, KeyQueryMetadata, LagInfo, StreamsMetadata
from raystreams.query.parameters import StoreQueryParameters
from raystreams.query.queries import (
    KeyQuery,
    Query,
    RangeQuery,
    StateQueryRequest,
    TimestampedKeyQuery,
    TimestampedRangeQuery,
    VersionedKeyQuery,
    WindowKeyQuery,
    WindowRangeQuery,
)
from raystreams.query.results import FailureReason, Position, QueryResult, StateQueryResult
from raystreams.query.server import ScanPage, StoreQueryServer, TaskAnswer
from raystreams.state.readonly import QueryableStoreType, QueryableStoreTypes

__all__ = [
    "CompositeReadOnlyKeyValueStore", "CompositeReadOnlySessionStore",
    "CompositeReadOnlyVersionedStore", "CompositeReadOnlyWindowStore", "FailureReason",
    "HostInfo", "KeyQuery", "KeyQueryMetadata", "LagInfo", "LocalStoreProvider", "Position",
    "Query", "QueryResult", "QueryableStoreType", "QueryableStoreTypes", "RangeQuery",
    "ScanPage", "StateQueryRequest", "StateQueryResult", "StoreEntry", "StorePage",
    "StoreProvider", "StoreQueryParameters", "StoreQueryServer", "StreamsMetadata",
    "TaskAnswer", "TimestampedKeyQuery", "TimestampedRangeQuery", "VersionedKeyQuery",
    "WindowKeyQuery", "WindowRangeQuery", "composite_for", "run_state_query", "store_for",
]
