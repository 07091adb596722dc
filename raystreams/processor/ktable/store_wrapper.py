"""A KTable's store, timestamped or versioned, behind one face (Kafka's KeyValueStoreWrapper).
"""

from __future__ import annotations

from typing import Any

from raystreams.state.types import ValueAndTimestamp
from raystreams.state.versioned import PUT_RETURN_CODE_NOT_PUT, PUT_RETURN_CODE_VALID_TO_UNDEFINED

__all__ = ["PUT_RETURN_CODE_IS_LATEST", "PUT_RETURN_CODE_NOT_PUT", "KeyValueStoreWrapper"]


PUT_RETURN_CODE_IS_LATEST = PUT_RETURN_CODE_VALID_TO_UNDEFINED  # Kafka's KeyValueStoreWrapper name


class KeyValueStoreWrapper:
    """A KTable's store, timestamped or versioned, as its processors use it: ``get`` gives the
    latest ``ValueAndTimestamp``; ``put(key, value, timestamp)`` returns Kafka's put code
    (``PUT_RETURN_CODE_IS_LATEST``, ``PUT_RETURN_CODE_NOT_PUT`` or the version's valid-to)."""

    __slots__ = ("store", "versioned")

    def __init__(self, store: Any) -> None:
        self.store = store
        self.versioned = bool(getattr(store, "versioned", False))

    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
        found = self.store.get(key)
        if found is None or not self.versioned:
            return found
        return ValueAndTimestamp.make(found.value, found.timestamp)

    def put(self, key: Any, value: Any, timestamp: int) -> int:
        if self.versioned:
            return self.store.put(key, value, timestamp)
        self.store.put(key, ValueAndTimestamp.make(value, timestamp))
        return PUT_RETURN_CODE_IS_LATEST
