"""The primitive serdes, byte-compatible with the Java client's (``Serdes.String()``, ...),
JSON, and serdes made of two functions.
"""

from __future__ import annotations

import json
import struct
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from raystreams.errors import SerializationException
from raystreams.serde.base import (
    _DOUBLE,
    _FLOAT,
    _INT,
    _LONG,
    _SHORT,
    T,
    _BuiltinSerde,
    _deserialize_error,
    _not_bytes,
    _serialize_error,
)

_json_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_json_decode = json.JSONDecoder().decode


class StringSerde(_BuiltinSerde[str]):
    """UTF-8 text (Kafka's ``Serdes.String()``); the default key and value serde."""

    __slots__ = ()
    _name = "String"

    def serialize(self, topic: str, data: str | None) -> bytes | None:
        if data is None:
            return None
        try:
            return data.encode()
        except AttributeError as e:
            hint = " (use Serdes.Bytes() for raw bytes)" if isinstance(data, bytes | bytearray) else ""
            raise _serialize_error(self, topic, data, f"expected str{hint}") from e
        except UnicodeEncodeError as e:
            raise _serialize_error(self, topic, data, f"not encodable as UTF-8 ({e.reason} at {e.start})") from e

    def deserialize(self, topic: str, data: bytes | None) -> str | None:
        if data is None:
            return None
        try:
            return data.decode()
        except UnicodeDecodeError as e:
            raise _deserialize_error(self, topic, data, f"invalid UTF-8 at byte {e.start}") from e
        except AttributeError as e:
            if isinstance(data, memoryview):
                return self.deserialize(topic, bytes(data))
            raise _deserialize_error(self, topic, data, _not_bytes(data)) from e


class BytesSerde(_BuiltinSerde[bytes]):
    """Raw bytes (Kafka's ``Serdes.Bytes()`` / ``ByteArray()``); bytearray and memoryview become bytes."""

    __slots__ = ()
    _name = "Bytes"

    def serialize(self, topic: str, data: bytes | bytearray | memoryview | None) -> bytes | None:
        if data is None or type(data) is bytes:
            return data
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        raise _serialize_error(self, topic, data, "expected bytes, bytearray or memoryview")

    def deserialize(self, topic: str, data: bytes | None) -> bytes | None:
        if data is None or type(data) is bytes:
            return data
        if isinstance(data, bytes | bytearray | memoryview):
            return bytes(data)
        raise _deserialize_error(self, topic, data, _not_bytes(data))


class _StructSerde(_BuiltinSerde[T]):
    """Fixed-size big-endian numbers, packed by a precompiled ``struct.Struct``."""

    __slots__ = ()
    _size: ClassVar[int]
    _pack: ClassVar[Callable[[Any], bytes]]
    _unpack: ClassVar[Callable[[Any], tuple[Any, ...]]]
    _expected: ClassVar[str]

    def serialize(self, topic: str, data: T | None) -> bytes | None:
        if data is None:
            return None
        try:
            return self._pack(data)
        except (struct.error, TypeError, OverflowError) as e:
            raise _serialize_error(self, topic, data, self._why_not(data)) from e

    def deserialize(self, topic: str, data: bytes | None) -> T | None:
        if data is None:
            return None
        try:
            return self._unpack(data)[0]
        except struct.error as e:
            raise _deserialize_error(self, topic, data, f"expected {self._size}") from e
        except TypeError as e:
            raise _deserialize_error(self, topic, data, _not_bytes(data)) from e

    def _why_not(self, data: Any) -> str:
        return f"expected {self._expected}"


class _IntegralSerde(_StructSerde[int]):
    __slots__ = ()

    def _why_not(self, data: Any) -> str:
        if isinstance(data, int):
            bits = self._size * 8
            return f"out of range for a {bits}-bit signed integer"
        return "expected an int"


class ShortSerde(_IntegralSerde):
    """2-byte big-endian signed integers (Kafka's ``Serdes.Short()``)."""

    __slots__ = ()
    _name = "Short"
    _size = 2
    _pack = _SHORT.pack
    _unpack = _SHORT.unpack


class IntegerSerde(_IntegralSerde):
    """4-byte big-endian signed integers (Kafka's ``Serdes.Integer()``)."""

    __slots__ = ()
    _name = "Integer"
    _size = 4
    _pack = _INT.pack
    _unpack = _INT.unpack


class LongSerde(_IntegralSerde):
    """8-byte big-endian signed integers (Kafka's ``Serdes.Long()``)."""

    __slots__ = ()
    _name = "Long"
    _size = 8
    _pack = _LONG.pack
    _unpack = _LONG.unpack


class _FloatingSerde(_StructSerde[float]):
    __slots__ = ()

    def _why_not(self, data: Any) -> str:
        if isinstance(data, int | float):
            return f"out of range for a {self._size * 8}-bit float"
        return "expected a float"


class FloatSerde(_FloatingSerde):
    """4-byte IEEE 754 big-endian floats (Kafka's ``Serdes.Float()``)."""

    __slots__ = ()
    _name = "Float"
    _size = 4
    _pack = _FLOAT.pack
    _unpack = _FLOAT.unpack


class DoubleSerde(_FloatingSerde):
    """8-byte IEEE 754 big-endian floats (Kafka's ``Serdes.Double()``)."""

    __slots__ = ()
    _name = "Double"
    _size = 8
    _pack = _DOUBLE.pack
    _unpack = _DOUBLE.unpack


