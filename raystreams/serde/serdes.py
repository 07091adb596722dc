"""``Serdes``: the factories of the built-in serdes, named as in Kafka's ``Serdes``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from raystreams.serde import list as _list
from raystreams.serde.base import Serde, T
from raystreams.serde.primitives import (
    _BOOLEAN,
    _BYTES,
    _DOUBLE_SERDE,
    _FLOAT_SERDE,
    _INTEGER,
    _JSON,
    _LONG_SERDE,
    _SHORT_SERDE,
    _STRING,
    _UUID,
    _VOID,
    BooleanSerde,
    BytesSerde,
    DoubleSerde,
    FloatSerde,
    FunctionSerde,
    IntegerSerde,
    JSONSerde,
    LongSerde,
    ShortSerde,
    StringSerde,
    UUIDSerde,
    VoidSerde,
)
from raystreams.serde.windowed import SessionWindowedSerde, TimeWindowedSerde


class Serdes:
    """Factories of the built-in serdes, named as in Kafka's ``Serdes`` (``Serdes.String()``, ...)."""

    @staticmethod
    def String() -> StringSerde:
        """UTF-8 strings."""
        return _STRING

    @staticmethod
    def Bytes() -> BytesSerde:
        """Raw bytes, passed through."""
        return _BYTES

    @staticmethod
    def ByteArray() -> BytesSerde:
        """Raw bytes; the same serde as ``Bytes()`` (Python has one bytes type)."""
        return _BYTES

    @staticmethod
    def ByteBuffer() -> BytesSerde:
        """Raw bytes; the same serde as ``Bytes()``."""
        return _BYTES

    @staticmethod
    def Short() -> ShortSerde:
        """2-byte big-endian signed integers."""
        return _SHORT_SERDE

    @staticmethod
    def Integer() -> IntegerSerde:
        """4-byte big-endian signed integers."""
        return _INTEGER

    @staticmethod
    def Long() -> LongSerde:
        """8-byte big-endian signed integers."""
        return _LONG_SERDE

    @staticmethod
    def Float() -> FloatSerde:
        """4-byte IEEE 754 big-endian floats."""
        return _FLOAT_SERDE

    @staticmethod
    def Double() -> DoubleSerde:
        """8-byte IEEE 754 big-endian floats."""
        return _DOUBLE_SERDE

    @staticmethod
    def Boolean() -> BooleanSerde:
        """One byte: 0x01 or 0x00."""
        return _BOOLEAN

    @staticmethod
    def UUID() -> UUIDSerde:
        """UUIDs as their UTF-8 text form."""
        return _UUID

    @staticmethod
    def Void() -> VoidSerde:
        """Only None."""
        return _VOID

    @staticmethod
    def JSON() -> JSONSerde:
        """Compact UTF-8 JSON."""
        return _JSON

    @staticmethod
    def from_functions(serialize: Callable[[T], bytes],
                       deserialize: Callable[[bytes], T]) -> FunctionSerde[T]:
        """A serde from two functions of the value alone (Kafka's ``Serdes.serdeFrom``)."""
        return FunctionSerde(serialize, deserialize)

    @staticmethod
    def ListSerde(inner: Serde[Any] | str | type) -> _list.ListSerde:  # noqa: N802 - Kafka's name
        """Lists of ``inner``'s values (Kafka's ``Serdes.ListSerde(ArrayList.class, inner)``)."""
        return _list.ListSerde(inner)

    @staticmethod
    def time_windowed(inner: Serde[Any] | str | type,
                      window_size: int | timedelta) -> TimeWindowedSerde:
        """Serde of time-windowed keys (Kafka's ``WindowedSerdes.timeWindowedSerdeFrom``)."""
        return TimeWindowedSerde(inner, window_size)

    @staticmethod
    def session_windowed(inner: Serde[Any] | str | type) -> SessionWindowedSerde:
        """Serde of session-windowed keys (Kafka's ``WindowedSerdes.sessionWindowedSerdeFrom``)."""
        return SessionWindowedSerde(inner)
