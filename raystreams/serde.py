"""Serdes: turn keys and values into bytes and back (Kafka's ``Serde`` / ``Serdes``).

Every built-in serde maps ``None`` to ``None`` both ways, so tombstones pass through as in
Kafka. The byte formats of the primitive and windowed serdes are those of the Java client
and of Kafka Streams, so raystreams and Java applications read each other's topics.
"""

from __future__ import annotations

import difflib
import importlib
import json
import struct
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar, Generic, TypeVar

from raystreams.durations import millis
from raystreams.errors import ConfigException, SerializationException
from raystreams.windowed import LONG_MAX, SessionWindow, TimeWindow, Windowed

__all__ = [
    "BooleanSerde",
    "BytesSerde",
    "DoubleSerde",
    "FloatSerde",
    "FunctionSerde",
    "IntegerSerde",
    "JSONSerde",
    "LongSerde",
    "Serde",
    "Serdes",
    "SessionWindowedSerde",
    "ShortSerde",
    "StringSerde",
    "TimeWindowedSerde",
    "UUIDSerde",
    "VoidSerde",
    "resolve_serde",
]

T = TypeVar("T")

_SHORT = struct.Struct(">h")
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
_TWO_LONGS = struct.Struct(">qq")

_json_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_json_decode = json.JSONDecoder().decode


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


def _window_size_ms(window_size: int | timedelta) -> int:
    size = millis(window_size)
    if size is None:
        raise TypeError(f"window size must be int milliseconds or a timedelta, got {_show(window_size)}")
    if size <= 0 or size > LONG_MAX:
        raise ValueError(f"window size must be between 1 and {LONG_MAX} ms, got {size}")
    return size


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


class TimeWindowedSerde(_BuiltinSerde[Windowed[Any]]):
    """Keys of time windows: ``[inner key bytes][window start, 8 bytes BE]``.

    Byte-compatible with Kafka Streams' ``TimeWindowedSerializer`` / ``TimeWindowedDeserializer``
    (``WindowKeySchema.toBinary``): only the start is stored, and the end is recovered as
    ``start + window_size_ms`` (capped at ``LONG_MAX``). Empty input deserializes to ``None``
    as in Kafka.

    Args:
        inner: Serde of the plain key (anything ``resolve_serde`` accepts).
        window_size_ms: Size of the windows, in ms or as a ``timedelta``.
    """

    __slots__ = ("inner", "window_size_ms", "_inner_serialize", "_inner_deserialize")

    def __init__(self, inner: Serde[Any] | str | type, window_size_ms: int | timedelta) -> None:
        inner = resolve_serde(inner, key="inner")
        object.__setattr__(self, "inner", inner)
        object.__setattr__(self, "window_size_ms", _window_size_ms(window_size_ms))
        object.__setattr__(self, "_inner_serialize", inner.serialize)
        object.__setattr__(self, "_inner_deserialize", inner.deserialize)

    def _params(self) -> tuple[Any, ...]:
        return (self.inner, self.window_size_ms)

    def serialize(self, topic: str, data: Windowed[Any] | None) -> bytes | None:
        if data is None:
            return None
        try:
            key, start = data.key, data.window.start
        except AttributeError as e:
            raise _serialize_error(self, topic, data, "expected a Windowed") from e
        key_bytes = self._inner_serialize(topic, key)
        if key_bytes is None:
            raise _serialize_error(self, topic, data, "the inner serde returned None for the key")
        if type(key_bytes) is not bytes:
            key_bytes = bytes(key_bytes)
        return key_bytes + _LONG.pack(start)

    def serialize_base_key(self, topic: str, data: Windowed[Any]) -> bytes | None:
        """Serialize only the plain key, as Kafka's ``serializeBaseKey`` (used to partition)."""
        return self._inner_serialize(topic, data.key)

    def deserialize(self, topic: str, data: bytes | None) -> Windowed[Any] | None:
        if not data:
            return None
        n = len(data)
        if n < 8:
            raise _deserialize_error(self, topic, data, "expected at least 8 (the window start)")
        start = _LONG.unpack_from(data, n - 8)[0]
        end = start + self.window_size_ms
        if end > LONG_MAX:
            end = LONG_MAX
        try:
            window = TimeWindow(start, end)
        except ValueError as e:
            raise _deserialize_error(self, topic, data, str(e)) from e
        return Windowed(self._inner_deserialize(topic, data[: n - 8]), window)

    def __repr__(self) -> str:
        return f"Serdes.time_windowed({self.inner!r}, {self.window_size_ms})"


