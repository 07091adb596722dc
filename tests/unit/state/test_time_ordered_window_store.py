"""The time-ordered window store of emit-on-window-close aggregations, with and without cache.

Vectors from Kafka's TimeOrderedWindowStoreTest (retention 100, segment interval 100, window
size 10, with and without index) and the oracle's shrunk ``emit_final`` cases (size 10 s,
grace 5 s: retention 15 s), whose store listings Kafka gives in window-start order.
"""

from __future__ import annotations

import pytest

from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores, ValueAndTimestamp
from raystreams.state.base.time_ordered import from_time_first, to_time_first
from raystreams.state.suppliers import RocksDBTimeOrderedWindowBytesStoreSupplier
from raystreams.windowed import TimeWindow, Windowed

LONG_MAX = (1 << 63) - 1


@pytest.fixture(params=[False, True], ids=["nocache", "cache"])
def caching(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture(params=[False, True], ids=["noindex", "index"])
def has_index(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def context(make_context, caching):
    ctx = make_context(cache_bytes=1_000_000 if caching else None)
    ctx.set_record(10)
    return ctx


@pytest.fixture
def build(context, caching):
    opened = []

    def make(supplier, timestamped=False):
        make_builder = Stores.timestamped_window_store_builder if timestamped else Stores.window_store_builder
        builder = make_builder(supplier, Serdes.String(), Serdes.String() if not timestamped else Serdes.Long())
        if caching:
            builder.with_caching_enabled()
        store = builder.build()
        store.init(context, store)
        opened.append(store)
        return store
    yield make
    for store in opened:
        if store.is_open():
            store.close()


@pytest.fixture
def store(build, has_index):
    return build(RocksDBTimeOrderedWindowBytesStoreSupplier("test", 100, 10, False, has_index=has_index,
                                                            segment_interval=100, timestamped=False))


def wp(key, value, start):
    return KeyValue(Windowed(key, TimeWindow(start, start + 10)), value)


def test_key_layout_round_trips():
    key = b"ab" + (1234).to_bytes(8, "big") + (7).to_bytes(4, "big")
    tf = to_time_first(key)
    assert tf == b"\x00" + (1234).to_bytes(8, "big") + b"ab" + (7).to_bytes(4, "big")
    assert from_time_first(tf) == key


def test_all_and_fetch_all_iterate_in_time_order(store):
    for i, k in enumerate("hgfedcba"):
        store.put(k, k, i)
    expected = [wp(k, k, i) for i, k in enumerate("hgfedcba")]
    assert store.all().to_list() == expected
    assert store.backward_all().to_list() == expected[::-1]
    assert store.fetch_all(0, 7).to_list() == expected
    assert store.fetch_all(2, 4).to_list() == expected[2:5]
    assert store.backward_fetch_all(5, 7).to_list() == expected[5:8][::-1]


def test_key_range_fetch_order_depends_on_the_index(store, has_index):
    # Kafka's shouldFetchAndIterateOverKeyRange / shouldFetchAndIterateOverKeyBackwardRange
    store.put("a", "0001", 0)
    store.put("aa", "0002", 0)
    store.put("a", "0003", 1)
    store.put("aa", "0004", 1)
    store.put("a", "0005", 100)
    assert store.fetch("a", "a", 0, LONG_MAX).to_list() == [wp("a", "0001", 0), wp("a", "0003", 1),
                                                            wp("a", "0005", 100)]
    assert store.fetch("aa", "aa", 0, LONG_MAX).to_list() == [wp("aa", "0002", 0), wp("aa", "0004", 1)]
    assert store.backward_fetch("a", "a", 0, LONG_MAX).to_list() == [
        wp("a", "0005", 100), wp("a", "0003", 1), wp("a", "0001", 0)]
    if has_index:
        forward = [wp("a", "0001", 0), wp("a", "0003", 1), wp("aa", "0002", 0), wp("aa", "0004", 1),
                   wp("a", "0005", 100)]
        backward = [wp("a", "0005", 100), wp("aa", "0004", 1), wp("aa", "0002", 0), wp("a", "0003", 1),
                    wp("a", "0001", 0)]
    else:
        forward = [wp("a", "0001", 0), wp("aa", "0002", 0), wp("a", "0003", 1), wp("aa", "0004", 1),
                   wp("a", "0005", 100)]
        backward = [wp("a", "0005", 100), wp("aa", "0004", 1), wp("a", "0003", 1), wp("aa", "0002", 0),
                    wp("a", "0001", 0)]
    assert store.fetch("a", "aa", 0, LONG_MAX).to_list() == forward
    assert store.backward_fetch("a", "aa", 0, LONG_MAX).to_list() == backward
    assert store.fetch("a", 0, LONG_MAX).to_list() == [KeyValue(0, "0001"), KeyValue(1, "0003"),
                                                       KeyValue(100, "0005")]


def test_point_reads_and_deletes(store):
    store.put("a", "1", 5)
    store.put("a", "2", 5)
    assert store.fetch("a", 5) == "2"
    store.put("a", None, 5)
    assert store.fetch("a", 5) is None
    assert store.all().to_list() == []


def test_reads_keep_the_window_at_stream_time_minus_retention(store, context, caching):
    # getActualFrom of the time-first schema: observed - retention, inclusive
    store.put("a", "0", 0)
    store.put("b", "1", 1)
    store.put("c", "100", 100)  # stream time 100: windows from 0 are still read (retention 100)
    store.flush()
    assert [kv.key.key for kv in store.all()] == ["a", "b", "c"]
    assert store.fetch("a", 0) == "0"
    store.put("d", "101", 101)  # now the window at 0 is gone below; the cache still holds it
    store.flush()
    assert [kv.key.key for kv in store.all()] == (["a", "b", "c", "d"] if caching else ["b", "c", "d"])
    assert store.fetch("a", 0) == ("0" if caching else None)
    assert store.fetch_all(0, 1).to_list() == ([wp("a", "0", 0), wp("b", "1", 1)] if caching
                                               else [wp("b", "1", 1)])


def test_emit_final_listing_is_in_window_start_order(build, context, caching):
    # the oracle's emit_final case: 'b' @1 then 'a' @10000; Kafka lists b@0 before a@10000
    store = build(Stores.persistent_timestamped_time_ordered_window_store("final-counts", 15_000, 10_000),
                  timestamped=True)
    context.set_record(1)
    store.put("b", ValueAndTimestamp(1, 1), 0)
    store.flush()
    context.set_record(10000)
    store.put("a", ValueAndTimestamp(1, 10000), 10000)
    store.flush()
    listing = [(kv.key.key, kv.key.window.start, kv.value.value) for kv in store.all()]
    assert listing == [("b", 0, 1), ("a", 10000, 1)]
    # what the emit-final processor reads when stream time 15000 closes [0, 10000)
    context.set_record(15000)
    store.put("a", ValueAndTimestamp(2, 15000), 10000)
    store.flush()
    assert [(kv.key.key, kv.key.window.start) for kv in store.fetch_all(0, 0)] == [("b", 0)]


def test_changelog_carries_window_key_schema_keys(build, context):
    store = build(RocksDBTimeOrderedWindowBytesStoreSupplier("test", 100, 10, False, segment_interval=100,
                                                             timestamped=False))
    store.put("k", "v", 42)
    store.flush()
    assert [(r.key, r.value) for r in context.changelog] == [
        (b"k" + (42).to_bytes(8, "big") + bytes(4), b"v")]


def test_restore_rebuilds_the_time_ordered_store(build, context, make_context, replay, caching):
    supplier = RocksDBTimeOrderedWindowBytesStoreSupplier("test", 1000, 10, False, segment_interval=100,
                                                          timestamped=False)
    store = build(supplier)
    for i, k in enumerate("cab"):
        store.put(k, str(i), 50 - 10 * i)
    store.put("c", None, 50)
    store.flush()
    rebuilt = replay(Stores.window_store_builder(supplier, Serdes.String(), Serdes.String()), context,
                     make_context())
    assert rebuilt.all().to_list() == [wp("b", "2", 30), wp("a", "1", 40)]
    rebuilt.close()


def test_supplier_defaults():
    supplier = Stores.persistent_timestamped_time_ordered_window_store("s", 15_000, 10_000)
    assert (supplier.retention_period, supplier.window_size, supplier.segment_interval) == (15_000, 10_000, 60_000)
    assert supplier.timestamped and not supplier.has_index and supplier.persistent()


def test_index_entries_follow_the_base_entries(build, has_index, caching):
    store = build(RocksDBTimeOrderedWindowBytesStoreSupplier("test", 100, 10, False, has_index=has_index,
                                                             segment_interval=100, timestamped=False))
    store.put("k", "v", 42)
    store.flush()
    bottom = store.inner.inner_most()
    raw = [k for segment in bottom._segments.values() for k, _ in segment.range(None, None, True)]
    base = b"\x00" + (42).to_bytes(8, "big") + b"k" + bytes(4)
    index = b"\x01k" + (42).to_bytes(8, "big") + bytes(4)
    assert raw == ([base, index] if has_index else [base])
    assert store.fetch("k", "k", 0, 100).to_list() == [wp("k", "v", 42)]
    store.put("k", None, 42)
    store.flush()
    assert [k for segment in bottom._segments.values() for k, _ in segment.range(None, None, True)] == []
