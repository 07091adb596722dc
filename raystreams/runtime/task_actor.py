"""TaskRunner (one stream task on Kafka, plain Python) and TaskActor (its Ray actor shell).

``TaskRunner`` drives the engine's ``StreamTask`` (DESIGN decision 1) with Kafka I/O:

1. ``initialize()``: the producer (transactional under exactly_once_v2, which fences any
   older producer of the task), the ``StreamTask`` and its stores, then **restore**: every
   changelog partition is read from the local checkpoint (or the beginning) up to the end
   offset a read_committed consumer sees, so a restore never waits for an offset a commit
   marker holds. Then the main consumer ``assign()``s the task's partitions at the offsets
   committed under the group ``application.id`` (decision 3).
2. ``run_once()``: one batch: ``consume(num_messages=...)`` → ``add_records`` →
   ``process`` until the queues are empty → punctuation → commit when
   ``commit.interval.ms`` has passed (or a processor asked).
3. ``commit()``: flush caches and stores (``prepare_commit``), then under at_least_once
   flush the producer and commit the offsets; under exactly_once_v2
   ``send_offsets_to_transaction`` and commit the transaction.
4. ``close(clean)``: a clean close commits and writes the checkpoint; an unclean one (after
   an error) aborts the open transaction and commits nothing.

``TaskActor`` runs a runner's loop on a thread of a threaded Ray actor, so ``metrics()``,
``query()`` and ``stop()`` are answered while it processes. ``tests/unit/test_task_runner.py``
drives ``TaskRunner`` with fake clients; the Ray actor is made in ``actor_options``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from raystreams.config import StreamsConfig
from raystreams.config.keys import (
    AUTO_OFFSET_RESET_CONFIG,
    COMMIT_INTERVAL_MS_CONFIG,
    MAX_TASK_IDLE_MS_CONFIG,
    POLL_MS_CONFIG,
    PROCESSING_GUARANTEE_CONFIG,
    PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
    RAY_NAMESPACE_CONFIG,
    STATE_DIR_CONFIG,
    TASK_TIMEOUT_MS_CONFIG,
)
from raystreams.engine.task import StreamTask
from raystreams.errors import StreamsError, StreamsException
from raystreams.kafka.collector import KafkaRecordCollector
from raystreams.kafka.consumer import (
    assign_from_committed,
    committed_with_metadata,
    create_consumer,
    end_offset,
    is_partition_eof,
    positions,
    raise_for_errors,
    retry,
    to_records,
    topic_partitions,
)
from raystreams.kafka.producer import StreamsProducer
from raystreams.runtime.metrics import RunnerMetrics
from raystreams.runtime.placement import TaskSpec
from raystreams.state.errors import TaskCorruptedError
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

CREATED, RESTORING, RUNNING, CLOSED, FAILED = "CREATED", "RESTORING", "RUNNING", "CLOSED", "FAILED"
BATCH_SIZE = 2000
RESTORE_BATCH = 10_000
RESTORE_LOG_EVERY = 50_000
ALOS_CHECKPOINT_INTERVAL_S = 5.0
ORPHAN_CHECK_S = 2.0
ORPHAN_GRACE_S = 10.0


def _tp_name(topic: str, partition: int) -> str:
    return f"{topic}-{partition}"


def restore_batch(sm: Any, msgs: Any, task_id: str) -> tuple[dict[tuple[str, int], list[Any]],
                                                           set[tuple[str, int]]]:
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


class TaskRunner:
    """One stream task on Kafka: restore, consume, process, produce, commit.

    Args:
        spec: the task (id, nodes, input partitions, changelogs).
        topology: the whole topology.
        config: the app's StreamsConfig (``bootstrap.servers`` resolved).
        consumer_factory: ``(config, kind) -> ConsumerLike``; real consumers by default.
        producer_factory: ``(config, task_id) -> StreamsProducer``; a real one by default.
        state_manager_factory: passed to ``StreamTask``; the state package's by default.
        incarnation: how many times the supervisor has started this task before.
    """

    def __init__(self, spec: TaskSpec, topology: Topology, config: StreamsConfig, *,
                 consumer_factory: Callable[[StreamsConfig, str], Any] | None = None,
                 producer_factory: Callable[[StreamsConfig, str], StreamsProducer] | None = None,
                 state_manager_factory: Callable[[StreamTask], Any] | None = None,
                 incarnation: int = 0) -> None:
        self.spec = spec
        self.task_id = spec.task_id
        self.topology = topology
        self.config = StreamsConfig.of(config)
        self.eos = self.config.exactly_once
        self._consumer_factory = consumer_factory or (
            lambda cfg, kind: create_consumer(
                cfg, kind, client_id=f"{cfg.application_id}-{spec.task_id}",
                overrides={"enable.partition.eof": True} if kind == "restore" else None))
        self._producer_factory = producer_factory or (
            lambda cfg, task_id: StreamsProducer.create(cfg, task_id=task_id))
        self._state_manager_factory = (state_manager_factory if state_manager_factory is not None
                                       else default_state_manager_factory())
        self.incarnation = incarnation
        self.state = CREATED
        self.metrics = RunnerMetrics(spec.task_id)
        self.commit_interval_s = self.config[COMMIT_INTERVAL_MS_CONFIG] / 1000.0
        self.poll_timeout_s = min(self.config[POLL_MS_CONFIG], 100) / 1000.0
        self.task: StreamTask | None = None
        self.consumer: Any = None
        self.producer: StreamsProducer | None = None
        self.collector: KafkaRecordCollector | None = None
        self._last_commit = time.monotonic()
        self._last_checkpoint = 0.0
        self._committed: dict[tuple[str, int], int] = {}
        self._lock = threading.RLock()
        self.restored_from: dict[str, int] = {}
        self.global_task: Any = None
        self._idle_deadlines: dict[tuple[str, int], float] = {}
        self._read_committed = (self.config.consumer_configs("main").get("isolation.level")
                                == "read_committed")
        self._waiting_since: float | None = None
        self.global_consumer: Any = None
        #: the consumer's next offset per input partition, read right after each consume()
        #: (so it never counts a record not yet handed to the task)
        self._next_offsets: dict[tuple[str, int], int] = {}
        self._committed_metadata: dict[tuple[str, int], str | None] = {}

    # ------------------------------------------------------------------ lifecycle

    def initialize(self) -> None:
        """Producer, task and stores, restore, then assign the input partitions."""
        spec = self.spec
        log.info("[%s] initializing (incarnation %d, %s)", self.task_id, self.incarnation,
                 self.config[PROCESSING_GUARANTEE_CONFIG])
        self.producer = self._producer_factory(self.config, self.task_id)
        if self.eos:
            self.producer.init_transactions()
        self.collector = KafkaRecordCollector(
            self.producer, task_id=self.task_id,
            production_handler=self.config.get(PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG))
        self.state = RESTORING
        self._bootstrap_globals()
        # the committed offsets first: their metadata resumes partition times and processor
        # metadata, which processors read in init
        self.consumer = self._consumer_factory(self.config, "main")
        with_metadata = committed_with_metadata(self.consumer, spec.consumer_partitions)
        self._committed_metadata = {tp: meta for tp, (_, meta) in with_metadata.items()}
        self._offsets_to_restore = self._open_task()
        self._restore()
        committed = assign_from_committed(
            self.consumer, spec.consumer_partitions,
            committed={tp: offset for tp, (offset, _) in with_metadata.items()})
        for (topic, partition), offset in committed.items():
            if offset is not None:
                self._committed[(topic, partition)] = offset
                self.metrics.committed[_tp_name(topic, partition)] = offset
        self._last_commit = time.monotonic()
        self.state = RUNNING
        log.info("[%s] running: %s from committed offsets %s", self.task_id,
                 [_tp_name(t, p) for t, p in spec.consumer_partitions],
                 {_tp_name(*tp): o for tp, o in committed.items()})

    def _bootstrap_globals(self) -> None:
        """Build this actor's global stores and read every partition of their topics to the
        end before any processing (Kafka's GlobalStreamThread bootstrap); afterwards each
        ``run_once`` applies new global records first."""
        if not self.topology.global_stores:
            return
        from pathlib import Path

        from raystreams.engine.global_task import GlobalStateTask

        # one copy per task actor: two actors on a node must not share a RocksDB directory
        state_dir = Path(self.config[STATE_DIR_CONFIG]) / "global-stores" / self.task_id
        self.global_task = GlobalStateTask(self.topology, self.config, self.collector,
                                           state_dir=state_dir)
        self.global_task.initialize()
        consumer = self._consumer_factory(self.config, "global")
        self.global_consumer = consumer
        topics = list(self.global_task.topics)
        md = consumer.list_topics(timeout=30).topics
        missing = [t for t in topics if t not in md or not md[t].partitions]
        if missing:
            from raystreams.kafka.admin import MissingSourceTopicException

            raise MissingSourceTopicException(missing)
        tps = [(t, p) for t in topics for p in sorted(md[t].partitions)]
        ends = {tp: end_offset(consumer, *tp) for tp in tps}
        starts = self.global_task.restart_offsets()  # from this actor's checkpoint, if any
        for tp, start in list(starts.items()):
            if tp not in ends or start > ends[tp]:
                log.warning("[%s] global checkpoint of %s (%d) is past its end (%s): reading "
                            "it from the beginning", self.task_id, _tp_name(*tp), start - 1,
                            ends.get(tp))
                del starts[tp]
        consumer.assign([TopicPartition(t, p, starts.get((t, p), OFFSET_BEGINNING))
                         for t, p in tps])
        todo = {tp: end for tp, end in ends.items() if end > starts.get(tp, 0)}
        self.metrics.global_restored_from = {_tp_name(*tp): starts.get(tp, 0) for tp in tps}
        log.info("[%s] bootstrapping global stores %s from %s to %s", self.task_id,
                 sorted(self.global_task.stores), self.metrics.global_restored_from,
                 {_tp_name(*tp): e for tp, e in todo.items()})
        deadline = time.monotonic() + max(60.0, self.config[TASK_TIMEOUT_MS_CONFIG] / 1000.0)
        count = 0
        while todo:
            count += self._poll_globals(RESTORE_BATCH, 0.2)
            for tp, pos in positions(consumer, list(todo)).items():
                if pos >= todo[tp]:
                    del todo[tp]
            if todo and time.monotonic() > deadline:
                raise StreamsException(f"global store bootstrap did not reach the end of "
                                       f"{sorted(todo)}", task_id=self.task_id)
        self.global_task.flush()
        self.metrics.global_records_bootstrapped = count
        log.info("[%s] global stores bootstrapped: %d records", self.task_id, count)

    def _poll_globals(self, num: int = 500, timeout: float = 0.0) -> int:
        msgs = self.global_consumer.consume(num_messages=num, timeout=timeout)
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

    def _new_task(self) -> StreamTask:
        spec = self.spec
        task = StreamTask(self.task_id, self.topology, self.config, self.collector,
                          node_names=spec.node_names, partition=spec.partition,
                          input_partitions=spec.input_partitions,
                          global_stores=self.global_task.stores if self.global_task else None,
                          state_manager_factory=self._state_manager_factory)
        task.initialize_task_time(self._committed_metadata)
        task.initialize()
        return task

    def _open_task(self) -> dict[tuple[str, int], int | None]:
        """Build and initialize the StreamTask; returns where each changelog restores from.

        Under exactly_once_v2, state left without a checkpoint (an unclean stop) is wiped and
        rebuilt from the changelogs (DESIGN decision 7).
        """
        self.task = self._new_task()
        sm = self.task.state_manager
        if sm is None:
            return {}
        try:
            return dict(sm.initialize_offsets())
        except TaskCorruptedError as exc:
            log.warning("[%s] %s: wiping local state and restoring from the changelogs",
                        self.task_id, exc)
            sm.wipe()
            self.metrics.state_wiped = True
            self.task = self._new_task()
            return dict(self.task.state_manager.initialize_offsets())

    def _restore(self) -> None:
        sm = self.task.state_manager if self.task is not None else None
        offsets = self._offsets_to_restore
        if sm is None or not offsets:
            self.metrics.restore_done = True
            return
        consumer = self._consumer_factory(self.config, "restore")
        try:
            todo: dict[tuple[str, int], int] = {}
            starts: dict[tuple[str, int], int] = {}
            for tp, last in offsets.items():
                end = end_offset(consumer, *tp)
                begin = last + 1 if last is not None and last + 1 <= end else 0
                if last is not None and last + 1 > end:
                    log.warning("[%s] checkpoint of %s (%d) is past the changelog end (%d): "
                                "restoring from the beginning", self.task_id, _tp_name(*tp),
                                last, end)
                if end > begin:
                    todo[tp] = end
                    starts[tp] = begin
                    self.metrics.records_to_restore += end - begin
                self.restored_from[_tp_name(*tp)] = begin
            if not todo:
                log.info("[%s] stores up to date (checkpoint %s); nothing to restore",
                         self.task_id, {_tp_name(*tp): o for tp, o in offsets.items()})
                self.metrics.restore_done = True
                return
            log.info("[%s] restoring up to %d records from %s", self.task_id,
                     self.metrics.records_to_restore, {_tp_name(*tp): (starts[tp], end)
                                                       for tp, end in todo.items()})
            consumer.assign([TopicPartition(t, p, starts[(t, p)] or OFFSET_BEGINNING)
                             for t, p in todo])
            self._restore_loop(consumer, sm, todo)
        finally:
            consumer.close()
        self.metrics.restore_done = True
        log.info("[%s] restore done: %d records", self.task_id, self.metrics.records_restored)

    def _restore_loop(self, consumer: Any, sm: Any, todo: dict[tuple[str, int], int]) -> None:
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
                if pos >= todo[tp]:
                    del todo[tp]
            if todo and time.monotonic() - last_progress > timeout_s:
                raise StreamsException(f"restore made no progress for {timeout_s:.0f} s; still "
                                       f"to go: {todo}", task_id=self.task_id)

    # ------------------------------------------------------------------ the loop

    def run_once(self) -> int:
        """Consume one batch, process it, punctuate, maybe commit; returns records processed."""
        assert self.task is not None and self.producer is not None
        if self.global_consumer is not None:
            with self._lock:
                self._poll_globals()
        msgs = self.consumer.consume(num_messages=BATCH_SIZE, timeout=self.poll_timeout_s)
        next_offsets = positions(self.consumer, self.spec.consumer_partitions)
        with self._lock:
            self._next_offsets = next_offsets
            processed = 0
            if msgs:
                batches, errors = to_records(msgs)
                if errors:
                    raise_for_errors(errors, task_id=self.task_id)
                for (topic, partition), records in batches.items():
                    self.task.add_records(topic, partition, records)
                    self.metrics.records_consumed += len(records)
                    name = _tp_name(topic, partition)
                    if name not in self.metrics.first_offsets:
                        self.metrics.first_offsets[name] = records[0].offset
            task = self.task
            if task.has_records_queued() and self._ready_to_process():
                now = task.clock()
                while task.process(now):
                    processed += 1
                    task.maybe_punctuate_stream_time()
                    if len(task.partition_group.queues) > 1 and not self._ready_to_process():
                        break
            self.task.maybe_punctuate_system_time()
            self.producer.poll()
            if (self.task.commit_requested
                    or time.monotonic() - self._last_commit >= self.commit_interval_s):
                self.commit()
        return processed

    def _ready_to_process(self) -> bool:
        """Kafka's ``PartitionGroup.readyToProcess`` (KIP-695) for tasks with several inputs.

        With ``max.task.idle.ms`` -1 a task processes whatever it has. Otherwise an empty input
        partition blocks processing while its lag is unknown or positive (the records are on
        the broker: fetch them first, so records are picked in timestamp order across
        partitions), and, once its lag is known to be zero, for ``max.task.idle.ms`` more.
        """
        queues = self.task.partition_group.queues
        if len(queues) <= 1:
            return True
        idle_ms = self.config[MAX_TASK_IDLE_MS_CONFIG]
        if idle_ms < 0:
            return True
        empty = [tp for tp, q in queues.items() if q.size() == 0]
        if not empty:
            self._idle_deadlines.clear()
            return True
        now = time.monotonic()
        ready = True
        for tp in empty:
            pos = self._next_offsets.get(tp, -1)  # read right after the last consume()
            marks = self.consumer.get_watermark_offsets(TopicPartition(*tp), cached=True)
            high = marks[1] if marks else -1
            if pos < 0 and marks and marks[0] >= 0:
                # nothing consumed yet: the fetch starts at the committed offset or the reset
                committed = self._committed.get(tp)
                pos = committed if committed is not None else (
                    marks[0] if self.config[AUTO_OFFSET_RESET_CONFIG] == "earliest" else high)
            if 0 <= pos < high and self._read_committed:
                # the fetched high watermark counts open transactions: ask for the LSO
                try:
                    stable = self.consumer.get_watermark_offsets(TopicPartition(*tp),
                                                                 timeout=1.0, cached=False)
                    high = stable[1] if stable else high
                except Exception:
                    pass
            if pos < 0 or high < 0 or high > pos:  # lag unknown, or records still to fetch
                self._idle_deadlines.pop(tp, None)
                ready = False
                continue
            deadline = self._idle_deadlines.setdefault(tp, now + idle_ms / 1000.0)
            if now < deadline:
                ready = False
        if not ready and self._waiting_since is None:
            self._waiting_since = now
        if ready:
            self._waiting_since = None
        return ready

    def run(self, stop: threading.Event) -> None:
        """``run_once`` until ``stop`` is set."""
        while not stop.is_set():
            self.run_once()

    def commit(self) -> bool:
        """Commit now (see the module docstring); False when there was nothing to commit."""
        assert self.task is not None and self.producer is not None and self.collector is not None
        with self._lock:
            self._last_commit = time.monotonic()
            task = self.task
            past_markers = self._offsets_past_markers()
            if not task.commit_needed and not self.producer.in_transaction and not past_markers:
                self._update_end_offsets()
                return False
            started = time.monotonic()
            offsets = task.prepare_commit()
            offsets.update(past_markers)
            new = {tp: o for tp, o in offsets.items() if self._committed.get(tp) != o}
            metadata = task.commit_metadata(new)
            if self.eos:
                self.collector.check_failures()
                self.producer.commit_transaction(new, self.consumer.consumer_group_metadata(),
                                                 metadata=metadata)
                self.collector.check_failures()
            else:
                self.collector.flush()
                if new:
                    tps = topic_partitions(new, metadata)
                    retry(lambda: self.consumer.commit(offsets=tps, asynchronous=False),
                          "commit offsets")
            self._committed.update(new)
            for (t, p), o in new.items():
                self.metrics.committed[_tp_name(t, p)] = o
            task.post_commit(None)
            sm = task.state_manager
            if (not self.eos and sm is not None and self.spec.changelogs
                    and time.monotonic() - self._last_checkpoint >= ALOS_CHECKPOINT_INTERVAL_S):
                self._last_checkpoint = time.monotonic()
                written = self._changelog_last_offsets()
                if written:
                    sm.maybe_checkpoint(written)
            if self.global_task is not None:
                self.global_task.maybe_checkpoint()
            self.metrics.record_commit((time.monotonic() - started) * 1000.0)
            self._update_end_offsets()
            return True

    def _offsets_past_markers(self) -> dict[tuple[str, int], int]:
        """Input partitions whose consumer position moved past transaction markers.

        As Kafka's StreamTask does, a partition with nothing buffered commits the consumer's
        next offset rather than the last processed one + 1: the consumer skips the commit and
        abort markers of a transactional upstream silently, and committing before them would
        leave a lag of a marker or more on a fully processed partition. The commit is then
        needed even when no record was processed since the last one.
        """
        assert self.task is not None
        queues = self.task.partition_group.queues
        moved = {}
        for tp, position in self._next_offsets.items():
            queue = queues.get(tp)
            if queue is not None and queue.size() > 0:
                continue
            known = self.task.consumed_offsets.get(tp)
            known = known + 1 if known is not None else self._committed.get(tp)
            if known is not None and position > known and position != self._committed.get(tp):
                moved[tp] = position
        return moved

    def _update_end_offsets(self) -> None:
        for topic, partition in self.spec.consumer_partitions:
            try:
                marks = self.consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                            cached=True)
            except Exception:  # metrics only
                continue
            if marks and marks[1] >= 0:
                self.metrics.end_offsets[_tp_name(topic, partition)] = int(marks[1])

    def _changelog_last_offsets(self) -> dict[tuple[str, int], int]:
        """The last offset of each changelog partition after a commit (what a checkpoint holds).

        The task is the only writer of its changelog partitions, so once the producer is
        flushed (or the transaction committed) the end offset is one past its last write (under
        exactly_once_v2, one past the commit marker: restoring from there reads nothing).
        """
        sm = self.task.state_manager if self.task is not None else None
        if sm is None:
            return {}
        result = {}
        for topic, partition in sm.changelog_partitions():
            try:
                marks = self.consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                            timeout=10, cached=False)
            except Exception as exc:
                log.warning("[%s] no end offset for %s: %s", self.task_id,
                            _tp_name(topic, partition), exc)
                continue
            if marks is not None and marks[1] > 0:
                result[(topic, partition)] = int(marks[1]) - 1
        return result

    def close(self, clean: bool = True) -> None:
        """Clean: commit and checkpoint, then close. Unclean: abort, commit nothing."""
        with self._lock:
            try:
                if clean and self.state == RUNNING and self.task is not None:
                    self.commit()
                    sm = self.task.state_manager
                    if sm is not None and sm.changelog_partitions():
                        sm.update_changelog_offsets(self._changelog_last_offsets())
                        sm.flush()
                        sm.checkpoint()
                elif self.producer is not None:
                    self.producer.abort_transaction()
            finally:
                if self.task is not None:
                    try:
                        self.task.close()
                    except Exception:
                        log.exception("[%s] error closing the task", self.task_id)
                if self.global_task is not None:
                    try:
                        self.global_task.close(clean=clean)
                        self.global_consumer.close()
                    except Exception:
                        log.exception("[%s] error closing the global stores", self.task_id)
                if self.consumer is not None:
                    try:
                        self.consumer.close()
                    except Exception:
                        log.exception("[%s] error closing the consumer", self.task_id)
                if self.producer is not None:
                    self.producer.close()
                self.state = CLOSED if clean else FAILED
        log.info("[%s] closed (%s)", self.task_id, "clean" if clean else "after an error")

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> dict[str, Any]:
        engine = self.task.metrics.as_dict() if self.task is not None else {}
        produced = self.collector.records_sent if self.collector is not None else 0
        commits = self.task.metrics.commits if self.task is not None else 0
        snap = self.metrics.snapshot(engine, records_produced=produced, state=self.state,
                                     commits=commits)
        snap["incarnation"] = self.incarnation
        snap["restored_from"] = dict(self.restored_from)
        sm = self.task.state_manager if self.task is not None else None
        snap["changelog_partitions"] = ([f"{t}-{p}" for t, p in sm.changelog_partitions()]
                                        if sm is not None else None)
        if self.collector is not None:
            snap["production_errors"] = self.collector.records_dropped
        return snap

    def query(self, store: str, method: str, *args: Any, timestamped: bool = False) -> Any:
        """Call a read-only method of a store (``get``, ``range``, ``all``, ...).

        Values of timestamped stores are unwrapped to plain values unless ``timestamped``
        (Kafka's ``keyValueStore()`` vs ``timestampedKeyValueStore()`` query types).
        """
        if method not in _QUERY_METHODS:
            raise StreamsError(f"{method!r} is not a read-only store method; use one of "
                               f"{sorted(_QUERY_METHODS)}")
        from raystreams.errors import InvalidStateStoreException

        if self.state != RUNNING:  # restoring (or closed): its contents are not complete
            raise InvalidStateStoreException(f"store {store!r} of task {self.task_id} is not "
                                             f"queryable while the task is {self.state}; retry")
        with self._lock:
            if self.task is None or store not in self.task.stores:
                raise InvalidStateStoreException(f"store {store!r} is not hosted by task "
                                                 f"{self.task_id} (state {self.state})")
            target = self.task.stores[store]
            result = getattr(target, method)(*args)
            unwrap = (lambda v: v) if timestamped else _plain
            # a window store's fetch(key, time) is one value, not a range
            single = (method == "fetch" and len(args) == 2
                      and getattr(target, "store_kind", None) == "window")
            if method in _ITERATING and not single:
                return [(kv.key, unwrap(kv.value)) if hasattr(kv, "key")
                        else (kv[0], unwrap(kv[1])) for kv in result]
            return unwrap(result) if method == "get" or single else result


_ITERATING = {"range", "all", "reverse_range", "reverse_all", "prefix_scan", "fetch",
              "fetch_all", "backward_fetch", "backward_fetch_all", "find_sessions"}
_QUERY_METHODS = _ITERATING | {"get", "approximate_num_entries"}


def _plain(value: Any) -> Any:
    if type(value).__name__ == "ValueAndTimestamp":
        return value.value
    return value


class TaskActor:
    """The Ray actor around a TaskRunner; every method is idempotent.

    ``start()`` begins the loop on a thread and returns; ``watch()`` blocks until the loop
    ends and returns how (the supervisor keeps one ``watch`` call pending per actor, and its
    replacement after a crash simply calls ``watch`` again). ``stop()`` ends the loop with a
    clean close.
    """

    def __init__(self, spec: TaskSpec, topology: Topology, config: StreamsConfig,
                 incarnation: int = 0, log_level: int | None = None,
                 standby_replica: int | None = None) -> None:
        if log_level is not None:
            logging.basicConfig(level=log_level,
                                format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.spec = spec
        if standby_replica is None:
            self.runner: Any = TaskRunner(spec, topology, config, incarnation=incarnation)
        else:
            from raystreams.runtime.standby import StandbyRunner

            self.runner = StandbyRunner(spec, topology, config, replica=standby_replica,
                                        incarnation=incarnation)
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._start_lock = threading.Lock()

    def start(self) -> str:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=f"task-{self.spec.task_id}",
                                                daemon=True)
                self._thread.start()
                threading.Thread(target=self._orphan_watchdog, name="orphan-watchdog",
                                 daemon=True).start()
        return self.runner.state

    def _orphan_watchdog(self) -> None:
        """Stop cleanly and exit when the supervisor is gone for good.

        Task actors are detached so they survive a supervisor crash (Ray restarts it); if the
        supervisor's name stays unknown for ``ORPHAN_GRACE_S`` (its owner, the process that
        called ``KafkaStreams.start()``, died without ``close()``), nobody will ever stop this
        actor: it commits, closes and exits instead of leaking.
        """
        import ray

        config = self.runner.config
        name, namespace = config.application_id, config.get(RAY_NAMESPACE_CONFIG) or "raystreams"
        missing_since: float | None = None
        while not self._done.wait(ORPHAN_CHECK_S):
            try:
                ray.get_actor(name, namespace=namespace)
                missing_since = None
                continue
            except ValueError:
                missing_since = missing_since or time.monotonic()
            except Exception:  # the GCS is busy: try again
                continue
            if time.monotonic() - missing_since >= ORPHAN_GRACE_S:
                log.warning("[%s] supervisor %s is gone: stopping and exiting", self.spec.task_id,
                            name)
                self._stop.set()
                self._done.wait(60)
                os._exit(0)

    def _main(self) -> None:
        runner = self.runner
        try:
            runner.initialize()
            runner.run(self._stop)
        except BaseException as exc:  # noqa: BLE001 - reported through watch()
            self._error = exc
            runner.metrics.record_error(exc)
            log.error("[%s] task failed: %s", self.spec.task_id, exc, exc_info=True)
            try:
                runner.close(clean=False)
            except Exception:
                log.exception("[%s] error closing after a failure", self.spec.task_id)
        else:
            try:
                runner.close(clean=True)
            except BaseException as exc:  # noqa: BLE001
                self._error = exc
                runner.metrics.record_error(exc)
        finally:
            self._done.set()

    def watch(self, timeout: float | None = None) -> dict[str, Any]:
        """Wait until the loop ends (or ``timeout``); ``{"done", "state", "error"}``."""
        done = self._done.wait(timeout)
        error = self._error
        return {"done": done, "state": self.runner.state, "task_id": self.spec.task_id,
                "error": _portable(error) if error is not None else None,
                "error_text": f"{type(error).__name__}: {error}" if error is not None else None}

    def stop(self, timeout: float = 30.0) -> dict[str, Any]:
        """Commit, close cleanly and end the loop."""
        self._stop.set()
        if self._thread is None:
            self._done.set()
        return self.watch(timeout)

    def promote(self, timeout: float = 30.0) -> dict[str, Any]:
        """A standby's hand-over: stop, checkpoint and close its stores, then move its state
        directory to the active task's place on this node (the dead active's is replaced)."""
        from pathlib import Path

        runner = self.runner
        if not getattr(runner, "is_standby", False):
            raise StreamsError(f"task {self.spec.task_id}: only a standby replica is promoted")
        config = runner.active_config
        runner.handoff_to = (Path(config[STATE_DIR_CONFIG]) / config.application_id
                             / self.spec.task_id)
        result = self.stop(timeout)
        result["handed_off"] = runner.handed_off
        result["node_id"] = _node_id()
        return result

    def status(self) -> dict[str, Any]:
        return {"task_id": self.spec.task_id, "state": self.runner.state,
                "node_id": _node_id(), "pid": os.getpid(), "incarnation": self.runner.incarnation,
                "done": self._done.is_set()}

    def metrics(self) -> dict[str, Any]:
        snap = self.runner.snapshot()
        snap["node_id"] = _node_id()
        snap["pid"] = os.getpid()
        return snap

    def query(self, store: str, method: str, *args: Any, timestamped: bool = False) -> Any:
        return self.runner.query(store, method, *args, timestamped=timestamped)

    def pid(self) -> int:
        return os.getpid()


def _portable(exc: BaseException) -> BaseException:
    """The exception if it pickles (StreamsError does), else a StreamsException with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return StreamsException(f"{type(exc).__name__}: {exc}")


def _node_id() -> str | None:
    try:
        import ray

        return ray.get_runtime_context().get_node_id()
    except Exception:
        return None
