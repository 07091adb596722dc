"""Kafka Streams 4.4's ``CachingPersistentWindowStoreTest``, case by case, on raystreams' stack.

A caching window store over a persistent (rocksdict) window store: retention 100 ms, segments
of 100 ms, windows of 10 ms, byte keys and values, a 150-byte cache and a flush listener
without old values, as in Kafka's test. ``commit`` there is ``flush`` here. The overflow cases
add entries until the first eviction (Kafka's ``addItemsToCache`` counts its own entry sizes).
Not ported: the ``Position`` cases and the ``readOnly(IsolationLevel)`` views (neither is in
raystreams), and ``shouldDelegateInit`` (a mock-only check of a call).
"""

from __future__ import annotations

import uuid

import pytest

from raystreams import Consumed, Serdes, StreamsBuilder
from raystreams.errors import InvalidStateStoreException
from raystreams.processor.api import Processor
from raystreams.state import KeyValue, Stores
from raystreams.state.base.key_schema import WINDOW_KEY_SCHEMA
from raystreams.state.suppliers import RocksDBWindowBytesStoreSupplier
from raystreams.testing import TopologyTestDriver
from raystreams.windowed import TimeWindow, Windowed

MAX_CACHE_SIZE_BYTES = 150
DEFAULT_TIMESTAMP = 10
WINDOW_SIZE = 10
SEGMENT_INTERVAL = 100
LONG_MAX = (1 << 63) - 1


def wk(key: bytes, start: int) -> Windowed:
    return Windowed(key, TimeWindow(start, start + WINDOW_SIZE))


def windowed_pair(key: str, value: str, ts: int) -> KeyValue:
    return KeyValue(wk(key.encode(), ts), value.encode())


class FlushListener:
    """Kafka's CacheFlushListenerStub: the last (new, old) per windowed key."""

    def __init__(self) -> None:
        self.forwarded: dict[Windowed, tuple[bytes | None, bytes | None]] = {}

    def __call__(self, key, new, old, rc) -> None:
        self.forwarded[key] = (new, old)


@pytest.fixture
def context(make_context):
    ctx = make_context(cache_bytes=MAX_CACHE_SIZE_BYTES)
    ctx.set_record(DEFAULT_TIMESTAMP, offset=0, topic="topic")
    return ctx


@pytest.fixture
def listener():
    return FlushListener()


@pytest.fixture
def store(context, listener):
    supplier = RocksDBWindowBytesStoreSupplier("store-name", 100, WINDOW_SIZE, False,
                                               SEGMENT_INTERVAL)
    s = Stores.window_store_builder(supplier, Serdes.Bytes(), Serdes.Bytes()) \
        .with_caching_enabled().with_logging_disabled().build()
    s.init(context, s)
    s.set_flush_listener(listener, False)
    yield s
    if s.is_open():
        s.close()


@pytest.fixture
def cache(context):
    return context.cache


def bytes_store(store):
    """The segmented bytes store under the caching layer (Kafka's ``bytesStore``)."""
    layer = store.inner
    while not hasattr(layer, "flush_cache"):
        layer = layer.wrapped
    return layer.wrapped


def put_all(store, *entries: tuple[str, str, int]) -> None:
    for key, value, ts in entries:
        store.put(key.encode(), value.encode(), ts)


FIVE = [("a", "a", DEFAULT_TIMESTAMP), ("b", "b", DEFAULT_TIMESTAMP),
        ("c", "c", DEFAULT_TIMESTAMP + 10), ("d", "d", DEFAULT_TIMESTAMP + 20),
        ("e", "e", DEFAULT_TIMESTAMP + 20)]


def test_should_not_return_duplicates_in_ranges():
    builder = StreamsBuilder()
    builder.add_state_store(Stores.window_store_builder(
        Stores.persistent_window_store("store-name", 3_600_000, 60_000, False),
        Serdes.String(), Serdes.String()).with_caching_enabled())

    class CountingProcessor(Processor):
        def init(self, context) -> None:
            self.context = context
            self.store = context.get_state_store("store-name")
            self.processed = 0
            assert len(self.store.all().to_list()) == 0

        def process(self, record) -> None:
            assert len(self.store.all().to_list()) == self.processed
            self.store.put(record.value, record.value, record.timestamp)
            self.processed += 1
            self.context.forward(record)

    builder.stream("topic", Consumed.with_(Serdes.String(), Serdes.String())) \
        .process(CountingProcessor, "store-name")
    driver = TopologyTestDriver(builder.build(), {"application.id": "no-dups",
                                                  "commit.interval.ms": 10_000},
                                initial_wall_clock_time=0)
    try:
        topic = driver.create_input_topic("topic", Serdes.String(), Serdes.String(), start_timestamp=0)
        for round_ in range(4):
            if round_:
                driver.advance_wall_clock_time(10_000)
                topic.advance_time(10_000)
            for _ in range(5):
                topic.pipe_input(str(uuid.uuid4()), str(uuid.uuid4()))
    finally:
        driver.close()