class BooleanSerde(_BuiltinSerde[bool]):
    """One byte, 0x01 for True and 0x00 for False (Kafka's ``Serdes.Boolean()``)."""

    __slots__ = ()
    _name = "Boolean"

    def serialize(self, topic: str, data: bool | None) -> bytes | None:
        if data is True:
            return b"\x01"
        if data is False:
            return b"\x00"
        if data is None:
            return None
        raise _serialize_error(self, topic, data, "expected a bool")

    def deserialize(self, topic: str, data: bytes | None) -> bool | None:
        if data is None:
            return None
        if data == b"\x01":
            return True
        if data == b"\x00":
            return False
        if not isinstance(data, bytes | bytearray | memoryview):
            raise _deserialize_error(self, topic, data, _not_bytes(data))
        if len(data) != 1:
            raise _deserialize_error(self, topic, data, "expected 1")
        raise _deserialize_error(self, topic, data, f"unexpected byte 0x{data[0]:02x}, expected 0x00 or 0x01")


class UUIDSerde(_BuiltinSerde[uuid.UUID]):
    """A UUID as its 36-character text form in UTF-8 (Kafka's ``Serdes.UUID()``)."""

    __slots__ = ()
    _name = "UUID"

    def serialize(self, topic: str, data: uuid.UUID | str | None) -> bytes | None:
        if data is None:
            return None
        if isinstance(data, uuid.UUID):
            return str(data).encode()
        if isinstance(data, str):
            try:
                return str(uuid.UUID(data)).encode()
            except ValueError as e:
                raise _serialize_error(self, topic, data, "not a UUID string") from e
        raise _serialize_error(self, topic, data, "expected a uuid.UUID")

    def deserialize(self, topic: str, data: bytes | None) -> uuid.UUID | None:
        if data is None:
            return None
        try:
            return uuid.UUID(str(data, "utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise _deserialize_error(self, topic, data, "not a UUID string") from e
        except TypeError as e:
            raise _deserialize_error(self, topic, data, _not_bytes(data)) from e


class VoidSerde(_BuiltinSerde[None]):
    """Only ``None`` (Kafka's ``Serdes.Void()``): for topics whose keys or values are always null."""

    __slots__ = ()
    _name = "Void"

    def serialize(self, topic: str, data: None) -> bytes | None:
        if data is None:
            return None
        raise _serialize_error(self, topic, data, "expected None")

    def deserialize(self, topic: str, data: bytes | None) -> None:
        if data is None:
            return None
        raise _deserialize_error(self, topic, data, "expected null")


class JSONSerde(_BuiltinSerde[Any]):
    """Compact UTF-8 JSON (``json.dumps`` with ``separators=(",", ":")``, non-ASCII kept).

    raystreams' own addition; Kafka ships no JSON serde.
    """

    __slots__ = ()
    _name = "JSON"

    def serialize(self, topic: str, data: Any) -> bytes | None:
        if data is None:
            return None
        try:
            return _json_encode(data).encode()
        except (TypeError, ValueError) as e:
            raise _serialize_error(self, topic, data, f"not JSON-serializable ({e})") from e

    def deserialize(self, topic: str, data: bytes | None) -> Any:
        if data is None:
            return None
        try:
            return _json_decode(data.decode())
        except ValueError as e:  # includes JSONDecodeError and UnicodeDecodeError
            raise _deserialize_error(self, topic, data, f"not valid JSON ({e})") from e
        except AttributeError as e:
            if isinstance(data, memoryview):
                return self.deserialize(topic, bytes(data))
            raise _deserialize_error(self, topic, data, _not_bytes(data)) from e


def _function_name(fn: Callable[..., Any]) -> str:
    name = getattr(fn, "__qualname__", None)
    if not name:
        return repr(fn)
    return name.rpartition("<locals>.")[2]


class FunctionSerde(_BuiltinSerde[T]):
    """A serde made of two plain functions (Kafka's ``Serdes.serdeFrom(serializer, deserializer)``).

    The functions take the value (or the bytes) alone; ``None`` passes through without
    calling them. Errors they raise become ``SerializationException``.
    """

    __slots__ = ("_serialize_fn", "_deserialize_fn")

    def __init__(self, serialize: Callable[[T], bytes], deserialize: Callable[[bytes], T]) -> None:
        if not callable(serialize) or not callable(deserialize):
            raise TypeError("Serdes.from_functions() needs two callables: serialize and deserialize")
        object.__setattr__(self, "_serialize_fn", serialize)
        object.__setattr__(self, "_deserialize_fn", deserialize)

    def _params(self) -> tuple[Any, ...]:
        return (self._serialize_fn, self._deserialize_fn)

    def serialize(self, topic: str, data: T | None) -> bytes | None:
        if data is None:
            return None
        try:
            out = self._serialize_fn(data)
        except SerializationException:
            raise
        except Exception as e:
            raise _serialize_error(self, topic, data, f"{type(e).__name__}: {e}") from e
        if type(out) is bytes:
            return out
        if isinstance(out, bytes | bytearray | memoryview):
            return bytes(out)
        raise _serialize_error(self, topic, data, f"the function returned {type(out).__name__}, not bytes")

    def deserialize(self, topic: str, data: bytes | None) -> T | None:
        if data is None:
            return None
        try:
            return self._deserialize_fn(data)
        except SerializationException:
            raise
        except Exception as e:
            raise _deserialize_error(self, topic, data, f"{type(e).__name__}: {e}") from e

    def __repr__(self) -> str:
        return (f"Serdes.from_functions({_function_name(self._serialize_fn)}, "
                f"{_function_name(self._deserialize_fn)})")


_STRING = StringSerde()
_BYTES = BytesSerde()
_SHORT_SERDE = ShortSerde()
_INTEGER = IntegerSerde()
_LONG_SERDE = LongSerde()
_FLOAT_SERDE = FloatSerde()
_DOUBLE_SERDE = DoubleSerde()
_BOOLEAN = BooleanSerde()
_UUID = UUIDSerde()
_VOID = VoidSerde()
_JSON = JSONSerde()
