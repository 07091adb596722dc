"""KeyValue: a key and a value (Kafka Streams' ``KeyValue``); a tuple, so ``k, v = kv`` works."""

from __future__ import annotations

from typing import Generic, NamedTuple, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class KeyValue(NamedTuple, Generic[K, V]):
    """A key and its value, as yielded by store iterators (Kafka's ``KeyValue``)."""

    key: K
    value: V

    @staticmethod
    def pair(key: K, value: V) -> KeyValue[K, V]:
        """Kafka's ``KeyValue.pair``."""
        return KeyValue(key, value)
