"""Window store semantics on both backends, with and without the record cache.

Vectors from Kafka's AbstractWindowBytesStoreTest (window size 3, segment interval 60 s,
retention 2 segments, records around the first segment boundary).
"""

from __future__ import annotations

import pytest

from raystreams.errors import IllegalArgumentException
from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores
from raystreams.windowed import TimeWindow, Windowed

WINDOW_SIZE = 3
SEGMENT_INTERVAL = 60_000
RETENTION = 2 * SEGMENT_INTERVAL
START = SEGMENT_INTERVAL - 4  # 59996


def pair(key, value, start, size=WINDOW_SIZE):
    return KeyValue(Windowed(key, TimeWindow(start, min(start + size, (1 << 63) - 1))), value)


ZERO, ONE, TWO = pair(0, "zero", START), pair(1, "one", START + 1), pair(2, "two", START + 2)
THREE, FOUR, FIVE = pair(3, "three", START + 2), pair(4, "four", START + 4), pair(5, "five", START + 5)


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
def caching(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def context(make_context, caching):
    ctx = make_context(cache_bytes=1_000_000 if caching else None)
    ctx.set_record(START)
    return ctx


@pytest.fixture
def build(context, window_supplier, caching):
    opened = []

    def make(retention=RETENTION, size=WINDOW_SIZE, retain_duplicates=False, key_serde=None, value_serde=None):
        builder = Stores.window_store_builder(window_supplier(retention=retention, size=size,
                                                              retain_duplicates=retain_duplicates),
                                              key_serde or Serdes.Integer(), value_serde or Serdes.String())
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
def store(build):
    return build()


def put_first_batch(store):
    store.put(0, "zero", START)
    store.put(1, "one", START + 1)
    store.put(2, "two", START + 2)
    store.put(3, "three", START + 2)
    store.put(4, "four", START + 4)
    store.put(5, "five", START + 5)


def put_second_batch(store):
    for i in range(1, 7):
        store.put(2, f"two+{i}", START + 2 + i)


def values(it):
    return {kv.value for kv in it.to_list()}


def test_range_and_single_point_fetch(store):
    put_first_batch(store)
    assert values(store.fetch(0, START - WINDOW_SIZE, START + WINDOW_SIZE)) == {"zero"}
    put_second_batch(store)
    assert [store.fetch(2, START + t) for t in range(3, 9)] == [f"two+{i}" for i in range(1, 7)]
    expected = [set(), {"two"}, {"two", "two+1"}, {"two", "two+1", "two+2"},
                {"two", "two+1", "two+2", "two+3"}, {"two", "two+1", "two+2", "two+3", "two+4"},
                {"two", "two+1", "two+2", "two+3", "two+4", "two+5"},
                {"two", "two+1", "two+2", "two+3", "two+4", "two+5", "two+6"},
                {"two+1", "two+2", "two+3", "two+4", "two+5", "two+6"},
                {"two+2", "two+3", "two+4", "two+5", "two+6"},
                {"two+3", "two+4", "two+5", "two+6"}, {"two+4", "two+5", "two+6"},
                {"two+5", "two+6"}, {"two+6"}, set()]
    for offset, want in zip(range(-2, 13), expected, strict=True):
        t = START + offset
        assert values(store.fetch(2, t - WINDOW_SIZE, t + WINDOW_SIZE)) == want, offset


def test_single_key_fetch_is_time_ordered(store):
    put_first_batch(store)
    put_second_batch(store)
    assert [kv.key for kv in store.fetch(2, 0, START + 100)] == [START + 2 + i for i in range(7)]
    assert [kv.key for kv in store.backward_fetch(2, 0, START + 100)] == [START + 2 + i for i in range(6, -1, -1)]


def test_all_and_backward_all(store):
    put_first_batch(store)
    assert store.all().to_list() == [ZERO, ONE, TWO, THREE, FOUR, FIVE]
    assert store.backward_all().to_list() == [FIVE, FOUR, THREE, TWO, ONE, ZERO]


def test_all_skips_deleted(store):
    for k in range(5):
        store.put(k, ["zero", "one", "two", "three", "four"][k], START + k)
    store.put(1, None, START + 1)
    store.put(3, None, START + 3)
    assert store.all().to_list() == [ZERO, TWO, pair(4, "four", START + 4)]


def test_all_is_ordered_by_segment_then_key(store):
    store.put(4, "four", START + 4)
    store.put(0, "zero", START)
    store.put(2, "two", START + 2)
    store.put(3, "three", START + 3)
    store.put(1, "one", START + 1)
    assert store.all().to_list() == [ZERO, ONE, TWO, pair(3, "three", START + 3), pair(4, "four", START + 4)]


def test_early_closed_iterator_does_not_affect_a_new_one(store):
    store.put(0, "zero", START)
    store.put(1, "one", START + 1)
    it = store.all()
    assert next(it) == ZERO
    it.close()
    assert store.all().to_list() == [ZERO, ONE]


def test_fetch_all_in_time_range(store):
    put_first_batch(store)
    assert store.fetch_all(START + 1, START + 4).to_list() == [ONE, TWO, THREE, FOUR]
    assert store.fetch_all(START, START + 3).to_list() == [ZERO, ONE, TWO, THREE]
    assert store.fetch_all(START + 1, START + 5).to_list() == [ONE, TWO, THREE, FOUR, FIVE]
    assert store.backward_fetch_all(START + 1, START + 4).to_list() == [FOUR, THREE, TWO, ONE]
    assert store.backward_fetch_all(START, START + 3).to_list() == [THREE, TWO, ONE, ZERO]
    assert store.backward_fetch_all(START + 1, START + 5).to_list() == [FIVE, FOUR, THREE, TWO, ONE]


def test_fetch_key_range(store):
    put_first_batch(store)
    lo, hi = START - WINDOW_SIZE, START + WINDOW_SIZE
    assert store.fetch(0, 1, lo, hi).to_list() == [ZERO, ONE]
    assert store.fetch(1, 1, lo, hi).to_list() == [ONE]
    assert store.fetch(1, 3, lo, hi).to_list() == [ONE, TWO, THREE]
    assert store.fetch(0, 5, lo, hi).to_list() == [ZERO, ONE, TWO, THREE]
    assert store.fetch(0, 5, lo, hi + 5).to_list() == [ZERO, ONE, TWO, THREE, FOUR, FIVE]
    assert store.fetch(0, 5, START + 2, hi + 5).to_list() == [TWO, THREE, FOUR, FIVE]
    assert store.fetch(4, 5, START + 2, hi).to_list() == []
    assert store.fetch(0, 3, START + 3, hi + 5).to_list() == []
    assert store.fetch(None, 2, lo, hi + 2).to_list() == [ZERO, ONE, TWO]
    assert store.fetch(2, None, lo, hi + 5).to_list() == [TWO, THREE, FOUR, FIVE]
    assert store.fetch(None, None, lo, hi + 5).to_list() == [ZERO, ONE, TWO, THREE, FOUR, FIVE]


def test_backward_fetch_key_range(store):
    put_first_batch(store)
    lo, hi = START - WINDOW_SIZE, START + WINDOW_SIZE
    assert store.backward_fetch(0, 1, lo, hi).to_list() == [ONE, ZERO]
    assert store.backward_fetch(1, 3, lo, hi).to_list() == [THREE, TWO, ONE]
    assert store.backward_fetch(0, 5, lo, hi + 5).to_list() == [FIVE, FOUR, THREE, TWO, ONE, ZERO]
    assert store.backward_fetch(None, 2, lo, hi + 2).to_list() == [TWO, ONE, ZERO]
    assert store.backward_fetch(2, None, lo, hi + 5).to_list() == [FIVE, FOUR, THREE, TWO]


def test_put_and_fetch_before_and_after(store):
    # Kafka's testPutAndFetchBefore/After: a window start lies in [time_from, time_to] inclusively
    store.put(0, "zero", START)
    assert values(store.fetch(0, START - WINDOW_SIZE, START)) == {"zero"}
    assert values(store.fetch(0, START, START + WINDOW_SIZE)) == {"zero"}
    assert values(store.fetch(0, START - WINDOW_SIZE, START - 1)) == set()
    assert values(store.fetch(0, START + 1, START + WINDOW_SIZE)) == set()


def test_retain_duplicates(build, context):
    store = build(retain_duplicates=True)
    store.put(0, "zero", START)
    assert values(store.fetch(0, START - WINDOW_SIZE, START + WINDOW_SIZE)) == {"zero"}
    store.put(0, "zero", START)
    store.put(0, "zero+", START)
    store.put(0, "zero++", START)
    assert [kv.value for kv in store.fetch(0, START - WINDOW_SIZE, START + WINDOW_SIZE)] == \
        ["zero", "zero", "zero+", "zero++"]
    assert [kv.value for kv in store.fetch(0, START + 4 - WINDOW_SIZE, START + 4 + WINDOW_SIZE)] == []
    store.put(0, None, START)  # a delete cannot name one duplicate: ignored
    assert len(store.fetch(0, START, START).to_list()) == 4
    store.flush()
    logged = [r for r in context.changelog if r.store == "win"]
    assert [r.key[-4:] for r in logged] == [i.to_bytes(4, "big") for i in range(1, 5)]
    assert [r.value for r in logged] == [b"zero", b"zero", b"zero+", b"zero++"]


def test_fetch_duplicates_in_order(build):
    store = build(retain_duplicates=True)
    t = 0
    for name in ["one", "two", "three"]:
        store.put(1, name, t)
        store.put(1, name + "-2", t)
        t += WINDOW_SIZE * 10
    assert store.fetch(1, 0, WINDOW_SIZE * 10).to_list() == [
        KeyValue(0, "one"), KeyValue(0, "one-2"), KeyValue(30, "two"), KeyValue(30, "two-2")]


def test_retain_duplicates_disables_caching(window_supplier):
    builder = Stores.window_store_builder(window_supplier(retain_duplicates=True), Serdes.Integer(),
                                          Serdes.String()).with_caching_enabled()
    store = builder.build()
    assert not builder.caching_enabled
    assert not hasattr(store.inner, "set_flush_listener")
    assert builder.log_config == {"cleanup.policy": "delete"}


def test_fetch_exact_keys_with_large_timestamps(build):
    size = retention = 0x7A00000000000000
    store = build(retention=retention, size=size, key_serde=Serdes.String(), value_serde=Serdes.String())
    store.put("a", "0001", 0)
    store.put("aa", "0002", 0)
    store.put("a", "0003", 1)
    store.put("aa", "0004", 1)
    store.put("a", "0005", 0x7A00000000000000 - 1)
    top = (1 << 63) - 1
    assert values(store.fetch("a", 0, top)) == {"0001", "0003", "0005"}
    assert set(store.fetch("a", "a", 0, top).to_list()) == {
        pair("a", "0001", 0, size), pair("a", "0003", 1, size), pair("a", "0005", 0x7A00000000000000 - 1, size)}
    assert set(store.fetch("aa", "aa", 0, top).to_list()) == {pair("aa", "0002", 0, size), pair("aa", "0004", 1, size)}


def test_fetch_exact_binary_keys(build):
    store = build(retain_duplicates=True, key_serde=Serdes.Bytes())
    k1, k2, k3 = b"\x00", b"\x00\x00", b"\x00\x00\x00"
    for key, value, t in [(k1, "1", 0), (k2, "2", 0), (k3, "3", 0), (k1, "4", 1), (k2, "5", 1),
                          (k3, "6", 59999), (k1, "7", 59999), (k2, "8", 59999), (k3, "9", 59999)]:
        store.put(key, value, t)
    top = (1 << 63) - 1
    assert values(store.fetch(k1, 0, top)) == {"1", "4", "7"}
    assert values(store.fetch(k2, 0, top)) == {"2", "5", "8"}
    assert values(store.fetch(k3, 0, top)) == {"3", "6", "9"}


def test_delete_and_update(store):
    store.put(1, "one", 0)
    store.put(1, "one v2", 0)
    assert store.fetch(1, 0, 0).to_list() == [KeyValue(0, "one v2")]
    store.put(1, None, 0)
    assert store.fetch(1, 0, 0).to_list() == []
    assert store.fetch(1, 0) is None


def test_null_keys_are_rejected(store):
    with pytest.raises(IllegalArgumentException):
        store.put(None, "anyValue", 0)
    with pytest.raises(IllegalArgumentException):
        store.fetch(None, 1, 2)
    with pytest.raises(IllegalArgumentException):
        store.fetch(None, 1)


def test_single_key_fetch_equals_equal_key_range_fetch(store):
    store.put(1, "one", 0)
    store.put(2, "two", 1)
    store.put(2, "two", 2)
    store.put(3, "three", 3)
    assert [kv.value for kv in store.fetch(2, 0, 5)] == [kv.value for kv in store.fetch(2, 2, 0, 5)] == ["two", "two"]


def test_invalid_key_range_is_empty(store, caplog):
    store.put(1, "one", 0)
    assert store.fetch(-1, 1, 0, 10).to_list() == []
    assert any("invalid key range" in r.getMessage() for r in caplog.records)


# Expiry. Without a cache these are Kafka's AbstractWindowBytesStoreTest vectors. With one,
# Kafka's CachingWindowStore filters its cache only by the requested times, so records the
# store below drops or hides stay visible while they are cached (flushed or not).

def test_expired_records_are_dropped_and_not_returned(store, caching):
    store.put(1, "initial record", 2 * RETENTION)
    store.put(1, "late record", 0)
    store.put(1, "another on-time record", RETENTION + 1)
    late = [KeyValue(0, "late record")] if caching else []
    assert store.fetch(1, 0, 3 * RETENTION).to_list() == [
        *late, KeyValue(RETENTION + 1, "another on-time record"), KeyValue(2 * RETENTION, "initial record")]
    assert store.fetch(1, 0) == ("late record" if caching else None)


@pytest.mark.parametrize("flush", [False, True])
def test_fetch_of_expired_range_is_empty(store, caching, flush):
    store.put(1, "one", 0)
    store.put(1, "two", 4 * RETENTION)
    if flush:
        store.flush()
    assert store.fetch(1, 0, 10).to_list() == ([KeyValue(0, "one")] if caching else [])


@pytest.mark.parametrize("flush", [False, True])
def test_records_expire_as_stream_time_advances(store, caching, flush):
    store.put(1, "a", 0)
    store.put(1, "b", RETENTION)  # stream time RETENTION: a record at 0 is now retention old, so gone
    if flush:
        store.flush()
    assert [kv.value for kv in store.all()] == (["a", "b"] if caching else ["b"])
    store.put(2, "c", RETENTION + 10)
    assert store.fetch(1, RETENTION) == "b"
    store.put(2, "d", 2 * RETENTION)  # now the record at RETENTION expires
    if flush:
        store.flush()
    assert [kv.value for kv in store.all()] == (["a", "b", "c", "d"] if caching else ["c", "d"])


def test_iterator_peek(store):
    store.put(1, "one", 0)
    with store.fetch_all(0, 0) as it:
        assert it.has_next()
        key = it.peek_next_key()
        assert it.peek_next_key() == key == Windowed(1, TimeWindow(0, 3))
        assert next(it).key == key
        assert not it.has_next()
    with store.fetch(1, 0, 10) as it:
        assert it.peek_next_key() == 0
        assert next(it).key == 0
        assert not it.has_next()


def test_iterator_sees_records_put_before_it_starts(store):
    store.put(1, "one", 0)
    store.put(1, "two", WINDOW_SIZE * 10)
    with store.all() as it:
        store.put(1, "three", WINDOW_SIZE * 20)
        store.put(2, "four", WINDOW_SIZE * 30)
        assert it.to_list() == [pair(1, "one", 0), pair(1, "two", 30), pair(1, "three", 60), pair(2, "four", 90)]


def test_closing_store_ends_open_iterators(store):
    store.put(1, "one", 1)
    store.put(1, "two", 2)
    store.put(1, "three", 3)
    store.flush()
    it = store.fetch(1, 1, 3)
    assert it.has_next()
    store.close()
    assert len(list(it)) <= 1
    assert not it.has_next()


def test_window_end_is_capped_at_long_max(build):
    size = 1 << 62
    store = build(retention=size, size=size)
    start = (1 << 63) - 10
    store.put(1, "x", start)
    assert store.all().to_list() == [KeyValue(Windowed(1, TimeWindow(start, (1 << 63) - 1)), "x")]


def test_timedelta_arguments(window_supplier):
    from datetime import timedelta
    supplier = Stores.in_memory_window_store("w", timedelta(minutes=2), timedelta(milliseconds=3))
    assert (supplier.retention_period, supplier.window_size, supplier.segment_interval) == (120_000, 3, 60_000)
    with pytest.raises(IllegalArgumentException, match="retention period of the window store w must be no smaller"):
        Stores.persistent_window_store("w", 2, 3)
