"""What a task knows of its input partitions on the broker: the lag-provider Protocol.

Kafka's ``PartitionGroup`` takes a ``lagProvider`` (the main consumer's fetched lag per
partition) to decide ``readyToProcess`` (KIP-695), and ``StreamTask`` asks the main consumer's
``position()`` to commit past transaction markers. The engine does no I/O, so both come
through this Protocol: the runtime implements it over its confluent-kafka consumer, and the
``TopologyTestDriver`` uses ``ZeroLag`` (every record is already in the task's queues), as
Kafka's driver does with ``tp -> OptionalLong.of(0)``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["LagProvider", "ZeroLag", "ZERO_LAG"]


@runtime_checkable
class LagProvider(Protocol):
    """The broker side of a task's input partitions."""

    def fetched_lag(self, topic: str, partition: int) -> int | None:
        """Records of the partition still on the broker past what was fetched; ``None`` while
        unknown (no metadata or position yet)."""
        ...

    def position(self, topic: str, partition: int) -> int | None:
        """The consumer's next offset for the partition (read right after the last fetch, so
        it never counts a record not yet handed to the task); ``None`` when unknown."""
        ...


class ZeroLag:
    """Nothing on the broker beyond the queues, and no consumer position to move past
    transaction markers: the test driver's provider."""

    def fetched_lag(self, topic: str, partition: int) -> int | None:
        return 0

    def position(self, topic: str, partition: int) -> int | None:
        return None


ZERO_LAG = ZeroLag()
