"""StreamsConfig: defaults (Kafka Streams 4.4's), validation messages, aliases, client configs."""

import logging
import os
import pickle
import tempfile
from datetime import timedelta

import pytest

from raystreams import config as cfg
from raystreams.config import ConfigKey, StreamsConfig
from raystreams.errors import ConfigException
from raystreams.serde import LongSerde, Serdes

APP = {"application.id": "app"}
DEFINITIONS = StreamsConfig.keys()


def make(**extra):
    return StreamsConfig({**APP, **{k.replace("_", "."): v for k, v in extra.items()}})


# --- defaults -------------------------------------------------------------------------------

def test_defaults():
    c = StreamsConfig(APP)
    expected = {
        "application.id": "app",
        "bootstrap.servers": None,
        "processing.guarantee": "at_least_once",
        "commit.interval.ms": 30000,
        "state.dir": os.path.join(tempfile.gettempdir(), "raystreams"),
        "num.standby.replicas": 0,
        "num.stream.threads": 1,
        "statestore.cache.max.bytes": 10485760,
        "cache.max.bytes.buffering": 10485760,
        "max.task.idle.ms": 0,
        "deserialization.exception.handler": "log_and_fail",
        "default.deserialization.exception.handler": "log_and_fail",
        "production.exception.handler": "default",
        "default.production.exception.handler": "default",
        "processing.exception.handler": "log_and_fail",
        "errors.dead.letter.queue.topic.name": None,
        "default.timestamp.extractor": "fail_on_invalid",
        "replication.factor": -1,
        "topology.optimization": "none",
        "auto.offset.reset": "earliest",
        "buffered.records.per.partition": 1000,
        "poll.ms": 100,
        "client.id": "",
        "application.server": "",
        "metrics.recording.level": "INFO",
        "task.timeout.ms": 300000,
        "windowstore.changelog.additional.retention.ms": 86400000,
        "upgrade.from": None,
        "default.dsl.store": "rocksDB",
        "security.protocol": "PLAINTEXT",
        "task.max.restarts": 5,
        "task.restart.window.ms": 60000,
        "task.num.cpus": 0.25,
        "ray.address": None,
        "ray.namespace": "raystreams",
        "inspector.port": 8501,
    }
    for key, value in expected.items():
        assert c[key] == value, key
        assert c.get(key) == value, key
    assert c.default_key_serde() == Serdes.String()
    assert c.default_value_serde() == Serdes.String()
    assert c["default.key.serde"] == Serdes.String()
    assert set(c.to_dict()) == {d.name for d in DEFINITIONS}
    assert c.exactly_once is False
    assert c.application_id == "app"


def test_every_key_is_defined_once():
    names = [d.name for d in DEFINITIONS]
    assert len(names) == len(set(names))
    assert all(isinstance(d, ConfigKey) and d.doc and d.importance in ("high", "medium", "low")
               for d in DEFINITIONS)


def test_raystreams_keys_are_marked():
    own = {d.name for d in DEFINITIONS if d.raystreams_only}
    assert own == {"task.max.restarts", "task.restart.window.ms", "task.num.cpus", "ray.address",
                   "ray.namespace", "inspector.port", "state.shipping.chunk.max.bytes",
                   "broker.connect.timeout.ms"}
    for d in DEFINITIONS:
        assert d.doc.startswith("raystreams: ") is d.raystreams_only, d.name


def test_constants_match_kafka_names():
    assert cfg.APPLICATION_ID_CONFIG == "application.id"
    assert cfg.BOOTSTRAP_SERVERS_CONFIG == "bootstrap.servers"
    assert cfg.PROCESSING_GUARANTEE_CONFIG == "processing.guarantee"
    assert cfg.COMMIT_INTERVAL_MS_CONFIG == "commit.interval.ms"
    assert cfg.STATESTORE_CACHE_MAX_BYTES_CONFIG == "statestore.cache.max.bytes"
    assert cfg.DEFAULT_KEY_SERDE_CLASS_CONFIG == "default.key.serde"
    assert cfg.EXACTLY_ONCE_V2 == "exactly_once_v2"
    # each key is named once, as a module constant (not again on the class)
    assert not hasattr(StreamsConfig, "APPLICATION_ID_CONFIG")
    assert StreamsConfig.consumer_prefix("max.poll.records") == "consumer.max.poll.records"
    assert StreamsConfig.main_consumer_prefix("x") == "main.consumer.x"
    assert StreamsConfig.restore_consumer_prefix("x") == "restore.consumer.x"
    assert StreamsConfig.global_consumer_prefix("x") == "global.consumer.x"
    assert StreamsConfig.producer_prefix("x") == "producer.x"
    assert StreamsConfig.admin_client_prefix("x") == "admin.x"
    assert StreamsConfig.topic_prefix("x") == "topic.x"


