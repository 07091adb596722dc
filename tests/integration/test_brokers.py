"""The local brokers: Kafka protocol basics on both, transactions on Apache Kafka 4.4,
the state file and resolve_bootstrap, and murmur2 placement by a real producer."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import TIMESTAMP_CREATE_TIME, KafkaException, Producer

from raystreams.broker import (
    KAFKA_VERSION,
    BrokerNotAvailableException,
    KafkaBroker,
    TansuBroker,
    clear_broker_record,
    ensure_kafka_jars,
    find_recorded_broker,
    metadata_answers,
    read_broker_record,
    record_broker,
    resolve_bootstrap,
)
from raystreams.kafka.partitioner import default_partition

pytestmark = pytest.mark.integration

BROKERS = [
    pytest.param("kafka", id="kafka"),
    pytest.param("tansu", id="tansu", marks=pytest.mark.embedded),
]


@pytest.fixture(params=BROKERS)
def bootstrap(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on Apache Kafka 4.4 and once on embedded tansu."""
    name = "kafka_bootstrap" if request.param == "kafka" else "embedded_bootstrap"
    return request.getfixturevalue(name)


def _producer(bootstrap: str, **extra: object) -> Producer:
    return Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                     "linger.ms": 5, **extra})


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _gone(pid: int) -> bool:
    """Whether a process has exited (a zombie not yet reaped counts as exited)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def test_keyed_records_headers_timestamps_and_tombstones(bootstrap, topic_factory,
                                                         consume_all) -> None:
    topic = topic_factory(3, bootstrap=bootstrap)
    base = 1_700_000_000_000
    sent = [
        (b"alice", b"1", [("h1", b"x")], base),
        (b"bob", b"2", [("trace", b"abc"), ("trace", b"def")], base + 1),
        (b"alice", None, None, base + 2),  # tombstone
        (None, b"no-key", [("k", b"")], base + 3),
        (b"carol", b"", None, base + 4),  # empty, not null
    ]
    producer = _producer(bootstrap)
    for key, value, headers, ts in sent:
        producer.produce(topic, key=key, value=value, headers=headers, timestamp=ts)
    assert producer.flush(10) == 0

    got = sorted(consume_all(bootstrap, topic, expected=len(sent)),
                 key=lambda m: m.timestamp()[1])
    assert [(m.key(), m.value(), m.headers(), m.timestamp()) for m in got] == [
        (key, value, headers, (TIMESTAMP_CREATE_TIME, ts)) for key, value, headers, ts in sent]
    keyed = [(m.key(), m.partition()) for m in got if m.key() is not None]
    assert keyed == [(b"alice", default_partition(b"alice", 3)),
                     (b"bob", default_partition(b"bob", 3)),
                     (b"alice", default_partition(b"alice", 3)),
                     (b"carol", default_partition(b"carol", 3))]


def test_murmur2_random_producer_agrees_with_default_partition(bootstrap, topic_factory,
                                                               consume_all) -> None:
    partitions = 7
    topic = topic_factory(partitions, bootstrap=bootstrap)
    rng = random.Random(20260401)
    keys = [f"user-{i}".encode() for i in range(150)]
    keys += [rng.randbytes(rng.randint(1, 40)) for _ in range(150)]
    producer = _producer(bootstrap)
    for i, key in enumerate(keys):
        producer.produce(topic, key=key, value=str(i).encode())
    assert producer.flush(10) == 0

    got = consume_all(bootstrap, topic, expected=len(keys))
    assert len(got) == len(keys)
    placed = {int(m.value()): m.partition() for m in got}
    expected = {i: default_partition(key, partitions) for i, key in enumerate(keys)}
    assert placed == expected
    assert set(placed.values()) == set(range(partitions))


def test_read_committed_sees_only_committed_transactions(kafka_bootstrap, topic_factory,
                                                         consume_all) -> None:
    topic = topic_factory(1)
    producer = _producer(kafka_bootstrap, **{"transactional.id": f"tx-{uuid.uuid4().hex}"})
    producer.init_transactions(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"k", value=b"a")
    producer.produce(topic, key=b"k", value=b"b")
    producer.commit_transaction(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"k", value=b"c")
    producer.produce(topic, key=b"k", value=b"d")
    assert producer.flush(10) == 0  # the aborted records really reach the log
    producer.abort_transaction(30)
    producer.begin_transaction()
    producer.produce(topic, key=b"k", value=b"e")
    producer.commit_transaction(30)

    # Offsets 2, 5 and 7 hold the commit / abort / commit markers.
    committed = consume_all(kafka_bootstrap, topic, isolation="read_committed")
    assert [(m.offset(), m.value()) for m in committed] == [(0, b"a"), (1, b"b"), (6, b"e")]
    everything = consume_all(kafka_bootstrap, topic, isolation="read_uncommitted")
    assert [(m.offset(), m.value()) for m in everything] == [
        (0, b"a"), (1, b"b"), (3, b"c"), (4, b"d"), (6, b"e")]


def test_new_producer_with_same_transactional_id_fences_the_old(kafka_bootstrap,
                                                                 topic_factory,
                                                                 consume_all) -> None:
    topic = topic_factory(1)
    txn_id = f"fence-{uuid.uuid4().hex}"
    old = _producer(kafka_bootstrap, **{"transactional.id": txn_id})
    old.init_transactions(30)
    old.begin_transaction()
    old.produce(topic, value=b"zombie")
    assert old.flush(10) == 0

    new = _producer(kafka_bootstrap, **{"transactional.id": txn_id})
    new.init_transactions(30)  # aborts the old producer's open transaction
    new.begin_transaction()
    new.produce(topic, value=b"fresh")
    new.commit_transaction(30)

    with pytest.raises(KafkaException) as caught:
        old.commit_transaction(10)
    assert caught.value.args[0].fatal()
    got = consume_all(kafka_bootstrap, topic, isolation="read_committed")
    assert [m.value() for m in got] == [b"fresh"]


def test_kafka_broker_logs_to_its_file_and_jars_are_cached(kafka_broker) -> None:
    log_text = kafka_broker.log_path.read_text()
    assert f"Kafka version: {KAFKA_VERSION}" in log_text
    assert "Kafka Server started" in log_text
    started = time.monotonic()
    libs = ensure_kafka_jars()
    assert time.monotonic() - started < 0.5
    names = {p.name for p in libs.iterdir()}
    assert {f"kafka_2.13-{KAFKA_VERSION}.jar", f"kafka-clients-{KAFKA_VERSION}.jar",
            "log4j-slf4j-impl-2.25.5.jar", "slf4j-api-1.7.36.jar"} <= names


def test_kafka_start_failure_reports_the_cause(kafka_broker, tmp_path: Path) -> None:
    # kafka_broker: skip where Java or Maven is missing, like the other Kafka tests.
    broker = KafkaBroker(work_dir=tmp_path / "bad", config={"node.id": "one"})
    with pytest.raises(BrokerNotAvailableException) as caught:
        broker.start()
    assert "Formatting the Kafka log dir failed" in str(caught.value)
    assert caught.value.log_tail.splitlines()[0] == (
        'Exception in thread "main" org.apache.kafka.common.config.ConfigException: '
        "Invalid value one for configuration broker.id: Not a number of type INT")
    assert not broker.is_running()


@pytest.mark.embedded
def test_taken_port_is_reported(embedded_broker) -> None:
    with pytest.raises(BrokerNotAvailableException) as caught:
        TansuBroker(port=embedded_broker.port).start()
    assert str(caught.value) == (f"The tansu broker did not start: port "
                                 f"{embedded_broker.port} is taken.")
    assert metadata_answers(embedded_broker.bootstrap_servers,
                            cluster_id=embedded_broker.cluster_id)


@pytest.mark.embedded
def test_state_file_records_and_finds_a_live_broker(embedded_broker, tmp_path: Path) -> None:
    state = tmp_path / "broker.json"
    assert find_recorded_broker(state) is None
    assert record_broker(embedded_broker, state) == state
    data = json.loads(state.read_text())
    assert (data["bootstrap_servers"], data["kind"], data["pid"], data["owner_pid"],
            data["cluster_id"]) == (embedded_broker.bootstrap_servers, "tansu",
                                    embedded_broker.pid, os.getpid(), embedded_broker.cluster_id)
    assert find_recorded_broker(state) == read_broker_record(state)

    resolved = resolve_bootstrap(None, state_file=state)
    assert (resolved.bootstrap_servers, resolved.source, resolved.kind, resolved.broker) == (
        embedded_broker.bootstrap_servers, "recorded", "tansu", None)
    resolved.close()  # not ours: it keeps running
    assert metadata_answers(embedded_broker.bootstrap_servers)

    assert clear_broker_record(pid=embedded_broker.pid + 1, state_file=state) is False
    assert clear_broker_record(pid=embedded_broker.pid, state_file=state) is True
    assert not state.exists()


@pytest.mark.embedded
def test_stale_record_is_dropped(tmp_path: Path) -> None:
    state = tmp_path / "broker.json"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state.write_text(json.dumps({"bootstrap_servers": "127.0.0.1:1", "kind": "tansu",
                                 "pid": dead.pid, "owner_pid": dead.pid}))
    assert find_recorded_broker(state) is None
    assert not state.exists()


@pytest.mark.embedded
def test_resolve_prefers_config_then_starts_embedded(tmp_path: Path) -> None:
    state = tmp_path / "broker.json"
    given = resolve_bootstrap(" kafka-1:9092,kafka-2:9092 ", state_file=state)
    assert (given.bootstrap_servers, given.source, given.kind, given.broker) == (
        "kafka-1:9092,kafka-2:9092", "config", "external", None)

    with pytest.raises(BrokerNotAvailableException, match="No broker: set bootstrap.servers"):
        resolve_bootstrap(None, start=False, state_file=state)

    with resolve_bootstrap(None, record=True, state_file=state) as started:
        assert (started.source, started.kind) == ("embedded", "tansu")
        broker = started.broker
        assert isinstance(broker, TansuBroker)
        assert started.bootstrap_servers == broker.bootstrap_servers
        assert metadata_answers(started.bootstrap_servers, cluster_id=broker.cluster_id)
        assert read_broker_record(state).pid == broker.pid
        # A second process would now find it instead of starting another.
        again = resolve_bootstrap(None, state_file=state)
        assert (again.source, again.bootstrap_servers) == ("recorded", started.bootstrap_servers)
        pid = broker.pid
    assert not state.exists()
    assert not broker.is_running()
    _wait_until(lambda: _gone(pid), 10, f"tansu pid {pid} to exit")


def _start_foreground(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    env = {**os.environ, "RAYSTREAMS_CACHE_DIR": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "raystreams.broker"], env=env,
                            cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    state = tmp_path / "broker.json"
    try:
        _wait_until(lambda: state.exists() or proc.poll() is not None, 30,
                    "the foreground broker to record itself")
    except AssertionError:
        proc.kill()
        raise
    assert proc.poll() is None, proc.stdout.read()
    return proc, state


@pytest.mark.embedded
def test_foreground_broker_records_itself_and_cleans_up_on_ctrl_c(tmp_path: Path) -> None:
    proc, state = _start_foreground(tmp_path)
    record = read_broker_record(state)
    assert record.kind == "tansu" and record.owner_pid == proc.pid
    assert find_recorded_broker(state) == record
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert f"tansu broker listening on {record.bootstrap_servers}" in out
    assert out.rstrip().endswith("tansu broker stopped")
    assert not state.exists()
    _wait_until(lambda: _gone(record.pid), 10, "tansu to exit")


@pytest.mark.embedded
def test_broker_dies_with_a_killed_owner(tmp_path: Path) -> None:
    proc, state = _start_foreground(tmp_path)
    record = read_broker_record(state)
    proc.kill()
    proc.wait(10)
    _wait_until(lambda: _gone(record.pid), 10, "the orphaned tansu to exit")
    # The record is stale now; the next reader drops it.
    assert find_recorded_broker(state) is None
    assert not state.exists()
    shutil.rmtree(Path(record.log_path).parent)  # a killed owner could not clean up