def test_should_put_fetch_from_cache(store, cache):
    put_all(store, ("a", "a", DEFAULT_TIMESTAMP), ("b", "b", DEFAULT_TIMESTAMP))
    assert store.fetch(b"a", 10) == b"a"
    assert store.fetch(b"b", 10) == b"b"
    assert store.fetch(b"c", 10) is None
    assert store.fetch(b"a", 0) is None
    assert store.fetch(b"a", 10, 10).to_list() == [KeyValue(DEFAULT_TIMESTAMP, b"a")]
    assert store.fetch(b"b", 10, 10).to_list() == [KeyValue(DEFAULT_TIMESTAMP, b"b")]
    assert len(cache) == 2


def test_should_put_fetch_range_from_cache(store, cache):
    put_all(store, ("a", "a", DEFAULT_TIMESTAMP), ("b", "b", DEFAULT_TIMESTAMP))
    assert store.fetch(b"a", b"b", DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP).to_list() == \
        [windowed_pair("a", "a", DEFAULT_TIMESTAMP), windowed_pair("b", "b", DEFAULT_TIMESTAMP)]
    assert len(cache) == 2


@pytest.mark.parametrize("key_from,key_to,keys", [
    (None, b"d", "abcd"), (b"b", None, "bcde"), (None, None, "abcde")])
def test_should_put_fetch_range_from_cache_for_null_keys(store, key_from, key_to, keys):
    put_all(store, *FIVE)
    expected = [windowed_pair(k, v, ts) for k, v, ts in FIVE if k in keys]
    assert store.fetch(key_from, key_to, DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + 20).to_list() == \
        expected


@pytest.mark.parametrize("key_from,key_to,keys", [
    (None, b"c", "abc"), (b"c", None, "cde"), (None, None, "abcde")])
def test_should_put_backward_fetch_range_from_cache_for_null_keys(store, key_from, key_to, keys):
    put_all(store, *FIVE)
    expected = [windowed_pair(k, v, ts) for k, v, ts in FIVE if k in keys][::-1]
    assert store.backward_fetch(key_from, key_to, DEFAULT_TIMESTAMP,
                                DEFAULT_TIMESTAMP + 20).to_list() == expected


def test_should_get_all_from_cache(store):
    put_all(store, *((k, k, DEFAULT_TIMESTAMP) for k in "abcdefgh"))
    expected = [windowed_pair(k, k, DEFAULT_TIMESTAMP) for k in "abcdefgh"]
    assert store.all().to_list() == expected
    assert store.backward_all().to_list() == expected[::-1]


def test_should_fetch_all_within_timestamp_range(store):
    put_all(store, *((k, k, i) for i, k in enumerate("abcdefgh")))
    pairs = [windowed_pair(k, k, i) for i, k in enumerate("abcdefgh")]
    assert store.fetch_all(0, 7).to_list() == pairs
    assert store.fetch_all(2, 4).to_list() == pairs[2:5]
    assert store.fetch_all(5, 7).to_list() == pairs[5:8]
    assert store.backward_fetch_all(0, 7).to_list() == pairs[::-1]
    assert store.backward_fetch_all(2, 4).to_list() == pairs[2:5][::-1]
    assert store.backward_fetch_all(5, 7).to_list() == pairs[5:8][::-1]


def _add_items_until_eviction(store, cache) -> int:
    added = 0
    while len(cache) == added:
        kv = str(added).encode()
        store.put(kv, kv, DEFAULT_TIMESTAMP)
        added += 1
    return added


def test_should_flush_evicted_items_into_underlying_store(store, cache):
    added = _add_items_until_eviction(store, cache)
    # all dirty entries were flushed: the evicted one is in the store below
    below = list(bytes_store(store).fetch(b"0", b"0", DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP))
    assert len(below) == 1
    key, value = below[0]
    assert WINDOW_KEY_SCHEMA.segment_timestamp(key) == DEFAULT_TIMESTAMP
    assert value == b"0"
    assert len(cache) == added - 1


