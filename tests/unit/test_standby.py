"""StandbyRunner with a fake restore consumer: it follows the changelog into its own copy of
the task's stores and, when promoted, hands that copy (checkpointed) to the active task's
directory. The Ray side (placement, promotion on a SIGKILL) is in
tests/integration/test_runtime_standby.py."""

from __future__ import annotations

from confluent_kafka import OFFSET_BEGINNING
from test_task_runner import FakeConsumer, FakeMessage

from raystreams import Materialized, StreamsBuilder
from raystreams.config import StreamsConfig
from raystreams.engine.task import StreamTask
from raystreams.runtime.placement import plan_app
from raystreams.runtime.standby import StandbyRunner, _NoOutput
from raystreams.state.checkpoint import CHECKPOINT_FILE_NAME, OffsetCheckpoint

CHANGELOG = "app-counts-changelog"


def count_topology():
    builder = StreamsBuilder()
    builder.stream("in").group_by_key().count(Materialized.as_("counts")).to_stream().to("out")
    return builder.build()


def long_bytes(value: int) -> bytes:
    return value.to_bytes(8, "big", signed=True)


def test_standby_follows_the_changelog_and_hands_its_state_over(tmp_path):
    topology = count_topology()
    config = StreamsConfig({"application.id": "app", "bootstrap.servers": "fake:9092",
                            "state.dir": str(tmp_path), "num.standby.replicas": 1})
    spec = plan_app(topology, config, lambda topics: {t: 1 for t in topics}).task("0_0")
    # a timestamped store's changelog holds the plain value, its timestamp in the record's
    consumer = FakeConsumer([[FakeMessage(CHANGELOG, 0, 0, b"k", long_bytes(1), ts=5),
                              FakeMessage(CHANGELOG, 0, 1, b"k", long_bytes(2), ts=7)], []])
    consumer.positions = {(CHANGELOG, 0): 3}  # offset 2: a commit marker the consumer skipped
    standby = StandbyRunner(spec, topology, config, consumer_factory=lambda cfg, kind: consumer)
    standby.initialize()
    assert consumer.assigned == [(CHANGELOG, 0, OFFSET_BEGINNING)]  # no checkpoint yet
    assert standby.run_once() == 2
    snap = standby.snapshot()
    assert snap["records_applied"] == 2 and snap["changelog_offsets"] == {f"{CHANGELOG}-0": 3}

    active_dir = tmp_path / "app" / "0_0"  # the dead active task's leftovers
    active_dir.mkdir(parents=True)
    (active_dir / "stale").write_text("from the dead task")
    standby.handoff_to = active_dir
    standby.close()
    assert standby.handed_off and not (tmp_path / "standby-0" / "app" / "0_0").exists()
    assert not (active_dir / "stale").exists()
    assert OffsetCheckpoint(active_dir / CHECKPOINT_FILE_NAME).read() == {(CHANGELOG, 0): 1}

    # the active task opens the handed-over store with the standby's contents
    task = StreamTask("0_0", topology, config, _NoOutput(), node_names=spec.node_names,
                      partition=0, input_partitions=spec.input_partitions)
    task.initialize(processors=False)
    try:
        stored = task.stores["counts"].get("k")
        assert (stored.value, stored.timestamp) == (2, 7)
    finally:
        task.close(clean=False)


def test_standby_copies_live_apart_from_active_tasks(tmp_path):
    topology = count_topology()
    config = StreamsConfig({"application.id": "app", "bootstrap.servers": "fake:9092",
                            "state.dir": str(tmp_path)})
    spec = plan_app(topology, config, lambda topics: {t: 1 for t in topics}).task("0_0")
    first = StandbyRunner(spec, topology, config, replica=0, consumer_factory=lambda c, k: None)
    second = StandbyRunner(spec, topology, config, replica=1, consumer_factory=lambda c, k: None)
    dirs = {first.config["state.dir"], second.config["state.dir"], str(tmp_path)}
    assert len(dirs) == 3
