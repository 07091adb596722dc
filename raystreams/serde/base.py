"""The ``Serde`` protocol (Kafka's ``Serde<T>``) and what the built-in serdes share:
equality by parameters, pickling, immutability, and errors that name the topic and the data.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar, Generic, TypeVar

from raystreams.errors import SerializationException

T = TypeVar("T")

_SHORT = struct.Struct(">h")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
_TWO_LONGS = struct.Struct(">qq")


class Serde(Generic[T]):
    """Base class of serdes: ``serialize`` to bytes and ``deserialize`` back (Kafka's ``Serde<T>``).

    Subclasses must map ``None`` to ``None`` in both directions, as Kafka's serdes do for
    tombstones. Any object with these two methods works where a serde is expected.
    """

    __slots__ = ()

    def serialize(self, topic: str, data: T | None) -> bytes | None:
        """Turn ``data`` into bytes for ``topic``; ``None`` gives ``None``."""
        raise NotImplementedError

    def deserialize(self, topic: str, data: bytes | None) -> T | None:
        """Turn bytes read from ``topic`` into a value; ``None`` gives ``None``."""
        raise NotImplementedError


def _show(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _serialize_error(serde: Serde[Any], topic: str, data: Any, why: str) -> SerializationException:
    err = SerializationException(f"{serde!r} cannot serialize {_show(data)} for topic {topic!r}: {why}")
    err.topic = topic  # type: ignore[attr-defined]
    return err


def _deserialize_error(serde: Serde[Any], topic: str, data: Any, why: str) -> SerializationException:
    try:
        what = f"{len(data)} bytes"
    except TypeError:
        what = _show(data)
    err = SerializationException(f"{serde!r} cannot deserialize {what} from topic {topic!r}: {why}")
    err.topic = topic  # type: ignore[attr-defined]
    return err


def _not_bytes(data: Any) -> str:
    return f"expected bytes, got {type(data).__name__}"


class _BuiltinSerde(Serde[T]):
    """Built-in serdes: equal when of the same type with the same parameters, picklable."""

    __slots__ = ()
    _name: ClassVar[str] = ""

    def _params(self) -> tuple[Any, ...]:
        return ()

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._params() == other._params()  # type: ignore[attr-defined]
        return NotImplemented

    def __hash__(self) -> int:
        return hash((type(self), self._params()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._params())

    def __setattr__(self, name: str, value: Any) -> None:
        # Immutable: equality and hashing depend on the parameters, and serdes are shared.
        raise AttributeError(f"{self!r} is immutable")

    def __repr__(self) -> str:
        return f"Serdes.{self._name}()"
