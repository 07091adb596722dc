"""What IQv2's ``query()`` answers (Kafka's ``StateQueryResult``, ``QueryResult``,
``FailureReason`` and ``Position``)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from raystreams.errors import InvalidStateStoreException

__all__ = ["FailureReason", "Position", "QueryResult", "StateQueryResult"]


class FailureReason(enum.Enum):
    """Why one partition could not answer (Kafka's ``FailureReason``)."""

    #: the store cannot run this query (Kafka: it "does not know how to handle" it)
    UNKNOWN_QUERY_TYPE = "UNKNOWN_QUERY_TYPE"
    #: ``require_active()`` was set and the task is not an active, running one
    NOT_ACTIVE = "NOT_ACTIVE"
    #: the partition's task is not reachable (moving, restarting) or does not host the store
    NOT_PRESENT = "NOT_PRESENT"
    #: the store raised while answering
    STORE_EXCEPTION = "STORE_EXCEPTION"
    #: the requested partition does not exist (the store has fewer partitions)
    DOES_NOT_EXIST = "DOES_NOT_EXIST"
    #: a position bound was not reached (bounds are not supported yet; never answered)
    NOT_UP_TO_BOUND = "NOT_UP_TO_BOUND"


@dataclass(frozen=True)
class Position:
    """How far the answering task had read its input (Kafka's ``Position``): topic →
    partition → offset of the last record processed into its stores."""

    offsets: Mapping[str, Mapping[int, int]] = field(default_factory=dict)

    @staticmethod
    def empty_position() -> Position:
        return Position({})

    @staticmethod
    def from_offsets(consumed: Mapping[tuple[str, int], int]) -> Position:
        out: dict[str, dict[int, int]] = {}
        for (topic, partition), offset in consumed.items():
            out.setdefault(topic, {})[partition] = offset
        return Position(out)

    def get_topics(self) -> set[str]:
        return set(self.offsets)

    def get_partition_positions(self, topic: str) -> dict[int, int]:
        return dict(self.offsets.get(topic, {}))

    def merge(self, other: Position) -> Position:
        """The later offset of each topic partition of both (Kafka's ``merge``)."""
        out = {t: dict(ps) for t, ps in self.offsets.items()}
        for topic, ps in other.offsets.items():
            mine = out.setdefault(topic, {})
            for p, o in ps.items():
                mine[p] = max(o, mine.get(p, o))
        return Position(out)

    def is_empty(self) -> bool:
        return not any(self.offsets.values())


@dataclass(frozen=True)
class QueryResult:
    """One partition's answer (Kafka's ``QueryResult``): a result or a failure, with the
    position of the task that answered and whether that task was still restoring."""

    result: Any = None
    failure_reason: FailureReason | None = None
    failure_message: str | None = None
    position: Position = field(default_factory=Position)
    #: the answering task (``<subtopology>_<partition>``) and whether it was restoring
    task_id: str | None = None
    stale: bool = False
    execution_info: tuple[str, ...] = ()

    @staticmethod
    def for_result(result: Any, **fields: Any) -> QueryResult:
        return QueryResult(result, **fields)

    @staticmethod
    def for_failure(reason: FailureReason, message: str, **fields: Any) -> QueryResult:
        return QueryResult(None, reason, message, **fields)

    def is_success(self) -> bool:
        return self.failure_reason is None

    def is_failure(self) -> bool:
        return self.failure_reason is not None

    def get_result(self) -> Any:
        """The answer; raises (Kafka's ``IllegalArgumentException``) on a failed partition."""
        if self.failure_reason is not None:
            raise InvalidStateStoreException(
                f"the query failed ({self.failure_reason.value}): {self.failure_message}")
        return self.result

    def get_failure_reason(self) -> FailureReason | None:
        return self.failure_reason

    def get_failure_message(self) -> str | None:
        return self.failure_message

    def get_position(self) -> Position:
        return self.position


@dataclass
class StateQueryResult:
    """Every partition's answer to a ``StateQueryRequest`` (Kafka's ``StateQueryResult``)."""

    partition_results: dict[int, QueryResult] = field(default_factory=dict)
    global_result: QueryResult | None = None

    def add_result(self, partition: int, result: QueryResult) -> None:
        self.partition_results[partition] = result

    def get_partition_results(self) -> dict[int, QueryResult]:
        return dict(self.partition_results)

    def get_only_partition_result(self) -> QueryResult:
        """The one successful partition's result (for a key query); raises if not exactly one."""
        ok = [r for r in self.partition_results.values() if r.is_success()]
        if len(ok) != 1:
            raise ValueError(f"expected exactly one successful partition result, got {len(ok)} "
                             f"of {sorted(self.partition_results)}")
        return ok[0]

    def get_global_result(self) -> QueryResult | None:
        return self.global_result

    def get_position(self) -> Position:
        """The merge of every partition's position."""
        position = Position()
        for result in self.partition_results.values():
            position = position.merge(result.position)
        return position
