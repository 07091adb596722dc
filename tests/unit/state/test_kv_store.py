"""Key-value store semantics on both backends, with and without the record cache.

Vectors from Kafka's AbstractKeyValueStoreTest: inclusive ranges, open ends, reverse order,
deletes hidden from iterators, put_if_absent, prefix scans, invalid ranges.
"""

from __future__ import annotations

import logging

import pytest

from raystreams.errors import IllegalArgumentException, InvalidStateStoreException
from raystreams.serde import Serdes, StringSerde
from raystreams.state import KeyValue, Stores


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
def caching(request: pytest.FixtureRequest) -> bool:
    return request.param


@pytest.fixture
def context(make_context, caching):
    ctx = make_context(cache_bytes=100_000 if caching else None)
    ctx.set_record(10)
    return ctx


@pytest.fixture
def store(context, kv_supplier, caching):
    builder = Stores.key_value_store_builder(kv_supplier(), Serdes.Integer(), Serdes.String())
    if caching:
        builder.with_caching_enabled()
    s = builder.build()
    s.init(context, s)
    yield s
    if s.is_open():
        s.close()


def test_put_get_range(store):
    for k, v in [(0, "zero"), (1, "one"), (2, "two"), (4, "four"), (5, "five")]:
        store.put(k, v)
    assert [store.get(k) for k in range(6)] == ["zero", "one", "two", None, "four", "five"]
    store.flush()
    assert store.delete(5) == "five"
    store.flush()
    assert store.approximate_num_entries() == 4
    assert store.range(2, 4).to_list() == [KeyValue(2, "two"), KeyValue(4, "four")]
    assert store.range(2, 6).to_list() == [KeyValue(2, "two"), KeyValue(4, "four")]
    assert store.all().to_list() == [KeyValue(0, "zero"), KeyValue(1, "one"), KeyValue(2, "two"),
                                     KeyValue(4, "four")]


def test_put_get_reverse_range(store):
    for k, v in [(0, "zero"), (1, "one"), (2, "two"), (4, "four"), (5, "five")]:
        store.put(k, v)
    store.delete(5)
    assert store.reverse_range(2, 4).to_list() == [KeyValue(4, "four"), KeyValue(2, "two")]
    assert store.reverse_range(2, 6).to_list() == [KeyValue(4, "four"), KeyValue(2, "two")]
    assert store.reverse_all().to_list() == [KeyValue(4, "four"), KeyValue(2, "two"), KeyValue(1, "one"),
                                             KeyValue(0, "zero")]


def test_open_ended_ranges(store):
    store.put(0, "zero")
    store.put(1, "one")
    store.put(2, "two")
    assert store.range(None, 1).to_list() == [KeyValue(0, "zero"), KeyValue(1, "one")]
    assert store.range(1, None).to_list() == [KeyValue(1, "one"), KeyValue(2, "two")]
    assert store.range(None, None).to_list() == [KeyValue(0, "zero"), KeyValue(1, "one"), KeyValue(2, "two")]
    assert store.reverse_range(None, 1).to_list() == [KeyValue(1, "one"), KeyValue(0, "zero")]
    assert store.reverse_range(1, None).to_list() == [KeyValue(2, "two"), KeyValue(1, "one")]
    assert store.reverse_range(None, None).to_list() == [KeyValue(2, "two"), KeyValue(1, "one"),
                                                         KeyValue(0, "zero")]


def test_deleted_keys_are_not_in_range_results(store):
    store.put(0, "zero")
    store.put(1, "one")
    store.put(2, "two")
    store.delete(0)
    store.delete(1)
    assert store.all().to_list() == [KeyValue(2, "two")]


def test_serializer_returning_none_deletes(context, kv_supplier, caching):
    class NullString(StringSerde):
        def serialize(self, topic, data):  # "null" becomes no bytes at all: a delete
            return None if data == "null" else super().serialize(topic, data)

    null_string = NullString()
    builder = Stores.key_value_store_builder(kv_supplier(), Serdes.Integer(), null_string)
    if caching:
        builder.with_caching_enabled()
    store = builder.build()
    store.init(context, store)
    store.put(0, "zero")
    store.put(1, "one")
    store.put(2, "two")
    store.put(0, "null")
    store.put(1, "null")
    assert store.all().to_list() == [KeyValue(2, "two")]
    store.close()


def test_put_if_absent(store):
    assert store.put_if_absent(0, "orig") is None
    assert store.put_if_absent(0, "new") == "orig"
    assert store.get(0) == "orig"


def test_put_all_and_reverse_all(store):
    store.put_all([(1, "one"), (2, "two")])
    assert store.all().to_list() == [KeyValue(1, "one"), KeyValue(2, "two")]
    assert store.reverse_all().to_list() == [KeyValue(2, "two"), KeyValue(1, "one")]


def test_get_and_single_key_range_agree(store):
    store.put_all([(1, "one"), (2, "two"), (3, "three")])
    with store.range(2, 2) as it:
        assert next(it).value == store.get(2)
        assert not it.has_next()
    with store.reverse_range(2, 2) as it:
        assert next(it).value == store.get(2)
        assert not it.has_next()


