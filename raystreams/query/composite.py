"""Read-only views of a store across all its partitions (Kafka's ``CompositeReadOnlyKeyValueStore``,
``CompositeReadOnlyWindowStore`` and ``CompositeReadOnlySessionStore``).

A composite store asks a ``StoreProvider`` (Kafka's ``StateStoreProvider``): point queries go to
the one partition that owns the key (murmur2 of the serialized key, decision 5); scans open a
paged scan on every partition and merge the pages lazily in the store's own key order, so a
scan of a large store is never held whole by the caller. The ``TopologyTestDriver`` and
``KafkaStreams`` give the composite stores their own provider; the stores are the same.
"""

from __future__ import annotations

import contextlib
import heapq
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from raystreams.errors import (
    InvalidStateStoreException,
    InvalidStateStorePartitionException,
    QueryCursorExpiredException,
    StateStoreMigratedException,
    StateStoreNotAvailableException,
    UnknownQueryTypeException,
)
from raystreams.query.parameters import StoreQueryParameters
from raystreams.query.results import FailureReason, QueryResult, StateQueryResult
from raystreams.query.server import DEFAULT_PAGE_SIZE, ScanEntry, ScanPage, TaskAnswer
from raystreams.state.readonly import QueryableStoreType
from raystreams.state.types import KeyValue, KeyValueIterator

__all__ = [
    "CompositeReadOnlyKeyValueStore", "CompositeReadOnlySessionStore",
    "CompositeReadOnlyVersionedStore", "CompositeReadOnlyWindowStore", "StoreEntry", "StorePage",
    "StoreProvider", "composite_for", "run_state_query",
]


class StoreProvider(Protocol):
    """Where a composite store's partitions are answered (Kafka's ``StateStoreProvider``)."""

    def partitions(self, store_name: str) -> list[int]:
        """The store's partitions; raises ``UnknownStateStoreException`` for an unknown store."""
        ...

    def partition_for_key(self, store_name: str, key: Any) -> int:
        ...

    def call(self, store_name: str, partition: int, qtype: QueryableStoreType, method: str,
             args: tuple[Any, ...], *, stale_ok: bool, raw: bool = False) -> TaskAnswer:
        ...

    def page(self, store_name: str, partition: int, qtype: QueryableStoreType | None, method: str,
             args: tuple[Any, ...], *, cursor: str | None, limit: int, stale_ok: bool,
             raw: bool = False) -> ScanPage:
        ...

    def close_cursor(self, store_name: str, partition: int, cursor: str) -> None:
        ...


@dataclass(frozen=True)
class StoreEntry:
    """One entry of a scan page, with the task that answered it (raw bytes when asked for)."""

    key: Any
    value: Any
    task_id: str
    partition: int
    stale: bool = False
    raw_key: bytes | None = None
    raw_value: bytes | None = None


@dataclass(frozen=True)
class StorePage:
    """One page of a merged scan; pass ``cursor`` back for the next (None: the last page)."""

    entries: tuple[StoreEntry, ...]
    cursor: str | None
    stale_tasks: tuple[str, ...] = ()


class _PartitionScan:
    """One partition's scan, pulled a page at a time."""

    def __init__(self, provider: StoreProvider, store: str, partition: int,
                 qtype: QueryableStoreType, method: str, args: tuple[Any, ...], *,
                 limit: int, stale_ok: bool, raw: bool) -> None:
        self.provider, self.store, self.partition = provider, store, partition
        self.qtype, self.method, self.args = qtype, method, args
        self.limit, self.stale_ok, self.raw = limit, stale_ok, raw
        self.cursor: str | None = None
        self.first: ScanPage | None = None
        self.done = False

    def open(self) -> ScanPage:
        """Read the first page now (so failures show before anything is yielded)."""
        self.first = self._fetch(None)
        return self.first

    def _fetch(self, cursor: str | None) -> ScanPage:
        page = self.provider.page(self.store, self.partition, self.qtype if cursor is None else None,
                                  self.method, self.args, cursor=cursor, limit=self.limit,
                                  stale_ok=self.stale_ok, raw=self.raw)
        self.cursor = page.cursor
        self.done = page.cursor is None
        return page

    def __iter__(self) -> Iterator[tuple[ScanEntry, ScanPage, int]]:
        page = self.first if self.first is not None else self._fetch(None)
        self.first = None
        while True:
            for entry in page.entries:
                yield entry, page, self.partition
            if page.cursor is None:
                return
            page = self._fetch(page.cursor)

    def close(self) -> None:
        if self.cursor is not None and not self.done:
            # the task may be gone, and its cursor with it
            with contextlib.suppress(Exception):
                self.provider.close_cursor(self.store, self.partition, self.cursor)
            self.done = True


