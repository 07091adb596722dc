"""The global stores of one task actor, kept up to date from their topics (Kafka's
``GlobalStreamThread``).

``bootstrap()`` builds the global stores and reads every partition of their topics to the end
before the task processes anything; afterwards the task's loop calls ``poll()`` first in each
round, so a lookup sees global records up to where the global consumer has read. Each task
actor keeps its own copy: two actors on a node must not share a RocksDB directory.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from raystreams.config import StreamsConfig
from raystreams.config.keys import STATE_DIR_CONFIG, TASK_TIMEOUT_MS_CONFIG
from raystreams.engine.global_task import GlobalStateTask
from raystreams.errors import StreamsException
from raystreams.kafka.consumer import (
    end_offset,
    is_partition_eof,
    positions,
    raise_for_errors,
    to_records,
)
from raystreams.runtime.changelog_reader import RESTORE_BATCH, tp_name
from raystreams.runtime.metrics import RunnerMetrics
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)


class GlobalStreamThread:
    """Global stores and their consumer, for one task actor.

    Args:
        task_id: the owning task, for logs, errors and its own state directory.
        topology: the whole topology (its global stores).
        config: the app config.
        sender: the task's producer (global processors send nothing, but the context
            wants one).
        consumer_factory: ``(config, "global") -> ConsumerLike``.
        metrics: where the bootstrap is counted.
    """

    def __init__(self, task_id: str, topology: Topology, config: StreamsConfig, sender: Any,
                 consumer_factory: Callable[[StreamsConfig, str], Any],
                 metrics: RunnerMetrics) -> None:
        self.task_id = task_id
        self.config = config
        self.metrics = metrics
        state_dir = Path(config[STATE_DIR_CONFIG]) / "global-stores" / task_id
        self.global_task = GlobalStateTask(topology, config, sender, state_dir=state_dir)
        self._consumer_factory = consumer_factory
        self.consumer: Any = None

    @property
    def stores(self) -> dict[str, Any]:
        return self.global_task.stores

    def bootstrap(self) -> None:
        """Open the stores and read every partition of the global topics to its end."""
        self.global_task.initialize()
        consumer = self._consumer_factory(self.config, "global")
        self.consumer = consumer
        topics = list(self.global_task.topics)
        md = consumer.list_topics(timeout=30).topics
        missing = [t for t in topics if t not in md or not md[t].partitions]
        if missing:
            from raystreams.errors import MissingSourceTopicException

            raise MissingSourceTopicException(missing)
        tps = [(t, p) for t in topics for p in sorted(md[t].partitions)]
        ends = {tp: end_offset(consumer, *tp) for tp in tps}
        starts = self.global_task.restart_offsets()  # from this actor's checkpoint, if any
        for tp, start in list(starts.items()):
            if tp not in ends or start > ends[tp]:
                log.warning("[%s] global checkpoint of %s (%d) is past its end (%s): reading "
                            "it from the beginning", self.task_id, tp_name(*tp), start - 1,
                            ends.get(tp))
                del starts[tp]
        consumer.assign([TopicPartition(t, p, starts.get((t, p), OFFSET_BEGINNING))
                         for t, p in tps])
        todo = {tp: end for tp, end in ends.items() if end > starts.get(tp, 0)}
        self.metrics.global_restored_from = {tp_name(*tp): starts.get(tp, 0) for tp in tps}
        log.info("[%s] bootstrapping global stores %s from %s to %s", self.task_id,
                 sorted(self.global_task.stores), self.metrics.global_restored_from,
                 {tp_name(*tp): e for tp, e in todo.items()})
        deadline = time.monotonic() + max(60.0, self.config[TASK_TIMEOUT_MS_CONFIG] / 1000.0)
        count = 0
        while todo:
            count += self.poll(RESTORE_BATCH, 0.2)
            for tp, pos in positions(consumer, list(todo)).items():
                if pos >= todo[tp]:
                    del todo[tp]
            if todo and time.monotonic() > deadline:
                raise StreamsException(f"global store bootstrap did not reach the end of "
                                       f"{sorted(todo)}", task_id=self.task_id)
        self.global_task.flush()
        self.metrics.global_records_bootstrapped = count
        log.info("[%s] global stores bootstrapped: %d records", self.task_id, count)

    def poll(self, num: int = 500, timeout: float = 0.0) -> int:
        """Apply the global records fetched since the last call; returns how many."""
        msgs = self.consumer.consume(num_messages=num, timeout=timeout)
        if not msgs:
            return 0
        batches, errors = to_records(msgs)
        raise_for_errors([m for m in errors if not is_partition_eof(m)], task_id=self.task_id)
        count = 0
        for recs in batches.values():
            for record in recs:
                self.global_task.update(record)
            count += len(recs)
        return count

    def maybe_checkpoint(self) -> None:
        self.global_task.maybe_checkpoint()

    def close(self, clean: bool) -> None:
        """Close the stores (checkpointing when clean), then the consumer."""
        try:
            self.global_task.close(clean=clean)
        finally:
            if self.consumer is not None:
                self.consumer.close()
