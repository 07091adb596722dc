"""GlobalStateTask: keeps the global stores up to date (Kafka's GlobalStateUpdateTask).

Every global store has its own source → processor chain in the topology (a GlobalKTable's
KTable source, or the user's processor of ``add_global_store``). This task runs all of them
over the records of every partition of their topics; the stores it builds are the ones
``TaskContext.get_state_store`` hands to every stream task.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from raystreams.config.keys import STATESTORE_CACHE_MAX_BYTES_CONFIG
from raystreams.engine.partition_group import RecordQueue
from raystreams.engine.records import ConsumerRecord, RecordSender
from raystreams.engine.task import StreamTask
from raystreams.errors import StreamsException
from raystreams.state.checkpoint import CHECKPOINT_FILE_NAME, OffsetCheckpoint
from raystreams.state.manager import OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

GLOBAL_TASK_ID = "global"


class GlobalStateTask:
    """Runs the global sub-topologies and owns the global stores.

    Args:
        topology: the whole plan; only its global store groups are run here.
        config: a StreamsConfig.
        sender: where anything the global processors send goes (normally nothing).
        state_dir: ``state.dir``; stores live in ``state_dir/<application.id>/global``.
        clock: wall-clock milliseconds.
    """

    def __init__(self, topology: Topology, config: Any, sender: RecordSender, *,
                 state_dir: str | Path | None = None,
                 clock: Callable[[], int] | None = None) -> None:
        self.topology = topology
        self.config = config
        self.stores: dict[str, Any] = {}
        self._builders: dict[str, Any] = {}
        for name, spec in topology.global_stores.items():
            builder = spec.builder
            if getattr(builder, "logging_enabled", False):
                builder.with_logging_disabled()  # the source topic is the changelog
            self._builders[name] = builder
        self._task = StreamTask(GLOBAL_TASK_ID, topology, config, sender,
                                processor_topology=topology.build_global_state_topology(
                                    config.get("application.id")),
                                partition=0, input_partitions=[],
                                state_dir=state_dir, clock=clock, global_stores=self.stores)
        self.topics: list[str] = list(self._task.sources_by_topic)
        self._queues: set[tuple[str, int]] = set()
        self._initialized = False
        #: the last offset applied per global topic partition (what a checkpoint holds)
        self.offsets: dict[tuple[str, int], int] = {}
        self._checkpointed: dict[tuple[str, int], int] = {}
        self._checkpoint = OffsetCheckpoint(Path(self._task.task_dir) / CHECKPOINT_FILE_NAME)

    def initialize(self) -> None:
        """Build and open every global store, then ``init`` the global processors."""
        if self._initialized:
            return
        task = self._task
        cache_off = int(self.config.get(STATESTORE_CACHE_MAX_BYTES_CONFIG) or 0) == 0
        for name, builder in self._builders.items():
            if cache_off and getattr(builder, "caching_enabled", False):
                builder.with_caching_disabled()
            set_defaults = getattr(builder, "with_serdes_if_unset", None)
            if set_defaults is not None:
                set_defaults(self.config.default_key_serde(), self.config.default_value_serde())
            store = builder.build()
            self.stores[name] = store
        # the task copied the dict at construction: share the same store objects
        task.global_stores.update(self.stores)
        for store in self.stores.values():
            store.init(task.context, store)
        task.initialize()
        self._initialized = True

    def _ensure_queue(self, topic: str, partition: int) -> None:
        if (topic, partition) in self._queues:
            return
        source = self._task.sources_by_topic.get(topic)
        if source is None:
            raise StreamsException(f"no global store reads topic {topic} (global topics: "
                                   f"{', '.join(self.topics) or 'none'})", topic=topic)
        self._task.partition_group.add_queue(RecordQueue(topic, partition, source.processor,
                                                         self._task._on_bad_record))
        self._queues.add((topic, partition))

    def update(self, record: ConsumerRecord) -> None:
        """Run one record of a global topic (any partition) through its store's processor."""
        self._ensure_queue(record.topic, record.partition)
        self._task.add_records(record.topic, record.partition, [record])
        while self._task.process():
            pass
        if record.offset >= 0:
            self.offsets[(record.topic, record.partition)] = record.offset

    # ------------------------------------------------------------------ checkpoint
    # Kafka's GlobalStateManager: the stores' source-topic offsets, so a restart on the same
    # state reads only what came after them. Only when every global store is persistent: an
    # in-memory store starts empty and must read its topic from the beginning.

    def _persistent(self) -> bool:
        return bool(self.stores) and all(
            getattr(store, "persistent", lambda: False)() for store in self.stores.values())

    def restart_offsets(self) -> dict[tuple[str, int], int]:
        """Where each global partition resumes (checkpointed offset + 1); empty to read from
        the beginning."""
        if not self._persistent():
            return {}
        saved = self._checkpoint.read()
        self.offsets.update(saved)
        self._checkpointed = dict(saved)
        return {tp: offset + 1 for tp, offset in saved.items() if tp[0] in self.topics}

    def checkpoint(self) -> None:
        """Flush the stores, then write the offsets they hold."""
        self.flush()
        if self._persistent() and self.offsets:
            self._checkpoint.write(self.offsets)
            self._checkpointed = dict(self.offsets)

    def maybe_checkpoint(self, threshold: int = OFFSET_DELTA_THRESHOLD_FOR_CHECKPOINT) -> bool:
        """Checkpoint once the offsets moved ``threshold`` records past the last checkpoint
        (Kafka's rule for task checkpoints)."""
        moved = sum(offset - self._checkpointed.get(tp, -1) for tp, offset in self.offsets.items())
        if moved < threshold:
            return False
        self.checkpoint()
        return True

    def flush(self) -> None:
        """Flush the global stores (their caches first)."""
        for store in self.stores.values():
            store.flush()

    def close(self, clean: bool = True) -> None:
        """Close the global processors and stores; a clean close checkpoints first."""
        if clean:
            try:
                self.checkpoint()
            except Exception:
                log.exception("[global] could not write the checkpoint at close")
        self._task.close(clean=False)
        for store in self.stores.values():
            try:
                store.close()
            except Exception:
                log.exception("[global] error closing store %s", store)
