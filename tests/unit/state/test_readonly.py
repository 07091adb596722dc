"""Read-only query views and QueryableStoreTypes."""

from __future__ import annotations

import pytest

from raystreams.errors import InvalidStateStoreException
from raystreams.serde import Serdes
from raystreams.state import (
    KeyValue,
    QueryableStoreTypes,
    ReadOnlyKeyValueStore,
    Stores,
    ValueAndTimestamp,
)
from raystreams.windowed import SessionWindow, TimeWindow, Windowed


@pytest.fixture
def context(make_context):
    ctx = make_context()
    ctx.set_record(1)
    return ctx


def opened(builder, context):
    store = builder.build()
    store.init(context, store)
    return store


def test_key_value_view_exposes_only_queries(context, kv_supplier):
    store = opened(Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String()), context)
    store.put("a", "1")
    store.put("b", "2")
    view = QueryableStoreTypes.key_value_store().create(store)
    assert isinstance(view, ReadOnlyKeyValueStore)
    assert not hasattr(view, "put") and not hasattr(view, "delete")
    assert view.get("a") == "1"
    assert view.range("a", "b").to_list() == [KeyValue("a", "1"), KeyValue("b", "2")]
    assert view.reverse_all().to_list() == [KeyValue("b", "2"), KeyValue("a", "1")]
    assert view.prefix_scan("b", Serdes.String()).to_list() == [KeyValue("b", "2")]
    assert view.approximate_num_entries() == 2
    store.close()
    with pytest.raises(InvalidStateStoreException, match="not open"):
        view.get("a")


def test_timestamped_store_views(context, kv_supplier):
    store = opened(Stores.timestamped_key_value_store_builder(kv_supplier(timestamped=True), Serdes.String(),
                                                              Serdes.String()), context)
    store.put("a", ValueAndTimestamp("1", 10))
    plain = QueryableStoreTypes.key_value_store().create(store)
    stamped = QueryableStoreTypes.timestamped_key_value_store().create(store)
    assert plain.get("a") == "1" and plain.all().to_list() == [KeyValue("a", "1")]
    assert stamped.get("a") == ValueAndTimestamp("1", 10)
    assert QueryableStoreTypes.timestamped_key_value_store().accepts(store)
    assert not QueryableStoreTypes.window_store().accepts(store)
    store.close()


def test_plain_store_is_not_a_timestamped_query(context, kv_supplier):
    store = opened(Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String()), context)
    with pytest.raises(InvalidStateStoreException, match="cannot be queried as timestamped_key_value_store"):
        QueryableStoreTypes.timestamped_key_value_store().create(store)
    store.close()


def test_window_views(context, window_supplier):
    store = opened(Stores.timestamped_window_store_builder(window_supplier(size=10, timestamped=True),
                                                           Serdes.String(), Serdes.String()), context)
    store.put("a", ValueAndTimestamp("x", 5), 0)
    view = QueryableStoreTypes.window_store().create(store)
    assert view.fetch("a", 0) == "x"
    assert view.fetch("a", 0, 10).to_list() == [KeyValue(0, "x")]
    assert view.fetch_all(0, 10).to_list() == [KeyValue(Windowed("a", TimeWindow(0, 10)), "x")]
    stamped = QueryableStoreTypes.timestamped_window_store().create(store)
    assert stamped.fetch("a", 0) == ValueAndTimestamp("x", 5)
    assert not hasattr(view, "put")
    store.close()


def test_session_view(context, session_supplier):
    store = opened(Stores.session_store_builder(session_supplier(), Serdes.String(), Serdes.Long()), context)
    store.put(Windowed("a", SessionWindow(0, 5)), 3)
    view = QueryableStoreTypes.session_store().create(store)
    assert view.fetch("a").to_list() == [KeyValue(Windowed("a", SessionWindow(0, 5)), 3)]
    assert view.fetch_session("a", 0, 5) == 3
    assert view.find_sessions("a", 0, 10).to_list() == [KeyValue(Windowed("a", SessionWindow(0, 5)), 3)]
    assert not hasattr(view, "remove")
    store.close()


def test_plain_facades_of_timestamped_stores(context, kv_supplier, window_supplier):
    kv = opened(Stores.timestamped_key_value_store_builder(kv_supplier(timestamped=True), Serdes.String(),
                                                           Serdes.String()), context)
    assert kv.store_kind == "key_value" and kv.timestamped
    facade = kv.plain_view()
    facade.put("a", "1")
    assert kv.get("a") == ValueAndTimestamp("1", -1)  # Kafka's NO_TIMESTAMP
    assert facade.get("a") == "1" and facade.put_if_absent("a", "2") == "1"
    facade.put_all([("b", "2")])
    assert facade.all().to_list() == [KeyValue("a", "1"), KeyValue("b", "2")]
    assert facade.delete("a") == "1" and kv.get("a") is None
    win = opened(Stores.timestamped_window_store_builder(window_supplier(size=10, timestamped=True),
                                                         Serdes.String(), Serdes.String()), context)
    assert win.store_kind == "window"
    wf = win.plain_view()
    wf.put("k", "v", 20)
    assert win.fetch("k", 20) == ValueAndTimestamp("v", 20)
    assert wf.fetch("k", 20) == "v" and wf.fetch("k", 0, 30).to_list() == [KeyValue(20, "v")]
    assert wf.window_size == 10
    kv.close()
    win.close()
