"""Restoring from the changelog rebuilds a store byte for byte; RocksDB state survives reopening."""

from __future__ import annotations

import random

import pytest

from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores, ValueAndTimestamp
from raystreams.windowed import SessionWindow, TimeWindow, Windowed


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
def caching(request):
    return request.param


def build_and_fill(builder, context, fill):
    store = builder.build()
    store.init(context, store)
    fill(store, context)
    store.flush()
    return store


def check_rebuilt(builder_factory, make_context, caching, fill, backend_contents, replay):
    source = make_context(cache_bytes=50_000 if caching else None)
    original = build_and_fill(builder_factory(caching), source, fill)
    assert source.changelog, "the fill wrote nothing"
    target = make_context()
    rebuilt = replay(builder_factory(False), source, target)
    assert backend_contents(rebuilt) == backend_contents(original)
    assert backend_contents(rebuilt), "nothing restored"
    return original, rebuilt


def kv_fill(store, context):
    rng = random.Random(7)
    for i in range(300):
        context.set_record(1000 + i, offset=i)
        key = f"k{rng.randrange(60)}"
        op = rng.random()
        if op < 0.6:
            store.put(key, f"v{i}")
        elif op < 0.8:
            store.delete(key)
        elif op < 0.9:
            store.put_if_absent(key, f"a{i}")
        else:
            store.put_all([(key, f"p{i}"), (key + "x", f"q{i}")])
        if i % 50 == 49:
            store.flush()


def test_key_value_store(kv_supplier, make_context, caching, backend_contents, replay):
    def builder(cached):
        b = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String())
        return b.with_caching_enabled() if cached else b
    original, rebuilt = check_rebuilt(builder, make_context, caching, kv_fill, backend_contents, replay)
    assert rebuilt.all().to_list() == original.all().to_list()


def test_timestamped_key_value_store(kv_supplier, make_context, caching, backend_contents, replay):
    def fill(store, context):
        for i in range(100):
            context.set_record(500 + i)
            key = f"k{i % 17}"
            if i % 7 == 3:
                store.delete(key)
            else:
                store.put(key, ValueAndTimestamp(f"v{i}", 10_000 + i * 3))

    def builder(cached):
        b = Stores.timestamped_key_value_store_builder(kv_supplier(timestamped=True), Serdes.String(),
                                                       Serdes.String())
        return b.with_caching_enabled() if cached else b
    original, rebuilt = check_rebuilt(builder, make_context, caching, fill, backend_contents, replay)
    assert rebuilt.get("k1") == original.get("k1") and isinstance(rebuilt.get("k1"), ValueAndTimestamp)


def test_lru_map(make_context, backend_contents, replay):
    def builder(cached):
        return Stores.key_value_store_builder(Stores.lru_map("lru", 10), Serdes.String(), Serdes.String())
    original, rebuilt = check_rebuilt(builder, make_context, False, kv_fill, backend_contents, replay)
    assert len(backend_contents(rebuilt)) == 10


def window_fill(store, context):
    rng = random.Random(3)
    t = 0
    for i in range(400):
        t += rng.randrange(0, 900)
        context.set_record(t, offset=i)
        key = rng.randrange(20)
        start = max(0, t - rng.randrange(0, 5000))
        store.put(key, None if rng.random() < 0.1 else f"v{i}", start)


@pytest.mark.parametrize("retain_duplicates", [False, True])
def test_window_store(window_supplier, make_context, caching, backend_contents, replay, retain_duplicates):
    def builder(cached):
        b = Stores.window_store_builder(window_supplier(retention=120_000, size=100,
                                                        retain_duplicates=retain_duplicates),
                                        Serdes.Integer(), Serdes.String())
        return b.with_caching_enabled() if cached else b
    original, rebuilt = check_rebuilt(builder, make_context, caching, window_fill, backend_contents, replay)
    # expiry was replayed too: stream time is the same, and nothing older than retention is left
    observed = rebuilt.inner.inner_most().observed_stream_time
    assert observed == original.inner.inner_most().observed_stream_time > 150_000
    assert min(kv.key.window.start for kv in rebuilt.all()) > observed - 120_000
    # a cached original still lists windows the store below expired (as Kafka's cache does);
    # the live ones are the same
    live = observed - 120_000 + 1
    assert rebuilt.all().to_list() == [kv for kv in original.all() if kv.key.window.start >= live]
    assert rebuilt.fetch(3, 0, 1 << 40).to_list() == [kv for kv in original.fetch(3, 0, 1 << 40)
                                                      if kv.key >= live]


