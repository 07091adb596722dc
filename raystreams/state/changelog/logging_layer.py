"""The change-logging layers (Kafka's ``ChangeLogging*BytesStore``).

Each write is applied below, then sent through ``context.log_change`` to
``<application.id>-<store>-changelog`` at the task's partition: key = store key bytes, value =
value bytes (``None`` for a delete), timestamp = that of the record being processed. For
timestamped stores the changelog value is the plain value and the record timestamp carries the
value's timestamp (Kafka's ``ChangeLoggingTimestampedKeyValueBytesStore``), so the changelog
of a timestamped store reads like that of a plain one.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from raystreams.state.base.bytes_store import DirtyEntry, WrappedStore
from raystreams.state.names import changelog_topic

if TYPE_CHECKING:
    from raystreams.processor.api import RecordContext
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = ["ChangeLoggingKeyValueBytesStore", "ChangeLoggingSegmentedBytesStore"]

_long_at = struct.Struct(">q").unpack_from


class _ChangeLogging(WrappedStore):
    """Sends the changelog records; subclasses decide which writes make them."""

    def __init__(self, wrapped: Any, timestamped: bool = False) -> None:
        super().__init__(wrapped)
        self._timestamped = timestamped
        self._context: StateStoreContext | None = None
        self._topic = ""
        self._name = ""
        self._log: Any = None

    @property
    def changelog_topic(self) -> str:
        return self._topic

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        self._context = context
        self._name = self.wrapped.name
        self._topic = changelog_topic(context.application_id, self._name)
        self._log = context.log_change
        self.wrapped.init(context, root)

    def _send(self, key: bytes, value: bytes | None, rc: RecordContext | None) -> None:
        if self._timestamped and value is not None:
            timestamp = _long_at(value)[0]
            value = value[8:]
        elif rc is not None:
            timestamp = rc.timestamp
        else:
            # no record is being processed (e.g. a write from outside the task): time 0
            timestamp = 0
        self._log(self._name, self._topic, key, value, timestamp, None)

    def put(self, key: bytes, value: bytes | None) -> None:
        self.wrapped.put(key, value)
        self._send(key, value, self._context.record_context)

    def put_batch(self, entries: Sequence[DirtyEntry]) -> None:
        self.wrapped.put_batch(entries)
        send = self._send
        fallback = self._context.record_context
        for key, value, rc in entries:
            send(key, value, fallback if rc is None else rc)


class ChangeLoggingKeyValueBytesStore(_ChangeLogging):
    """Change-logging over a ``KeyValueBytesStore``.

    Over an LRU map it also logs a tombstone for every entry the map evicts, so the changelog
    never resurrects keys the map forgot.
    """

    def __init__(self, wrapped: Any, timestamped: bool = False) -> None:
        super().__init__(wrapped, timestamped)
        self.get = wrapped.get
        self.range = wrapped.range
        self.all = wrapped.all
        self.prefix_scan = wrapped.prefix_scan
        self.approximate_num_entries = wrapped.approximate_num_entries

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        super().init(context, root)
        on_evict = getattr(self.wrapped, "set_when_eldest_removed", None)
        if on_evict is not None:
            on_evict(lambda key, _value: self._log(self._name, self._topic, key, None,
                                                   self._now(), None))

    def _now(self) -> int:
        rc = self._context.record_context
        return 0 if rc is None else rc.timestamp

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        previous = self.wrapped.put_if_absent(key, value)
        if previous is None:
            self._send(key, value, self._context.record_context)
        return previous

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        entries = list(entries)
        self.wrapped.put_all(entries)
        rc = self._context.record_context
        for key, value in entries:
            self._send(key, value, rc)

    def delete(self, key: bytes) -> bytes | None:
        old = self.wrapped.delete(key)
        self._send(key, None, self._context.record_context)
        return old


class ChangeLoggingSegmentedBytesStore(_ChangeLogging):
    """Change-logging over a ``SegmentedBytesStore`` (window and session stores)."""

    def __init__(self, wrapped: Any, timestamped: bool = False) -> None:
        super().__init__(wrapped, timestamped)
        self.get = wrapped.get
        self.fetch = wrapped.fetch
        self.all = wrapped.all
        fetch_sessions = getattr(wrapped, "fetch_sessions", None)
        if fetch_sessions is not None:  # the time-ordered session store
            self.fetch_sessions = fetch_sessions

    @property
    def schema(self) -> Any:
        return self.wrapped.schema

    @property
    def retention_period(self) -> int:
        return self.wrapped.retention_period

    @property
    def segment_interval(self) -> int:
        return self.wrapped.segment_interval

    @property
    def observed_stream_time(self) -> int:
        return self.wrapped.observed_stream_time
