"""The suppression buffer: a time-ordered key-value store of KTable changes (Kafka's
``InMemoryTimeOrderedKeyValueChangeBuffer``), change-logged in Kafka's version-3 layout.

Entries are kept by *buffer time* (oldest first); a key buffered again keeps its place and its
first old value ("prior value"). On flush (commit), each key changed since the last flush is
written to ``<application.id>-<store>-changelog`` as Kafka's buffer value (record context,
prior/old/new value parts, buffer time), or a tombstone if it was emitted; a restore reads the
same layout back.
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Callable, Iterable
from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Headers, Record, RecordContext
from raystreams.processor.change import Change
from raystreams.state.types import ValueAndTimestamp

__all__ = ["Eviction", "SuppressBufferBuilder", "TimeOrderedKeyValueBuffer"]

LONG_MAX = (1 << 63) - 1
_NULL = -1
_DUPLICATE = -2
_INT = struct.Struct(">i")
_LONG = struct.Struct(">q")
_CONTEXT_HEAD = struct.Struct(">qq")
UNKNOWN_TIMESTAMP = -1


class _BufferValue:
    """Serialized prior, old and new value of one key, with the record context of its last put."""

    __slots__ = ("prior", "old", "new", "context", "prior_is_old")

    def __init__(self, prior: bytes | None, old: bytes | None, new: bytes | None,
                 context: RecordContext, prior_is_old: bool) -> None:
        self.prior = prior
        self.old = old
        self.new = new
        self.context = context
        self.prior_is_old = prior_is_old

    def memory_estimate(self) -> int:
        """Kafka's ``BufferValue.residentMemorySizeEstimate``."""
        size = 0 if self.prior is None else len(self.prior)
        if self.old is not None and not self.prior_is_old:
            size += len(self.old)
        size += 0 if self.new is None else len(self.new)
        rc = self.context
        size += 8 + 8 + (len(rc.topic) if rc.topic else 0) + 4
        for key, value in rc.headers.to_list():
            size += len(key) + (0 if value is None else len(value))
        return size

    def serialize(self, buffer_time: int) -> bytes:
        """Kafka's v3 changelog value: context, prior, old, new, then the buffer time."""
        rc = self.context
        topic = (rc.topic or "").encode()
        headers = rc.headers.to_list()
        parts = [_CONTEXT_HEAD.pack(rc.timestamp, rc.offset), _INT.pack(len(topic)), topic,
                 _INT.pack(rc.partition), _INT.pack(len(headers))]
        for key, value in headers:
            kb = key.encode()
            parts.append(_INT.pack(len(kb)))
            parts.append(kb)
            if value is None:
                parts.append(_INT.pack(_NULL))
            else:
                parts.append(_INT.pack(len(value)))
                parts.append(value)
        _add(parts, self.prior)
        if self.old is None:
            parts.append(_INT.pack(_NULL))
        elif self.prior is not None and self.old == self.prior:
            parts.append(_INT.pack(_DUPLICATE))
        else:
            _add(parts, self.old)
        _add(parts, self.new)
        parts.append(_LONG.pack(buffer_time))
        return b"".join(parts)

    @staticmethod
    def deserialize(data: bytes) -> tuple[_BufferValue, int]:
        """The value and buffer time of a v3 changelog value."""
        timestamp, offset = _CONTEXT_HEAD.unpack_from(data, 0)
        pos = 16
        (n,) = _INT.unpack_from(data, pos)
        pos += 4
        topic = data[pos:pos + n].decode()
        pos += n
        (partition,) = _INT.unpack_from(data, pos)
        (count,) = _INT.unpack_from(data, pos + 4)
        pos += 8
        headers = []
        for _ in range(count):
            (n,) = _INT.unpack_from(data, pos)
            pos += 4
            key = data[pos:pos + n].decode()
            pos += n
            (n,) = _INT.unpack_from(data, pos)
            pos += 4
            if n == _NULL:
                headers.append((key, None))
            else:
                headers.append((key, data[pos:pos + n]))
                pos += n
        prior, pos = _read(data, pos)
        (n,) = _INT.unpack_from(data, pos)
        if n == _DUPLICATE:
            old, pos, prior_is_old = prior, pos + 4, True
        else:
            old, pos = _read(data, pos)
            prior_is_old = False
        new, pos = _read(data, pos)
        (buffer_time,) = _LONG.unpack_from(data, pos)
        rc = RecordContext(timestamp, offset, partition, topic, Headers(headers))
        return _BufferValue(prior, old, new, rc, prior_is_old), buffer_time


