"""Kafka Streams 4.4's ``CachingPersistentSessionStoreTest``, case by case, on raystreams' stack.

The store is a caching session store over a persistent (rocksdict) session store with 100 ms
segments and unbounded retention, byte keys and values, as in Kafka's test (its 600-byte
``ThreadCache``; raystreams counts entry sizes its own way, so the overflow cases add sessions
until the first eviction, as Kafka's ``addSessionsUntilOverflow`` does). ``commit`` there is
``flush`` here. Not ported: the ``Position`` cases (raystreams keeps no query positions), and
the ``readOnly(IsolationLevel)`` views (no isolation-level views of a store yet).
"""

from __future__ import annotations

import random

import pytest

from raystreams.errors import InvalidStateStoreException
from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores
from raystreams.state.suppliers import RocksDBSessionBytesStoreSupplier
from raystreams.windowed import SessionWindow, Windowed

MAX_CACHE_SIZE_BYTES = 600
DEFAULT_TIMESTAMP = 10
SEGMENT_INTERVAL = 100
LONG_MAX = (1 << 63) - 1
A, AA, B = b"a", b"aa", b"b"


def w(key: bytes, start: int, end: int | None = None) -> Windowed:
    return Windowed(key, SessionWindow(start, start if end is None else end))


class FlushListener:
    """Kafka's CacheFlushListenerStub: every forwarded (key, Change(new, old), timestamp)."""

    def __init__(self) -> None:
        self.forwarded: list[tuple[Windowed, bytes | None, bytes | None, int]] = []

    def __call__(self, key, new, old, rc) -> None:
        self.forwarded.append((key, new, old, rc.timestamp))


@pytest.fixture
def context(make_context):
    ctx = make_context(cache_bytes=MAX_CACHE_SIZE_BYTES)
    ctx.set_record(DEFAULT_TIMESTAMP, offset=0, topic="topic")
    return ctx


@pytest.fixture
def store(context):
    supplier = RocksDBSessionBytesStoreSupplier("store-name", LONG_MAX, SEGMENT_INTERVAL)
    builder = Stores.session_store_builder(supplier, Serdes.Bytes(), Serdes.Bytes())
    s = builder.with_caching_enabled().with_logging_disabled().build()
    s.init(context, s)
    yield s
    if s.is_open():
        s.close()


@pytest.fixture
def cache(context):
    return context.cache


def put_three(store) -> None:
    for key in (A, AA, B):
        store.put(w(key, 0), b"1")


def test_should_put_fetch_from_cache(store, cache):
    put_three(store)
    assert len(cache) == 3
    assert store.find_sessions(A, 0, 0).to_list() == [KeyValue(w(A, 0), b"1")]
    assert store.find_sessions(B, 0, 0).to_list() == [KeyValue(w(B, 0), b"1")]


@pytest.mark.parametrize("key_from,key_to", [(A, B), (None, B), (A, None), (None, None)])
def test_should_put_fetch_all_keys_from_cache(store, cache, key_from, key_to):
    put_three(store)
    assert len(cache) == 3
    expected = [KeyValue(w(k, 0), b"1") for k in (A, AA, B)]
    assert store.fetch(key_from, key_to).to_list() == expected
    assert store.backward_fetch(key_from, key_to).to_list() == expected[::-1]


def test_should_put_fetch_range_from_cache(store, cache):
    put_three(store)
    assert len(cache) == 3
    assert [kv.key for kv in store.find_sessions(AA, B, 0, 0)] == [w(AA, 0), w(B, 0)]
    assert [kv.key for kv in store.find_sessions(None, AA, 0, 0)] == [w(A, 0), w(AA, 0)]
    assert [kv.key for kv in store.find_sessions(AA, None, 0, 0)] == [w(AA, 0), w(B, 0)]
    assert [kv.key for kv in store.find_sessions(None, None, 0, 0)] == [w(A, 0), w(AA, 0), w(B, 0)]


