"""Stores factories, builders, name validation and default serdes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from raystreams.errors import (
    IllegalArgumentException,
    InvalidStoreNameException,
    StreamsError,
    TopologyException,
)
from raystreams.serde import Serdes
from raystreams.state import (
    KeyValue,
    KeyValueStore,
    SessionStore,
    Stores,
    TimestampedKeyValueStore,
    ValueAndTimestamp,
    WindowStore,
    changelog_topic,
    validate_store_name,
)
from raystreams.state.cache.caching_kv import CachingKeyValueStore
from raystreams.state.changelog.logging_layer import ChangeLoggingKeyValueBytesStore


@pytest.mark.parametrize("name", ["store", "KSTREAM-AGGREGATE-STATE-STORE-0000000003", "a.b_c-d", "x" * 249])
def test_legal_names(name):
    assert validate_store_name(name) == name


@pytest.mark.parametrize("name, reason", [
    ("my store", "contains ' '"),
    ("a/b", "contains '/'"),
    ("ümlaut", "contains 'ü'"),
    ("", "it is empty"),
    (".", "'.' and '..' are not allowed"),
    ("..", "'.' and '..' are not allowed"),
    ("x" * 250, "it has 250 characters, at most 249"),
    (None, "expected a str"),
])
def test_illegal_names_fail_clearly(name, reason):
    with pytest.raises(InvalidStoreNameException, match=reason) as info:
        Stores.persistent_key_value_store(name)
    assert info.value.store_name == name
    assert isinstance(info.value, TopologyException) and isinstance(info.value, StreamsError)
    assert repr(name) in str(info.value)


@pytest.mark.parametrize("factory", [
    lambda n: Stores.in_memory_key_value_store(n),
    lambda n: Stores.lru_map(n, 10),
    lambda n: Stores.persistent_window_store(n, 10, 1),
    lambda n: Stores.in_memory_session_store(n, 10),
])
def test_every_factory_validates_names(factory):
    with pytest.raises(InvalidStoreNameException):
        factory("bad name")


def test_changelog_topic_name():
    assert changelog_topic("wordcount", "counts") == "wordcount-counts-changelog"


def test_builder_defaults_and_toggles():
    builder = Stores.key_value_store_builder(Stores.persistent_key_value_store("s"), Serdes.String(), Serdes.Long())
    assert (builder.name, builder.logging_enabled, builder.caching_enabled, builder.log_config) == ("s", True, False, {})
    assert builder.with_caching_enabled() is builder and builder.caching_enabled
    builder.with_logging_enabled({"min.insync.replicas": "2"})
    assert builder.log_config == {"min.insync.replicas": "2"}
    builder.log_config["x"] = "y"  # a copy
    assert builder.log_config == {"min.insync.replicas": "2"}
    builder.with_logging_disabled()
    assert not builder.logging_enabled and builder.log_config == {}
    assert builder.with_caching_disabled().caching_enabled is False
    assert builder.persistent()


def test_layer_stacking():
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.String(), Serdes.Long())
    store = builder.with_caching_enabled().build()
    assert isinstance(store.inner, CachingKeyValueStore)
    assert isinstance(store.inner.wrapped, ChangeLoggingKeyValueBytesStore)
    assert type(store.inner.wrapped.wrapped).__name__ == "InMemoryKeyValueStore"
    plain = builder.with_caching_disabled().with_logging_disabled().build()
    assert type(plain.inner).__name__ == "InMemoryKeyValueStore"
    assert builder.build() is not builder.build()  # one stack per task


def test_built_stores_satisfy_the_interfaces():
    kv = Stores.key_value_store_builder(Stores.in_memory_key_value_store("a")).build()
    tkv = Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("b")).build()
    win = Stores.window_store_builder(Stores.in_memory_window_store("c", 10, 1)).build()
    ses = Stores.session_store_builder(Stores.in_memory_session_store("d", 10)).build()
    assert isinstance(kv, KeyValueStore) and isinstance(tkv, TimestampedKeyValueStore)
    assert isinstance(win, WindowStore) and isinstance(ses, SessionStore)


def test_serdes_default_from_config(make_context):
    context = make_context(config={"default.key.serde": "Long", "default.value.serde": "JSON"})
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s")).build()
    store.init(context, store)
    store.put(1, {"a": [1, 2]})
    assert store.get(1) == {"a": [1, 2]}
    assert context.changelog[0].key == b"\x00\x00\x00\x00\x00\x00\x00\x01"
    assert context.changelog[0].value == b'{"a":[1,2]}'


def test_serdes_default_to_string(make_context):
    context = make_context()
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s")).build()
    store.init(context, store)
    store.put("k", "v")
    assert context.changelog[0].key == b"k"
    store.close()


def test_serdes_from_streams_config_object(make_context):
    class Config(dict):
        def default_key_serde(self):
            return Serdes.Integer()

        def default_value_serde(self):
            return Serdes.Double()
    context = make_context(config=Config())
    store = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s")).build()
    store.init(context, store)
    store.put(7, 1.5)
    assert store.all().to_list() == [KeyValue(7, 1.5)]


def test_with_serdes_if_unset_keeps_explicit_serdes():
    builder = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.Long(), None)
    builder.with_serdes_if_unset(Serdes.String(), Serdes.String())
    assert builder.key_serde == Serdes.Long() and builder.value_serde == Serdes.String()


def test_timestamped_builder_over_in_memory_keeps_timestamps(make_context):
    context = make_context()
    store = Stores.timestamped_key_value_store_builder(Stores.in_memory_key_value_store("s"), Serdes.String(),
                                                       Serdes.String()).build()
    store.init(context, store)
    store.put("k", ValueAndTimestamp("v", 99))
    assert store.get("k") == ValueAndTimestamp("v", 99)


def test_durations():
    assert Stores.in_memory_session_store("s", timedelta(seconds=5)).retention_period == 5000
    assert Stores.persistent_window_store("w", timedelta(days=1), 1000).segment_interval == 43_200_000
    assert Stores.persistent_window_store("w", 1000, 10).segment_interval == 60_000
    with pytest.raises(IllegalArgumentException, match="retentionPeriod cannot be negative"):
        Stores.in_memory_session_store("s", -1)
    with pytest.raises(IllegalArgumentException, match="must be int milliseconds or a timedelta"):
        Stores.in_memory_session_store("s", 1.5)
    with pytest.raises(IllegalArgumentException, match="maxCacheSize cannot be negative"):
        Stores.lru_map("l", -1)


def test_window_and_session_builders_expose_retention():
    wb = Stores.window_store_builder(Stores.in_memory_window_store("w", 100, 10))
    sb = Stores.session_store_builder(Stores.persistent_session_store("s", 200))
    assert (wb.kind, wb.retention_period, sb.kind, sb.retention_period) == ("window", 100, "session", 200)
    assert wb.build().window_size == 10
    assert Stores.window_store_builder(Stores.in_memory_window_store("w", 100, 10, True)).log_config == \
        {"cleanup.policy": "delete"}
