"""TaskStateManager, GlobalStateManager and the checkpoint file (Kafka's OffsetCheckpointTest vectors)."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from raystreams.errors import ProcessorStateException, TaskCorruptedException
from raystreams.serde import Serdes
from raystreams.state import (
    ChangelogRecord,
    GlobalStateManager,
    KeyValue,
    OffsetCheckpoint,
    Stores,
    TaskStateManager,
)
from raystreams.state.checkpoint import OFFSET_UNKNOWN

# -- checkpoint file --------------------------------------------------------------------------------

def test_checkpoint_round_trip_and_format(tmp_path):
    cp = OffsetCheckpoint(tmp_path / ".checkpoint")
    offsets = {("topic", 0): 0, ("app-store-changelog", 3): 1234, ("t", 1): OFFSET_UNKNOWN}
    cp.write(offsets)
    assert cp.read() == offsets
    lines = (tmp_path / ".checkpoint").read_text().splitlines()
    assert lines[:2] == ["0", "3"]
    assert sorted(lines[2:]) == sorted(["topic 0 0", "app-store-changelog 3 1234", "t 1 -4"])
    assert not (tmp_path / ".checkpoint.tmp").exists()


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    cp = OffsetCheckpoint(tmp_path / ".checkpoint")
    cp.write({("a", 0): 1})
    real_replace = os.replace

    def crash(*args):
        raise OSError("disk gone")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(ProcessorStateException, match="Failed to write checkpoint"):
        cp.write({("a", 0): 2})
    monkeypatch.setattr(os, "replace", real_replace)
    assert cp.read() == {("a", 0): 1}  # the old file is untouched


def test_checkpoint_empty_offsets_delete_the_file(tmp_path):
    cp = OffsetCheckpoint(tmp_path / ".checkpoint")
    cp.write({("a", 0): 1})
    cp.write({})
    assert not cp.exists()
    assert cp.read() == {}


def test_checkpoint_rejects_negative_offsets(tmp_path):
    with pytest.raises(ProcessorStateException, match="negative offset"):
        OffsetCheckpoint(tmp_path / ".checkpoint").write({("a", 0): -1})


@pytest.mark.parametrize("text, error", [
    ("1\n0\n", "Unknown offset checkpoint version 1"),
    ("0\n2\na 0 1\n", "Expected 2 entries"),
    ("0\n1\na 0\n", "Malformed line"),
    ("", "ended prematurely"),
])
def test_checkpoint_rejects_malformed_files(tmp_path, text, error):
    (tmp_path / ".checkpoint").write_text(text)
    with pytest.raises(ProcessorStateException, match=error):
        OffsetCheckpoint(tmp_path / ".checkpoint").read()


def test_checkpoint_skips_negative_offsets_on_read(tmp_path):
    (tmp_path / ".checkpoint").write_text("0\n2\na 0 -1\nb 1 5\n")
    assert OffsetCheckpoint(tmp_path / ".checkpoint").read() == {("b", 1): 5}


# -- task state manager -----------------------------------------------------------------------------

@pytest.fixture
def task_dir(tmp_path):
    return tmp_path / "app" / "0_2"


def open_task(make_context, task_dir, kv_supplier, eos=False, caching=False):
    manager = TaskStateManager("0_2", "app", task_dir, 2, eos=eos)
    context = make_context(state_manager=manager, task_id="0_2", partition=2,
                           cache_bytes=100_000 if caching else None)
    context.task_dir = task_dir
    stores = {}
    for name, logged in [("a", True), ("b", True), ("c", False)]:
        builder = Stores.key_value_store_builder(kv_supplier(name), Serdes.String(), Serdes.String())
        if not logged:
            builder.with_logging_disabled()
        if caching:
            builder.with_caching_enabled()
        store = builder.build()
        store.init(context, store)
        stores[name] = store
    return manager, context, stores


def test_registration_and_changelog_partitions(make_context, task_dir, kv_supplier):
    manager, _, stores = open_task(make_context, task_dir, kv_supplier)
    assert [s.name for s in manager.stores] == ["a", "b", "c"]
    assert manager.changelog_partitions() == {("app-a-changelog", 2): "a", ("app-b-changelog", 2): "b"}
    assert manager.store_for_changelog("app-b-changelog", 2) is stores["b"]
    assert manager.get_store("c") is stores["c"]
    with pytest.raises(ProcessorStateException, match="already been registered"):
        manager.register(stores["a"], lambda records: None)
    manager.close()


def test_restore_dispatches_and_tracks_offsets(make_context, task_dir, kv_supplier):
    manager, _, stores = open_task(make_context, task_dir, kv_supplier)
    assert manager.initialize_offsets() == {("app-a-changelog", 2): None, ("app-b-changelog", 2): None}
    manager.restore("app-a-changelog", 2, [ChangelogRecord(b"k1", b"v1", 5, 10), ChangelogRecord(b"k2", b"v2", 6, 11)])
    manager.restore("app-b-changelog", 2, [ChangelogRecord(b"x", b"y", 7, 3), ChangelogRecord(b"k1", None, 8, 4)])
    manager.restore("app-a-changelog", 2, [])
    assert stores["a"].all().to_list() == [KeyValue("k1", "v1"), KeyValue("k2", "v2")]
    assert stores["b"].all().to_list() == [KeyValue("x", "y")]
    assert manager.changelog_offsets() == {("app-a-changelog", 2): 11, ("app-b-changelog", 2): 4}
    assert manager.metadata("a").restored_records == 2
    with pytest.raises(ProcessorStateException, match="No store is restored from other-0"):
        manager.restore("other", 0, [ChangelogRecord(b"k", b"v", 0, 0)])
    manager.close()


def test_checkpoint_covers_persistent_logged_stores(make_context, task_dir, kv_supplier, store_type):
    manager, _, stores = open_task(make_context, task_dir, kv_supplier)
    manager.update_changelog_offsets({("app-a-changelog", 2): 41, ("app-b-changelog", 2): 7, ("x", 0): 1})
    manager.flush()
    manager.checkpoint()
    expected = {("app-a-changelog", 2): 41, ("app-b-changelog", 2): 7} if store_type == "rocksdb" else {}
    assert manager.read_checkpoint() == expected
    manager.close()


def test_restart_reads_the_checkpoint(make_context, task_dir):
    def supplier(name):
        return Stores.persistent_key_value_store(name)
    manager, context, stores = open_task(make_context, task_dir, supplier)
    context.set_record(1)
    stores["a"].put("k", "v")
    manager.update_changelog_offsets({("app-a-changelog", 2): 0})
    manager.flush()
    manager.checkpoint()
    manager.close()
    manager, _, stores = open_task(make_context, task_dir, supplier)
    assert manager.initialize_offsets() == {("app-a-changelog", 2): 0, ("app-b-changelog", 2): None}
    assert stores["a"].get("k") == "v"
    manager.close()


def test_in_memory_stores_always_restore_from_scratch(make_context, task_dir, kv_supplier, store_type):
    manager, _, _ = open_task(make_context, task_dir, kv_supplier)
    manager.write_checkpoint({("app-a-changelog", 2): 9})
    manager.close()
    manager, _, _ = open_task(make_context, task_dir, kv_supplier)
    offset = manager.initialize_offsets()[("app-a-changelog", 2)]
    assert offset == (9 if store_type == "rocksdb" else None)
    manager.close()


def test_flush_flushes_caches_in_registration_order(make_context, task_dir, kv_supplier):
    manager, context, stores = open_task(make_context, task_dir, kv_supplier, caching=True)
    order = []
    for name in ["a", "b", "c"]:
        stores[name].set_flush_listener(lambda k, n, o, rc, name=name: order.append(name), False)
    context.set_record(1)
    for name in ["c", "b", "a"]:
        stores[name].put("k", name)
    manager.flush()
    assert order == ["a", "b", "c"]
    assert [r.store for r in context.changelog] == ["a", "b"]
    manager.close()


def test_maybe_checkpoint_waits_for_ten_thousand_records(make_context, task_dir):
    manager, _, _ = open_task(make_context, task_dir, lambda n: Stores.persistent_key_value_store(n))
    manager.initialize_offsets()
    assert manager.maybe_checkpoint({("app-a-changelog", 2): 9_999}) is False
    assert manager.read_checkpoint() == {}
    assert manager.maybe_checkpoint({("app-a-changelog", 2): 10_000}) is True
    assert manager.read_checkpoint() == {("app-a-changelog", 2): 10_000}
    assert manager.maybe_checkpoint({("app-b-changelog", 2): 5}) is False
    manager.close()


def test_eos_consumes_the_checkpoint_and_detects_unclean_state(make_context, task_dir):
    def supplier(name):
        return Stores.persistent_key_value_store(name)
    manager, context, stores = open_task(make_context, task_dir, supplier, eos=True)
    manager.initialize_offsets()  # fresh directory: nothing to distrust
    context.set_record(1)
    stores["a"].put("k", "v")
    manager.update_changelog_offsets({("app-a-changelog", 2): 0, ("app-b-changelog", 2): 0})
    manager.flush()
    manager.checkpoint()
    manager.close()  # a clean close leaves a checkpoint

    manager, _, _ = open_task(make_context, task_dir, supplier, eos=True)
    assert manager.initialize_offsets() == {("app-a-changelog", 2): 0, ("app-b-changelog", 2): 0}
    assert not (task_dir / ".checkpoint").exists()  # consumed: a crash now must not trust it
    manager.close()  # an unclean stop: no new checkpoint

    manager, _, _ = open_task(make_context, task_dir, supplier, eos=True)
    with pytest.raises(TaskCorruptedException) as info:
        manager.initialize_offsets()
    assert info.value.stores == ["a", "b"] and info.value.task_id == "0_2"
    manager.wipe()
    assert not task_dir.exists()
    manager, _, stores = open_task(make_context, task_dir, supplier, eos=True)
    assert manager.initialize_offsets() == {("app-a-changelog", 2): None, ("app-b-changelog", 2): None}
    assert stores["a"].get("k") is None
    manager.close()


def test_close_closes_every_store(make_context, task_dir, kv_supplier):
    manager, _, stores = open_task(make_context, task_dir, kv_supplier)
    manager.close()
    assert not any(s.is_open() for s in stores.values())
    manager.close()  # idempotent


def test_source_topic_as_changelog(make_context, task_dir, kv_supplier):
    manager = TaskStateManager("0_2", "app", task_dir, 2, source_changelogs={"t": "input-topic"})
    context = make_context(state_manager=manager, partition=2)
    store = Stores.key_value_store_builder(kv_supplier("t"), Serdes.String(), Serdes.String()) \
        .with_logging_disabled().build()
    store.init(context, store)
    assert manager.changelog_partitions() == {("input-topic", 2): "t"}
    manager.restore("input-topic", 2, [ChangelogRecord(b"a", b"b", 0, 0)])
    assert store.get("a") == "b"
    manager.close()


def test_for_task(tmp_path):
    task = SimpleNamespace(task_id="1_0", application_id="app", task_dir=tmp_path / "app" / "1_0", partition=0,
                           config={"processing.guarantee": "exactly_once_v2", "statestore.cache.max.bytes": 1000})
    manager = TaskStateManager.for_task(task)
    assert manager.eos and manager.partition == 0 and manager.cache.max_bytes == 1000
    assert TaskStateManager.for_task(SimpleNamespace(**{**vars(task), "config": {}})).eos is False


# -- global stores -----------------------------------------------------------------------------------

def test_global_state_manager(make_context, tmp_path, store_type, kv_supplier):
    global_dir = tmp_path / "app" / "global"
    manager = GlobalStateManager("app", global_dir, {"g": "countries"})
    context = make_context(state_manager=manager, task_id="global")
    context.task_dir = global_dir
    store = Stores.key_value_store_builder(kv_supplier("g"), Serdes.String(), Serdes.String()) \
        .with_logging_disabled().build()
    store.init(context, store)
    manager.assign_partitions("countries", [0, 1])
    assert manager.initialize_offsets() == {("countries", 0): None, ("countries", 1): None}
    manager.restore("countries", 0, [ChangelogRecord(b"de", b"Germany", 1, 5)])
    manager.restore("countries", 1, [ChangelogRecord(b"fr", b"France", 1, 8)])
    assert store.all().to_list() == [KeyValue("de", "Germany"), KeyValue("fr", "France")]
    assert manager.changelog_offsets() == {("countries", 0): 5, ("countries", 1): 8}
    manager.checkpoint()
    expected = {("countries", 0): 5, ("countries", 1): 8} if store_type == "rocksdb" else {}
    assert manager.read_checkpoint() == expected
    manager.close()


def test_global_store_must_not_be_logged(make_context, tmp_path, kv_supplier):
    manager = GlobalStateManager("app", tmp_path / "g", {"g": "t"})
    context = make_context(state_manager=manager)
    store = Stores.key_value_store_builder(kv_supplier("g"), Serdes.String(), Serdes.String()).build()
    with pytest.raises(ProcessorStateException, match="must not be change-logged"):
        store.init(context, store)
    store.close()