class SessionWindowedSerde(_BuiltinSerde[Windowed[Any]]):
    """Keys of session windows: ``[inner key bytes][end, 8 bytes BE][start, 8 bytes BE]``.

    Byte-compatible with Kafka Streams' ``SessionWindowedSerializer`` /
    ``SessionWindowedDeserializer`` (``SessionKeySchema.toBinary``). Empty input
    deserializes to ``None`` as in Kafka.

    Args:
        inner: Serde of the plain key (anything ``resolve_serde`` accepts).
    """

    __slots__ = ("inner", "_inner_serialize", "_inner_deserialize")

    def __init__(self, inner: Serde[Any] | str | type) -> None:
        inner = resolve_serde(inner, key="inner")
        object.__setattr__(self, "inner", inner)
        object.__setattr__(self, "_inner_serialize", inner.serialize)
        object.__setattr__(self, "_inner_deserialize", inner.deserialize)

    def _params(self) -> tuple[Any, ...]:
        return (self.inner,)

    def serialize(self, topic: str, data: Windowed[Any] | None) -> bytes | None:
        if data is None:
            return None
        try:
            key, window = data.key, data.window
            suffix = _TWO_LONGS.pack(window.end, window.start)
        except AttributeError as e:
            raise _serialize_error(self, topic, data, "expected a Windowed") from e
        key_bytes = self._inner_serialize(topic, key)
        if key_bytes is None:
            raise _serialize_error(self, topic, data, "the inner serde returned None for the key")
        if type(key_bytes) is not bytes:
            key_bytes = bytes(key_bytes)
        return key_bytes + suffix

    def serialize_base_key(self, topic: str, data: Windowed[Any]) -> bytes | None:
        """Serialize only the plain key, as Kafka's ``serializeBaseKey`` (used to partition)."""
        return self._inner_serialize(topic, data.key)

    def deserialize(self, topic: str, data: bytes | None) -> Windowed[Any] | None:
        if not data:
            return None
        n = len(data)
        if n < 16:
            raise _deserialize_error(self, topic, data, "expected at least 16 (window end and start)")
        end, start = _TWO_LONGS.unpack_from(data, n - 16)
        try:
            window = SessionWindow(start, end)
        except ValueError as e:
            raise _deserialize_error(self, topic, data, str(e)) from e
        return Windowed(self._inner_deserialize(topic, data[: n - 16]), window)

    def __repr__(self) -> str:
        return f"Serdes.session_windowed({self.inner!r})"


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

#: the inner serdes whose entries a ListSerde writes at a fixed size (Kafka's list)
_FIXED_ENTRY_SIZES: dict[type, int] = {ShortSerde: 2, IntegerSerde: 4, FloatSerde: 4,
                                       LongSerde: 8, DoubleSerde: 8, UUIDSerde: 36}


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
    def ListSerde(inner: Serde[Any] | str | type) -> ListSerde:  # noqa: N802 - Kafka's name
        """Lists of ``inner``'s values (Kafka's ``Serdes.ListSerde(ArrayList.class, inner)``)."""
        return ListSerde(inner)

    @staticmethod
    def time_windowed(inner: Serde[Any] | str | type,
                      window_size: int | timedelta) -> TimeWindowedSerde:
        """Serde of time-windowed keys (Kafka's ``WindowedSerdes.timeWindowedSerdeFrom``)."""
        return TimeWindowedSerde(inner, window_size)

    @staticmethod
    def session_windowed(inner: Serde[Any] | str | type) -> SessionWindowedSerde:
        """Serde of session-windowed keys (Kafka's ``WindowedSerdes.sessionWindowedSerdeFrom``)."""
        return SessionWindowedSerde(inner)