def test_should_forward_dirty_item_to_listener_when_evicted(store, cache, listener):
    added = _add_items_until_eviction(store, cache)
    assert len(listener.forwarded) == added


def test_should_forward_dirty_items_when_flush_called(store, listener):
    store.put(b"1", b"a", DEFAULT_TIMESTAMP)
    store.flush()
    assert listener.forwarded[wk(b"1", DEFAULT_TIMESTAMP)] == (b"a", None)


def test_should_set_flush_listener(store):
    assert store.set_flush_listener(None, True)
    assert store.set_flush_listener(None, False)


@pytest.mark.parametrize("send_old_values", [True, False], ids=["enabled", "disabled"])
def test_should_forward_old_values(store, listener, send_old_values):
    store.set_flush_listener(listener, send_old_values)
    key = wk(b"1", DEFAULT_TIMESTAMP)
    store.put(b"1", b"a", DEFAULT_TIMESTAMP)
    store.put(b"1", b"b", DEFAULT_TIMESTAMP)
    store.flush()
    assert listener.forwarded[key] == (b"b", None)
    listener.forwarded.clear()
    store.put(b"1", b"c", DEFAULT_TIMESTAMP)
    store.flush()
    assert listener.forwarded[key] == (b"c", b"b" if send_old_values else None)
    store.put(b"1", None, DEFAULT_TIMESTAMP)
    store.flush()
    assert listener.forwarded[key] == (None, b"c" if send_old_values else None)
    listener.forwarded.clear()
    store.put(b"1", b"a", DEFAULT_TIMESTAMP)
    store.put(b"1", b"b", DEFAULT_TIMESTAMP)
    store.put(b"1", None, DEFAULT_TIMESTAMP)
    store.flush()
    assert key not in listener.forwarded


def test_should_take_value_from_cache_if_same_timestamp_flushed_to_rocks(store):
    store.put(b"1", b"a", DEFAULT_TIMESTAMP)
    store.flush()
    store.put(b"1", b"b", DEFAULT_TIMESTAMP)
    assert store.fetch(b"1", DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP).to_list() == \
        [KeyValue(DEFAULT_TIMESTAMP, b"b")]


def test_should_iterate_across_windows(store):
    store.put(b"1", b"a", DEFAULT_TIMESTAMP)
    store.put(b"1", b"b", DEFAULT_TIMESTAMP + WINDOW_SIZE)
    expected = [KeyValue(DEFAULT_TIMESTAMP, b"a"), KeyValue(DEFAULT_TIMESTAMP + WINDOW_SIZE, b"b")]
    assert store.fetch(b"1", DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE).to_list() == expected
    assert store.backward_fetch(b"1", DEFAULT_TIMESTAMP,
                                DEFAULT_TIMESTAMP + WINDOW_SIZE).to_list() == expected[::-1]


def _one_in_store_one_in_cache(store) -> None:
    bytes_store(store).put(WINDOW_KEY_SCHEMA.to_store_key(b"1", DEFAULT_TIMESTAMP, 0), b"a")
    store.put(b"1", b"b", DEFAULT_TIMESTAMP + WINDOW_SIZE)


def test_should_iterate_cache_and_store(store):
    _one_in_store_one_in_cache(store)
    expected = [KeyValue(DEFAULT_TIMESTAMP, b"a"), KeyValue(DEFAULT_TIMESTAMP + WINDOW_SIZE, b"b")]
    assert store.fetch(b"1", DEFAULT_TIMESTAMP, DEFAULT_TIMESTAMP + WINDOW_SIZE).to_list() == expected
    assert store.backward_fetch(b"1", DEFAULT_TIMESTAMP,
                                DEFAULT_TIMESTAMP + WINDOW_SIZE).to_list() == expected[::-1]


def test_should_iterate_cache_and_store_key_range(store):
    _one_in_store_one_in_cache(store)
    expected = [windowed_pair("1", "a", DEFAULT_TIMESTAMP),
                windowed_pair("1", "b", DEFAULT_TIMESTAMP + WINDOW_SIZE)]
    assert store.fetch(b"1", b"2", DEFAULT_TIMESTAMP,
                       DEFAULT_TIMESTAMP + WINDOW_SIZE).to_list() == expected
    assert store.backward_fetch(b"1", b"2", DEFAULT_TIMESTAMP,
                                DEFAULT_TIMESTAMP + WINDOW_SIZE).to_list() == expected[::-1]