def _add(parts: list[bytes], value: bytes | None) -> None:
    if value is None:
        parts.append(_INT.pack(_NULL))
    else:
        parts.append(_INT.pack(len(value)))
        parts.append(value)


def _read(data: bytes, pos: int) -> tuple[bytes | None, int]:
    (n,) = _INT.unpack_from(data, pos)
    pos += 4
    if n == _NULL:
        return None, pos
    return data[pos:pos + n], pos + n


class Eviction:
    """One entry leaving the buffer: typed key, ``Change`` and the record context of its put."""

    __slots__ = ("key", "value", "record_context")

    def __init__(self, key: Any, value: Change, record_context: RecordContext) -> None:
        self.key = key
        self.value = value
        self.record_context = record_context


class TimeOrderedKeyValueBuffer:
    """An in-memory buffer of ``Change`` values ordered by buffer time, then key bytes.

    Kafka's ``InMemoryTimeOrderedKeyValueChangeBuffer``; a state store (``name``, ``init``,
    ``flush``, ``close``), change-logged when built with logging enabled.
    """

    def __init__(self, name: str, key_serde: Any, value_serde: Any, logging_enabled: bool,
                 log_config: dict[str, str] | None = None) -> None:
        self._name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.logging_enabled = logging_enabled
        self.log_config = dict(log_config or {})
        self.caching_enabled = False
        self._index: dict[bytes, tuple[int, _BufferValue]] = {}
        self._heap: list[tuple[int, bytes]] = []
        self._dirty: set[bytes] = set()
        self._size = 0
        self._context: Any = None
        self._topic = ""
        self._open = False

    # -- StateStore --------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self._name

    def init(self, context: Any, root: Any) -> None:
        from raystreams.state.context import default_serdes
        from raystreams.state.names import changelog_topic

        self._context = context
        self._topic = changelog_topic(context.application_id, self._name)
        if self.key_serde is None or self.value_serde is None:
            key_default, value_default = default_serdes(context.config)
            self.key_serde = self.key_serde or key_default
            self.value_serde = self.value_serde or value_default
        register = getattr(context, "register", None)
        if register is not None:
            register(root, self._restore_batch)
        self._open = True

    def flush(self) -> None:
        """Log every key changed since the last flush (Kafka logs the buffer on commit)."""
        if not self.logging_enabled or not self._dirty:
            self._dirty.clear()
            return
        context = self._context
        rc = getattr(context, "record_context", None)
        ts = rc.timestamp if rc is not None else 0
        for key in sorted(self._dirty):
            entry = self._index.get(key)
            if entry is None:
                context.log_change(self._name, self._topic, key, None, ts, None)
            else:
                time, value = entry
                context.log_change(self._name, self._topic, key, value.serialize(time), ts,
                                   Headers([("v", b"\x03")]))
        self._dirty.clear()

    def close(self) -> None:
        self._index.clear()
        self._heap.clear()
        self._size = 0
        self._open = False

    def persistent(self) -> bool:
        return False

    def is_open(self) -> bool:
        return self._open

    # -- restore ------------------------------------------------------------------------------
    def _restore_batch(self, records: Iterable[Any]) -> None:
        for rec in records:
            key, value = rec[0], rec[1]
            if value is None:
                entry = self._index.pop(key, None)
                if entry is not None:
                    self._size -= _record_size(key, entry[1])
                continue
            buffered, time = _BufferValue.deserialize(value)
            self._clean_put(time, key, buffered)

    # -- buffer -------------------------------------------------------------------------------
    def _clean_put(self, time: int, key: bytes, value: _BufferValue) -> None:
        previous = self._index.get(key)
        if previous is None:
            self._index[key] = (time, value)
            heapq.heappush(self._heap, (time, key))
            self._size += _record_size(key, value)
        else:
            self._index[key] = (previous[0], value)  # keeps its place in time order
            self._size += _record_size(key, value) - _record_size(key, previous[1])

    def put(self, time: int, record: Record, record_context: RecordContext) -> None:
        """Buffer ``record`` (a ``Change`` value) under ``time``."""
        change = record.value
        if change is None:
            raise StreamsException("value cannot be null")
        topic = self._topic
        key = self.key_serde.serialize(topic, record.key)
        vs = self.value_serde.serialize
        old = None if change.old_value is None else vs(topic, change.old_value)
        new = None if change.new_value is None else vs(topic, change.new_value)
        previous = self._index.get(key)
        if previous is None:
            value = _BufferValue(old, old, new, record_context, True)
        else:
            prior = previous[1].prior
            value = _BufferValue(prior, old, new, record_context, False)
        self._clean_put(time, key, value)
        if self.logging_enabled:
            self._dirty.add(key)

    def min_timestamp(self) -> int:
        heap, index = self._heap, self._index
        while heap:
            time, key = heap[0]
            entry = index.get(key)
            if entry is not None and entry[0] == time:
                return time
            heapq.heappop(heap)  # stale: the key was evicted or restored away
        return LONG_MAX

    def evict_while(self, predicate: Callable[[], bool], callback: Callable[[Eviction], None]) -> None:
        """Evict oldest-first while ``predicate()`` holds, handing each entry to ``callback``."""
        topic = self._topic
        kd = self.key_serde.deserialize
        vd = self.value_serde.deserialize
        while self.min_timestamp() != LONG_MAX and predicate():
            _time, key = heapq.heappop(self._heap)
            _t, value = self._index[key]
            change = Change(None if value.new is None else vd(topic, value.new),
                            None if value.old is None else vd(topic, value.old))
            callback(Eviction(kd(topic, key), change, value.context))
            del self._index[key]
            if self.logging_enabled:
                self._dirty.add(key)
            self._size -= _record_size(key, value)

    def prior_value_for_buffered(self, key: Any) -> tuple[bool, ValueAndTimestamp | None]:
        """``(True, prior)`` if ``key`` is buffered (prior may be None), else ``(False, None)``."""
        entry = self._index.get(self.key_serde.serialize(self._topic, key))
        if entry is None:
            return False, None
        prior = entry[1].prior
        if prior is None:
            return True, None
        value = self.value_serde.deserialize(self._topic, prior)
        return True, ValueAndTimestamp.make(value, UNKNOWN_TIMESTAMP)

    def num_records(self) -> int:
        return len(self._index)

    def buffer_size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"TimeOrderedKeyValueBuffer({self._name!r}, records={len(self._index)})"


