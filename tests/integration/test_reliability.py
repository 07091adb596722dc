"""Faults on Apache Kafka 4.4 and real Ray (issue 14), one short test each: bad records and the
dead-letter topic (deserialization, processing, production), an unreachable broker, SIGTERM of
``raystreams run`` joined to a cluster through ``RAY_ADDRESS``, committed offsets deleted by
retention, and a corrupt state directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from conftest import consume_all, wait_for

from raystreams import KafkaStreams, Materialized, Produced, Serdes, StreamsBuilder
from raystreams.errors import BrokerNotAvailableException
from raystreams.runtime.kafka_streams import State

pytestmark = pytest.mark.integration

RAYSTREAMS = [sys.executable, "-m", "raystreams.cli"]


def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for key, value in records:
        producer.produce(topic, key=key, value=value)
    producer.flush(30)


def headers_of(message) -> dict[str, bytes]:
    return dict(message.headers() or [])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def committed(bootstrap: str, group: str, topic: str, partitions: int = 1) -> list[int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return [tp.offset for tp in tps]
    finally:
        consumer.close()


def explode_on_13(value: int) -> int:
    if value == 13:
        raise ValueError("unlucky 13")
    return value * 10


def test_bad_records_are_skipped_and_dead_lettered(kafka_bootstrap, topic_factory,
                                                   streams_factory, app_id):
    source, sink = topic_factory(1, prefix="nums"), topic_factory(1, prefix="out")
    dlq = f"{app_id}-dlq"  # missing: the runtime creates it
    builder = StreamsBuilder()
    (builder.stream(source).map_values(explode_on_13)
        .to(sink, Produced.with_(Serdes.String(), Serdes.Long())))
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "default.value.serde": Serdes.Long(), "commit.interval.ms": 200,
              "deserialization.exception.handler": "log_and_continue",
              "processing.exception.handler": "log_and_continue",
              "errors.dead.letter.queue.topic.name": dlq}
    streams = streams_factory(builder.build(), config)
    streams.wait_until_running(60)
    long = Serdes.Long()
    good = [(f"k{i}".encode(), long.serialize(source, i)) for i in range(10)]
    produce(kafka_bootstrap, source, [*good[:4], (b"bad", b"\x01\x02"),
                                      (b"thirteen", long.serialize(source, 13)), *good[4:]])
    out = consume_all(kafka_bootstrap, sink, expected=10, timeout=60)
    assert [long.deserialize(sink, m.value()) for m in out] == [i * 10 for i in range(10)]
    dead = consume_all(kafka_bootstrap, dlq, expected=2, timeout=30)
    assert [(m.key(), m.value()) for m in dead] == [(b"bad", b"\x01\x02"),
                                                   (b"thirteen", long.serialize(source, 13))]
    deser, proc = headers_of(dead[0]), headers_of(dead[1])
    assert deser["__streams.errors.exception"] == b"raystreams.errors.SerializationException"
    assert proc["__streams.errors.exception"] == b"ValueError"
    assert proc["__streams.errors.message"] == b"unlucky 13"
    assert b"explode_on_13" in proc["__streams.errors.stacktrace"]
    assert [(h["__streams.errors.topic"], h["__streams.errors.partition"],
             h["__streams.errors.offset"]) for h in (deser, proc)] == [
        (source.encode(), b"0", b"4"), (source.encode(), b"0", b"5")]
    wait_for(lambda: streams.metrics()["tasks"]["0_0"]["dropped-records-total"] == 2, 30, 0.3,
             "two dropped records in the task metrics")
    assert streams.state() is State.RUNNING


def not_a_string_on_bad(value: str):
    return {"not": "a string"} if value == "bad" else value


def test_production_errors_are_skipped_and_dead_lettered(kafka_bootstrap, topic_factory,
                                                         streams_factory, app_id):
    source = topic_factory(1, prefix="in")
    sink = topic_factory(1, prefix="out", config={"max.message.bytes": "2000"})
    dlq = topic_factory(1, prefix="dlq")
    builder = StreamsBuilder()
    builder.stream(source).map_values(not_a_string_on_bad).to(sink)
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 200, "production.exception.handler": "continue",
              "errors.dead.letter.queue.topic.name": dlq,
              # one record per produce request, so only the oversized one is refused
              "producer.batch.num.messages": 1}
    streams = streams_factory(builder.build(), config)
    streams.wait_until_running(60)
    big = b"x" * 5000
    produce(kafka_bootstrap, source, [(b"a", b"1"), (b"s", b"bad"), (b"b", b"2"), (b"big", big),
                                      (b"c", b"3")])
    wait_for(lambda: streams.metrics()["tasks"]["0_0"]["dropped-records-total"] == 2, 60, 0.3,
             "two dropped records")
    out = consume_all(kafka_bootstrap, sink, timeout=20)
    assert [(m.key(), m.value()) for m in out] == [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")]
    dead = consume_all(kafka_bootstrap, dlq, expected=2, timeout=30)
    by_key = {m.key(): m for m in dead}
    # a serialization error: the source record's bytes, its origin in the headers
    assert by_key[b"s"].value() == b"bad"
    assert headers_of(by_key[b"s"])["__streams.errors.offset"] == b"1"
    # a refused send: the refused record's own bytes and destination
    assert by_key[b"big"].value() == big
    refused = headers_of(by_key[b"big"])
    assert refused["__streams.errors.topic"] == sink.encode()
    assert b"MSG_SIZE_TOO_LARGE" in refused["__streams.errors.message"] or \
        b"too large" in refused["__streams.errors.message"].lower()
    assert streams.state() is State.RUNNING


def test_unreachable_broker_fails_fast_naming_the_address(tmp_path):
    address = f"127.0.0.1:{free_port()}"
    builder = StreamsBuilder()
    builder.stream("in").to("out")
    streams = KafkaStreams(builder.build(), {"application.id": "nowhere",
                                             "bootstrap.servers": address,
                                             "broker.connect.timeout.ms": 2000,
                                             "state.dir": str(tmp_path)}, out=None)
    started = time.monotonic()
    with pytest.raises(BrokerNotAvailableException, match=address.replace(".", r"\.")):
        streams.start()
    assert time.monotonic() - started < 15
    assert streams.state() is State.ERROR

    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent("""
        from raystreams import StreamsBuilder

        def app():
            builder = StreamsBuilder()
            builder.stream("in").to("out")
            return builder.build(), {"application.id": "nowhere"}
    """))
    env = dict(os.environ, RAYSTREAMS_CACHE_DIR=str(tmp_path / "cache"))
    run = subprocess.run([*RAYSTREAMS, "run", str(app), "--bootstrap-servers", address,
                          "--config", "broker.connect.timeout.ms=2000"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"bootstrap.servers={address}" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "|FAIL|" not in run.stderr  # no librdkafka line per refused connection attempt


@pytest.mark.parametrize("signum,where", [(signal.SIGTERM, "cluster"), (signal.SIGINT, "local")])
def test_a_signal_to_raystreams_run_commits_and_closes(signum, where, kafka_bootstrap,
                                                       topic_factory, tmp_path, app_id, request):
    """SIGTERM with ``RAY_ADDRESS`` (a ``ray start --head`` of this module), SIGINT with a
    local Ray that ``raystreams run`` starts itself: both commit and close."""
    source, sink = topic_factory(1, prefix="lines"), topic_factory(1, prefix="copies")
    app = tmp_path / "signal_app.py"
    app.write_text(textwrap.dedent(f"""
        from raystreams import StreamsBuilder

        def app():
            builder = StreamsBuilder()
            builder.stream({source!r}).to({sink!r})
            # only a clean close commits: the interval is far longer than the test
            return builder.build(), {{"application.id": {app_id!r},
                                      "commit.interval.ms": 600000,
                                      "state.dir": {str(tmp_path / "state")!r}}}
    """))
    env = dict(os.environ, RAY_AUTH_MODE="disabled", RAYSTREAMS_CACHE_DIR=str(tmp_path / "cache"),
               PYTHONUNBUFFERED="1")
    env.pop("RAY_ADDRESS", None)
    if where == "cluster":
        env["RAY_ADDRESS"] = request.getfixturevalue("ray_head").gcs
    proc = subprocess.Popen([*RAYSTREAMS, "run", str(app), "--bootstrap-servers", kafka_bootstrap],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True).start()

    def saw(text: str) -> bool:
        return any(text in line for line in lines)

    try:
        wait_for(lambda: saw("-> RUNNING") or proc.poll() is not None, 120, 0.2, "RUNNING")
        assert saw("-> RUNNING"), "\n".join(lines)
        produce(kafka_bootstrap, source, [(f"k{i}".encode(), b"v") for i in range(20)])
        consume_all(kafka_bootstrap, sink, expected=20, timeout=60)
        assert committed(kafka_bootstrap, app_id, source) == [-1001]  # nothing committed yet
        proc.send_signal(signum)
        rc = proc.wait(90)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "\n".join(lines)
    assert rc in (0, 128 + signum), text
    assert "stopped" in text
    assert "SIGTERM received" not in text and "Traceback" not in text, text
    assert committed(kafka_bootstrap, app_id, source) == [20]


def test_deleted_committed_offsets_reset_with_a_warning_and_corrupt_state_is_rebuilt(
        kafka_bootstrap, topic_factory, streams_factory, app_id, admin_factory, tmp_path):
    source, sink = topic_factory(1, prefix="words"), topic_factory(1, prefix="counts")
    builder = StreamsBuilder()
    (builder.stream(source).group_by_key().count(Materialized.as_("counts"))
        .to_stream().to(sink, Produced.with_(Serdes.String(), Serdes.Long())))
    topology = builder.build()
    state_dir = tmp_path / "state"
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 200, "statestore.cache.max.bytes": 0,
              "auto.offset.reset": "earliest", "state.dir": str(state_dir)}
    first = streams_factory(topology, config)
    first.wait_until_running(60)
    produce(kafka_bootstrap, source, [(b"w", b"1")] * 5)
    wait_for(lambda: committed(kafka_bootstrap, app_id, source) == [5], 60, 0.3, "5 committed")
    first.close(30)
    # while the app is down: 5 more records, then retention deletes all 10 (delete_records)
    produce(kafka_bootstrap, source, [(b"w", b"1")] * 5 + [(b"x", b"1")] * 2)
    admin = admin_factory(kafka_bootstrap)
    admin.delete_records([TopicPartition(source, 0, 10)])[TopicPartition(source, 0, 10)] \
        .result(30)
    # and the local store is corrupt
    store_dir = next((state_dir / app_id / "0_0").rglob("CURRENT")).parent
    for f in store_dir.iterdir():
        if f.is_file():
            f.write_bytes(b"garbage")
    second = streams_factory(topology, config)
    second.wait_until_running(60)
    wait_for(lambda: committed(kafka_bootstrap, app_id, source) == [12], 60, 0.3,
             "reset to the log start and processed the 2 records left")
    counts = {m.key(): Serdes.Long().deserialize(sink, m.value())
              for m in consume_all(kafka_bootstrap, sink, timeout=20)}
    # "w" kept its count of 5 from the changelog (the 5 deleted records were never processed);
    # "x" was counted after the reset
    assert counts == {b"w": 5, b"x": 2}
    task = second.metrics()["tasks"]["0_0"]
    assert task["state_wiped"] is True
    assert task["offsets_reset"] == [f"{source}-0"]
    assert task["records_restored"] >= 1
    second.close(30)



def test_sasl_settings_reach_every_client(kafka_sasl, kafka_bootstrap, topic_factory,
                                          streams_factory, app_id):
    """Admin, producer, main, restore and global consumers all talk to the SASL_PLAINTEXT
    listener: a client without the credentials could not connect to it at all."""
    source, regions, sink = (topic_factory(1, prefix="clicks"), topic_factory(1, prefix="regions"),
                             topic_factory(1, prefix="per-region"))
    builder = StreamsBuilder()
    table = builder.global_table(regions)
    (builder.stream(source).join(table, lambda key, value: key, lambda click, region: region)
        .group_by(lambda key, region: region).count(Materialized.as_("per-region"))
        .to_stream().to(sink, Produced.with_(Serdes.String(), Serdes.Long())))
    produce(kafka_bootstrap, regions, [(b"alice", b"eu"), (b"bob", b"us")])
    with pytest.raises(BrokerNotAvailableException, match="(?i)auth"):
        streams_factory(builder.build(), {"application.id": app_id, **kafka_sasl,
                                          "sasl.password": "wrong",
                                          "broker.connect.timeout.ms": 5000})
    config = {"application.id": app_id, **kafka_sasl, "commit.interval.ms": 200}
    streams = streams_factory(builder.build(), config)
    streams.wait_until_running(60)
    produce(kafka_bootstrap, source, [(b"alice", b"1"), (b"bob", b"1"), (b"alice", b"1")])
    wait_for(lambda: {m.key(): Serdes.Long().deserialize(sink, m.value())
                      for m in consume_all(kafka_bootstrap, sink, timeout=5)}
             == {b"eu": 2, b"us": 1}, 60, 0.3, "counts per region")
    assert streams.state() is State.RUNNING


class HangOnce:
    """A value mapper that hangs on ``"hang"`` the first time it sees it (a marker file)."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __call__(self, value: str) -> str:
        if value == "hang" and not os.path.exists(self.marker):
            Path(self.marker).touch()
            time.sleep(600)  # user code that never comes back
        return value.upper()