def test_literal_aliases_list_the_choices():
    from typing import get_args
    assert get_args(cfg.ProcessingGuarantee) == ("at_least_once", "exactly_once_v2")
    assert get_args(cfg.AutoOffsetReset) == ("earliest", "latest", "none")


# --- commit interval under exactly-once -----------------------------------------------------

def test_commit_interval_is_100_under_eos_unless_set():
    eos = make(processing_guarantee="exactly_once_v2")
    assert eos["commit.interval.ms"] == 100
    assert eos.exactly_once is True
    assert eos.is_set("commit.interval.ms") is False
    explicit = make(processing_guarantee="exactly_once_v2", commit_interval_ms=30000)
    assert explicit["commit.interval.ms"] == 30000
    assert make(commit_interval_ms=5)["commit.interval.ms"] == 5


def test_commit_interval_follows_guarantee_through_overrides():
    c = StreamsConfig(APP)
    assert c.with_overrides({"processing.guarantee": "exactly_once_v2"})["commit.interval.ms"] == 100
    assert c["commit.interval.ms"] == 30000


@pytest.mark.parametrize(("value", "message"), [
    ("exactly_once", "Invalid value 'exactly_once' for config 'processing.guarantee': it was removed in "
                     "Kafka Streams 4.0; use 'exactly_once_v2' instead. Allowed values: at_least_once, "
                     "exactly_once_v2."),
    ("exactly_once_beta", "Invalid value 'exactly_once_beta' for config 'processing.guarantee': it was "
                          "renamed; use 'exactly_once_v2' instead. Allowed values: at_least_once, "
                          "exactly_once_v2."),
    ("twice", "Invalid value 'twice' for config 'processing.guarantee': not one of the allowed values. "
              "Allowed values: at_least_once, exactly_once_v2."),
])
def test_bad_processing_guarantee(value, message):
    with pytest.raises(ConfigException) as info:
        make(processing_guarantee=value)
    assert str(info.value) == message
    assert info.value.key == "processing.guarantee"
    assert info.value.allowed == ["at_least_once", "exactly_once_v2"]


# --- application.id -------------------------------------------------------------------------

@pytest.mark.parametrize("props", [{}, {"application.id": None}])
def test_missing_application_id(props):
    with pytest.raises(ConfigException) as info:
        StreamsConfig(props)
    assert info.value.key == "application.id"
    assert str(info.value) == ("Missing required config 'application.id', which has no default: set it, "
                               "e.g. {'application.id': 'wordcount'}.")


@pytest.mark.parametrize(("value", "message"), [
    ("my app!", "Invalid value 'my app!' for config 'application.id': contains ' !'; only ASCII letters, "
                "digits, '.', '_' and '-' are allowed."),
    ("", "Invalid value '' for config 'application.id': must not be empty."),
    (5, "Invalid value 5 for config 'application.id': expected a string."),
])
def test_bad_application_id(value, message):
    with pytest.raises(ConfigException) as info:
        StreamsConfig({"application.id": value})
    assert str(info.value) == message


def test_application_id_allows_kafka_characters():
    assert StreamsConfig({"application.id": "Word-count_v2.0"})["application.id"] == "Word-count_v2.0"


# --- unknown keys and bad values ------------------------------------------------------------

def test_unknown_key_suggests_the_closest():
    with pytest.raises(ConfigException) as info:
        StreamsConfig({"aplication.id": "x"})
    assert info.value.key == "aplication.id"
    assert info.value.suggestion == "application.id"
    assert str(info.value) == "Unknown config 'aplication.id'. Did you mean 'application.id'?"


def test_unknown_key_without_a_close_match():
    with pytest.raises(ConfigException) as info:
        make(zzz=1)
    assert str(info.value) == "Unknown config 'zzz'."


def test_client_key_at_top_level_points_to_a_prefix():
    with pytest.raises(ConfigException) as info:
        make(**{"max.poll.records": 10})
    assert info.value.suggestion == "consumer.max.poll.records"
    with pytest.raises(ConfigException) as info:
        make(**{"linger.ms": 10})
    assert info.value.suggestion == "producer.linger.ms"
    assert "it is a Kafka client setting" in str(info.value)