def test_should_put_backward_fetch_range_from_cache(store, cache):
    put_three(store)
    assert [kv.key for kv in store.backward_find_sessions(AA, B, 0, 0)] == [w(B, 0), w(AA, 0)]
    assert [kv.key for kv in store.backward_find_sessions(None, AA, 0, 0)] == [w(AA, 0), w(A, 0)]
    assert [kv.key for kv in store.backward_find_sessions(AA, None, 0, 0)] == [w(B, 0), w(AA, 0)]
    assert [kv.key for kv in store.backward_find_sessions(None, None, 0, 0)] == \
        [w(B, 0), w(AA, 0), w(A, 0)]


def _same_key_sessions(store) -> list[KeyValue]:
    expected = [KeyValue(w(A, 0), b"1"), KeyValue(w(A, 10), b"2"), KeyValue(w(A, 100), b"3"),
                KeyValue(w(A, 1000), b"4")]
    for kv in expected:
        store.put(kv.key, kv.value)
    store.put(w(AA, 0), b"5")  # not in the results
    return expected


def test_should_fetch_all_sessions_with_same_record_key(store):
    expected = _same_key_sessions(store)
    assert store.fetch(A).to_list() == expected


def test_should_backward_fetch_all_sessions_with_same_record_key(store):
    expected = _same_key_sessions(store)
    assert store.backward_fetch(A).to_list() == expected[::-1]


def _add_sessions_until_overflow(store, cache, *session_ids: bytes) -> list[KeyValue]:
    rnd = random.Random(7)
    added: list[KeyValue] = []
    while len(cache) == len(added):
        ts = len(added) * 10
        kv = KeyValue(w(rnd.choice(session_ids), ts), b"1")
        store.put(kv.key, kv.value)
        added.append(kv)
    return added


def test_should_flush_items_to_store_on_eviction(store, cache):
    added = _add_sessions_until_overflow(store, cache, b"a", b"b", b"c", b"d")
    assert len(cache) == len(added) - 1
    first = store.find_sessions(added[0].key.key, 0, 0).to_list()[0]
    assert first == added[0]


def test_should_query_items_in_cache_and_store(store, cache):
    added = _add_sessions_until_overflow(store, cache, b"a")
    assert store.find_sessions(b"a", 0, len(added) * 10).to_list() == added


def test_should_remove(store):
    store.put(w(A, 0), b"2")
    store.put(w(B, 0), b"2")
    store.remove(w(A, 0))
    assert store.find_sessions(A, 0, 0).to_list() == []
    assert store.fetch_session(A, 0, 0) is None
    assert store.fetch_session(B, 0, 0) == b"2"


def _across_segments(store) -> list[Windowed]:
    keys = [w(A, SEGMENT_INTERVAL * i) for i in range(6)]
    for i, key in enumerate(keys[:3]):
        store.put(key, str(i + 1).encode())
    store.flush()
    for i, key in enumerate(keys[3:], start=3):
        store.put(key, str(i + 1).encode())
    return keys


def test_should_fetch_correctly_across_segments(store):
    keys = _across_segments(store)
    assert [kv.key for kv in store.find_sessions(A, 0, SEGMENT_INTERVAL * 5)] == keys


def test_should_backward_fetch_correctly_across_segments(store):
    keys = _across_segments(store)
    assert [kv.key for kv in store.backward_find_sessions(A, 0, SEGMENT_INTERVAL * 5)] == keys[::-1]


def _range_across_segments(store) -> list[Windowed]:
    keys = [w(A, 0), w(AA, 0), w(A, SEGMENT_INTERVAL), w(A, SEGMENT_INTERVAL * 2),
            w(AA, SEGMENT_INTERVAL * 2)]
    for key, value in zip(keys, (b"1", b"1", b"2", b"3", b"3"), strict=True):
        store.put(key, value)
    return keys


def test_should_fetch_range_correctly_across_segments(store):
    keys = _range_across_segments(store)
    assert [kv.key for kv in store.find_sessions(A, AA, 0, SEGMENT_INTERVAL * 2)] == keys


def test_should_backward_fetch_range_correctly_across_segments(store):
    keys = _range_across_segments(store)
    assert [kv.key for kv in store.backward_find_sessions(A, AA, 0, SEGMENT_INTERVAL * 2)] == \
        keys[::-1]


def test_should_set_flush_listener(store):
    assert store.set_flush_listener(None, True)
    assert store.set_flush_listener(None, False)


