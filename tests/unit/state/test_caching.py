"""The caching layers: write-back, flush listener (old/new values, contexts), eviction, bypass.

Vectors from Kafka's CachingKeyValueStoreTest / CachingInMemoryKeyValueStoreTest,
CachingPersistentWindowStoreTest and CachingInMemorySessionStoreTest.
"""

from __future__ import annotations

import pytest

from raystreams.errors import ProcessorStateException
from raystreams.processor.api import Headers
from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores, ValueAndTimestamp
from raystreams.state.cache.task_cache import entry_size
from raystreams.windowed import SessionWindow, TimeWindow, Windowed


class Listener:
    """Kafka's CacheFlushListenerStub: remembers the last (new, old) per key, and every call."""

    def __init__(self, context=None):
        self.forwarded = {}
        self.calls = []
        self._context = context

    def __call__(self, key, new, old, rc):
        self.forwarded[key] = (new, old)
        self.calls.append((key, new, old, rc.timestamp, rc.offset, rc.topic, rc.headers))
        if self._context is not None:
            assert self._context.record_context is rc  # the entry's context is current


def kv_store(context, supplier, timestamped=False, logging=True):
    make = Stores.timestamped_key_value_store_builder if timestamped else Stores.key_value_store_builder
    builder = make(supplier, Serdes.String(), Serdes.String()).with_caching_enabled()
    if not logging:
        builder.with_logging_disabled()
    store = builder.build()
    store.init(context, store)
    return store


@pytest.fixture
def context(make_context):
    ctx = make_context(cache_bytes=100_000)
    ctx.set_record(10, offset=0, topic="topic")
    return ctx


@pytest.fixture
def store(context, kv_supplier):
    s = kv_store(context, kv_supplier())
    yield s
    if s.is_open():
        s.close()


@pytest.fixture
def listener(store, context):
    li = Listener(context)
    assert store.set_flush_listener(li, False) is True
    return li


def test_writes_stay_in_cache_until_flush(store, listener, context):
    store.put("1", "a")
    assert store.get("1") == "a"
    assert store.inner.wrapped.get(b"1") is None  # nothing below the cache yet
    assert context.changelog == []
    store.flush_cache()
    assert store.inner.wrapped.get(b"1") == b"a"
    assert listener.forwarded == {"1": ("a", None)}
    assert [(r.key, r.value, r.timestamp) for r in context.changelog] == [(b"1", b"a", 10)]


def test_flush_dedups_and_keeps_write_order(store, listener, context):
    store.put("a", "1")
    store.put("b", "1")
    store.put("a", "2")
    store.put("c", "1")
    store.put("b", "2")
    store.flush()
    assert [c[:2] for c in listener.calls] == [("a", "2"), ("c", "1"), ("b", "2")]
    assert [(r.key, r.value) for r in context.changelog] == [(b"a", b"2"), (b"c", b"1"), (b"b", b"2")]


def test_old_values_when_enabled(store, context):
    li = Listener()
    store.set_flush_listener(li, True)
    store.put("1", "a")
    store.flush()
    assert li.forwarded["1"] == ("a", None)
    store.put("1", "b")
    store.put("1", "c")
    store.flush()
    assert li.forwarded["1"] == ("c", "a")
    store.put("1", None)
    store.flush()
    assert li.forwarded["1"] == (None, "c")
    li.forwarded.clear()
    store.put("1", "a")
    store.put("1", "b")
    store.put("1", None)
    store.flush()
    assert "1" not in li.forwarded  # never below the cache: nothing written, nothing forwarded


def test_old_values_not_sent_when_disabled(store, listener):
    store.put("1", "a")
    store.flush()
    assert listener.forwarded["1"] == ("a", None)
    store.put("1", "b")
    store.flush()
    assert listener.forwarded["1"] == ("b", None)
    store.put("1", None)
    store.flush()
    assert listener.forwarded["1"] == (None, None)
    listener.forwarded.clear()
    store.put("1", "a")
    store.put("1", "b")
    store.put("1", None)
    store.flush()
    assert "1" not in listener.forwarded


def test_avoids_flushing_deletes_of_keys_never_written(store, listener, context):
    store.put("key", "value")
    store.put("key", None)
    store.flush()
    assert listener.calls == []
    assert context.changelog == []
    assert store.inner.wrapped.approximate_num_entries() == 0