def test_reading_an_unknown_key_is_an_error_too():
    c = StreamsConfig(APP)
    with pytest.raises(ConfigException) as info:
        c["comit.interval.ms"]
    assert info.value.suggestion == "commit.interval.ms"
    with pytest.raises(ConfigException):
        c.get("nope.nope")
    with pytest.raises(KeyError):
        c["consumer.not.set"]
    assert c.get("consumer.not.set", 7) == 7


@pytest.mark.parametrize(("key", "value", "message"), [
    ("commit.interval.ms", -1, "Invalid value -1 for config 'commit.interval.ms': must be at least 0."),
    ("num.stream.threads", 0, "Invalid value 0 for config 'num.stream.threads': must be at least 1."),
    ("inspector.port", 70000, "Invalid value 70000 for config 'inspector.port': must be between 0 and 65535."),
    ("max.task.idle.ms", -2, "Invalid value -2 for config 'max.task.idle.ms': must be at least -1."),
    ("replication.factor", 0, "Invalid value 0 for config 'replication.factor': must be -1 (the broker "
                              "default) or at least 1."),
    ("num.standby.replicas", "two", "Invalid value 'two' for config 'num.standby.replicas': expected an integer."),
    ("num.standby.replicas", True, "Invalid value True for config 'num.standby.replicas': expected an integer."),
    ("poll.ms", 1.5, "Invalid value 1.5 for config 'poll.ms': expected integer milliseconds or a "
                     "datetime.timedelta."),
    ("auto.offset.reset", "smallest", "Invalid value 'smallest' for config 'auto.offset.reset': not one of "
                                      "the allowed values. Allowed values: earliest, latest, none."),
    ("metrics.recording.level", "WARN", "Invalid value 'WARN' for config 'metrics.recording.level': not one "
                                        "of the allowed values. Allowed values: INFO, DEBUG, TRACE."),
    ("deserialization.exception.handler", "ignore",
     "Invalid value 'ignore' for config 'deserialization.exception.handler': expected one of the allowed "
     "names or a callable / class. Allowed values: log_and_fail, log_and_continue."),
    ("production.exception.handler", 3,
     "Invalid value 3 for config 'production.exception.handler': expected one of the allowed names or a "
     "callable / class. Allowed values: default, continue."),
    ("topology.optimization", "fast",
     "Invalid value 'fast' for config 'topology.optimization': unknown optimization 'fast'. Allowed values: "
     "none, all, reuse.ktable.source.topics, merge.repartition.topics, single.store.self.join."),
    ("upgrade.from", "1.0", "Invalid value '1.0' for config 'upgrade.from': not one of the allowed values. "
                            "Allowed values: 2.4, 2.5, 2.6, 2.7, 2.8, 3.0, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, "
                            "3.8, 3.9, 4.0, 4.1, 4.2, 4.3."),
    ("bootstrap.servers", "localhost", "Invalid value 'localhost' for config 'bootstrap.servers': "
                                       "'localhost' is not host:port."),
    ("application.server", "host", "Invalid value 'host' for config 'application.server': 'host' is not "
                                   "host:port."),
    ("errors.dead.letter.queue.topic.name", "bad topic",
     "Invalid value 'bad topic' for config 'errors.dead.letter.queue.topic.name': not a legal topic name "
     "(1-249 of ASCII letters, digits, '.', '_', '-')."),
    ("commit.interval.ms", None, "Invalid value None for config 'commit.interval.ms': this config does not "
                                 "accept None."),
    ("ray.namespace", "", "Invalid value '' for config 'ray.namespace': must not be empty."),
])
def test_bad_values_name_key_value_and_allowed(key, value, message):
    with pytest.raises(ConfigException) as info:
        StreamsConfig({**APP, key: value})
    assert str(info.value) == message
    assert info.value.key == key


def test_bad_serde_value():
    with pytest.raises(ConfigException) as info:
        make(default_value_serde="Lnog")
    assert info.value.key == "default.value.serde"
    assert info.value.suggestion == "Long"


# --- value parsing --------------------------------------------------------------------------

