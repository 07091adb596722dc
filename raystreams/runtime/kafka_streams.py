"""KafkaStreams: the facade that runs a Topology on Kafka and Ray (Kafka's ``KafkaStreams``).

``start()`` joins or starts Ray, resolves the broker (``bootstrap.servers``, else a running
``raystreams broker``, else the embedded tansu broker; a local broker is refused on a Ray
cluster of several nodes, which could not reach it), checks that the source topics exist and
are co-partitioned, creates the internal topics, computes the tasks and starts the
``Supervisor`` actor (named ``<application.id>`` in namespace ``ray.namespace``), which starts
one task actor per task. States follow Kafka Streams: CREATED → REBALANCING → RUNNING →
PENDING_SHUTDOWN → NOT_RUNNING, or ERROR.

Example:
    >>> from raystreams import KafkaStreams, StreamsBuilder
    >>> builder = StreamsBuilder()
    >>> builder.stream("in").map_values(str.upper).to("out")
    >>> streams = KafkaStreams(builder.build(), {"application.id": "upper"})
    >>> streams.state()
    <State.CREATED: 'CREATED'>

    Running it needs a broker and Ray, so the doctests stop here (``TopologyTestDriver`` runs
    the same topology without either):

    >>> streams.start()  # doctest: +SKIP
    >>> streams.close()  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import enum
import logging
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from raystreams.config import StreamsConfig
from raystreams.config.keys import (
    BOOTSTRAP_SERVERS_CONFIG,
    BROKER_CONNECT_TIMEOUT_MS_CONFIG,
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
    RAY_ADDRESS_CONFIG,
    STATE_DIR_CONFIG,
)
from raystreams.errors import ConfigException, IllegalStateException, StreamsError
from raystreams.kafka.admin import StreamsAdmin, TopicSpec
from raystreams.query import (
    KeyQueryMetadata,
    LagInfo,
    StateQueryRequest,
    StateQueryResult,
    StoreQueryParameters,
    StreamsMetadata,
    run_state_query,
    store_for,
)
from raystreams.runtime import actor_options as opts
from raystreams.runtime.metrics import aggregate
from raystreams.runtime.placement import AppPlan, plan_app
from raystreams.runtime.query_router import TaskRouter
from raystreams.runtime.task_state import TaskState
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

STATUS_POLL_S = 0.2


def require_bootstrap_on_multi_node(ray: Any) -> None:
    """Refuse a local broker (embedded, or one ``raystreams broker`` recorded on this machine)
    when the connected Ray cluster has more than one node: it listens on this machine's
    127.0.0.1, which task actors on the other nodes cannot reach.

    Raises:
        ConfigException: naming ``bootstrap.servers``, with the number of nodes.
    """
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    if len(nodes) > 1:
        raise ConfigException(
            BOOTSTRAP_SERVERS_CONFIG,
            f"bootstrap.servers is not set, but the Ray cluster has {len(nodes)} nodes: a local "
            f"broker (embedded or `raystreams broker`) listens on 127.0.0.1 of this machine only, "
            f"which task actors on the other nodes cannot reach. Set bootstrap.servers to a "
            f"Kafka cluster every node reaches.")


class State(enum.Enum):
    """Kafka Streams' ``KafkaStreams.State``."""

    CREATED = "CREATED"
    REBALANCING = "REBALANCING"
    RUNNING = "RUNNING"
    PENDING_SHUTDOWN = "PENDING_SHUTDOWN"
    NOT_RUNNING = "NOT_RUNNING"
    PENDING_ERROR = "PENDING_ERROR"
    ERROR = "ERROR"

    def is_running_or_rebalancing(self) -> bool:
        return self in (State.RUNNING, State.REBALANCING)

    def __str__(self) -> str:
        return self.value


class StreamThreadExceptionResponse(enum.Enum):
    """What an uncaught exception handler answers (Kafka's enum of the same name)."""

    REPLACE_THREAD = "REPLACE_THREAD"
    SHUTDOWN_CLIENT = "SHUTDOWN_CLIENT"
    SHUTDOWN_APPLICATION = "SHUTDOWN_APPLICATION"




