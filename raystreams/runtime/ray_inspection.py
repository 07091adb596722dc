"""The live ``InspectionSource``: the inspector's reads of raystreams apps on a Ray cluster.

Every app lists itself in Ray's GCS key-value store while its supervisor lives
(``supervisor.app_registry_key``); ``list_apps`` reads that list and asks each supervisor for
its snapshot, ``snapshot`` asks one. A supervisor answers from what its monitor already holds,
so a page view costs one call per app and no task is called (decision 11). Every call runs
against a deadline: a supervisor that does not answer in time is named in the answer (or the
error) instead of hanging the page, and a task that stopped answering its supervisor shows as
such in the snapshot (``partial``/``problems``).

State queries go through the one interactive-query path: a ``TaskRouter`` connected to the
app's supervisor (its cached routing table: one call to the owning task per point query) under
the store type's composite store; scans are paged by the query path's cursors. A restoring
task answers too, marked stale.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from raystreams.errors import (
    InspectionException,
    NoClusterException,
    UnknownApplicationException,
)
from raystreams.runtime.inspection import (
    AppSnapshot,
    AppSummary,
    EntryPage,
    KeyLookup,
    ScanKind,
    StoreEntry,
    StoreInfo,
    StoreRoute,
    parse_key_text,
)
from raystreams.runtime.supervisor import APP_REGISTRY_PREFIX, first_line

log = logging.getLogger(__name__)

#: the namespace the inspector's own Ray driver joins (apps live in theirs)
INSPECTOR_NAMESPACE = "raystreams-inspector"
_KEY_STORES = ("key_value", "timestamped_key_value", "versioned")
#: the QueryableStoreTypes factory of each store type (timestamped ones: the timestamp shows)
_QUERY_TYPES = {"key_value": "key_value_store",
                "timestamped_key_value": "timestamped_key_value_store",
                "versioned": "versioned_key_value_store", "window": "window_store",
                "timestamped_window": "timestamped_window_store", "session": "session_store"}
_FAR_FUTURE_MS = 2**62


class RayInspectionSource:
    """Reads raystreams apps on the Ray cluster at ``address`` (``auto``: the local one).

    Joins the cluster on first use (so the inspector starts without one and says so on the
    page). Thread-safe: the Streamlit sessions of one server share it.
    """

    def __init__(self, address: str | None = "auto") -> None:
        self.address = address or "auto"
        self._ray: Any = None
        self._lock = threading.Lock()
        self._namespaces: dict[str, str] = {}  # app -> the Ray namespace it runs in
        self._routers: dict[str, Any] = {}  # app -> its TaskRouter (queries, cursors)

    # ------------------------------------------------------------------ connection

    def _connect(self) -> Any:
        with self._lock:
            if self._ray is not None:
                return self._ray
            import ray

            if not ray.is_initialized():
                os.environ.setdefault("RAY_AUTH_MODE", "disabled")
                try:
                    ray.init(address=self.address, namespace=INSPECTOR_NAMESPACE,
                             log_to_driver=False, logging_level=logging.WARNING)
                except Exception as exc:  # ConnectionError, or Ray's own when none answers
                    raise NoClusterException(self.address, first_line(exc)) from exc
            self._ray = ray
            return ray

    def _registered(self) -> list[tuple[str, str]]:
        """``(namespace, application_id)`` of every app listed in the GCS."""
        self._connect()
        from ray.experimental import internal_kv

        try:
            keys = internal_kv._internal_kv_list(APP_REGISTRY_PREFIX)
        except Exception as exc:
            raise NoClusterException(self.address, first_line(exc)) from exc
        apps = []
        for key in keys:
            rest = key.decode()[len(APP_REGISTRY_PREFIX):]
            namespace, _, app_id = rest.partition(":")
            if app_id:
                apps.append((namespace, app_id))
        return sorted(apps, key=lambda a: (a[1], a[0]))

    def _supervisor(self, app_id: str) -> Any:
        registered = self._registered()
        for namespace, name in registered:
            if name == app_id:
                with contextlib.suppress(ValueError):
                    handle = self._ray.get_actor(name, namespace=namespace)
                    self._namespaces[app_id] = namespace
                    return handle
        raise UnknownApplicationException(app_id, [name for _, name in registered])

    def _get(self, ref: Any, timeout: float, what: str) -> Any:
        ray = self._ray
        try:
            return ray.get(ref, timeout=max(0.001, timeout))
        except ray.exceptions.GetTimeoutError:
            with contextlib.suppress(Exception):
                ray.cancel(ref)
            raise InspectionException(f"{what} did not answer within {timeout:.1f} s") from None
        except ray.exceptions.RayActorError as exc:
            raise InspectionException(f"{what} is gone: {first_line(exc)}") from exc
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(getattr(exc, "cause", None), Exception) else exc
            raise InspectionException(f"{what}: {first_line(cause)}") from exc

    # ------------------------------------------------------------------ apps

    def list_apps(self, *, timeout: float) -> list[AppSummary]:
        deadline = time.monotonic() + timeout
        asked: list[tuple[str, str, Any]] = []
        for namespace, app_id in self._registered():
            try:
                handle = self._ray.get_actor(app_id, namespace=namespace)
            except ValueError:
                continue  # listed by a supervisor that is gone (its driver died): not running
            asked.append((namespace, app_id, handle.snapshot.remote()))
        if not asked:
            return []
        refs = [ref for _, _, ref in asked]
        ready, _ = self._ray.wait(refs, num_returns=len(refs),
                                  timeout=max(0.0, deadline - time.monotonic()))
        done = set(ready)
        apps = []
        for namespace, app_id, ref in asked:
            if ref not in done:
                with contextlib.suppress(Exception):
                    self._ray.cancel(ref)
                apps.append(AppSummary(app_id, "UNKNOWN", namespace=namespace,
                                       error=f"its supervisor did not answer within "
                                             f"{timeout:.1f} s"))
                continue
            try:
                summary = self._ray.get(ref, timeout=0).summary()
            except Exception as exc:
                apps.append(AppSummary(app_id, "UNKNOWN", namespace=namespace,
                                       error=first_line(exc)))
                continue
            apps.append(AppSummary(summary.application_id, summary.state, summary.tasks,
                                   summary.running_tasks, summary.failed_tasks,
                                   summary.records_per_s, summary.total_lag, namespace,
                                   summary.error))
        return apps

    def snapshot(self, app_id: str, *, timeout: float) -> AppSnapshot:
        deadline = time.monotonic() + timeout
        supervisor = self._supervisor(app_id)
        return self._get(supervisor.snapshot.remote(), deadline - time.monotonic(),
                         f"the supervisor of {app_id}")

    # ------------------------------------------------------------------ state

    def _store(self, snap: AppSnapshot, store: str) -> StoreInfo:
        try:
            return snap.topology.store(store)
        except KeyError:
            names = ", ".join(s.name for s in snap.topology.stores) or "none"
            raise InspectionException(f"app {snap.application_id} has no store {store!r} "
                                      f"(stores: {names})") from None

    def _router(self, app_id: str, timeout: float) -> Any:
        """The app's ``TaskRouter`` (the one query path's provider), made once per app."""
        with self._lock:
            router = self._routers.get(app_id)
        if router is None:
            from raystreams.runtime.query_router import TaskRouter

            supervisor = self._supervisor(app_id)
            router = self._answer(lambda: TaskRouter.connect(supervisor, timeout_s=timeout),
                                  f"the supervisor of {app_id}")
            with self._lock:
                self._routers[app_id] = router
        router.timeout_s = timeout
        return router

    def _composite(self, app_id: str, info: StoreInfo, timeout: float) -> Any:
        from raystreams.query.composite import composite_for
        from raystreams.state.readonly import QueryableStoreTypes

        qtype = getattr(QueryableStoreTypes, _QUERY_TYPES[info.store_type])()
        # stale_ok: a restoring task answers too, and the page marks its answer stale
        return composite_for(qtype, self._router(app_id, timeout), info.name, stale_ok=True)

    def _answer(self, call: Callable[[], Any], what: str) -> Any:
        """``call()``, its failures as the inspector's errors (a message, not a traceback)."""
        ray = self._connect()
        try:
            return call()
        except InspectionException:
            raise
        except ray.exceptions.GetTimeoutError:
            raise InspectionException(f"{what} did not answer in time") from None
        except Exception as exc:
            raise InspectionException(f"{what}: {first_line(exc)}") from exc

    def get_key(self, app_id: str, store: str, key: str, *, raw: bool = False,
                as_of_timestamp: int | None = None, timeout: float) -> KeyLookup:
        snap = self.snapshot(app_id, timeout=timeout)
        info = self._store(snap, store)
        if info.store_type not in _KEY_STORES:
            raise InspectionException(f"{store} is a {info.store_type} store: fetch it by key "
                                      f"and time")
        parsed = parse_key_text(key, info.key_serde)
        composite = self._composite(app_id, info, timeout)
        args = () if as_of_timestamp is None else (as_of_timestamp,)
        answer = self._answer(lambda: composite.lookup("get", parsed, *args, raw=raw),
                              f"the lookup of {key!r} in {store}")
        partition = composite.provider.partition_for_key(store, parsed)
        task = snap.task(f"{info.subtopology}_{partition}")
        route = StoreRoute(store, key, partition, task.task_id, task.location,
                           tuple(s.location for s in task.standbys if s.running))
        value, timestamp = _unwrap(answer.value)
        return KeyLookup(route, answer.value is not None, value, timestamp, answer.task_id,
                         answer.stale, answer.raw_key, answer.raw_value)

    def _page(self, app_id: str, info: StoreInfo, method: str, args: tuple[Any, ...], *,
              cursor: str | None, limit: int, raw: bool, timeout: float, key: Any = None,
              ) -> EntryPage:
        composite = self._composite(app_id, info, timeout)
        page = self._answer(lambda: composite.scan_page(method, *args, cursor=cursor, limit=limit,
                                                        raw=raw, key=key),
                            f"the {method} of {info.name}")
        entries = tuple(_entry(e, key if method == "fetch" else None) for e in page.entries)
        return EntryPage(entries, page.cursor, page.stale_tasks)

    def scan(self, app_id: str, store: str, *, kind: ScanKind = "all", start: str | None = None,
             end: str | None = None, prefix: str | None = None, cursor: str | None = None,
             limit: int = 100, raw: bool = False, timeout: float) -> EntryPage:
        snap = self.snapshot(app_id, timeout=timeout)
        info = self._store(snap, store)
        parse = lambda text: None if text in (None, "") else parse_key_text(text, info.key_serde)  # noqa: E731
        method, args = "all", ()
        if info.store_type in _KEY_STORES and kind == "range":
            method, args = "range", (parse(start), parse(end))
        elif info.store_type in _KEY_STORES and kind == "prefix":
            if (info.key_serde or "String") != "String":
                raise InspectionException(f"prefix scans need String keys; {store}'s are "
                                          f"{info.key_serde}")
            from raystreams.serde import Serdes

            method, args = "prefix_scan", (prefix or "", Serdes.String())
        return self._page(app_id, info, method, args, cursor=cursor, limit=limit, raw=raw,
                          timeout=timeout)

    def fetch_window(self, app_id: str, store: str, key: str, time_from: int, time_to: int, *,
                     cursor: str | None = None, limit: int = 100, raw: bool = False,
                     timeout: float) -> EntryPage:
        snap = self.snapshot(app_id, timeout=timeout)
        info = self._store(snap, store)
        parsed = parse_key_text(key, info.key_serde)
        return self._page(app_id, info, "fetch", (parsed, time_from, time_to), cursor=cursor,
                          limit=limit, raw=raw, timeout=timeout, key=parsed)

    def fetch_session(self, app_id: str, store: str, key: str, *,
                      earliest_session_end: int = 0, latest_session_start: int | None = None,
                      cursor: str | None = None, limit: int = 100, raw: bool = False,
                      timeout: float) -> EntryPage:
        snap = self.snapshot(app_id, timeout=timeout)
        info = self._store(snap, store)
        parsed = parse_key_text(key, info.key_serde)
        latest = _FAR_FUTURE_MS if latest_session_start is None else latest_session_start
        return self._page(app_id, info, "find_sessions", (parsed, earliest_session_end, latest),
                          cursor=cursor, limit=limit, raw=raw, timeout=timeout, key=parsed)


def _unwrap(value: Any) -> tuple[Any, int | None]:
    """A stored value and its timestamp, out of ``ValueAndTimestamp``/``VersionedRecord``."""
    if value is None:
        return None, None
    if type(value).__name__ in ("ValueAndTimestamp", "VersionedRecord"):
        return value.value, value.timestamp
    return value, None


def _entry(entry: Any, fetched_key: Any = None) -> StoreEntry:
    """The model's entry from the query path's: a ``Windowed`` key gives the window; a window
    fetch of one key (``fetched_key``) gives each window's start as the key."""
    key = entry.key
    value, timestamp = _unwrap(entry.value)
    start = end = None
    if hasattr(key, "window") and hasattr(key, "key"):
        start, end, key = key.window.start, key.window.end, key.key
    elif fetched_key is not None:
        start, key = key, fetched_key
    return StoreEntry(key, value, entry.task_id, timestamp, start, end, entry.stale,
                      entry.raw_key, entry.raw_value)
