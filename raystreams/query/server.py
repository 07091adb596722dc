"""The task side of interactive queries: one task's stores answer point queries and pages of
scans (what Kafka's ``StreamTask.getStore`` + ``QueryableStoreType.create`` give a local caller).

The same ``StoreQueryServer`` answers inside a task actor (``TaskRunner``) and in the
``TopologyTestDriver``: every query goes through a ``QueryableStoreType`` read-only view, so the
store type check and the value shape (plain or ``ValueAndTimestamp``) are decided in one place.

Why pages: a scan holds the task's processing lock only while it reads one page (``limit``
entries), so a query never holds up processing for longer than a record batch would; the open
iterator waits between pages under a cursor, and is dropped after ``idle_s`` without a call.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from raystreams.errors import (
    InvalidStateStoreException,
    QueryCursorExpiredException,
    StateStoreNotAvailableException,
)
from raystreams.query.results import Position
from raystreams.state.readonly import QueryableStoreType
from raystreams.windowed import Windowed

__all__ = ["DEFAULT_PAGE_SIZE", "ScanEntry", "ScanPage", "StoreQueryServer", "TaskAnswer"]

#: entries per page of a scan when the caller names no limit
DEFAULT_PAGE_SIZE = 500
#: an open scan nobody asked for in this long is closed
CURSOR_IDLE_S = 60.0
#: at most this many open scans per task; the least recently used goes first
MAX_OPEN_CURSORS = 64


@dataclass(frozen=True)
class TaskAnswer:
    """A point query's answer from one task."""

    value: Any
    task_id: str
    #: the task was restoring: the value may lag its changelog
    stale: bool = False
    position: Position = Position()
    raw_key: bytes | None = None
    raw_value: bytes | None = None


@dataclass(frozen=True)
class ScanEntry:
    """One entry of a scan; ``sort_key`` orders entries of several tasks as the store orders
    its own (serialized key bytes; window start first for windows)."""

    sort_key: Any
    key: Any
    value: Any
    raw_key: bytes | None = None
    raw_value: bytes | None = None


@dataclass(frozen=True)
class ScanPage:
    """Up to ``limit`` entries of a scan; ``cursor`` asks for the next page (None: done)."""

    entries: tuple[ScanEntry, ...]
    cursor: str | None
    task_id: str
    stale: bool = False
    position: Position = Position()


_NOTHING = object()


@dataclass
class _OpenScan:
    iterator: Iterator[Any]
    store: Any
    stale_ok: bool
    raw: bool
    used: float
    #: the entry read ahead to learn whether the last page was the end
    peeked: Any = _NOTHING