def test_should_clear_namespace_cache_on_close(store, cache):
    store.put(b"a", b"a", 0)
    assert len(cache) == 1
    store.close()
    assert len(cache) == 0


@pytest.mark.parametrize("call", [
    lambda s: s.fetch(b"a", 0, 10),
    lambda s: s.fetch(b"a", b"b", 0, 10),
    lambda s: s.put(b"a", b"a", 0),
], ids=["fetch", "fetch-range", "put"])
def test_should_throw_if_trying_to_use_a_closed_caching_store(store, call):
    store.close()
    with pytest.raises(InvalidStateStoreException):
        call(store)


def _exact_keys(store) -> None:
    put_all(store, ("a", "0001", 0), ("aa", "0002", 0), ("a", "0003", 1), ("aa", "0004", 1),
            ("a", "0005", SEGMENT_INTERVAL))


def test_should_fetch_and_iterate_over_exact_keys(store):
    _exact_keys(store)
    expected = [KeyValue(0, b"0001"), KeyValue(1, b"0003"), KeyValue(SEGMENT_INTERVAL, b"0005")]
    assert store.fetch(b"a", 0, LONG_MAX).to_list() == expected
    assert store.backward_fetch(b"a", 0, LONG_MAX).to_list() == expected[::-1]


def test_should_fetch_and_iterate_over_key_range(store):
    _exact_keys(store)
    a = [windowed_pair("a", "0001", 0), windowed_pair("a", "0003", 1),
         windowed_pair("a", "0005", SEGMENT_INTERVAL)]
    aa = [windowed_pair("aa", "0002", 0), windowed_pair("aa", "0004", 1)]
    both = [a[0], a[1], aa[0], aa[1], a[2]]  # segment by segment, then key, then time
    assert store.fetch(b"a", b"a", 0, LONG_MAX).to_list() == a
    assert store.fetch(b"aa", b"aa", 0, LONG_MAX).to_list() == aa
    assert store.fetch(b"a", b"aa", 0, LONG_MAX).to_list() == both
    assert store.backward_fetch(b"a", b"a", 0, LONG_MAX).to_list() == a[::-1]
    assert store.backward_fetch(b"aa", b"aa", 0, LONG_MAX).to_list() == aa[::-1]
    assert store.backward_fetch(b"a", b"aa", 0, LONG_MAX).to_list() == both[::-1]


def test_should_return_same_results_for_single_key_fetch_and_equal_key_range_fetch(store):
    put_all(store, ("a", "0001", 0), ("aa", "0002", 1), ("aa", "0003", 2), ("aaa", "0004", 3))
    single = [kv.value for kv in store.fetch(b"aa", 0, 5)]
    assert single == [kv.value for kv in store.fetch(b"aa", b"aa", 0, 5)] == [b"0002", b"0003"]
    single = [kv.value for kv in store.backward_fetch(b"aa", 0, 5)]
    assert single == [kv.value for kv in store.backward_fetch(b"aa", b"aa", 0, 5)] == \
        [b"0003", b"0002"]


def test_should_throw_on_put_null_key(store):
    with pytest.raises((TypeError, ValueError)):
        store.put(None, b"anyValue", 0)


def test_should_not_throw_on_put_null_value(store):
    store.put(b"a", None, 0)


def test_should_throw_on_fetch_null_key(store):
    with pytest.raises((TypeError, ValueError)):
        store.fetch(None, 1, 2)


@pytest.mark.parametrize("backward", [False, True])
def test_should_not_throw_invalid_range_exception_with_negative_from_key(store, backward,
                                                                          check_negative_from_key):
    check_negative_from_key(store.backward_fetch if backward else store.fetch)


@pytest.mark.parametrize("failing", ["flush", "cache-close", "store-close"])
def test_should_close_every_part_after_an_error(store, check_close_after_error, failing):
    # Kafka's shouldCloseCacheAndWrappedStoreAfterErrorDuringCacheFlush,
    # shouldCloseWrappedStoreAfterErrorDuringCacheClose, shouldCloseCacheAfterErrorDuringStateStoreClose
    store.put(b"a", b"a", DEFAULT_TIMESTAMP)
    check_close_after_error(store, failing)
