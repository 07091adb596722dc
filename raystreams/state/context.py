"""The engine-facing protocols of the state package: StateStoreContext and StateStore.

The engine (StreamTask) implements ``StateStoreContext``; stores only ever talk to the task
through it (Kafka Streams' ``StateStoreContext`` / ``InternalProcessorContext``). ``StoreContext``
is a plain implementation the engine may use as is, and the tests use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from raystreams.config.keys import STATESTORE_CACHE_MAX_BYTES_CONFIG
from raystreams.processor.api import Headers, RecordContext

if TYPE_CHECKING:
    from raystreams.serde import Serde
    from raystreams.state.cache.task_cache import TaskCache

__all__ = [
    "DEFAULT_CACHE_MAX_BYTES",
    "ChangelogSink",
    "RestoreCallback",
    "StateStore",
    "StateStoreContext",
    "StoreContext",
    "cache_max_bytes",
    "config_value",
    "default_serdes",
]

DEFAULT_CACHE_MAX_BYTES = 10 * 1024 * 1024
"""Kafka Streams' default ``statestore.cache.max.bytes`` (10 MiB per instance; raystreams: per task)."""

RestoreCallback = Callable[[Sequence[Any]], None]
"""Takes a batch of raw changelog records (``ChangelogRecord`` or ``(key, value, timestamp[, offset])``)."""

ChangelogSink = Callable[[str, str, bytes, "bytes | None", int, "Headers | None"], None]
"""``(store_name, topic, key, value, timestamp, headers)``: the engine's ``log_change``."""


@runtime_checkable
class StateStoreContext(Protocol):
    """What a store sees of its task (Kafka Streams' ``StateStoreContext``).

    Members are read when a store is initialised, except ``record_context``, which the stores
    read at every write and the caching layer sets while it flushes.
    """

    @property
    def application_id(self) -> str:
        """``application.id``; prefixes changelog topic names."""
        ...

    @property
    def task_id(self) -> str:
        """The task id, ``<subtopology>_<partition>`` (``"0_1"``); names cache namespaces."""
        ...

    @property
    def partition(self) -> int:
        """The changelog partition of the task's stores (the task's partition number)."""
        ...

    @property
    def task_dir(self) -> Path:
        """``state.dir/<application.id>/<task_id>``; a persistent store lives in ``task_dir/<store>``."""
        ...

    @property
    def config(self) -> Mapping[str, Any] | Any:
        """Effective config: a plain dict of Kafka Streams keys, or a StreamsConfig object.

        Read keys: ``statestore.cache.max.bytes``, ``default.key.serde``,
        ``default.value.serde`` (or the object's ``default_key_serde()`` /
        ``default_value_serde()``), and ``rocksdb.config.setter``.
        """
        ...

    # Current input record's context (None outside processing). Stores read it at write time:
    # the changelog record takes its timestamp, a cache entry keeps it. The caching layer sets it
    # to a flushed entry's context while writing that entry down and calling the flush listener,
    # and restores it afterwards (Kafka's setRecordContext), so downstream processors and
    # changelog writes see the context of the write that produced the entry. The engine must
    # make a new RecordContext per record rather than mutate one: cache entries keep it.
    record_context: RecordContext | None

    @property
    def cache(self) -> TaskCache | None:
        """The task's record cache, shared by its stores; ``None`` (or 0 bytes) turns caching off."""
        ...

    def log_change(self, store_name: str, topic: str, key: bytes, value: bytes | None,
                   timestamp: int, headers: Headers | None) -> None:
        """Send one changelog record to ``topic`` at the task's changelog partition.

        Called once per store write by the change-logging layer; the engine hands it to its
        record collector (no per-record callbacks). ``value`` is ``None`` for a delete.
        ``headers`` is ``None``: Kafka's changelog records carry no headers.
        """
        ...

    def register(self, store: StateStore, restore_callback: RestoreCallback) -> None:
        """Register ``store`` (the outermost layer) with the task's state manager.

        Called by the innermost store from ``init``; ``restore_callback`` writes raw changelog
        records straight into the bytes store (no caching, no re-logging).
        """
        ...


