"""Standby replicas (``num.standby.replicas``) on Kafka 4.4 and Ray, on two nodes with their own
state directories: a standby follows its task's changelog on the other node, and when the active
task is SIGKILLed under exactly_once_v2 (which leaves no checkpoint, so the task would rebuild its
state from the whole changelog) the standby hands its state over on its node, the replacement
starts there and restores only the tail (here: nothing)."""

from __future__ import annotations

import collections
import os
import signal

import pytest
from conftest import consume_all, key_value, wait_for
from test_runtime_failures import STORE, count_topology, final, output, produce, words

pytestmark = pytest.mark.integration


def test_standby_replica_takes_over_a_killed_task_with_its_state(
        kafka_bootstrap, topic_factory, add_ray_node, streams_factory, app_id, ray_session):
    add_ray_node(num_cpus=2)  # before the app starts: its task and its standby on two nodes
    source, sink = topic_factory(1, prefix="words"), topic_factory(1, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "processing.guarantee": "exactly_once_v2", "commit.interval.ms": 200,
              "statestore.cache.max.bytes": 0, "num.standby.replicas": 1}
    streams = streams_factory(count_topology(source, sink), config)
    streams.wait_until_running(60)
    part0 = words(300)
    produce(kafka_bootstrap, source, part0)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed"))
             == dict(collections.Counter(part0)), 90, 0.3, "part 0 committed")
    changelog = f"{app_id}-{STORE}-changelog"
    assert len(consume_all(kafka_bootstrap, changelog, isolation="read_committed")) == 300

    def caught_up_standby():
        standbys = streams.metrics()["standbys"]
        return (len(standbys) == 1 and standbys[0]["records_applied"] == 300
                and standbys[0]["total_lag"] == 0 and standbys[0])

    standby = wait_for(caught_up_standby, 60, 0.3, "the standby to follow the changelog")
    assert standby["task_id"] == "0_0" and standby["state"] == "RUNNING"
    status = ray_session.get(streams.supervisor.status.remote())
    placed = status["standbys"]["0_0"][0]["node_id"]
    assert streams.query_metadata_for_key(STORE, "alpha").standby_node_ids == (placed,)
    assert placed != status["tasks"]["0_0"]["node_id"], "a standby avoids its task's node"

    pid = ray_session.get(streams.task_handles()["0_0"].pid.remote())
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: streams.tasks()["0_0"]["incarnation"] >= 1
             and streams.tasks()["0_0"]["runner_state"] == "RUNNING", 60, 0.2, "0_0 replaced")
    replaced = streams.metrics()["tasks"]["0_0"]
    assert replaced["node_id"] == placed  # the promoted state is on the standby's node's disk
    assert replaced["records_restored"] == 0, replaced  # the standby's state, not the changelog
    assert replaced["restored_from"][f"{changelog}-0"] >= 300  # past every record (and marker)
    assert not replaced["state_wiped"]
    events = [e["event"] for e in ray_session.get(streams.supervisor.status.remote())["events"]]
    assert "promoted" in events, events

    part1 = words(60, 3)
    produce(kafka_bootstrap, source, part1)
    everything = collections.Counter(part0 + part1)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed")) == dict(everything),
             90, 0.3, "all counts committed")
    store = streams.store(key_value(STORE))
    assert {w: store.get(w) for w in everything} == dict(everything)
    # a new standby follows the new active task
    wait_for(lambda: (lambda s: len(s) == 1 and s[0]["incarnation"] >= 1
                      and s[0]["records_applied"] > 0)(streams.metrics()["standbys"]),
             60, 0.3, "a new standby")
    assert streams.close(30)
