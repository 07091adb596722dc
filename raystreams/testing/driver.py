"""TopologyTestDriver: run a Topology in-process, without Kafka or Ray (Kafka's test-utils).

The driver feeds the real StreamTask engine (DESIGN decision 1). As Kafka Streams' driver does,
it runs the whole topology as one task (``0_0``) with every topic as partition 0, commits after
every input record (so caches flush per record), loops records written to internal or source
topics back in before ``pipe_input`` returns, and fires wall-clock punctuation only when
``advance_wall_clock_time`` is called.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from raystreams.config import StreamsConfig
from raystreams.config.keys import (
    APPLICATION_ID_CONFIG,
    EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX,
    EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION,
    STATE_DIR_CONFIG,
)
from raystreams.engine.context import to_millis
from raystreams.engine.lag import ZERO_LAG
from raystreams.engine.records import ConsumerRecord, ProducedRecord
from raystreams.engine.task import StreamTask
from raystreams.errors import NoSuchElementException, StreamsException
from raystreams.processor.api import Headers
from raystreams.query import (
    LocalStoreProvider,
    StateQueryRequest,
    StateQueryResult,
    StoreQueryParameters,
    StoreQueryServer,
    run_state_query,
    store_for,
)
from raystreams.serde import Serde
from raystreams.state.manager import TaskStateManager
from raystreams.state.readonly import QueryableStoreType, QueryableStoreTypes
from raystreams.testing.topics import TestInputTopic, TestOutputTopic, _millis
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

DEFAULT_APPLICATION_ID = "dummy-topology-test-driver-app-id"

class _DriverSender:
    """Keeps what the task's record collector sends, like Kafka's MockProducer."""

    def __init__(self) -> None:
        self.history: list[ProducedRecord] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Headers | None, partition: int | None) -> None:
        self.history.append(ProducedRecord(topic, partition, key, value, timestamp,
                                           Headers(headers) if headers else Headers()))

    def partitions_for(self, topic: str) -> int | None:
        return 1

    def flush(self) -> None:
        pass


class TopologyTestDriver:
    """Pipe records into a topology and read what it writes, synchronously.

    Args:
        topology: what ``StreamsBuilder.build()`` (or the Processor API) made.
        config: Kafka Streams config (dict or StreamsConfig); ``application.id`` defaults to
            ``dummy-topology-test-driver-app-id``.
        initial_wall_clock_time: the mock wall clock's start (ms or datetime); the current
            time by default, as in Kafka's driver.

    Example:
        >>> from raystreams import Serdes, StreamsBuilder
        >>> builder = StreamsBuilder()
        >>> builder.stream("in").map_values(str.upper).to("out")
        >>> with TopologyTestDriver(builder.build()) as driver:
        ...     words = driver.create_input_topic("in", Serdes.String(), Serdes.String())
        ...     upper = driver.create_output_topic("out", Serdes.String(), Serdes.String())
        ...     words.pipe_input("k", "hello")
        ...     upper.read_key_values_to_list()
        [KeyValue(key='k', value='HELLO')]
    """

    def __init__(self, topology: Topology, config: Any = None,
                 initial_wall_clock_time: datetime | int | None = None) -> None:
        props = dict(config.originals() if isinstance(config, StreamsConfig) else (config or {}))
        props.setdefault(APPLICATION_ID_CONFIG, DEFAULT_APPLICATION_ID)
        # as Kafka's driver: no wall-clock throttle on emit-final and outer-join checks
        props.setdefault(EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION, 0)
        props.setdefault(EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX, 0)
        self._own_state_dir = None
        if STATE_DIR_CONFIG not in props:
            self._own_state_dir = tempfile.mkdtemp(prefix="raystreams-ttd-")
            props[STATE_DIR_CONFIG] = self._own_state_dir
        self.config = StreamsConfig(props)
        self.topology = topology
        self.application_id = self.config.get(APPLICATION_ID_CONFIG)
        start = _millis(initial_wall_clock_time)
        self._wall_clock = start if start is not None else int(time.time() * 1000)
        self._collector = _DriverSender()
        self._outputs: dict[str, deque[ProducedRecord]] = {}
        self._offsets: dict[str, int] = {}
        self._closed = False
        self._output_topics: list[TestOutputTopic] = []
        self.task: StreamTask | None = None
        self._global_task = None
        self._build()
        # queries go through the same query server and composite stores as KafkaStreams'
        self._store_provider = LocalStoreProvider(StoreQueryServer(
            "0_0", self.get_all_state_stores, running=lambda: not self._closed,
            position=lambda: self.task.consumed_offsets if self.task is not None else {}))

    # ------------------------------------------------------------------ setup
    def _build(self) -> None:
        top = self.topology
        plan = top.build_topology(self.application_id)
        self._global_topics: dict[str, Any] = {}
        global_stores: dict[str, Any] = {}
        if top.global_stores:
            from raystreams.engine.global_task import GlobalStateTask

            self._global_task = GlobalStateTask(top, self.config, self._collector,
                                                state_dir=self.config.get(STATE_DIR_CONFIG),
                                                clock=self.clock)
            self._global_task.initialize()
            global_stores = self._global_task.stores
            for topic in self._global_task.topics:
                self._global_topics[topic] = self._global_task
        if plan:
            self.task = StreamTask("0_0", top, self.config, self._collector,
                                   processor_topology=plan, partition=0,
                                   state_dir=self.config.get(STATE_DIR_CONFIG), clock=self.clock,
                                   global_stores=global_stores,
                                   state_manager_factory=TaskStateManager.for_task,
                                   lag_provider=ZERO_LAG)
            self.task.initialize()
        self._capture_and_reenqueue()

    def clock(self) -> int:
        return self._wall_clock

    # ------------------------------------------------------------------ topics
    def create_input_topic(self, name: str, key_serde: Serde | None = None,
                           value_serde: Serde | None = None, *,
                           start_timestamp: datetime | int | None = None,
                           auto_advance: timedelta | int | None = None) -> TestInputTopic:
        """An input topic; serdes default to the config's default serdes."""
        self._check_open()
        return TestInputTopic(self, name, key_serde or self.config.default_key_serde(),
                              value_serde or self.config.default_value_serde(),
                              _millis(start_timestamp), _millis(auto_advance) or 0)

    def create_output_topic(self, name: str, key_serde: Serde | None = None,
                            value_serde: Serde | None = None) -> TestOutputTopic:
        """An output topic to read what sinks wrote to ``name``."""
        self._check_open()
        topic = TestOutputTopic(self, name, key_serde or self.config.default_key_serde(),
                                value_serde or self.config.default_value_serde())
        self._output_topics.append(topic)
        return topic

    def producedTopicNames(self) -> set[str]:  # noqa: N802 - Kafka's name, kept for familiarity
        return self.produced_topic_names()

    def produced_topic_names(self) -> set[str]:
        """Every topic something was written to, internal topics included."""
        return set(self._outputs)

    # ------------------------------------------------------------------ piping
    def _task_reads(self, topic: str) -> bool:
        """Whether the task reads ``topic``; a pattern source matching it subscribes to it
        first (Kafka's driver routes a topic a source pattern matches to that source)."""
        task = self.task
        if task is None:
            return False
        if topic in task.sources_by_topic:
            return True
        if topic in self._global_topics or not self.topology.pattern_sources():
            return False
        if self.topology.subscribe_pattern_topics([topic]) or \
                self.topology.source_for_topic(topic) in task.nodes:
            task.add_input_topic(topic, 0)
            return True
        return False

    def _input_topic_known(self, topic: str) -> bool:
        return self._task_reads(topic) or topic in self._global_topics

    def pipe_raw(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
                 headers: Headers | None = None) -> None:
        """Pipe one serialized record, then process everything that became processable."""
        self._check_open()
        if not self._input_topic_known(topic):
            known = sorted(set(self.task.sources_by_topic if self.task else ()) |
                           set(self._global_topics))
            patterns = sorted(p.pattern for p in self.topology.pattern_sources().values())
            reads = ", ".join(known) or "nothing"
            if patterns:
                reads += f"; and topics matching {', '.join(patterns)}"
            raise StreamsException(f"Unknown topic: {topic} (the topology reads: {reads})",
                                   topic=topic)
        if timestamp < 0:
            raise StreamsException(f"timestamp must not be negative, got {timestamp}", topic=topic)
        if self._task_reads(topic):
            self._enqueue(topic, key, value, timestamp, headers)
            self._complete_all_processable_work()
        if topic in self._global_topics:
            self._process_global(topic, key, value, timestamp, headers)

    def _enqueue(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
                 headers: Headers | None) -> None:
        assert self.task is not None
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        self.task.add_records(topic, 0, [ConsumerRecord(topic, 0, offset, timestamp, key, value,
                                                        Headers(headers) if headers else Headers())])

    def _process_global(self, topic: str, key: bytes | None, value: bytes | None,
                        timestamp: int, headers: Headers | None) -> None:
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        self._global_topics[topic].update(ConsumerRecord(topic, 0, offset, timestamp, key, value,
                                                         Headers(headers) if headers else Headers()))
        self._global_topics[topic].flush()
        self._capture_and_reenqueue()

    def _complete_all_processable_work(self) -> None:
        self._capture_and_reenqueue()
        task = self.task
        if task is None:
            return
        # the runtime's rule, with nothing on a broker (zero lag): with max.task.idle.ms > 0 an
        # empty input holds a multi-input task until the wall clock passes its deadline
        while task.has_records_queued() and task.is_processable(self._wall_clock):
            task.process(self._wall_clock)
            task.maybe_punctuate_stream_time()
            self._commit()
            self._capture_and_reenqueue()
        if task.has_records_queued():
            log.info("Due to the max.task.idle.ms configuration, there are currently some "
                     "records that cannot be processed. Advancing wall-clock time or enqueuing "
                     "records on the empty topics will allow Streams to process more.")

    def _commit(self) -> None:
        assert self.task is not None
        self.task.prepare_commit()
        self.task.post_commit(None)

    def _capture_and_reenqueue(self) -> None:
        history = self._collector.history
        if not history:
            return
        self._collector.history = []
        for rec in history:
            self._outputs.setdefault(rec.topic, deque()).append(rec)
            if self._task_reads(rec.topic):
                self._enqueue(rec.topic, rec.key, rec.value, rec.timestamp, rec.headers)
            if rec.topic in self._global_topics:
                self._process_global(rec.topic, rec.key, rec.value, rec.timestamp, rec.headers)

    def advance_wall_clock_time(self, advance: timedelta | int) -> None:
        """Move the mock wall clock forward and fire due wall-clock punctuators (each once)."""
        self._check_open()
        ms = to_millis(advance, "advance")
        if ms < 0:
            raise StreamsException(f"advance must not be negative, got {ms}")
        self._wall_clock += ms
        if self.task is not None:
            self.task.maybe_punctuate_system_time()
            self._commit()
        self._complete_all_processable_work()

    # ------------------------------------------------------------------ reading output
    def _read(self, topic: str) -> ProducedRecord:
        queue = self._outputs.get(topic)
        if not queue:
            raise NoSuchElementException(f"Empty topic: {topic}")
        return queue.popleft()

    def _queue_size(self, topic: str) -> int:
        queue = self._outputs.get(topic)
        return len(queue) if queue else 0

    # ------------------------------------------------------------------ state
    def get_all_state_stores(self) -> dict[str, Any]:
        stores: dict[str, Any] = {}
        if self._global_task is not None:
            stores.update(self._global_task.stores)
        if self.task is not None:
            stores.update(self.task.stores)
        return stores

    def get_state_store(self, name: str) -> Any:
        """The store named ``name`` (read and write, as Kafka's driver gives it), or None."""
        return self.get_all_state_stores().get(name)

    def _typed_store(self, name: str, query_type: QueryableStoreType) -> Any:
        """The store as ``query_type`` accepts it (the interactive-query type check), writable
        as Kafka's driver gives it; a timestamped store asked for plain values gets a facade."""
        store = self.get_state_store(name)
        if store is None:
            return None
        if not query_type.accepts(store):
            kind = getattr(store, "store_kind", type(store).__name__)
            stamped = "timestamped " if getattr(store, "timestamped", False) else ""
            raise StreamsException(f"Store {name} is a {stamped}{kind} store: it cannot be "
                                   f"read as {query_type.name}")
        if query_type.view_class(store) is not query_type._view:  # value-only view
            plain = getattr(store, "plain_view", None)
            return plain() if callable(plain) else store
        return store

    def get_key_value_store(self, name: str) -> Any:
        return self._typed_store(name, QueryableStoreTypes.key_value_store())

    def get_timestamped_key_value_store(self, name: str) -> Any:
        return self._typed_store(name, QueryableStoreTypes.timestamped_key_value_store())

    def get_versioned_key_value_store(self, name: str) -> Any:
        """A versioned store: ``get(key)``, ``get(key, as_of_timestamp)`` give ``VersionedRecord``s."""
        return self._typed_store(name, QueryableStoreTypes.versioned_key_value_store())

    def get_window_store(self, name: str) -> Any:
        return self._typed_store(name, QueryableStoreTypes.window_store())

    def get_timestamped_window_store(self, name: str) -> Any:
        return self._typed_store(name, QueryableStoreTypes.timestamped_window_store())

    def get_session_store(self, name: str) -> Any:
        return self._typed_store(name, QueryableStoreTypes.session_store())

    def store(self, params: StoreQueryParameters) -> Any:
        """A read-only view of a store through the interactive-query path, as
        ``KafkaStreams.store`` gives it (the driver's one task is partition 0)."""
        self._check_open()
        return store_for(self._store_provider, params)

    def query(self, request: StateQueryRequest) -> StateQueryResult:
        """An IQv2 query (Kafka's ``KafkaStreams.query``) of the driver's stores."""
        self._check_open()
        return run_state_query(self._store_provider, request)

    # ------------------------------------------------------------------ lifecycle
    def _check_open(self) -> None:
        if self._closed:
            raise StreamsException("this TopologyTestDriver is closed")

    def close(self) -> None:
        """Close the task and its stores, and remove the driver's own state directory."""
        if self._closed:
            return
        self._closed = True
        if self.task is not None:
            self._commit()
            self._capture_and_reenqueue()
            self.task.close()
        if self._global_task is not None:
            self._global_task.close()
        if self._own_state_dir is not None:
            shutil.rmtree(self._own_state_dir, ignore_errors=True)

    def __enter__(self) -> TopologyTestDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
