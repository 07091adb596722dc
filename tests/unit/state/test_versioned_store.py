"""Versioned key-value stores: Kafka's VersionedKeyValueStore contract (put return codes,
as-of reads, history retention, deletes), on RocksDB and in memory, and a rebuild from the
changelog alone. The expectations follow Kafka's RocksDBVersionedStoreTest."""

from __future__ import annotations

import pytest

from raystreams import Serdes
from raystreams.errors import ProcessorStateException
from raystreams.state import Stores, VersionedRecord
from raystreams.state.versioned import (
    PUT_RETURN_CODE_NOT_PUT,
    PUT_RETURN_CODE_VALID_TO_UNDEFINED,
    VersionedBytesStoreSupplier,
)

HISTORY = 10_000


@pytest.fixture
def builder(store_type):
    supplier = (Stores.persistent_versioned_key_value_store("versions", HISTORY)
                if store_type == "rocksdb"
                else VersionedBytesStoreSupplier("versions", HISTORY, persistent=False))
    return Stores.versioned_key_value_store_builder(supplier, Serdes.String(), Serdes.String())


@pytest.fixture
def store(builder, make_context):
    context = make_context()
    s = builder.build()
    s.init(context, s)
    s.test_context = context
    yield s
    s.close()


def test_puts_in_and_out_of_order_make_a_history(store):
    assert store.put("k", "v10", 10) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.put("k", "v30", 30) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.put("k", "v20", 20) == 30            # out of order: valid until the next one
    assert store.get("k") == VersionedRecord("v30", 30)
    assert store.get("k", 25) == VersionedRecord("v20", 20, 30)
    assert store.get("k", 20) == VersionedRecord("v20", 20, 30)   # the bound is inclusive
    assert store.get("k", 19) == VersionedRecord("v10", 10, 20)
    assert store.get("k", 9) is None
    assert store.put("k", "v20b", 20) == 30           # the same timestamp replaces the version
    assert store.get("k", 21) == VersionedRecord("v20b", 20, 30)


def test_deletes_are_versions_without_a_value(store):
    store.put("k", "v10", 10)
    assert store.delete("k", 20) == VersionedRecord("v10", 10)
    assert store.get("k") is None
    assert store.get("k", 15) == VersionedRecord("v10", 10, 20)
    assert store.get("k", 25) is None
    assert store.put("k", None, 5) == 10  # a delete before the first version
    assert store.get("k", 7) is None
    assert store.put("k", "v30", 30) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.get("k") == VersionedRecord("v30", 30)


def test_history_retention_bounds_puts_and_reads(store):
    store.put("k", "v1000", 1_000)
    store.put("k", "v5000", 5_000)
    store.put("other", "x", 20_000)                  # stream time 20000: the horizon is 10000
    assert store.put("k", "late", 9_999) == PUT_RETURN_CODE_NOT_PUT
    assert store.get("k", 9_999) == VersionedRecord("v5000", 5_000)  # the latest never expires
    assert store.get("k", 4_999) is None               # older than the retention
    assert store.put("k", "v10000", 10_000) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.delete("k", 9_000) is None            # an expired delete does nothing
    assert store.get("k") == VersionedRecord("v10000", 10_000)


def test_the_changelog_alone_rebuilds_the_store(builder, store, make_context, replay):
    for key, value, ts in [("a", "1", 10), ("b", "2", 20), ("a", None, 30), ("a", "3", 25),
                           ("b", "4", 15), ("c", "5", 5)]:
        store.put(key, value, ts)
    logged = store.test_context.changelog
    assert [(r.key, r.value, r.timestamp) for r in logged][:2] == [(b"a", b"1", 10), (b"b", b"2", 20)]
    rebuilt = replay(builder, store.test_context, make_context())
    try:
        for key in ("a", "b", "c"):
            for as_of in (None, 4, 5, 10, 14, 15, 19, 20, 24, 25, 29, 30, 40):
                assert rebuilt.get(key, as_of) == store.get(key, as_of), (key, as_of)
    finally:
        rebuilt.close()


def test_versioned_builders_refuse_caching_and_keep_changelog_history(builder):
    with pytest.raises(ProcessorStateException, match="does not support caching"):
        builder.with_caching_enabled()
    assert builder.log_config == {"min.compaction.lag.ms": str(HISTORY + 86_400_000)}
    assert Stores.persistent_versioned_key_value_store("v", 3_600_001).segment_interval_ms == 300_000
    assert Stores.persistent_versioned_key_value_store("v", 30_000).segment_interval_ms == 10_000


def test_a_delete_at_the_latest_timestamp_leaves_no_trace(store):
    # Kafka's store drops the latest value; a delete is only kept as the end of an older
    # version, so a later put before it becomes the latest (found by the oracle)
    assert store.put("k", "v1", 1) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.put("k", None, 1) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.put("k", None, 0) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.put("k", "v0", 0) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.get("k") == VersionedRecord("v0", 0)


def test_a_delete_of_nothing_still_ends_an_older_put(store):
    assert store.put("k", None, 50) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
    assert store.put("k", "v30", 30) == 50
    assert store.get("k") is None and store.get("k", 40) == VersionedRecord("v30", 30, 50)
    assert store.put("k", "v60", 60) == PUT_RETURN_CODE_VALID_TO_UNDEFINED
