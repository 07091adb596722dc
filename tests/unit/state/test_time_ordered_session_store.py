"""The time-ordered session store of emit-on-window-close session aggregations.

Kafka's ``RocksDBTimeOrderedSessionStore`` with index (``RocksDbTimeOrderedSessionBytesStoreSupplier``
as its DSL builds it): keyed reads go through the key-first index with the usual retention
(sessions ending after ``observed - retention``); ``find_sessions(earliest_end, latest_end)``
reads the time-first base entries by (end, start, key) and applies no retention. Vectors from
Kafka's AbstractSessionBytesStoreTest.shouldFindSessionsForTimeRange plus ordering and expiry
cases read off ``RocksDBTimeOrderedSessionSegmentedBytesStore``.
"""

from __future__ import annotations

import pytest

from raystreams.serde import Serdes
from raystreams.state import KeyValue, Stores
from raystreams.state.base.time_ordered import session_from_time_first, session_time_first
from raystreams.windowed import SessionWindow, Windowed

LONG_MAX = (1 << 63) - 1


def s(key, start, end):
    return Windowed(key, SessionWindow(start, end))


@pytest.fixture
def context(make_context):
    ctx = make_context()
    ctx.set_record(1)
    return ctx


@pytest.fixture
def store(context):
    st = Stores.session_store_builder(Stores.persistent_time_ordered_session_store("sess", 10_000),
                                      Serdes.String(), Serdes.Long()).build()
    st.init(context, st)
    yield st
    if st.is_open():
        st.close()


def test_key_layout_round_trips():
    key = b"k" + (20).to_bytes(8, "big") + (10).to_bytes(8, "big")
    assert session_time_first(key) == b"\x00" + (20).to_bytes(8, "big") + (10).to_bytes(8, "big") + b"k"
    assert session_from_time_first(session_time_first(key)) == key


def test_find_sessions_for_time_range(store):
    store.put(s("a", 0, 0), 5)
    assert store.find_sessions(0, 0).to_list() == [KeyValue(s("a", 0, 0), 5)]
    store.put(s("b", 10, 20), 10)
    store.put(s("c", 30, 40), 20)
    assert store.find_sessions(0, 20).to_list() == [KeyValue(s("a", 0, 0), 5), KeyValue(s("b", 10, 20), 10)]
    assert store.find_sessions(0, 19).to_list() == [KeyValue(s("a", 0, 0), 5)]
    assert store.find_sessions(1, 20).to_list() == [KeyValue(s("b", 10, 20), 10)]
    assert store.find_sessions(19, 41).to_list() == [KeyValue(s("b", 10, 20), 10), KeyValue(s("c", 30, 40), 20)]


def test_time_range_reads_by_end_then_start_then_key(store):
    store.put(s("b", 0, 10), 1)
    store.put(s("a", 5, 10), 2)
    store.put(s("a", 0, 3), 3)
    store.put(s("c", 20, 20), 4)
    store.put(s("aa", 0, 10), 5)
    assert [(kv.key.key, kv.key.window.start, kv.key.window.end) for kv in store.find_sessions(0, 100)] == [
        ("a", 0, 3), ("aa", 0, 10), ("b", 0, 10), ("a", 5, 10), ("c", 20, 20)]
    # keyed reads use the index: key first
    assert [kv.value for kv in store.find_sessions("a", "c", 0, 100)] == [3, 2, 5, 1, 4]
    assert [kv.value for kv in store.backward_find_sessions("a", "c", 0, 100)] == [4, 1, 5, 2, 3]
    assert [kv.value for kv in store.fetch("a")] == [3, 2]
    assert store.fetch_session("a", 5, 10) == 2


def test_time_range_reads_ignore_retention_keyed_reads_do_not(store):
    store.put(s("a", 0, 100), 1)
    store.put(s("b", 500, 10_100), 2)  # stream time 10100: sessions ending at or before 100 expired
    assert store.find_sessions("a", 0, LONG_MAX).to_list() == []
    assert store.fetch_session("a", 0, 100) is None
    assert store.find_sessions(0, 10_100).to_list() == [KeyValue(s("a", 0, 100), 1), KeyValue(s("b", 500, 10_100), 2)]
    store.put(s("c", 0, 50), 3)  # expired, but its segment (0..59999) is live: written
    assert store.find_sessions(0, 60).to_list() == [KeyValue(s("c", 0, 50), 3)]
    store.put(s("d", 200_000, 200_000), 4)  # drops segments 0 and 1
    assert store.find_sessions(0, 10_100).to_list() == []
    store.put(s("e", 0, 10), 5)  # its segment has expired: dropped
    assert store.find_sessions(0, LONG_MAX).to_list() == [KeyValue(s("d", 200_000, 200_000), 4)]


def test_remove_and_restore(store, context, make_context, replay):
    store.put(s("a", 0, 10), 1)
    store.put(s("b", 0, 20), 2)
    store.remove(s("a", 0, 10))
    assert store.find_sessions(0, 100).to_list() == [KeyValue(s("b", 0, 20), 2)]
    # the changelog carries SessionKeySchema keys
    assert context.changelog[0].key == b"a" + (10).to_bytes(8, "big") + (0).to_bytes(8, "big")
    builder = Stores.session_store_builder(Stores.persistent_time_ordered_session_store("sess", 10_000),
                                           Serdes.String(), Serdes.Long())
    rebuilt = replay(builder, context, make_context())
    assert rebuilt.find_sessions(0, 100).to_list() == [KeyValue(s("b", 0, 20), 2)]
    assert rebuilt.fetch("b").to_list() == [KeyValue(s("b", 0, 20), 2)]
    rebuilt.close()
