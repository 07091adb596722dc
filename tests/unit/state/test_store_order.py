"""Iteration order and cached expiry of window and session stores, as Kafka Streams 4.4 answers.

The expected lists were produced by Kafka 4.4 itself: a TopologyTestDriver (commit after every
record) with a processor writing each record ``(key, value, ts)`` to a window store (window
``ts``, size 10) and a session store (session ``[ts, ts + 5]``), both with caching enabled,
under ``statestore.cache.max.bytes`` 0 and 10 MiB, over ``Stores.persistentWindowStore`` /
``persistentSessionStore`` and ``inMemoryWindowStore`` / ``inMemorySessionStore`` (retention
100 s). Records: ``b@0, a@1, c@1, a@2``, then optionally ``z@300000``, which expires the rest.

RocksDB stores iterate by segment, then key; Kafka's in-memory stores by time (window start,
session end), then key, and their suppliers give the cache 1 ms segments so that it iterates the
same way. The record cache keeps answering for what the store below expired.
"""

from __future__ import annotations

import pytest

from raystreams.serde import Serdes
from raystreams.state import Stores
from raystreams.windowed import SessionWindow, Windowed


@pytest.fixture(params=[False, True], ids=["nocache", "cache"])
def caching(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def stores(make_context, store_type, caching):
    context = make_context(cache_bytes=10_485_760 if caching else None)
    if store_type == "rocksdb":
        w = Stores.persistent_window_store("w", 100_000, 10)
        s = Stores.persistent_session_store("s", 100_000)
    else:
        w = Stores.in_memory_window_store("w", 100_000, 10)
        s = Stores.in_memory_session_store("s", 100_000)
    window = Stores.window_store_builder(w, Serdes.String(), Serdes.String()).with_caching_enabled().build()
    session = Stores.session_store_builder(s, Serdes.String(), Serdes.String()).with_caching_enabled().build()
    for store in (window, session):
        store.init(context, store)
        if caching:
            assert store.set_flush_listener(lambda *a: None, False)

    def pipe(key, value, ts):
        context.set_record(ts)
        window.put(key, value, ts)
        session.put(Windowed(key, SessionWindow(ts, ts + 5)), value)
        window.flush()
        session.flush()

    yield window, session, pipe
    window.close()
    session.close()


def windows(it):
    return [f"{kv.key.key}@{kv.key.window.start}" for kv in it]


def sessions(it):
    return [f"{kv.key.key}@{kv.key.window.start}/{kv.key.window.end}" for kv in it]


KEY_ORDER = (["a@1", "a@2", "b@0", "c@1"], ["a@1/6", "a@2/7", "b@0/5", "c@1/6"])
TIME_ORDER = (["b@0", "a@1", "c@1", "a@2"], ["b@0/5", "a@1/6", "c@1/6", "a@2/7"])


@pytest.mark.parametrize("expire", [False, True], ids=["live", "expired"])
def test_listing_order_and_cached_expiry(stores, store_type, caching, expire):
    window, session, pipe = stores
    for key, ts in (("b", 0), ("a", 1), ("c", 1), ("a", 2)):
        pipe(key, f"{key}{ts}", ts)
    if expire:
        pipe("z", "z", 300_000)
    in_window, in_session = KEY_ORDER if store_type == "rocksdb" else TIME_ORDER
    if expire and not caching:
        in_window, in_session = [], []
    z = ["z@300000"] if expire else []
    assert windows(window.all()) == in_window + z
    assert windows(window.backward_all()) == (in_window + z)[::-1]
    assert windows(window.fetch("a", "c", 0, 10)) == in_window
    assert sessions(session.fetch("a", "c")) == in_session
    assert sessions(session.find_sessions("a", "c", 0, 10)) == in_session
    assert sessions(session.backward_find_sessions("a", "c", 0, 10)) == in_session[::-1]
    # one key: in time order on every store
    assert [kv.key for kv in window.fetch("a", 0, 10)] == ([] if expire and not caching else [1, 2])