def test_durations_accept_timedelta_and_store_ms():
    c = make(commit_interval_ms=timedelta(seconds=2), max_task_idle_ms=timedelta(milliseconds=1.9),
             poll_ms=timedelta(minutes=1), task_restart_window_ms=timedelta(hours=1))
    assert c["commit.interval.ms"] == 2000
    assert c["max.task.idle.ms"] == 1
    assert c["poll.ms"] == 60000
    assert c["task.restart.window.ms"] == 3600000
    assert type(c["commit.interval.ms"]) is int


def test_strings_parse_like_properties_files():
    c = make(commit_interval_ms="250", num_stream_threads=" 4 ", task_num_cpus="0.5",
             statestore_cache_max_bytes="0")
    assert c["commit.interval.ms"] == 250
    assert c["num.stream.threads"] == 4
    assert c["task.num.cpus"] == 0.5
    assert c["statestore.cache.max.bytes"] == 0


def test_case_insensitive_choices_normalize():
    c = make(auto_offset_reset="LATEST", metrics_recording_level="debug", security_protocol="sasl_ssl")
    assert c["auto.offset.reset"] == "latest"
    assert c["metrics.recording.level"] == "DEBUG"
    assert c["security.protocol"] == "SASL_SSL"


def test_bootstrap_servers_list_or_string():
    assert make(bootstrap_servers=["a:1", " b:2"])["bootstrap.servers"] == "a:1,b:2"
    assert make(bootstrap_servers="a:1, b:2")["bootstrap.servers"] == "a:1,b:2"
    assert make(bootstrap_servers=None)["bootstrap.servers"] is None


def test_state_dir_accepts_paths(tmp_path):
    assert make(state_dir=tmp_path)["state.dir"] == str(tmp_path)


def test_serdes_from_names_classes_and_instances():
    assert make(default_key_serde="Long").default_key_serde() == Serdes.Long()
    assert make(default_key_serde=LongSerde).default_key_serde() == Serdes.Long()
    assert make(default_value_serde=Serdes.JSON()).default_value_serde() is Serdes.JSON()
    java = "org.apache.kafka.common.serialization.Serdes$IntegerSerde"
    assert make(default_value_serde=java).default_value_serde() == Serdes.Integer()
    assert make(default_key_serde="Long").originals()["default.key.serde"] == "Long"


def test_handlers_accept_names_java_classes_and_callables():
    def handler(*args):
        return None

    c = make(deserialization_exception_handler="log_and_continue", production_exception_handler=handler,
             processing_exception_handler="org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler",
             default_timestamp_extractor="org.apache.kafka.streams.processor.WallclockTimestampExtractor")
    assert c["deserialization.exception.handler"] == "log_and_continue"
    assert c["production.exception.handler"] is handler
    assert c["processing.exception.handler"] == "log_and_continue"
    assert c["default.timestamp.extractor"] == "wall_clock"
    assert make(production_exception_handler="fail")["production.exception.handler"] == "default"
    assert make(default_timestamp_extractor=handler)["default.timestamp.extractor"] is handler


@pytest.mark.parametrize(("value", "expected"), [
    ("all", "all"),
    ("none", "none"),
    ("merge.repartition.topics", "merge.repartition.topics"),
    ("reuse.ktable.source.topics, merge.repartition.topics", "reuse.ktable.source.topics,merge.repartition.topics"),
])
def test_topology_optimization_values(value, expected):
    assert make(topology_optimization=value)["topology.optimization"] == expected


def test_topology_optimization_cannot_mix_none_or_all():
    with pytest.raises(ConfigException) as info:
        make(topology_optimization="none,merge.repartition.topics")
    assert str(info.value).startswith("Invalid value 'none,merge.repartition.topics' for config "
                                      "'topology.optimization': 'none' cannot be combined with other "
                                      "optimizations.")


# --- deprecated names -----------------------------------------------------------------------

def test_deprecated_cache_name_sets_the_new_one(caplog):
    with caplog.at_level(logging.WARNING, logger="raystreams.config"):
        c = make(cache_max_bytes_buffering=1024)
    assert c["statestore.cache.max.bytes"] == 1024
    assert c["cache.max.bytes.buffering"] == 1024
    assert c.is_set("statestore.cache.max.bytes") is True
    assert [r.getMessage() for r in caplog.records] == [
        "Config 'cache.max.bytes.buffering' is deprecated; use 'statestore.cache.max.bytes' instead."]


def test_new_name_wins_over_deprecated_one():
    c = make(cache_max_bytes_buffering=1024, statestore_cache_max_bytes=2048)
    assert c["statestore.cache.max.bytes"] == 2048
    assert c["cache.max.bytes.buffering"] == 2048


