"""Serdes the stores add on top of the user's: ``ValueAndTimestamp`` (Kafka's ``ValueAndTimestampSerde``)."""

from __future__ import annotations

import struct
from typing import Any

from raystreams.errors import SerializationException
from raystreams.state.types import ValueAndTimestamp

__all__ = ["ValueAndTimestampSerde"]

_LONG = struct.Struct(">q")


class ValueAndTimestampSerde:
    """``[timestamp 8 bytes BE][inner value bytes]``; ``None`` stays ``None``.

    Byte-compatible with Kafka's ``ValueAndTimestampSerializer`` / ``Deserializer``.

    Args:
        inner: Serde of the plain value.
    """

    __slots__ = ("inner", "_ser", "_de")

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self._ser = inner.serialize
        self._de = inner.deserialize

    def serialize(self, topic: str, data: ValueAndTimestamp[Any] | None) -> bytes | None:
        if data is None:
            return None
        try:
            value, timestamp = data.value, data.timestamp
        except AttributeError as e:
            raise SerializationException(
                f"a timestamped store takes ValueAndTimestamp values, got {type(data).__name__} "
                f"(topic {topic!r})") from e
        raw = self._ser(topic, value)
        if raw is None:
            return None
        return _LONG.pack(timestamp) + raw

    def deserialize(self, topic: str, data: bytes | None) -> ValueAndTimestamp[Any] | None:
        if data is None:
            return None
        if len(data) < 8:
            raise SerializationException(
                f"cannot read a ValueAndTimestamp from {len(data)} bytes (topic {topic!r}): "
                "expected at least 8 (the timestamp)")
        return ValueAndTimestamp(self._de(topic, data[8:]), _LONG.unpack_from(data)[0])

    @staticmethod
    def raw_value(data: bytes | None) -> bytes | None:
        """The plain value bytes of a serialized ``ValueAndTimestamp``."""
        return None if data is None else data[8:]

    @staticmethod
    def timestamp(data: bytes) -> int:
        return _LONG.unpack_from(data)[0]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ValueAndTimestampSerde) and other.inner == self.inner

    def __hash__(self) -> int:
        return hash((ValueAndTimestampSerde, self.inner))

    def __repr__(self) -> str:
        return f"ValueAndTimestampSerde({self.inner!r})"
