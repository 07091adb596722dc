"""The inspection model: what the inspector shows, as typed data, and the source it reads from.

The Streamlit app (``inspector/``), the CLI and tests read a running app only through an
:class:`InspectionSource`: ``snapshot(app_id)`` is one cheap call answered from what the
supervisor already aggregates (decision 11: no per-task fan-out per page view), and the state
calls answer interactive queries through the one query path. Every call takes a timeout;
a source answers with what it has (``partial`` and ``problems`` say what is missing) rather
than hang a page.

Everything here is plain frozen dataclasses and pure functions: no ``ray`` and no
``streamlit`` import, so the model is tested without a cluster or a browser. Kafka Streams'
names are kept where it has them (``TaskMetadata``'s committed and end offsets, ``LagInfo``,
``KeyQueryMetadata``'s active and standby hosts).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from raystreams.errors import (
    InspectionException,
    NoClusterException,
    UnknownApplicationException,
)
from raystreams.runtime.task_state import TaskState

if TYPE_CHECKING:
    from raystreams.topology.topology import Topology

__all__ = [
    "AppSnapshot", "AppSummary", "EntryPage", "ErrorInfo", "Event", "InspectionError",
    "InspectionException", "InspectionSource", "KeyLookup", "NoClusterError",
    "NoClusterException", "NodeInfo", "PartitionLag", "ProcessorMetrics", "ReplicaLocation",
    "RestoreProgress", "StandbyInfo", "StoreEntry", "StoreInfo", "StoreMetrics", "StoreRoute",
    "SubtopologyInfo", "TaskInfo", "TopicInfo", "TopologyModel", "UnknownAppError",
    "UnknownApplicationException", "busy_level", "config_summary", "parse_key_text", "to_dot",
]

NodeKind = Literal["source", "processor", "sink"]
TopicKind = Literal["source", "sink", "repartition", "changelog", "global"]
StoreType = Literal["key_value", "timestamped_key_value", "versioned", "window",
                    "timestamped_window", "session"]
EventKind = Literal["started", "failed", "restarted", "moved", "promoted", "standby_started",
                    "standby_failed", "error", "other"]
ScanKind = Literal["all", "range", "prefix"]

# Flink's web UI thresholds for busy (and back-pressure) ratios: OK <= 0.10 < LOW <= 0.5 < HIGH.
BUSY_OK = 0.10
BUSY_LOW = 0.50


# The inspector's errors live with every other in raystreams.errors; the short names stay.
InspectionError = InspectionException
NoClusterError = NoClusterException
UnknownAppError = UnknownApplicationException


# --------------------------------------------------------------------------- topology


@dataclass(frozen=True)
class TopicInfo:
    """A topic the topology touches; ``name`` is the real (decorated) name on the broker."""

    name: str
    kind: TopicKind
    partitions: int | None = None
    #: the undecorated name the topology uses (internal topics), else ``name``
    topology_name: str | None = None

    @property
    def internal(self) -> bool:
        return self.kind in ("repartition", "changelog")


@dataclass(frozen=True)
class NodeInfo:
    """A source, processor or sink node of the topology."""

    name: str
    kind: NodeKind
    subtopology: int
    predecessors: tuple[str, ...] = ()
    successors: tuple[str, ...] = ()
    #: real names of the topics a source reads or a sink writes (empty for processors)
    topics: tuple[str, ...] = ()
    topic_pattern: str | None = None
    #: a sink that picks its topic per record: the extractor's name
    topic_extractor: str | None = None
    stores: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoreInfo:
    """A state store: its type, serdes, the processors using it, where it is restored from."""

    name: str
    store_type: StoreType
    subtopology: int
    processors: tuple[str, ...] = ()
    is_global: bool = False
    persistent: bool = True
    caching: bool = False
    #: the changelog topic (real name), or None when logging is off
    changelog_topic: str | None = None
    #: the source topic the store is restored from instead of a changelog (global stores,
    #: KTable source-topic reuse)
    source_topic: str | None = None
    key_serde: str | None = None
    value_serde: str | None = None


@dataclass(frozen=True)
class SubtopologyInfo:
    """One sub-topology; a global one makes no tasks and feeds a global store."""

    id: int
    nodes: tuple[str, ...]
    source_topics: tuple[str, ...] = ()
    sink_topics: tuple[str, ...] = ()
    stores: tuple[str, ...] = ()
    is_global: bool = False


@dataclass(frozen=True)
class TopologyModel:
    """The topology as typed data, with Kafka Streams' ``describe()`` text."""

    subtopologies: tuple[SubtopologyInfo, ...]
    nodes: tuple[NodeInfo, ...]
    stores: tuple[StoreInfo, ...]
    topics: tuple[TopicInfo, ...]
    description: str = ""

    def node(self, name: str) -> NodeInfo:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def store(self, name: str) -> StoreInfo:
        for store in self.stores:
            if store.name == name:
                return store
        raise KeyError(name)

    def topic(self, name: str) -> TopicInfo | None:
        return next((t for t in self.topics if t.name == name), None)

    def _nodes_of(self, kind: NodeKind) -> tuple[NodeInfo, ...]:
        return tuple(n for n in self.nodes if n.kind == kind)

    @property
    def sources(self) -> tuple[NodeInfo, ...]:
        return self._nodes_of("source")

    @property
    def processors(self) -> tuple[NodeInfo, ...]:
        return self._nodes_of("processor")

    @property
    def sinks(self) -> tuple[NodeInfo, ...]:
        return self._nodes_of("sink")

    @property
    def global_stores(self) -> tuple[StoreInfo, ...]:
        return tuple(s for s in self.stores if s.is_global)

    @property
    def repartition_topics(self) -> tuple[TopicInfo, ...]:
        return tuple(t for t in self.topics if t.kind == "repartition")

    @property
    def changelog_topics(self) -> tuple[TopicInfo, ...]:
        return tuple(t for t in self.topics if t.kind == "changelog")

    @classmethod
    def from_topology(cls, topology: Topology, application_id: str,
                      partitions: Mapping[str, int] | None = None, *,
                      default_serdes: tuple[str | None, str | None] = (None, None),
                      ) -> TopologyModel:
        """Read a built ``Topology``; ``partitions`` maps real topic names to partition counts,
        ``default_serdes`` names the config's default key and value serdes (for stores that
        leave theirs unset)."""
        from raystreams.topology.nodes import ProcessorSpec, SinkSpec, SourceSpec

        partitions = partitions or {}
        real = lambda t: topology.resolve_topic(t, application_id)  # noqa: E731
        groups = topology.node_groups()
        group_of = {name: gid for gid, names in groups.items() for name in names}
        successors: dict[str, list[str]] = {name: [] for name in topology.nodes}
        for name, spec in topology.nodes.items():
            for parent in spec.predecessors:
                successors[parent].append(name)
        topic_kinds: dict[str, tuple[TopicKind, str]] = {}

        def add_topic(topic: str, kind: TopicKind) -> None:
            if topic in topology.internal_topics:
                internal = topology.internal_topics[topic].kind
                kind = "changelog" if internal == "changelog" else "repartition"
            topic_kinds.setdefault(real(topic), (kind, topic))

        nodes = []
        for name, spec in topology.nodes.items():
            gid = group_of[name]
            if isinstance(spec, SourceSpec):
                kind: TopicKind = "global" if topology.is_global_source(name) else "source"
                for topic in spec.topics:
                    add_topic(topic, kind)
                nodes.append(NodeInfo(
                    name, "source", gid, (), tuple(successors[name]),
                    tuple(real(t) for t in spec.topics),
                    spec.pattern.pattern if spec.pattern is not None else None))
            elif isinstance(spec, SinkSpec):
                if spec.topic is not None:
                    add_topic(spec.topic, "sink")
                extractor = (getattr(spec.topic_extractor, "__name__", repr(spec.topic_extractor))
                             if spec.topic is None else None)
                nodes.append(NodeInfo(
                    name, "sink", gid, tuple(spec.predecessors), (),
                    (real(spec.topic),) if spec.topic is not None else (),
                    topic_extractor=extractor))
            else:
                assert isinstance(spec, ProcessorSpec)
                nodes.append(NodeInfo(name, "processor", gid, tuple(spec.predecessors),
                                      tuple(successors[name]), stores=tuple(spec.stores)))
        stores = []
        all_stores = {**topology.stores, **topology.global_stores}
        for name, store_spec in all_stores.items():
            builder = store_spec.builder
            users = tuple(store_spec.users)
            gid = group_of[users[0]] if users else -1
            changelog = None
            source_topic = topology.store_source_topics.get(name)
            if getattr(builder, "logging_enabled", False) and source_topic is None:
                changelog = topology.changelog_topic(name, application_id)
                topic_kinds.setdefault(changelog, ("changelog", f"{name}-changelog"))
            stores.append(StoreInfo(
                name, _store_type(builder), gid, users, store_spec.is_global,
                _call(builder, "persistent", True), bool(getattr(builder, "caching_enabled", False)),
                changelog, real(source_topic) if source_topic else None,
                _serde_name(getattr(builder, "key_serde", None)) or default_serdes[0],
                _serde_name(getattr(builder, "value_serde", None)) or default_serdes[1]))
        subs = []
        for gid, names in groups.items():
            is_global = any(topology.is_global_source(n) for n in names)
            sources = [t for n in names for t in _node_topics(nodes, n, "source")]
            sinks = [t for n in names for t in _node_topics(nodes, n, "sink")]
            used = [s.name for s in stores if s.subtopology == gid]
            subs.append(SubtopologyInfo(gid, tuple(names), tuple(sources), tuple(sinks),
                                        tuple(used), is_global))
        topics = tuple(TopicInfo(t, kind, partitions.get(t), plain)
                       for t, (kind, plain) in topic_kinds.items())
        return cls(tuple(subs), tuple(nodes), tuple(stores), topics, str(topology.describe()))