def test_deprecated_handler_names():
    c = StreamsConfig({**APP, "default.deserialization.exception.handler": "log_and_continue",
                       "default.production.exception.handler": "continue"})
    assert c["deserialization.exception.handler"] == "log_and_continue"
    assert c["production.exception.handler"] == "continue"
    assert c.is_set("deserialization.exception.handler") is True
    assert c.is_set("processing.exception.handler") is False


# --- client configs -------------------------------------------------------------------------

def test_consumer_configs_defaults_and_precedence():
    c = StreamsConfig({
        **APP, "bootstrap.servers": "k1:9092,k2:9092",
        "consumer.fetch.wait.max.ms": 10, "consumer.session.timeout.ms": 6000,
        "main.consumer.fetch.wait.max.ms": 5, "restore.consumer.fetch.wait.max.ms": 50,
        "producer.linger.ms": 5, "admin.request.timeout.ms": 1000,
    })
    assert c.consumer_configs() == {
        "bootstrap.servers": "k1:9092,k2:9092",
        "group.id": "app",
        "client.id": "app-consumer",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_uncommitted",
        "security.protocol": "PLAINTEXT",
        "fetch.wait.max.ms": 5,
        "session.timeout.ms": 6000,
    }
    assert c.consumer_configs("restore") == {
        "bootstrap.servers": "k1:9092,k2:9092",
        "group.id": "app-restore-consumer",
        "client.id": "app-restore-consumer",
        "enable.auto.commit": False,
        "auto.offset.reset": "error",
        "isolation.level": "read_uncommitted",
        "security.protocol": "PLAINTEXT",
        "fetch.wait.max.ms": 50,
        "session.timeout.ms": 6000,
    }
    assert c.consumer_configs("global")["fetch.wait.max.ms"] == 10
    assert c.consumer_configs("global")["client.id"] == "app-global-consumer"
    with pytest.raises(ValueError):
        c.consumer_configs("other")  # type: ignore[arg-type]


def test_consumer_forces_streams_settings(caplog):
    c = make(**{"consumer.enable.auto.commit": True, "consumer.group.id": "mine",
                "consumer.isolation.level": "read_uncommitted", "processing.guarantee": "exactly_once_v2"})
    with caplog.at_level(logging.WARNING, logger="raystreams.config"):
        props = c.consumer_configs()
    assert props["enable.auto.commit"] is False
    assert props["group.id"] == "app"
    assert props["isolation.level"] == "read_committed"
    assert len(caplog.records) == 3


def test_auto_offset_reset_none_is_librdkafkas_error():
    assert make(auto_offset_reset="none").consumer_configs()["auto.offset.reset"] == "error"
    assert make(auto_offset_reset="latest").consumer_configs()["auto.offset.reset"] == "latest"
    override = make(**{"main.consumer.auto.offset.reset": "none"})
    assert override.consumer_configs()["auto.offset.reset"] == "error"


def test_producer_configs():
    c = StreamsConfig({**APP, "bootstrap.servers": "k:1", "producer.batch.size": 1048576,
                       "consumer.linger.ms": 1})
    assert c.producer_configs() == {
        "bootstrap.servers": "k:1",
        "client.id": "app-producer",
        "linger.ms": 100,
        "security.protocol": "PLAINTEXT",
        "batch.size": 1048576,
    }
    assert make(**{"producer.linger.ms": 5}).producer_configs()["linger.ms"] == 5
    with pytest.raises(ValueError):
        c.producer_configs(transactional_id="app-0_0")


def test_producer_configs_under_eos():
    c = make(processing_guarantee="exactly_once_v2", **{"producer.enable.idempotence": False})
    assert c.producer_configs(transactional_id="app-0_1") == {
        "client.id": "app-producer",
        "linger.ms": 100,
        "enable.idempotence": True,
        "transaction.timeout.ms": 10000,
        "transactional.id": "app-0_1",
        "security.protocol": "PLAINTEXT",
    }
    assert "transactional.id" not in c.producer_configs()


def test_admin_and_topic_configs():
    c = make(bootstrap_servers="k:1", client_id="me",
             **{"admin.request.timeout.ms": 1000, "topic.retention.ms": 5, "consumer.x.y": 1})
    assert c.admin_configs() == {"bootstrap.servers": "k:1", "client.id": "me-admin",
                                 "security.protocol": "PLAINTEXT", "request.timeout.ms": 1000}
    assert c.topic_configs() == {"retention.ms": 5}
    assert c.consumer_configs(client_id="app-StreamThread-1")["client.id"] == "app-StreamThread-1-consumer"


