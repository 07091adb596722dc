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

from raystreams.engine.partition_group import RecordQueue
from raystreams.engine.records import ConsumerRecord, RecordCollector
from raystreams.engine.task import StreamTask
from raystreams.errors import StreamsException
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

GLOBAL_TASK_ID = "global"


class GlobalStateTask:
    """Runs the global sub-topologies and owns the global stores.

    Args:
        topology: the whole plan; only its global store groups are run here.
        config: a StreamsConfig.
        collector: where anything the global processors send goes (normally nothing).
        state_dir: ``state.dir``; stores live in ``state_dir/<application.id>/global``.
        clock: wall-clock milliseconds.
    """

    def __init__(self, topology: Topology, config: Any, collector: RecordCollector, *,
                 state_dir: str | Path | None = None,
                 clock: Callable[[], int] | None = None) -> None:
        self.topology = topology
        self.config = config
        node_names = [n for group in topology.global_node_groups().values() for n in group]
        self.stores: dict[str, Any] = {}
        self._builders: dict[str, Any] = {}
        for name, spec in topology.global_stores.items():
            builder = spec.builder
            if getattr(builder, "logging_enabled", False):
                builder.with_logging_disabled()  # the source topic is the changelog
            self._builders[name] = builder
        self._task = StreamTask(GLOBAL_TASK_ID, topology, config, collector,
                                node_names=node_names, partition=0, input_partitions=[],
                                state_dir=state_dir, clock=clock, global_stores=self.stores)
        self.topics: list[str] = list(self._task.sources_by_topic)
        self._queues: set[tuple[str, int]] = set()
        self._initialized = False

    def initialize(self) -> None:
        """Build and open every global store, then ``init`` the global processors."""
        if self._initialized:
            return
        task = self._task
        cache_off = int(self.config.get("statestore.cache.max.bytes") or 0) == 0
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

    def flush(self) -> None:
        """Flush the global stores (their caches first)."""
        for store in self.stores.values():
            store.flush()

    def close(self) -> None:
        """Close the global processors and stores."""
        self._task.close()
        for store in self.stores.values():
            try:
                store.close()
            except Exception:
                log.exception("[global] error closing store %s", store)
