"""Change: what flows between KTable processors, the new value and (if asked for) the old one;
and ChangeSerde, how it crosses a repartition topic (Kafka's ChangedSerializer).

Kafka Streams' ``Change<V>``. A KTable processor forwards ``Change(new, old)``; ``old`` is
only filled when a downstream processor called ``enable_send_old_values`` (aggregations with
a subtractor, joins, suppress), otherwise it is None.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from raystreams.errors import StreamsException

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


# ------------------------------------------------------------------------------------------
# the value serde of a grouped table's repartition topic


def _zigzag_varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 31)
    out = bytearray()
    while z & ~0x7F:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def _read_zigzag_varint(data: bytes) -> tuple[int, int]:
    value = shift = pos = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    return (value >> 1) ^ -(value & 1), pos


class ChangeSerde:
    """``Change`` values on a repartition topic: Kafka's ChangedSerializer and
    ChangedDeserializer (3.5+ format) as one serde.

    ``[new]1``, ``[old]0``, or ``[varint len(new)][new][old]2``. ``inner`` None means the
    config's default value serde; processors next to the topic fill it in at ``init``
    (``set_if_unset_from``), as Kafka's ``WrappingNullableSerde.setIfUnset`` does.
    """

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner

    def set_if_unset_from(self, context: Any) -> None:
        if self.inner is None:
            config = getattr(context, "config", None)
            default = getattr(config, "default_value_serde", None)
            if callable(default):
                self.inner = default()
            else:
                from raystreams.serde import Serdes

                self.inner = Serdes.String()

    def _inner(self) -> Any:
        if self.inner is None:
            from raystreams.serde import Serdes

            self.inner = Serdes.String()
        return self.inner

    def serialize(self, topic: str, data: Change | None) -> bytes | None:
        if data is None:
            return None
        inner = self._inner()
        new = None if data.new_value is None else inner.serialize(topic, data.new_value)
        old = None if data.old_value is None else inner.serialize(topic, data.old_value)
        if new is not None and old is not None:
            return _zigzag_varint(len(new)) + new + old + b"\x02"
        if new is not None:
            return new + b"\x01"
        if old is not None:
            return old + b"\x00"
        raise StreamsException("Both old and new values are null in ChangeSerializer, which is "
                               "not allowed.")

    def deserialize(self, topic: str, data: bytes | None) -> Change | None:
        if data is None:
            return None
        inner = self._inner()
        flag = data[-1]
        if flag in (0, 3):
            end = len(data) - (1 if flag == 0 else 2)
            return Change(None, inner.deserialize(topic, data[:end]))
        if flag in (1, 4):
            end = len(data) - (1 if flag == 1 else 2)
            return Change(inner.deserialize(topic, data[:end]), None)
        if flag in (2, 5):
            length, pos = _read_zigzag_varint(data)
            end = len(data) - (1 if flag == 2 else 2)
            return Change(inner.deserialize(topic, data[pos:pos + length]),
                          inner.deserialize(topic, data[pos + length:end]))
        raise StreamsException(f"Invalid encoding flag {flag} of a Change value on {topic}")
