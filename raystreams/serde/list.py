"""Lists of an inner serde's values (Kafka's ``Serdes.ListSerde``).
"""

from __future__ import annotations

import struct
from typing import Any

from raystreams.serde.base import _INT, Serde, _BuiltinSerde, _deserialize_error, _serialize_error
from raystreams.serde.names import resolve_serde
from raystreams.serde.primitives import (
    DoubleSerde,
    FloatSerde,
    IntegerSerde,
    LongSerde,
    ShortSerde,
    UUIDSerde,
)

#: the inner serdes whose entries a ListSerde writes at a fixed size (Kafka's list)
_FIXED_ENTRY_SIZES: dict[type, int] = {ShortSerde: 2, IntegerSerde: 4, FloatSerde: 4,
                                       LongSerde: 8, DoubleSerde: 8, UUIDSerde: 36}


class ListSerde(_BuiltinSerde[list[Any]]):
    """Lists of an inner serde's values, byte-compatible with Kafka's ``Serdes.ListSerde``.

    ``[strategy byte]`` then, for the fixed-size inner serdes (Short, Integer, Float, Long,
    Double, UUID): ``[null count][null indexes...][size][entries...]``, else
    ``[size]([entry length or -1 for null][entry])...``; all ints 4 bytes big-endian.

    Args:
        inner: Serde of the entries (anything ``resolve_serde`` accepts).
    """

    __slots__ = ("inner", "_entry_size")

    CONSTANT_SIZE, VARIABLE_SIZE = 0, 1
    NULL_ENTRY_VALUE = -1

    def __init__(self, inner: Serde[Any] | str | type) -> None:
        inner = resolve_serde(inner, key="inner")
        object.__setattr__(self, "inner", inner)
        object.__setattr__(self, "_entry_size", _FIXED_ENTRY_SIZES.get(type(inner)))

    def _params(self) -> tuple[Any, ...]:
        return (self.inner,)

    def serialize(self, topic: str, data: list[Any] | None) -> bytes | None:
        if data is None:
            return None
        if isinstance(data, str | bytes | dict) or not hasattr(data, "__iter__"):
            raise _serialize_error(self, topic, data, "expected a list")
        entries = list(data)
        out = []
        constant = self._entry_size is not None
        if constant:
            nulls = [i for i, entry in enumerate(entries) if entry is None]
            out.append(struct.pack(f">bi{len(nulls)}i", self.CONSTANT_SIZE, len(nulls), *nulls))
        else:
            out.append(struct.pack(">b", self.VARIABLE_SIZE))
        out.append(_INT.pack(len(entries)))
        for entry in entries:
            if entry is None:
                if not constant:
                    out.append(_INT.pack(self.NULL_ENTRY_VALUE))
                continue
            raw = self.inner.serialize(topic, entry)
            if raw is None:
                raise _serialize_error(self, topic, data,
                                       f"the inner serde returned None for {entry!r}")
            if not constant:
                out.append(_INT.pack(len(raw)))
            out.append(bytes(raw))
        return b"".join(out)

    def deserialize(self, topic: str, data: bytes | None) -> list[Any] | None:
        if data is None:
            return None
        try:
            return self._read(topic, data)
        except struct.error as e:
            raise _deserialize_error(self, topic, data, "the data ends inside the list") from e

    def _read(self, topic: str, data: bytes) -> list[Any]:
        strategy = data[0] if data else -1
        pos, n = 1, len(data)
        nulls: set[int] = set()
        if strategy == self.CONSTANT_SIZE:
            if self._entry_size is None:
                raise _deserialize_error(self, topic, data, "the list has constant-size entries, "
                                         "but the inner serde is not a fixed-size one")
            (count,) = _INT.unpack_from(data, pos)
            if count < 0 or count > n // 4:
                raise _deserialize_error(self, topic, data, f"corrupted null-entry count {count}")
            nulls = set(struct.unpack_from(f">{count}i", data, pos + 4))
            pos += 4 + 4 * count
        elif strategy != self.VARIABLE_SIZE:
            raise _deserialize_error(self, topic, data, f"unknown list strategy flag {strategy}")
        (size,) = _INT.unpack_from(data, pos)
        pos += 4
        if size < 0 or size > n:
            raise _deserialize_error(self, topic, data, f"corrupted list size {size}")
        result: list[Any] = []
        for i in range(size):
            if strategy == self.CONSTANT_SIZE:
                if i in nulls:
                    result.append(None)
                    continue
                length = self._entry_size
            else:
                (length,) = _INT.unpack_from(data, pos)
                pos += 4
                if length == self.NULL_ENTRY_VALUE:
                    result.append(None)
                    continue
                if length < -1 or length > n:
                    raise _deserialize_error(self, topic, data, f"corrupted entry size {length}")
            if pos + length > n:
                raise _deserialize_error(self, topic, data, "the data ends inside entry "
                                         f"{i} of {size}")
            result.append(self.inner.deserialize(topic, data[pos:pos + length]))
            pos += length
        return result

    def __repr__(self) -> str:
        return f"Serdes.ListSerde({self.inner!r})"
