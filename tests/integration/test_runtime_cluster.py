"""Several Ray nodes (``ray.cluster_utils.Cluster``, the session's cluster): when a node joins,
the supervisor spreads the tasks over both (commit and close first, then start on the new
node); when it leaves, its tasks restart on the others. Nothing is lost.
"""

from __future__ import annotations

import collections

import pytest
from conftest import key_value, wait_for
from test_runtime_failures import count_topology, final, output, produce, words

pytestmark = pytest.mark.integration


def test_tasks_spread_when_a_node_joins_and_come_back_when_it_leaves(
        kafka_bootstrap, topic_factory, streams_factory, app_id, ray_cluster):
    source, sink = topic_factory(3, prefix="words"), topic_factory(3, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 300}
    streams = streams_factory(count_topology(source, sink), config)
    streams.wait_until_running(60)
    nodes = {t["node_id"] for t in streams.tasks().values()}
    assert len(nodes) == 1
    part1, part2, part3 = words(150), words(150, 2), words(150, 4)
    produce(kafka_bootstrap, source, part1)

    node = ray_cluster.add_node(num_cpus=2)
    try:
        ray_cluster.wait_for_nodes()
        spread = wait_for(lambda: (lambda t: t if len({x["node_id"] for x in t.values()}) == 2
                                   and all(x["runner_state"] == "RUNNING" for x in t.values())
                                   else None)(streams.tasks()), 90, 0.3, "tasks on both nodes")
        per_node = collections.Counter(t["node_id"] for t in spread.values())
        assert sorted(per_node.values()) == [1, 2]
        assert node.node_id in per_node
        moved = [tid for tid, t in spread.items() if t["node_id"] == node.node_id]
        assert all(spread[tid]["restarts"] == 0 for tid in moved)  # a move is not a failure
        produce(kafka_bootstrap, source, part2)
        exact = dict(collections.Counter(part1 + part2))
        wait_for(lambda: final(output(kafka_bootstrap, sink, "read_uncommitted")) == exact,
                 90, 0.3, "exact counts after the move (a clean handover)")
        assert dict(streams.store(key_value("counts")).all()) == exact
    finally:
        ray_cluster.remove_node(node)
    produce(kafka_bootstrap, source, part3)
    everything = collections.Counter(part1 + part2 + part3)

    def all_back_and_counted():
        tasks = streams.tasks()
        if {t["node_id"] for t in tasks.values()} & {node.node_id}:
            return False
        if not all(t["runner_state"] == "RUNNING" for t in tasks.values()):
            return False
        counts = final(output(kafka_bootstrap, sink, "read_uncommitted"))
        return all(counts.get(w, 0) >= n for w, n in everything.items())

    wait_for(all_back_and_counted, 120, 0.5, "tasks restarted off the lost node, nothing lost")
