"""Per-task state management: store registry, restore, changelog offsets, checkpoint, wipe.

``TaskStateManager`` is Kafka Streams' ``ProcessorStateManager``: stores register with it from
their ``init`` (via the context's ``register``); it maps each logged store to its changelog
partition, feeds restored changelog records to the store's restore callback, tracks the last
offset restored or written per changelog partition, flushes (caches first) and checkpoints.

The engine's part, in order:

1. ``manager = TaskStateManager(...)`` before any store opens (it notes whether state exists).
2. ``store.init(context, store)`` for every store; ``context.register`` calls ``manager.register``.
3. ``offsets = manager.initialize_offsets()``: per changelog partition the checkpointed offset,
   or ``None`` (restore from the beginning). Seek to ``offset + 1``, read to the end, and pass
   each batch to ``manager.restore(topic, partition, records)``.
4. While processing: after the producer has written changelog records, pass their offsets to
   ``manager.update_changelog_offsets``; at commit call ``manager.flush()`` and then
   ``manager.maybe_checkpoint()``, which writes the checkpoint once the offsets moved by
   10,000 records (Kafka's threshold; not under exactly-once). Writing a checkpoint first
   persists the RocksDB memtables (about 2 ms a store), so it is not done at every commit.
5. At a clean close ``manager.flush()``, ``manager.checkpoint()``, ``manager.close()``; after an
   unclean stop under exactly-once, ``manager.wipe()``.

Global stores (``GlobalStateManager``) have no changelog: they are restored from their source
topic, all partitions, and checkpoint under ``state.dir/<application.id>/global``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raystreams.config.keys import PROCESSING_GUARANTEE_CONFIG
from raystreams.errors import ProcessorStateException, TaskCorruptedException
from raystreams.state.cache.task_cache import TaskCache
from raystreams.state.checkpoint import CHECKPOINT_FILE_NAME, OffsetCheckpoint
from raystreams.state.context import RestoreCallback, StateStore, config_value
from raystreams.state.names import changelog_topic

__all__ = ["GlobalStateManager", "StoreMetadata", "TaskStateManager"]

log = logging.getLogger(__name__)

TopicPartition = tuple[str, int]

_NOT_STATE = {CHECKPOINT_FILE_NAME, CHECKPOINT_FILE_NAME + ".tmp", ".lock"}

OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT = 10_000
"""Kafka's: a commit writes the checkpoint once the changelog offsets moved this far."""


@dataclass
class StoreMetadata:
    """What the manager knows of one registered store.

    Attributes:
        store: The outermost layer of the store.
        restore_callback: Writes raw changelog records into its bytes store.
        changelog: ``(topic, partition)`` it is restored from, or ``None`` if not logged.
        offset: Last changelog offset restored or written, ``None`` if unknown.
        restored_records: Records restored since the task started.
    """

    store: StateStore
    restore_callback: RestoreCallback
    changelog: TopicPartition | None
    offset: int | None = None
    restored_records: int = 0


def _has_state(directory: Path) -> bool:
    try:
        return any(p.name not in _NOT_STATE for p in directory.iterdir())
    except (FileNotFoundError, NotADirectoryError):
        return False


