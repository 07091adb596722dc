"""Session store semantics on both backends, with and without the record cache.

Vectors from Kafka's AbstractSessionBytesStoreTest (retention 10 s): find_sessions returns
sessions with ``end >= earliest end`` and ``start <= latest start``.
"""

from __future__ import annotations

import time

import pytest

from raystreams.errors import IllegalArgumentException
from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores
from raystreams.windowed import SessionWindow, Windowed

RETENTION = 10_000
LONG_MAX = (1 << 63) - 1


def s(key, start, end):
    return Windowed(key, SessionWindow(start, end))


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
def caching(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def context(make_context, caching):
    ctx = make_context(cache_bytes=1_000_000 if caching else None)
    ctx.set_record(1)
    return ctx


@pytest.fixture
def build(context, session_supplier, caching):
    opened = []

    def make(retention=RETENTION, key_serde=None, value_serde=None):
        builder = Stores.session_store_builder(session_supplier(retention=retention),
                                               key_serde or Serdes.String(), value_serde or Serdes.Long())
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


def test_put_and_find_sessions_in_range(store):
    a1, a2 = s("a", 10, 10), s("a", 500, 1000)
    store.put(a1, 1)
    store.put(a2, 2)
    store.put(s("a", 1500, 2000), 1)
    store.put(s("a", 2500, 3000), 2)
    assert store.find_sessions("a", 0, 1000).to_list() == [KeyValue(a1, 1), KeyValue(a2, 2)]
    assert store.find_sessions("a", 400, 600).to_list() == [KeyValue(a2, 2)]
    assert store.backward_find_sessions("a", 0, 1000).to_list() == [KeyValue(a2, 2), KeyValue(a1, 1)]


def test_fetch_all_sessions_of_a_key(store):
    expected = [KeyValue(s("a", 0, 0), 1), KeyValue(s("a", 10, 10), 2), KeyValue(s("a", 100, 100), 3),
                KeyValue(s("a", 1000, 1000), 4)]
    for kv in expected:
        store.put(kv.key, kv.value)
    store.put(s("aa", 0, 0), 5)
    assert store.fetch("a").to_list() == expected
    assert store.backward_fetch("a").to_list() == expected[::-1]


def test_fetch_key_range(store):
    expected = [KeyValue(s("aa", 10, 10), 2), KeyValue(s("aaa", 100, 100), 3), KeyValue(s("aaaa", 100, 100), 6),
                KeyValue(s("b", 1000, 1000), 4), KeyValue(s("bb", 1500, 2000), 5)]
    for kv in expected:
        store.put(kv.key, kv.value)
    store.put(s("a", 0, 0), 1)
    store.put(s("bbb", 2500, 3000), 6)
    assert store.fetch("aa", "bb").to_list() == expected
    assert store.find_sessions("aa", "bb", 0, LONG_MAX).to_list() == expected
    a, bbb = KeyValue(s("a", 0, 0), 1), KeyValue(s("bbb", 2500, 3000), 6)
    assert store.fetch(None, "bb").to_list() == [a, *expected]
    assert store.fetch("aa", None).to_list() == [*expected, bbb]
    assert store.fetch(None, None).to_list() == [a, *expected, bbb]
    assert store.backward_fetch("aa", "bb").to_list() == expected[::-1]
    assert store.backward_fetch(None, None).to_list() == [bbb, *expected[::-1], a]


def test_find_sessions_by_end_time(store):
    store.put(s("a", 0, 0), 5)
    assert store.find_sessions(0, 0).to_list() == [KeyValue(s("a", 0, 0), 5)]
    store.put(s("b", 10, 20), 10)
    store.put(s("c", 30, 40), 20)
    a, b, c = KeyValue(s("a", 0, 0), 5), KeyValue(s("b", 10, 20), 10), KeyValue(s("c", 30, 40), 20)
    assert store.find_sessions(0, 20).to_list() == [a, b]
    assert store.find_sessions(0, 19).to_list() == [a]
    assert store.find_sessions(1, 20).to_list() == [b]
    assert store.find_sessions(19, 41).to_list() == [b, c]
    assert store.find_sessions(0, 40).to_list() == [a, b, c]


def test_fetch_exact_session(store):
    store.put(s("a", 0, 0), 1)
    store.put(s("aa", 0, 10), 2)
    store.put(s("a", 10, 20), 3)
    store.put(s("aa", 10, 20), 4)
    store.put(s("a", 0, 20), 5)
    assert store.fetch_session("aa", 10, 20) == 4
    assert store.fetch_session("a", 0, 20) == 5
    assert store.fetch_session("any key", 0, 0) is None


def test_find_values_within_merging_session_window_range(store):
    store.put(s("a", 0, 0), 1)
    store.put(s("a", 1000, 1000), 2)
    expected = [KeyValue(s("a", 0, 0), 1), KeyValue(s("a", 1000, 1000), 2)]
    assert store.find_sessions("a", -1, 1000).to_list() == expected
    assert store.backward_find_sessions("a", -1, 1000).to_list() == expected[::-1]


def test_remove(store):
    store.put(s("a", 0, 1000), 1)
    store.put(s("a", 1500, 2500), 2)
    store.remove(s("a", 0, 1000))
    assert store.find_sessions("a", 0, 1000).to_list() == []
    assert store.find_sessions("a", 1500, 2500).to_list() == [KeyValue(s("a", 1500, 2500), 2)]


def test_none_aggregate_removes(store):
    store.put(s("a", 0, 1000), 1)
    store.put(s("a", 1500, 2500), 2)
    store.put(s("a", 0, 1000), None)
    assert store.find_sessions("a", 0, 1000).to_list() == []


def test_find_sessions_to_merge(store):
    sessions = [s("a", 0, 100), s("a", 101, 200), s("a", 201, 300), s("a", 301, 400), s("a", 401, 500)]
    for i, session in enumerate(sessions, 1):
        store.put(session, i)
    assert store.find_sessions("a", 150, 300).to_list() == [KeyValue(sessions[1], 2), KeyValue(sessions[2], 3)]
    assert store.backward_find_sessions("a", 150, 300).to_list() == [KeyValue(sessions[2], 3),
                                                                     KeyValue(sessions[1], 2)]


def test_fetch_exact_keys_with_large_times(build):
    store = build(retention=0x7A00000000000000)
    store.put(s("a", 0, 0), 1)
    store.put(s("aa", 0, 10), 2)
    store.put(s("a", 10, 20), 3)
    store.put(s("aa", 10, 20), 4)
    store.put(s("a", 0x7A00000000000000 - 2, 0x7A00000000000000 - 1), 5)

    def vals(it):
        return {kv.value for kv in it.to_list()}
    assert vals(store.find_sessions("a", 0, LONG_MAX)) == {1, 3, 5}
    assert vals(store.find_sessions("aa", 0, LONG_MAX)) == {2, 4}
    assert vals(store.find_sessions("a", "aa", 0, LONG_MAX)) == {1, 2, 3, 4, 5}
    assert vals(store.find_sessions("a", "aa", 10, 0)) == {2}
    assert vals(store.find_sessions(None, "aa", 0, LONG_MAX)) == {1, 2, 3, 4, 5}
    assert vals(store.find_sessions("a", None, 0, LONG_MAX)) == {1, 2, 3, 4, 5}
    assert vals(store.find_sessions(None, None, 0, LONG_MAX)) == {1, 2, 3, 4, 5}


def test_fetch_exact_binary_keys(build):
    store = build(key_serde=Serdes.Bytes(), value_serde=Serdes.String())
    k1, k2, k3 = b"\x00", b"\x00\x00", b"\x00\x00\x00"
    for key, value, start, end in [(k1, "1", 0, 100), (k2, "2", 0, 100), (k3, "3", 0, 100),
                                   (k1, "4", 101, 200), (k2, "5", 101, 200), (k3, "6", 201, 300),
                                   (k1, "7", 301, 400), (k2, "8", 301, 400), (k3, "9", 301, 400)]:
        store.put(s(key, start, end), value)
    assert [kv.value for kv in store.fetch(k1)] == ["1", "4", "7"]
    assert [kv.value for kv in store.fetch(k2)] == ["2", "5", "8"]
    assert [kv.value for kv in store.fetch(k3)] == ["3", "6", "9"]
    assert [kv.value for kv in store.backward_fetch(k3)] == ["9", "6", "3"]


def test_single_key_and_equal_key_range_agree(store):
    store.put(s("a", 0, 0), 0)
    store.put(s("aa", 0, 10), 1)
    store.put(s("aa", 10, 20), 2)
    single = store.find_sessions("aa", 0, 10).to_list()
    ranged = store.find_sessions("aa", "aa", 0, 10).to_list()
    assert single == ranged == [KeyValue(s("aa", 0, 10), 1), KeyValue(s("aa", 10, 20), 2)]


# Expiry. Without a cache these are Kafka's AbstractSessionBytesStoreTest vectors. With one,
# Kafka's CachingSessionStore filters its cache only by the requested times: sessions the store
# below drops or hides are still found while they are cached (flushed or not).

@pytest.mark.parametrize("flush", [False, True])
def test_expired_sessions(store, caching, flush):
    store.put(s("a", 0, 0), 1)
    store.put(s("aa", 0, 10), 2)
    store.put(s("a", 10, 20), 3)
    store.put(s("aa", 10, RETENTION), 4)  # stream time RETENTION: ends at or before 0 expire
    if flush:
        store.flush()
    found = {kv.value for kv in store.find_sessions("a", "b", 0, LONG_MAX)}
    assert found == ({1, 2, 3, 4} if caching else {2, 3, 4})
    store.put(s("aa", 10, 60_000), 5)
    store.put(s("aa", 10, 120_000), 6)
    if flush:
        store.flush()
    found = {kv.value for kv in store.find_sessions("a", "b", 0, LONG_MAX)}
    assert found == ({1, 2, 3, 4, 5, 6} if caching else {6})
    store.put(s("late", 0, 5), 7)  # already expired: dropped (below the cache)
    if flush:
        store.flush()
    assert [kv.value for kv in store.fetch("late")] == ([7] if caching else [])
    assert store.fetch_session("aa", 10, 60_000) == (5 if caching else None)


def test_does_not_fetch_expired_sessions(store, caching):
    now = int(time.time() * 1000)
    store.put(s("p", now - 3 * RETENTION, now - 2 * RETENTION), 1)
    store.put(s("q", now - 2 * RETENTION, now - RETENTION), 4)
    store.put(s("r", now - RETENTION, now - RETENTION // 2), 3)
    store.put(s("p", now - RETENTION, now - RETENTION // 2), 2)

    def vals(it):
        return {kv.value for kv in it.to_list()}
    # cached, the session p@[now - 3R, now - 2R] (1) is still found: the store expired it
    expired = {1} if caching else set()
    assert vals(store.find_sessions("p", now - 2 * RETENTION, now - RETENTION)) == {2} | expired
    assert vals(store.backward_find_sessions("p", now - 5 * RETENTION, now - 4 * RETENTION)) == set()
    assert vals(store.find_sessions("p", "r", now - 5 * RETENTION, now - 4 * RETENTION)) == set()
    assert vals(store.find_sessions("p", "r", now - RETENTION, now - RETENTION // 2)) == {2, 3, 4}
    assert vals(store.find_sessions("p", "r", now - 2 * RETENTION, now - RETENTION)) == {2, 3, 4} | expired
    assert vals(store.backward_find_sessions("p", "r", now - 2 * RETENTION, now - RETENTION)) == \
        {2, 3, 4} | expired


def test_iterator_peek(store):
    store.put(s("a", 0, 0), 1)
    store.put(s("aa", 0, 10), 2)
    with store.find_sessions("a", "aa", 0, 10) as it:
        assert it.peek_next_key() == s("a", 0, 0)
        assert it.peek_next_key() == next(it).key
        assert it.peek_next_key() == next(it).key
        assert not it.has_next()
    with store.backward_find_sessions("a", "aa", 0, 10) as it:
        assert it.peek_next_key() == s("aa", 0, 10)
        assert next(it).key == s("aa", 0, 10)


def test_null_keys_are_rejected(store):
    with pytest.raises(IllegalArgumentException):
        store.find_sessions(None, 1, 2)
    with pytest.raises(IllegalArgumentException):
        store.fetch(None)
    with pytest.raises(IllegalArgumentException):
        store.remove(None)
    with pytest.raises(IllegalArgumentException):
        store.put(None, 1)
    with pytest.raises(IllegalArgumentException):
        store.put(Windowed(None, SessionWindow(0, 1)), 1)


def test_removing_a_missing_session_is_fine(store):
    store.remove(s("a", 0, 1))
    assert store.fetch("a").to_list() == []


def test_invalid_key_range_is_empty(store, caplog):
    store.put(s("a", 0, 0), 1)
    assert store.find_sessions("b", "a", 0, 10).to_list() == []
    assert any("invalid key range" in r.getMessage() for r in caplog.records)


def test_closing_store_ends_open_iterators(store):
    store.put(s("a", 0, 0), 1)
    store.put(s("b", 10, 10), 2)
    store.put(s("c", 20, 20), 3)
    store.flush()
    it = store.fetch(None, None)
    assert it.has_next()
    store.close()
    assert len(list(it)) <= 1
