"""Serdes of windowed keys, byte-compatible with Kafka Streams' ``TimeWindowedSerde`` and
``SessionWindowedSerde``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from raystreams.durations import millis
from raystreams.serde.base import (
    _LONG,
    _TWO_LONGS,
    Serde,
    _BuiltinSerde,
    _deserialize_error,
    _serialize_error,
    _show,
)
from raystreams.serde.names import resolve_serde
from raystreams.windowed import LONG_MAX, SessionWindow, TimeWindow, Windowed


def _window_size_ms(window_size: int | timedelta) -> int:
    size = millis(window_size)
    if size is None:
        raise TypeError(f"window size must be int milliseconds or a timedelta, got {_show(window_size)}")
    if size <= 0 or size > LONG_MAX:
        raise ValueError(f"window size must be between 1 and {LONG_MAX} ms, got {size}")
    return size


class _WindowedKeySerde(_BuiltinSerde[Windowed[Any]]):
    """What both windowed-key serdes share: ``[inner key bytes][window suffix]``, the inner
    serde's bytes of the plain key first, a fixed-size suffix after it."""

    __slots__ = ("inner", "_inner_serialize", "_inner_deserialize")
    _suffix_size: int  # bytes of the window suffix
    _suffix_text: str  # what the suffix holds, for errors

    def __init__(self, inner: Serde[Any] | str | type) -> None:
        inner = resolve_serde(inner, key="inner")
        object.__setattr__(self, "inner", inner)
        object.__setattr__(self, "_inner_serialize", inner.serialize)
        object.__setattr__(self, "_inner_deserialize", inner.deserialize)

    def _suffix(self, window: Any) -> bytes:
        raise NotImplementedError

    def _window(self, suffix: bytes) -> Any:
        raise NotImplementedError

    def serialize(self, topic: str, data: Windowed[Any] | None) -> bytes | None:
        if data is None:
            return None
        try:
            key, suffix = data.key, self._suffix(data.window)
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
        cut = len(data) - self._suffix_size
        if cut < 0:
            raise _deserialize_error(self, topic, data, f"expected at least {self._suffix_size} "
                                                        f"({self._suffix_text})")
        try:
            window = self._window(data[cut:])
        except ValueError as e:
            raise _deserialize_error(self, topic, data, str(e)) from e
        return Windowed(self._inner_deserialize(topic, data[:cut]), window)


class TimeWindowedSerde(_WindowedKeySerde):
    """Keys of time windows: ``[inner key bytes][window start, 8 bytes BE]``.

    Byte-compatible with Kafka Streams' ``TimeWindowedSerializer`` / ``TimeWindowedDeserializer``
    (``WindowKeySchema.toBinary``): only the start is stored, and the end is recovered as
    ``start + window_size_ms`` (capped at ``LONG_MAX``). Empty input deserializes to ``None``
    as in Kafka.

    Args:
        inner: Serde of the plain key (anything ``resolve_serde`` accepts).
        window_size_ms: Size of the windows, in ms or as a ``timedelta``.
    """

    __slots__ = ("window_size_ms",)
    _suffix_size = 8
    _suffix_text = "the window start"

    def __init__(self, inner: Serde[Any] | str | type, window_size_ms: int | timedelta) -> None:
        super().__init__(inner)
        object.__setattr__(self, "window_size_ms", _window_size_ms(window_size_ms))

    def _params(self) -> tuple[Any, ...]:
        return (self.inner, self.window_size_ms)

    def _suffix(self, window: Any) -> bytes:
        return _LONG.pack(window.start)

    def _window(self, suffix: bytes) -> TimeWindow:
        start = _LONG.unpack(suffix)[0]
        return TimeWindow(start, min(start + self.window_size_ms, LONG_MAX))

    def __repr__(self) -> str:
        return f"Serdes.time_windowed({self.inner!r}, {self.window_size_ms})"


class SessionWindowedSerde(_WindowedKeySerde):
    """Keys of session windows: ``[inner key bytes][end, 8 bytes BE][start, 8 bytes BE]``.

    Byte-compatible with Kafka Streams' ``SessionWindowedSerializer`` /
    ``SessionWindowedDeserializer`` (``SessionKeySchema.toBinary``). Empty input
    deserializes to ``None`` as in Kafka.

    Args:
        inner: Serde of the plain key (anything ``resolve_serde`` accepts).
    """

    __slots__ = ()
    _suffix_size = 16
    _suffix_text = "window end and start"

    def _params(self) -> tuple[Any, ...]:
        return (self.inner,)

    def _suffix(self, window: Any) -> bytes:
        return _TWO_LONGS.pack(window.end, window.start)

    def _window(self, suffix: bytes) -> SessionWindow:
        end, start = _TWO_LONGS.unpack(suffix)
        return SessionWindow(start, end)

    def __repr__(self) -> str:
        return f"Serdes.session_windowed({self.inner!r})"
