"""The task record cache: Kafka's ThreadCacheTest vectors (sizes, eviction order, flushes)."""

from __future__ import annotations

import pytest

from raystreams.errors import ProcessorStateException
from raystreams.processor.api import Headers, RecordContext
from raystreams.state import TaskCache
from raystreams.state.cache.task_cache import ENTRY_OVERHEAD, entry_size

NS, NS1, NS2 = "0_0-namespace", "0_1-namespace", "0_2-namespace"
CTX = RecordContext(1, 1, 1, "", Headers())


def kafka_test_entry_size(key: bytes, value: bytes, topic: str) -> int:
    # ThreadCacheTest.memoryCacheEntrySize: counts the key twice, so it slightly over-estimates
    return len(key) + len(value) + 1 + 8 + 8 + 4 + len(topic) + len(key) + 8 + 8 + 8


def collect(cache: TaskCache, ns: str) -> list:
    received: list = []
    cache.named_cache(ns).listener = received.extend
    return received


def test_entry_size_is_kafkas():
    assert ENTRY_OVERHEAD == 45
    assert entry_size(b"\x01", b"\x00") == 47
    ctx = RecordContext(0, 0, 0, "topic", Headers([("h", b"abc")]))
    assert entry_size(b"k", b"vv", ctx) == 1 + 2 + 45 + 5 + 1 + 3


def test_basic_put_get():
    pairs = [(f"K{i}".encode(), f"V{i}".encode()) for i in range(1, 6)]
    cache = TaskCache(5 * kafka_test_entry_size(b"K1", b"V1", ""))
    for k, v in pairs:
        cache.put(NS, k, v, CTX)
    for k, v in pairs:
        entry = cache.get(NS, k)
        assert entry[0] == v and k in cache.named_cache(NS).dirty
    assert cache.evicts == 0 and cache.flushes == 0


def test_evict_flushes_least_recently_used_first():
    pairs = [(f"K{i}".encode(), f"V{i}".encode()) for i in range(1, 6)]
    cache = TaskCache(kafka_test_entry_size(b"K1", b"V1", ""))
    received = collect(cache, NS)
    for k, v in pairs:
        cache.put(NS, k, v, CTX)
    assert [(k, v) for k, v, _ in received] == pairs[:4]
    assert cache.evicts == 4
    assert [k for k in cache.named_cache(NS).entries] == [b"K5"]


def test_eviction_flushes_the_whole_namespace_evicted_first():
    size = entry_size(b"a", b"1", CTX)
    cache = TaskCache(3 * size)
    received = collect(cache, NS)
    for k in [b"a", b"b", b"c"]:
        cache.put(NS, k, b"1", CTX)
    cache.get(NS, b"a")  # LRU order b, c, a; reads do not change the dirty (write) order a, b, c
    cache.put(NS, b"d", b"1", CTX)  # over budget: b is evicted, so every dirty entry is flushed
    # the evicted entry first, then the others in write order, the new one included (as Kafka)
    assert [k for k, _, _ in received] == [b"b", b"a", b"c", b"d"]
    assert list(cache.named_cache(NS).entries) == [b"c", b"a", b"d"]
    assert cache.named_cache(NS).dirty == {}


def test_delete():
    cache = TaskCache(10_000)
    cache.put(NS, b"\x00", b"\x00", None)
    assert cache.delete(NS, b"\x00")[0] == b"\x00"
    assert cache.get(NS, b"\x00") is None
    assert cache.delete(NS, b"\x01") is None
    assert cache.delete("no-such-namespace", b"\x01") is None
    assert cache.size_bytes() == 0


def test_no_flush_after_delete():
    cache = TaskCache(10_000)
    received = collect(cache, NS)
    cache.put(NS, b"\x00", b"\x00", None)
    cache.delete(NS, b"\x00")
    cache.flush(NS)
    assert received == []
    assert cache.flushes == 1


def test_namespaces_do_not_clash():
    cache = TaskCache(10_000)
    cache.put(NS1, b"\x00", b"\x00", None)
    cache.put(NS2, b"\x00", b"\x01", None)
    assert cache.get(NS1, b"\x00")[0] == b"\x00"
    assert cache.get(NS2, b"\x00")[0] == b"\x01"


def setup_cache(keys: range, max_bytes: int) -> TaskCache:
    cache = TaskCache(max_bytes)
    collect(cache, NS)
    for i in keys:
        cache.put(NS, bytes([i]), bytes([i]), None)
    return cache


def test_range_iteration_is_sorted_and_inclusive():
    cache = setup_cache(range(10), 10_000)
    named = cache.named_cache(NS)
    assert [k for k, _ in named.range(b"\x01", b"\x04")] == [bytes([i]) for i in (1, 2, 3, 4)]
    assert [k for k, _ in named.range(b"\x01", b"\x04", hi_inclusive=False)] == [bytes([i]) for i in (1, 2, 3)]
    assert [k for k, _ in named.range(b"\x01", b"\x04", forward=False)] == [bytes([i]) for i in (4, 3, 2, 1)]
    assert [k for k, _ in named.range(None, None)] == [bytes([i]) for i in range(10)]
    assert [k for k, _ in named.range(None, None, forward=False)] == [bytes([i]) for i in range(9, -1, -1)]


