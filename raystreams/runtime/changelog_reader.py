"""Restoring state stores from their changelogs (Kafka's ``StoreChangelogReader``).

Shared by the active task's restore (``StoreChangelogReader.restore``: read each changelog
partition from the local checkpoint, or the beginning, up to the end offset a read_committed
consumer sees, so a restore never waits for an offset a commit marker holds) and by standby
replicas, which keep applying changelog batches with ``restore_batch``. ``open_state`` is the
one place that wipes a corrupt state directory and opens the task again.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from raystreams.config import StreamsConfig
from raystreams.config.keys import TASK_TIMEOUT_MS_CONFIG
from raystreams.engine.task import StreamTask
from raystreams.errors import ProcessorStateException, StreamsException, TaskCorruptedException
from raystreams.kafka.consumer import (
    end_offset,
    is_partition_eof,
    positions,
    raise_for_errors,
    to_records,
)
from raystreams.runtime.metrics import RunnerMetrics

log = logging.getLogger(__name__)

RESTORE_BATCH = 10_000
RESTORE_LOG_EVERY = 50_000

TopicPartitionKey = tuple[str, int]


def tp_name(topic: str, partition: int) -> str:
    """``topic-partition``, as Kafka prints a TopicPartition."""
    return f"{topic}-{partition}"


def restore_batch(sm: Any, msgs: Any, task_id: str) -> tuple[dict[TopicPartitionKey, list[Any]],
                                                           set[TopicPartitionKey]]:
    """Apply one consumed batch of changelog records to ``sm``'s stores; returns the records
    per partition and the partitions that reported their end."""
    batches, errors = to_records(msgs)
    raise_for_errors([m for m in errors if not is_partition_eof(m)], task_id=task_id)
    for (topic, partition), records in batches.items():
        sm.restore(topic, partition, [(r.key, r.value, r.timestamp, r.offset) for r in records])
    return batches, {(m.topic(), m.partition()) for m in errors if is_partition_eof(m)}


def default_state_manager_factory() -> Callable[[StreamTask], Any] | None:
    """``TaskStateManager.for_task`` when the state package provides it."""
    try:
        from raystreams.state.manager import TaskStateManager
    except ImportError:
        log.exception("the state package cannot be imported: tasks run without state managers")
        return None
    factory = getattr(TaskStateManager, "for_task", None)
    return factory if callable(factory) else None


def open_state(open_task: Callable[[], StreamTask], log_prefix: str,
               task_dir: Path | None = None
               ) -> tuple[StreamTask, dict[TopicPartitionKey, int | None], bool]:
    """Open a task and read where each changelog partition restores from; the one
    wipe-and-reopen of local state, for active tasks and standbys alike.

    Local state that cannot be trusted is wiped and the task opened again, to be rebuilt from
    the changelogs: under exactly_once_v2, state left without a checkpoint (an unclean stop,
    DESIGN decision 7); under any guarantee, a store directory that no longer opens (a
    corrupt RocksDB). A lost state directory needs no wipe: with no checkpoint, the restore
    reads each changelog from its start.

    Args:
        open_task: builds and initializes the task (its state manager opens the stores).
        log_prefix: the task id as logs show it (``"0_1"``, ``"0_1 standby"``).
        task_dir: the task's state directory, deleted when a store cannot be opened.

    Returns:
        The task, the last checkpointed offset per changelog partition (``None``: none), and
        whether the state was wiped.
    """
    try:
        task = open_task()
    except ProcessorStateException as exc:
        if task_dir is None or not task_dir.exists():
            raise
        log.warning("[%s] cannot open the local state in %s (%s): wiping it and restoring "
                    "from the changelogs", log_prefix, task_dir, exc)
        shutil.rmtree(task_dir, ignore_errors=True)
        task = open_task()
        sm = task.state_manager
        return task, dict(sm.initialize_offsets()) if sm is not None else {}, True
    sm = task.state_manager
    if sm is None:
        return task, {}, False
    try:
        return task, dict(sm.initialize_offsets()), False
    except TaskCorruptedException as exc:
        log.warning("[%s] %s: wiping local state and restoring from the changelogs",
                    log_prefix, exc)
        sm.wipe()
        task = open_task()
        return task, dict(task.state_manager.initialize_offsets()), True


class StoreChangelogReader:
    """Restores one active task's stores before it processes (Kafka's ``StoreChangelogReader``).

    Args:
        task_id: the task, for logs and errors.
        config: the app config (``task.timeout.ms`` bounds a restore without progress).
        consumer_factory: ``(config, "restore") -> ConsumerLike`` (``enable.partition.eof``).
        metrics: where records to restore and restored are counted.
    """

    def __init__(self, task_id: str, config: StreamsConfig,
                 consumer_factory: Callable[[StreamsConfig, str], Any],
                 metrics: RunnerMetrics) -> None:
        self.task_id = task_id
        self.config = config
        self._consumer_factory = consumer_factory
        self.metrics = metrics
        #: ``topic-partition`` -> the first changelog offset the restore read
        self.restored_from: dict[str, int] = {}
        #: changelog partition -> (restore position, end offset), for the stores' ``LagInfo``
        self.progress: dict[TopicPartitionKey, tuple[int, int]] = {}

    def restore(self, sm: Any, offsets: dict[TopicPartitionKey, int | None]) -> None:
        """Read each changelog partition of ``sm`` from after its checkpointed offset (or
        from the beginning) to its end."""
        if sm is None or not offsets:
            self.metrics.restore_done = True
            return
        consumer = self._consumer_factory(self.config, "restore")
        try:
            todo: dict[TopicPartitionKey, int] = {}
            starts: dict[TopicPartitionKey, int] = {}
            for tp, last in offsets.items():
                end = end_offset(consumer, *tp)
                begin = last + 1 if last is not None and last + 1 <= end else 0
                if last is not None and last + 1 > end:
                    log.warning("[%s] checkpoint of %s (%d) is past the changelog end (%d): "
                                "restoring from the beginning", self.task_id, tp_name(*tp),
                                last, end)
                self.progress[tp] = (min(begin, end), end)
                if end > begin:
                    todo[tp] = end
                    starts[tp] = begin
                    self.metrics.records_to_restore += end - begin
                self.restored_from[tp_name(*tp)] = begin
            if not todo:
                log.info("[%s] stores up to date (checkpoint %s); nothing to restore",
                         self.task_id, {tp_name(*tp): o for tp, o in offsets.items()})
                self.metrics.restore_done = True
                return
            log.info("[%s] restoring up to %d records from %s", self.task_id,
                     self.metrics.records_to_restore, {tp_name(*tp): (starts[tp], end)
                                                       for tp, end in todo.items()})
            consumer.assign([TopicPartition(t, p, starts[(t, p)] or OFFSET_BEGINNING)
                             for t, p in todo])
            self._restore_loop(consumer, sm, todo)
            self.progress = {tp: (end, end) for tp, (_, end) in self.progress.items()}
        finally:
            consumer.close()
        self.metrics.restore_done = True
        log.info("[%s] restore done: %d records", self.task_id, self.metrics.records_restored)

    def _restore_loop(self, consumer: Any, sm: Any, todo: dict[TopicPartitionKey, int]) -> None:
        timeout_s = max(60.0, self.config[TASK_TIMEOUT_MS_CONFIG] / 1000.0)
        last_progress = time.monotonic()
        next_log = RESTORE_LOG_EVERY
        while todo:
            msgs = consumer.consume(num_messages=RESTORE_BATCH, timeout=0.2)
            batches, at_end = restore_batch(sm, msgs, self.task_id)
            for records in batches.values():
                self.metrics.records_restored += len(records)
                last_progress = time.monotonic()
            for tp in at_end:
                todo.pop(tp, None)
            if self.metrics.records_restored >= next_log:
                log.info("[%s] restored %d / %d records", self.task_id,
                         self.metrics.records_restored, self.metrics.records_to_restore)
                next_log += RESTORE_LOG_EVERY
            # done when the position reached the read_committed end offset (markers included)
            for tp, pos in positions(consumer, list(todo)).items():
                self.progress[tp] = (min(pos, todo[tp]), todo[tp])
                if pos >= todo[tp]:
                    del todo[tp]
            if todo and time.monotonic() - last_progress > timeout_s:
                raise StreamsException(f"restore made no progress for {timeout_s:.0f} s; still "
                                       f"to go: {todo}", task_id=self.task_id)