class StoreQueryServer:
    """Answers queries from one task's stores.

    Args:
        task_id: the task (``<subtopology>_<partition>``), named in answers and errors.
        stores: the task's stores by name, or None before the task has opened them.
        lock: held while a page or a point query reads (the task's processing lock).
        running: whether the task is active and processing (else restoring: answers are stale).
        position: the task's processed input offsets, for the answers' ``Position``.
    """

    def __init__(self, task_id: str, stores: Callable[[], Mapping[str, Any] | None],
                 lock: Any = None, running: Callable[[], bool] = lambda: True,
                 position: Callable[[], Mapping[tuple[str, int], int]] | None = None, *,
                 idle_s: float = CURSOR_IDLE_S, max_open: int = MAX_OPEN_CURSORS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.task_id = task_id
        self._stores = stores
        self._lock = lock if lock is not None else threading.RLock()
        self._running = running
        self._position = position or (lambda: {})
        self._idle_s = idle_s
        self._max_open = max_open
        self._clock = clock
        self._scans: dict[str, _OpenScan] = {}
        self._scans_lock = threading.Lock()
        #: point queries and scan pages answered (the task's metrics show them)
        self.calls_served = 0
        self.pages_served = 0

    # ------------------------------------------------------------------ checks

    def _store(self, name: str, qtype: QueryableStoreType, stale_ok: bool) -> tuple[Any, bool]:
        stores = self._stores()
        if stores is None:
            raise StateStoreNotAvailableException(
                f"store {name!r} of task {self.task_id} is not open yet; retry")
        store = stores.get(name)
        if store is None:
            raise InvalidStateStoreException(f"store {name!r} is not hosted by task {self.task_id}")
        stale = not self._running()
        if stale and not stale_ok:
            raise StateStoreNotAvailableException(
                f"store {name!r} of task {self.task_id} is restoring (or closed); retry, or "
                f"query it with StoreQueryParameters.enable_stale_stores()")
        if not store.is_open():
            raise StateStoreNotAvailableException(f"store {name!r} of task {self.task_id} is "
                                                  f"closed; retry")
        return store, stale

    def position(self) -> Position:
        return Position.from_offsets(self._position())

    # ------------------------------------------------------------------ point queries

    def call(self, store_name: str, qtype: QueryableStoreType, method: str,
             args: tuple[Any, ...] = (), *, stale_ok: bool = False, raw: bool = False) -> TaskAnswer:
        """``method(*args)`` on the read-only view of a store (one value: ``get``,
        ``fetch(key, time)``, ``fetch_session``, ``approximate_num_entries``)."""
        qtype.check_method(method)
        if not qtype.is_point_query(method, args):
            raise InvalidStateStoreException(f"{method} is a scan of {qtype.name}: read it "
                                             f"with page()")
        with self._lock:
            store, stale = self._store(store_name, qtype, stale_ok)
            value = getattr(qtype.create(store), method)(*args)
            position = self.position()
            self.calls_served += 1
        raw_key = raw_value = None
        if raw and args and method != "approximate_num_entries":
            raw_key, raw_value = _raw(store, args[0], value)
        return TaskAnswer(value, self.task_id, stale, position, raw_key, raw_value)

    # ------------------------------------------------------------------ scans

    def page(self, store_name: str, qtype: QueryableStoreType | None = None, method: str = "",
             args: tuple[Any, ...] = (), *, cursor: str | None = None,
             limit: int = DEFAULT_PAGE_SIZE, stale_ok: bool = False,
             raw: bool = False) -> ScanPage:
        """The first page of ``method(*args)`` (a scan), or with ``cursor`` the next one."""
        limit = max(1, int(limit))
        self._expire()
        if cursor is None:
            if qtype is None:
                raise InvalidStateStoreException("a scan needs a QueryableStoreType")
            qtype.check_method(method)
            if qtype.is_point_query(method, args):
                raise InvalidStateStoreException(f"{method}{args!r} answers one value: use call()")
            with self._lock:
                store, stale = self._store(store_name, qtype, stale_ok)
                iterator = iter(getattr(qtype.create(store), method)(*args))
                scan = _OpenScan(iterator, store, stale_ok, raw, self._clock())
                return self._read(scan, limit, None, stale)
        with self._scans_lock:
            scan = self._scans.pop(cursor, None)
        if scan is None:
            raise QueryCursorExpiredException(
                f"scan cursor {cursor} is unknown to task {self.task_id} (expired after "
                f"{self._idle_s:.0f} s idle, or the task restarted): start the scan again")
        with self._lock:
            stale = not self._running()
            if (stale and not scan.stale_ok) or not scan.store.is_open():
                _close(scan.iterator)
                raise StateStoreNotAvailableException(
                    f"store {scan.store.name!r} of task {self.task_id} stopped running during "
                    f"the scan; start it again")
            return self._read(scan, limit, cursor, stale)

    def _read(self, scan: _OpenScan, limit: int, cursor: str | None, stale: bool) -> ScanPage:
        """Up to ``limit`` entries (the caller holds the lock); keeps the scan open if more follow."""
        store = scan.store
        entries = []
        it = scan.iterator
        done = False
        for _ in range(limit):
            if scan.peeked is not _NOTHING:
                kv, scan.peeked = scan.peeked, _NOTHING
            else:
                kv = next(it, _NOTHING)
                if kv is _NOTHING:
                    done = True
                    break
            key, value = kv[0], kv[1]
            raw_key, raw_value = _raw(store, key, value)
            entries.append(ScanEntry(_sort_key(key, raw_key), key, value,
                                     raw_key if scan.raw else None,
                                     raw_value if scan.raw else None))
        if not done:  # read ahead: a page that ends exactly at the end needs no further call
            scan.peeked = next(it, _NOTHING)
            done = scan.peeked is _NOTHING
        position = self.position()
        self.pages_served += 1
        if done:
            _close(it)
            return ScanPage(tuple(entries), None, self.task_id, stale, position)
        scan.used = self._clock()
        cursor = cursor or f"{self.task_id}:{uuid.uuid4().hex}"
        with self._scans_lock:
            self._scans[cursor] = scan
            while len(self._scans) > self._max_open:
                oldest = min(self._scans, key=lambda c: self._scans[c].used)
                _close(self._scans.pop(oldest).iterator)
        return ScanPage(tuple(entries), cursor, self.task_id, stale, position)

    def close_cursor(self, cursor: str) -> None:
        """Close a scan before its end (idempotent)."""
        with self._scans_lock:
            scan = self._scans.pop(cursor, None)
        if scan is not None:
            _close(scan.iterator)

    def open_cursors(self) -> int:
        return len(self._scans)

    def close(self) -> None:
        """Close every open scan (the task is closing)."""
        with self._scans_lock:
            scans, self._scans = list(self._scans.values()), {}
        for scan in scans:
            _close(scan.iterator)

    def _expire(self) -> None:
        now = self._clock()
        with self._scans_lock:
            old = [c for c, s in self._scans.items() if now - s.used > self._idle_s]
            scans = [self._scans.pop(c) for c in old]
        for scan in scans:
            _close(scan.iterator)


def _close(it: Any) -> None:
    with contextlib.suppress(Exception):
        close = getattr(it, "close", None)
        if close is not None:
            close()


def _raw(store: Any, key: Any, value: Any) -> tuple[bytes | None, bytes | None]:
    """``key`` and ``value`` as the store's serdes write them (None where not applicable)."""
    ser_key = getattr(store, "serialize_key", None)
    if ser_key is None:
        return None, None
    plain_key = key.key if isinstance(key, Windowed) else key
    raw_key = None if isinstance(plain_key, int) and not isinstance(key, Windowed) \
        and store.store_kind == "window" else ser_key(plain_key)
    if type(value).__name__ == "VersionedRecord":
        value = value.value
    return raw_key, (None if value is None else store.serialize_value(value))


def _sort_key(key: Any, raw_key: bytes | None) -> Any:
    if isinstance(key, Windowed):
        return (key.window.start, raw_key or b"")
    if raw_key is None:  # a window fetch of one key: KeyValue(window start, value)
        return (key, b"")
    return raw_key
