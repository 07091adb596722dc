"""Property tests: stores behave like a sorted dict, and rebuild from their changelogs."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raystreams.processor.api import Headers, RecordContext
from raystreams.serde import Serdes
from raystreams.state import ChangelogRecord, StoreContext, Stores, TaskCache

keys = st.binary(min_size=0, max_size=3)
ops = st.lists(st.tuples(st.sampled_from(["put", "delete", "range", "flush"]), keys, keys,
                         st.binary(max_size=4)), max_size=60)


def make_store(kind: str, cached: bool, root: Path, log: list):
    cache = TaskCache(600) if cached else None  # small: evictions happen
    context = StoreContext("app", "0_0", 0, root, cache=cache,
                           changelog_sink=lambda *rec: log.append(ChangelogRecord(rec[2], rec[3], rec[4], len(log))))
    context.record_context = RecordContext(1, 0, 0, "t", Headers())
    supplier = Stores.persistent_key_value_store("kv") if kind == "rocksdb" else Stores.in_memory_key_value_store("kv")
    builder = Stores.key_value_store_builder(supplier, Serdes.Bytes(), Serdes.Bytes())
    if cached:
        builder.with_caching_enabled()
    store = builder.build()
    store.init(context, store)
    return store, context


@pytest.mark.parametrize("cached", [False, True], ids=["uncached", "cached"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=ops)
def test_key_value_store_is_a_sorted_dict(store_type, cached, operations):
    with tempfile.TemporaryDirectory() as tmp:
        log: list = []
        store, context = make_store(store_type, cached, Path(tmp) / "a", log)
        model: dict[bytes, bytes] = {}
        for op, k1, k2, value in operations:
            if op == "put":
                store.put(k1, value)
                model[k1] = value
            elif op == "delete":
                assert store.delete(k1) == model.pop(k1, None)
            elif op == "flush":
                store.flush()
            else:
                lo, hi = min(k1, k2), max(k1, k2)
                expected = [(k, model[k]) for k in sorted(model) if lo <= k <= hi]
                assert [tuple(kv) for kv in store.range(lo, hi)] == expected
                assert [tuple(kv) for kv in store.reverse_range(lo, hi)] == expected[::-1]
            assert store.get(k1) == model.get(k1)
        assert [tuple(kv) for kv in store.all()] == sorted(model.items())
        store.flush()
        rebuilt, _ = make_store(store_type, False, Path(tmp) / "b", [])
        _restore_callback(rebuilt)(log)
        assert [tuple(kv) for kv in rebuilt.all()] == sorted(model.items())
        store.close()
        rebuilt.close()


def _restore_callback(store):
    # the bytes store at the bottom of the stack registered this callback with its context
    inner = store.inner
    while hasattr(inner, "wrapped"):
        inner = inner.wrapped
    return inner.restore_batch


windows = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 400_000), st.one_of(st.none(), st.binary(max_size=3))),
                   max_size=50)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(puts=windows)
def test_window_store_matches_model_with_expiry(store_type, puts):
    retention, size = 100_000, 10
    with tempfile.TemporaryDirectory() as tmp:
        context = StoreContext("app", "0_0", 0, Path(tmp))
        supplier = (Stores.persistent_window_store("w", retention, size) if store_type == "rocksdb"
                    else Stores.in_memory_window_store("w", retention, size))
        store = Stores.window_store_builder(supplier, Serdes.Integer(), Serdes.Bytes()).build()
        store.init(context, store)
        model: dict[tuple[int, int], bytes] = {}
        observed = -1
        for key, ts, value in puts:
            store.put(key, value, ts)
            observed = max(observed, ts)
            if ts > observed - retention:
                if value is None:
                    model.pop((key, ts), None)
                else:
                    model[(key, ts)] = value
        live = {k: v for k, v in model.items() if k[1] > observed - retention}
        for key in range(4):
            got = [(kv.key, kv.value) for kv in store.fetch(key, 0, 1 << 40)]
            assert got == sorted((ts, v) for (k, ts), v in live.items() if k == key)
        got_all = {(kv.key.key, kv.key.window.start): kv.value for kv in store.all()}
        assert got_all == live
        store.close()
