"""Routes interactive queries to the task actors that own the partitions (the runtime's
``StoreProvider``; Kafka's ``StreamsMetadataState`` + ``WrappingStoreProvider``).

The supervisor's ``routing()`` table (partition → task → actor handle and node, standbys) is
fetched once and cached: a point query is one call to one task actor, never a call to every
task nor a status call. The table is fetched again when a call finds its actor gone (the task
restarted or moved: the old actor is killed) or the task not launched, and the call is retried
once on the new actor. A scan's later pages go to the actor that holds its cursor: if that
actor is gone the scan fails with ``QueryCursorExpiredException`` rather than silently restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from raystreams.errors import (
    InvalidStateStorePartitionException,
    QueryCursorExpiredException,
    StateStoreMigratedException,
    StateStoreNotAvailableException,
    UnknownStateStoreException,
)
from raystreams.kafka.partitioner import default_partition
from raystreams.query.metadata import HostInfo, KeyQueryMetadata, LagInfo, StreamsMetadata
from raystreams.query.server import ScanPage, TaskAnswer
from raystreams.runtime.placement import AppPlan
from raystreams.state.readonly import QueryableStoreType

__all__ = ["QUERY_TIMEOUT_S", "TaskRouter"]

#: how long one call to a task actor may take before the query fails
QUERY_TIMEOUT_S = 30.0


class TaskRouter:
    """The runtime's ``StoreProvider``: cached routing from the supervisor, one call per query.

    Args:
        plan: the app's tasks and each store's sub-topology and partition count.
        key_serde_of: the key serde of a store (murmur2 of its bytes picks the partition).
        fetch_routing: ``timeout -> dict``: the supervisor's ``routing()``.
        get: ``(object ref, timeout) -> value`` (``ray.get``).
        actor_errors: what ``get`` raises when the actor is gone (``RayActorError``).
        timeout_errors: what ``get`` raises on a timeout (``GetTimeoutError``).
    """

    def __init__(self, plan: AppPlan, key_serde_of: Callable[[str], Any],
                 fetch_routing: Callable[[float], dict[str, Any]],
                 get: Callable[[Any, float], Any], *,
                 actor_errors: tuple[type[BaseException], ...] = (),
                 timeout_errors: tuple[type[BaseException], ...] = (TimeoutError,),
                 timeout_s: float = QUERY_TIMEOUT_S) -> None:
        self.plan = plan
        self._key_serde_of = key_serde_of
        self._fetch_routing = fetch_routing
        self._get = get
        self._actor_errors = actor_errors
        self._timeout_errors = timeout_errors
        self.timeout_s = timeout_s
        self._routing: dict[str, Any] | None = None
        self._lock = threading.Lock()
        #: how many times the routing table was fetched (tests and the inspector show it)
        self.refreshes = 0

    @classmethod
    def connect(cls, supervisor: Any, *, plan: AppPlan | None = None, topology: Any = None,
                config: Any = None, timeout_s: float = QUERY_TIMEOUT_S) -> TaskRouter:
        """A router over a running app's supervisor actor (``ray.get_actor(application_id,
        namespace=...)``); the plan, topology and config are asked of it unless given (the
        ``KafkaStreams`` that started the app has them)."""
        import ray

        if plan is None or topology is None or config is None:
            plan, topology, config = ray.get(supervisor.query_plan.remote(), timeout=timeout_s)

        def key_serde_of(store: str) -> Any:
            return (getattr(topology.stores[store].builder, "key_serde", None)
                    or config.default_key_serde())

        return cls(plan, key_serde_of,
                   lambda timeout: ray.get(supervisor.routing.remote(), timeout=timeout),
                   lambda ref, timeout: ray.get(ref, timeout=timeout),
                   actor_errors=(ray.exceptions.RayActorError,),
                   timeout_errors=(ray.exceptions.GetTimeoutError,), timeout_s=timeout_s)

    # ------------------------------------------------------------------ routing table

    def routing(self, refresh: bool = False) -> dict[str, Any]:
        """The cached routing table; fetched on first use and when ``refresh``."""
        with self._lock:
            if self._routing is None or refresh:
                self._routing = self._fetch_routing(self.timeout_s)
                self.refreshes += 1
            return self._routing

    def invalidate(self) -> None:
        with self._lock:
            self._routing = None

    def observe_version(self, version: int | None) -> None:
        """The supervisor reported its routing version (in ``status()``, which ``KafkaStreams``
        polls anyway): forget a cached table of another version, so the next query fetches
        the new one instead of first failing on a moved task's old actor."""
        with self._lock:
            if version is not None and self._routing is not None \
                    and self._routing.get("version") != version:
                self._routing = None

    def _store(self, store_name: str) -> tuple[int, int]:
        if store_name not in self.plan.store_subtopology:
            known = sorted(self.plan.store_subtopology)
            raise UnknownStateStoreException(
                f"Cannot get state store {store_name} because no such store is registered in "
                f"the topology (stores: {', '.join(known) or 'none'})")
        return self.plan.store_subtopology[store_name], self.plan.store_partitions[store_name]

    def partitions(self, store_name: str) -> list[int]:
        return list(range(self._store(store_name)[1]))

    def partition_for_key(self, store_name: str, key: Any, key_serde: Any = None) -> int:
        """murmur2 of the key's bytes (the store's key serde, or ``key_serde``), as the
        producer placed it (decision 5)."""
        _, n = self._store(store_name)
        serde = key_serde or self._key_serde_of(store_name)
        return default_partition(serde.serialize(None, key), n)

    def task_id(self, store_name: str, partition: int) -> str:
        sub, n = self._store(store_name)
        if not 0 <= partition < n:
            raise InvalidStateStorePartitionException(
                f"store {store_name} has no partition {partition} (it has {n})")
        return f"{sub}_{partition}"

    # ------------------------------------------------------------------ calls

    def _invoke(self, task_id: str, method: str, *args: Any, retry: bool = True) -> Any:
        """``method(*args)`` on the task's actor; on a gone actor, refresh the table and retry once."""
        for attempt in range(2 if retry else 1):
            entry = self.routing(refresh=attempt > 0)["tasks"].get(task_id) or {}
            handle = entry.get("handle")
            if handle is None:
                if attempt == 0 and retry:
                    continue
                raise StateStoreNotAvailableException(
                    f"task {task_id} is not running (state {entry.get('state')}): it is being "
                    f"restarted or moved; retry")
            try:
                return self._get(getattr(handle, method).remote(*args), self.timeout_s)
            except self._timeout_errors as exc:
                raise StateStoreNotAvailableException(
                    f"task {task_id} did not answer within {self.timeout_s:.0f} s; retry") from exc
            except self._actor_errors as exc:
                if attempt == 0 and retry:
                    continue
                raise StateStoreMigratedException(
                    f"task {task_id} (actor {entry.get('actor_name')}) is gone: it restarted or "
                    f"moved while being asked; retry") from exc
        raise AssertionError("unreachable")

    def call(self, store_name: str, partition: int, qtype: QueryableStoreType, method: str,
             args: tuple[Any, ...], *, stale_ok: bool, raw: bool = False) -> TaskAnswer:
        return self._invoke(self.task_id(store_name, partition), "query_call", store_name, qtype,
                            method, tuple(args), stale_ok, raw)

    def page(self, store_name: str, partition: int, qtype: QueryableStoreType | None, method: str,
             args: tuple[Any, ...], *, cursor: str | None, limit: int, stale_ok: bool,
             raw: bool = False) -> ScanPage:
        task_id = self.task_id(store_name, partition)
        if cursor is None:
            return self._invoke(task_id, "query_page", store_name, qtype, method, tuple(args),
                                None, limit, stale_ok, raw)
        try:
            return self._invoke(task_id, "query_page", store_name, None, "", (), cursor, limit,
                                stale_ok, raw, retry=False)
        except StateStoreMigratedException as exc:
            self.invalidate()
            raise QueryCursorExpiredException(
                f"task {task_id} restarted during the scan: its cursor is gone; start the "
                f"scan again") from exc

    def close_cursor(self, store_name: str, partition: int, cursor: str) -> None:
        self._invoke(self.task_id(store_name, partition), "query_close", cursor, retry=False)

    # ------------------------------------------------------------------ metadata

    def _host(self, task_id: str, entry: dict[str, Any]) -> HostInfo:
        return HostInfo(task_id, entry.get("actor_name"), entry.get("node_id"),
                        incarnation=max(0, int(entry.get("incarnation") or 0)))

    def _standby_hosts(self, task_id: str, routing: dict[str, Any]) -> tuple[HostInfo, ...]:
        return tuple(HostInfo(task_id, s.get("actor_name"), s.get("node_id"), standby=True,
                              replica=s.get("replica", 0),
                              incarnation=max(0, int(s.get("incarnation") or 0)))
                     for s in routing.get("standbys", {}).get(task_id, ()) if s.get("running"))

    def key_query_metadata(self, store_name: str, key: Any,
                           key_serde: Any = None) -> KeyQueryMetadata:
        partition = self.partition_for_key(store_name, key, key_serde)
        task_id = self.task_id(store_name, partition)
        routing = self.routing()
        entry = routing["tasks"].get(task_id) or {}
        return KeyQueryMetadata(self._host(task_id, entry), self._standby_hosts(task_id, routing),
                                partition, store_name)

    def streams_metadata(self) -> list[StreamsMetadata]:
        """One entry per task actor and standby actor: the stores and partitions it hosts."""
        routing = self.routing()
        stores_of: dict[int, set[str]] = {}
        for store, sub in self.plan.store_subtopology.items():
            stores_of.setdefault(sub, set()).add(store)
        out = []
        for spec in self.plan.tasks:
            entry = routing["tasks"].get(spec.task_id) or {}
            stores = frozenset(stores_of.get(spec.subtopology, ()))
            partitions = frozenset(spec.consumer_partitions)
            out.append(StreamsMetadata(self._host(spec.task_id, entry), stores, partitions))
            logged = frozenset(store for store, _ in spec.changelogs) & stores
            for host in self._standby_hosts(spec.task_id, routing):
                out.append(StreamsMetadata(host, standby_state_store_names=logged,
                                           standby_topic_partitions=partitions))
        return out

    def store_lags(self) -> dict[str, dict[int, LagInfo]]:
        """Each store partition's lag behind its changelog, asked of every task (Kafka's
        ``allLocalStorePartitionLags``; as there, not for a tight loop)."""
        routing = self.routing()
        refs = {}
        for spec in self.plan.tasks:
            handle = (routing["tasks"].get(spec.task_id) or {}).get("handle")
            if handle is not None and spec.changelogs:
                refs[spec.task_id] = (spec, handle.store_lags.remote())
        out: dict[str, dict[int, LagInfo]] = {}
        for spec, ref in refs.values():
            try:
                progress = self._get(ref, self.timeout_s)
            except Exception:  # noqa: BLE001 - a task that does not answer has no lag to show
                continue
            for store, topic in spec.changelogs:
                position, end = progress.get((topic, spec.partition), (None, None))
                if end is None:
                    continue
                out.setdefault(store, {})[spec.partition] = LagInfo(position, end,
                                                                     max(0, end - position))
        return out
