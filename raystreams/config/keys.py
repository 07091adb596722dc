"""The config key names, value constants, choice types and client prefixes (Kafka's
``StreamsConfig`` constants): each key named once, here."""

from __future__ import annotations

from typing import Literal

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
# Kafka's ROCKSDB_CONFIG_SETTER_CLASS_CONFIG: tunes each RocksDB store's options.
ROCKSDB_CONFIG_SETTER_CLASS_CONFIG = "rocksdb.config.setter"
# raystreams' own keys
TASK_MAX_RESTARTS_CONFIG = "task.max.restarts"
TASK_RESTART_WINDOW_MS_CONFIG = "task.restart.window.ms"
TASK_NUM_CPUS_CONFIG = "task.num.cpus"
STATE_SHIPPING_CHUNK_MAX_BYTES_CONFIG = "state.shipping.chunk.max.bytes"
RAY_ADDRESS_CONFIG = "ray.address"
RAY_NAMESPACE_CONFIG = "ray.namespace"
INSPECTOR_PORT_CONFIG = "inspector.port"
BROKER_CONNECT_TIMEOUT_MS_CONFIG = "broker.connect.timeout.ms"

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