_BY_NAME: dict[str, Serde[Any]] = {
    "string": _STRING,
    "bytes": _BYTES,
    "bytearray": _BYTES,
    "bytebuffer": _BYTES,
    "short": _SHORT_SERDE,
    "integer": _INTEGER,
    "long": _LONG_SERDE,
    "float": _FLOAT_SERDE,
    "double": _DOUBLE_SERDE,
    "boolean": _BOOLEAN,
    "uuid": _UUID,
    "void": _VOID,
    "json": _JSON,
}
_CANONICAL_NAMES = ["String", "Bytes", "ByteArray", "ByteBuffer", "Short", "Integer", "Long",
                    "Float", "Double", "Boolean", "UUID", "Void", "JSON"]
_JAVA_PREFIXES = ("org.apache.kafka.common.serialization.serdes$",
                  "org.apache.kafka.common.serialization.serdes.",
                  "serdes$", "serdes.")


def _looks_like_serde(obj: Any) -> bool:
    return callable(getattr(obj, "serialize", None)) and callable(getattr(obj, "deserialize", None))


def _builtin_by_name(name: str) -> Serde[Any] | None:
    text = name.strip()
    if text.endswith("()"):
        text = text[:-2]
    lowered = text.lower()
    for prefix in _JAVA_PREFIXES:
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix):]
            break
    if lowered in _BY_NAME:
        return _BY_NAME[lowered]
    if lowered.endswith("serde") and lowered[:-5] in _BY_NAME:
        return _BY_NAME[lowered[:-5]]
    return None


def _import_object(path: str) -> Any:
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def resolve_serde(spec: Any, *, key: str = "serde") -> Serde[Any]:
    """Turn a serde, a serde class or a serde name into a serde instance.

    Names are the built-ins' (``"String"``, ``"Long"``, ``"JSON"``, ``"Serdes.Long()"``), Kafka's
    Java class names (``"org.apache.kafka.common.serialization.Serdes$StringSerde"``), or an
    importable Python path (``"package.module:MySerde"``).

    Args:
        spec: What to resolve.
        key: The config key or argument being resolved, named in errors.

    Raises:
        ConfigException: ``spec`` names no serde or cannot be made into one.
    """
    if isinstance(spec, Serde):
        return spec
    if isinstance(spec, type):
        if issubclass(spec, Serde) or _looks_like_serde(spec):
            try:
                return spec()
            except TypeError as e:
                raise ConfigException(
                    key, f"Serde class {spec.__qualname__} for '{key}' cannot be created without "
                         f"arguments ({e}); pass an instance instead.") from e
        raise ConfigException(key, f"Class {spec.__qualname__} given for '{key}' is not a serde: "
                                   "it needs serialize(topic, data) and deserialize(topic, data).")
    if isinstance(spec, str):
        found = _builtin_by_name(spec)
        if found is not None:
            return found
        if "." in spec or ":" in spec:
            try:
                obj = _import_object(spec.strip())
            except (ImportError, AttributeError, ValueError) as e:
                raise ConfigException(
                    key, f"Serde {spec!r} for '{key}' is neither a built-in serde nor an importable "
                         f"Python path ({type(e).__name__}: {e}).", allowed=_CANONICAL_NAMES) from e
            if isinstance(obj, str):
                raise ConfigException(key, f"Serde path {spec!r} for '{key}' names a string, not a serde.")
            return resolve_serde(obj, key=key)
        close = difflib.get_close_matches(spec.strip(), _CANONICAL_NAMES, n=1, cutoff=0.6)
        raise ConfigException(key, f"Unknown serde {spec!r} for '{key}'.", allowed=_CANONICAL_NAMES,
                              suggestion=close[0] if close else None)
    if _looks_like_serde(spec):
        return spec
    raise ConfigException(key, f"Cannot use {_show(spec)} as the serde for '{key}': expected a Serde "
                               "instance, a Serde class or a serde name.", allowed=_CANONICAL_NAMES)