def test_iterator_is_not_disturbed_by_later_writes(store):
    store.put(0, "zero")
    with store.range(0, 2) as it:
        store.put(1, "one")
        assert next(it) == KeyValue(0, "zero")


@pytest.mark.parametrize("method", ["range", "reverse_range"])
@pytest.mark.parametrize("bounds", [(-1, 1), (2, 1)], ids=["negative-from", "from-after-to"])
def test_invalid_range_is_empty_and_warns(store, caplog, method, bounds):
    # -1 serializes to 0xffffffff, after 1: the byte order decides, as in Kafka
    store.put(1, "one")
    with caplog.at_level(logging.WARNING):
        assert getattr(store, method)(*bounds).to_list() == []
    assert any("invalid key range: from > to" in r.getMessage() for r in caplog.records)


def test_none_keys_are_rejected(store):
    with pytest.raises(IllegalArgumentException):
        store.put(None, "x")
    with pytest.raises(IllegalArgumentException):
        store.get(None)
    with pytest.raises(IllegalArgumentException):
        store.delete(None)
    with pytest.raises(IllegalArgumentException):
        store.put_if_absent(None, "x")
    with pytest.raises(IllegalArgumentException):
        store.put_all([(1, "one"), (None, "x")])
    store.put(1, None)  # a None value is a delete, not an error
    assert store.get(1) is None


def test_prefix_scan(context, kv_supplier, caching):
    builder = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.String())
    if caching:
        builder.with_caching_enabled()
    store = builder.build()
    store.init(context, store)
    store.put_all([("p11", "2"), ("k1", "1"), ("k2", "2"), ("p2", "2"), ("p1", "2"), ("p0", "2")])
    assert store.prefix_scan("p1", Serdes.String()).to_list() == [KeyValue("p1", "2"), KeyValue("p11", "2")]
    store.put_all([("abcd", "2"), ("abcdd", "1"), ("abce", "2"), ("abc", "2")])
    assert store.prefix_scan("abcd", Serdes.String()).to_list() == [KeyValue("abcd", "2"), KeyValue("abcdd", "1")]
    with store.prefix_scan("p", Serdes.String()) as it:
        store.delete("p2")  # must not break the open iterator
        assert [kv.key for kv in it] in (["p0", "p1", "p11", "p2"], ["p0", "p1", "p11"])
    store.close()


def test_prefix_scan_with_all_ff_prefix(context, kv_supplier):
    store = Stores.key_value_store_builder(kv_supplier(), Serdes.Bytes(), Serdes.String()).build()
    store.init(context, store)
    store.put(b"\xff\xff", "a")
    store.put(b"\xff\xff\x00", "b")
    store.put(b"\xff\xfe", "c")
    assert store.prefix_scan(b"\xff\xff", Serdes.Bytes()).to_list() == [KeyValue(b"\xff\xff", "a"),
                                                                       KeyValue(b"\xff\xff\x00", "b")]
    store.close()


def test_order_is_that_of_key_bytes(context, kv_supplier):
    store = Stores.key_value_store_builder(kv_supplier(), Serdes.String(), Serdes.Long()).build()
    store.init(context, store)
    for k in ["b", "a", "ab", "B", "aa", ""]:
        store.put(k, len(k))
    assert [kv.key for kv in store.all()] == ["", "B", "a", "aa", "ab", "b"]
    assert [kv.key for kv in store.range("a", "ab")] == ["a", "aa", "ab"]
    store.close()


def test_approximate_num_entries(store):
    assert store.approximate_num_entries() == 0
    for k in range(5):
        store.put(k, str(k))
    store.flush()
    assert store.approximate_num_entries() == 5


def test_closed_store_refuses_operations(store):
    store.put(1, "one")
    store.close()
    assert not store.is_open()
    with pytest.raises(InvalidStateStoreException):
        store.get(1)
    with pytest.raises(InvalidStateStoreException):
        store.put(1, "one")
    with pytest.raises(InvalidStateStoreException):
        store.range(None, None)


def test_closing_the_store_ends_open_iterators(store):
    for k in range(3):
        store.put(k, str(k))
    store.flush()
    it = store.all()
    assert it.has_next()
    store.close()
    rest = list(it)
    assert len(rest) <= 1  # at most the element already peeked
    assert not it.has_next()


def test_iterator_protocol(store):
    store.put_all([(1, "one"), (2, "two")])
    it = store.all()
    assert it.peek_next_key() == 1
    assert it.peek_next_key() == 1
    assert next(it) == KeyValue(1, "one")
    assert it.has_next()
    assert next(it).key == 2
    assert not it.has_next()
    with pytest.raises(StopIteration):
        it.peek_next_key()
    it.close()
    it.close()  # idempotent
    assert list(it) == []


def test_metered_counts_operations(store):
    store.put(1, "a")
    store.get(1)
    store.get(2)
    store.delete(1)
    store.range(None, None).close()
    assert store.metrics() == {"put": 1, "get": 2, "delete": 1, "range": 1, "flush": 0}