def test_should_forward_changed_values_during_flush(store):
    a, b = w(A, 2, 4), w(A, 1, 2)
    listener = FlushListener()
    store.set_flush_listener(listener, True)

    def committed(*expected):
        store.flush()
        assert listener.forwarded == list(expected)
        listener.forwarded.clear()

    store.put(b, b"1")
    committed((b, b"1", None, DEFAULT_TIMESTAMP))
    store.put(a, b"1")
    committed((a, b"1", None, DEFAULT_TIMESTAMP))
    store.put(a, b"2")
    committed((a, b"2", b"1", DEFAULT_TIMESTAMP))
    store.remove(a)
    committed((a, None, b"2", DEFAULT_TIMESTAMP))
    store.put(a, b"1")
    store.put(a, b"2")
    store.remove(a)
    committed()


def test_should_not_forward_changed_values_during_flush_when_send_old_values_disabled(store):
    a = w(A, 0)
    listener = FlushListener()
    store.set_flush_listener(listener, False)
    store.put(a, b"1")
    store.flush()
    store.put(a, b"2")
    store.flush()
    store.remove(a)
    store.flush()
    assert listener.forwarded == [(a, b"1", None, DEFAULT_TIMESTAMP),
                                  (a, b"2", None, DEFAULT_TIMESTAMP),
                                  (a, None, None, DEFAULT_TIMESTAMP)]
    listener.forwarded.clear()
    store.put(a, b"1")
    store.put(a, b"2")
    store.remove(a)
    store.flush()
    assert listener.forwarded == []


def _four_sessions(store) -> None:
    store.put(w(A, 0, 1), b"1")
    store.put(w(AA, 2, 3), b"2")
    store.put(w(AA, 4, 5), b"3")
    store.put(w(B, 6, 7), b"4")


def test_should_return_same_results_for_single_key_find_sessions_and_equal_key_range(store):
    _four_sessions(store)
    single = store.find_sessions(AA, 0, 10).to_list()
    assert single == store.find_sessions(AA, AA, 0, 10).to_list()
    assert [kv.key for kv in single] == [w(AA, 2, 3), w(AA, 4, 5)]


def test_should_return_same_results_for_single_key_find_sessions_backwards_and_equal_range(store):
    _four_sessions(store)
    single = store.backward_find_sessions(AA, 0, 10).to_list()
    assert single == store.backward_find_sessions(AA, AA, 0, 10).to_list()
    assert [kv.key for kv in single] == [w(AA, 4, 5), w(AA, 2, 3)]


def test_should_clear_namespace_cache_on_close(store, cache):
    store.put(w(A, 0), b"1")
    assert len(cache) == 1
    store.close()
    assert len(cache) == 0


@pytest.mark.parametrize("call", [
    lambda s: s.fetch(A),
    lambda s: s.find_sessions(A, 0, LONG_MAX),
    lambda s: s.remove(w(A, 0)),
    lambda s: s.put(w(A, 0), b"1"),
], ids=["fetch", "find_sessions", "remove", "put"])
def test_should_throw_if_trying_to_use_a_closed_caching_store(store, call):
    store.close()
    with pytest.raises(InvalidStateStoreException):
        call(store)


@pytest.mark.parametrize("call", [
    lambda s: s.find_sessions(None, 1, 2),
    lambda s: s.fetch(None),
    lambda s: s.remove(None),
    lambda s: s.put(None, b"1"),
], ids=["find_sessions", "fetch", "remove", "put"])
def test_should_throw_on_null_key(store, call):
    with pytest.raises((TypeError, ValueError)):
        call(store)


@pytest.mark.parametrize("backward", [False, True])
def test_should_not_throw_invalid_range_exception_with_negative_from_key(store, backward,
                                                                          check_negative_from_key):
    check_negative_from_key(store.backward_find_sessions if backward else store.find_sessions)


@pytest.mark.parametrize("failing", ["flush", "cache-close", "store-close"])
def test_should_close_every_part_after_an_error(store, check_close_after_error, failing):
    # Kafka's shouldCloseWrappedStoreAndCacheAfterErrorDuringCacheFlush,
    # shouldCloseWrappedStoreAfterErrorDuringCacheClose, shouldCloseCacheAfterErrorDuringWrappedStoreClose
    store.put(w(A, 0), b"1")
    check_close_after_error(store, failing)