def test_entries_flush_with_the_context_of_their_write(store, listener, context):
    context.set_record(100, offset=7, topic="in", headers=Headers([("h", b"1")]))
    store.put("x", "1")
    context.set_record(200, offset=8, topic="in2")
    store.put("y", "2")
    current = context.set_record(300, offset=9, topic="now")
    store.flush()
    assert [c[3:6] for c in listener.calls] == [(100, 7, "in"), (200, 8, "in2")]
    assert listener.calls[0][6] == Headers([("h", b"1")])
    assert [r.timestamp for r in context.changelog] == [100, 200]
    assert context.record_context is current  # restored after the flush


def test_eviction_writes_down_and_forwards(context, kv_supplier):
    size = entry_size(b"0", b"0", context.record_context)
    context.cache.resize(3 * size)
    store = kv_store(context, kv_supplier())
    li = Listener()
    store.set_flush_listener(li, False)
    for i in range(5):
        store.put(str(i), str(i))
    # the 4th put evicts "0", flushing 0-3; the 5th evicts "1" (clean): nothing to flush
    assert [c[0] for c in li.calls] == ["0", "1", "2", "3"]
    assert store.inner.wrapped.approximate_num_entries() == 4
    assert store.all().to_list() == [KeyValue(str(i), str(i)) for i in range(5)]
    store.flush()
    assert [c[0] for c in li.calls] == ["0", "1", "2", "3", "4"]
    store.close()


def test_reads_populate_the_cache(store, listener):
    store.inner.wrapped.put(b"k", b"v")  # below the cache
    assert store.get("k") == "v"
    entry = store.inner._cache.entries[b"k"]
    assert entry[0] == b"v" and entry[1] is None  # clean
    store.flush()
    assert listener.calls == []


def test_range_merges_cache_and_store(store, listener):
    store.put("a", "1")
    store.put("c", "1")
    store.flush()
    store.put("b", "2")
    store.put("c", "2")
    store.delete("a")
    assert store.all().to_list() == [KeyValue("b", "2"), KeyValue("c", "2")]
    assert store.reverse_all().to_list() == [KeyValue("c", "2"), KeyValue("b", "2")]
    assert store.range("a", "b").to_list() == [KeyValue("b", "2")]
    assert store.approximate_num_entries() == 2  # the store below's count


def test_deleted_then_flushed_items_stay_hidden(store, listener):
    store.put("a", "a")
    store.flush()
    store.delete("a")
    assert store.get("a") is None
    assert store.range("a", "b").to_list() == []
    assert store.reverse_range("a", "b").to_list() == []
    assert store.all().to_list() == []
    assert store.reverse_all().to_list() == []


def test_close_flushes_and_clears_the_namespace(store, listener, context):
    store.put("a", "a")
    assert len(context.cache) == 1
    store.close()
    assert len(context.cache) == 0
    assert listener.forwarded == {"a": ("a", None)}


def test_put_if_absent_and_put_all_through_cache(store, listener):
    assert store.put_if_absent("k", "v") is None
    assert store.put_if_absent("k", "w") == "v"
    store.put_all([("a", "1"), ("b", "2")])
    assert store.get("a") == "1" and store.get("k") == "v"
    store.flush()
    assert {k: v[0] for k, v in listener.forwarded.items()} == {"k": "v", "a": "1", "b": "2"}


def test_zero_bytes_turns_caching_off(make_context, kv_supplier):
    context = make_context(cache_bytes=0)
    context.set_record(5)
    store = kv_store(context, kv_supplier())
    assert store.set_flush_listener(Listener(), True) is False
    store.put("a", "1")
    assert [(r.key, r.value) for r in context.changelog] == [(b"a", b"1")]
    assert store.get("a") == "1"
    store.close()


def test_no_task_cache_turns_caching_off(make_context, kv_supplier):
    context = make_context(cache_bytes=None)
    store = kv_store(context, kv_supplier())
    assert store.set_flush_listener(Listener(), False) is False
    store.close()


def test_uncached_store_has_no_flush_listener(make_context, kv_supplier):
    context = make_context(cache_bytes=100_000)
    store = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String()).build()
    store.init(context, store)
    assert store.set_flush_listener(Listener(), False) is False
    store.close()


def test_flush_listener_before_init_is_an_error(kv_supplier):
    store = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String()) \
        .with_caching_enabled().build()
    with pytest.raises(ProcessorStateException, match="before the store was initialised"):
        store.set_flush_listener(Listener(), False)


def test_timestamped_listener_gets_value_and_timestamp(context, kv_supplier):
    store = kv_store(context, kv_supplier(timestamped=True), timestamped=True)
    li = Listener()
    store.set_flush_listener(li, True)
    store.put("k", ValueAndTimestamp("v1", 5))
    store.flush()
    store.put("k", ValueAndTimestamp("v2", 7))
    store.flush()
    assert [c[:3] for c in li.calls] == [("k", ValueAndTimestamp("v1", 5), None),
                                         ("k", ValueAndTimestamp("v2", 7), ValueAndTimestamp("v1", 5))]
    store.close()


