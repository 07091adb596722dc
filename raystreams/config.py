"""StreamsConfig: validated application config with Kafka Streams' key names (Kafka's ``StreamsConfig``).

Each key is defined once, in ``_DEFINITIONS``, with its type, default, validator, importance
and doc. Keys under the client prefixes (``consumer.``, ``producer.``, ``admin.``, ...) pass
through to confluent-kafka untouched; any other unknown key is an error.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from raystreams.durations import millis
from raystreams.errors import ConfigException
from raystreams.serde import Serde, Serdes, resolve_serde

__all__ = [
    "AutoOffsetReset",
    "ConfigKey",
    "ConsumerKind",
    "DeserializationHandlerName",
    "DslStore",
    "Importance",
    "MetricsRecordingLevel",
    "ProcessingGuarantee",
    "ProcessingHandlerName",
    "ProductionHandlerName",
    "StreamsConfig",
    "TimestampExtractorName",
    "TopologyOptimization",
]

logger = logging.getLogger(__name__)

# --- choice types --------------------------------------------------------------------------

ProcessingGuarantee = Literal["at_least_once", "exactly_once_v2"]
AutoOffsetReset = Literal["earliest", "latest", "none"]
TopologyOptimization = Literal["none", "all"]
"""Also accepted: a comma-separated list of single optimizations (see ``TOPOLOGY_OPTIMIZATIONS``)."""
MetricsRecordingLevel = Literal["INFO", "DEBUG", "TRACE"]
DeserializationHandlerName = Literal["log_and_fail", "log_and_continue"]
ProductionHandlerName = Literal["default", "continue"]
ProcessingHandlerName = Literal["log_and_fail", "log_and_continue"]
TimestampExtractorName = Literal["fail_on_invalid", "log_and_skip_on_invalid",
                                 "use_partition_time_on_invalid", "wall_clock"]
DslStore = Literal["rocksDB", "in_memory"]
SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
ConsumerKind = Literal["main", "restore", "global"]
Importance = Literal["high", "medium", "low"]
ConfigType = Literal["string", "path", "int", "long", "double", "boolean", "duration", "servers",
                     "serde", "handler"]

# --- key names (as Kafka's StreamsConfig constants) ----------------------------------------

APPLICATION_ID_CONFIG = "application.id"
APPLICATION_SERVER_CONFIG = "application.server"
AUTO_OFFSET_RESET_CONFIG = "auto.offset.reset"
BOOTSTRAP_SERVERS_CONFIG = "bootstrap.servers"
BUFFERED_RECORDS_PER_PARTITION_CONFIG = "buffered.records.per.partition"
CACHE_MAX_BYTES_BUFFERING_CONFIG = "cache.max.bytes.buffering"
CLIENT_ID_CONFIG = "client.id"
COMMIT_INTERVAL_MS_CONFIG = "commit.interval.ms"
DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG = "default.deserialization.exception.handler"
DEFAULT_DSL_STORE_CONFIG = "default.dsl.store"
DEFAULT_KEY_SERDE_CLASS_CONFIG = "default.key.serde"
DEFAULT_PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG = "default.production.exception.handler"
DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG = "default.timestamp.extractor"
DEFAULT_VALUE_SERDE_CLASS_CONFIG = "default.value.serde"
DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG = "deserialization.exception.handler"
ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG = "errors.dead.letter.queue.topic.name"
MAX_TASK_IDLE_MS_CONFIG = "max.task.idle.ms"
METRICS_RECORDING_LEVEL_CONFIG = "metrics.recording.level"
NUM_STANDBY_REPLICAS_CONFIG = "num.standby.replicas"
NUM_STREAM_THREADS_CONFIG = "num.stream.threads"
POLL_MS_CONFIG = "poll.ms"
PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG = "processing.exception.handler"
PROCESSING_GUARANTEE_CONFIG = "processing.guarantee"
PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG = "production.exception.handler"
REPLICATION_FACTOR_CONFIG = "replication.factor"
SECURITY_PROTOCOL_CONFIG = "security.protocol"
STATE_DIR_CONFIG = "state.dir"
STATESTORE_CACHE_MAX_BYTES_CONFIG = "statestore.cache.max.bytes"
TASK_TIMEOUT_MS_CONFIG = "task.timeout.ms"
TOPOLOGY_OPTIMIZATION_CONFIG = "topology.optimization"
UPGRADE_FROM_CONFIG = "upgrade.from"
WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG = "windowstore.changelog.additional.retention.ms"
# Kafka Streams' internal throttles (InternalConfig); its TopologyTestDriver sets both to 0.
EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION = "__emit.interval.ms.kstreams.windowed.aggregation__"
EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX = (
    "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__")
# raystreams' own keys
TASK_MAX_RESTARTS_CONFIG = "task.max.restarts"
TASK_RESTART_WINDOW_MS_CONFIG = "task.restart.window.ms"
TASK_NUM_CPUS_CONFIG = "task.num.cpus"
RAY_ADDRESS_CONFIG = "ray.address"
RAY_NAMESPACE_CONFIG = "ray.namespace"
INSPECTOR_PORT_CONFIG = "inspector.port"

# --- values --------------------------------------------------------------------------------

AT_LEAST_ONCE = "at_least_once"
EXACTLY_ONCE_V2 = "exactly_once_v2"
NO_OPTIMIZATION = "none"
OPTIMIZE = "all"
REUSE_KTABLE_SOURCE_TOPICS = "reuse.ktable.source.topics"
MERGE_REPARTITION_TOPICS = "merge.repartition.topics"
SINGLE_STORE_SELF_JOIN = "single.store.self.join"
TOPOLOGY_OPTIMIZATIONS = (REUSE_KTABLE_SOURCE_TOPICS, MERGE_REPARTITION_TOPICS, SINGLE_STORE_SELF_JOIN)
ROCKS_DB = "rocksDB"
IN_MEMORY = "in_memory"
UPGRADE_FROM_VERSIONS = ("2.4", "2.5", "2.6", "2.7", "2.8", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5",
                         "3.6", "3.7", "3.8", "3.9", "4.0", "4.1", "4.2", "4.3")

DEFAULT_COMMIT_INTERVAL_MS = 30_000
EOS_DEFAULT_COMMIT_INTERVAL_MS = 100

# --- client prefixes -----------------------------------------------------------------------

CONSUMER_PREFIX = "consumer."
MAIN_CONSUMER_PREFIX = "main.consumer."
RESTORE_CONSUMER_PREFIX = "restore.consumer."
GLOBAL_CONSUMER_PREFIX = "global.consumer."
PRODUCER_PREFIX = "producer."
ADMIN_CLIENT_PREFIX = "admin."
TOPIC_PREFIX = "topic."
# Security settings given without a prefix reach every client, as in Kafka Streams.
_SHARED_CLIENT_PREFIXES = ("sasl.", "ssl.")
_CLIENT_PREFIXES = (MAIN_CONSUMER_PREFIX, RESTORE_CONSUMER_PREFIX, GLOBAL_CONSUMER_PREFIX,
                    CONSUMER_PREFIX, PRODUCER_PREFIX, ADMIN_CLIENT_PREFIX, TOPIC_PREFIX,
                    *_SHARED_CLIENT_PREFIXES)

# Client settings people put at the top level out of Java habit; we point them at a prefix.
_CONSUMER_ONLY_KEYS = frozenset({
    "auto.commit.interval.ms", "enable.auto.commit", "fetch.max.bytes", "fetch.min.bytes",
    "fetch.wait.max.ms", "fetch.max.wait.ms", "group.id", "group.instance.id", "heartbeat.interval.ms",
    "isolation.level", "max.partition.fetch.bytes", "max.poll.interval.ms", "max.poll.records",
    "session.timeout.ms", "fetch.queue.backoff.ms", "queued.min.messages",
})
_PRODUCER_ONLY_KEYS = frozenset({
    "acks", "batch.size", "batch.num.messages", "compression.type", "delivery.timeout.ms",
    "enable.idempotence", "linger.ms", "max.in.flight.requests.per.connection", "message.timeout.ms",
    "queue.buffering.max.messages", "queue.buffering.max.ms", "retries", "transaction.timeout.ms",
    "transactional.id", "compression.codec", "partitioner",
})
_CLIENT_KEYS = _CONSUMER_ONLY_KEYS | _PRODUCER_ONLY_KEYS | {
    "request.timeout.ms", "retry.backoff.ms", "reconnect.backoff.ms", "reconnect.backoff.max.ms",
    "metadata.max.age.ms", "socket.timeout.ms", "receive.buffer.bytes", "send.buffer.bytes",
    "connections.max.idle.ms", "debug", "statistics.interval.ms", "broker.address.family",
}

_SECRET_MARKERS = ("password", "secret", "jaas", "token")

_APPLICATION_ID_RE = re.compile(r"[a-zA-Z0-9._-]+")
_TOPIC_NAME_RE = re.compile(r"[a-zA-Z0-9._-]{1,249}")


# --- validators ----------------------------------------------------------------------------

def _bad_value(key: str, value: Any, why: str, allowed: list[str] | None = None) -> ConfigException:
    return ConfigException(key, f"Invalid value {value!r} for config '{key}': {why}.", allowed=allowed)


class _Choices:
    """A value from a fixed set; Java class names and other aliases map to the canonical choice."""

    def __init__(self, values: tuple[str, ...], *, case_insensitive: bool = False,
                 aliases: Mapping[str, str] | None = None, removed: Mapping[str, str] | None = None,
                 allow_callable: bool = False) -> None:
        self.values = values
        self.case_insensitive = case_insensitive
        self.aliases = dict(aliases or {})
        self.removed = dict(removed or {})
        self.allow_callable = allow_callable

    def __call__(self, key: str, value: Any) -> Any:
        if value is None and None in self.values:
            return None
        if isinstance(value, str):
            text = value.strip()
            if text in self.values:
                return text
            if text in self.aliases:
                return self.aliases[text]
            if self.case_insensitive:
                for choice in self.values:
                    if choice.lower() == text.lower():
                        return choice
            if text in self.removed:
                raise _bad_value(key, value, self.removed[text], self.allowed())
        elif self.allow_callable and callable(value):
            return value
        why = "not one of the allowed values"
        if self.allow_callable:
            why = "expected one of the allowed names or a callable / class"
        raise _bad_value(key, value, why, self.allowed())

    def allowed(self) -> list[str]:
        return [str(v) for v in self.values if v is not None]

    def describe(self) -> str:
        text = ", ".join(repr(v) if v is not None else "None" for v in self.values)
        return text + (", or a callable / class" if self.allow_callable else "")


class _Range:
    """A number within ``[low, high]``; either bound may be open (None)."""

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        self.low = low
        self.high = high

    def __call__(self, key: str, value: Any) -> Any:
        if value is None:
            return value
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise _bad_value(key, value, self._requirement())
        return value

    def _requirement(self) -> str:
        if self.high is None:
            return f"must be at least {self.low}"
        if self.low is None:
            return f"must be at most {self.high}"
        return f"must be between {self.low} and {self.high}"

    def describe(self) -> str:
        low = "..." if self.low is None else str(self.low)
        high = "..." if self.high is None else str(self.high)
        return f"[{low}, {high}]"


class _Check:
    """A predicate with a description; ``check`` returns an error text or None."""

    def __init__(self, check: Callable[[Any], str | None], description: str) -> None:
        self.check = check
        self.description = description

    def __call__(self, key: str, value: Any) -> Any:
        if value is None:
            return value
        why = self.check(value)
        if why:
            raise _bad_value(key, value, why)
        return value

    def describe(self) -> str:
        return self.description


def _check_application_id(value: str) -> str | None:
    if not value:
        return "must not be empty"
    if not _APPLICATION_ID_RE.fullmatch(value):
        bad = sorted(set(re.sub(r"[a-zA-Z0-9._-]", "", value)))
        return f"contains {''.join(bad)!r}; only ASCII letters, digits, '.', '_' and '-' are allowed"
    return None


def _check_host_port(value: str) -> str | None:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return f"{value!r} is not host:port"
    return None


def _check_servers(value: str) -> str | None:
    for server in value.split(","):
        why = _check_host_port(server)
        if why:
            return why
    return None


def _check_application_server(value: str) -> str | None:
    return None if value == "" else _check_host_port(value)


def _check_topic_name(value: str) -> str | None:
    if value in (".", "..") or not _TOPIC_NAME_RE.fullmatch(value):
        return "not a legal topic name (1-249 of ASCII letters, digits, '.', '_', '-')"
    return None


def _check_replication_factor(value: int) -> str | None:
    return None if value == -1 or value >= 1 else "must be -1 (the broker default) or at least 1"


def _check_not_empty(value: str) -> str | None:
    return None if value else "must not be empty"


def _normalize_optimization(key: str, value: Any) -> str:
    allowed = [NO_OPTIMIZATION, OPTIMIZE, *TOPOLOGY_OPTIMIZATIONS]
    if not isinstance(value, str):
        raise _bad_value(key, value, "expected a string", allowed)
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) == 1 and parts[0] in (NO_OPTIMIZATION, OPTIMIZE):
        return parts[0]
    if not parts:
        raise _bad_value(key, value, "must not be empty", allowed)
    for part in parts:
        if part in (NO_OPTIMIZATION, OPTIMIZE):
            raise _bad_value(key, value, f"'{part}' cannot be combined with other optimizations",
                             allowed)
        if part not in TOPOLOGY_OPTIMIZATIONS:
            raise _bad_value(key, value, f"unknown optimization {part!r}", allowed)
    return ",".join(dict.fromkeys(parts))


class _Optimization:
    def __call__(self, key: str, value: Any) -> Any:
        return _normalize_optimization(key, value)

    def describe(self) -> str:
        return "'none', 'all', or a comma-separated list of " + ", ".join(
            repr(o) for o in TOPOLOGY_OPTIMIZATIONS)


# --- types ---------------------------------------------------------------------------------

def _as_int(key: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad_value(key, value, "expected an integer")


def _as_float(key: str, value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _bad_value(key, value, "expected a number")


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _bad_value(key, value, "expected a boolean (True/False or 'true'/'false')")


def _as_duration(key: str, value: Any) -> int:
    ms = millis(value)
    if ms is not None:
        return ms
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad_value(key, value, "expected integer milliseconds or a datetime.timedelta")


def _as_string(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _bad_value(key, value, "expected a string")


def _as_path(key: str, value: Any) -> str:
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    raise _bad_value(key, value, "expected a path (str or os.PathLike)")


def _as_servers(key: str, value: Any) -> str:
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise _bad_value(key, value, "expected 'host:port,host:port' or a list of 'host:port'")
    servers = [s.strip() for s in items if s.strip()]
    if not servers:
        raise _bad_value(key, value, "no servers given")
    return ",".join(servers)


def _as_serde(key: str, value: Any) -> Serde[Any]:
    return resolve_serde(value, key=key)


def _as_any(key: str, value: Any) -> Any:
    return value


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "string": _as_string,
    "path": _as_path,
    "int": _as_int,
    "long": _as_int,
    "double": _as_float,
    "boolean": _as_bool,
    "duration": _as_duration,
    "servers": _as_servers,
    "serde": _as_serde,
    "handler": _as_any,  # its _Choices validator checks names and callables
}


# --- definitions ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ConfigKey:
    """The definition of one config key (Kafka's ``ConfigDef.ConfigKey``).

    Attributes:
        name: The key, e.g. ``"commit.interval.ms"``.
        type: How values are parsed (``"duration"`` takes int ms or a timedelta).
        default: The value when the key is not set (``None``: no value / automatic).
        importance: ``"high"``, ``"medium"`` or ``"low"``, as in Kafka's docs.
        doc: One line saying what the key controls.
        validator: Checks (and normalizes) a parsed value; None accepts any value of the type.
        required: The key has no default and must be set.
        alias_of: For a deprecated name, the key that replaces it.
        raystreams_only: The key is raystreams' own, not Kafka Streams'.
    """

    name: str
    type: ConfigType
    default: Any
    importance: Importance
    doc: str
    validator: Any = None
    required: bool = False
    alias_of: str | None = None
    raystreams_only: bool = False

    def parse(self, value: Any) -> Any:
        """Parse and validate a user value; raise ConfigException naming the key if it is bad."""
        if value is None:
            if self.required:
                raise _missing(self.name)
            if self.default is None:
                return None
            raise _bad_value(self.name, value, "this config does not accept None",
                             self.validator.allowed() if isinstance(self.validator, _Choices) else None)
        parsed = _PARSERS[self.type](self.name, value)
        if self.validator is not None:
            parsed = self.validator(self.name, parsed)
        return parsed

    def describe_valid_values(self) -> str:
        """The valid values, for docs: choices, a range or a description."""
        if self.validator is not None:
            return self.validator.describe()
        return {"serde": "a Serde, a Serde class or a serde name",
                "duration": "int ms or timedelta",
                "boolean": "True, False"}.get(self.type, "")


_DESERIALIZATION_HANDLERS = _Choices(get_args(DeserializationHandlerName), allow_callable=True, aliases={
    "org.apache.kafka.streams.errors.LogAndFailExceptionHandler": "log_and_fail",
    "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler": "log_and_continue",
})
_PRODUCTION_HANDLERS = _Choices(get_args(ProductionHandlerName), allow_callable=True, aliases={
    "fail": "default",
    "org.apache.kafka.streams.errors.DefaultProductionExceptionHandler": "default",
})
_PROCESSING_HANDLERS = _Choices(get_args(ProcessingHandlerName), allow_callable=True, aliases={
    "org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler": "log_and_fail",
    "org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler": "log_and_continue",
})
_TIMESTAMP_EXTRACTORS = _Choices(get_args(TimestampExtractorName), allow_callable=True, aliases={
    "org.apache.kafka.streams.processor.FailOnInvalidTimestamp": "fail_on_invalid",
    "org.apache.kafka.streams.processor.LogAndSkipOnInvalidTimestamp": "log_and_skip_on_invalid",
    "org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp":
        "use_partition_time_on_invalid",
    "org.apache.kafka.streams.processor.WallclockTimestampExtractor": "wall_clock",
})

_DEFINITIONS: tuple[ConfigKey, ...] = (
    # high
    ConfigKey(APPLICATION_ID_CONFIG, "string", None, "high",
              "Name of the application: the consumer group, and the prefix of internal topics "
              "and state directories.",
              _Check(_check_application_id, "letters, digits, '.', '_', '-'"), required=True),
    ConfigKey(BOOTSTRAP_SERVERS_CONFIG, "servers", None, "high",
              "Kafka brokers as 'host:port,...'; None starts raystreams' embedded broker.",
              _Check(_check_servers, "'host:port,...' or None")),
    ConfigKey(NUM_STANDBY_REPLICAS_CONFIG, "int", 0, "high",
              "Standby replicas kept for each task's state.", _Range(0)),
    ConfigKey(STATE_DIR_CONFIG, "path", os.path.join(tempfile.gettempdir(), "raystreams"), "high",
              "Directory under which each task keeps its state stores."),
    # medium
    ConfigKey(STATESTORE_CACHE_MAX_BYTES_CONFIG, "long", 10 * 1024 * 1024, "medium",
              "Bytes of record cache shared by the state stores of a thread; 0 disables caching.",
              _Range(0)),
    ConfigKey(CACHE_MAX_BYTES_BUFFERING_CONFIG, "long", 10 * 1024 * 1024, "medium",
              "Deprecated name of statestore.cache.max.bytes.", _Range(0),
              alias_of=STATESTORE_CACHE_MAX_BYTES_CONFIG),
    ConfigKey(CLIENT_ID_CONFIG, "string", "", "medium",
              "Prefix of the Kafka clients' client.id; empty means the application.id."),
    ConfigKey(DEFAULT_KEY_SERDE_CLASS_CONFIG, "serde", Serdes.String(), "medium",
              "Serde for record keys where none is given."),
    ConfigKey(DEFAULT_VALUE_SERDE_CLASS_CONFIG, "serde", Serdes.String(), "medium",
              "Serde for record values where none is given."),
    ConfigKey(DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, "handler", "log_and_fail", "medium",
              "What to do with an input record that cannot be deserialized.",
              _DESERIALIZATION_HANDLERS),
    ConfigKey(DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, "handler", "log_and_fail",
              "medium", "Deprecated name of deserialization.exception.handler.",
              _DESERIALIZATION_HANDLERS, alias_of=DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG),
    ConfigKey(PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, "handler", "default", "medium",
              "What to do when a record cannot be produced: 'default' fails, 'continue' skips it.",
              _PRODUCTION_HANDLERS),
    ConfigKey(DEFAULT_PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, "handler", "default", "medium",
              "Deprecated name of production.exception.handler.",
              _PRODUCTION_HANDLERS, alias_of=PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG),
    ConfigKey(PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, "handler", "log_and_fail", "medium",
              "What to do when a processor raises while processing a record.",
              _PROCESSING_HANDLERS),
    ConfigKey(ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "string", None, "medium",
              "Topic that the exception handlers send failed records to; None sends none.",
              _Check(_check_topic_name, "a legal topic name or None")),
    ConfigKey(DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, "handler", "fail_on_invalid", "medium",
              "How to get a record's timestamp; the default uses the record's own and fails on "
              "negative ones.", _TIMESTAMP_EXTRACTORS),
    ConfigKey(MAX_TASK_IDLE_MS_CONFIG, "duration", 0, "medium",
              "How long a task waits for data on all its inputs before processing the ones it "
              "has; -1 never waits.", _Range(-1)),
    ConfigKey(NUM_STREAM_THREADS_CONFIG, "int", 1, "medium",
              "Threads per application instance that run stream tasks.", _Range(1)),
    ConfigKey(PROCESSING_GUARANTEE_CONFIG, "string", AT_LEAST_ONCE, "medium",
              "Processing guarantee: 'at_least_once' or 'exactly_once_v2' (transactions).",
              _Choices(get_args(ProcessingGuarantee), removed={
                  "exactly_once": "it was removed in Kafka Streams 4.0; use 'exactly_once_v2' instead",
                  "exactly_once_beta": "it was renamed; use 'exactly_once_v2' instead",
              })),
    ConfigKey(REPLICATION_FACTOR_CONFIG, "int", -1, "medium",
              "Replication factor of internal topics; -1 uses the broker's default.",
              _Check(_check_replication_factor, "-1 or at least 1")),
    ConfigKey(SECURITY_PROTOCOL_CONFIG, "string", "PLAINTEXT", "medium",
              "Protocol used to talk to the brokers, passed to every client.",
              _Choices(get_args(SecurityProtocol), case_insensitive=True)),
    ConfigKey(TASK_TIMEOUT_MS_CONFIG, "duration", 300_000, "medium",
              "How long a task may keep failing on timeouts before the error is raised.",
              _Range(0)),
    ConfigKey(TOPOLOGY_OPTIMIZATION_CONFIG, "string", NO_OPTIMIZATION, "medium",
              "Topology optimizations to apply: 'none', 'all' or a list of single ones.",
              _Optimization()),
    ConfigKey(AUTO_OFFSET_RESET_CONFIG, "string", "earliest", "medium",
              "Where to start reading a partition with no committed offset.",
              _Choices(get_args(AutoOffsetReset), case_insensitive=True)),
    # low
    ConfigKey(APPLICATION_SERVER_CONFIG, "string", "", "low",
              "host:port this instance serves interactive queries on; empty for none.",
              _Check(_check_application_server, "'host:port' or ''")),
    ConfigKey(BUFFERED_RECORDS_PER_PARTITION_CONFIG, "int", 1000, "low",
              "Maximum records buffered per input partition before fetching pauses.", _Range(1)),
    ConfigKey(COMMIT_INTERVAL_MS_CONFIG, "duration", DEFAULT_COMMIT_INTERVAL_MS, "low",
              "How often tasks commit; defaults to 100 under exactly_once_v2, else 30000.",
              _Range(0)),
    ConfigKey(DEFAULT_DSL_STORE_CONFIG, "string", ROCKS_DB, "low",
              "Store type of the DSL's stores: 'rocksDB' (persistent) or 'in_memory'.",
              _Choices(get_args(DslStore))),
    ConfigKey(METRICS_RECORDING_LEVEL_CONFIG, "string", "INFO", "low",
              "Highest level of metrics recorded.",
              _Choices(get_args(MetricsRecordingLevel), case_insensitive=True)),
    ConfigKey(POLL_MS_CONFIG, "duration", 100, "low",
              "How long a poll for input records blocks.", _Range(0)),
    ConfigKey(UPGRADE_FROM_CONFIG, "string", None, "low",
              "Version upgraded from during a rolling upgrade; None otherwise.",
              _Choices((None, *UPGRADE_FROM_VERSIONS))),
    ConfigKey(WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG, "duration", 86_400_000, "low",
              "Retention added to a window store's changelog beyond the window's own.", _Range(0)),
    ConfigKey(EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION, "duration", 1000, "low",
              "Internal: at most one emit-on-window-close check per this much wall-clock time.",
              _Range(0)),
    ConfigKey(EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX, "duration", 1000, "low",
              "Internal: at most one check for closed outer-join windows per this much wall-clock "
              "time.", _Range(0)),
    # raystreams
    ConfigKey(TASK_MAX_RESTARTS_CONFIG, "int", 5, "medium",
              "raystreams: restarts of a failed task actor allowed within task.restart.window.ms "
              "before the application fails.", _Range(0), raystreams_only=True),
    ConfigKey(TASK_RESTART_WINDOW_MS_CONFIG, "duration", 60_000, "low",
              "raystreams: window over which task.max.restarts is counted.", _Range(1),
              raystreams_only=True),
    ConfigKey(TASK_NUM_CPUS_CONFIG, "double", 0.25, "medium",
              "raystreams: CPUs Ray reserves for each task actor.", _Range(0), raystreams_only=True),
    ConfigKey(RAY_ADDRESS_CONFIG, "string", None, "high",
              "raystreams: address of the Ray cluster to join; None starts a local Ray.",
              raystreams_only=True),
    ConfigKey(RAY_NAMESPACE_CONFIG, "string", "raystreams", "low",
              "raystreams: Ray namespace of the application's actors.",
              _Check(_check_not_empty, "a non-empty string"), raystreams_only=True),
    ConfigKey(INSPECTOR_PORT_CONFIG, "int", 8501, "low",
              "raystreams: port of the Streamlit inspector.", _Range(0, 65535), raystreams_only=True),
)

_BY_NAME: dict[str, ConfigKey] = {d.name: d for d in _DEFINITIONS}
# new name -> deprecated names
_ALIASES: dict[str, tuple[str, ...]] = {}
for _d in _DEFINITIONS:
    if _d.alias_of is not None:
        _ALIASES[_d.alias_of] = (*_ALIASES.get(_d.alias_of, ()), _d.name)
del _d


def _missing(key: str) -> ConfigException:
    example = {APPLICATION_ID_CONFIG: "wordcount"} if key == APPLICATION_ID_CONFIG else {key: "..."}
    return ConfigException(key, f"Missing required config '{key}', which has no default: "
                                f"set it, e.g. {example!r}.")


def _prefix_of(key: str) -> str | None:
    for prefix in _CLIENT_PREFIXES:
        if key.startswith(prefix):
            return prefix
    return None


def _unknown_key(key: str) -> ConfigException:
    if key in _CLIENT_KEYS:
        prefix = "producer." if key in _PRODUCER_ONLY_KEYS else "consumer."
        return ConfigException(
            key, f"Unknown config '{key}': it is a Kafka client setting; give it a client prefix "
                 "('consumer.', 'producer.', 'admin.', 'main.consumer.', 'restore.consumer.', "
                 "'global.consumer.').", suggestion=prefix + key)
    candidates = list(_BY_NAME)
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    return ConfigException(key, f"Unknown config '{key}'.", suggestion=close[0] if close else None)


def _mask(key: str, value: Any) -> Any:
    return "***" if any(m in key.lower() for m in _SECRET_MARKERS) else value


def _librdkafka_offset_reset(value: str) -> str:
    # librdkafka spells Java's "none" (raise when there is no offset) as "error".
    return "error" if value == "none" else value


class StreamsConfig:
    """The validated config of a raystreams application (Kafka Streams' ``StreamsConfig``).

    Built from a dict with Kafka Streams' key names. ``config[key]`` gives the effective value
    (the set value, else the default); durations are int ms. Keys under ``consumer.``,
    ``producer.``, ``admin.``, ``main.consumer.``, ``restore.consumer.``, ``global.consumer.``
    and ``topic.`` pass through to the Kafka clients (and internal topics) untouched.

    Args:
        props: The settings, or another StreamsConfig to copy.

    Raises:
        ConfigException: A key is unknown, a value is not allowed, or application.id is missing.

    Example:
        >>> config = StreamsConfig({"application.id": "wordcount", "processing.guarantee": "exactly_once_v2"})
        >>> config["commit.interval.ms"]
        100
    """

    __slots__ = ("_originals", "_values", "_passthrough")

    # Kafka's StreamsConfig constants, reachable as StreamsConfig.APPLICATION_ID_CONFIG too.
    APPLICATION_ID_CONFIG = APPLICATION_ID_CONFIG
    APPLICATION_SERVER_CONFIG = APPLICATION_SERVER_CONFIG
    AUTO_OFFSET_RESET_CONFIG = AUTO_OFFSET_RESET_CONFIG
    BOOTSTRAP_SERVERS_CONFIG = BOOTSTRAP_SERVERS_CONFIG
    BUFFERED_RECORDS_PER_PARTITION_CONFIG = BUFFERED_RECORDS_PER_PARTITION_CONFIG
    CACHE_MAX_BYTES_BUFFERING_CONFIG = CACHE_MAX_BYTES_BUFFERING_CONFIG
    CLIENT_ID_CONFIG = CLIENT_ID_CONFIG
    COMMIT_INTERVAL_MS_CONFIG = COMMIT_INTERVAL_MS_CONFIG
    DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG = DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG
    DEFAULT_DSL_STORE_CONFIG = DEFAULT_DSL_STORE_CONFIG
    DEFAULT_KEY_SERDE_CLASS_CONFIG = DEFAULT_KEY_SERDE_CLASS_CONFIG
    DEFAULT_PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG = DEFAULT_PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG
    DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG = DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG
    DEFAULT_VALUE_SERDE_CLASS_CONFIG = DEFAULT_VALUE_SERDE_CLASS_CONFIG
    DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG = DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG = ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
    MAX_TASK_IDLE_MS_CONFIG = MAX_TASK_IDLE_MS_CONFIG
    METRICS_RECORDING_LEVEL_CONFIG = METRICS_RECORDING_LEVEL_CONFIG
    NUM_STANDBY_REPLICAS_CONFIG = NUM_STANDBY_REPLICAS_CONFIG
    NUM_STREAM_THREADS_CONFIG = NUM_STREAM_THREADS_CONFIG
    POLL_MS_CONFIG = POLL_MS_CONFIG
    PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG = PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG
    PROCESSING_GUARANTEE_CONFIG = PROCESSING_GUARANTEE_CONFIG
    PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG = PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG
    REPLICATION_FACTOR_CONFIG = REPLICATION_FACTOR_CONFIG
    SECURITY_PROTOCOL_CONFIG = SECURITY_PROTOCOL_CONFIG
    STATE_DIR_CONFIG = STATE_DIR_CONFIG
    STATESTORE_CACHE_MAX_BYTES_CONFIG = STATESTORE_CACHE_MAX_BYTES_CONFIG
    TASK_TIMEOUT_MS_CONFIG = TASK_TIMEOUT_MS_CONFIG
    TOPOLOGY_OPTIMIZATION_CONFIG = TOPOLOGY_OPTIMIZATION_CONFIG
    UPGRADE_FROM_CONFIG = UPGRADE_FROM_CONFIG
    WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG = WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG
    TASK_MAX_RESTARTS_CONFIG = TASK_MAX_RESTARTS_CONFIG
    TASK_RESTART_WINDOW_MS_CONFIG = TASK_RESTART_WINDOW_MS_CONFIG
    TASK_NUM_CPUS_CONFIG = TASK_NUM_CPUS_CONFIG
    RAY_ADDRESS_CONFIG = RAY_ADDRESS_CONFIG
    RAY_NAMESPACE_CONFIG = RAY_NAMESPACE_CONFIG
    INSPECTOR_PORT_CONFIG = INSPECTOR_PORT_CONFIG
    AT_LEAST_ONCE = AT_LEAST_ONCE
    EXACTLY_ONCE_V2 = EXACTLY_ONCE_V2
    NO_OPTIMIZATION = NO_OPTIMIZATION
    OPTIMIZE = OPTIMIZE
    REUSE_KTABLE_SOURCE_TOPICS = REUSE_KTABLE_SOURCE_TOPICS
    MERGE_REPARTITION_TOPICS = MERGE_REPARTITION_TOPICS
    SINGLE_STORE_SELF_JOIN = SINGLE_STORE_SELF_JOIN
    ROCKS_DB = ROCKS_DB
    IN_MEMORY = IN_MEMORY
    CONSUMER_PREFIX = CONSUMER_PREFIX
    MAIN_CONSUMER_PREFIX = MAIN_CONSUMER_PREFIX
    RESTORE_CONSUMER_PREFIX = RESTORE_CONSUMER_PREFIX
    GLOBAL_CONSUMER_PREFIX = GLOBAL_CONSUMER_PREFIX
    PRODUCER_PREFIX = PRODUCER_PREFIX
    ADMIN_CLIENT_PREFIX = ADMIN_CLIENT_PREFIX
    TOPIC_PREFIX = TOPIC_PREFIX

    def __init__(self, props: Mapping[str, Any] | StreamsConfig) -> None:
        if isinstance(props, StreamsConfig):
            originals: dict[str, Any] = props.originals()
        elif isinstance(props, Mapping):
            originals = dict(props)
        else:
            raise TypeError(f"StreamsConfig needs a mapping of config keys, got {type(props).__name__}")
        values: dict[str, Any] = {}
        passthrough: dict[str, Any] = {}
        for key, raw in originals.items():
            if not isinstance(key, str):
                raise ConfigException(str(key), f"Config keys must be strings, got {key!r}.")
            definition = _BY_NAME.get(key)
            if definition is not None:
                values[key] = definition.parse(raw)
                continue
            prefix = _prefix_of(key)
            if prefix is None:
                raise _unknown_key(key)
            if key == prefix:
                raise ConfigException(key, f"Config '{key}' names no client setting after the prefix.")
            passthrough[key] = raw
        for definition in _DEFINITIONS:
            if definition.required and values.get(definition.name) is None:
                raise _missing(definition.name)
        self._resolve_aliases(values)
        effective = {d.name: d.default for d in _DEFINITIONS}
        effective.update(values)
        for new, olds in _ALIASES.items():
            for old in olds:
                effective[old] = effective[new]
        if (effective[PROCESSING_GUARANTEE_CONFIG] == EXACTLY_ONCE_V2
                and COMMIT_INTERVAL_MS_CONFIG not in values):
            effective[COMMIT_INTERVAL_MS_CONFIG] = EOS_DEFAULT_COMMIT_INTERVAL_MS
        self._originals = originals
        self._values = effective
        self._passthrough = passthrough

    @staticmethod
    def _resolve_aliases(values: dict[str, Any]) -> None:
        for new, olds in _ALIASES.items():
            for old in olds:
                if old not in values:
                    continue
                if new in values:
                    if values[new] != values[old]:
                        logger.warning("Both '%s' and its deprecated name '%s' are set; using '%s'.",
                                       new, old, new)
                else:
                    logger.warning("Config '%s' is deprecated; use '%s' instead.", old, new)
                    values[new] = values[old]

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def of(cls, config: Mapping[str, Any] | StreamsConfig) -> StreamsConfig:
        """Return ``config`` itself if it is a StreamsConfig, else a new one built from it."""
        if isinstance(config, StreamsConfig):
            return config
        return cls(config)

    def with_overrides(self, overrides: Mapping[str, Any] | None = None, /,
                       **kwargs: Any) -> StreamsConfig:
        """A new, validated config with some keys replaced.

        Keyword names may use ``_`` for ``.``: ``with_overrides(commit_interval_ms=0)``.
        """
        merged = dict(self._originals)
        if overrides:
            merged.update(overrides)
        for name, value in kwargs.items():
            key = name if name in _BY_NAME or "." in name else name.replace("_", ".")
            merged[key] = value
        return StreamsConfig(merged)

    # --- reading ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        if key in self._passthrough:
            return self._passthrough[key]
        if _prefix_of(key) is not None:
            raise KeyError(key)
        raise _unknown_key(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The effective value of a defined key; for a client key, its value or ``default``."""
        if key in self._values:
            return self._values[key]
        if _prefix_of(key) is not None:
            return self._passthrough.get(key, default)
        raise _unknown_key(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values or key in self._passthrough

    def originals(self) -> dict[str, Any]:
        """The settings as the user gave them (a copy)."""
        return dict(self._originals)

    def is_set(self, key: str) -> bool:
        """Whether the user set ``key`` (or a deprecated name of the same setting)."""
        if key in self._originals:
            return True
        definition = _BY_NAME.get(key)
        if definition is None:
            if _prefix_of(key) is None:
                raise _unknown_key(key)
            return False
        new = definition.alias_of or key
        return new in self._originals or any(o in self._originals for o in _ALIASES.get(new, ()))

    def to_dict(self) -> dict[str, Any]:
        """Every defined key's effective value, plus the client keys that were set."""
        return {**self._values, **self._passthrough}

    @property
    def application_id(self) -> str:
        """The ``application.id``."""
        return self._values[APPLICATION_ID_CONFIG]

    @property
    def exactly_once(self) -> bool:
        """Whether ``processing.guarantee`` is ``exactly_once_v2``."""
        return self._values[PROCESSING_GUARANTEE_CONFIG] == EXACTLY_ONCE_V2

    def default_key_serde(self) -> Serde[Any]:
        """The serde of ``default.key.serde`` (Kafka's ``defaultKeySerde()``)."""
        return self._values[DEFAULT_KEY_SERDE_CLASS_CONFIG]

    def default_value_serde(self) -> Serde[Any]:
        """The serde of ``default.value.serde`` (Kafka's ``defaultValueSerde()``)."""
        return self._values[DEFAULT_VALUE_SERDE_CLASS_CONFIG]

    # --- client configs --------------------------------------------------------------------

    def _client_id(self, client_id: str | None) -> str:
        return client_id or self._values[CLIENT_ID_CONFIG] or self._values[APPLICATION_ID_CONFIG]

    def _with_prefix(self, prefix: str) -> dict[str, Any]:
        n = len(prefix)
        return {k[n:]: v for k, v in self._passthrough.items() if k.startswith(prefix)}

    def _shared_client_configs(self) -> dict[str, Any]:
        shared: dict[str, Any] = {SECURITY_PROTOCOL_CONFIG: self._values[SECURITY_PROTOCOL_CONFIG]}
        for key, value in self._passthrough.items():
            if key.startswith(_SHARED_CLIENT_PREFIXES):
                shared[key] = value
        return shared

    def _force(self, props: dict[str, Any], key: str, value: Any, why: str) -> None:
        if key in props and props[key] != value:
            logger.warning("Ignoring client config %s=%r: %s; using %r.", key, props[key], why, value)
        props[key] = value

    def _add_bootstrap(self, props: dict[str, Any]) -> None:
        servers = self._values[BOOTSTRAP_SERVERS_CONFIG]
        if servers is not None:
            props[BOOTSTRAP_SERVERS_CONFIG] = servers

    def consumer_configs(self, kind: ConsumerKind = "main", *,
                         client_id: str | None = None) -> dict[str, Any]:
        """The confluent-kafka config of a consumer (Kafka's ``getMainConsumerConfigs`` etc.).

        Precedence, lowest first: Kafka Streams' consumer defaults, shared client settings
        (``security.protocol``, ``sasl.*``, ``ssl.*``), ``consumer.*``, then
        ``main.consumer.*`` / ``restore.consumer.*`` / ``global.consumer.*``. ``group.id`` is
        the application.id for the main consumer (offsets are committed there); restore and
        global consumers get a group of their own that never commits, and fail on a missing
        offset instead of resetting. ``bootstrap.servers`` is included when set.

        Args:
            kind: Which consumer: ``"main"``, ``"restore"`` or ``"global"``.
            client_id: Base of the client.id; default client.id or else application.id.
        """
        specific = {"main": MAIN_CONSUMER_PREFIX, "restore": RESTORE_CONSUMER_PREFIX,
                    "global": GLOBAL_CONSUMER_PREFIX}
        if kind not in specific:
            raise ValueError(f"consumer kind must be one of {', '.join(specific)}, got {kind!r}")
        eos = self.exactly_once
        props: dict[str, Any] = {
            "enable.auto.commit": False,
            "auto.offset.reset": _librdkafka_offset_reset(self._values[AUTO_OFFSET_RESET_CONFIG]),
            # Java's consumer default; librdkafka's own default is read_committed.
            "isolation.level": "read_committed" if eos else "read_uncommitted",
        }
        props.update(self._shared_client_configs())
        props.update(self._with_prefix(CONSUMER_PREFIX))
        props.update(self._with_prefix(specific[kind]))
        if "auto.offset.reset" in props and isinstance(props["auto.offset.reset"], str):
            props["auto.offset.reset"] = _librdkafka_offset_reset(props["auto.offset.reset"])
        self._force(props, "enable.auto.commit", False, "Kafka Streams commits offsets itself")
        if eos:
            self._force(props, "isolation.level", "read_committed",
                        "exactly_once_v2 reads only committed records")
        base = self._client_id(client_id)
        app = self._values[APPLICATION_ID_CONFIG]
        if kind == "main":
            self._force(props, "group.id", app, "offsets are committed under the application.id")
            props["client.id"] = f"{base}-consumer"
        else:
            # confluent-kafka needs a group.id even for assign()-only consumers.
            props["group.id"] = f"{app}-{kind}-consumer"
            props["client.id"] = f"{base}-{kind}-consumer"
            props["auto.offset.reset"] = "error"
        self._add_bootstrap(props)
        return props

    def producer_configs(self, *, client_id: str | None = None,
                         transactional_id: str | None = None) -> dict[str, Any]:
        """The confluent-kafka config of a producer (Kafka's ``getProducerConfigs``).

        Precedence, lowest first: Kafka Streams' producer defaults (``linger.ms`` 100; under
        exactly_once_v2 also idempotence and ``transaction.timeout.ms`` 10000), shared client
        settings, then ``producer.*``. Under exactly_once_v2 idempotence is forced on.

        Args:
            client_id: Base of the client.id; default client.id or else application.id.
            transactional_id: The task's ``transactional.id`` (``<application.id>-<task_id>``);
                only allowed under exactly_once_v2.
        """
        eos = self.exactly_once
        props: dict[str, Any] = {"linger.ms": 100}
        if eos:
            props.update({"enable.idempotence": True, "transaction.timeout.ms": 10_000})
        props.update(self._shared_client_configs())
        props.update(self._with_prefix(PRODUCER_PREFIX))
        if eos:
            self._force(props, "enable.idempotence", True, "exactly_once_v2 needs idempotence")
        if transactional_id is not None:
            if not eos:
                raise ValueError("a transactional.id is only used under processing.guarantee="
                                 f"exactly_once_v2, but it is {self._values[PROCESSING_GUARANTEE_CONFIG]!r}")
            props["transactional.id"] = transactional_id
        else:
            props.pop("transactional.id", None)
        props["client.id"] = f"{self._client_id(client_id)}-producer"
        self._add_bootstrap(props)
        return props

    def admin_configs(self, *, client_id: str | None = None) -> dict[str, Any]:
        """The confluent-kafka config of an admin client (Kafka's ``getAdminConfigs``).

        Precedence, lowest first: shared client settings, then ``admin.*``.
        """
        props = self._shared_client_configs()
        props.update(self._with_prefix(ADMIN_CLIENT_PREFIX))
        props["client.id"] = f"{self._client_id(client_id)}-admin"
        self._add_bootstrap(props)
        return props

    def topic_configs(self) -> dict[str, Any]:
        """The ``topic.*`` settings, prefix stripped, for creating internal topics."""
        return self._with_prefix(TOPIC_PREFIX)

    # --- prefixes (Kafka's consumerPrefix() etc.) ------------------------------------------

    @staticmethod
    def consumer_prefix(name: str) -> str:
        """``"consumer." + name``."""
        return CONSUMER_PREFIX + name

    @staticmethod
    def main_consumer_prefix(name: str) -> str:
        """``"main.consumer." + name``."""
        return MAIN_CONSUMER_PREFIX + name

    @staticmethod
    def restore_consumer_prefix(name: str) -> str:
        """``"restore.consumer." + name``."""
        return RESTORE_CONSUMER_PREFIX + name

    @staticmethod
    def global_consumer_prefix(name: str) -> str:
        """``"global.consumer." + name``."""
        return GLOBAL_CONSUMER_PREFIX + name

    @staticmethod
    def producer_prefix(name: str) -> str:
        """``"producer." + name``."""
        return PRODUCER_PREFIX + name

    @staticmethod
    def admin_client_prefix(name: str) -> str:
        """``"admin." + name``."""
        return ADMIN_CLIENT_PREFIX + name

    @staticmethod
    def topic_prefix(name: str) -> str:
        """``"topic." + name``."""
        return TOPIC_PREFIX + name

    # --- definitions -----------------------------------------------------------------------

    @staticmethod
    def keys() -> tuple[ConfigKey, ...]:
        """The definitions of every key, in definition order."""
        return _DEFINITIONS

    @staticmethod
    def describe_keys() -> str:
        """A Markdown table of every key: name, type, default, valid values, importance, doc."""
        order = {"high": 0, "medium": 1, "low": 2}
        rows = ["| Key | Type | Default | Valid values | Importance | Description |",
                "|---|---|---|---|---|---|"]
        for d in sorted(_DEFINITIONS, key=lambda d: (order[d.importance], d.name)):
            default = "(required)" if d.required else repr(d.default)
            cells = [f"`{d.name}`", d.type, default, d.describe_valid_values(), d.importance, d.doc]
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(rows) + "\n"

    # --- dunder ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StreamsConfig):
            return self._originals == other._originals
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = {k: _mask(k, v) for k, v in self._originals.items()}
        return f"StreamsConfig({shown!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"_originals": self._originals, "_values": self._values,
                "_passthrough": self._passthrough}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Restore without validating again, so deprecation warnings are not logged per actor.
        self._originals = state["_originals"]
        self._values = state["_values"]
        self._passthrough = state["_passthrough"]
