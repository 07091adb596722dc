"""Raw records at the engine's edges: what a source reads and what a sink or store sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from raystreams.processor.api import Headers


@dataclass(slots=True)
class ConsumerRecord:
    """A serialized input record, as a consumer (or the test driver) hands it to a task."""

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: Headers | list[tuple[str, bytes | None]] | None = None


@dataclass(slots=True)
class ProducedRecord:
    """A serialized output record as a sink, a changelog or a dead-letter queue sent it."""

    topic: str
    partition: int | None
    key: bytes | None
    value: bytes | None
    timestamp: int
    headers: Headers | None = None


class RecordSender(Protocol):
    """Where a task's record collector sends serialized records: the Kafka producer in the
    runtime, a list in the driver (Kafka's StreamsProducer / MockProducer)."""

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Headers | None, partition: int | None) -> None:
        """Send one record; ``partition=None`` lets the producer place it by key (murmur2)."""

    def partitions_for(self, topic: str) -> int | None:
        """The topic's partition count, for custom partitioners; None when unknown."""

    def flush(self) -> None:
        """Block until everything sent so far is acknowledged."""
