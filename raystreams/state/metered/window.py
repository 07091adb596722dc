"""Typed window stores (Kafka's ``MeteredWindowStore`` / ``MeteredTimestampedWindowStore``).

The store key is ``[key bytes][window start 8 BE][seqnum 4 BE]`` (Kafka's ``WindowKeySchema``);
the seqnum is 0, or with ``retain_duplicates`` (stream-stream joins) a counter that makes every
put a new entry, as Kafka's ``RocksDBWindowStore`` does.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from raystreams.errors import IllegalArgumentException
from raystreams.state.base.key_schema import INT_MAX, LONG_MAX
from raystreams.state.metered.base import MeteredStore, close_quietly, null_key
from raystreams.state.names import to_epoch_millis
from raystreams.state.types import KeyValue, KeyValueIterator
from raystreams.windowed import TimeWindow, Windowed

__all__ = ["MeteredTimestampedWindowStore", "MeteredWindowStore"]

K = TypeVar("K")
V = TypeVar("V")

_SUFFIX = struct.Struct(">qi")
_long_at = struct.Struct(">q").unpack_from


def _ms(t: Any) -> int:
    return t if type(t) is int else to_epoch_millis(t)


def _values(it: Iterator[tuple[bytes, bytes]], vd: Callable[[str, Any], Any], topic: str) -> Iterator[KeyValue]:
    try:
        for k, v in it:
            yield KeyValue(_long_at(k, len(k) - 12)[0], vd(topic, v))
    finally:
        close_quietly(it)


def _windowed(it: Iterator[tuple[bytes, bytes]], kd: Callable[[str, Any], Any], vd: Callable[[str, Any], Any],
              topic: str, size: int) -> Iterator[KeyValue]:
    try:
        for k, v in it:
            n = len(k) - 12
            start = _long_at(k, n)[0]
            yield KeyValue(Windowed(kd(topic, k[:n]), TimeWindow(start, min(start + size, LONG_MAX))),
                           vd(topic, v))
    finally:
        close_quietly(it)


class MeteredWindowStore(MeteredStore, Generic[K, V]):
    """The typed face of a window store stack; implements ``WindowStore``.

    Args:
        inner: A ``SegmentedBytesStore`` stack with the window key schema.
        window_size: Size of the windows in ms (a window is ``[start, start + size)``).
        retain_duplicates: Keep every put as its own entry (no overwrite, no delete).
        key_serde: Serde of keys, or ``None`` for the config default.
        value_serde: Serde of values, or ``None`` for the config default.
        **kwargs: See ``MeteredStore``.
    """

    store_kind = "window"

    def __init__(self, inner: Any, window_size: int, retain_duplicates: bool, key_serde: Any,
                 value_serde: Any, **kwargs: Any) -> None:
        super().__init__(inner, key_serde, value_serde, **kwargs)
        self._window_size = window_size
        self.retain_duplicates = retain_duplicates
        self._seqnum = 0

    @property
    def window_size(self) -> int:
        return self._window_size

    @property
    def retention_period(self) -> int:
        return self.inner.retention_period

    def _decode_key(self, key: bytes) -> Windowed[K]:
        n = len(key) - 12
        start = _long_at(key, n)[0]
        return Windowed(self._kd(self._topic, key[:n]), TimeWindow(start, min(start + self._window_size, LONG_MAX)))

    def put(self, key: K, value: V | None, window_start_timestamp: int) -> None:
        """Put ``value`` for the window of ``key`` starting at ``window_start_timestamp``; ``None`` deletes."""
        if key is None:
            raise null_key()
        if self.retain_duplicates:
            if value is None:
                return  # deleting one duplicate is impossible: Kafka ignores it too
            self._seqnum = (self._seqnum + 1) & INT_MAX
        self.puts += 1
        topic = self._topic
        raw_key = self._ks(topic, key) + _SUFFIX.pack(_ms(window_start_timestamp), self._seqnum)
        self._down.put(raw_key, None if value is None else self._vs(topic, value))

    def fetch(self, *args: Any) -> Any:
        """``fetch(key, time)``, ``fetch(key, time_from, time_to)`` or ``fetch(key_from, key_to, time_from, time_to)``."""
        n = len(args)
        if n == 2:
            return self._fetch_one(*args)
        if n == 3:
            return self._fetch_key(args[0], args[1], args[2], True)
        if n == 4:
            return self._fetch_range(args[0], args[1], args[2], args[3], True)
        raise IllegalArgumentException(f"fetch takes 2, 3 or 4 arguments, got {n}")

    def backward_fetch(self, *args: Any) -> Any:
        """``backward_fetch(key, time_from, time_to)`` or ``backward_fetch(key_from, key_to, time_from, time_to)``."""
        n = len(args)
        if n == 3:
            return self._fetch_key(args[0], args[1], args[2], False)
        if n == 4:
            return self._fetch_range(args[0], args[1], args[2], args[3], False)
        raise IllegalArgumentException(f"backward_fetch takes 3 or 4 arguments, got {n}")

    def _fetch_one(self, key: K, time: int) -> V | None:
        if key is None:
            raise null_key()
        self.gets += 1
        topic = self._topic
        raw = self._down.get(self._ks(topic, key) + _SUFFIX.pack(_ms(time), self._seqnum))
        return None if raw is None else self._vd(topic, raw)

    def _fetch_key(self, key: K, time_from: Any, time_to: Any, forward: bool) -> KeyValueIterator[int, V]:
        if key is None:
            raise null_key()
        self.range_queries += 1
        kb = self._ks(self._topic, key)
        it = self._down.fetch(kb, kb, _ms(time_from), _ms(time_to), forward)
        return KeyValueIterator(_values(it, self._vd, self._topic))

    def _fetch_range(self, key_from: K | None, key_to: K | None, time_from: Any, time_to: Any,
                     forward: bool) -> KeyValueIterator[Windowed[K], V]:
        self.range_queries += 1
        topic = self._topic
        kf = None if key_from is None else self._ks(topic, key_from)
        kt = None if key_to is None else self._ks(topic, key_to)
        return self._windowed(self._down.fetch(kf, kt, _ms(time_from), _ms(time_to), forward))

    def _windowed(self, it: Iterator[tuple[bytes, bytes]]) -> KeyValueIterator[Windowed[K], V]:
        return KeyValueIterator(_windowed(it, self._kd, self._vd, self._topic, self._window_size))

    def fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator[Windowed[K], V]:
        """Every key's windows starting in ``[time_from, time_to]``."""
        self.range_queries += 1
        return self._windowed(self._down.fetch(None, None, _ms(time_from), _ms(time_to), True))

    def backward_fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator[Windowed[K], V]:
        self.range_queries += 1
        return self._windowed(self._down.fetch(None, None, _ms(time_from), _ms(time_to), False))

    def all(self) -> KeyValueIterator[Windowed[K], V]:
        self.range_queries += 1
        return self._windowed(self._down.all(True))

    def backward_all(self) -> KeyValueIterator[Windowed[K], V]:
        self.range_queries += 1
        return self._windowed(self._down.all(False))


class MeteredTimestampedWindowStore(MeteredWindowStore[K, Any]):
    """A typed window store of ``ValueAndTimestamp`` values; implements ``TimestampedWindowStore``."""

    def __init__(self, inner: Any, window_size: int, retain_duplicates: bool, key_serde: Any,
                 value_serde: Any, **kwargs: Any) -> None:
        kwargs["timestamped"] = True
        super().__init__(inner, window_size, retain_duplicates, key_serde, value_serde, **kwargs)

    def plain_view(self) -> Any:
        """This store without timestamps (read and write), as Kafka's test driver hands it out."""
        from raystreams.state.facades import WindowStoreFacade
        return WindowStoreFacade(self)
