"""The config key definitions (Kafka's ``ConfigDef``): each key's type, default, importance,
doc and validator, once."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import Any, get_args

from raystreams.config.keys import (
    APPLICATION_ID_CONFIG,
    APPLICATION_SERVER_CONFIG,
    AT_LEAST_ONCE,
    AUTO_OFFSET_RESET_CONFIG,
    BOOTSTRAP_SERVERS_CONFIG,
    BROKER_CONNECT_TIMEOUT_MS_CONFIG,
    BUFFERED_RECORDS_PER_PARTITION_CONFIG,
    CACHE_MAX_BYTES_BUFFERING_CONFIG,
    CLIENT_ID_CONFIG,
    COMMIT_INTERVAL_MS_CONFIG,
    DEFAULT_COMMIT_INTERVAL_MS,
    DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
    DEFAULT_DSL_STORE_CONFIG,
    DEFAULT_KEY_SERDE_CLASS_CONFIG,
    DEFAULT_PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
    DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG,
    DEFAULT_VALUE_SERDE_CLASS_CONFIG,
    DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
    EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX,
    EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION,
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
    INSPECTOR_PORT_CONFIG,
    MAX_TASK_IDLE_MS_CONFIG,
    METRICS_RECORDING_LEVEL_CONFIG,
    NO_OPTIMIZATION,
    NUM_STANDBY_REPLICAS_CONFIG,
    NUM_STREAM_THREADS_CONFIG,
    POLL_MS_CONFIG,
    PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
    PROCESSING_GUARANTEE_CONFIG,
    PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
    RAY_ADDRESS_CONFIG,
    RAY_NAMESPACE_CONFIG,
    REPLICATION_FACTOR_CONFIG,
    ROCKS_DB,
    ROCKSDB_CONFIG_SETTER_CLASS_CONFIG,
    SECURITY_PROTOCOL_CONFIG,
    STATE_DIR_CONFIG,
    STATE_SHIPPING_CHUNK_MAX_BYTES_CONFIG,
    STATESTORE_CACHE_MAX_BYTES_CONFIG,
    TASK_MAX_RESTARTS_CONFIG,
    TASK_NUM_CPUS_CONFIG,
    TASK_RESTART_WINDOW_MS_CONFIG,
    TASK_TIMEOUT_MS_CONFIG,
    TOPOLOGY_OPTIMIZATION_CONFIG,
    UPGRADE_FROM_CONFIG,
    UPGRADE_FROM_VERSIONS,
    WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG,
    AutoOffsetReset,
    ConfigType,
    DeserializationHandlerName,
    DslStore,
    Importance,
    MetricsRecordingLevel,
    ProcessingGuarantee,
    ProcessingHandlerName,
    ProductionHandlerName,
    SecurityProtocol,
    TimestampExtractorName,
)
from raystreams.config.validators import (
    _PARSERS,
    _bad_value,
    _Check,
    _check_application_id,
    _check_application_server,
    _check_config_setter,
    _check_not_empty,
    _check_replication_factor,
    _check_servers,
    _check_topic_name,
    _Choices,
    _missing,
    _Optimization,
    _Range,
)
from raystreams.serde import Serdes

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
    ConfigKey(ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, "handler", None, "low",
              "Tunes each RocksDB store's options: a callable (store_name, options, config) "
              "or an object with set_config(store_name, options, config).",
              _Check(_check_config_setter, "a callable or an object with set_config")),
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
    ConfigKey(BROKER_CONNECT_TIMEOUT_MS_CONFIG, "duration", 10_000, "medium",
              "raystreams: how long start() waits for bootstrap.servers to answer before it "
              "fails naming the address.", _Range(1), raystreams_only=True),
    ConfigKey(TASK_RESTART_WINDOW_MS_CONFIG, "duration", 60_000, "low",
              "raystreams: window over which task.max.restarts is counted.", _Range(1),
              raystreams_only=True),
    ConfigKey(TASK_NUM_CPUS_CONFIG, "double", 0.25, "medium",
              "raystreams: CPUs Ray reserves for each task actor.", _Range(0), raystreams_only=True),
    ConfigKey(STATE_SHIPPING_CHUNK_MAX_BYTES_CONFIG, "long", 8 * 1024 * 1024, "low",
              "raystreams: largest object a planned task move puts in Ray's object store when it "
              "ships the task's state to the new node.", _Range(1), raystreams_only=True),
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
