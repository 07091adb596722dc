"""KeyValue: a key and a value (Kafka Streams' KeyValue); a tuple, so ``k, v = kv`` works."""

from __future__ import annotations

from typing import Any, NamedTuple


class KeyValue(NamedTuple):
    key: Any
    value: Any

    @classmethod
    def pair(cls, key: Any, value: Any) -> KeyValue:
        return cls(key, value)
