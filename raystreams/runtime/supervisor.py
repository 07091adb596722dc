"""The Supervisor: one named Ray actor per application that runs its task actors.

Guarantees (what survives what; every public method is idempotent):

- **Task crash** (an exception in the task, ``ray.kill``, SIGKILL, node loss): the task's
  ``watch()`` call fails or returns an error; the supervisor starts a replacement actor
  (another incarnation, anywhere in the cluster) after a backoff of
  ``0.1 s * 2^(n-1)`` (capped at 5 s). The replacement restores its stores from the
  changelogs and resumes from the offsets committed under ``application.id``, so under
  at_least_once nothing is lost (records after the last commit are processed again) and
  under exactly_once_v2 its transactional producer fences the old one and aborts the open
  transaction, so nothing is duplicated either. More than ``task.max.restarts`` restarts
  of one task within ``task.restart.window.ms`` mark the task FAILED and the application
  ERROR with the cause; the other tasks are then stopped.
- **Supervisor crash**: task actors are detached and keep processing; Ray restarts the
  supervisor (``max_restarts=-1``), and the new one finds the task actors by name
  (``<application.id>.task.<task_id>.<incarnation>``) and watches them again. Restart
  counts live in Ray's GCS key-value store, so the new supervisor keeps enforcing
  ``task.max.restarts`` over the restarts the old one saw; a new start of the app begins at 0.
- **Nodes join**: when the set of alive Ray nodes changes, tasks are spread evenly
  (``placement.spread``): a moved task is stopped cleanly (commit, checkpoint, close), its
  state directory is shipped through Ray's object store (``state_shipping``, chunks of at most
  ``state.shipping.chunk.max.bytes``) and its replacement starts on the new node from it,
  restoring only the changelog tail (from the whole changelog when shipping fails). Moves run
  on a pool of ``MAX_CONCURRENT_MOVES`` threads, outside the supervisor's lock, so they never
  hold up failure handling; a task that dies during its move is started on the target from
  the changelog. Each move is an event (``moved``: cause, bytes shipped, duration).
- **Drain**: ``drain(node_id)`` moves the node's tasks off it the same way and places
  nothing there again (this supervisor's lifetime).
- **Standby replicas** (``num.standby.replicas`` N > 0): every task with changelogged stores
  gets N standby actors (``standby.StandbyRunner``), each placed on a node without the active
  task or another replica of it where the cluster has one. When the active task dies, a live
  standby is promoted: it hands its state directory over on its node and the replacement
  starts there, restoring only the changelog tail it had not applied. A standby that dies is
  started again; standbys never fail the application.
- **Stop**: ``stop()`` stops every task cleanly (commit, checkpoint) and kills the actors.
- **Inspection**: the monitor polls every task's report (``TaskActor.report()``) about once a
  second without waiting on it, and keeps them in a ``SnapshotKeeper``; ``snapshot()``
  answers the inspector from there in one call, never calling a task. The app is listed in
  Ray's GCS key-value store (``app_registry_key``) while its supervisor lives, so the
  inspector finds every app on the cluster.

Plain class: ``ray.remote(Supervisor)`` is made in ``actor_options``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from raystreams.config import StreamsConfig
from raystreams.config.keys import (
    NUM_STANDBY_REPLICAS_CONFIG,
    STATE_SHIPPING_CHUNK_MAX_BYTES_CONFIG,
    TASK_MAX_RESTARTS_CONFIG,
    TASK_RESTART_WINDOW_MS_CONFIG,
)
from raystreams.runtime import actor_options as opts
from raystreams.runtime.app_snapshot import SnapshotKeeper, SupervisedTask
from raystreams.runtime.inspection import (
    AppSnapshot,
    ReplicaLocation,
    StandbyInfo,
    SubtopologyInfo,
    TopologyModel,
    _serde_name,
    config_summary,
)
from raystreams.runtime.placement import AppPlan, TaskSpec, spread
from raystreams.runtime.task_state import TaskState
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

MONITOR_INTERVAL_S = 0.1
NODE_CHECK_INTERVAL_S = 1.0
MAX_BACKOFF_S = 5.0
MAX_CONCURRENT_MOVES = 4
MOVE_STOP_TIMEOUT_S = 30.0
MOVE_RESTORE_TIMEOUT_S = 120.0
#: how often the monitor asks each task for its report, and how long it waits for one
REPORT_INTERVAL_S = 1.0
REPORT_TIMEOUT_S = 5.0
APP_REGISTRY_PREFIX = "raystreams:apps:"


def app_registry_key(namespace: str, application_id: str) -> bytes:
    """The GCS key-value entry that lists a running app (the inspector reads the prefix)."""
    return f"{APP_REGISTRY_PREFIX}{namespace}:{application_id}".encode()


@dataclass
class _Task:
    spec: TaskSpec
    handle: Any = None
    name: str | None = None
    actor_id: str | None = None
    incarnation: int = -1
    watch_ref: Any = None
    state_since: float = 0.0  # wall-clock time ``state`` last changed (set by __setattr__)
    state: TaskState = TaskState.PENDING
    node_id: str | None = None
    restarts: deque = field(default_factory=deque)  # wall-clock times of recent restarts
    total_restarts: int = 0
    restart_at: float = 0.0
    last_error: str | None = None
    moving: bool = False  # a planned move runs on the move pool
    report_ref: Any = None  # the pending ``metrics()`` poll
    report_sent: float = 0.0

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "state" and getattr(self, "state", None) != value:
            object.__setattr__(self, "state_since", time.time())
        object.__setattr__(self, name, value)


@dataclass
class _Standby:
    spec: TaskSpec
    replica: int
    handle: Any = None
    name: str | None = None
    incarnation: int = -1
    watch_ref: Any = None
    node_id: str | None = None
    restart_at: float = 0.0
    promotions: int = 0
    report_ref: Any = None  # the pending ``metrics()`` poll
    report_sent: float = 0.0
    lag: int | None = None  # changelog records not applied yet, from its last report
    pid: int | None = None


class Supervisor:
    """Starts, watches, restarts and places the task actors of one application.

    Args:
        topology: the app's topology (shipped to every task actor).
        config: the app's StreamsConfig, ``bootstrap.servers`` resolved.
        plan: the tasks (``placement.plan_app``).
    """

    def __init__(self, topology: Topology, config: StreamsConfig, plan: AppPlan,
                 log_level: int | None = None) -> None:
        if log_level is not None:
            logging.basicConfig(level=log_level,
                                format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        import ray

        self._ray = ray
        self.topology = topology
        self.config = StreamsConfig.of(config)
        self.plan = plan
        self.app = self.config.application_id
        self.log_level = log_level
        self.max_restarts = int(self.config[TASK_MAX_RESTARTS_CONFIG])
        self.window_s = self.config[TASK_RESTART_WINDOW_MS_CONFIG] / 1000.0
        self.tasks: dict[str, _Task] = {t.task_id: _Task(t) for t in plan.tasks}
        replicas = int(self.config.get(NUM_STANDBY_REPLICAS_CONFIG) or 0)
        self.standbys: dict[str, list[_Standby]] = {
            t.task_id: [_Standby(t, r) for r in range(replicas)]
            for t in plan.tasks if t.changelogs and replicas > 0}
        self.state = "CREATED"  # CREATED, RUNNING, ERROR, STOPPED
        self.error: str | None = None
        self.events: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._nodes: frozenset[str] = frozenset()
        self._last_node_check = 0.0
        #: moves on whenever a task or standby actor starts or is killed (see ``routing``)
        self._routing_version = 0
        self._moves: concurrent.futures.ThreadPoolExecutor | None = None
        self._drained: set[str] = set()  # nodes nothing is placed on again (drain())
        self.keeper = SnapshotKeeper(self.app, self._topology_model(),
                                     config_summary(self.config.originals()))
        self._register()
        self.reattached = self._reattach()
        with warnings.catch_warnings():  # Ray's property warns about its own internals
            warnings.simplefilter("ignore")
            restarted = ray.get_runtime_context().was_current_actor_reconstructed
        self._restore_restart_counts(keep=bool(self.reattached or restarted))
        if self.reattached or restarted:
            log.info("supervisor of %s restarted: reattached to %d task actors", self.app,
                     self.reattached)
            self.start()

    # ------------------------------------------------------------------ inspection

    def _topology_model(self) -> TopologyModel:
        try:
            serdes = (_serde_name(self.config.default_key_serde()),
                      _serde_name(self.config.default_value_serde()))
            return TopologyModel.from_topology(self.topology, self.app, self.plan.partitions,
                                               default_serdes=serdes)
        except Exception:  # the inspector's picture must never keep an app from running
            log.exception("no topology model for the inspector")
            subs = sorted({t.subtopology for t in self.plan.tasks})
            return TopologyModel(tuple(SubtopologyInfo(i, ()) for i in subs), (), (), (),
                                 str(self.topology.describe()))

    def _register(self) -> None:
        kv = self._kv()
        if kv is None:
            return
        entry = json.dumps({"application_id": self.app, "namespace": opts.namespace(self.config),
                            "since": time.time()})
        with contextlib.suppress(Exception):
            kv._internal_kv_put(app_registry_key(opts.namespace(self.config), self.app),
                                entry.encode(), overwrite=True)

    def _unregister(self) -> None:
        kv = self._kv()
        if kv is not None:
            with contextlib.suppress(Exception):
                kv._internal_kv_del(app_registry_key(opts.namespace(self.config), self.app))

    def _poll_reports(self) -> None:
        """Ask each task for its report about once a second; take the answers that came.

        Never waits: a task that does not answer within ``REPORT_TIMEOUT_S`` is noted as
        such (its last numbers stay, marked); its answer is still taken when it comes, and the
        task is asked again only then (a slow task is not sent a pile of requests).
        """
        ray = self._ray
        now = time.monotonic()
        with self._lock:
            live: list[_Task | _Standby] = [t for t in self.tasks.values()
                                            if t.handle is not None]
            live += [s for rs in self.standbys.values() for s in rs if s.handle is not None]
        pending = {t.report_ref: t for t in live if t.report_ref is not None}
        if pending:
            ready, _ = ray.wait(list(pending), num_returns=len(pending), timeout=0)
            for ref in ready:
                owner = pending[ref]
                owner.report_ref = None
                try:
                    self._take_report(owner, ray.get(ref, timeout=0))
                except Exception as exc:
                    if isinstance(owner, _Task):
                        self.keeper.missed(owner.spec.task_id, first_line(exc))
        for owner in live:
            if owner.report_ref is not None:
                if isinstance(owner, _Task) and now - owner.report_sent > REPORT_TIMEOUT_S:
                    self.keeper.missed(owner.spec.task_id,
                                       f"no answer for {now - owner.report_sent:.0f} s")
                continue
            if now - owner.report_sent >= REPORT_INTERVAL_S:
                owner.report_sent = now
                try:
                    owner.report_ref = owner.handle.report.remote()
                except Exception as exc:
                    if isinstance(owner, _Task):
                        self.keeper.missed(owner.spec.task_id, first_line(exc))

    def _take_report(self, owner: _Task | _Standby, report: dict[str, Any]) -> None:
        if isinstance(owner, _Task):
            self.keeper.report(owner.spec.task_id, report)
        else:  # a standby's: how far behind its changelogs it is
            owner.lag, owner.pid = report.get("total_lag"), report.get("pid")

    def snapshot(self) -> AppSnapshot:
        """The app for the inspector, from what the monitor already holds (no task calls)."""
        with self._lock:
            tasks = [self._supervised(t) for t in self.tasks.values()]
            events = list(self.events)
            state, error = self.state, self.error
        return self.keeper.snapshot(state, tasks, events, error=error)

    def _supervised(self, task: _Task) -> SupervisedTask:
        task_id = task.spec.task_id
        standbys = tuple(
            StandbyInfo(ReplicaLocation(task_id, s.node_id, _actor_id(s.handle), s.name, s.pid,
                                        standby=True, replica=s.replica),
                        s.handle is not None, s.lag, s.promotions)
            for s in self.standbys.get(task_id, ()))
        return SupervisedTask(task_id, task.state, task.state_since, task.incarnation,
                              task.total_restarts, task.node_id, task.name, task.actor_id,
                              standbys)

    # ------------------------------------------------------------------ start / attach

    def _reattach(self) -> int:
        ray = self._ray
        ns = opts.namespace(self.config)
        found: dict[str, list[tuple[int, str]]] = {}
        for entry in ray.util.list_named_actors(all_namespaces=True):
            if entry.get("namespace") != ns:
                continue
            if opts.is_standby_actor_name(self.app, entry["name"]):
                self._kill_name(entry["name"])  # started again below, from its own checkpoint
                continue
            parsed = opts.parse_task_actor_name(self.app, entry["name"])
            if parsed and parsed[0] in self.tasks:
                found.setdefault(parsed[0], []).append((parsed[1], entry["name"]))
        attached = 0
        for task_id, names in found.items():
            names.sort()
            for _, stale in names[:-1]:  # an older incarnation left behind: end it
                self._kill_name(stale)
            incarnation, name = names[-1]
            try:
                handle = ray.get_actor(name, namespace=ns)
            except ValueError:
                continue
            task = self.tasks[task_id]
            task.handle, task.name, task.incarnation = handle, name, incarnation
            task.actor_id = _actor_id(handle)
            task.state = TaskState.RUNNING
            handle.start.remote()
            task.watch_ref = handle.watch.remote()
            try:  # where it runs, so a node join moves only what balance needs
                task.node_id = ray.get(handle.status.remote(), timeout=10).get("node_id")
            except Exception:
                task.node_id = None
            attached += 1
        return attached

    # ------------------------------------------------------------------ restart history
    # Kept in Ray's GCS key-value store, so a restarted supervisor still enforces
    # task.max.restarts over the restarts its predecessor saw.

    def _restart_key(self, task_id: str) -> bytes:
        return f"raystreams:{opts.namespace(self.config)}:{self.app}:restarts:{task_id}".encode()

    def _kv(self) -> Any:
        try:
            from ray.experimental import internal_kv
        except ImportError:  # pragma: no cover - every Ray 2.x has it
            return None
        return internal_kv if internal_kv._internal_kv_initialized() else None

    def _save_restarts(self, task: _Task) -> None:
        kv = self._kv()
        if kv is None:
            return
        value = json.dumps({"times": list(task.restarts), "total": task.total_restarts})
        with contextlib.suppress(Exception):
            kv._internal_kv_put(self._restart_key(task.spec.task_id), value.encode(),
                                overwrite=True)

    def _restore_restart_counts(self, keep: bool) -> None:
        """A restarted supervisor takes its predecessor's counts; a new app starts from 0."""
        kv = self._kv()
        if kv is None:
            return
        for task_id, task in self.tasks.items():
            key = self._restart_key(task_id)
            with contextlib.suppress(Exception):
                if not keep:
                    kv._internal_kv_del(key)
                    continue
                raw = kv._internal_kv_get(key)
                if raw:
                    saved = json.loads(raw)
                    task.restarts = deque(saved.get("times", ()))
                    task.total_restarts = int(saved.get("total", 0))

    def _kill_name(self, name: str) -> None:
        with contextlib.suppress(Exception):
            self._ray.kill(self._ray.get_actor(name, namespace=opts.namespace(self.config)))

    def start(self) -> str:
        """Start every task that has no actor, and the monitor; returns the state."""
        with self._lock:
            if self.state in ("RUNNING", "ERROR"):
                return self.state
            nodes = self._alive_nodes()
            self._nodes = frozenset(nodes)
            targets = spread(self.tasks, nodes)
            for task_id, task in self.tasks.items():
                if task.handle is None:
                    self._launch(task, targets.get(task_id))
            for replicas in self.standbys.values():
                for standby in replicas:
                    if standby.handle is None:
                        self._launch_standby(standby)
            self.state = "RUNNING"
            if self._thread is None:
                self._thread = threading.Thread(target=self._monitor, name="supervisor",
                                                daemon=True)
                self._thread.start()
            return self.state

    def _launch(self, task: _Task, node_id: str | None, shipped: Any = None) -> None:
        task.incarnation += 1
        options = opts.task_actor_options(self.config, task.spec.task_id, task.incarnation,
                                          node_id)
        actor_cls = opts.remote_task_actor()
        task.handle = actor_cls.options(**options).remote(
            task.spec, self.topology, self.config, task.incarnation,
            self.log_level, None, shipped)
        task.name = options["name"]
        task.actor_id = _actor_id(task.handle)
        task.node_id = node_id
        task.report_ref = None
        task.handle.start.remote()
        self._routing_version += 1
        task.watch_ref = task.handle.watch.remote()
        task.state = TaskState.STARTING if task.total_restarts == 0 else TaskState.RUNNING
        self._event("started", task.spec.task_id, incarnation=task.incarnation, node=node_id)

    # ------------------------------------------------------------------ standby replicas

    def _standby_node(self, standby: _Standby) -> str | None:
        """A node without the active task or another replica of it, the least loaded with
        standbys; the active's node when there is no other (a single-node cluster)."""
        nodes = self._alive_nodes()
        if not nodes:
            return None
        task_id = standby.spec.task_id
        taken = {self.tasks[task_id].node_id} | {
            s.node_id for s in self.standbys[task_id] if s is not standby and s.handle is not None}
        load = {n: 0 for n in nodes}
        for replicas in self.standbys.values():
            for s in replicas:
                if s.handle is not None and s.node_id in load:
                    load[s.node_id] += 1
        free = [n for n in nodes if n not in taken]
        if not free:
            return self.tasks[task_id].node_id
        return min(free, key=lambda n: (load[n], n))

    def _launch_standby(self, standby: _Standby) -> None:
        standby.incarnation += 1
        node_id = self._standby_node(standby)
        options = opts.standby_actor_options(self.config, standby.spec.task_id, standby.replica,
                                             standby.incarnation, node_id)
        standby.handle = opts.remote_task_actor().options(**options).remote(
            standby.spec, self.topology, self.config, standby.incarnation, self.log_level,
            standby.replica)
        standby.name = options["name"]
        standby.node_id = node_id
        standby.report_ref, standby.lag, standby.pid = None, None, None
        standby.handle.start.remote()
        self._routing_version += 1
        standby.watch_ref = standby.handle.watch.remote()
        self._event("standby_started", standby.spec.task_id, replica=standby.replica,
                    node=node_id)

    def _kill_standby(self, standby: _Standby) -> None:
        if standby.handle is not None:
            with contextlib.suppress(Exception):
                self._ray.kill(standby.handle, no_restart=True)
            self._routing_version += 1
        standby.handle = None
        standby.watch_ref = None

    def _on_standby_done(self, standby: _Standby, ref: Any) -> None:
        with self._lock:
            if self._stopping or standby.watch_ref is not ref:
                return
            try:
                cause = self._ray.get(ref).get("error_text") or "it stopped on its own"
            except Exception as exc:
                cause = first_line(exc)
            log.warning("standby %d of task %s failed (%s): starting it again",
                        standby.replica, standby.spec.task_id, cause)
            self._kill_standby(standby)
            standby.restart_at = time.monotonic() + 1.0
            self._event("standby_failed", standby.spec.task_id, replica=standby.replica,
                        cause=cause)

    def _promote_standby(self, task: _Task) -> str | None:
        """Hand a live standby's state over for ``task``'s replacement; its node, or None."""
        for standby in self.standbys.get(task.spec.task_id, ()):
            if standby.handle is None:
                continue
            standby.watch_ref = None  # its end is the hand-over, not a failure
            try:
                result = self._ray.get(standby.handle.promote.remote(30.0), timeout=60)
            except Exception as exc:
                log.warning("standby %d of task %s could not be promoted: %s",
                            standby.replica, task.spec.task_id, exc)
                result = {}
            self._kill_standby(standby)
            standby.restart_at = time.monotonic()
            if result.get("handed_off"):
                standby.promotions += 1
                self._event("promoted", task.spec.task_id, replica=standby.replica,
                            node=result.get("node_id"), from_node=task.node_id,
                            cause=task.last_error)
                return result.get("node_id")
        return None

    def _restart_standbys_due(self) -> None:
        now = time.monotonic()
        for replicas in self.standbys.values():
            for standby in replicas:
                if standby.handle is None and now >= standby.restart_at:
                    self._launch_standby(standby)

    def standby_metrics(self) -> list[dict[str, Any]]:
        """The snapshot of every live standby replica."""
        with self._lock:
            handles = [(s, s.handle) for rs in self.standbys.values() for s in rs
                       if s.handle is not None]
        out = []
        refs = [(s, h.metrics.remote()) for s, h in handles]
        for standby, ref in refs:
            try:
                snap = self._ray.get(ref, timeout=5)
            except Exception:
                continue
            snap["promotions"] = standby.promotions
            out.append(snap)
        return out

    def _event(self, kind: str, task_id: str | None = None, **fields: Any) -> None:
        self.events.append({"at": time.time(), "event": kind, "task_id": task_id, **fields})
        del self.events[:-200]

    # ------------------------------------------------------------------ monitor

    def _monitor(self) -> None:
        ray = self._ray
        while not self._stopping:
            try:
                with self._lock:
                    refs: dict[Any, Any] = {t.watch_ref: t for t in self.tasks.values()
                                            if t.watch_ref is not None}
                    refs.update({s.watch_ref: s for rs in self.standbys.values() for s in rs
                                 if s.watch_ref is not None})
                if refs:
                    ready, _ = ray.wait(list(refs), num_returns=len(refs), timeout=0.2)
                else:
                    ready = []
                    time.sleep(MONITOR_INTERVAL_S)
                for ref in ready:
                    owner = refs[ref]
                    if isinstance(owner, _Standby):
                        self._on_standby_done(owner, ref)
                    else:
                        self._on_watch_done(owner, ref)
                self._restart_due()
                self._poll_reports()
                if time.monotonic() - self._last_node_check >= NODE_CHECK_INTERVAL_S:
                    self._last_node_check = time.monotonic()
                    self._check_nodes()
            except Exception:
                log.exception("supervisor monitor error")
                time.sleep(0.5)

    def _on_watch_done(self, task: _Task, ref: Any) -> None:
        ray = self._ray
        with self._lock:
            if self._stopping or task.watch_ref is not ref:
                return
            task.watch_ref = None
            error: BaseException | None = None
            traceback: str | None = None
            try:
                result = ray.get(ref)
                cause = result.get("error_text") or "the task stopped on its own"
                error = result.get("error")
                traceback = result.get("traceback")
            except Exception as exc:  # RayActorError: the actor died
                cause = f"task actor died: {first_line(exc)}"
            task.last_error = cause
            log.warning("task %s (incarnation %d) failed: %s", task.spec.task_id,
                        task.incarnation, cause)
            self._kill(task)
            wall = time.time()
            task.restarts.append(wall)
            while task.restarts and wall - task.restarts[0] > self.window_s:
                task.restarts.popleft()
            task.total_restarts += 1
            self._save_restarts(task)
            now = time.monotonic()
            self._event("failed", task.spec.task_id, cause=cause, error=error,
                        traceback=traceback, incarnation=task.incarnation, node=task.node_id)
            if len(task.restarts) > self.max_restarts:
                task.state = TaskState.FAILED
                self.state = "ERROR"
                self.error = (f"task {task.spec.task_id} failed {len(task.restarts)} times "
                              f"within {self.window_s:.0f} s (task.max.restarts="
                              f"{self.max_restarts}); last cause: {cause}")
                log.error(self.error)
                self._event("error", task.spec.task_id, cause=self.error)
                threading.Thread(target=self._stop_all, daemon=True).start()
                return
            backoff = min(MAX_BACKOFF_S, 0.1 * 2 ** (len(task.restarts) - 1))
            task.state = TaskState.RESTARTING
            task.restart_at = now + backoff

    def _restart_due(self) -> None:
        with self._lock:
            if self._stopping or self.state == "ERROR":
                return
            now = time.monotonic()
            for task in self.tasks.values():
                if task.state == TaskState.RESTARTING and now >= task.restart_at:
                    nodes = self._alive_nodes()
                    current = {t.spec.task_id: t.node_id for t in self.tasks.values()
                               if t is not task}
                    target = spread(self.tasks, nodes, current).get(task.spec.task_id)
                    target = self._promote_standby(task) or target
                    self._launch(task, target)
                    self._event("restarted", task.spec.task_id, incarnation=task.incarnation,
                                node=target, cause=task.last_error)
            if self.state == "RUNNING":
                self._restart_standbys_due()

    def _alive_nodes(self) -> list[str]:
        """The nodes tasks may run on: alive, with CPUs, not drained."""
        try:
            return sorted(n["NodeID"] for n in self._ray.nodes()
                          if n.get("Alive") and n.get("Resources", {}).get("CPU", 0) > 0
                          and n["NodeID"] not in self._drained)
        except Exception:
            return []

    def _check_nodes(self) -> None:
        nodes = self._alive_nodes()
        if not nodes or frozenset(nodes) == self._nodes:
            return
        joined = set(nodes) - self._nodes
        self._nodes = frozenset(nodes)
        if not joined:
            return
        with self._lock:
            if self._stopping or self.state != "RUNNING":
                return
            current = {tid: t.node_id for tid, t in self.tasks.items()}
            targets = spread(self.tasks, nodes, current)
            moves = [t for tid, t in self.tasks.items()
                     if t.handle is not None and t.state in (TaskState.RUNNING, TaskState.STARTING)
                     and not t.moving and targets.get(tid) != t.node_id]
            log.info("nodes joined %s: moving %d tasks", sorted(joined), len(moves))
            for task in moves:
                self._submit_move(task, targets[task.spec.task_id], "node_joined")

    def _submit_move(self, task: _Task, node_id: str, cause: str) -> None:
        """Run ``_move`` on the move pool (at most ``MAX_CONCURRENT_MOVES`` at once); the
        caller holds the lock."""
        if self._moves is None:
            self._moves = concurrent.futures.ThreadPoolExecutor(MAX_CONCURRENT_MOVES,
                                                                thread_name_prefix="move")
        task.moving = True
        self._moves.submit(self._move, task, node_id, cause)

    def _move(self, task: _Task, node_id: str, cause: str) -> None:
        """A planned move: stop the task cleanly, ship its state, start it on ``node_id``.

        Runs outside the lock except to swap actors: the old actor's end is the move, not a
        failure (its watch is dropped), and a failure of the old actor during the move (or of
        shipping) starts the new one from the changelog instead.
        """
        ray = self._ray
        started = time.monotonic()
        with self._lock:
            handle, from_node = task.handle, task.node_id
            if handle is None or self._stopping or self.state != "RUNNING":
                task.moving = False
                return
            task.watch_ref = None
        shipped, bytes_shipped, fallback = None, 0, None
        try:
            result = ray.get(handle.stop_for_move.remote(
                MOVE_STOP_TIMEOUT_S, int(self.config[STATE_SHIPPING_CHUNK_MAX_BYTES_CONFIG])),
                timeout=MOVE_STOP_TIMEOUT_S * 2)
            manifest = result.get("manifest")
            if result.get("error_text"):
                fallback = f"the task did not stop cleanly: {result['error_text']}"
            elif manifest is None:  # a stateless task has nothing to restore either
                fallback = "no local state to ship" if task.spec.changelogs else None
            else:
                # asked by the supervisor, so it owns the chunks (they outlive the old actor)
                refs = [handle.state_chunk.remote(i) for i in range(len(manifest.chunks))]
                ready, _ = ray.wait(refs, num_returns=len(refs), timeout=MOVE_STOP_TIMEOUT_S * 2,
                                    fetch_local=False)
                if len(ready) == len(refs):
                    shipped = (manifest, refs)
                else:
                    fallback = "the state chunks were not ready in time"
        except Exception as exc:
            fallback = f"{type(exc).__name__}: {exc}".splitlines()[0]
        if fallback:
            log.warning("task %s moves to %s without its state (%s): it restores from the "
                        "changelog", task.spec.task_id, node_id, fallback)
        with self._lock:
            task.moving = False
            if task.handle is not handle:  # stopped or replaced meanwhile
                with contextlib.suppress(Exception):
                    ray.kill(handle, no_restart=True)
                return
            if self._stopping or self.state != "RUNNING":
                return  # _stop_all kills it
            task.handle = None  # the old actor lives until the new one has its chunks
            self._launch(task, node_id, shipped)
            new = task.handle
        try:
            received = ray.get(new.wait_initialized.remote(MOVE_RESTORE_TIMEOUT_S),
                               timeout=MOVE_RESTORE_TIMEOUT_S + 10)
            bytes_shipped = received["shipped_bytes"]
            fallback = fallback or received["shipping_error"]
        except Exception as exc:  # the monitor handles a failed new incarnation
            log.warning("task %s after its move: %s", task.spec.task_id, exc)
            fallback = fallback or f"{type(exc).__name__}: {exc}".splitlines()[0]
        with contextlib.suppress(Exception):
            ray.kill(handle, no_restart=True)
        with self._lock:
            self._event("moved", task.spec.task_id, node=node_id, from_node=from_node,
                        incarnation=task.incarnation, cause=cause,
                        shipped=bytes_shipped > 0 and not fallback, bytes_shipped=bytes_shipped,
                        fallback=fallback, duration_s=round(time.monotonic() - started, 3))

    def drain(self, node_id: str) -> list[str]:
        """Move every task off ``node_id`` with its state and place nothing there again (before
        ``ray drain-node`` or removing the node; ``raystreams drain``). Standbys there start
        again elsewhere. Returns the ids of the tasks moving; the moves run in the background."""
        with self._lock:
            self._drained.add(node_id)
            if self._stopping or self.state != "RUNNING":
                return []
            current = {tid: t.node_id for tid, t in self.tasks.items() if t.node_id != node_id}
            targets = spread(self.tasks, self._alive_nodes(), current)
            moving = [tid for tid, t in self.tasks.items()
                      if t.node_id == node_id and t.handle is not None and not t.moving
                      and t.state in (TaskState.RUNNING, TaskState.STARTING) and targets.get(tid)]
            for tid in moving:
                self._submit_move(self.tasks[tid], targets[tid], "node_drained")
            for replicas in self.standbys.values():
                for standby in replicas:
                    if standby.handle is not None and standby.node_id == node_id:
                        self._kill_standby(standby)
                        standby.restart_at = time.monotonic()
            log.info("node %s drained: moving %s", node_id, moving)
            self._event("node_drained", None, node=node_id, moving=moving)
            return moving

    def _kill(self, task: _Task) -> None:
        if task.handle is not None:
            with contextlib.suppress(Exception):
                self._ray.kill(task.handle, no_restart=True)
            self._routing_version += 1
        task.handle = None

    # ------------------------------------------------------------------ calls

    def status(self) -> dict[str, Any]:
        """The app's state and each task's, with restart counts and last errors."""
        ray = self._ray
        with self._lock:
            handles = {tid: t.handle for tid, t in self.tasks.items() if t.handle is not None}
        states: dict[str, Any] = {}
        refs = {tid: h.status.remote() for tid, h in handles.items()}
        for tid, ref in refs.items():
            try:
                states[tid] = ray.get(ref, timeout=5)
            except Exception:
                states[tid] = None
        tasks = {}
        for tid, task in self.tasks.items():
            st = states.get(tid)
            if (st is not None and task.state == TaskState.STARTING
                    and st["state"] == TaskState.RUNNING):
                task.state = TaskState.RUNNING
            if st is not None and (st.get("node_id") or task.node_id) != task.node_id:
                task.node_id = st.get("node_id") or task.node_id
                self._routing_version += 1  # query routers show the node: fetch it again
            tasks[tid] = {"state": task.state, "runner_state": st["state"] if st else None,
                          "incarnation": task.incarnation, "restarts": task.total_restarts,
                          "node_id": task.node_id, "pid": st.get("pid") if st else None,
                          "actor_name": task.name, "last_error": task.last_error}
        standbys = {tid: [{"replica": s.replica, "node_id": s.node_id, "actor_name": s.name,
                           "running": s.handle is not None, "promotions": s.promotions}
                          for s in rs] for tid, rs in self.standbys.items()}
        return {"application_id": self.app, "state": self.state, "error": self.error,
                "tasks": tasks, "standbys": standbys, "events": list(self.events[-50:]),
                "routing_version": self._routing_version}

    def metrics(self) -> list[dict[str, Any]]:
        """The metrics snapshot of every live task actor (restarts added)."""
        ray = self._ray
        with self._lock:
            handles = {tid: t.handle for tid, t in self.tasks.items() if t.handle is not None}
        out = []
        refs = {tid: h.metrics.remote() for tid, h in handles.items()}
        for tid, ref in refs.items():
            try:
                snap = ray.get(ref, timeout=5)
            except Exception:
                continue
            snap["restarts"] = self.tasks[tid].total_restarts
            out.append(snap)
        return out

    def task_handles(self) -> dict[str, Any]:
        with self._lock:
            return {tid: t.handle for tid, t in self.tasks.items() if t.handle is not None}

    def query_plan(self) -> tuple[AppPlan, Topology, StreamsConfig]:
        """The app's plan, topology and config: what a process other than the one that started
        the app (the inspector) needs to route interactive queries (``TaskRouter.connect``)."""
        return self.plan, self.topology, self.config

    def routing(self) -> dict[str, Any]:
        """Where every task and standby replica runs, from what the supervisor holds (no call
        to any task): the interactive-query router caches it and asks again only when
        ``version`` may have moved on (a call to a task failed, a task moved or restarted)."""
        with self._lock:
            tasks = {tid: {"handle": t.handle, "actor_name": t.name, "node_id": t.node_id,
                           "incarnation": t.incarnation, "state": t.state}
                     for tid, t in self.tasks.items()}
            standbys = {tid: [{"replica": s.replica, "actor_name": s.name, "node_id": s.node_id,
                               "incarnation": s.incarnation, "running": s.handle is not None}
                              for s in rs] for tid, rs in self.standbys.items()}
            return {"version": self._routing_version, "state": self.state, "tasks": tasks,
                    "standbys": standbys}

    def _stop_all(self, timeout: float = 30.0) -> None:
        ray = self._ray
        with self._lock:
            handles = [(t, t.handle) for t in self.tasks.values() if t.handle is not None]
            for t in self.tasks.values():
                t.watch_ref = None
            standbys = [s for rs in self.standbys.values() for s in rs if s.handle is not None]
            for s in standbys:
                s.watch_ref = None
        standby_refs = [s.handle.stop.remote(timeout) for s in standbys]
        refs = [(t, h.stop.remote(timeout)) for t, h in handles]
        for t, ref in refs:
            try:
                ray.get(ref, timeout=timeout + 5)
            except Exception as exc:
                log.warning("task %s did not stop cleanly: %s", t.spec.task_id, exc)
        with contextlib.suppress(Exception):
            ray.get(standby_refs, timeout=timeout + 5)
        with self._lock:
            for t, _ in handles:
                self._kill(t)
                if t.state != TaskState.FAILED:
                    t.state = TaskState.STOPPED
            for s in standbys:
                self._kill_standby(s)

    def stop(self, timeout: float = 30.0) -> str:
        """Stop every task cleanly (commit, checkpoint) and kill the actors; idempotent."""
        self._stopping = True
        self._unregister()
        self._stop_all(timeout)
        if self.state != "ERROR":
            self.state = "STOPPED"
        return self.state

    def ping(self) -> str:
        return self.state


def _actor_id(handle: Any) -> str | None:
    try:
        return handle._actor_id.hex()
    except Exception:
        return None


def first_line(exc: BaseException) -> str:
    """``Type: message``, the message's first line only (Ray's errors run to many)."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"