def test_timestamped_window_store(window_supplier, make_context, caching, backend_contents, replay):
    def fill(store, context):
        for i in range(200):
            context.set_record(i * 100)
            store.put(i % 13, ValueAndTimestamp(f"v{i}", i * 100 + 1), (i * 100) // 1000 * 1000)

    def builder(cached):
        b = Stores.timestamped_window_store_builder(window_supplier(size=1000, timestamped=True),
                                                    Serdes.Integer(), Serdes.String())
        return b.with_caching_enabled() if cached else b
    original, rebuilt = check_rebuilt(builder, make_context, caching, fill, backend_contents, replay)
    assert rebuilt.fetch(1, 0, 1 << 40).to_list() == original.fetch(1, 0, 1 << 40).to_list()


def test_session_store(session_supplier, make_context, caching, backend_contents, replay):
    def fill(store, context):
        rng = random.Random(11)
        t = 0
        for i in range(300):
            t += rng.randrange(0, 300)
            context.set_record(t)
            key = f"u{rng.randrange(15)}"
            start = max(0, t - rng.randrange(0, 2000))
            window = Windowed(key, SessionWindow(start, t))
            if rng.random() < 0.15:
                store.remove(window)
            else:
                store.put(window, i)

    def builder(cached):
        b = Stores.session_store_builder(session_supplier(retention=20_000), Serdes.String(), Serdes.Long())
        return b.with_caching_enabled() if cached else b
    original, rebuilt = check_rebuilt(builder, make_context, caching, fill, backend_contents, replay)
    observed = rebuilt.inner.inner_most().observed_stream_time
    assert observed == original.inner.inner_most().observed_stream_time
    # a cached original still finds sessions the store below expired (as Kafka's cache does)
    live = observed - 20_000 + 1
    assert rebuilt.fetch(None, None).to_list() == [kv for kv in original.fetch(None, None)
                                                   if kv.key.window.end >= live]


def test_restore_bypasses_cache_and_changelog(make_context, kv_supplier):
    source = make_context()
    store = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String()).build()
    store.init(source, store)
    store.put("a", "1")
    target = make_context(cache_bytes=100_000)
    rebuilt = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String()) \
        .with_caching_enabled().build()
    rebuilt.init(target, rebuilt)
    target.restore_callbacks["kv"](source.changelog_records())
    assert target.changelog == []
    assert len(target.cache) == 0
    assert rebuilt.get("a") == "1"
    store.close()
    rebuilt.close()


# -- RocksDB persistence ---------------------------------------------------------------------------

def reopen(builder, context):
    store = builder.build()
    store.init(context, store)
    return store


def test_rocksdb_key_value_survives_reopen(make_context):
    context = make_context(cache_bytes=10_000)
    builder = Stores.key_value_store_builder(Stores.persistent_key_value_store("kv"), Serdes.String(),
                                             Serdes.String()).with_caching_enabled()
    store = reopen(builder, context)
    store.put("a", "1")
    store.put("b", "2")
    store.delete("b")
    store.close()  # flushes the cache down
    store = reopen(builder, context)
    assert store.all().to_list() == [KeyValue("a", "1")]
    assert (context.task_dir / "kv").is_dir()
    store.close()


def test_rocksdb_window_and_session_survive_reopen(make_context):
    context = make_context()
    wb = Stores.window_store_builder(Stores.persistent_window_store("w", 120_000, 10), Serdes.String(),
                                     Serdes.String())
    sb = Stores.session_store_builder(Stores.persistent_session_store("s", 120_000), Serdes.String(),
                                      Serdes.Long())
    w, s = reopen(wb, context), reopen(sb, context)
    w.put("a", "1", 10)
    w.put("a", "2", 70_000)  # a second segment, a second column family
    s.put(Windowed("a", SessionWindow(1, 5)), 3)
    w.close()
    s.close()
    w, s = reopen(wb, context), reopen(sb, context)
    assert w.fetch("a", 0, 100_000).to_list() == [KeyValue(10, "1"), KeyValue(70_000, "2")]
    assert w.all().to_list()[0] == KeyValue(Windowed("a", TimeWindow(10, 20)), "1")
    assert s.fetch("a").to_list() == [KeyValue(Windowed("a", SessionWindow(1, 5)), 3)]
    w.close()
    s.close()


def test_rocksdb_segments_are_dropped_when_expired(make_context):
    from rocksdict import Rdict
    context = make_context()
    store = reopen(Stores.window_store_builder(Stores.persistent_window_store("w", 120_000, 10),
                                               Serdes.String(), Serdes.String()), context)
    for t in [0, 60_000, 120_000, 180_000, 240_000]:
        store.put("a", str(t), t)
    store.close()
    # segment interval 60 s, retention 120 s, stream time 240 s: segments 2, 3, 4 remain
    assert sorted(c for c in Rdict.list_cf(str(context.task_dir / "w")) if c != "default") == \
        ["w.120000", "w.180000", "w.240000"]


def test_rocksdb_store_cannot_open_twice(make_context):
    from raystreams.errors import ProcessorStateException
    context = make_context()
    builder = Stores.key_value_store_builder(Stores.persistent_key_value_store("kv"), Serdes.String(),
                                             Serdes.String())
    first = reopen(builder, context)
    second = builder.build()
    with pytest.raises(ProcessorStateException, match="Error opening store kv"):
        second.init(context, second)
    first.close()
