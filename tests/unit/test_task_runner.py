"""TaskRunner with fake Kafka clients, for the error paths a real broker cannot produce on
demand (refused records, fencing, fatal and retriable consumer errors, a coordinator moving),
and the pure planning/placement helpers of the runtime."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from raystreams import StreamsBuilder
from raystreams.config import StreamsConfig
from raystreams.errors import (
    MissingSourceTopicException,
    ProductionException,
    StreamsException,
    TaskMigratedException,
    TopologyException,
)
from raystreams.kafka.producer import DeliveryFailure, StreamsProducer
from raystreams.runtime.placement import plan_app, spread
from raystreams.runtime.stream_thread import TaskRunner
from raystreams.runtime.task_state import TaskState


class FakeError:
    def __init__(self, code: int, retriable: bool = False, fatal: bool = False) -> None:
        self._code, self._retriable, self._fatal = code, retriable, fatal

    def code(self) -> int:
        return self._code

    def str(self) -> str:
        return f"error {self._code}"

    def retriable(self) -> bool:
        return self._retriable

    def fatal(self) -> bool:
        return self._fatal

    def txn_requires_abort(self) -> bool:
        return False

    def __str__(self) -> str:
        return self.str()


class FakeMessage:
    def __init__(self, topic, partition, offset, key=None, value=None, error=None, ts=1000):
        self._t, self._p, self._o, self._k, self._v, self._e, self._ts = (
            topic, partition, offset, key, value, error, ts)

    def error(self):
        return self._e

    def topic(self):
        return self._t

    def partition(self):
        return self._p

    def offset(self):
        return self._o

    def key(self):
        return self._k

    def value(self):
        return self._v

    def headers(self):
        return None

    def timestamp(self):
        return (1, self._ts)


class FakeConsumer:
    def __init__(self, batches=(), commit_errors=()):
        self.batches = list(batches)
        self.assigned = []
        self.commits = []
        self.commit_metadata = []
        self.commit_errors = list(commit_errors)
        self.closed = False

    def assign(self, partitions):
        self.assigned = [(tp.topic, tp.partition, tp.offset) for tp in partitions]

    committed_at: dict = {}  # (topic, partition) -> (offset, metadata)

    def committed(self, partitions, timeout=-1):
        from confluent_kafka import TopicPartition

        result = []
        for tp in partitions:
            offset, metadata = self.committed_at.get((tp.topic, tp.partition), (-1001, None))
            result.append(TopicPartition(tp.topic, tp.partition, offset)
                          if metadata is None else
                          TopicPartition(tp.topic, tp.partition, offset, metadata))
        return result

    def consume(self, num_messages=1, timeout=-1):
        return self.batches.pop(0) if self.batches else []

    def commit(self, offsets=None, asynchronous=True):
        if self.commit_errors:
            raise self.commit_errors.pop(0)
        self.commits.append({(tp.topic, tp.partition): tp.offset for tp in offsets})
        self.commit_metadata.append({(tp.topic, tp.partition): tp.metadata for tp in offsets})

    marks: dict = {}
    positions: dict = {}

    def get_watermark_offsets(self, partition, timeout=None, cached=False):
        return self.marks.get((partition.topic, partition.partition), (0, 10))

    def position(self, partitions):
        for tp in partitions:
            tp.offset = self.positions.get((tp.topic, tp.partition), tp.offset)
        return partitions

    def consumer_group_metadata(self):
        return "group-metadata"

    def close(self):
        self.closed = True


class FakeProducer:
    def __init__(self, commit_error=None):
        self.sent = []
        self.transactions = []
        self.commit_error = commit_error
        self.on_flush = None

    def produce(self, topic, value=None, key=None, partition=-1, on_delivery=None,
                timestamp=0, headers=None):
        self.sent.append((topic, key, value))

    def poll(self, timeout=-1):
        return 0

    def flush(self, timeout=-1):
        if self.on_flush:
            self.on_flush()
            self.on_flush = None
        return 0

    def init_transactions(self, timeout=-1):
        self.transactions.append("init")

    def begin_transaction(self):
        self.transactions.append("begin")

    def send_offsets_to_transaction(self, positions, group_metadata, timeout=-1):
        self.transactions.append(("offsets", {(tp.topic, tp.partition): tp.offset
                                              for tp in positions}))
        self.offset_metadata = {(tp.topic, tp.partition): tp.metadata for tp in positions}

    def commit_transaction(self, timeout=-1):
        if self.commit_error is not None:
            raise self.commit_error
        self.transactions.append("commit")

    def abort_transaction(self, timeout=-1):
        self.transactions.append("abort")

    def list_topics(self, topic=None, timeout=-1):
        raise NotImplementedError


def upper_topology():
    builder = StreamsBuilder()
    builder.stream("in").map_values(str.upper).to("out")
    return builder.build()


def make_runner(tmp_path, consumer, producer, **config):
    conf = StreamsConfig({"application.id": "app", "bootstrap.servers": "fake:9092",
                          "state.dir": str(tmp_path), "commit.interval.ms": 0, **config})
    top = upper_topology()
    plan = plan_app(top, conf, lambda topics: {t: 2 for t in topics})
    wrapped = StreamsProducer(producer, transactional=conf.exactly_once, task_id="0_1")
    runner = TaskRunner(plan.task("0_1"), top, conf,
                        consumer_factory=lambda cfg, kind: consumer,
                        producer_factory=lambda cfg, task_id: wrapped,
                        state_manager_factory=None)
    return runner, wrapped


def records(*values, start=0):
    return [FakeMessage("in", 1, start + i, b"k", v.encode()) for i, v in enumerate(values)]


def test_at_least_once_flushes_then_commits_next_offsets(tmp_path):
    consumer, producer = FakeConsumer([records("a", "b")]), FakeProducer()
    runner, _ = make_runner(tmp_path, consumer, producer)
    runner.initialize()
    assert consumer.assigned == [("in", 1, -1001)]  # no committed offset: auto.offset.reset
    assert runner.run_once() == 2
    assert producer.sent == [("out", b"k", b"A"), ("out", b"k", b"B")]
    assert consumer.commits == [{("in", 1): 2}]
    runner.close()
    assert runner.state is TaskState.CLOSED and consumer.closed


def test_exactly_once_sends_offsets_with_the_transaction(tmp_path):
    consumer, producer = FakeConsumer([records("a")]), FakeProducer()
    runner, _ = make_runner(tmp_path, consumer, producer,
                            **{"processing.guarantee": "exactly_once_v2"})
    runner.initialize()
    runner.run_once()
    assert producer.transactions == ["init", "begin", ("offsets", {("in", 1): 1}), "commit"]
    assert consumer.commits == []  # offsets go through the transaction only


def test_commit_moves_past_transaction_markers_the_consumer_skipped(tmp_path):
    # a transactional upstream: offsets 0, 1 hold records, 2 its commit marker, which the
    # consumer skips (its position is 3); Kafka's StreamTask commits the position
    consumer, producer = FakeConsumer([records("a", "b"), []]), FakeProducer()
    consumer.positions = {("in", 1): 3}
    runner, _ = make_runner(tmp_path, consumer, producer,
                            **{"processing.guarantee": "exactly_once_v2"})
    runner.initialize()
    runner.run_once()
    assert producer.transactions[-2:] == [("offsets", {("in", 1): 3}), "commit"]
    runner.run_once()  # nothing new: no empty transaction
    assert producer.transactions[-2:] == [("offsets", {("in", 1): 3}), "commit"]
    consumer.positions = {("in", 1): 5}  # a later marker alone still moves the commit
    runner.run_once()
    assert producer.transactions[-3:] == ["begin", ("offsets", {("in", 1): 5}), "commit"]
    assert runner.metrics.committed == {"in-1": 5}


def test_a_restart_resumes_partition_time_from_the_committed_metadata(tmp_path):
    from raystreams.engine.commit_metadata import ProcessorMetadata, decode, encode

    consumer, producer = FakeConsumer([records("a", start=5)]), FakeProducer()
    consumer.committed_at = {("in", 1): (5, encode(4000, ProcessorMetadata({"store": 7})))}
    runner, _ = make_runner(tmp_path, consumer, producer)
    runner.initialize()
    assert consumer.assigned == [("in", 1, 5)]
    assert runner.task.stream_time == 4000  # before any record: where the last run left it
    assert runner.task.processor_metadata.get("store") == 7
    runner.run_once()  # a record at 1000: older, so partition time stays 4000
    assert decode(consumer.commit_metadata[-1][("in", 1)]) == (4000, ProcessorMetadata({"store": 7}))


def test_exactly_once_commits_the_metadata_with_the_transaction(tmp_path):
    from raystreams.engine.commit_metadata import ProcessorMetadata, decode

    consumer, producer = FakeConsumer([records("a")]), FakeProducer()
    runner, _ = make_runner(tmp_path, consumer, producer,
                            **{"processing.guarantee": "exactly_once_v2"})
    runner.initialize()
    runner.run_once()
    assert decode(producer.offset_metadata[("in", 1)]) == (1000, ProcessorMetadata())


def test_refused_record_fails_the_task_by_default(tmp_path):
    consumer, producer = FakeConsumer([records("a")]), FakeProducer()
    runner, wrapped = make_runner(tmp_path, consumer, producer)
    runner.initialize()
    producer.on_flush = lambda: wrapped.failures.append(
        DeliveryFailure(FakeError(KafkaError.MSG_SIZE_TOO_LARGE), "out", 0))
    with pytest.raises(ProductionException, match="out") as info:
        runner.run_once()
    assert info.value.task_id == "0_1"
    assert consumer.commits == []  # nothing committed past a lost record


def test_refused_record_is_skipped_with_the_continue_handler(tmp_path):
    consumer, producer = FakeConsumer([records("a")]), FakeProducer()
    runner, wrapped = make_runner(tmp_path, consumer, producer,
                                  **{"production.exception.handler": "continue"})
    runner.initialize()
    producer.on_flush = lambda: wrapped.failures.append(
        DeliveryFailure(FakeError(KafkaError.MSG_SIZE_TOO_LARGE), "out", 0))
    runner.run_once()
    assert consumer.commits == [{("in", 1): 1}]
    assert runner.snapshot()["production_errors"] == 1


def test_fenced_producer_becomes_task_migrated(tmp_path):
    fenced = KafkaException(FakeError(KafkaError._FENCED, fatal=True))
    consumer, producer = FakeConsumer([records("a")]), FakeProducer(commit_error=fenced)
    runner, _ = make_runner(tmp_path, consumer, producer,
                            **{"processing.guarantee": "exactly_once_v2"})
    runner.initialize()
    with pytest.raises(TaskMigratedException, match="fenced"):
        runner.run_once()
    runner.close(clean=False)
    assert runner.state is TaskState.FAILED


def test_fatal_consumer_error_fails_and_retriable_one_does_not(tmp_path):
    retriable = FakeMessage("in", 1, -1, error=FakeError(KafkaError._TRANSPORT, retriable=True))
    fatal = FakeMessage("in", 1, -1, error=FakeError(KafkaError.TOPIC_AUTHORIZATION_FAILED))
    consumer, producer = FakeConsumer([[retriable], [fatal]]), FakeProducer()
    runner, _ = make_runner(tmp_path, consumer, producer)
    runner.initialize()
    assert runner.run_once() == 0
    with pytest.raises(StreamsException, match="consumer error") as info:
        runner.run_once()
    assert (info.value.topic, info.value.partition) == ("in", 1)


def test_commit_retries_while_the_coordinator_moves(tmp_path):
    moved = KafkaException(FakeError(KafkaError.NOT_COORDINATOR, retriable=True))
    consumer = FakeConsumer([records("a")], commit_errors=[moved])
    runner, _ = make_runner(tmp_path, consumer, FakeProducer())
    runner.initialize()
    runner.run_once()
    assert consumer.commits == [{("in", 1): 1}]
    assert runner.state is TaskState.RUNNING


def test_query_rejects_writes(tmp_path):
    runner, _ = make_runner(tmp_path, FakeConsumer(), FakeProducer())
    runner.initialize()
    from raystreams.state import QueryableStoreTypes

    with pytest.raises(Exception, match="'put' is not a query of key_value_store"):
        runner.queries.call("any", QueryableStoreTypes.key_value_store(), "put", ("k", "v"))


# ------------------------------------------------------------------ planning and placement


def test_plan_sizes_repartition_topics_by_their_writer():
    builder = StreamsBuilder()
    builder.stream("text").group_by(lambda k, v: v).count().to_stream().to("counts")
    top = builder.build()
    conf = StreamsConfig({"application.id": "wc"})
    plan = plan_app(top, conf, lambda topics: {t: 4 for t in topics})
    assert [t.task_id for t in plan.tasks] == [f"{s}_{p}" for s in (0, 1) for p in range(4)]
    kinds = {s.kind: s for s in plan.internal_topics}
    assert kinds["repartition"].partitions == 4
    assert kinds["repartition"].configs["cleanup.policy"] == "delete"
    assert kinds["changelog"].partitions == 4
    assert kinds["changelog"].configs["cleanup.policy"] == "compact"
    assert plan.task("1_2").consumer_partitions == ((kinds["repartition"].name, 2),)


def test_plan_names_missing_source_topics():
    with pytest.raises(MissingSourceTopicException, match="in"):
        plan_app(upper_topology(), StreamsConfig({"application.id": "a"}), lambda t: {})


def test_plan_rejects_non_copartitioned_join_inputs():
    builder = StreamsBuilder()
    left, right = builder.table("left"), builder.table("right")
    left.join(right, lambda a, b: a + b).to_stream().to("out")
    counts = {"left": 3, "right": 2}
    with pytest.raises(TopologyException, match=r"left \(3 partitions\).*right \(2 partitions\)"):
        plan_app(builder.build(), StreamsConfig({"application.id": "a"}),
                 lambda topics: {t: counts[t] for t in topics})


def test_spread_balances_and_keeps_tasks_in_place():
    tasks = ["0_0", "0_1", "0_2", "1_0", "1_1", "1_2"]
    assert spread(tasks, []) == {}
    one = spread(tasks, ["a"])
    assert set(one.values()) == {"a"}
    two = spread(tasks, ["a", "b"], one)
    assert sorted(list(two.values()).count(n) for n in "ab") == [3, 3]
    assert sum(1 for t in tasks if two[t] == "a") == 3  # only the needed half moved
    three = spread(tasks, ["a", "b", "c"], two)
    assert sorted(list(three.values()).count(n) for n in "abc") == [2, 2, 2]
    assert sum(1 for t in tasks if three[t] != two[t]) == 2


# ------------------------------------------------------------------ max.task.idle.ms (KIP-695)


def merge_runner(tmp_path, consumer, producer, **config):
    builder = StreamsBuilder()
    builder.stream("a").merge(builder.stream("b")).to("out")
    top = builder.build()
    conf = StreamsConfig({"application.id": "app", "bootstrap.servers": "fake:9092",
                          "state.dir": str(tmp_path), "commit.interval.ms": 0, **config})
    plan = plan_app(top, conf, lambda topics: {t: 1 for t in topics})
    runner = TaskRunner(plan.task("0_0"), top, conf, consumer_factory=lambda cfg, kind: consumer,
                        producer_factory=lambda cfg, tid: StreamsProducer(producer, task_id=tid),
                        state_manager_factory=None)
    runner.initialize()
    return runner


def msg(topic, offset, value, ts):
    return FakeMessage(topic, 0, offset, b"k", value.encode(), ts=ts)


def test_an_empty_partition_with_lag_blocks_until_its_records_arrive(tmp_path):
    consumer, producer = FakeConsumer([[msg("a", 0, "a2", 2)], [msg("b", 0, "b1", 1)]]), \
        FakeProducer()
    consumer.marks = {("a", 0): (0, 1), ("b", 0): (0, 1)}
    consumer.positions = {("a", 0): 1, ("b", 0): 0}  # b's record is on the broker
    runner = merge_runner(tmp_path, consumer, producer)
    assert runner.run_once() == 0  # waits for b rather than process a out of order
    consumer.positions = {("a", 0): 1, ("b", 0): 1}
    assert runner.run_once() == 2
    assert [v for _, _, v in producer.sent] == [b"b1", b"a2"]  # timestamp order


def test_an_empty_partition_known_caught_up_does_not_block(tmp_path):
    consumer, producer = FakeConsumer([[msg("a", 0, "a1", 1)]]), FakeProducer()
    consumer.marks = {("a", 0): (0, 1), ("b", 0): (0, 0)}
    consumer.positions = {("a", 0): 1, ("b", 0): 0}  # b: zero lag
    runner = merge_runner(tmp_path, consumer, producer)
    assert runner.run_once() == 1


def test_max_task_idle_ms_waits_for_a_caught_up_partition(tmp_path):
    consumer, producer = FakeConsumer([[msg("a", 0, "a1", 1)]]), FakeProducer()
    consumer.marks = {("a", 0): (0, 1), ("b", 0): (0, 0)}
    consumer.positions = {("a", 0): 1, ("b", 0): 0}
    runner = merge_runner(tmp_path, consumer, producer, **{"max.task.idle.ms": 60_000})
    assert runner.run_once() == 0


def test_max_task_idle_ms_minus_one_never_waits(tmp_path):
    consumer, producer = FakeConsumer([[msg("a", 0, "a1", 1)]]), FakeProducer()
    consumer.marks = {("b", 0): (0, 5)}
    consumer.positions = {("b", 0): 0}  # lag 5, but -1 disables waiting
    runner = merge_runner(tmp_path, consumer, producer, **{"max.task.idle.ms": -1})
    assert runner.run_once() == 1


def test_a_partition_that_never_had_records_does_not_block(tmp_path):
    consumer, producer = FakeConsumer([[msg("a", 0, "a1", 1)]]), FakeProducer()
    consumer.marks = {("a", 0): (0, 1), ("b", 0): (0, 0)}
    consumer.positions = {("a", 0): 1, ("b", 0): -1001}  # b: no position yet, but empty
    runner = merge_runner(tmp_path, consumer, producer)
    assert runner.run_once() == 1


def test_lag_unknown_before_the_first_fetch_blocks(tmp_path):
    consumer, producer = FakeConsumer([[msg("a", 0, "a1", 1)]]), FakeProducer()
    consumer.marks = {("a", 0): (0, 1), ("b", 0): (-1001, -1001)}
    consumer.positions = {("a", 0): 1, ("b", 0): -1001}
    runner = merge_runner(tmp_path, consumer, producer)
    assert runner.run_once() == 0


def test_stores_are_not_queryable_before_the_task_runs(tmp_path):
    from raystreams.errors import StateStoreNotAvailableException
    from raystreams.state import QueryableStoreTypes

    runner, _ = make_runner(tmp_path, FakeConsumer(), FakeProducer())
    with pytest.raises(StateStoreNotAvailableException, match="not open yet"):
        runner.queries.call("any", QueryableStoreTypes.key_value_store(), "get", ("k",))


# ------------------------------------------------------------------ KafkaStreams without Ray


def test_kafka_streams_lifecycle_checks_without_ray(tmp_path):
    from raystreams import KafkaStreams
    from raystreams.errors import IllegalStateException
    from raystreams.runtime.kafka_streams import State

    streams = KafkaStreams(upper_topology(), {"application.id": "life",
                                              "state.dir": str(tmp_path)}, out=None)
    assert streams.state() is State.CREATED
    (tmp_path / "life" / "0_0").mkdir(parents=True)
    (tmp_path / "standby-0" / "life" / "0_0").mkdir(parents=True)
    (tmp_path / "standby-0" / "other-app").mkdir(parents=True)
    streams.cleanup()
    assert not (tmp_path / "life").exists()
    assert not (tmp_path / "standby-0" / "life").exists()  # its standby copies too
    assert (tmp_path / "standby-0" / "other-app").exists()
    with pytest.raises(IllegalStateException, match="not running"):
        streams.tasks()
    assert streams.close() is True
    assert streams.state() is State.NOT_RUNNING
    with pytest.raises(IllegalStateException, match="CREATED"):
        streams.set_state_listener(lambda new, old: None)
    with pytest.raises(TypeError, match="Topology"):
        KafkaStreams("not a topology", {"application.id": "x"})


def test_hung_task_error_names_the_record_and_shows_the_stuck_stack():
    import threading

    from raystreams.runtime.task_actor import hung_task_error

    release = threading.Event()

    def stuck_in_user_code():
        release.wait(30)

    thread = threading.Thread(target=stuck_in_user_code, daemon=True)
    thread.start()
    try:
        err = hung_task_error("0_1", {"processor": "p", "topic": "in", "partition": 1,
                                      "offset": 7}, 3000, thread)
    finally:
        release.set()
    assert (err.task_id, err.processor, err.topic, err.partition, err.offset) == (
        "0_1", "p", "in", 1, 7)
    assert "max.poll.interval.ms (3000 ms)" in str(err)
    assert "processing record in-1@7" in str(err)
    assert "stuck_in_user_code" in str(err)


def test_run_once_marks_the_loop_busy(tmp_path):
    consumer, producer = FakeConsumer([records("a")]), FakeProducer()
    runner, _ = make_runner(tmp_path, consumer, producer)
    runner.initialize()
    seen = []
    original = runner._run_once
    runner._run_once = lambda: seen.append(runner.busy_since) or original()
    runner.run_once()
    assert seen[0] is not None and runner.busy_since is None
    assert runner.max_poll_interval_ms == 300_000
    assert runner.where() == {"processor": None, "topic": None, "partition": None,
                              "offset": None}