def _record_size(key: bytes, value: _BufferValue) -> int:
    return 8 + len(key) + value.memory_estimate()


class SuppressBufferBuilder:
    """Builds the suppression buffer store (Kafka's ``InMemoryTimeOrderedKeyValueChangeBuffer.Builder``)."""

    def __init__(self, name: str, key_serde: Any, value_serde: Any) -> None:
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.logging_enabled = True
        self.log_config: dict[str, str] = {}
        self.caching_enabled = False

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> SuppressBufferBuilder:
        self.logging_enabled = True
        self.log_config = dict(config or {})
        return self

    def with_logging_disabled(self) -> SuppressBufferBuilder:
        self.logging_enabled = False
        self.log_config = {}
        return self

    def with_caching_disabled(self) -> SuppressBufferBuilder:
        return self  # the buffer never caches

    def with_caching_enabled(self) -> SuppressBufferBuilder:
        raise StreamsException("a suppression buffer cannot cache")

    def with_serdes_if_unset(self, key_serde: Any, value_serde: Any) -> SuppressBufferBuilder:
        if self.key_serde is None:
            self.key_serde = key_serde
        if self.value_serde is None:
            self.value_serde = value_serde
        return self

    def persistent(self) -> bool:
        return False

    def build(self) -> TimeOrderedKeyValueBuffer:
        return TimeOrderedKeyValueBuffer(self.name, self.key_serde, self.value_serde,
                                         self.logging_enabled, self.log_config)

    def __repr__(self) -> str:
        return f"SuppressBufferBuilder({self.name!r}, logging={self.logging_enabled})"
