"""Expiry under the record cache, pinned to Kafka Streams 4.4's answers.

Kafka's ``CachingWindowStore`` and ``CachingSessionStore`` filter their cache only by the keys
and times a read asks for; retention is applied by the segmented store below alone
(``observed stream time - retention``, whole segments dropped on write). Flushing keeps an
entry in the cache, clean. So with the cache on, a window or session that the store below has
expired is still listed by ``all()`` and still found by ``fetch`` / ``find_sessions`` (and then
merged by the session aggregation); with the cache off it is not. The cases are the oracle's
shrunk ``tumbling_count`` (size 10 s, grace 5 s) and ``session_count`` (gap 5 s, grace 2 s)
examples of ``tests/oracle/test_properties.py``, where Kafka's TopologyTestDriver flushes
after every record.
"""

from __future__ import annotations

import pytest

from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores, ValueAndTimestamp
from raystreams.windowed import SessionWindow, TimeWindow, Windowed


@pytest.fixture(params=[False, True], ids=["nocache", "cache"])
def caching(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def context(make_context, caching):
    return make_context(cache_bytes=10_485_760 if caching else None)


def _open(builder, context, caching):
    if caching:
        builder.with_caching_enabled()
    store = builder.build()
    store.init(context, store)
    if caching:
        assert store.set_flush_listener(lambda *a: None, False)
    return store


@pytest.fixture
def counts(context, caching, store_type):
    # TimeWindows.ofSizeAndGrace(10 s, 5 s).count(): retention 15 s, segments of 60 s
    supplier = (Stores.persistent_timestamped_window_store("tumbling-counts", 15_000, 10_000, False)
                if store_type == "rocksdb" else
                Stores.in_memory_window_store("tumbling-counts", 15_000, 10_000, False))
    store = _open(Stores.timestamped_window_store_builder(supplier, Serdes.String(), Serdes.Long()),
                  context, caching)
    yield store
    store.close()


@pytest.fixture
def sessions(context, caching, store_type):
    # SessionWindows.ofInactivityGapAndGrace(5 s, 2 s).count(): retention 7 s
    supplier = (Stores.persistent_session_store("session-counts", 7_000) if store_type == "rocksdb"
                else Stores.in_memory_session_store("session-counts", 7_000))
    store = _open(Stores.session_store_builder(supplier, Serdes.String(), Serdes.Long()), context, caching)
    yield store
    store.close()


def _count(store, context, key, ts, start):
    context.set_record(ts)
    store.put(key, ValueAndTimestamp(1, ts), start)
    store.flush()  # Kafka's driver commits after every record


def test_window_listing_keeps_the_cached_expired_window(counts, context, caching):
    _count(counts, context, "a", 5000, 0)
    _count(counts, context, "a", 20000, 20000)  # stream time 20000: [0, 10000) is past retention
    expected = [KeyValue(Windowed("a", TimeWindow(20000, 30000)), ValueAndTimestamp(1, 20000))]
    if caching:
        expected.insert(0, KeyValue(Windowed("a", TimeWindow(0, 10000)), ValueAndTimestamp(1, 5000)))
    assert counts.all().to_list() == expected
    assert counts.backward_all().to_list() == expected[::-1]
    assert counts.fetch_all(0, 30000).to_list() == expected
    assert counts.fetch("a", 0) == (ValueAndTimestamp(1, 5000) if caching else None)
    assert counts.fetch("a", 0, 30000).to_list() == [KeyValue(kv.key.window.start, kv.value) for kv in expected]
    # the time range still bounds the cache side
    assert counts.fetch_all(1, 30000).to_list() == expected[-1:]
    assert counts.fetch("a", 0, 19999).to_list() == ([KeyValue(0, ValueAndTimestamp(1, 5000))] if caching else [])


def test_window_cache_entry_outlives_the_dropped_segment(counts, context, caching):
    _count(counts, context, "a", 5000, 0)
    _count(counts, context, "b", 130000, 130000)  # segment 0 (0..59999) is dropped below
    below = counts.inner.inner_most()
    assert 0 not in below._segments
    starts = [(kv.key.key, kv.key.window.start) for kv in counts.all()]
    assert starts == ([("a", 0), ("b", 130000)] if caching else [("b", 130000)])


def test_session_listing_and_find_keep_the_cached_expired_session(sessions, context, caching):
    context.set_record(0)
    sessions.put(Windowed("a", SessionWindow(0, 0)), 1)
    sessions.flush()
    context.set_record(7000)
    # what KStreamSessionWindowAggregate asks at t=7000: nothing within the gap
    assert sessions.find_sessions("a", 7000 - 5000, 7000 + 5000).to_list() == []
    sessions.put(Windowed("a", SessionWindow(7000, 7000)), 1)
    sessions.flush()  # stream time 7000: the session ending at 0 is past retention (7000)
    expected = [KeyValue(Windowed("a", SessionWindow(7000, 7000)), 1)]
    if caching:
        expected.insert(0, KeyValue(Windowed("a", SessionWindow(0, 0)), 1))
    assert sessions.fetch("a").to_list() == expected
    assert sessions.find_sessions(None, None, 0, 1 << 62).to_list() == expected
    assert sessions.fetch_session("a", 0, 0) == (1 if caching else None)
    # a record at 4000 would reach back to the session [0, 0]: found (and merged) only cached
    found = sessions.find_sessions("a", 4000 - 5000, 4000 + 5000).to_list()
    assert found == expected


def test_an_expired_write_reaches_the_cache_but_not_the_store(sessions, context, caching):
    context.set_record(20000)
    sessions.put(Windowed("a", SessionWindow(20000, 20000)), 1)
    sessions.flush()
    context.set_record(20001)
    sessions.put(Windowed("b", SessionWindow(0, 10)), 2)  # ends before 20000 - 7000: expired
    sessions.flush()
    below = sessions.inner.inner_most()
    assert below.get(b"b" + (10).to_bytes(8, "big") + (0).to_bytes(8, "big")) is None
    assert sessions.fetch("b").to_list() == ([KeyValue(Windowed("b", SessionWindow(0, 10)), 2)]
                                             if caching else [])
