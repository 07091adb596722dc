"""Change-logging: one changelog record per write, Kafka's bytes and timestamps.

Vectors from Kafka's ChangeLoggingKeyValueBytesStoreTest, ChangeLoggingTimestampedKeyValue-
BytesStoreTest, ChangeLoggingWindowBytesStoreTest and ChangeLoggingSessionBytesStoreTest.
"""

from __future__ import annotations

import struct

import pytest

from raystreams.serde import Serdes
from raystreams.state import Stores, ValueAndTimestamp
from raystreams.windowed import SessionWindow, Windowed


def logged(context):
    return [(r.topic, r.partition, r.key, r.value, r.timestamp) for r in context.changelog]


@pytest.fixture
def context(make_context):
    ctx = make_context(partition=3, task_id="1_3")
    ctx.set_record(42)
    return ctx


def build_kv(context, supplier, timestamped=False, value_serde=None):
    make = Stores.timestamped_key_value_store_builder if timestamped else Stores.key_value_store_builder
    store = make(supplier, Serdes.String(), value_serde or Serdes.String()).build()
    store.init(context, store)
    return store


def test_put_delete_put_if_absent_put_all_are_logged(context, kv_supplier):
    store = build_kv(context, kv_supplier())
    t = "app-kv-changelog"
    store.put("k1", "v1")
    assert logged(context) == [(t, 3, b"k1", b"v1", 42)]
    store.put_all([("k2", "v2"), ("k3", "v3")])
    assert logged(context)[1:] == [(t, 3, b"k2", b"v2", 42), (t, 3, b"k3", b"v3", 42)]
    context.set_record(50)
    assert store.put_if_absent("k1", "other") == "v1"  # present: not logged
    assert store.put_if_absent("k4", "v4") is None
    assert logged(context)[3:] == [(t, 3, b"k4", b"v4", 50)]
    assert store.delete("k1") == "v1"
    assert store.delete("missing") is None
    assert logged(context)[4:] == [(t, 3, b"k1", None, 50), (t, 3, b"missing", None, 50)]
    store.put("k2", None)
    assert logged(context)[6:] == [(t, 3, b"k2", None, 50)]
    store.close()


def test_unlogged_store_sends_nothing(context, kv_supplier):
    builder = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String()).with_logging_disabled()
    store = builder.build()
    store.init(context, store)
    store.put("a", "b")
    assert context.changelog == []
    assert store.changelog_topic is None
    store.close()


def test_timestamped_store_bytes_and_changelog(context, kv_supplier):
    store = build_kv(context, kv_supplier(timestamped=True), timestamped=True)
    store.put("k", ValueAndTimestamp("v", 1234))
    # the store keeps Kafka's [timestamp 8 BE][value] bytes
    assert store.inner.wrapped.get(b"k") == struct.pack(">q", 1234) + b"v"
    assert store.get("k") == ValueAndTimestamp("v", 1234)
    # the changelog value is the plain value; the record timestamp carries the timestamp
    assert logged(context) == [("app-kv-changelog", 3, b"k", b"v", 1234)]
    store.put("k", None)
    assert logged(context)[1:] == [("app-kv-changelog", 3, b"k", None, 42)]
    assert store.put_if_absent("n", ValueAndTimestamp("w", 7)) is None
    assert logged(context)[2:] == [("app-kv-changelog", 3, b"n", b"w", 7)]
    store.close()


def test_timestamped_value_serde_returning_none_is_a_delete(context, kv_supplier):
    store = build_kv(context, kv_supplier(timestamped=True), timestamped=True)
    store.put("k", ValueAndTimestamp("v", 1))
    store.put("k", ValueAndTimestamp(None, 2))
    assert store.get("k") is None
    store.close()


def test_changelog_timestamp_without_a_record_is_zero(make_context, kv_supplier):
    context = make_context()
    store = build_kv(context, kv_supplier())
    store.put("k", "v")
    assert context.changelog[0].timestamp == 0
    store.close()


def test_lru_map_logs_evictions_as_tombstones(context):
    store = Stores.key_value_store_builder(Stores.lru_map("lru", 2), Serdes.String(), Serdes.String()).build()
    store.init(context, store)
    store.put("a", "1")
    store.put("b", "2")
    assert store.get("a") == "1"  # a is now the most recently used
    store.put("c", "3")  # evicts b
    # the eviction happens inside the write below, so its tombstone comes first (as in Kafka)
    assert [(k, v) for _, _, k, v, _ in logged(context)] == [(b"a", b"1"), (b"b", b"2"), (b"b", None), (b"c", b"3")]
    assert [kv.key for kv in store.all()] == ["a", "c"]
    store.close()


def test_window_store_changelog_bytes(context, window_supplier):
    store = Stores.window_store_builder(window_supplier(size=10), Serdes.String(), Serdes.String()).build()
    store.init(context, store)
    store.put("k", "v", 100)
    store.put("k", None, 100)
    key = b"k" + struct.pack(">qi", 100, 0)
    assert logged(context) == [("app-win-changelog", 3, key, b"v", 42), ("app-win-changelog", 3, key, None, 42)]
    store.close()


def test_timestamped_window_store_changelog(context, window_supplier):
    store = Stores.timestamped_window_store_builder(window_supplier(size=10, timestamped=True), Serdes.String(),
                                                    Serdes.String()).build()
    store.init(context, store)
    store.put("k", ValueAndTimestamp("v", 105), 100)
    key = b"k" + struct.pack(">qi", 100, 0)
    assert store.inner.wrapped.get(key) == struct.pack(">q", 105) + b"v"
    assert logged(context) == [("app-win-changelog", 3, key, b"v", 105)]
    assert store.fetch("k", 100) == ValueAndTimestamp("v", 105)
    store.close()


def test_session_store_changelog_bytes(context, session_supplier):
    store = Stores.session_store_builder(session_supplier(), Serdes.String(), Serdes.Long()).build()
    store.init(context, store)
    store.put(Windowed("k", SessionWindow(5, 9)), 1)
    store.remove(Windowed("k", SessionWindow(5, 9)))
    key = b"k" + struct.pack(">qq", 9, 5)
    assert logged(context) == [("app-sess-changelog", 3, key, struct.pack(">q", 1), 42),
                               ("app-sess-changelog", 3, key, None, 42)]
    store.close()


def test_expired_window_writes_are_still_logged(context, window_supplier):
    # the change-logging layer sits above the segmented store, as in Kafka
    store = Stores.window_store_builder(window_supplier(retention=1000, size=10), Serdes.String(),
                                        Serdes.String()).build()
    store.init(context, store)
    store.put("k", "new", 100_000)
    store.put("k", "late", 0)
    assert [r.value for r in context.changelog] == [b"new", b"late"]
    assert store.fetch("k", 0) is None
    store.close()
