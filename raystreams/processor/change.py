"""Change: what flows between KTable processors, the new value and (if asked for) the old one.

Kafka Streams' ``Change<V>``. A KTable processor forwards ``Change(new, old)``; ``old`` is
only filled when a downstream processor called ``enable_send_old_values`` (aggregations with
a subtractor, joins, suppress), otherwise it is None.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Change(Generic[V]):
    __slots__ = ("new_value", "old_value", "is_latest")

    def __init__(self, new_value: V | None, old_value: V | None = None,
                 is_latest: bool = True) -> None:
        self.new_value = new_value
        self.old_value = old_value
        self.is_latest = is_latest

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Change):
            return NotImplemented
        return self.new_value == other.new_value and self.old_value == other.old_value

    def __hash__(self) -> int:
        return hash((self.new_value, self.old_value))

    def __repr__(self) -> str:
        # Kafka's Change.toString: "(new<-old)"
        return f"({self.new_value}<-{self.old_value})"


def new_value_of(value: Any) -> Any:
    return value.new_value if isinstance(value, Change) else value
