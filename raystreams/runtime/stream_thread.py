"""TaskRunner: one stream task on Kafka, in plain Python (the part of Kafka's ``StreamThread``
and ``TaskManager`` that runs a task's loop and commits).

``TaskRunner`` drives the engine's ``StreamTask`` (DESIGN decision 1) with Kafka I/O:

1. ``initialize()``: the producer (transactional under exactly_once_v2, which fences any
   older producer of the task), the global stores (``GlobalStreamThread``), the ``StreamTask``
   and its stores, then **restore** (``StoreChangelogReader``). Then the main consumer
   ``assign()``s the task's partitions at the offsets committed under the group
   ``application.id`` (decision 3).
2. ``run_once()``: one batch: ``consume(num_messages=...)`` → ``add_records`` →
   ``process`` while the task ``is_processable`` (``max.task.idle.ms``, KIP-695, decided in
   the engine from this module's ``KafkaLagProvider``) → punctuation → commit when
   ``commit.interval.ms`` has passed (or a processor asked).
3. ``commit()``: flush caches and stores (``prepare_commit``), then under at_least_once
   flush the producer and commit the offsets; under exactly_once_v2
   ``send_offsets_to_transaction`` and commit the transaction. Offsets the consumer moved
   past transaction markers are committed too (the engine's ``offsets_past_markers``).
4. ``close(clean)``: a clean close commits and writes the checkpoint; an unclean one (after
   an error) aborts the open transaction and commits nothing.

``tests/unit/test_task_runner.py`` drives ``TaskRunner`` with fake clients; the Ray actor
around it is ``runtime/task_actor.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from confluent_kafka import TopicPartition

from raystreams.config import StreamsConfig
from raystreams.config.keys import (
    AUTO_OFFSET_RESET_CONFIG,
    COMMIT_INTERVAL_MS_CONFIG,
    POLL_MS_CONFIG,
    PROCESSING_GUARANTEE_CONFIG,
    STATE_DIR_CONFIG,
)
from raystreams.engine.collector import RecordCollectorImpl
from raystreams.engine.task import StreamTask
from raystreams.kafka.consumer import (
    assign_from_committed,
    committed_with_metadata,
    create_consumer,
    positions,
    raise_for_errors,
    retry,
    to_records,
    topic_partitions,
    warn_offsets_out_of_range,
)
from raystreams.kafka.producer import StreamsProducer
from raystreams.query.server import StoreQueryServer
from raystreams.runtime.changelog_reader import (
    StoreChangelogReader,
    default_state_manager_factory,
    open_state,
    tp_name,
)
from raystreams.runtime.global_stream_thread import GlobalStreamThread
from raystreams.runtime.metrics import RunnerMetrics
from raystreams.runtime.placement import TaskSpec
from raystreams.runtime.task_state import TaskState
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
#: Kafka's consumer default for max.poll.interval.ms (what Kafka Streams runs with)
DEFAULT_MAX_POLL_INTERVAL_MS = 300_000
ALOS_CHECKPOINT_INTERVAL_S = 5.0
#: how often a snapshot measures its stores (entries, bytes on disk): a directory walk
STORE_STATS_INTERVAL_S = 5.0


class KafkaLagProvider:
    """The engine's ``LagProvider`` over the task's main consumer.

    The position is the consumer's next offset read right after each ``consume()``, so it never
    counts a record not yet handed to the task. The fetched lag is the high watermark (the
    last stable offset under read_committed, which counts no open transaction) minus that
    position; before the first fetch the position is the committed offset, else where
    ``auto.offset.reset`` starts.
    """

    def __init__(self, consumer: Any, committed: Mapping[tuple[str, int], int], *,
                 read_committed: bool, reset_earliest: bool) -> None:
        self.consumer = consumer
        self.committed = committed
        self.read_committed = read_committed
        self.reset_earliest = reset_earliest
        self.next_offsets: dict[tuple[str, int], int] = {}

    def position(self, topic: str, partition: int) -> int | None:
        return self.next_offsets.get((topic, partition))

    def fetched_lag(self, topic: str, partition: int) -> int | None:
        tp = (topic, partition)
        pos = self.next_offsets.get(tp, -1)
        marks = self.consumer.get_watermark_offsets(TopicPartition(topic, partition), cached=True)
        high = marks[1] if marks else -1
        if pos < 0 and marks and marks[0] >= 0:
            # nothing consumed yet: the fetch starts at the committed offset or the reset
            committed = self.committed.get(tp)
            pos = committed if committed is not None else (
                marks[0] if self.reset_earliest else high)
        if 0 <= pos < high and self.read_committed:
            # the fetched high watermark counts open transactions: ask for the LSO
            try:
                stable = self.consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                             timeout=1.0, cached=False)
                high = stable[1] if stable else high
            except Exception:
                pass
        if pos < 0 or high < 0:  # lag unknown
            return None
        return max(0, high - pos)


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
        self.state_since = time.time()
        self._state = TaskState.CREATED
        self.metrics = RunnerMetrics(spec.task_id)
        self.commit_interval_s = self.config[COMMIT_INTERVAL_MS_CONFIG] / 1000.0
        self.poll_timeout_s = min(self.config[POLL_MS_CONFIG], 100) / 1000.0
        self.task: StreamTask | None = None
        self.consumer: Any = None
        self.producer: StreamsProducer | None = None
        self.collector: RecordCollectorImpl | None = None
        self._last_commit = time.monotonic()
        self._last_checkpoint = 0.0
        self._committed: dict[tuple[str, int], int] = {}
        self._lock = threading.RLock()
        #: interactive queries: each page or point read holds ``_lock`` (between batches)
        self.queries = StoreQueryServer(
            spec.task_id, lambda: self.task.stores if self.task is not None else None,
            lock=self._lock, running=lambda: self.state == TaskState.RUNNING,
            position=lambda: self.task.consumed_offsets if self.task is not None else {})
        self._changelog_reader = StoreChangelogReader(
            self.task_id, self.config, self._consumer_factory, self.metrics)
        self.restored_from = self._changelog_reader.restored_from
        self.globals: GlobalStreamThread | None = None
        self._lag: KafkaLagProvider | None = None
        self._committed_metadata: dict[tuple[str, int], str | None] = {}
        #: input partitions whose committed offset was gone at start (auto.offset.reset applied)
        self.offsets_reset: list[str] = []
        #: when the running ``run_once`` began (monotonic s); None between loops. The task
        #: actor's watchdog declares the task hung once it is older than max.poll.interval.ms
        self.busy_since: float | None = None
        self.max_poll_interval_ms = int(self.config.consumer_configs("main").get(
            "max.poll.interval.ms", DEFAULT_MAX_POLL_INTERVAL_MS))
        self._store_stats: list[dict[str, Any]] = []
        #: the engine's (undecorated) input partitions -> the real ones (placement aligns them)
        self._real_partitions = dict(zip(spec.input_partitions, spec.consumer_partitions,
                                         strict=True))
        self._store_stats_at = 0.0

    @property
    def state(self) -> TaskState:
        return self._state

    @state.setter
    def state(self, state: TaskState) -> None:
        if state != self._state:
            self.state_since = time.time()
        self._state = state

    # ------------------------------------------------------------------ lifecycle

    def initialize(self) -> None:
        """Producer, global stores, task and stores, restore, then assign the input partitions."""
        spec = self.spec
        log.info("[%s] initializing (incarnation %d, %s)", self.task_id, self.incarnation,
                 self.config[PROCESSING_GUARANTEE_CONFIG])
        self.producer = self._producer_factory(self.config, self.task_id)
        if self.eos:
            self.producer.init_transactions()
        self.state = TaskState.RESTORING
        if self.topology.global_stores:
            self.globals = GlobalStreamThread(self.task_id, self.topology, self.config,
                                              self.producer, self._consumer_factory,
                                              self.metrics)
            self.globals.bootstrap()
        # the committed offsets first: their metadata resumes partition times and processor
        # metadata, which processors read in init
        self.consumer = self._consumer_factory(self.config, "main")
        self._lag = KafkaLagProvider(
            self.consumer, self._committed,
            read_committed=(self.config.consumer_configs("main").get("isolation.level")
                            == "read_committed"),
            reset_earliest=self.config[AUTO_OFFSET_RESET_CONFIG] == "earliest")
        with_metadata = committed_with_metadata(self.consumer, spec.consumer_partitions)
        self._committed_metadata = {tp: meta for tp, (_, meta) in with_metadata.items()}
        self.task, offsets, wiped = open_state(
            self._new_task, self.task_id,
            Path(self.config[STATE_DIR_CONFIG]) / self.config.application_id / self.task_id)
        self.collector = self.task.collector
        if wiped:
            self.metrics.state_wiped = True
        self.metrics.restore_started_at = time.time()
        self._changelog_reader.restore(self.task.state_manager, offsets)
        committed = assign_from_committed(
            self.consumer, spec.consumer_partitions,
            committed={tp: offset for tp, (offset, _) in with_metadata.items()})
        gone = warn_offsets_out_of_range(self.consumer, committed,
                                         self.config[AUTO_OFFSET_RESET_CONFIG],
                                         task_id=self.task_id)
        self.offsets_reset = [tp_name(*tp) for tp in gone]
        for (topic, partition), offset in committed.items():
            if offset is not None:
                self._committed[(topic, partition)] = offset
                self.metrics.committed[tp_name(topic, partition)] = offset
        self._last_commit = time.monotonic()
        self.state = TaskState.RUNNING
        log.info("[%s] running: %s from committed offsets %s", self.task_id,
                 [tp_name(t, p) for t, p in spec.consumer_partitions],
                 {tp_name(*tp): o for tp, o in committed.items()})

    def _new_task(self) -> StreamTask:
        spec = self.spec
        task = StreamTask(self.task_id, self.topology, self.config, self.producer,
                          node_names=spec.node_names, partition=spec.partition,
                          input_partitions=spec.input_partitions,
                          global_stores=self.globals.stores if self.globals else None,
                          state_manager_factory=self._state_manager_factory,
                          lag_provider=self._lag)
        task.initialize_task_time(self._committed_metadata)
        task.initialize()
        return task

    # ------------------------------------------------------------------ the loop

    def run_once(self) -> int:
        """Consume one batch, process it, punctuate, maybe commit; returns records processed."""
        self.busy_since = time.monotonic()
        try:
            return self._run_once()
        finally:
            self.busy_since = None

    def where(self) -> dict[str, Any]:
        """What the task is doing now: the processor and the input record (topic, partition,
        offset) it is on; a punctuation has no record."""
        task = self.task
        ctx = task.context if task is not None else None
        node = ctx.current_node if ctx is not None else None
        # the record context outlives its record: it counts only while a processor runs
        rc = ctx.record_context if node is not None else None
        return {"processor": node.name if node is not None else None,
                "topic": rc.topic if rc is not None else None,
                "partition": rc.partition if rc is not None and rc.topic else None,
                "offset": rc.offset if rc is not None and rc.topic else None}

    def _run_once(self) -> int:
        assert self.task is not None and self.producer is not None
        if self.globals is not None:
            with self._lock:
                self.globals.poll()
        msgs = self.consumer.consume(num_messages=BATCH_SIZE, timeout=self.poll_timeout_s)
        busy_from = time.perf_counter()
        next_offsets = positions(self.consumer, self.spec.consumer_partitions)
        with self._lock:
            self._lag.next_offsets = next_offsets
            processed = 0
            if msgs:
                batches, errors = to_records(msgs)
                if errors:
                    raise_for_errors(errors, task_id=self.task_id)
                for (topic, partition), records in batches.items():
                    self.task.add_records(topic, partition, records)
                    self.metrics.records_consumed += len(records)
                    name = tp_name(topic, partition)
                    if name not in self.metrics.first_offsets:
                        self.metrics.first_offsets[name] = records[0].offset
            task = self.task
            if task.has_records_queued() and task.is_processable(task.clock()):
                now = task.clock()
                while task.process(now):
                    processed += 1
                    task.maybe_punctuate_stream_time()
                    if not task.is_processable(task.clock()):
                        break
            self.task.maybe_punctuate_system_time()
            self.producer.poll()
            if (self.task.commit_requested
                    or time.monotonic() - self._last_commit >= self.commit_interval_s):
                self.commit()
        self.metrics.record_batch(time.perf_counter() - busy_from)
        return processed

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
            past_markers = task.offsets_past_markers(self._committed)
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
                self.metrics.committed[tp_name(t, p)] = o
            task.post_commit(None)
            sm = task.state_manager
            if (not self.eos and sm is not None and self.spec.changelogs
                    and time.monotonic() - self._last_checkpoint >= ALOS_CHECKPOINT_INTERVAL_S):
                self._last_checkpoint = time.monotonic()
                written = self._changelog_last_offsets()
                if written:
                    sm.maybe_checkpoint(written)
            if self.globals is not None:
                self.globals.maybe_checkpoint()
            self.metrics.record_commit((time.monotonic() - started) * 1000.0)
            self._update_end_offsets()
            return True

    def _update_end_offsets(self) -> None:
        for topic, partition in self.spec.consumer_partitions:
            try:
                marks = self.consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                            cached=True)
            except Exception:  # metrics only
                continue
            if marks and marks[1] >= 0:
                self.metrics.end_offsets[tp_name(topic, partition)] = int(marks[1])

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
                            tp_name(topic, partition), exc)
                continue
            if marks is not None and marks[1] > 0:
                result[(topic, partition)] = int(marks[1]) - 1
        return result

    def close(self, clean: bool = True) -> None:
        """Clean: commit and checkpoint, then close. Unclean: abort, commit nothing."""
        self.queries.close()
        with self._lock:
            try:
                if clean and self.state == TaskState.RUNNING and self.task is not None:
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
                if self.globals is not None:
                    try:
                        self.globals.close(clean=clean)
                    except Exception:
                        log.exception("[%s] error closing the global stores", self.task_id)
                if self.consumer is not None:
                    try:
                        self.consumer.close()
                    except Exception:
                        log.exception("[%s] error closing the consumer", self.task_id)
                if self.producer is not None:
                    self.producer.close()
                self.state = TaskState.CLOSED if clean else TaskState.FAILED
        log.info("[%s] closed (%s)", self.task_id, "clean" if clean else "after an error")

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> dict[str, Any]:
        engine = self.task.metrics.as_dict() if self.task is not None else {}
        produced = self.collector.records_sent if self.collector is not None else 0
        commits = self.task.metrics.commits if self.task is not None else 0
        snap = self.metrics.snapshot(engine, records_produced=produced, state=self.state,
                                     commits=commits)
        snap["incarnation"] = self.incarnation
        snap["queries"] = {"calls": self.queries.calls_served, "pages": self.queries.pages_served,
                           "open_scans": self.queries.open_cursors()}
        snap["restored_from"] = dict(self.restored_from)
        snap["offsets_reset"] = list(self.offsets_reset)
        sm = self.task.state_manager if self.task is not None else None
        snap["changelog_partitions"] = ([f"{t}-{p}" for t, p in sm.changelog_partitions()]
                                        if sm is not None else None)
        if self.collector is not None:
            snap["production_errors"] = self.collector.records_dropped
        return snap

    def report(self) -> dict[str, Any]:
        """``snapshot()`` plus what the inspector shows of the task: time in state, positions,
        fresh end offsets, lag in time, records per node, store sizes (the supervisor polls
        this; ``KafkaStreams.metrics()`` keeps the cheaper ``snapshot()``)."""
        snap = self.snapshot()
        snap["state_since"] = self.state_since
        snap["partitions"] = [tp_name(t, p) for t, p in self.spec.consumer_partitions]
        task = self.task
        if task is not None:
            if self.consumer is not None and self.state == TaskState.RUNNING:
                self._update_end_offsets()  # the client's cached high watermarks: no request
                snap["end_offsets"] = dict(self.metrics.end_offsets)
            real = self._real_partitions
            snap["positions"] = {tp_name(*real.get(tp, tp)): offset + 1
                                 for tp, offset in list(task.consumed_offsets.items())}
            snap["node_records"] = {name: node.records for name, node in task.nodes.items()}
            snap["lag_ms"] = self._lag_ms(task)
            snap["stores"] = self._measure_stores(task)
        return snap

    def store_lags(self) -> dict[tuple[str, int], tuple[int, int]]:
        """Each changelog partition's (restored position, end offset): the restore's progress
        while restoring; once running, the active task is the changelog's writer and up to date
        (Kafka reports an active running task's stores with lag 0 too)."""
        return dict(self._changelog_reader.progress)

    def _lag_ms(self, task: StreamTask) -> dict[str, float]:
        """Per input partition (real topic name), how far behind in time: now minus the
        timestamp of the next record to process; 0 when none waits and the broker has none."""
        now_ms = time.time() * 1000.0
        real = self._real_partitions
        out: dict[str, float] = {}
        for (topic, partition), queue in list(task.partition_group.queues.items()):
            name = tp_name(*real.get((topic, partition), (topic, partition)))
            head = queue.head
            if head is not None:
                out[name] = max(0.0, now_ms - head.timestamp)
            elif self.metrics.end_offsets.get(name, 0) <= self.metrics.committed.get(name, 0):
                out[name] = 0.0
        return out

    def _measure_stores(self, task: StreamTask) -> list[dict[str, Any]]:
        """Approximate entries and bytes on disk per store, at most every few seconds (a
        directory walk and a RocksDB estimate; never on the processing thread)."""
        if time.monotonic() - self._store_stats_at < STORE_STATS_INTERVAL_S:
            return self._store_stats
        self._store_stats_at = time.monotonic()
        task_dir = Path(self.config[STATE_DIR_CONFIG]) / self.config.application_id / self.task_id
        stats = []
        for name, store in list(task.stores.items()):
            entries = None
            counter = getattr(store, "approximate_num_entries", None)
            if callable(counter):
                try:
                    entries = int(counter())
                except Exception:  # not every store type counts; a measure, not a must
                    entries = None
            stats.append({"store": name, "approx_entries": entries,
                          "bytes_on_disk": _bytes_under(task_dir / name)})
        self._store_stats = stats
        return stats


def _bytes_under(path: Path) -> int | None:
    """Bytes of the files under ``path``; None when it does not exist (in-memory stores)."""
    if not path.exists():
        return None
    total = 0
    for file in path.rglob("*"):
        try:
            if file.is_file():
                total += file.stat().st_size
        except OSError:  # a file RocksDB removed while we walked
            continue
    return total
