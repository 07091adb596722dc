"""Fixtures of the state-store tests: a recording StateStoreContext and both backends.

``store_type`` reruns a test on RocksDB (real files under ``tmp_path``) and in memory, as
Quix Streams' tests do. ``make_context`` gives a ``StateStoreContext`` that records every
changelog record it is sent; ``replay`` rebuilds a store from such a record list.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from raystreams.processor.api import Headers, RecordContext
from raystreams.state import ChangelogRecord, StoreContext, Stores, TaskCache


@dataclass(frozen=True)
class Logged:
    """One changelog record as the engine's record collector would get it."""

    store: str
    topic: str
    partition: int
    key: bytes
    value: bytes | None
    timestamp: int


class RecordingContext(StoreContext):
    """A real ``StateStoreContext`` that keeps the changelog records it is sent."""

    def __init__(self, task_dir: Path, *, cache: TaskCache | None = None, application_id: str = "app",
                 task_id: str = "0_0", partition: int = 0, config: Any = None, state_manager: Any = None) -> None:
        super().__init__(application_id, task_id, partition, task_dir, config=config, cache=cache,
                         state_manager=state_manager)
        self.changelog: list[Logged] = []

    def log_change(self, store_name: str, topic: str, key: bytes, value: bytes | None, timestamp: int,
                   headers: Headers | None) -> None:
        assert headers is None
        self.changelog.append(Logged(store_name, topic, self.partition, key, value, timestamp))

    def set_record(self, timestamp: int, offset: int = 0, topic: str | None = "topic",
                   headers: Headers | None = None, partition: int = 0) -> RecordContext:
        """Make a new current record context, as the engine does per input record."""
        self.record_context = RecordContext(timestamp, offset, partition, topic,
                                            headers if headers is not None else Headers())
        return self.record_context

    def changelog_records(self, store: str | None = None) -> list[ChangelogRecord]:
        """The sent records as a restore consumer would read them back (offsets from 0)."""
        logged = [r for r in self.changelog if store is None or r.store == store]
        return [ChangelogRecord(r.key, r.value, r.timestamp, i) for i, r in enumerate(logged)]


@pytest.fixture(params=["rocksdb", "memory"])
def store_type(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_context(tmp_path: Path):
    """``make_context(cache_bytes=None, task="0_0", **kw)``: a new context with its own task dir."""
    counter = [0]

    def make(cache_bytes: int | None = None, task_id: str = "0_0", **kwargs: Any) -> RecordingContext:
        counter[0] += 1
        cache = None if cache_bytes is None else TaskCache(cache_bytes)
        return RecordingContext(tmp_path / f"run{counter[0]}" / "app" / task_id, cache=cache, task_id=task_id,
                                **kwargs)
    return make


@pytest.fixture
def kv_supplier(store_type: str):
    def make(name: str = "kv", timestamped: bool = False):
        if store_type == "rocksdb":
            if timestamped:
                return Stores.persistent_timestamped_key_value_store(name)
            return Stores.persistent_key_value_store(name)
        return Stores.in_memory_key_value_store(name)
    return make


@pytest.fixture
def window_supplier(store_type: str):
    def make(name: str = "win", retention: int = 120_000, size: int = 3, retain_duplicates: bool = False,
             timestamped: bool = False):
        if store_type == "rocksdb":
            if timestamped:
                return Stores.persistent_timestamped_window_store(name, retention, size, retain_duplicates)
            return Stores.persistent_window_store(name, retention, size, retain_duplicates)
        return Stores.in_memory_window_store(name, retention, size, retain_duplicates)
    return make


@pytest.fixture
def session_supplier(store_type: str):
    def make(name: str = "sess", retention: int = 10_000):
        if store_type == "rocksdb":
            return Stores.persistent_session_store(name, retention)
        return Stores.in_memory_session_store(name, retention)
    return make


@pytest.fixture
def replay():
    """``replay(builder, source_context, target_context)``: a new store restored from the changelog."""
    def run(builder: Any, source: RecordingContext, target: RecordingContext) -> Any:
        store = builder.build()
        store.init(target, store)
        target.restore_callbacks[store.name](source.changelog_records(store.name))
        return store
    return run


def raw_contents(store: Any) -> list[tuple[bytes, bytes]]:
    """Every (key bytes, value bytes) pair of a store's backend, in iteration order."""
    return [tuple(kv) for kv in store.inner.inner_most().all(True)] if hasattr(store.inner, "inner_most") \
        else [tuple(kv) for kv in store.inner.all(True)]


@pytest.fixture
def backend_contents():
    return raw_contents
