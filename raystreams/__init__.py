"""raystreams: Kafka Streams for Python, running on Ray.

The public names below are imported lazily, so ``import raystreams`` stays cheap and the
runtime (Ray, confluent-kafka) loads only when ``KafkaStreams`` is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "StreamsBuilder": "raystreams.dsl.builder",
    "Topology": "raystreams.topology.topology",
    "TopologyDescription": "raystreams.topology.description",
    "KafkaStreams": "raystreams.runtime.kafka_streams",
    "StreamsConfig": "raystreams.config",
    "Serdes": "raystreams.serde",
    "Serde": "raystreams.serde",
    "Consumed": "raystreams.dsl.params",
    "Produced": "raystreams.dsl.params",
    "Grouped": "raystreams.dsl.params",
    "Materialized": "raystreams.dsl.params",
    "Joined": "raystreams.dsl.params",
    "StreamJoined": "raystreams.dsl.params",
    "Named": "raystreams.dsl.params",
    "Branched": "raystreams.dsl.params",
    "Printed": "raystreams.dsl.params",
    "Repartitioned": "raystreams.dsl.params",
    "KStream": "raystreams.dsl.kstream",
    "KTable": "raystreams.dsl.ktable",
    "GlobalKTable": "raystreams.dsl.ktable",
    "KGroupedStream": "raystreams.dsl.grouped",
    "KGroupedTable": "raystreams.dsl.grouped",
    "CogroupedKStream": "raystreams.dsl.cogrouped",
    "TimeWindowedKStream": "raystreams.dsl.windowed",
    "SessionWindowedKStream": "raystreams.dsl.windowed",
    "BranchedKStream": "raystreams.dsl.branched",
    "TableJoined": "raystreams.dsl.table_joined",
    "EmitStrategy": "raystreams.dsl.windows",
    "TimeWindows": "raystreams.dsl.windows",
    "SlidingWindows": "raystreams.dsl.windows",
    "SessionWindows": "raystreams.dsl.windows",
    "UnlimitedWindows": "raystreams.dsl.windows",
    "JoinWindows": "raystreams.dsl.windows",
    "Suppressed": "raystreams.dsl.suppressed",
    "BufferConfig": "raystreams.dsl.suppressed",
    "Windowed": "raystreams.windowed",
    "KeyValue": "raystreams.keyvalue",
    "Record": "raystreams.processor.api",
    "Headers": "raystreams.processor.api",
    "Processor": "raystreams.processor.api",
    "FixedKeyProcessor": "raystreams.processor.api",
    "ProcessorContext": "raystreams.processor.api",
    "PunctuationType": "raystreams.processor.api",
    "Stores": "raystreams.state",
    "QueryableStoreTypes": "raystreams.state",
    "StoreQueryParameters": "raystreams.query",
    "StateQueryRequest": "raystreams.query",
    "KeyQuery": "raystreams.query",
    "RangeQuery": "raystreams.query",
    "WindowKeyQuery": "raystreams.query",
    "VersionedKeyQuery": "raystreams.query",
    "ValueAndTimestamp": "raystreams.state",
    "StreamsError": "raystreams.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'raystreams' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs; tested equal to _EXPORTS
    from raystreams.config import StreamsConfig
    from raystreams.dsl.branched import BranchedKStream
    from raystreams.dsl.builder import StreamsBuilder
    from raystreams.dsl.cogrouped import CogroupedKStream
    from raystreams.dsl.grouped import KGroupedStream, KGroupedTable
    from raystreams.dsl.kstream import KStream
    from raystreams.dsl.ktable import GlobalKTable, KTable
    from raystreams.dsl.params import (
        Branched,
        Consumed,
        Grouped,
        Joined,
        Materialized,
        Named,
        Printed,
        Produced,
        Repartitioned,
        StreamJoined,
    )
    from raystreams.dsl.suppressed import BufferConfig, Suppressed
    from raystreams.dsl.table_joined import TableJoined
    from raystreams.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream
    from raystreams.dsl.windows import (
        EmitStrategy,
        JoinWindows,
        SessionWindows,
        SlidingWindows,
        TimeWindows,
        UnlimitedWindows,
    )
    from raystreams.errors import StreamsError
    from raystreams.keyvalue import KeyValue
    from raystreams.processor.api import (
        FixedKeyProcessor,
        Headers,
        Processor,
        ProcessorContext,
        PunctuationType,
        Record,
    )
    from raystreams.query import (
        KeyQuery,
        RangeQuery,
        StateQueryRequest,
        StoreQueryParameters,
        VersionedKeyQuery,
        WindowKeyQuery,
    )
    from raystreams.runtime.kafka_streams import KafkaStreams
    from raystreams.serde import Serde, Serdes
    from raystreams.state import QueryableStoreTypes, Stores, ValueAndTimestamp
    from raystreams.topology.description import TopologyDescription
    from raystreams.topology.topology import Topology
    from raystreams.windowed import Windowed