class _StateManager:
    """Registry, restore dispatch, offsets and checkpointing shared by task and global managers."""

    def __init__(self, state_dir: Path | str, log_prefix: str) -> None:
        self.state_dir = Path(state_dir)
        self._prefix = log_prefix
        self._stores: dict[str, StoreMetadata] = {}
        self._by_partition: dict[TopicPartition, StoreMetadata] = {}
        self._checkpoint = OffsetCheckpoint(self.state_dir / CHECKPOINT_FILE_NAME)
        self._state_existed = _has_state(self.state_dir)
        self._closed = False
        self._last_checkpointed: dict[TopicPartition, int] = {}
        self.cache: TaskCache | None = None
        """The record cache the task's stores share (the engine sets it as ``context.cache``)."""

    # -- registry -------------------------------------------------------------------------------

    def _changelog_for(self, store: StateStore) -> TopicPartition | None:
        raise NotImplementedError

    def register(self, store: StateStore, restore_callback: RestoreCallback) -> None:
        """Register a store (called through ``StateStoreContext.register`` from the store's init).

        Raises:
            ProcessorStateException: A store of that name is registered already.
        """
        name = store.name
        if name in self._stores:
            raise ProcessorStateException(f"{self._prefix}Store {name} has already been registered.")
        meta = StoreMetadata(store, restore_callback, self._changelog_for(store))
        self._stores[name] = meta
        if meta.changelog is not None:
            self._by_partition[meta.changelog] = meta
        log.debug("%sRegistered state store %s (changelog %s)", self._prefix, name, meta.changelog)

    @property
    def stores(self) -> list[StateStore]:
        """Registered stores, in registration order."""
        return [m.store for m in self._stores.values()]

    def get_store(self, name: str) -> StateStore | None:
        meta = self._stores.get(name)
        return None if meta is None else meta.store

    def metadata(self, name: str) -> StoreMetadata | None:
        return self._stores.get(name)

    def changelog_partitions(self) -> dict[TopicPartition, str]:
        """Each changelog partition and the store it restores."""
        return {tp: m.store.name for tp, m in self._by_partition.items()}

    def store_for_changelog(self, topic: str, partition: int) -> StateStore | None:
        meta = self._by_partition.get((topic, partition))
        return None if meta is None else meta.store

    # -- offsets and restore --------------------------------------------------------------------

    def _meta_for(self, topic: str, partition: int) -> StoreMetadata:
        meta = self._by_partition.get((topic, partition))
        if meta is None:
            raise ProcessorStateException(
                f"{self._prefix}No store is restored from {topic}-{partition}; registered: "
                f"{sorted(f'{t}-{p}' for t, p in self._by_partition)}")
        return meta

    def restore(self, topic: str, partition: int, records: Sequence[Any]) -> None:
        """Write a batch of raw records of one changelog partition into its store.

        ``records`` are ``ChangelogRecord`` (or ``(key, value, timestamp[, offset])`` tuples) in
        offset order; the last one's offset becomes the partition's offset.
        """
        if not records:
            return
        meta = self._meta_for(topic, partition)
        meta.restore_callback(records)
        meta.restored_records += len(records)
        last = records[-1]
        if len(last) > 3 and last[3] is not None and last[3] >= 0:
            meta.offset = last[3]

    def update_changelog_offsets(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Record offsets the producer wrote (or the consumer read) for registered partitions."""
        by_partition = self._by_partition
        for tp, offset in offsets.items():
            meta = by_partition.get(tp)
            if meta is not None:
                meta.offset = offset

    def changelog_offsets(self) -> dict[TopicPartition, int | None]:
        """The last known offset of each changelog partition (``None``: unknown)."""
        return {tp: m.offset for tp, m in self._by_partition.items()}

    def initialize_offsets(self) -> dict[TopicPartition, int | None]:
        """Load checkpointed offsets into the registered stores; returns where to restore from.

        A persistent store's offset comes from the checkpoint file; in-memory stores always
        restore from the beginning (``None``).
        """
        checkpointed = self._checkpoint.read()
        for tp, meta in self._by_partition.items():
            offset = checkpointed.get(tp)
            meta.offset = offset if offset is not None and offset >= 0 and meta.store.persistent() else None
        return self.changelog_offsets()

    # -- flush, checkpoint, close ---------------------------------------------------------------

    def flush_cache(self) -> None:
        """Flush every store's record cache, in registration order (Kafka's ``flushCache``)."""
        first: BaseException | None = None
        for meta in self._stores.values():
            flush_cache = getattr(meta.store, "flush_cache", None)
            if flush_cache is None:
                continue
            try:
                flush_cache()
            except Exception as e:
                log.error("%sFailed to flush cache of store %s: %s", self._prefix, meta.store.name, e)
                first = first or e
        if first is not None:
            raise _state_error(f"{self._prefix}Failed to flush the cache of a store", first)

    def flush(self) -> None:
        """Flush all caches first (their flushes may write into other stores), then every store."""
        self.flush_cache()
        first: BaseException | None = None
        for meta in self._stores.values():
            try:
                meta.store.flush()
            except Exception as e:
                log.error("%sFailed to flush state store %s: %s", self._prefix, meta.store.name, e)
                first = first or e
        if first is not None:
            raise _state_error(f"{self._prefix}Failed to flush a state store", first)

    def checkpointable_offsets(self) -> dict[TopicPartition, int]:
        """Offsets a checkpoint records: persistent, logged stores with a known offset."""
        return {tp: m.offset for tp, m in self._by_partition.items()
                if m.offset is not None and m.store.persistent()}

    def checkpoint(self) -> None:
        """Persist the stores and write the checkpoint file of the current offsets (after ``flush``)."""
        self._persist_and_write(self.checkpointable_offsets())

    def maybe_checkpoint(self, offsets: Mapping[TopicPartition, int] | None = None) -> bool:
        """At a commit: update offsets, and checkpoint if they moved 10,000 records or more.

        Returns whether a checkpoint was written (Kafka's ``StateManagerUtil.checkpointNeeded``).
        """
        if offsets:
            self.update_changelog_offsets(offsets)
        current = self.checkpointable_offsets()
        last = self._last_checkpointed
        delta = sum(off - last.get(tp, 0) for tp, off in current.items())
        if not current or delta < OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT:
            return False
        self._persist_and_write(current)
        return True

    def write_checkpoint(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Persist the stores, then atomically replace ``state_dir/.checkpoint`` with ``offsets``.

        The offsets also become the tracked offsets of registered partitions. No offsets
        deletes the file (as Kafka's ``OffsetCheckpoint.write``).
        """
        self.update_changelog_offsets(offsets)
        self._persist_and_write(offsets)

    def _persist_and_write(self, offsets: Mapping[TopicPartition, int]) -> None:
        # data first, then the offsets that vouch for it
        for meta in self._stores.values():
            persist = getattr(meta.store, "persist", None)
            if persist is not None and meta.store.is_open():
                persist()
        self._checkpoint.write(offsets)
        self._last_checkpointed = dict(offsets)

    def read_checkpoint(self) -> dict[TopicPartition, int]:
        return self._checkpoint.read()

    def delete_checkpoint(self) -> None:
        self._checkpoint.delete()

    def close(self) -> None:
        """Close every store (caching layers flush on close, as in Kafka); the first error is raised."""
        if self._closed:
            return
        self._closed = True
        first: BaseException | None = None
        for meta in self._stores.values():
            try:
                if meta.store.is_open():
                    meta.store.close()
            except Exception as e:
                log.error("%sFailed to close state store %s: %s", self._prefix, meta.store.name, e)
                first = first or e
        if first is not None:
            raise _state_error(f"{self._prefix}Failed to close a state store", first)

    def wipe(self) -> None:
        """Close the stores, ignoring errors, and delete the state directory (an unclean EOS stop)."""
        try:
            self.close()
        except Exception as e:
            log.warning("%sIgnoring error closing stores before wiping state: %s", self._prefix, e)
        shutil.rmtree(self.state_dir, ignore_errors=True)
        for meta in self._stores.values():
            meta.offset = None
        self._state_existed = False
        log.info("%sWiped local state in %s", self._prefix, self.state_dir)


def _state_error(message: str, cause: BaseException) -> Exception:
    if isinstance(cause, ProcessorStateException):
        return cause
    err = ProcessorStateException(f"{message}: {cause}")
    err.__cause__ = cause
    return err


class TaskStateManager(_StateManager):
    """The state manager of one stream task (Kafka's ``ProcessorStateManager``).

    Args:
        task_id: The task id (``"0_1"``).
        application_id: ``application.id``, for changelog topic names.
        task_dir: ``state.dir/<application.id>/<task_id>``.
        partition: The changelog partition of the task's stores.
        eos: Exactly-once: a checkpoint is consumed when read, and state without one is corrupted.
        source_changelogs: Store name → topic that serves as the store's changelog instead
            (a source-table topic reused as changelog, Kafka's source-topic optimization).
    """

    def __init__(self, task_id: str, application_id: str, task_dir: Path | str, partition: int, *,
                 eos: bool = False, source_changelogs: Mapping[str, str] | None = None) -> None:
        super().__init__(task_dir, f"task [{task_id}] ")
        self.task_id = task_id
        self.application_id = application_id
        self.partition = partition
        self.eos = eos
        self._source_changelogs = dict(source_changelogs or {})

    @classmethod
    def for_task(cls, task: Any) -> TaskStateManager:
        """The manager of an engine task (reads ``task_id``, ``application_id``, ``task_dir``,
        ``partition``, ``config`` and the topology's ``store_source_topics``), with a
        ``TaskCache`` of ``statestore.cache.max.bytes`` as ``manager.cache``; exactly-once if
        ``processing.guarantee`` says so."""
        config = task.config
        guarantee = str(config_value(config, PROCESSING_GUARANTEE_CONFIG, "at_least_once"))
        # a source table's topic replaces its changelog (topology.optimization=all)
        topology = getattr(task, "topology", None)
        sources = dict(getattr(topology, "store_source_topics", None) or {})
        for name in list(sources):
            if name in getattr(topology, "global_stores", {}):
                del sources[name]  # global stores restore through their own manager
        manager = cls(task.task_id, task.application_id, task.task_dir, task.partition,
                      eos=guarantee.startswith("exactly_once"), source_changelogs=sources)
        manager.cache = TaskCache.from_config(config)
        return manager

    @property
    def task_dir(self) -> Path:
        return self.state_dir

    def _changelog_for(self, store: StateStore) -> TopicPartition | None:
        name = store.name
        if name in self._source_changelogs:
            return (self._source_changelogs[name], self.partition)
        if getattr(store, "logging_enabled", False):
            return (changelog_topic(self.application_id, name), self.partition)
        return None

    def initialize_offsets(self) -> dict[TopicPartition, int | None]:
        """As the base, plus exactly-once rules.

        Under exactly-once the checkpoint file is deleted once read (a crash before the next
        clean close must not trust it), and state found on disk without a checkpointed offset
        raises ``TaskCorruptedException``: wipe and restore.
        """
        offsets = super().initialize_offsets()
        if self.eos:
            missing = [m.store.name for m in self._by_partition.values()
                       if m.store.persistent() and m.offset is None]
            if missing and self._state_existed:
                raise TaskCorruptedException(self.task_id, missing)
            self._checkpoint.delete()
        return offsets


class GlobalStateManager(_StateManager):
    """The state manager of global stores (Kafka's ``GlobalStateManagerImpl``).

    A global store is not change-logged: it is restored from its source topic, every partition
    of it, and checkpoints the source offsets under ``global_dir/.checkpoint``.

    Args:
        application_id: ``application.id``.
        global_dir: ``state.dir/<application.id>/global``.
        store_sources: Global store name → its source topic.
    """

    def __init__(self, application_id: str, global_dir: Path | str, store_sources: Mapping[str, str]) -> None:
        super().__init__(global_dir, "global ")
        self.application_id = application_id
        self._sources = dict(store_sources)
        self._by_topic: dict[str, StoreMetadata] = {}
        # one store reads several partitions, so offsets are kept per partition here
        self._offsets: dict[TopicPartition, int] = {}

    def _changelog_for(self, store: StateStore) -> TopicPartition | None:
        if getattr(store, "logging_enabled", False):
            raise ProcessorStateException(
                f"global store {store.name} must not be change-logged: it is restored from its source topic")
        return None

    def register(self, store: StateStore, restore_callback: RestoreCallback) -> None:
        topic = self._sources.get(store.name)
        if topic is None:
            raise ProcessorStateException(f"global store {store.name} has no source topic")
        super().register(store, restore_callback)
        self._by_topic[topic] = self._stores[store.name]

    def assign_partitions(self, topic: str, partitions: Sequence[int]) -> None:
        """Declare the partitions of a global store's source topic (known once the topic is described)."""
        meta = self._by_topic.get(topic)
        if meta is None:
            raise ProcessorStateException(f"no global store reads topic {topic}")
        for partition in partitions:
            self._by_partition.setdefault((topic, partition), meta)

    def _meta_for(self, topic: str, partition: int) -> StoreMetadata:
        meta = self._by_partition.get((topic, partition))
        if meta is None:
            meta = self._by_topic.get(topic)
            if meta is None:
                raise ProcessorStateException(f"no global store reads topic {topic}")
            self._by_partition[(topic, partition)] = meta
        return meta

    def restore(self, topic: str, partition: int, records: Sequence[Any]) -> None:
        if not records:
            return
        meta = self._meta_for(topic, partition)
        meta.restore_callback(records)
        meta.restored_records += len(records)
        last = records[-1]
        if len(last) > 3 and last[3] is not None and last[3] >= 0:
            self._offsets[(topic, partition)] = last[3]

    def update_changelog_offsets(self, offsets: Mapping[TopicPartition, int]) -> None:
        for tp, offset in offsets.items():
            if tp[0] in self._by_topic:
                self._meta_for(*tp)
                self._offsets[tp] = offset

    def changelog_offsets(self) -> dict[TopicPartition, int | None]:
        return {tp: self._offsets.get(tp) for tp in self._by_partition}

    def initialize_offsets(self) -> dict[TopicPartition, int | None]:
        for tp, offset in self._checkpoint.read().items():
            if tp[0] in self._by_topic and offset >= 0:
                meta = self._meta_for(*tp)
                if meta.store.persistent():
                    self._offsets[tp] = offset
        return self.changelog_offsets()

    def checkpointable_offsets(self) -> dict[TopicPartition, int]:
        return {tp: off for tp, off in self._offsets.items()
                if off is not None and self._by_partition[tp].store.persistent()}

    def wipe(self) -> None:
        super().wipe()
        self._offsets.clear()
