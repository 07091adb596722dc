"""Typed session stores (Kafka's ``MeteredSessionStore``).

The store key is ``[key bytes][session end 8 BE][session start 8 BE]`` (Kafka's
``SessionKeySchema``); sessions are filed under their end time.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from raystreams.errors import IllegalArgumentException
from raystreams.state.base.key_schema import LONG_MAX
from raystreams.state.metered.base import MeteredStore, close_quietly, null_key
from raystreams.state.metered.window import _ms
from raystreams.state.types import KeyValue, KeyValueIterator
from raystreams.windowed import SessionWindow, Windowed

__all__ = ["MeteredSessionStore"]

K = TypeVar("K")
V = TypeVar("V")

_SUFFIX = struct.Struct(">qq")
_two_longs_at = _SUFFIX.unpack_from


def _sessions(it: Iterator[tuple[bytes, bytes]], kd: Callable[[str, Any], Any], vd: Callable[[str, Any], Any],
              topic: str, end_from: int | None = None, end_to: int | None = None) -> Iterator[KeyValue]:
    try:
        for k, v in it:
            n = len(k) - 16
            end, start = _two_longs_at(k, n)
            if end_from is not None and not end_from <= end <= end_to:
                continue
            yield KeyValue(Windowed(kd(topic, k[:n]), SessionWindow(start, end)), vd(topic, v))
    finally:
        close_quietly(it)


class MeteredSessionStore(MeteredStore, Generic[K, V]):
    """The typed face of a session store stack; implements ``SessionStore``."""

    store_kind = "session"

    @property
    def retention_period(self) -> int:
        return self.inner.retention_period

    def _decode_key(self, key: bytes) -> Windowed[K]:
        n = len(key) - 16
        end, start = _two_longs_at(key, n)
        return Windowed(self._kd(self._topic, key[:n]), SessionWindow(start, end))

    def _raw_session_key(self, session_key: Windowed[K]) -> bytes:
        if session_key is None or session_key.key is None:
            raise null_key("session key")
        window = session_key.window
        return self._ks(self._topic, session_key.key) + _SUFFIX.pack(window.end, window.start)

    def put(self, session_key: Windowed[K], aggregate: V | None) -> None:
        """Store the aggregate of a session; ``None`` removes the session."""
        self.puts += 1
        raw_key = self._raw_session_key(session_key)
        self._down.put(raw_key, None if aggregate is None else self._vs(self._topic, aggregate))

    def remove(self, session_key: Windowed[K]) -> None:
        self.deletes += 1
        self._down.put(self._raw_session_key(session_key), None)

    def fetch_session(self, key: K, session_start_time: Any, session_end_time: Any) -> V | None:
        """The aggregate of exactly this session, or ``None``."""
        if key is None:
            raise null_key()
        self.gets += 1
        topic = self._topic
        raw = self._down.get(self._ks(topic, key) + _SUFFIX.pack(_ms(session_end_time), _ms(session_start_time)))
        return None if raw is None else self._vd(topic, raw)

    def _find(self, key_from: K | None, key_to: K | None, earliest_end: Any, latest_start: Any,
              forward: bool, single: bool) -> KeyValueIterator[Windowed[K], V]:
        if single and key_from is None:
            raise null_key()
        self.range_queries += 1
        topic = self._topic
        kf = None if key_from is None else self._ks(topic, key_from)
        kt = kf if single else (None if key_to is None else self._ks(topic, key_to))
        it = self._down.fetch(kf, kt, _ms(earliest_end), _ms(latest_start), forward)
        return KeyValueIterator(_sessions(it, self._kd, self._vd, topic))

    def find_sessions(self, *args: Any) -> KeyValueIterator[Windowed[K], V]:
        """Sessions overlapping a time range.

        ``find_sessions(key, earliest_session_end_time, latest_session_start_time)`` and
        ``find_sessions(key_from, key_to, earliest_session_end_time, latest_session_start_time)``
        return sessions with ``end >= earliest end`` and ``start <= latest start``;
        ``find_sessions(earliest_session_end_time, latest_session_end_time)`` returns all
        keys' sessions whose end lies in that interval.
        """
        n = len(args)
        if n == 3:
            return self._find(args[0], None, args[1], args[2], True, True)
        if n == 4:
            return self._find(args[0], args[1], args[2], args[3], True, False)
        if n == 2:
            self.range_queries += 1
            end_from, end_to = _ms(args[0]), _ms(args[1])
            by_end = getattr(self._down, "fetch_sessions", None)
            if by_end is not None:  # Kafka's time-ordered session store: by end time, no retention
                return KeyValueIterator(_sessions(by_end(end_from, end_to), self._kd, self._vd, self._topic))
            it = self._down.fetch(None, None, end_from, LONG_MAX, True)
            return KeyValueIterator(_sessions(it, self._kd, self._vd, self._topic, end_from, end_to))
        raise IllegalArgumentException(f"find_sessions takes 2, 3 or 4 arguments, got {n}")

    def backward_find_sessions(self, *args: Any) -> KeyValueIterator[Windowed[K], V]:
        n = len(args)
        if n == 3:
            return self._find(args[0], None, args[1], args[2], False, True)
        if n == 4:
            return self._find(args[0], args[1], args[2], args[3], False, False)
        raise IllegalArgumentException(f"backward_find_sessions takes 3 or 4 arguments, got {n}")

    def fetch(self, *args: Any) -> KeyValueIterator[Windowed[K], V]:
        """``fetch(key)``: all sessions of a key; ``fetch(key_from, key_to)``: of a key range."""
        if len(args) == 1:
            return self._find(args[0], None, 0, LONG_MAX, True, True)
        if len(args) == 2:
            return self._find(args[0], args[1], 0, LONG_MAX, True, False)
        raise IllegalArgumentException(f"fetch takes 1 or 2 arguments, got {len(args)}")

    def backward_fetch(self, *args: Any) -> KeyValueIterator[Windowed[K], V]:
        if len(args) == 1:
            return self._find(args[0], None, 0, LONG_MAX, False, True)
        if len(args) == 2:
            return self._find(args[0], args[1], 0, LONG_MAX, False, False)
        raise IllegalArgumentException(f"backward_fetch takes 1 or 2 arguments, got {len(args)}")