@runtime_checkable
class StateStore(Protocol):
    """The lifecycle every store layer has (Kafka Streams' ``StateStore``)."""

    @property
    def name(self) -> str: ...

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        """Open the store; ``root`` is the outermost layer, which the innermost registers."""
        ...

    def flush(self) -> None:
        """Write everything buffered down: cache entries go to the changelog and the backend.

        Stores may also have ``persist()``, which makes the backend durable (RocksDB flushes its
        memtables; the WAL is off). The state manager calls it before writing a checkpoint.
        """
        ...

    def close(self) -> None: ...

    def persistent(self) -> bool:
        """Whether the data outlives the process (RocksDB) or must be restored (in-memory)."""
        ...

    def is_open(self) -> bool: ...


def config_value(config: Any, key: str, default: Any = None) -> Any:
    """Read ``key`` from a dict-like config or a StreamsConfig-like object."""
    if config is None:
        return default
    getter = getattr(config, "get", None)
    if getter is None:
        return default
    try:
        value = getter(key, default)
    except TypeError:
        try:
            value = getter(key)
        except Exception:
            return default
    except Exception:
        # a StreamsConfig that does not know the key
        return default
    return default if value is None else value


def cache_max_bytes(config: Any) -> int:
    """``statestore.cache.max.bytes`` of ``config`` (10 MiB when unset, as in Kafka)."""
    value = config_value(config, STATESTORE_CACHE_MAX_BYTES_CONFIG, DEFAULT_CACHE_MAX_BYTES)
    return int(value)


def default_serdes(config: Any) -> tuple[Serde[Any], Serde[Any]]:
    """The default key and value serdes of ``config``; String when unset (see DESIGN).

    A StreamsConfig object answers through ``default_key_serde()`` / ``default_value_serde()``;
    a plain dict through ``default.key.serde`` / ``default.value.serde`` (anything
    ``raystreams.serde.resolve_serde`` accepts).
    """
    from raystreams.serde import Serdes, resolve_serde

    out = []
    for kind in ("key", "value"):
        method = getattr(config, f"default_{kind}_serde", None)
        if callable(method):
            out.append(method())
            continue
        spec = config_value(config, f"default.{kind}.serde")
        out.append(Serdes.String() if spec is None else resolve_serde(spec, key=f"default.{kind}.serde"))
    return out[0], out[1]


class StoreContext:
    """A plain ``StateStoreContext``: fields plus a changelog sink and a state manager.

    The engine can use it directly (passing its record collector's send as ``changelog_sink``
    and its ``TaskStateManager``), or implement the protocol itself.

    Args:
        application_id: ``application.id``.
        task_id: Task id (``"0_1"``).
        partition: Changelog partition of the task.
        task_dir: The task's state directory.
        config: Effective config (dict or StreamsConfig).
        cache: The task's record cache, or ``None`` for no caching.
        changelog_sink: Receives every changelog record; ``None`` drops them.
        state_manager: Receives ``register`` calls; ``None`` keeps the restore callbacks in
            ``self.restore_callbacks`` (handy in tests).
    """

    def __init__(self, application_id: str, task_id: str, partition: int, task_dir: Path | str,
                 config: Any = None, cache: TaskCache | None = None,
                 changelog_sink: ChangelogSink | None = None, state_manager: Any = None) -> None:
        self.application_id = application_id
        self.task_id = task_id
        self.partition = partition
        self.task_dir = Path(task_dir)
        self.config = {} if config is None else config
        self.cache = cache
        self.record_context: RecordContext | None = None
        self._sink = changelog_sink
        self.state_manager = state_manager
        self.restore_callbacks: dict[str, RestoreCallback] = {}
        self.stores: dict[str, StateStore] = {}

    def log_change(self, store_name: str, topic: str, key: bytes, value: bytes | None,
                   timestamp: int, headers: Headers | None) -> None:
        sink = self._sink
        if sink is not None:
            sink(store_name, topic, key, value, timestamp, headers)

    def register(self, store: StateStore, restore_callback: RestoreCallback) -> None:
        if self.state_manager is not None:
            self.state_manager.register(store, restore_callback)
        self.restore_callbacks[store.name] = restore_callback
        self.stores[store.name] = store
