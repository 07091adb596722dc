"""Several Ray nodes (``ray.cluster_utils.Cluster``, the session's cluster), each with its own
state directory, under exactly_once_v2: when a node joins mid-stream, the supervisor spreads the
tasks over both; a moved task commits and closes, its RocksDB state is shipped through Ray's
object store and the new incarnation restores (almost) nothing from the changelog. When the
node is removed, its tasks restart on the others from the changelog. The output is exact. On
several nodes, an app without ``bootstrap.servers`` is refused (a local broker is unreachable
from the other nodes). ``raystreams drain NODE`` moves a node's tasks off it with their state.
"""

from __future__ import annotations

import collections

import pytest
from conftest import consume_all, key_value, wait_for
from test_runtime_failures import (
    STORE,
    assert_each_count_once,
    count_topology,
    final,
    output,
    produce,
    words,
)

from raystreams import KafkaStreams
from raystreams.cli import main as cli_main
from raystreams.errors import ConfigException

pytestmark = pytest.mark.integration


def test_tasks_move_with_their_state_when_a_node_joins_and_restart_when_it_leaves(
        kafka_bootstrap, topic_factory, add_ray_node, streams_factory, app_id, ray_cluster):
    source, sink = topic_factory(3, prefix="words"), topic_factory(3, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "processing.guarantee": "exactly_once_v2", "commit.interval.ms": 200,
              "statestore.cache.max.bytes": 0}
    streams = streams_factory(count_topology(source, sink), config)
    streams.wait_until_running(60)
    nodes = {t["node_id"] for t in streams.tasks().values()}
    assert len(nodes) == 1
    part1, part2, part3 = words(300), words(150, 2), words(150, 4)
    produce(kafka_bootstrap, source, part1)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed"))
             == dict(collections.Counter(part1)), 90, 0.3, "part 1 committed")
    changelog = f"{app_id}-{STORE}-changelog"
    per_partition = collections.Counter(
        m.partition() for m in consume_all(kafka_bootstrap, changelog, isolation="read_committed"))
    assert sum(per_partition.values()) == 300

    node = add_ray_node(num_cpus=2)
    try:
        spread = wait_for(lambda: (lambda t: t if len({x["node_id"] for x in t.values()}) == 2
                                   and all(x["runner_state"] == "RUNNING" for x in t.values())
                                   else None)(streams.tasks()), 90, 0.3, "tasks on both nodes")
        per_node = collections.Counter(t["node_id"] for t in spread.values())
        assert sorted(per_node.values()) == [1, 2]
        assert node.node_id in per_node
        moved = [tid for tid, t in spread.items() if t["node_id"] == node.node_id]
        assert all(spread[tid]["restarts"] == 0 for tid in moved)  # a move is not a failure
        # the new node has its own disk: the state came through Ray, the changelog gave < 1%
        snaps = streams.metrics()["tasks"]
        for tid in moved:
            partition = int(tid.split("_")[1])
            assert per_partition[partition] > 0
            assert snaps[tid]["shipped_bytes"] > 0 and snaps[tid]["shipping_error"] is None
            assert snaps[tid]["records_restored"] * 100 < per_partition[partition], snaps[tid]
        events = [e for e in streams.status()["events"] if e["event"] == "moved"]
        assert sorted(e["task_id"] for e in events) == sorted(moved)
        assert all(e["shipped"] and e["bytes_shipped"] > 0 and e["cause"] == "node_joined"
                   and e["duration_s"] > 0 for e in events), events
        produce(kafka_bootstrap, source, part2)
        exact = dict(collections.Counter(part1 + part2))
        wait_for(lambda: final(output(kafka_bootstrap, sink, "read_committed")) == exact,
                 90, 0.3, "exact counts after the move")
        assert dict(streams.store(key_value(STORE)).all()) == exact

        with pytest.raises(ConfigException, match="bootstrap.servers") as refused:
            KafkaStreams(count_topology(source, sink), {"application.id": f"{app_id}-local"},
                         out=None).start()
        assert refused.value.key == "bootstrap.servers" and "2 nodes" in str(refused.value)
    finally:
        ray_cluster.remove_node(node)
    produce(kafka_bootstrap, source, part3)
    everything = dict(collections.Counter(part1 + part2 + part3))

    def all_back_and_counted():
        tasks = streams.tasks()
        if {t["node_id"] for t in tasks.values()} & {node.node_id}:
            return False
        if not all(t["runner_state"] == "RUNNING" for t in tasks.values()):
            return False
        return final(output(kafka_bootstrap, sink, "read_committed")) == everything

    wait_for(all_back_and_counted, 120, 0.5, "tasks restarted off the lost node, output exact")
    assert_each_count_once(output(kafka_bootstrap, sink, "read_committed"))  # no duplicates
    snaps = streams.metrics()["tasks"]
    assert all(snaps[tid]["incarnation"] >= 2 for tid in moved)
    assert dict(streams.store(key_value(STORE)).all()) == everything


def test_drain_moves_a_nodes_tasks_off_it_with_their_state(
        kafka_bootstrap, topic_factory, add_ray_node, streams_factory, app_id):
    node = add_ray_node(num_cpus=2)
    source, sink = topic_factory(2, prefix="words"), topic_factory(2, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 200, "statestore.cache.max.bytes": 0}
    streams = streams_factory(count_topology(source, sink), config)
    streams.wait_until_running(60)
    on_node = sorted(tid for tid, t in streams.tasks().items() if t["node_id"] == node.node_id)
    assert len(on_node) == 1  # two tasks, two nodes
    part1, part2 = words(200), words(100, 3)
    produce(kafka_bootstrap, source, part1)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_uncommitted"))
             == dict(collections.Counter(part1)), 90, 0.3, "part 1 counted")
    changelog = collections.Counter(
        m.partition() for m in consume_all(kafka_bootstrap, f"{app_id}-{STORE}-changelog"))

    assert cli_main(["drain", node.node_id[:16], "--app", app_id, "--timeout", "120"]) == 0
    tasks = streams.tasks()
    assert all(t["node_id"] != node.node_id and t["restarts"] == 0 for t in tasks.values())
    moved = [e for e in streams.status()["events"] if e["event"] == "moved"]
    assert [e["task_id"] for e in moved] == on_node
    assert all(e["cause"] == "node_drained" and e["shipped"] for e in moved), moved
    snap = streams.metrics()["tasks"][on_node[0]]
    assert snap["shipped_bytes"] > 0
    assert snap["records_restored"] * 100 < changelog[int(on_node[0].split("_")[1])], snap
    produce(kafka_bootstrap, source, part2)
    everything = dict(collections.Counter(part1 + part2))
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_uncommitted")) == everything,
             90, 0.3, "everything counted after the drain")
