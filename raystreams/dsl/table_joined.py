"""TableJoined: options of a foreign-key table join (Kafka Streams' ``TableJoined``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raystreams.dsl.params import validate_name

Partitioner = Callable[..., "int | None"]


class TableJoined:
    """The name of a foreign-key join and the partitioners of its two tables.

    ``name`` prefixes every node, topic and store the join creates (``<name>-subscription-
    registration-topic``, ...). ``partitioner`` is the custom partitioner of this (left)
    table's topic, ``other_partitioner`` that of the other (right) table's topic, as
    ``partitioner(topic, key, value, num_partitions)``; give them when the tables' topics are
    not partitioned by the default partitioner, so subscriptions reach the right partition.
    """

    def __init__(self, partitioner: Partitioner | None = None,
                 other_partitioner: Partitioner | None = None, *,
                 name: str | None = None) -> None:
        self.partitioner = partitioner
        self.other_partitioner = other_partitioner
        self.name = validate_name(name) if name is not None else None

    @classmethod
    def with_(cls, partitioner: Partitioner | None = None,
              other_partitioner: Partitioner | None = None) -> TableJoined:
        """Kafka's ``TableJoined.with(partitioner, otherPartitioner)``."""
        return cls(partitioner, other_partitioner)

    @classmethod
    def as_(cls, name: str) -> TableJoined:
        """Kafka's ``TableJoined.as(name)``."""
        return cls(name=name)

    def with_name(self, name: str) -> TableJoined:
        self.name = validate_name(name)
        return self

    def with_partitioner(self, partitioner: Partitioner | None) -> TableJoined:
        self.partitioner = partitioner
        return self

    def with_other_partitioner(self, partitioner: Partitioner | None) -> TableJoined:
        self.other_partitioner = partitioner
        return self

    def __repr__(self) -> str:
        return (f"TableJoined(name={self.name!r}, partitioner={self.partitioner!r}, "
                f"other_partitioner={self.other_partitioner!r})")

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, TableJoined) and (
            self.name, self.partitioner, self.other_partitioner) == (
            other.name, other.partitioner, other.other_partitioner)

    __hash__ = None  # type: ignore[assignment]