def _merged(scans: list[_PartitionScan], reverse: bool) -> Iterator[tuple[ScanEntry, ScanPage, int]]:
    if len(scans) == 1:
        return iter(scans[0])
    return heapq.merge(*scans, key=lambda item: item[0].sort_key, reverse=reverse)


class _Composite:
    """What the composite stores share: the provider, routing and paged, merged scans."""

    def __init__(self, qtype: QueryableStoreType, provider: StoreProvider, store_name: str, *,
                 partition: int | None = None, stale_ok: bool = False,
                 page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.query_type = qtype
        self.provider = provider
        self.name = store_name
        self.partition = partition
        self.stale_ok = stale_ok
        self.page_size = page_size
        known = provider.partitions(store_name)
        if partition is not None and partition not in known:
            raise InvalidStateStorePartitionException(
                f"store {store_name} has no partition {partition} (partitions "
                f"{min(known)}..{max(known)})")

    def _route(self, key: Any) -> int:
        if key is None:
            raise InvalidStateStoreException("the key of an interactive query cannot be None")
        if self.partition is not None:
            return self.partition
        return self.provider.partition_for_key(self.name, key)

    def _point(self, method: str, key: Any, *args: Any) -> Any:
        return self.lookup(method, key, *args).value

    def lookup(self, method: str, key: Any, *args: Any, raw: bool = False) -> TaskAnswer:
        """A point query with the answer's metadata: the task, stale or not, raw bytes."""
        return self.provider.call(self.name, self._route(key), self.query_type, method,
                                  (key, *args), stale_ok=self.stale_ok, raw=raw)

    def _partitions(self) -> list[int]:
        return [self.partition] if self.partition is not None else self.provider.partitions(self.name)

    def _scans(self, method: str, args: tuple[Any, ...], partitions: list[int], *,
               limit: int | None = None, raw: bool = False) -> list[_PartitionScan]:
        return [_PartitionScan(self.provider, self.name, p, self.query_type, method, args,
                               limit=limit or self.page_size, stale_ok=self.stale_ok, raw=raw)
                for p in partitions]

    def _scan(self, method: str, *args: Any, key: Any = None, reverse: bool = False) -> KeyValueIterator:
        """A lazy, merged iterator of ``method(*args)`` (one partition if ``key`` routes it)."""
        partitions = [self._route(key)] if key is not None else self._partitions()
        scans = self._scans(method, args, partitions)
        for scan in scans:  # fail now, not halfway through iterating
            scan.open()
        merged = _merged(scans, reverse)

        def close() -> None:
            for scan in scans:
                scan.close()

        return KeyValueIterator((KeyValue(e.key, e.value) for e, _, _ in merged), on_close=close)

    def scan_page(self, method: str, *args: Any, cursor: str | None = None,
                  limit: int = 100, raw: bool = False, key: Any = None) -> StorePage:
        """One page of a merged scan, for callers that page by hand (the inspector).

        The merge waits between pages under ``cursor`` in the provider's ``open_scans``.
        """
        registry: _OpenScans = _open_scans(self.provider)
        if cursor is None:
            self.query_type.check_method(method)
            partitions = [self._route(key)] if key is not None else self._partitions()
            scans = self._scans(method, args, partitions, limit=limit, raw=raw)
            for scan in scans:
                scan.open()
            reverse = method.startswith(("reverse", "backward"))
            merged = registry.add(scans, _merged(scans, reverse))
            cursor = merged.token
        else:
            merged = registry.take(cursor)
        entries = []
        stale = set()
        for _ in range(limit):
            item = next(merged.iterator, None)
            if item is None:
                merged.close()
                return StorePage(tuple(entries), None, tuple(sorted(stale)))
            entry, page, partition = item
            if page.stale:
                stale.add(page.task_id)
            entries.append(StoreEntry(entry.key, entry.value, page.task_id, partition, page.stale,
                                      entry.raw_key, entry.raw_value))
        peek = next(merged.iterator, None)
        if peek is None:
            merged.close()
            return StorePage(tuple(entries), None, tuple(sorted(stale)))
        merged.push_back(peek)
        registry.put(merged)
        return StorePage(tuple(entries), cursor, tuple(sorted(stale)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {self.query_type!r})"


class _MergedScan:
    def __init__(self, token: str, scans: list[_PartitionScan], iterator: Iterator[Any]) -> None:
        self.token, self.scans, self._it = token, scans, iterator
        self.used = time.monotonic()
        self._back: list[Any] = []

    @property
    def iterator(self) -> Iterator[Any]:
        return self

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        if self._back:
            return self._back.pop()
        return next(self._it)

    def push_back(self, item: Any) -> None:
        self._back.append(item)

    def close(self) -> None:
        for scan in self.scans:
            scan.close()


class _OpenScans:
    """The merged scans a caller pages through by hand, kept between pages (idle ones expire)."""

    IDLE_S = 60.0

    def __init__(self) -> None:
        self._scans: dict[str, _MergedScan] = {}
        self._lock = threading.Lock()

    def add(self, scans: list[_PartitionScan], iterator: Iterator[Any]) -> _MergedScan:
        self._expire()
        return _MergedScan(uuid.uuid4().hex, scans, iterator)

    def take(self, token: str) -> _MergedScan:
        self._expire()
        with self._lock:
            merged = self._scans.pop(token, None)
        if merged is None:
            raise QueryCursorExpiredException(f"scan cursor {token} is unknown (expired after "
                                              f"{self.IDLE_S:.0f} s idle): start the scan again")
        return merged

    def put(self, merged: _MergedScan) -> None:
        merged.used = time.monotonic()
        with self._lock:
            self._scans[merged.token] = merged

    def _expire(self) -> None:
        now = time.monotonic()
        with self._lock:
            old = [t for t, m in self._scans.items() if now - m.used > self.IDLE_S]
            gone = [self._scans.pop(t) for t in old]
        for merged in gone:
            merged.close()


_REGISTRY_LOCK = threading.Lock()


def _open_scans(provider: Any) -> _OpenScans:
    with _REGISTRY_LOCK:
        registry = getattr(provider, "open_scans", None)
        if registry is None:
            registry = provider.open_scans = _OpenScans()
        return registry


class CompositeReadOnlyKeyValueStore(_Composite):
    """A key-value store across its partitions (``ReadOnlyKeyValueStore``)."""

    def get(self, key: Any) -> Any:
        return self._point("get", key)

    def range(self, key_from: Any = None, key_to: Any = None) -> KeyValueIterator:
        return self._scan("range", key_from, key_to)

    def reverse_range(self, key_from: Any = None, key_to: Any = None) -> KeyValueIterator:
        return self._scan("reverse_range", key_from, key_to, reverse=True)

    def all(self) -> KeyValueIterator:
        return self._scan("all")

    def reverse_all(self) -> KeyValueIterator:
        return self._scan("reverse_all", reverse=True)

    def prefix_scan(self, prefix: Any, prefix_key_serde: Any) -> KeyValueIterator:
        return self._scan("prefix_scan", prefix, prefix_key_serde)

    def approximate_num_entries(self) -> int:
        return sum(self.provider.call(self.name, p, self.query_type, "approximate_num_entries", (),
                                      stale_ok=self.stale_ok).value for p in self._partitions())


class CompositeReadOnlyVersionedStore(_Composite):
    """A versioned key-value store across its partitions (IQv1 has no versioned type in
    Kafka; this is ``VersionedKeyValueStore.get`` read-only)."""

    def get(self, key: Any, as_of_timestamp: int | None = None) -> Any:
        return self._point("get", key, as_of_timestamp)


class CompositeReadOnlyWindowStore(_Composite):
    """A window store across its partitions (``ReadOnlyWindowStore``).

    ``fetch(key, time)`` is one value; ``fetch(key, time_from, time_to)`` the key's windows
    (``KeyValue(window start, value)``), from the key's partition;
    ``fetch(key_from, key_to, time_from, time_to)`` windows of a key range, from every partition.
    """

    def fetch(self, key: Any, *args: Any) -> Any:
        if len(args) == 1:
            return self._point("fetch", key, *args)
        if len(args) == 2:
            return self._scan("fetch", key, *args, key=key)
        return self._scan("fetch", key, *args)

    def backward_fetch(self, key: Any, *args: Any) -> KeyValueIterator:
        if len(args) == 2:
            return self._scan("backward_fetch", key, *args, key=key, reverse=True)
        return self._scan("backward_fetch", key, *args, reverse=True)

    def fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator:
        return self._scan("fetch_all", time_from, time_to)

    def backward_fetch_all(self, time_from: Any, time_to: Any) -> KeyValueIterator:
        return self._scan("backward_fetch_all", time_from, time_to, reverse=True)

    def all(self) -> KeyValueIterator:
        return self._scan("all")

    def backward_all(self) -> KeyValueIterator:
        return self._scan("backward_all", reverse=True)


class CompositeReadOnlySessionStore(_Composite):
    """A session store across its partitions (``ReadOnlySessionStore``)."""

    def fetch(self, key: Any, key_to: Any = None) -> KeyValueIterator:
        if key_to is None:
            return self._scan("fetch", key, key=key)
        return self._scan("fetch", key, key_to)

    def backward_fetch(self, key: Any, key_to: Any = None) -> KeyValueIterator:
        if key_to is None:
            return self._scan("backward_fetch", key, key=key, reverse=True)
        return self._scan("backward_fetch", key, key_to, reverse=True)

    def find_sessions(self, *args: Any) -> KeyValueIterator:
        """``find_sessions(key, earliest_session_end, latest_session_start)`` or with a key range
        ``(key_from, key_to, earliest_session_end, latest_session_start)``."""
        if len(args) == 3:
            return self._scan("find_sessions", *args, key=args[0])
        return self._scan("find_sessions", *args)

    def backward_find_sessions(self, *args: Any) -> KeyValueIterator:
        if len(args) == 3:
            return self._scan("backward_find_sessions", *args, key=args[0], reverse=True)
        return self._scan("backward_find_sessions", *args, reverse=True)

    def fetch_session(self, key: Any, session_start_time: Any, session_end_time: Any) -> Any:
        return self._point("fetch_session", key, session_start_time, session_end_time)


_COMPOSITES = {"key_value": CompositeReadOnlyKeyValueStore, "window": CompositeReadOnlyWindowStore,
               "session": CompositeReadOnlySessionStore, "versioned": CompositeReadOnlyVersionedStore}


def composite_for(qtype: QueryableStoreType, provider: StoreProvider, store_name: str,
                  **options: Any) -> _Composite:
    """The composite store ``qtype`` reads ``store_name`` with (Kafka's ``QueryableStoreType.create``)."""
    return _COMPOSITES[qtype.kind](qtype, provider, store_name, **options)


def store_for(provider: StoreProvider, params: StoreQueryParameters) -> _Composite:
    """The read-only store ``KafkaStreams.store(params)`` returns: ``params``' query type over
    the partitions ``provider`` reaches (one with ``with_partition``; restoring ones with
    ``enable_stale_stores``)."""
    return composite_for(params.query_type, provider, params.store_name,
                         partition=params.partition, stale_ok=params.stale_stores_enabled)


# --------------------------------------------------------------------------- IQv2


def _failure(exc: BaseException, active_only: bool) -> tuple[FailureReason, str]:
    if isinstance(exc, UnknownQueryTypeException):
        return FailureReason.UNKNOWN_QUERY_TYPE, str(exc)
    if isinstance(exc, StateStoreNotAvailableException):
        reason = FailureReason.NOT_ACTIVE if active_only else FailureReason.NOT_PRESENT
        return reason, str(exc)
    if isinstance(exc, (StateStoreMigratedException, InvalidStateStoreException, TimeoutError)):
        return FailureReason.NOT_PRESENT, str(exc)
    return FailureReason.STORE_EXCEPTION, f"{type(exc).__name__}: {exc}"


def run_state_query(provider: StoreProvider, request: Any, *,
                    page_size: int = DEFAULT_PAGE_SIZE) -> StateQueryResult:
    """Answer an IQv2 ``StateQueryRequest`` through ``provider`` (Kafka's ``KafkaStreams.query``).

    A query of one key (``KeyQuery``, ``WindowKeyQuery``, ...) without ``with_partitions`` goes
    to the key's partition only (the others cannot hold it; Kafka asks them all and they answer
    nothing); scans answer a lazy iterator per partition, read in pages.
    """
    query = request.query
    known = provider.partitions(request.store_name)
    if request.partitions is not None:
        partitions = sorted(request.partitions)
    elif query.routing_key is not None:
        partitions = [provider.partition_for_key(request.store_name, query.routing_key)]
    else:
        partitions = known
    qtype = query.store_type()
    method, args = query.call()
    stale_ok = not request.active_only
    result = StateQueryResult()
    for partition in partitions:
        if partition not in known:
            result.add_result(partition, QueryResult.for_failure(
                FailureReason.DOES_NOT_EXIST,
                f"store {request.store_name} has no partition {partition}"))
            continue
        started = time.monotonic()
        try:
            if query.is_scan:
                scan = _PartitionScan(provider, request.store_name, partition, qtype, method, args,
                                      limit=page_size, stale_ok=stale_ok, raw=False)
                first = scan.open()
                value: Any = KeyValueIterator((KeyValue(e.key, e.value) for e, _, _ in scan),
                                              on_close=scan.close)
                task_id, stale, position = first.task_id, first.stale, first.position
            else:
                answer = provider.call(request.store_name, partition, qtype, method, args,
                                       stale_ok=stale_ok)
                value, task_id, stale, position = (answer.value, answer.task_id, answer.stale,
                                                   answer.position)
        except Exception as exc:
            reason, message = _failure(exc, request.active_only)
            result.add_result(partition, QueryResult.for_failure(reason, message))
            continue
        info = ((f"Handled in task {task_id} for partition {partition} in "
                 f"{(time.monotonic() - started) * 1e6:.0f} us",) if request.execution_info else ())
        result.add_result(partition, QueryResult.for_result(
            value, position=position, task_id=task_id, stale=stale, execution_info=info))
    return result