def _node_topics(nodes: list[NodeInfo], name: str, kind: NodeKind) -> tuple[str, ...]:
    node = next(n for n in nodes if n.name == name)
    return node.topics if node.kind == kind else ()


def _call(obj: Any, method: str, default: Any) -> Any:
    fn = getattr(obj, method, None)
    try:
        return fn() if callable(fn) else default
    except Exception:
        return default


def _store_type(builder: Any) -> StoreType:
    if getattr(builder, "store_kind", None) == "versioned" or "Versioned" in type(builder).__name__:
        return "versioned"
    kind = getattr(builder, "kind", "key_value")
    timestamped = bool(getattr(builder, "timestamped", False))
    if kind == "window":
        return "timestamped_window" if timestamped else "window"
    if kind == "session":
        return "session"
    return "timestamped_key_value" if timestamped else "key_value"


def _serde_name(serde: Any) -> str | None:
    """A serde's short name (``String``, ``Long``, ``JSON``); None when the default applies."""
    if serde is None:
        return None
    name = type(serde).__name__ if not isinstance(serde, type) else serde.__name__
    return name[:-5] if name.endswith("Serde") and len(name) > 5 else name


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class PartitionLag:
    """One input partition of a task (Kafka's ``TaskMetadata`` offsets and ``LagInfo``)."""

    topic: str
    partition: int
    committed: int | None
    end_offset: int | None
    lag_records: int | None = None
    #: how far behind in time: now minus the timestamp of the next record to process
    lag_ms: float | None = None

    @property
    def records_behind(self) -> int | None:
        """``lag_records``, or end offset minus committed offset when only those are known."""
        if self.lag_records is not None:
            return self.lag_records
        if self.committed is None or self.end_offset is None:
            return None
        return max(0, self.end_offset - self.committed)


