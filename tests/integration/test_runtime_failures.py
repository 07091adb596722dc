"""Failures on Kafka 4.4 and Ray: a killed task actor (at_least_once), a SIGKILL with an open
transaction and a fenced producer (exactly_once_v2), a processing error under exactly_once_v2,
a killed supervisor. Input is keyed by word, so the count runs in one sub-topology whose task
``0_p`` owns the words of partition ``p``.
"""

from __future__ import annotations

import collections
import os
import signal
from pathlib import Path

import pytest
from confluent_kafka import KafkaException, Producer
from conftest import consume_all, key_value, wait_for

from raystreams import Materialized, Produced, Serdes, StreamsBuilder
from raystreams.kafka.partitioner import default_partition
from raystreams.runtime.kafka_streams import State, StreamThreadExceptionResponse

pytestmark = pytest.mark.integration

STORE = "counts"
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu"]


class FailOnce:
    """A value mapper that raises on ``"boom"`` the first time it sees it (a marker file)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self, value: str) -> str:
        if value == "boom" and not os.path.exists(self.marker):
            Path(self.marker).touch()
            raise ValueError("boom: a processing error, raised once")
        return value


def count_topology(source: str, sink: str, mapper=None):
    builder = StreamsBuilder()
    stream = builder.stream(source)
    if mapper is not None:
        stream = stream.map_values(mapper)
    (stream.group_by_key().count(Materialized.as_(STORE))
        .to_stream().to(sink, Produced.with_(Serdes.String(), Serdes.Long())))
    return builder.build()


def words(n: int, offset: int = 0) -> list[str]:
    return [WORDS[(i * 7 + offset) % len(WORDS)] for i in range(n)]


def produce(bootstrap: str, topic: str, keys: list[str], value: str | None = None) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                         "linger.ms": 5})
    for key in keys:
        producer.produce(topic, key=key.encode(), value=(value or key).encode())
    producer.flush(30)


def part_of(word: str) -> int:
    return default_partition(word.encode(), 3)


def output(bootstrap: str, sink: str, isolation: str) -> list[tuple[str, int, int]]:
    long = Serdes.Long()
    return [(m.key().decode(), long.deserialize(sink, m.value()), m.partition())
            for m in consume_all(bootstrap, sink, timeout=10, isolation=isolation)]


def final(records) -> dict[str, int]:
    return {w: n for w, n, _ in records}


def assert_each_count_once(records) -> None:
    per_word: dict[str, list[int]] = collections.defaultdict(list)
    for word, n, _ in records:
        per_word[word].append(n)
    for word, values in per_word.items():
        assert values == list(range(1, len(values) + 1)), (word, values)


def task_metrics(streams, task_id: str) -> dict:
    return streams.metrics()["tasks"][task_id]


def test_exactly_once_after_sigkill_with_open_transaction(kafka_bootstrap, topic_factory,
                                                          streams_factory, app_id, ray_session):
    source, sink = topic_factory(3, prefix="words"), topic_factory(3, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "processing.guarantee": "exactly_once_v2", "commit.interval.ms": 5000,
              "statestore.cache.max.bytes": 0, "producer.linger.ms": 5}
    # a producer with task 0_1's transactional.id, made before the app starts: the task fences it
    zombie = Producer({"bootstrap.servers": kafka_bootstrap,
                       "transactional.id": f"{app_id}-0_1"})
    zombie.init_transactions(30)
    streams = streams_factory(count_topology(source, sink), config)
    streams.wait_until_running(60)
    with pytest.raises(KafkaException, match="(?i)fenc|epoch"):
        zombie.begin_transaction()
        zombie.produce(sink, key=b"zombie", value=b"x")
        zombie.commit_transaction(30)

    part0, part1, part2 = words(120), words(60, 3), words(90, 5)
    in_p1 = [w for w in part0 if part_of(w) == 1]
    produce(kafka_bootstrap, source, part0)
    truth0 = collections.Counter(part0)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed")) == dict(truth0),
             90, 0.3, "part 0 committed")
    # part 1: wait until task 0_1's output is flushed into its open transaction, then SIGKILL
    for _ in range(5):
        commits = task_metrics(streams, "0_1")["commits"]
        produce(kafka_bootstrap, source, part1)
        want = len(in_p1) + sum(1 for w in part1 if part_of(w) == 1)
        wait_for(lambda want=want: sum(1 for _, _, p in output(kafka_bootstrap, sink,
                                                               "read_uncommitted")
                                       if p == 1) >= want, 30, 0.1, "part 1 flushed uncommitted")
        pid = ray_session.get(streams.task_handles()["0_1"].pid.remote())
        if task_metrics(streams, "0_1")["commits"] == commits:
            os.kill(pid, signal.SIGKILL)
            break
        part0 = part0 + part1  # committed meanwhile: try again with more input
        in_p1 = [w for w in part0 if part_of(w) == 1]
    else:
        pytest.fail("task 0_1 committed within every attempt to catch its transaction open")
    wait_for(lambda: streams.tasks()["0_1"]["incarnation"] >= 1
             and streams.tasks()["0_1"]["runner_state"] == "RUNNING", 60, 0.2, "0_1 replaced")
    produce(kafka_bootstrap, source, part2)
    everything = collections.Counter(part0 + part1 + part2)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed")) == dict(everything),
             90, 0.3, "all counts committed")
    replaced = task_metrics(streams, "0_1")
    assert replaced["incarnation"] == 1
    # the replacement restored the committed changelog of part 0 (cache off: one record each)
    changelog = f"{app_id}-{STORE}-changelog"
    committed_changelog = [m for m in consume_all(kafka_bootstrap, changelog, timeout=10,
                                                  isolation="read_committed")
                           if m.partition() == 1]
    assert replaced["records_restored"] > 0
    assert replaced["records_restored"] <= len(committed_changelog)
    store = streams.store(key_value(STORE))
    for word in {w for w in everything if part_of(w) == 1}:
        assert store.get(word) == everything[word]
    streams.close(30)

    committed = output(kafka_bootstrap, sink, "read_committed")
    assert final(committed) == dict(everything)
    assert_each_count_once(committed)  # no aborted record is visible
    uncommitted = output(kafka_bootstrap, sink, "read_uncommitted")
    assert len(uncommitted) > len(committed), "the killed transaction had flushed output"


def test_processing_error_under_eos_aborts_and_restarts(kafka_bootstrap, topic_factory,
                                                        streams_factory, app_id, tmp_path):
    source, sink = topic_factory(3, prefix="words"), topic_factory(3, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "processing.guarantee": "exactly_once_v2", "commit.interval.ms": 200,
              "statestore.cache.max.bytes": 0}
    marker = str(tmp_path / "boom-raised")
    streams = streams_factory(count_topology(source, sink, FailOnce(marker)), config,
                              start=False)
    seen: list[BaseException] = []

    def handler(exc: BaseException):
        seen.append(exc)
        return StreamThreadExceptionResponse.REPLACE_THREAD

    streams.set_uncaught_exception_handler(handler)
    streams.start()
    streams.wait_until_running(60)
    part0 = words(90)
    produce(kafka_bootstrap, source, part0)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed"))
             == dict(collections.Counter(part0)), 60, 0.3, "part 0 committed")
    boom_word = "beta"
    produce(kafka_bootstrap, source, [boom_word], value="boom")
    part1 = words(60, 2)
    produce(kafka_bootstrap, source, part1)
    everything = collections.Counter(part0 + part1 + [boom_word])
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed")) == dict(everything),
             90, 0.3, "counts after the failure")
    failed_task = f"0_{part_of(boom_word)}"
    tasks = streams.tasks()
    assert tasks[failed_task]["restarts"] == 1
    assert "boom" in tasks[failed_task]["last_error"]
    assert all(t["restarts"] == 0 for tid, t in tasks.items() if tid != failed_task)
    wait_for(lambda: seen, 10, 0.1, "the uncaught exception handler was called")
    assert "boom" in str(seen[0])
    # the task's own exception crossed the actor hops with its fields
    assert (seen[0].topic, seen[0].partition) == (source, part_of(boom_word))
    assert seen[0].processor is not None and seen[0].offset is not None
    assert_each_count_once(output(kafka_bootstrap, sink, "read_committed"))
    assert streams.state() is State.RUNNING


def test_killed_task_actor_loses_nothing_at_least_once(kafka_bootstrap, topic_factory,
                                                        streams_factory, app_id, ray_session,
                                                        admin_factory):
    source, sink = topic_factory(3, prefix="words"), topic_factory(3, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 1000, "statestore.cache.max.bytes": 0}
    streams = streams_factory(count_topology(source, sink), config)
    streams.wait_until_running(60)
    part1, part2 = words(300), words(200, 4)
    produce(kafka_bootstrap, source, part1)
    n_p1 = sum(1 for w in part1 if part_of(w) == 1)
    wait_for(lambda: task_metrics(streams, "0_1")["records_processed"] >= n_p1, 60, 0.1,
             "part 1 processed")
    ray_session.kill(streams.task_handles()["0_1"])  # mid-stream: no clean commit
    produce(kafka_bootstrap, source, part2)
    everything = collections.Counter(part1 + part2)

    def at_least_truth():
        counts = final(output(kafka_bootstrap, sink, "read_uncommitted"))
        return all(counts.get(w, 0) >= n for w, n in everything.items()) and counts

    wait_for(at_least_truth, 90, 0.3, "every count at least the truth")
    replaced = task_metrics(streams, "0_1")
    assert replaced["incarnation"] == 1
    # the replacement re-read partition 1 from its last committed offset C; the store held
    # the effect of offsets [C, X) already, so those words count twice, for some X
    start = replaced["first_offsets"][f"{source}-1"]
    records_p1 = [(m.offset(), m.key().decode()) for m in
                  consume_all(kafka_bootstrap, source, timeout=10) if m.partition() == 1]
    records_p1.sort()
    wait_for(lambda: task_metrics(streams, "0_1")["records_processed"]
             >= len(records_p1) - start, 60, 0.1, "replacement caught up")
    counts = {w: n for w, n in final(output(kafka_bootstrap, sink, "read_uncommitted")).items()
              if part_of(w) == 1}
    truth_p1 = {w: n for w, n in everything.items() if part_of(w) == 1}
    extra = {w: counts[w] - truth_p1[w] for w in truth_p1}
    matches = []
    for end in range(start, len(records_p1) + 1):
        dup = collections.Counter(w for off, w in records_p1 if start <= off < end)
        if all(extra[w] == dup.get(w, 0) for w in truth_p1):
            matches.append(end)
    assert matches, f"duplicates {extra} are not a replay of partition 1 from offset {start}"
    for word in set(everything) - set(truth_p1):  # other tasks were not disturbed
        assert final(output(kafka_bootstrap, sink, "read_uncommitted"))[word] == everything[word]


def test_killed_supervisor_reattaches_and_processing_goes_on(kafka_bootstrap, topic_factory,
                                                             streams_factory, app_id,
                                                             ray_session):
    source, sink = topic_factory(3, prefix="words"), topic_factory(3, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 300}
    streams = streams_factory(count_topology(source, sink), config)
    streams.wait_until_running(60)
    # one restart of 0_1 before the supervisor dies: its successor must still count it
    first = streams.tasks()["0_1"]["incarnation"]
    ray_session.kill(streams.task_handles()["0_1"])
    wait_for(lambda: streams.tasks()["0_1"]["incarnation"] == first + 1
             and streams.tasks()["0_1"]["runner_state"] == "RUNNING", 60, 0.2, "0_1 replaced")
    before = {tid: t["incarnation"] for tid, t in streams.tasks().items()}
    part1, part2 = words(100), words(100, 1)
    produce(kafka_bootstrap, source, part1)
    ray_session.kill(streams.supervisor, no_restart=False)  # Ray restarts it; it reattaches
    produce(kafka_bootstrap, source, part2)
    everything = dict(collections.Counter(part1 + part2))
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_uncommitted")) == everything,
             90, 0.3, "all counts after the supervisor was killed")
    tasks = wait_for(lambda: streams.tasks(), 30, 0.2, "the restarted supervisor answers")
    assert {tid: t["incarnation"] for tid, t in tasks.items()} == before
    assert {tid: t["restarts"] for tid, t in tasks.items()} == {"0_0": 0, "0_1": 1, "0_2": 0}
    # the reattached supervisor still restarts a task that dies
    ray_session.kill(streams.task_handles()["0_0"])
    wait_for(lambda: streams.tasks()["0_0"]["incarnation"] == before["0_0"] + 1
             and streams.tasks()["0_0"]["runner_state"] == "RUNNING", 60, 0.2, "0_0 replaced")


class AlwaysFail:
    """A value mapper that raises on ``"poison"`` every time."""

    def __call__(self, value: str) -> str:
        if value == "poison":
            raise ValueError("poison pill")
        return value


def test_too_many_restarts_fail_the_app_with_the_cause(kafka_bootstrap, topic_factory,
                                                       streams_factory, app_id):
    source, sink = topic_factory(1, prefix="words"), topic_factory(1, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "task.max.restarts": 1, "task.restart.window.ms": 600_000}
    streams = streams_factory(count_topology(source, sink, AlwaysFail()), config, start=False)
    transitions: list[tuple[str, str]] = []
    streams.set_state_listener(lambda new, old: transitions.append((str(old), str(new))))
    streams.start()
    produce(kafka_bootstrap, source, ["alpha"], value="poison")
    wait_for(lambda: streams.state() is State.ERROR, 90, 0.2, "the app in ERROR")
    status = streams.status()
    assert status["state"] == "ERROR"
    assert "task 0_0 failed 2 times" in status["error"] and "poison pill" in status["error"]
    task = status["tasks"]["0_0"]
    assert task["state"] == "FAILED" and task["restarts"] == 2
    assert transitions[0] == ("CREATED", "REBALANCING")
    assert transitions[-1] == ("PENDING_ERROR", "ERROR")
    assert streams.close(10) is not None
    assert streams.state() is State.ERROR
