"""TaskActor: the Ray actor shell around one task's ``TaskRunner`` (or a standby's runner).

``TaskActor`` runs a runner's loop on a thread of a threaded Ray actor, so ``metrics()``,
the ``query_*`` calls and ``stop()`` are answered while it processes. The Ray actor options are made in
``actor_options``; the loop and commit are ``stream_thread.TaskRunner``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from raystreams.config import StreamsConfig
from raystreams.config.keys import RAY_NAMESPACE_CONFIG, STATE_DIR_CONFIG
from raystreams.errors import StateStoreNotAvailableException, StreamsError, StreamsException
from raystreams.runtime import state_shipping
from raystreams.runtime.placement import TaskSpec
from raystreams.runtime.stream_thread import TaskRunner
from raystreams.runtime.task_state import TaskState
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

ORPHAN_CHECK_S = 2.0
ORPHAN_GRACE_S = 10.0

#: The node's own state directory: set in the environment of a Ray node (``ray start``, or
#: ``env_vars`` of a ``ray.cluster_utils.Cluster`` node), it is where task actors on that node
#: keep their stores unless the app sets ``state.dir`` (DESIGN decision 12: no shared disk).
NODE_STATE_DIR_ENV = "RAYSTREAMS_STATE_DIR"


def node_config(config: StreamsConfig) -> StreamsConfig:
    """``config`` with ``state.dir`` resolved on this node: the app's own ``state.dir`` when it
    sets one, else ``$RAYSTREAMS_STATE_DIR`` of the node, else the default."""
    config = StreamsConfig.of(config)
    node_dir = os.environ.get(NODE_STATE_DIR_ENV)
    if node_dir and not config.is_set(STATE_DIR_CONFIG):
        return config.with_overrides({STATE_DIR_CONFIG: node_dir})
    return config


class TaskActor:
    """The Ray actor around a TaskRunner; every method is idempotent.

    ``start()`` begins the loop on a thread and returns; ``watch()`` blocks until the loop
    ends and returns how (the supervisor keeps one ``watch`` call pending per actor, and its
    replacement after a crash simply calls ``watch`` again). ``stop()`` ends the loop with a
    clean close.
    """

    def __init__(self, spec: TaskSpec, topology: Topology, config: StreamsConfig,
                 incarnation: int = 0, log_level: int | None = None,
                 standby_replica: int | None = None,
                 shipped: tuple[state_shipping.StateManifest, list[Any]] | None = None) -> None:
        if log_level is not None:
            logging.basicConfig(level=log_level,
                                format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.spec = spec
        config = node_config(config)  # on the node the actor runs on, never the driver's
        if standby_replica is None:
            self.runner: Any = TaskRunner(spec, topology, config, incarnation=incarnation)
        else:
            from raystreams.runtime.standby import StandbyRunner

            self.runner = StandbyRunner(spec, topology, config, replica=standby_replica,
                                        incarnation=incarnation)
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._start_lock = threading.Lock()
        self._shipped = shipped  # (manifest, chunk refs) of a planned move's state, if any
        self._outgoing: state_shipping.StateManifest | None = None
        self.shipped_bytes = 0
        self.shipping_error: str | None = None
        self._initialized = threading.Event()

    def start(self) -> str:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=f"task-{self.spec.task_id}",
                                                daemon=True)
                self._thread.start()
                threading.Thread(target=self._orphan_watchdog, name="orphan-watchdog",
                                 daemon=True).start()
                if not getattr(self.runner, "is_standby", False):
                    threading.Thread(target=self._hang_watchdog, name="hang-watchdog",
                                     daemon=True).start()
        return self.runner.state

    def _orphan_watchdog(self) -> None:
        """Stop cleanly and exit when the supervisor is gone for good.

        Task actors are detached so they survive a supervisor crash (Ray restarts it); if the
        supervisor's name stays unknown for ``ORPHAN_GRACE_S`` (its owner, the process that
        called ``KafkaStreams.start()``, died without ``close()``), nobody will ever stop this
        actor: it commits, closes and exits instead of leaking.
        """
        import ray

        config = self.runner.config
        name, namespace = config.application_id, config.get(RAY_NAMESPACE_CONFIG) or "raystreams"
        missing_since: float | None = None
        while not self._done.wait(ORPHAN_CHECK_S):
            try:
                ray.get_actor(name, namespace=namespace)
                missing_since = None
                continue
            except ValueError:
                missing_since = missing_since or time.monotonic()
            except Exception:  # the GCS is busy: try again
                continue
            if time.monotonic() - missing_since >= ORPHAN_GRACE_S:
                log.warning("[%s] supervisor %s is gone: stopping and exiting", self.spec.task_id,
                            name)
                self._stop.set()
                self._done.wait(60)
                os._exit(0)

    def _hang_watchdog(self) -> None:
        """Declare the task failed when one loop (consume, process, punctuate, commit) has not
        come back within ``max.poll.interval.ms`` (user code that hangs): the error names the
        task, processor and record, the loop thread's stack goes to the log and the error, and
        ``watch()`` returns so the supervisor replaces this actor (killing the stuck thread
        with it)."""
        runner = self.runner
        limit_s = runner.max_poll_interval_ms / 1000.0
        while not self._done.wait(min(1.0, limit_s / 10)):
            since = runner.busy_since
            if since is None or time.monotonic() - since <= limit_s:
                continue
            self._error = hung_task_error(self.spec.task_id, runner.where(),
                                          runner.max_poll_interval_ms, self._thread)
            runner.metrics.record_error(self._error)
            log.error("%s", self._error)
            self._done.set()
            return

    def _main(self) -> None:
        runner = self.runner
        try:
            if self._shipped is not None:
                self._receive_state()
            try:
                runner.initialize()
            finally:
                self._initialized.set()
            runner.run(self._stop)
        except BaseException as exc:  # noqa: BLE001 - reported through watch()
            self._error = exc
            runner.metrics.record_error(exc)
            log.error("[%s] task failed: %s", self.spec.task_id, exc, exc_info=True)
            try:
                runner.close(clean=False)
            except Exception:
                log.exception("[%s] error closing after a failure", self.spec.task_id)
        else:
            try:
                runner.close(clean=True)
            except BaseException as exc:  # noqa: BLE001
                self._error = exc
                runner.metrics.record_error(exc)
        finally:
            self._initialized.set()
            self._done.set()

    def _task_dir(self) -> Path:
        config = self.runner.config
        return Path(config[STATE_DIR_CONFIG]) / config.application_id / self.spec.task_id

    def _receive_state(self) -> None:
        """Write the state a planned move shipped into this node's task directory; on any
        failure leave it out: the task then restores from the changelog (the source of truth)."""
        import ray

        manifest, refs = self._shipped
        self._shipped = None
        try:
            self.shipped_bytes = state_shipping.receive(
                self._task_dir(), manifest, lambda i: ray.get(refs[i], timeout=120))
            log.info("[%s] received %d bytes of shipped state in %d chunks", self.spec.task_id,
                     self.shipped_bytes, len(manifest.chunks))
        except Exception as exc:
            self.shipping_error = f"{type(exc).__name__}: {exc}"
            log.warning("[%s] shipped state not received (%s): restoring from the changelog",
                        self.spec.task_id, self.shipping_error)

    def stop_for_move(self, timeout: float, max_chunk_bytes: int) -> dict[str, Any]:
        """A planned move: commit, checkpoint and close cleanly (``stop``), then describe the
        closed state directory for shipping (``result["manifest"]``, None when there is nothing
        to ship or the close was not clean); ``state_chunk(i)`` returns its chunks."""
        result = self.stop(timeout)
        result["manifest"] = None
        if (result["done"] and result["error"] is None and self.runner.state == TaskState.CLOSED
                and self.spec.changelogs):
            self._outgoing = state_shipping.make_manifest(self._task_dir(), max_chunk_bytes)
            result["manifest"] = self._outgoing
        return result

    def state_chunk(self, index: int) -> bytes:
        """Chunk ``index`` of the manifest ``stop_for_move`` returned."""
        if self._outgoing is None:
            raise StreamsError(f"task {self.spec.task_id}: no state is being shipped")
        return state_shipping.read_chunk(self._task_dir(), self._outgoing, index)

    def wait_initialized(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the runner has restored and runs (or ended); its state and what it
        received of a shipped state (``shipped_bytes``, ``shipping_error``)."""
        self._initialized.wait(timeout)
        return {"state": self.runner.state, "shipped_bytes": self.shipped_bytes,
                "shipping_error": self.shipping_error}

    def _streams_error(self, exc: BaseException) -> StreamsError:
        """What ``watch()`` reports: raystreams' own errors as raised (each pickles with its
        fields), anything else wrapped in a ``StreamsException`` naming the task, as Kafka's
        ``StreamThread`` wraps unexpected errors (a foreign exception may not survive the hop)."""
        if isinstance(exc, StreamsError):
            return exc
        wrapped = StreamsException(f"{type(exc).__name__}: {exc}", task_id=self.spec.task_id)
        wrapped.__cause__ = exc
        return wrapped

    def watch(self, timeout: float | None = None) -> dict[str, Any]:
        """Wait until the loop ends (or ``timeout``); ``{"done", "state", "error"}``."""
        done = self._done.wait(timeout)
        error = self._error
        return {"done": done, "state": self.runner.state, "task_id": self.spec.task_id,
                "error": self._streams_error(error) if error is not None else None,
                "error_text": f"{type(error).__name__}: {error}" if error is not None else None,
                "traceback": (self.runner.metrics.last_error or {}).get("traceback")
                if error is not None else None}

    def stop(self, timeout: float = 30.0) -> dict[str, Any]:
        """Commit, close cleanly and end the loop."""
        self._stop.set()
        if self._thread is None:
            self._done.set()
        return self.watch(timeout)

    def promote(self, timeout: float = 30.0) -> dict[str, Any]:
        """A standby's hand-over: stop, checkpoint and close its stores, then move its state
        directory to the active task's place on this node (the dead active's is replaced)."""
        runner = self.runner
        if not getattr(runner, "is_standby", False):
            raise StreamsError(f"task {self.spec.task_id}: only a standby replica is promoted")
        config = runner.active_config
        runner.handoff_to = (Path(config[STATE_DIR_CONFIG]) / config.application_id
                             / self.spec.task_id)
        result = self.stop(timeout)
        result["handed_off"] = runner.handed_off
        result["node_id"] = _node_id()
        return result

    def status(self) -> dict[str, Any]:
        return {"task_id": self.spec.task_id, "state": self.runner.state,
                "node_id": _node_id(), "pid": os.getpid(), "incarnation": self.runner.incarnation,
                "done": self._done.is_set()}

    def metrics(self) -> dict[str, Any]:
        snap = self.runner.snapshot()
        snap["node_id"] = _node_id()
        snap["pid"] = os.getpid()
        snap["shipped_bytes"] = self.shipped_bytes
        snap["shipping_error"] = self.shipping_error
        return snap

    def report(self) -> dict[str, Any]:
        """What the supervisor polls for the inspector: ``metrics()`` and the runner's
        inspection extras (a standby's runner has none)."""
        report = getattr(self.runner, "report", None)
        snap = report() if report is not None else self.runner.snapshot()
        snap["node_id"] = _node_id()
        snap["pid"] = os.getpid()
        return snap

    # interactive queries: the runner's StoreQueryServer, between the loop's batches

    def query_call(self, store: str, query_type: Any, method: str, args: tuple[Any, ...],
                   stale_ok: bool = False, raw: bool = False) -> Any:
        """A point query (``TaskAnswer``) of one of the task's stores."""
        return self._queries().call(store, query_type, method, args, stale_ok=stale_ok, raw=raw)

    def query_page(self, store: str, query_type: Any, method: str, args: tuple[Any, ...],
                   cursor: str | None = None, limit: int = 500, stale_ok: bool = False,
                   raw: bool = False) -> Any:
        """A page (``ScanPage``) of a scan; the first with ``cursor`` None."""
        return self._queries().page(store, query_type, method, args, cursor=cursor, limit=limit,
                                    stale_ok=stale_ok, raw=raw)

    def query_close(self, cursor: str) -> None:
        self._queries().close_cursor(cursor)

    def store_lags(self) -> dict[tuple[str, int], tuple[int, int]]:
        """(position, end offset) of each changelog partition the task restores its stores from."""
        lags = getattr(self.runner, "store_lags", None)
        return lags() if lags is not None else {}

    def _queries(self) -> Any:
        queries = getattr(self.runner, "queries", None)
        if queries is None:
            raise StateStoreNotAvailableException(
                f"task {self.spec.task_id} is a standby replica: its stores are not queried")
        return queries

    def pid(self) -> int:
        return os.getpid()


def hung_task_error(task_id: str, where: dict[str, Any], limit_ms: int,
                    thread: threading.Thread | None) -> StreamsException:
    """The error of a task whose loop has not come back for ``limit_ms``: where it is stuck,
    and the loop thread's stack at this moment."""
    frame = sys._current_frames().get(thread.ident) if thread is not None else None
    stack = "".join(traceback.format_stack(frame)) if frame is not None else "(no stack)\n"
    doing = (f"processing record {where['topic']}-{where['partition']}@{where['offset']}"
             if where.get("topic") else "outside a record (punctuation, commit or poll)")
    return StreamsException(
        f"Task {task_id} has been stuck for more than max.poll.interval.ms ({limit_ms} ms) "
        f"in processor {where.get('processor')}, {doing}; it is replaced. Stack of its "
        f"processing thread:\n{stack}", task_id=task_id, processor=where.get("processor"),
        topic=where.get("topic"), partition=where.get("partition"), offset=where.get("offset"))


def _node_id() -> str | None:
    try:
        import ray

        return ray.get_runtime_context().get_node_id()
    except Exception:
        return None