@dataclass(frozen=True)
class ErrorInfo:
    """The last error of a task or the cause of an event, with its traceback."""

    type: str
    message: str
    traceback: str | None = None
    at: float | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    processor: str | None = None

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.type else self.message

    @classmethod
    def from_exception(cls, exc: BaseException, at: float | None = None) -> ErrorInfo:
        """The error of ``exc`` with its traceback and, for a ``StreamsException``, where it
        happened (topic, partition, offset, processor)."""
        import traceback

        return cls(type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)), at,
                   getattr(exc, "topic", None), getattr(exc, "partition", None),
                   getattr(exc, "offset", None), getattr(exc, "processor", None))


@dataclass(frozen=True)
class RestoreProgress:
    """A task's state restore from its changelogs (Kafka's ``StateRestoreListener`` numbers)."""

    records_restored: int
    records_to_restore: int
    done: bool = False
    records_per_s: float | None = None

    @property
    def fraction(self) -> float:
        if self.done or self.records_to_restore <= 0:
            return 1.0
        return min(1.0, self.records_restored / self.records_to_restore)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current restore rate; None when unknown, 0 when done."""
        if self.done:
            return 0.0
        if not self.records_per_s or self.records_per_s <= 0:
            return None
        return max(0, self.records_to_restore - self.records_restored) / self.records_per_s


@dataclass(frozen=True)
class ReplicaLocation:
    """Where a copy of a task runs: its Ray actor and node."""

    task_id: str
    node_id: str | None
    actor_id: str | None = None
    actor_name: str | None = None
    pid: int | None = None
    standby: bool = False
    replica: int = 0


@dataclass(frozen=True)
class StandbyInfo:
    """A standby replica of a task (Kafka's standby task), kept warm from the changelog."""

    location: ReplicaLocation
    running: bool
    lag_records: int | None = None
    promotions: int = 0


@dataclass(frozen=True)
class TaskInfo:
    """One stream task as the supervisor last saw it."""

    task_id: str
    state: str
    #: wall-clock time (epoch seconds) the task entered ``state``
    state_since: float | None = None
    node_id: str | None = None
    actor_id: str | None = None
    actor_name: str | None = None
    pid: int | None = None
    incarnation: int = 0
    restarts: int = 0
    last_error: ErrorInfo | None = None
    partitions: tuple[PartitionLag, ...] = ()
    records_in_per_s: float | None = None
    records_out_per_s: float | None = None
    #: share of wall time spent processing (Flink's busy time), 0..1
    busy_ratio: float | None = None
    commit_latency_ms: float | None = None
    restore: RestoreProgress | None = None
    standbys: tuple[StandbyInfo, ...] = ()

    @property
    def subtopology(self) -> int:
        return int(self.task_id.split("_", 1)[0])

    @property
    def partition(self) -> int:
        return int(self.task_id.split("_", 1)[1])

    @property
    def lag_records(self) -> int | None:
        values = [p.records_behind for p in self.partitions]
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    @property
    def lag_ms(self) -> float | None:
        known = [p.lag_ms for p in self.partitions if p.lag_ms is not None]
        return max(known) if known else None

    @property
    def restoring(self) -> bool:
        return (self.state == TaskState.RESTORING
                or (self.restore is not None and not self.restore.done))

    def time_in_state(self, now: float) -> float | None:
        return None if self.state_since is None else max(0.0, now - self.state_since)

    @property
    def location(self) -> ReplicaLocation:
        return ReplicaLocation(self.task_id, self.node_id, self.actor_id, self.actor_name,
                               self.pid)


@dataclass(frozen=True)
class ProcessorMetrics:
    """One topology node across its tasks: records/s through it and, if measured, busy ratio."""

    name: str
    records_per_s: float | None = None
    busy_ratio: float | None = None


@dataclass(frozen=True)
class StoreMetrics:
    """One store instance (store x task): approximate entries and bytes on disk."""

    store: str
    task_id: str
    approx_entries: int | None = None
    bytes_on_disk: int | None = None


@dataclass(frozen=True)
class Event:
    """A restart, move or standby promotion of a task, with its cause."""

    at: float
    kind: EventKind
    task_id: str | None = None
    cause: str | None = None
    error: ErrorInfo | None = None
    incarnation: int | None = None
    node_id: str | None = None
    from_node_id: str | None = None
    #: how long the task restored its state before it ran again, once known
    restore_duration_s: float | None = None
    detail: str | None = None


# --------------------------------------------------------------------------- apps

#: parts of config keys whose values the inspector never shows (Kafka's password-type
#: configs: ``sasl.jaas.config``, ``ssl.key.password``, ``basic.auth.user.info``, ...)
SECRET_KEY_PARTS = ("password", "secret", "jaas", "token", "credentials", "user.info",
                    "private.key", "keystore.key", "api.key")
HIDDEN = "[hidden]"


def config_summary(config: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """``AppSnapshot.config`` from an app's config: sorted text pairs, secrets hidden."""
    pairs = []
    for key in sorted(config, key=str):
        name = str(key)
        lowered = name.lower()
        value = HIDDEN if any(part in lowered for part in SECRET_KEY_PARTS) else str(config[key])
        pairs.append((name, value))
    return tuple(pairs)



@dataclass(frozen=True)
class AppSummary:
    """One raystreams app on the cluster, as the Applications page lists it."""

    application_id: str
    state: str
    tasks: int = 0
    running_tasks: int = 0
    failed_tasks: int = 0
    records_per_s: float | None = None
    total_lag: int | None = None
    namespace: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class AppSnapshot:
    """Everything the inspector shows of one app, from one supervisor call."""

    application_id: str
    state: str
    taken_at: float
    topology: TopologyModel
    tasks: tuple[TaskInfo, ...] = ()
    processors: tuple[ProcessorMetrics, ...] = ()
    stores: tuple[StoreMetrics, ...] = ()
    events: tuple[Event, ...] = ()
    #: the config summary: (key, value) pairs, secrets already masked by the source
    config: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    #: True when some part did not answer in time; ``problems`` says which
    partial: bool = False
    problems: tuple[str, ...] = ()

    def task(self, task_id: str) -> TaskInfo:
        for task in self.tasks:
            if task.task_id == task_id:
                return task
        raise KeyError(task_id)

    @property
    def total_lag(self) -> int | None:
        known = [t.lag_records for t in self.tasks if t.lag_records is not None]
        return sum(known) if known else None

    @property
    def records_in_per_s(self) -> float | None:
        known = [t.records_in_per_s for t in self.tasks if t.records_in_per_s is not None]
        return sum(known) if known else None

    @property
    def failed_tasks(self) -> tuple[TaskInfo, ...]:
        return tuple(t for t in self.tasks if t.state in (TaskState.FAILED, TaskState.RESTARTING))

    def store_metrics(self, store: str) -> tuple[StoreMetrics, ...]:
        return tuple(s for s in self.stores if s.store == store)

    def summary(self) -> AppSummary:
        return AppSummary(self.application_id, self.state, len(self.tasks),
                          sum(t.state == TaskState.RUNNING for t in self.tasks),
                          len(self.failed_tasks),
                          self.records_in_per_s, self.total_lag, error=self.error)


# --------------------------------------------------------------------------- state queries


@dataclass(frozen=True)
class StoreRoute:
    """Where a key lives: key → partition → task → actor → node, active and standbys
    (Kafka's ``KeyQueryMetadata``)."""

    store: str
    key: str
    partition: int
    task_id: str
    active: ReplicaLocation
    standbys: tuple[ReplicaLocation, ...] = ()


@dataclass(frozen=True)
class KeyLookup:
    """The answer to a key lookup, with its route and the task that answered."""

    route: StoreRoute
    found: bool
    value: Any = None
    #: the record timestamp (timestamped and versioned stores)
    timestamp: int | None = None
    answered_by: str | None = None
    #: the answering task was restoring: the value may be behind the changelog
    stale: bool = False
    raw_key: bytes | None = None
    raw_value: bytes | None = None


@dataclass(frozen=True)
class StoreEntry:
    """One entry of a scan or fetch: decoded key and value; raw bytes when asked for."""

    key: Any
    value: Any
    task_id: str
    timestamp: int | None = None
    window_start: int | None = None
    window_end: int | None = None
    stale: bool = False
    raw_key: bytes | None = None
    raw_value: bytes | None = None


@dataclass(frozen=True)
class EntryPage:
    """One page of a scan; pass ``next_cursor`` back for the next page (None: the last one)."""

    entries: tuple[StoreEntry, ...]
    next_cursor: str | None = None
    stale_tasks: tuple[str, ...] = ()
    partial: bool = False
    problems: tuple[str, ...] = ()


@runtime_checkable
class InspectionSource(Protocol):
    """What the inspector reads a cluster through; the live one asks the supervisors.

    Every call takes ``timeout`` (seconds) and returns within it: a snapshot or page that
    misses parts says so in ``partial``/``problems``. ``NoClusterError`` means no cluster
    answers; ``UnknownAppError`` an app that is not there; ``InspectionError`` any other
    failure to answer (unknown store, key text that does not parse as the store's key serde).
    Keys arrive as the text a user typed and are parsed as data (``parse_key_text``), never
    evaluated; values come back decoded with the store's serdes, and with their raw bytes
    when ``raw`` is set.
    """

    def list_apps(self, *, timeout: float) -> list[AppSummary]:
        """Every raystreams app on the cluster."""
        ...

    def snapshot(self, app_id: str, *, timeout: float) -> AppSnapshot:
        """The app's topology, tasks, metrics and recent events."""
        ...

    def get_key(self, app_id: str, store: str, key: str, *, raw: bool = False,
                as_of_timestamp: int | None = None, timeout: float) -> KeyLookup:
        """Look one key up in a key-value store; a versioned store answers its latest value,
        or the one valid at ``as_of_timestamp`` (IQv2's ``VersionedKeyQuery``)."""
        ...

    def scan(self, app_id: str, store: str, *, kind: ScanKind = "all", start: str | None = None,
             end: str | None = None, prefix: str | None = None, cursor: str | None = None,
             limit: int = 100, raw: bool = False, timeout: float) -> EntryPage:
        """Page through all entries, a key range ``[start, end]`` (None: open) or a key
        prefix; of a window or session store, every window (its bounds in each entry)."""
        ...

    def fetch_window(self, app_id: str, store: str, key: str, time_from: int, time_to: int, *,
                     cursor: str | None = None, limit: int = 100, raw: bool = False,
                     timeout: float) -> EntryPage:
        """The windows of ``key`` starting in ``[time_from, time_to]`` (epoch ms)."""
        ...

    def fetch_session(self, app_id: str, store: str, key: str, *,
                      earliest_session_end: int = 0, latest_session_start: int | None = None,
                      cursor: str | None = None, limit: int = 100, raw: bool = False,
                      timeout: float) -> EntryPage:
        """The sessions of ``key`` (Kafka's ``findSessions``); None: no upper bound."""
        ...


# --------------------------------------------------------------------------- key text


def parse_key_text(text: str, serde: str | None) -> Any:
    """Turn the key a user typed into a value of the store's key type, as data only.

    ``serde`` is a short serde name as ``StoreInfo.key_serde`` gives it (None: String).
    Integers and floats parse as numbers, JSON as JSON, Bytes as hex (``0a ff``) or, with a
    ``b:`` prefix, UTF-8 text; nothing is evaluated or unpickled.

    Raises:
        InspectionException: the text is not a value of that type.

    >>> parse_key_text(" 42", "Long"), parse_key_text("kafka", None), parse_key_text("0aff", "Bytes")
    (42, 'kafka', b'\\n\\xff')
    """
    name = (serde or "String").lower()
    try:
        if name in ("string", "stringserde"):
            return text
        if name in ("integer", "long", "short"):
            return int(text.strip())
        if name in ("double", "float"):
            return float(text.strip())
        if name == "boolean":
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise ValueError("expected true or false")
            return lowered == "true"
        if name == "json":
            return json.loads(text)
        if name in ("bytes", "bytearray", "bytebuffer"):
            return text[2:].encode() if text.startswith("b:") else bytes.fromhex(text)
        if name == "uuid":
            import uuid

            return uuid.UUID(text.strip())
    except ValueError as exc:
        raise InspectionError(f"key {text!r} is not a {serde} key: {exc}") from exc
    raise InspectionError(f"keys of serde {serde} cannot be typed in; use a scan instead")


# --------------------------------------------------------------------------- DOT


def busy_level(ratio: float | None) -> Literal["OK", "LOW", "HIGH"] | None:
    """Flink's busy level: OK up to 0.10, LOW up to 0.5, HIGH above; None when unknown.

    >>> busy_level(0.05), busy_level(0.3), busy_level(0.9), busy_level(None)
    ('OK', 'LOW', 'HIGH', None)
    """
    if ratio is None or math.isnan(ratio):
        return None
    if ratio <= BUSY_OK:
        return "OK"
    return "LOW" if ratio <= BUSY_LOW else "HIGH"


BUSY_COLOURS = {"OK": "#c8e6c9", "LOW": "#ffe0b2", "HIGH": "#ffcdd2", None: "#ffffff"}
TOPIC_COLOUR = "#e3f2fd"


def _rate(value: float | None) -> str:
    if value is None:
        return "– rec/s"
    return f"{value:,.0f} rec/s" if value >= 10 else f"{value:.1f} rec/s"


def _node_busy(topology: TopologyModel, tasks: Iterable[TaskInfo]) -> dict[int, float]:
    """Per sub-topology, the highest busy ratio among its tasks (Flink colours a vertex by
    its busiest subtask)."""
    busiest: dict[int, float] = {}
    for task in tasks:
        if task.busy_ratio is not None:
            sub = task.subtopology
            busiest[sub] = max(busiest.get(sub, 0.0), task.busy_ratio)
    return busiest


def topic_lag(tasks: Iterable[TaskInfo]) -> dict[str, int]:
    """Records behind per input topic, summed over the tasks reading it."""
    lag: dict[str, int] = {}
    for task in tasks:
        for p in task.partitions:
            behind = p.records_behind
            if behind is not None:
                lag[p.topic] = lag.get(p.topic, 0) + behind
    return lag


def to_dot(topology: TopologyModel, tasks: Sequence[TaskInfo] = (),
           processors: Sequence[ProcessorMetrics] = ()) -> str:
    """Graphviz DOT of the live topology: what ``st.graphviz_chart`` draws.

    Sub-topologies are clusters, topics boxes (internal ones dashed), stores cylinders.
    Every node is filled by its busy level (its own busy ratio when measured, else that of the
    busiest task of its sub-topology) and labelled with its records/s; edges from repartition
    topics to the sources reading them carry the topic's lag. Ids are quoted and escaped,
    so topic names with dots and dashes are fine; each node's ``tooltip`` is its name (the SVG
    ``<title>`` stays the node id, which is the name prefixed with its kind).
    """
    from raystreams.topology.dot import dot_id

    by_name = {p.name: p for p in processors}
    busy_of_sub = _node_busy(topology, tasks)
    lag_of_topic = topic_lag(tasks)
    # Top to bottom: a sub-topology's chain reads down, sub-topologies sit side by side, so
    # the graph fits a wide page (left to right it gets too long for labels to stay legible).
    lines = ["digraph topology {", "  rankdir=TB;", "  compound=true;",
             '  graph [fontname="Helvetica", fontsize=11];',
             '  node [fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=9];']
    for sub in sorted(topology.subtopologies, key=lambda s: s.id):
        label = f"Sub-topology: {sub.id}" + (" (global store)" if sub.is_global else "")
        lines.append(f"  subgraph {dot_id(f'cluster_{sub.id}')} {{")
        lines.append(f"    label={dot_id(label)}; style=rounded; color=gray50;")
        for name in sub.nodes:
            node = topology.node(name)
            metrics = by_name.get(name)
            busy = metrics.busy_ratio if metrics and metrics.busy_ratio is not None \
                else busy_of_sub.get(sub.id)
            level = busy_level(busy)
            text = f"{node.kind.capitalize()}: {name}\n"
            text += _rate(metrics.records_per_s if metrics else None)
            if busy is not None:
                text += f"\nbusy {busy:.0%}"
            border = ", penwidth=2" if node.kind != "processor" else ""
            lines.append(
                f"    {dot_id(name)} [shape=box, style=\"rounded,filled\", "
                f"fillcolor={dot_id(BUSY_COLOURS[level])}{border}, label={dot_id(text)}, "
                f"tooltip={dot_id(name)}];")
        for name in sub.stores:
            lines.append(f"    {dot_id('store:' + name)} [shape=cylinder, label={dot_id(name)}, "
                         f"tooltip={dot_id(name)}];")
        lines.append("  }")
    drawn_topics: set[str] = set()
    for node in topology.nodes:
        if node.kind == "source":
            for topic in node.topics:
                drawn_topics.add(topic)
                info = topology.topic(topic)
                label = ""
                if info is not None and info.kind == "repartition" and topic in lag_of_topic:
                    label = f" [label={dot_id(f'lag {lag_of_topic[topic]:,}')}]"
                lines.append(f"  {dot_id('topic:' + topic)} -> {dot_id(node.name)}{label};")
            if node.topic_pattern is not None:
                pattern = "pattern:" + node.topic_pattern
                drawn_topics.add(pattern)
                lines.append(f"  {dot_id('topic:' + pattern)} -> {dot_id(node.name)};")
        elif node.kind == "sink":
            targets = node.topics or (f"<{node.topic_extractor or 'extractor'}>",)
            for topic in targets:
                drawn_topics.add(topic)
                lines.append(f"  {dot_id(node.name)} -> {dot_id('topic:' + topic)};")
        for parent in node.predecessors:
            lines.append(f"  {dot_id(parent)} -> {dot_id(node.name)};")
        for store in node.stores:
            lines.append(f"  {dot_id(node.name)} -> {dot_id('store:' + store)} "
                         f"[style=dotted, dir=both, arrowsize=0.6];")
    for store in topology.stores:
        if store.changelog_topic is not None:
            drawn_topics.add(store.changelog_topic)
            lines.append(f"  {dot_id('store:' + store.name)} -> "
                         f"{dot_id('topic:' + store.changelog_topic)} [style=dashed];")
    for topic in sorted(drawn_topics):
        info = topology.topic(topic)
        style = '"filled,dashed"' if info is not None and info.internal else "filled"
        text = topic
        if info is not None and info.partitions is not None:
            text += f"\n{info.partitions} partitions"
        lines.append(f"  {dot_id('topic:' + topic)} [shape=box, style={style}, "
                     f"fillcolor={dot_id(TOPIC_COLOUR)}, label={dot_id(text)}, "
                     f"tooltip={dot_id(topic)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"