def test_range_skips_evicted_entries():
    size = entry_size(b"\x00", b"\x00")
    cache = setup_cache(range(5), 5 * size)
    assert len(cache) == 5
    named = cache.named_cache(NS)
    cache.put(NS, b"\x06", b"\x06", None)  # evicts {0}
    assert next(named.range(b"\x00", b"\x05"))[0] == b"\x01"
    cache = setup_cache(range(4, -1, -1), 5 * size)
    cache.put(NS, b"\x06", b"\x06", None)  # evicts {4}, the eldest
    assert next(cache.named_cache(NS).range(b"\x00", b"\x05", forward=False))[0] == b"\x03"
    assert next(cache.named_cache(NS).range(None, None, forward=False))[0] == b"\x06"


def test_flush_hands_dirty_entries_of_one_namespace_in_write_order():
    cache = TaskCache(100_000)
    received = collect(cache, NS1)
    collect(cache, NS2)
    for k in [b"\x00", b"\x01", b"\x02"]:
        cache.put(NS1, k, k, None)
    cache.put(NS2, b"\x04", b"\x04", None)
    cache.flush(NS1)
    assert [k for k, _, _ in received] == [b"\x00", b"\x01", b"\x02"]


def test_rewrite_moves_a_key_to_the_end_of_the_flush_order():
    cache = TaskCache(100_000)
    received = collect(cache, NS)
    for k in [b"a", b"b", b"c"]:
        cache.put(NS, k, b"1", None)
    cache.put(NS, b"a", b"2", None)
    cache.flush(NS)
    assert [(k, v) for k, v, _ in received] == [(b"b", b"1"), (b"c", b"1"), (b"a", b"2")]


def test_clean_entries_are_not_flushed():
    cache = TaskCache(100_000)
    received = collect(cache, NS1)
    for k in [b"\x00", b"\x01", b"\x02"]:
        cache.named_cache(NS1).put_clean(k, k)
    cache.flush(NS1)
    assert received == []


@pytest.mark.parametrize("max_bytes", [0, 1])
def test_evicts_immediately_when_cache_is_zero_or_tiny(max_bytes):
    cache = TaskCache(max_bytes)
    received = collect(cache, NS)
    cache.put(NS, b"\x00", b"\x00", None)
    assert len(received) == 1
    cache.flush(NS)
    assert len(received) == 1


def test_clean_entry_is_not_forwarded_on_eviction():
    cache = TaskCache(0)
    received = collect(cache, NS)
    cache.named_cache(NS).put_clean(b"\x01", b"\x00")
    assert received == []


def test_does_not_loop_when_a_listener_writes_to_another_empty_namespace():
    cache = TaskCache(100)
    other = cache.named_cache(NS1)
    other.listener = lambda entries: None
    cache.named_cache(NS2).listener = lambda entries: None
    cache.named_cache(NS).listener = lambda entries: cache.put(NS1, b"\x00", b"\x00\x00", None)
    cache.put(NS2, b"\x01", b"\x00", None)
    cache.put(NS, b"\x01", b"\x00", None)
    remaining = 100 - cache.size_bytes()
    cache.put(NS, b"\x02", bytes(remaining + 100), None)  # returns: nothing left to evict in NS


def test_close_namespace_removes_its_entries():
    cache = TaskCache(100_000)
    cache.named_cache(NS1).put_clean(b"\x01", b"\x01")
    cache.named_cache(NS2).put_clean(b"\x01", b"\x01")
    assert len(cache) == 2
    cache.close(NS2)
    assert len(cache) == 1
    assert cache.get(NS2, b"\x01") is None
    assert cache.get(NS, None) is None


def test_size_in_bytes_and_resize():
    cache = TaskCache(10_000)
    for k in [b"\x01", b"\x02", b"\x03"]:
        cache.named_cache(NS).put_clean(k, b"\x00")
    assert cache.size_bytes() == 141
    cache.resize(100)
    assert cache.size_bytes() == 94
    cache.named_cache(NS1).put_clean(b"\x04", b"\x00")
    assert cache.size_bytes() == 94


def test_put_then_delete_without_listener_is_fine_but_flush_needs_one():
    cache = TaskCache(100_000)
    cache.put(NS, b"k", b"v", None)
    with pytest.raises(ProcessorStateException):
        cache.flush(NS)


def test_tombstones_leave_the_cache_once_flushed():
    cache = TaskCache(100_000)
    received = collect(cache, NS)
    cache.put(NS, b"a", None, None)
    cache.put(NS, b"b", b"1", None)
    cache.flush(NS)
    assert [(k, v) for k, v, _ in received] == [(b"a", None), (b"b", b"1")]
    assert list(cache.named_cache(NS).entries) == [b"b"]
    assert cache.size_bytes() == entry_size(b"b", b"1")


def test_negative_size_is_rejected():
    with pytest.raises(ValueError):
        TaskCache(-1)


def test_from_config():
    assert TaskCache.from_config({}).max_bytes == 10 * 1024 * 1024
    assert TaskCache.from_config({"statestore.cache.max.bytes": 123}).max_bytes == 123
