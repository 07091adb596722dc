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


def _caching_layer(store: Any) -> Any:
    layer = store.inner
    while not hasattr(layer, "flush_cache"):
        layer = layer.wrapped
    return layer


INVALID_RANGE_WARNING = (
    "Returning empty iterator for fetch with invalid key range: from > to. This may be due to "
    "range arguments set in the wrong order, or serdes that don't preserve ordering when "
    "lexicographically comparing the serialized bytes. Note that the built-in numerical serdes "
    "do not follow this for negative numbers")


@pytest.fixture
def check_negative_from_key(caplog):
    """``check_negative_from_key(read)``: Kafka's shouldNotThrowInvalidRangeExceptionWith-
    NegativeFromKey: ``read(Integer(-1) bytes, Integer(1) bytes, 0, 10)`` is empty and logs
    Kafka's warning (the keys compare the wrong way round as bytes)."""
    def check(read: Any) -> None:
        from raystreams.serde import Serdes
        key_from, key_to = (Serdes.Integer().serialize("", n) for n in (-1, 1))
        with caplog.at_level("WARNING"):
            assert read(key_from, key_to, 0, 10).to_list() == []
        assert INVALID_RANGE_WARNING in caplog.messages
    return check


@pytest.fixture
def check_close_after_error(monkeypatch):
    """``check_close_after_error(store, failing)``: make one step of a caching store's close
    raise once (``"flush"`` the cache flush, ``"cache-close"`` the cache close,
    ``"store-close"`` the wrapped store's close), close, and check that the other steps still
    ran, in order, and that the cache and the store below ended closed (Kafka's
    shouldClose*AfterErrorDuring* cases). Kafka's tests mock the cache and the store; a failing
    flush or close cannot be produced on demand, so the class's method is patched (the cache
    classes have ``__slots__``)."""
    def check(store: Any, failing: str) -> None:
        layer, calls = install(store, failing)
        task_cache = layer._context.cache
        with pytest.raises(RuntimeError, match="Simulating"):
            store.close()
        assert calls == ["flush", "close", "close"]  # cache flush, cache close, store close
        if failing != "cache-close":
            assert len(task_cache) == 0
        if failing != "store-close":
            assert not layer.wrapped.is_open()

    def install(store: Any, failing: str) -> tuple[Any, list[str]]:
        layer = _caching_layer(store)
        calls: list[str] = []
        for obj, name, step in ((layer._cache, "flush", "flush"),
                                (layer._context.cache, "close", "cache-close"),
                                (layer.wrapped, "close", "store-close")):
            cls = type(obj)
            original = getattr(cls, name)
            state = {"raise": step == failing}

            def patched(*args: Any, _original=original, _name=name, _state=state, **kwargs: Any):
                calls.append(_name)
                if _state["raise"]:
                    _state["raise"] = False
                    raise RuntimeError(f"Simulating an error on {_name}")
                return _original(*args, **kwargs)
            monkeypatch.setattr(cls, name, patched)
        return layer, calls
    return check