def test_a_hung_task_is_declared_failed_and_replaced(kafka_bootstrap, topic_factory,
                                                      streams_factory, app_id, tmp_path):
    source, sink = topic_factory(1, prefix="in"), topic_factory(1, prefix="out")
    builder = StreamsBuilder()
    builder.stream(source).map_values(HangOnce(str(tmp_path / "hung"))).to(sink)
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 200,
              # librdkafka wants session.timeout.ms <= max.poll.interval.ms
              "main.consumer.max.poll.interval.ms": 3000,
              "main.consumer.session.timeout.ms": 2000,
              "main.consumer.heartbeat.interval.ms": 500}
    streams = streams_factory(builder.build(), config)
    streams.wait_until_running(60)
    values = ["a", "b", "hang", "c", "d"]
    produce(kafka_bootstrap, source, [(v.encode(), v.encode()) for v in values])
    wait_for(lambda: {m.value() for m in consume_all(kafka_bootstrap, sink, timeout=5)}
             >= {v.upper().encode() for v in values}, 90, 0.5, "every record after the hang")
    task = streams.tasks()["0_0"]
    assert task["restarts"] == 1
    error = task["last_error"]
    assert "max.poll.interval.ms (3000 ms)" in error
    assert f"processing record {source}-0@2" in error
    assert "KSTREAM-MAPVALUES-0000000001" in error
    assert "in __call__" in error and "time.sleep(600)" in error  # the stuck thread's stack
    assert streams.state() is State.RUNNING