def test_shared_security_settings_reach_every_client_and_prefixes_win():
    c = StreamsConfig({**APP, "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
                       "sasl.username": "u", "producer.sasl.username": "p"})
    for props in (c.consumer_configs(), c.consumer_configs("restore"), c.admin_configs()):
        assert (props["security.protocol"], props["sasl.mechanism"], props["sasl.username"]) == (
            "SASL_SSL", "PLAIN", "u")
    assert c.producer_configs()["sasl.username"] == "p"


def test_passthrough_values_are_untouched():
    marker = object()
    c = make(**{"consumer.some.thing": marker})
    assert c.consumer_configs()["some.thing"] is marker
    assert c["consumer.some.thing"] is marker


def test_bare_prefix_is_an_error():
    with pytest.raises(ConfigException) as info:
        make(**{"consumer.": 1})
    assert str(info.value) == "Config 'consumer.' names no client setting after the prefix."


def test_embedded_broker_leaves_bootstrap_out():
    assert "bootstrap.servers" not in StreamsConfig(APP).consumer_configs()


# --- API ------------------------------------------------------------------------------------

def test_of_and_copy():
    c = StreamsConfig(APP)
    assert StreamsConfig.of(c) is c
    assert StreamsConfig.of(APP) == c
    assert StreamsConfig(c) == c
    assert StreamsConfig(c) is not c
    with pytest.raises(TypeError):
        StreamsConfig(["application.id"])  # type: ignore[arg-type]


def test_originals_and_is_set():
    c = make(commit_interval_ms=timedelta(seconds=1), **{"consumer.a.b": 1})
    assert c.originals() == {"application.id": "app", "commit.interval.ms": timedelta(seconds=1),
                             "consumer.a.b": 1}
    c.originals()["application.id"] = "changed"
    assert c["application.id"] == "app"
    assert c.is_set("commit.interval.ms") is True
    assert c.is_set("poll.ms") is False
    assert c.is_set("consumer.a.b") is True
    assert c.is_set("consumer.c") is False
    assert "consumer.a.b" in c
    assert "poll.ms" in c
    with pytest.raises(ConfigException):
        c.is_set("pol.ms")


def test_with_overrides_returns_a_new_validated_config():
    c = StreamsConfig(APP)
    d = c.with_overrides({"poll.ms": 5}, commit_interval_ms=0, num_stream_threads=2)
    assert (d["poll.ms"], d["commit.interval.ms"], d["num.stream.threads"]) == (5, 0, 2)
    assert c["poll.ms"] == 100
    assert c.with_overrides(**{"consumer.fetch.wait.max.ms": 10})["consumer.fetch.wait.max.ms"] == 10
    with pytest.raises(ConfigException):
        c.with_overrides(poll_ms=-1)


def test_pickles_without_losing_values():
    c = make(processing_guarantee="exactly_once_v2", default_key_serde="Long",
             **{"consumer.fetch.wait.max.ms": 10})
    copy = pickle.loads(pickle.dumps(c))
    assert copy == c
    assert copy["commit.interval.ms"] == 100
    assert copy.default_key_serde() == Serdes.Long()
    assert copy.consumer_configs() == c.consumer_configs()


def test_repr_masks_secrets():
    c = StreamsConfig({**APP, "sasl.password": "hunter2", "producer.ssl.key.password": "x"})
    assert repr(c) == ("StreamsConfig({'application.id': 'app', 'sasl.password': '***', "
                       "'producer.ssl.key.password': '***'})")


def test_describe_keys_is_a_markdown_table():
    text = StreamsConfig.describe_keys()
    lines = text.splitlines()
    assert lines[0] == "| Key | Type | Default | Valid values | Importance | Description |"
    assert len(lines) == 2 + len(DEFINITIONS)
    assert ("| `application.id` | string | (required) | letters, digits, '.', '_', '-' | high | Name of the "
            "application: the consumer group, and the prefix of internal topics and state directories. |"
            ) in lines
    assert ("| `processing.guarantee` | string | 'at_least_once' | 'at_least_once', 'exactly_once_v2' | "
            "medium | Processing guarantee: 'at_least_once' or 'exactly_once_v2' (transactions). |") in lines