def test_cache_shared_by_stores_of_a_task(context, kv_supplier):
    a = kv_store(context, kv_supplier("a"))
    b = kv_store(context, kv_supplier("b"))
    a.put("x", "1")
    b.put("x", "2")
    assert sorted(context.cache.namespaces()) == ["0_0-a", "0_0-b"]
    assert a.get("x") == "1" and b.get("x") == "2"
    a.close()
    b.close()


# -- window and session caching ------------------------------------------------------------------

@pytest.fixture
def window(context, window_supplier):
    store = Stores.window_store_builder(window_supplier(retention=120_000, size=10), Serdes.String(),
                                        Serdes.String()).with_caching_enabled().build()
    store.init(context, store)
    yield store
    if store.is_open():
        store.close()


def test_window_cache_flush_listener(window, context):
    li = Listener(context)
    assert window.set_flush_listener(li, True)
    window.put("a", "1", 10)
    window.put("a", "2", 10)
    window.put("b", "1", 20)
    assert window.fetch("a", 10) == "2"
    assert window.inner.wrapped.get(b"a" + (10).to_bytes(8, "big") + bytes(4)) is None
    window.flush()
    wa, wb = Windowed("a", TimeWindow(10, 20)), Windowed("b", TimeWindow(20, 30))
    assert [c[:3] for c in li.calls] == [(wa, "2", None), (wb, "1", None)]
    window.put("a", "3", 10)
    window.put("a", None, 20)  # never existed: not forwarded
    window.flush()
    assert [c[:3] for c in li.calls[2:]] == [(wa, "3", "2")]
    assert [(r.key, r.value) for r in context.changelog] == [
        (b"a" + (10).to_bytes(8, "big") + bytes(4), b"2"), (b"b" + (20).to_bytes(8, "big") + bytes(4), b"1"),
        (b"a" + (10).to_bytes(8, "big") + bytes(4), b"3")]


def test_window_cache_merges_fetches(window):
    window.set_flush_listener(Listener(), False)
    window.put("a", "1", 10)
    window.put("b", "1", 10)
    window.flush()
    window.put("a", "2", 20)
    window.put("b", None, 10)
    window.put("a", "0", 70_000)  # next segment
    assert window.fetch("a", 0, 100_000).to_list() == [KeyValue(10, "1"), KeyValue(20, "2"), KeyValue(70_000, "0")]
    assert window.fetch_all(0, 100_000).to_list() == [
        KeyValue(Windowed("a", TimeWindow(10, 20)), "1"), KeyValue(Windowed("a", TimeWindow(20, 30)), "2"),
        KeyValue(Windowed("a", TimeWindow(70_000, 70_010)), "0")]
    assert [kv.key.window.start for kv in window.backward_all()] == [70_000, 20, 10]
    assert window.fetch(None, None, 15, 25).to_list() == [KeyValue(Windowed("a", TimeWindow(20, 30)), "2")]


def test_window_cache_still_answers_for_records_the_store_expired(window):
    # Kafka's CachingWindowStore filters its cache only by the requested times: a window the
    # store below has expired stays visible while it is cached (flushing keeps it, clean).
    window.set_flush_listener(Listener(), False)
    window.put("a", "old", 0)
    window.put("a", "new", 200_000)
    window.flush()
    below = window.inner.wrapped
    assert below.get(b"a" + (0).to_bytes(8, "big") + bytes(4)) is None  # expired below
    assert window.fetch("a", 0) == "old"
    assert window.fetch("a", 0, 300_000).to_list() == [KeyValue(0, "old"), KeyValue(200_000, "new")]
    assert [kv.value for kv in window.all()] == ["old", "new"]


def test_session_cache_flush_listener(context, session_supplier):
    store = Stores.session_store_builder(session_supplier(), Serdes.String(), Serdes.Long()) \
        .with_caching_enabled().build()
    store.init(context, store)
    li = Listener(context)
    assert store.set_flush_listener(li, True)
    a = Windowed("a", SessionWindow(0, 10))
    store.put(a, 1)
    store.put(a, 2)
    assert store.fetch_session("a", 0, 10) == 2
    assert store.find_sessions("a", 0, 10).to_list() == [KeyValue(a, 2)]
    store.flush()
    store.remove(a)
    store.flush()
    assert [c[:3] for c in li.calls] == [(a, 2, None), (a, None, 2)]
    assert store.fetch("a").to_list() == []
    store.close()
