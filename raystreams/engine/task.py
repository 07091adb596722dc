"""StreamTask: runs one task's sub-topology over its input records (Kafka's StreamTask).

The same object runs in ``TopologyTestDriver`` and inside a runtime TaskActor (DESIGN
decision 1). It does no I/O itself: input arrives through ``add_records``, output leaves
through the RecordCollector it was given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from raystreams.config.keys import (
    APPLICATION_ID_CONFIG,
    DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG,
    DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG,
    MAX_TASK_IDLE_MS_CONFIG,
    PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
    PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
    STATE_DIR_CONFIG,
    STATESTORE_CACHE_MAX_BYTES_CONFIG,
)
from raystreams.engine.collector import RecordCollectorImpl
from raystreams.engine.commit_metadata import ProcessorMetadata
from raystreams.engine.commit_metadata import decode as decode_commit_metadata
from raystreams.engine.commit_metadata import encode as encode_commit_metadata
from raystreams.engine.context import TaskContext
from raystreams.engine.handlers import (
    ErrorHandlerContext,
    resolve_handler,
)
from raystreams.engine.lag import ZERO_LAG, LagProvider
from raystreams.engine.nodes import ProcessorNode, instantiate_nodes
from raystreams.engine.partition_group import UNKNOWN, PartitionGroup, RecordQueue
from raystreams.engine.punctuation import PunctuationQueue, PunctuationSchedule
from raystreams.engine.records import ConsumerRecord, RecordSender
from raystreams.errors import DeserializationException, StreamsException, TaskMigratedException
from raystreams.processor.api import Headers, Record, RecordContext
from raystreams.processor.timestamps import resolve_timestamp_extractor
from raystreams.topology.processor_topology import ProcessorTopology
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

def _wall_clock() -> int:
    return int(time.time() * 1000)


class TaskMetrics:
    """Counters a task keeps; the runtime serves them to the inspector.

    ``records_dropped`` is Kafka's ``dropped-records-total``: records skipped by an exception
    handler (and the DSL's own drops, such as null keys); ``dead_letter_records`` counts the
    records sent to ``errors.dead.letter.queue.topic.name``.
    """

    __slots__ = ("records_processed", "records_dropped", "punctuations", "commits",
                 "deserialization_errors", "processing_errors", "dead_letter_records")

    def __init__(self) -> None:
        self.records_processed = 0
        self.records_dropped = 0
        self.punctuations = 0
        self.commits = 0
        self.deserialization_errors = 0
        self.processing_errors = 0
        self.dead_letter_records = 0

    def as_dict(self) -> dict[str, int]:
        counters = {name: getattr(self, name) for name in self.__slots__}
        counters["dropped-records-total"] = self.records_dropped
        return counters


class StreamTask:
    """One task: a set of topology nodes, their stores, and the partitions it reads.

    Args:
        task_id: ``<subtopology>_<partition>``, e.g. ``"0_1"``.
        topology: the whole logical plan.
        config: the StreamsConfig (it resolves deprecated key names and defaults).
        sender: where the task's record collector sends serialized records (sinks,
            changelogs, dead letters): the runtime's producer, the driver's list.
        node_names: the nodes this task runs (a sub-topology); all non-global nodes if None.
        processor_topology: the plan to run, built by the topology (instead of ``node_names``).
        partition: the task's partition number (input partition and changelog partition).
        input_partitions: ``(topic, partition)`` pairs read, topics undecorated as in the
            topology; defaults to ``partition`` of every source topic of the nodes.
        state_dir: ``state.dir``; stores live in ``state_dir/<application.id>/<task_id>``.
        clock: wall-clock milliseconds (the driver passes its mock clock).
        global_stores: global stores every processor may read (shared per process).
        lag_provider: the broker side of the inputs (fetched lag, consumer position); the
            runtime's reads its consumer, the driver's (the default) reports zero lag.
    """

    def __init__(self, task_id: str, topology: Topology, config: Any, sender: RecordSender,
                 *, node_names: Iterable[str] | None = None, partition: int = 0,
                 input_partitions: Iterable[tuple[str, int]] | None = None,
                 state_dir: str | Path | None = None, clock: Callable[[], int] | None = None,
                 global_stores: dict[str, Any] | None = None,
                 state_manager_factory: Callable[[StreamTask], Any] | None = None,
                 lag_provider: LagProvider = ZERO_LAG,
                 processor_topology: ProcessorTopology | None = None) -> None:
        self.task_id = task_id
        self.topology = topology
        self.config = config
        #: the raw input record being processed (its bytes go to the exception handlers)
        self.current_raw: ConsumerRecord | None = None
        self.partition = partition
        self.application_id: str = config.get(APPLICATION_ID_CONFIG)
        self.clock = clock or _wall_clock
        base = Path(state_dir if state_dir is not None else config.get(STATE_DIR_CONFIG))
        self.task_dir = base / self.application_id / task_id
        self.metrics = TaskMetrics()
        self.commit_requested = False
        self.commit_needed = False
        self.stream_time_punctuations = PunctuationQueue()
        self.wall_clock_punctuations = PunctuationQueue()
        self.consumed_offsets: dict[tuple[str, int], int] = {}
        #: what processors commit with the offsets (emit-final's last close time, ...)
        self.processor_metadata = ProcessorMetadata()
        self.global_stores: dict[str, Any] = dict(global_stores or {})
        self.stores: dict[str, Any] = {}
        originals = getattr(config, "originals", None)
        configs = dict(originals() if callable(originals) else config)
        configs[ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG] = config.get(
            ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)
        self.deserialization_handler = resolve_handler(
            "deserialization", DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
            config.get(DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG), configs)
        self.processing_handler = resolve_handler(
            "processing", PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
            config.get(PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG), configs)
        self.production_handler = resolve_handler(
            "production", PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG,
            config.get(PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG), configs)
        self.collector = RecordCollectorImpl(sender, self)
        self.context = TaskContext(self)
        self._eos = config.exactly_once
        self._default_key_serde = config.default_key_serde()
        self._default_value_serde = config.default_value_serde()
        self._default_extractor = resolve_timestamp_extractor(
            config.get(DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG))
        if processor_topology is None:
            processor_topology = topology.build_processor_topology(
                topology.non_global_node_names() if node_names is None else node_names,
                self.application_id)
        self.processor_topology = processor_topology
        self.node_names = list(processor_topology.node_names)
        idle_ms = config.get(MAX_TASK_IDLE_MS_CONFIG)
        self.partition_group = PartitionGroup(lag_provider, 0 if idle_ms is None else idle_ms)
        #: when the task last started waiting for an empty input (Kafka's
        #: ``timeCurrentIdlingStarted``); ``None`` while it processes
        self.idling_since: int | None = None
        self.nodes, self.sources_by_topic = instantiate_nodes(
            processor_topology, self._default_key_serde, self._default_value_serde,
            self._default_extractor)
        self._register_queues(input_partitions)
        self.state_manager = state_manager_factory(self) if state_manager_factory else None
        self._initialized = False
        self._processors_initialized = False

    # ------------------------------------------------------------------ building

    def _register_queues(self, input_partitions: Iterable[tuple[str, int]] | None) -> None:
        app = self.application_id
        if input_partitions is None:
            pairs = [(t, self.partition) for t in self.sources_by_topic]
        else:
            pairs = [(self.topology.resolve_topic(t, app), p) for t, p in input_partitions]
        for topic, part in pairs:
            source = self.sources_by_topic.get(topic)
            if source is None:
                raise StreamsException(f"task {self.task_id} has no source for topic {topic}",
                                       task_id=self.task_id, topic=topic)
            self.partition_group.add_queue(
                RecordQueue(topic, part, source.processor, self._on_bad_record))

    def add_input_topic(self, topic: str, partition: int) -> None:
        """Read ``topic`` too, through the source the topology names for it: a pattern source
        that matched the topic after this task was built."""
        name = self.topology.source_for_topic(topic)
        node = self.nodes.get(name) if name is not None else None
        if node is None:
            raise StreamsException(f"task {self.task_id} has no source for topic {topic}",
                                   task_id=self.task_id, topic=topic)
        self.sources_by_topic[topic] = node
        self.partition_group.add_queue(
            RecordQueue(topic, partition, node.processor, self._on_bad_record))

    def store_names(self) -> list[str]:
        """The (non-global) stores connected to this task's processors, in registration order."""
        return list(self.processor_topology.store_names)

    def initialize(self, processors: bool = True) -> None:
        """Create and open the stores, then ``init`` every processor (Kafka's initializeIfNeeded).

        ``processors=False`` opens the stores only: a standby replica, which restores state
        and never processes (Kafka's StandbyTask).
        """
        if self._initialized:
            return
        cache_off = int(self.config.get(STATESTORE_CACHE_MAX_BYTES_CONFIG)) == 0
        if self.state_manager is not None:
            self.context.cache = getattr(self.state_manager, "cache", None)
        for name in self.store_names():
            builder = self.topology.stores[name].builder
            if cache_off and getattr(builder, "caching_enabled", False):
                builder.with_caching_disabled()
            set_defaults = getattr(builder, "with_serdes_if_unset", None)
            if set_defaults is not None:
                set_defaults(self._default_key_serde, self._default_value_serde)
            store = builder.build()
            self.stores[name] = store
            store.init(self.context, store)
        self._processors_initialized = processors
        for name in self.node_names if processors else ():
            node = self.nodes[name]
            self.context.current_node = node
            try:
                node.init(self.context)
            except StreamsException:
                raise
            except Exception as exc:
                raise StreamsException(f"failed to initialize processor {name}: {exc}",
                                       task_id=self.task_id, processor=name) from exc
        self.context.current_node = None
        self._initialized = True

    def register_store(self, store: Any, restore_callback: Any) -> None:
        if self.state_manager is not None:
            self.state_manager.register(store, restore_callback)

    # ------------------------------------------------------------------ input

    def add_records(self, topic: str, partition: int, records: Iterable[ConsumerRecord]) -> int:
        """Queue raw records of one input partition; returns that partition's queue size."""
        try:
            return self.partition_group.add_records(topic, partition, records)
        except KeyError:
            raise StreamsException(f"task {self.task_id} does not read {topic}-{partition}",
                                   task_id=self.task_id, topic=topic, partition=partition) from None

    def is_processable(self, wall_clock_ms: int) -> bool:
        """Whether to process now: Kafka's ``StreamTask.isProcessable``, i.e. the partition
        group's ``ready_to_process`` (``max.task.idle.ms``), noting when idling started."""
        ready = self.partition_group.ready_to_process(wall_clock_ms)
        if not ready:
            if self.idling_since is None:
                self.idling_since = wall_clock_ms
        else:
            self.idling_since = None
        return ready

    def has_records_queued(self) -> bool:
        return self.partition_group.has_records()

    @property
    def stream_time(self) -> int:
        return self.partition_group.stream_time

    def _on_bad_record(self, queue: RecordQueue, cr: ConsumerRecord, exc: Exception) -> None:
        """A source could not deserialize ``cr``: the deserialization handler decides."""
        self.metrics.deserialization_errors += 1
        source = queue.source.name
        headers = cr.headers if isinstance(cr.headers, Headers) else Headers(cr.headers)
        context = ErrorHandlerContext(cr.topic, cr.partition, cr.offset, headers, source,
                                      self.task_id, cr.timestamp, cr.key, cr.value)
        where = {"task_id": self.task_id, "processor": source, "topic": cr.topic,
                 "partition": cr.partition, "offset": cr.offset}
        handler = self.deserialization_handler
        if self.collector.apply_handler(lambda: handler.handle_error(context, cr, exc),
                                        "deserialization", where):
            return  # the handler logged it
        raise DeserializationException(
            f"Deserialization exception handler is set to fail upon a deserialization error "
            f"({exc}). To skip bad records instead, set deserialization.exception.handler to "
            f"log_and_continue (or errors.dead.letter.queue.topic.name to keep them)",
            **where) from exc

    # ------------------------------------------------------------------ processing

    def process(self, wall_clock_time: int | None = None) -> bool:
        """Process the queued record with the lowest timestamp; False when nothing is queued."""
        stamped = self.partition_group.next_record()
        if stamped is None:
            return False
        record = stamped.record
        ctx = self.context
        ctx.record_context = RecordContext(record.timestamp, stamped.offset, stamped.partition,
                                           stamped.topic, record.headers)
        source = self.sources_by_topic[stamped.topic]
        source.records += 1
        ctx.current_node = source
        self.current_raw = stamped.raw
        try:
            source.process(record)
        except StreamsException as exc:
            if exc.task_id is None:
                exc.task_id = self.task_id
            raise
        finally:
            ctx.current_node = None
            self.current_raw = None
        self.consumed_offsets[(stamped.topic, stamped.partition)] = stamped.offset
        self.metrics.records_processed += 1
        self.commit_needed = True
        return True

    def on_processing_error(self, node: ProcessorNode, record: Record | None,
                            exc: Exception) -> None:
        """A processor (or, with ``record`` None, a punctuator) raised inside ``node``: the
        processing exception handler decides whether to drop the record or fail."""
        self.metrics.processing_errors += 1
        context = self.collector.error_handler_context(node.name)
        where = {"task_id": self.task_id, "processor": node.name, "topic": context.topic,
                 "partition": context.partition, "offset": context.offset}
        if context.topic is None:
            where.update(topic=None, partition=None, offset=None)
        handler = self.processing_handler
        if self.collector.apply_handler(lambda: handler.handle_error(context, record, exc),
                                        "processing", where):
            return  # the handler logged it
        what = str(exc) if isinstance(exc, StreamsException) else f"{type(exc).__name__}: {exc}"
        doing = "process" if record is not None else "punctuate"
        raise StreamsException(f"Exception caught in {doing}: {what}", **where) from exc

    def maybe_punctuate_stream_time(self) -> bool:
        stream_time = self.partition_group.stream_time
        if stream_time == UNKNOWN:
            return False
        fired = self.stream_time_punctuations.maybe_punctuate(stream_time, self._punctuate)
        if fired:
            self.commit_needed = True
        return fired

    def maybe_punctuate_system_time(self) -> bool:
        fired = self.wall_clock_punctuations.maybe_punctuate(self.clock(), self._punctuate)
        if fired:
            self.commit_needed = True
        return fired

    def _punctuate(self, sched: PunctuationSchedule, timestamp: int) -> None:
        ctx = self.context
        prev_node, prev_rc = ctx.current_node, ctx.record_context
        ctx.current_node = sched.node
        ctx.record_context = RecordContext(timestamp, -1, -1, None, Headers())
        self.metrics.punctuations += 1
        try:
            sched.punctuator(timestamp)
        except (StreamsException, TaskMigratedException):
            raise
        except Exception as exc:  # Kafka 4.4 (KIP-1033): punctuators go to the handler too
            self.on_processing_error(sched.node, None, exc)
        finally:
            ctx.current_node, ctx.record_context = prev_node, prev_rc

    # ------------------------------------------------------------------ commit

    def flush_state(self) -> None:
        """Flush caches (forwarding their updates downstream) and stores."""
        if self.state_manager is not None:
            self.state_manager.flush()
        else:
            for store in self.stores.values():
                store.flush()

    def prepare_commit(self) -> dict[tuple[str, int], int]:
        """Flush state and return the offsets to commit: next offset per input partition."""
        self.flush_state()
        return {tp: offset + 1 for tp, offset in self.consumed_offsets.items()}

    def offsets_past_markers(self, committed: Mapping[tuple[str, int], int]
                             ) -> dict[tuple[str, int], int]:
        """Input partitions whose consumer position moved past transaction markers.

        As Kafka's StreamTask does (``commitNeeded`` and its committable offsets), a partition
        with nothing buffered commits the consumer's next offset rather than the last
        processed one + 1: the consumer skips the commit and abort markers of a transactional
        upstream silently, and committing before them would leave a lag of a marker or more
        on a fully processed partition. The commit is then needed even when no record was
        processed since the last one.

        Args:
            committed: the offsets last committed per input partition.
        """
        moved = {}
        for tp, queue in self.partition_group.queues.items():
            if queue.size() > 0:
                continue
            position = self.partition_group.lag_provider.position(*tp)
            if position is None:
                continue
            known = self.consumed_offsets.get(tp)
            known = known + 1 if known is not None else committed.get(tp)
            if known is not None and position > known and position != committed.get(tp):
                moved[tp] = position
        return moved

    def initialize_task_time(self, committed_metadata: Mapping[tuple[str, int], str | None]) -> None:
        """Resume partition times and processor metadata from the metadata committed with
        each input partition's offset (Kafka's initializeTaskTimeAndProcessorMetadata); call
        before ``initialize()``, so processors find their metadata in ``init``."""
        merged = ProcessorMetadata()
        for (topic, partition), text in committed_metadata.items():
            if text is None or (topic, partition) not in self.partition_group.queues:
                continue
            partition_time, metadata = decode_commit_metadata(text)
            self.partition_group.set_partition_time(topic, partition, partition_time)
            merged.update(metadata)
        self.processor_metadata = merged

    def commit_metadata(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
        """The metadata string to commit with each of ``partitions``' offsets: its partition
        time and the processor metadata, in Kafka's format."""
        group = self.partition_group
        return {tp: encode_commit_metadata(group.partition_time(*tp), self.processor_metadata)
                for tp in partitions if tp in group.queues}

    def post_commit(self, changelog_offsets: dict[tuple[str, int], int] | None = None) -> None:
        """After offsets are committed: record changelog offsets, maybe checkpoint them.

        Under at_least_once the local checkpoint is written once the changelogs moved 10,000
        records past the last one (Kafka's rule); under exactly_once_v2 only a clean close
        writes it, so a crash always leaves no checkpoint and the state is rebuilt.
        """
        self.metrics.commits += 1
        self.commit_needed = False
        self.commit_requested = False
        self.processor_metadata.needs_commit = False
        sm = self.state_manager
        if sm is None:
            return
        if self._eos:
            if changelog_offsets:
                sm.update_changelog_offsets(changelog_offsets)
        else:
            sm.maybe_checkpoint(changelog_offsets)

    def close(self, clean: bool = True) -> None:
        """Close processors, then stores; a clean close writes the local checkpoint."""
        for name in self.node_names if self._processors_initialized else ():
            node = self.nodes[name]
            self.context.current_node = node
            try:
                node.close()
            except Exception:
                log.exception("[%s] error closing processor %s", self.task_id, name)
        self.context.current_node = None
        if self.state_manager is not None:
            if clean and self._initialized:
                try:
                    self.state_manager.checkpoint()
                except Exception:
                    log.exception("[%s] could not write the checkpoint at close", self.task_id)
            self.state_manager.close()
        else:
            for store in self.stores.values():
                try:
                    store.close()
                except Exception:
                    log.exception("[%s] error closing store %s", self.task_id, store)