class KafkaStreams:
    """Run ``topology`` with ``config`` on Kafka and Ray.

    Args:
        topology: what ``StreamsBuilder.build()`` returned.
        config: a dict with Kafka Streams key names, or a StreamsConfig.
        out: where ``start()`` prints where the broker and Ray are (default stderr);
            ``None`` prints nothing.
    """

    def __init__(self, topology: Topology, config: Mapping[str, Any] | StreamsConfig,
                 *, out: Any = sys.stderr) -> None:
        if not isinstance(topology, Topology):
            raise TypeError(f"KafkaStreams needs a Topology (StreamsBuilder.build()), got "
                            f"{type(topology).__name__}")
        self.topology = topology
        self.config = StreamsConfig.of(config)
        self.application_id = self.config.application_id
        self._out = out
        self._state = State.CREATED
        self._state_lock = threading.RLock()
        self._listener: Callable[[State, State], None] | None = None
        self._handler: Callable[[BaseException], Any] | None = None
        self._broker: Any = None
        self._ray: Any = None
        self._ray_started_here = False
        self.supervisor: Any = None
        self.plan: AppPlan | None = None
        self._monitor: threading.Thread | None = None
        self._closing = threading.Event()
        self._seen_failures = 0.0  # time of the last task failure handed to the handler
        self.last_status: dict[str, Any] | None = None
        self._router: TaskRouter | None = None

    # ------------------------------------------------------------------ state

    def state(self) -> State:
        """The current state (Kafka's ``KafkaStreams.state()``)."""
        return self._state

    def set_state_listener(self, listener: Callable[[State, State], None]) -> None:
        """``listener(new_state, old_state)`` on every transition; only before ``start()``."""
        if self._state is not State.CREATED:
            raise IllegalStateException("set_state_listener is only allowed in CREATED state")
        self._listener = listener

    def set_uncaught_exception_handler(self, handler: Callable[[BaseException], Any]) -> None:
        """``handler(exc) -> StreamThreadExceptionResponse`` when a task fails.

        ``REPLACE_THREAD`` (or ``None``) lets the supervisor restart the task (the default,
        bounded by ``task.max.restarts``); ``SHUTDOWN_CLIENT`` and ``SHUTDOWN_APPLICATION``
        stop the application and end in ERROR.
        """
        if self._state is not State.CREATED:
            raise IllegalStateException("set_uncaught_exception_handler is only allowed in "
                                        "CREATED state")
        self._handler = handler

    def _set_state(self, new: State) -> None:
        with self._state_lock:
            old = self._state
            if old is new:
                return
            self._state = new
        log.info("stream-client [%s] State transition from %s to %s", self.application_id,
                 old, new)
        if self._listener is not None:
            try:
                self._listener(new, old)
            except Exception:
                log.exception("state listener failed")

    def _print(self, text: str) -> None:
        if self._out is not None:
            print(text, file=self._out, flush=True)

    # ------------------------------------------------------------------ start

    def start(self) -> None:
        """Start the app; returns once the task actors are launched (state REBALANCING)."""
        if self._state is not State.CREATED:
            raise IllegalStateException(f"KafkaStreams can only be started once (state "
                                        f"{self._state})")
        try:
            self._start()
        except BaseException:
            self._set_state(State.ERROR)
            self._release()
            raise

    def _start(self) -> None:
        from raystreams.broker import resolve_bootstrap

        self._set_state(State.REBALANCING)
        if not (self.config.get(BOOTSTRAP_SERVERS_CONFIG) or "").strip():
            # the embedded broker only serves one node: refuse it on a multi-node cluster
            self._init_ray()
            require_bootstrap_on_multi_node(self._ray)
        resolved = resolve_bootstrap(self.config.get(BOOTSTRAP_SERVERS_CONFIG))
        if resolved.source != "config":
            self._broker = resolved
            self.config = self.config.with_overrides({BOOTSTRAP_SERVERS_CONFIG:
                                                      resolved.bootstrap_servers})
            self._print(f"raystreams: using the {resolved.source} {resolved.kind} broker at "
                        f"{resolved.bootstrap_servers}")
            if self.config.exactly_once and resolved.kind == "tansu":
                log.warning("processing.guarantee=exactly_once_v2 on the embedded tansu broker: "
                            "it commits a crashed producer's open transaction and shows "
                            "aborted records, so exactly-once after a crash is NOT guaranteed; "
                            "use Apache Kafka (`raystreams broker --kafka`) for that")
        admin = StreamsAdmin(self.config)
        # a bounded wait with the address in the error, before Ray starts when the address
        # is given (issue 14)
        admin.check_reachable(self.config[BROKER_CONNECT_TIMEOUT_MS_CONFIG])
        self._init_ray()
        if self.topology.pattern_sources():
            # subscribed once, from the topics that exist now: a topic created later that
            # matches is read after the next start (Kafka picks it up on its next rebalance)
            gained = self.topology.subscribe_pattern_topics(admin.topics())
            for source, topics in gained.items():
                log.info("source %s subscribes to %s", source, topics)
        self.plan = plan_app(self.topology, self.config, admin.partition_counts)
        admin.create_topics(self.plan.internal_topics)
        dead_letters = self.config.get(ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)
        if dead_letters and admin.partition_counts([dead_letters])[dead_letters] is None:
            # Kafka leaves this to the user; a missing topic would fail the task at its first
            # dead letter
            admin.create_topics([TopicSpec(dead_letters, 1, {}, "dead-letter")])
        ns = opts.namespace(self.config)
        try:
            self._ray.get_actor(opts.supervisor_name(self.config), namespace=ns)
        except ValueError:
            pass
        else:
            raise IllegalStateException(
                f"an application {self.application_id!r} is already running in Ray namespace "
                f"{ns!r}: close it first (or use another application.id)")
        level = logging.getLogger("raystreams").getEffectiveLevel()
        cls = opts.remote_supervisor()
        self.supervisor = cls.options(**opts.supervisor_options(self.config)).remote(
            self.topology, self.config, self.plan, level)
        self._ray.get(self.supervisor.start.remote())
        log.info("started %d tasks of %s: %s", len(self.plan.tasks), self.application_id,
                 [t.task_id for t in self.plan.tasks])
        self._monitor = threading.Thread(target=self._watch, name="kafka-streams-monitor",
                                         daemon=True)
        self._monitor.start()

    def _init_ray(self) -> None:
        import os

        import ray

        self._ray = ray
        if ray.is_initialized():
            return
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        address = self.config.get(RAY_ADDRESS_CONFIG) or os.environ.get("RAY_ADDRESS")
        # ray.init installs its own SIGTERM handler (exit at once, no close): keep the
        # caller's, so `raystreams run` and apps that handle SIGTERM still commit and close
        previous = (signal.getsignal(signal.SIGTERM)
                    if threading.current_thread() is threading.main_thread() else None)
        if address:
            ray.init(address=address, namespace=opts.namespace(self.config))
            self._print(f"raystreams: joined the Ray cluster at {address}")
        else:
            ray.init(namespace=opts.namespace(self.config), include_dashboard=False)
            self._print("raystreams: started a local Ray instance (no ray.address / RAY_ADDRESS)")
        if callable(previous):
            signal.signal(signal.SIGTERM, previous)
        self._ray_started_here = True

    def _watch(self) -> None:
        """Poll the supervisor: REBALANCING → RUNNING, ERROR, uncaught exception handler."""
        while not self._closing.wait(STATUS_POLL_S):
            try:
                status = self._ray.get(self.supervisor.status.remote(), timeout=30)
            except Exception as exc:
                log.debug("supervisor status unavailable: %s", exc)
                continue
            self.last_status = status
            if self._router is not None:
                self._router.observe_version(status.get("routing_version"))
            if self._closing.is_set():
                return
            failures = [e for e in status["events"]
                        if e["event"] == "failed" and e["at"] > self._seen_failures]
            if failures:
                self._seen_failures = max(e["at"] for e in failures)
                if self._handler is not None:
                    for event in failures:
                        self._handle_failure(event)
            if status["state"] == "ERROR":
                log.error("application %s failed: %s", self.application_id, status["error"])
                self._set_state(State.PENDING_ERROR)
                self._set_state(State.ERROR)
                return
            tasks = status["tasks"].values()
            all_running = all(t["state"] == t["runner_state"] == TaskState.RUNNING for t in tasks)
            if all_running and self._state is State.REBALANCING:
                self._set_state(State.RUNNING)
            elif not all_running and self._state is State.RUNNING:
                self._set_state(State.REBALANCING)

    def _handle_failure(self, event: dict[str, Any]) -> None:
        from raystreams.errors import StreamsException

        exc = event.get("error")
        if not isinstance(exc, BaseException):  # the actor died: no exception object
            exc = StreamsException(event.get("cause") or "task failed",
                                   task_id=event.get("task_id"))
        try:
            answer = self._handler(exc) if self._handler else None
        except Exception:
            log.exception("uncaught exception handler failed")
            answer = StreamThreadExceptionResponse.SHUTDOWN_CLIENT
        if answer in (StreamThreadExceptionResponse.SHUTDOWN_CLIENT,
                      StreamThreadExceptionResponse.SHUTDOWN_APPLICATION):
            threading.Thread(target=self._shutdown_on_error, daemon=True).start()

    def _shutdown_on_error(self) -> None:
        self._set_state(State.PENDING_ERROR)
        self._stop_supervisor(30.0)
        self._closing.set()
        self._set_state(State.ERROR)

    # ------------------------------------------------------------------ close

    def close(self, timeout: float | int | Any = 60.0) -> bool:
        """Stop every task cleanly (commit, checkpoint) and release what start() made.

        Returns True if everything stopped within ``timeout`` seconds (a ``timedelta`` too).
        """
        if hasattr(timeout, "total_seconds"):
            timeout = timeout.total_seconds()
        if self._state in (State.NOT_RUNNING,):
            return True
        ended_in_error = self._state is State.ERROR
        if not ended_in_error:
            self._set_state(State.PENDING_SHUTDOWN)
        self._closing.set()
        ok = self._stop_supervisor(float(timeout))
        self._release()
        self._set_state(State.ERROR if ended_in_error else State.NOT_RUNNING)
        return ok

    def _stop_supervisor(self, timeout: float) -> bool:
        if self.supervisor is None:
            return True
        ok = True
        try:
            self._ray.get(self.supervisor.stop.remote(timeout), timeout=timeout + 10)
        except Exception as exc:
            log.warning("supervisor did not stop cleanly: %s", exc)
            ok = False
        self._kill_leftovers()
        with contextlib.suppress(Exception):
            self._ray.kill(self.supervisor, no_restart=True)
        self.supervisor = None
        return ok

    def _kill_leftovers(self) -> None:
        ray = self._ray
        ns = opts.namespace(self.config)
        try:
            for entry in ray.util.list_named_actors(all_namespaces=True):
                if (entry.get("namespace") == ns
                        and opts.parse_task_actor_name(self.application_id, entry["name"])):
                    with contextlib.suppress(Exception):
                        ray.kill(ray.get_actor(entry["name"], namespace=ns))
        except Exception:
            pass

    def _release(self) -> None:
        if self._broker is not None:
            self._broker.close()
            self._broker = None
        if self._ray_started_here and self._ray is not None:
            self._ray.shutdown()
            self._ray_started_here = False

    def __enter__(self) -> KafkaStreams:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def cleanup(self) -> None:
        """Delete this app's local state directories, its standby copies' too (only when not
        running, as in Kafka)."""
        if self._state.is_running_or_rebalancing() or self._state is State.PENDING_SHUTDOWN:
            raise IllegalStateException("Cannot clean up while running.")
        root = Path(self.config[STATE_DIR_CONFIG])
        for path in [root / self.application_id,
                     *(p / self.application_id for p in root.glob("standby-*"))]:
            shutil.rmtree(path, ignore_errors=True)

    # ------------------------------------------------------------------ reading

    def _require_running(self) -> None:
        if self.supervisor is None:
            raise IllegalStateException(f"KafkaStreams is not running (state {self._state})")

    def tasks(self) -> dict[str, dict[str, Any]]:
        """Every task: state, incarnation, restarts, node, actor name, last error."""
        self._require_running()
        return self._ray.get(self.supervisor.status.remote())["tasks"]

    def status(self) -> dict[str, Any]:
        self._require_running()
        return self._ray.get(self.supervisor.status.remote())

    def metrics(self) -> dict[str, Any]:
        """Summed task metrics, with each task's under ``"tasks"`` and each standby
        replica's (``num.standby.replicas``) under ``"standbys"``."""
        self._require_running()
        total = aggregate(self._ray.get(self.supervisor.metrics.remote()))
        total["standbys"] = self._ray.get(self.supervisor.standby_metrics.remote())
        return total

    def task_handles(self) -> dict[str, Any]:
        self._require_running()
        return self._ray.get(self.supervisor.task_handles.remote())

    # ------------------------------------------------------------------ interactive queries

    def _queries(self) -> TaskRouter:
        self._require_running()
        if self._router is None:
            self._router = TaskRouter.connect(self.supervisor, plan=self.plan,
                                              topology=self.topology, config=self.config)
        return self._router

    def store(self, params: StoreQueryParameters) -> Any:
        """A read-only view of a store across its tasks (Kafka's ``store(StoreQueryParameters)``).

        ``StoreQueryParameters.from_store_name_and_type(name, QueryableStoreTypes.key_value_store())``
        gives a ``CompositeReadOnlyKeyValueStore``: ``get`` goes to the one task owning the
        key, scans are read in pages from every task and merged in key order.
        ``.with_partition(p)`` reads one partition; ``.enable_stale_stores()`` lets a restoring
        task answer.
        """
        if not isinstance(params, StoreQueryParameters):
            raise TypeError(
                "store() takes StoreQueryParameters.from_store_name_and_type(name, "
                f"QueryableStoreTypes.key_value_store()) (or another query type), got {params!r}")
        return store_for(self._queries(), params)

    def query(self, request: StateQueryRequest) -> StateQueryResult:
        """An IQv2 query (Kafka's ``query(StateQueryRequest)``): a ``QueryResult`` per partition."""
        return run_state_query(self._queries(), request)

    def query_metadata_for_key(self, store: str, key: Any,
                               key_serde: Any = None) -> KeyQueryMetadata:
        """The partition, active task actor and standby actors of ``key`` in ``store``
        (Kafka's ``queryMetadataForKey``); from the cached routing table, no task is asked."""
        return self._queries().key_query_metadata(store, key, key_serde)

    def streams_metadata_for_store(self, store: str) -> list[StreamsMetadata]:
        """The task actors hosting ``store``, active and standby (Kafka's
        ``streamsMetadataForStore``)."""
        router = self._queries()
        router.partitions(store)  # unknown store: UnknownStateStoreException
        return [m for m in router.streams_metadata()
                if store in m.state_store_names or store in m.standby_state_store_names]

    def metadata_for_all_streams_clients(self) -> list[StreamsMetadata]:
        """Every task actor and standby actor with its stores and partitions (Kafka's
        ``metadataForAllStreamsClients``; here a "client" is a task's actor)."""
        return self._queries().streams_metadata()

    def all_local_store_partition_lags(self) -> dict[str, dict[int, LagInfo]]:
        """store → partition → ``LagInfo`` behind the changelog (Kafka's
        ``allLocalStorePartitionLags``); asks every task, so call it every few seconds at most."""
        return self._queries().store_lags()

    def wait_until_running(self, timeout: float = 60.0) -> None:
        """Block until RUNNING (raises on ERROR or timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._state is State.RUNNING:
                return
            if self._state is State.ERROR:
                raise StreamsError(f"application {self.application_id} failed: "
                                   f"{(self.last_status or {}).get('error')}")
            time.sleep(0.05)
        raise TimeoutError(f"{self.application_id} not RUNNING after {timeout} s "
                           f"(state {self._state}; tasks {(self.last_status or {}).get('tasks')})")
