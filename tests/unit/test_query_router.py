"""The runtime's query routing on fakes: task actors are local StoreQueryServers behind fake
handles, the supervisor a routing table; counts show one call per point query."""

from __future__ import annotations

import pytest

from raystreams import Materialized, StreamsBuilder
from raystreams.config import StreamsConfig
from raystreams.errors import (
    QueryCursorExpiredException,
    StateStoreMigratedException,
    StateStoreNotAvailableException,
)
from raystreams.kafka.partitioner import default_partition
from raystreams.query import (
    FailureReason,
    KeyQuery,
    QueryableStoreTypes,
    RangeQuery,
    StateQueryRequest,
    StoreQueryParameters,
    StoreQueryServer,
    composite_for,
    run_state_query,
)
from raystreams.runtime.placement import plan_app
from raystreams.runtime.query_router import TaskRouter
from raystreams.serde import Serdes

KV = QueryableStoreTypes.key_value_store()
PARTITIONS = 3


class ActorGone(Exception):
    pass


class Store:
    store_kind, timestamped, name = "key_value", False, "counts"

    def __init__(self, data):
        self.data = dict(data)

    def is_open(self):
        return True

    def get(self, key):
        return self.data.get(key)

    def all(self):
        return iter(sorted(self.data.items()))

    def range(self, lo, hi):
        return iter(sorted((k, v) for k, v in self.data.items()
                           if (lo is None or k >= lo) and (hi is None or k <= hi)))

    def serialize_key(self, key):
        return key.encode()

    def serialize_value(self, value):
        return str(value).encode()


class Method:
    def __init__(self, actor, name):
        self.actor, self.name = actor, name

    def remote(self, *args):
        return (self.actor, self.name, args)


class FakeActor:
    """A task actor: answers through a StoreQueryServer; ``dead`` makes every call fail."""

    def __init__(self, task_id, data, running=True):
        self.server = StoreQueryServer(task_id, lambda: {"counts": Store(data)},
                                       running=lambda: running)
        self.dead = False
        self.calls = 0

    def __getattr__(self, name):
        return Method(self, name)

    def invoke(self, name, args):
        self.calls += 1
        if self.dead:
            raise ActorGone(name)
        if name == "query_call":
            store, qtype, method, a, stale_ok, raw = args
            return self.server.call(store, qtype, method, a, stale_ok=stale_ok, raw=raw)
        if name == "query_page":
            store, qtype, method, a, cursor, limit, stale_ok, raw = args
            return self.server.page(store, qtype, method, a, cursor=cursor, limit=limit,
                                    stale_ok=stale_ok, raw=raw)
        if name == "query_close":
            return self.server.close_cursor(*args)
        if name == "store_lags":
            return {}
        raise AssertionError(name)


def fake_get(ref, timeout):
    actor, name, args = ref
    return actor.invoke(name, args)


@pytest.fixture
def cluster():
    builder = StreamsBuilder()
    builder.stream("words").group_by_key().count(Materialized.as_("counts"))
    topology = builder.build()
    config = StreamsConfig({"application.id": "r", "bootstrap.servers": "x:1"})
    plan = plan_app(topology, config, lambda topics: {t: PARTITIONS for t in topics})
    words = [f"w{i:03d}" for i in range(60)]
    by_partition = {p: {} for p in range(PARTITIONS)}
    for n, w in enumerate(words):
        by_partition[default_partition(w.encode(), PARTITIONS)][w] = n
    actors = {p: FakeActor(f"0_{p}", by_partition[p]) for p in range(PARTITIONS)}
    state = {"version": 1, "actors": actors, "fetches": 0}

    def routing(timeout):
        state["fetches"] += 1
        return {"version": state["version"], "state": "RUNNING",
                "tasks": {f"0_{p}": {"handle": a, "actor_name": f"r.task.0_{p}.0",
                                     "node_id": f"node-{p}", "incarnation": 0, "state": "RUNNING"}
                          for p, a in state["actors"].items()},
                "standbys": {"0_1": [{"replica": 0, "actor_name": "r.standby", "node_id": "node-9",
                                      "incarnation": 0, "running": True}]}}

    router = TaskRouter(plan, lambda store: Serdes.String(), routing, fake_get,
                        actor_errors=(ActorGone,))
    return router, state, by_partition, words


def test_point_queries_go_to_one_task_without_any_status_call(cluster):
    router, state, by_partition, words = cluster
    store = composite_for(KV, router, "counts")
    for n, w in enumerate(words):
        assert store.get(w) == n
    assert state["fetches"] == 1  # the routing table, once
    calls = {p: a.calls for p, a in state["actors"].items()}
    assert sum(calls.values()) == len(words)
    assert calls == {p: len(by_partition[p]) for p in by_partition}  # each key to its owner only


def test_scans_are_paged_and_merged_in_key_order_across_tasks(cluster):
    router, state, _, words = cluster
    store = composite_for(KV, router, "counts", page_size=4)
    assert [k for k, _ in store.all()] == sorted(words)
    # 60 entries in pages of 4 from 3 tasks: every page is its own call, none holds everything
    assert sum(a.calls for a in state["actors"].values()) >= 60 // 4
    assert [k for k, _ in store.range("w010", "w013")] == ["w010", "w011", "w012", "w013"]
    first = store.scan_page("all", limit=25)
    second = store.scan_page("all", cursor=first.cursor, limit=25)
    third = store.scan_page("all", cursor=second.cursor, limit=25)
    keys = [e.key for e in first.entries + second.entries + third.entries]
    assert keys == sorted(words) and third.cursor is None
    assert {e.task_id for e in first.entries} == {"0_0", "0_1", "0_2"}


def test_a_restarted_task_is_found_again_once(cluster):
    router, state, by_partition, _ = cluster
    store = composite_for(KV, router, "counts")
    key = next(iter(by_partition[1]))
    assert store.get(key) == by_partition[1][key]
    old = state["actors"][1]
    old.dead = True  # the supervisor killed it and started another incarnation
    state["actors"] = {**state["actors"], 1: FakeActor("0_1", by_partition[1])}
    state["version"] += 1
    assert store.get(key) == by_partition[1][key]
    assert state["fetches"] == 2 and old.calls == 2
    state["actors"][1].dead = True  # gone again, and no replacement yet
    with pytest.raises(StateStoreMigratedException, match="restarted or moved"):
        store.get(key)


def test_a_new_routing_version_is_fetched_before_the_next_query(cluster):
    router, state, by_partition, _ = cluster
    store = composite_for(KV, router, "counts")
    key = next(iter(by_partition[2]))
    store.get(key)
    router.observe_version(state["version"])  # the same version: the table stays
    store.get(key)
    assert state["fetches"] == 1
    moved = FakeActor("0_2", by_partition[2])
    state["actors"] = {**state["actors"], 2: moved}  # moved; the old actor still answers
    state["version"] += 1
    router.observe_version(state["version"])
    assert store.get(key) == by_partition[2][key]
    assert state["fetches"] == 2 and moved.calls == 1


def test_a_scan_cursor_dies_with_its_actor(cluster):
    router, state, _, _ = cluster
    store = composite_for(KV, router, "counts")
    page = store.scan_page("all", limit=5)
    for actor in state["actors"].values():
        actor.dead = True
    with pytest.raises(QueryCursorExpiredException, match="start the scan again"):
        store.scan_page("all", cursor=page.cursor, limit=100)


def test_timeouts_and_missing_tasks_are_not_available(cluster):
    router, state, by_partition, _ = cluster

    def slow(ref, timeout):
        raise TimeoutError("slow")

    router._get = slow
    key = next(iter(by_partition[0]))
    with pytest.raises(StateStoreNotAvailableException, match="did not answer within"):
        composite_for(KV, router, "counts").get(key)
    router._get = fake_get
    state["actors"][0].dead = True  # killed, and its next incarnation not launched yet
    state["actors"] = {p: a for p, a in state["actors"].items() if p != 0}
    with pytest.raises(StateStoreNotAvailableException, match="not running"):
        composite_for(KV, router, "counts").get(key)


def test_metadata_and_iqv2_from_the_routing_table(cluster):
    router, state, by_partition, _ = cluster
    key = next(iter(by_partition[1]))
    meta = router.key_query_metadata("counts", key)
    assert (meta.partition, meta.task_id, meta.node_id) == (1, "0_1", "node-1")
    assert meta.standby_node_ids == ("node-9",) and meta.standby_hosts[0].standby
    clients = router.streams_metadata()
    assert {m.host_info.task_id for m in clients if "counts" in m.state_store_names} == {
        "0_0", "0_1", "0_2"}
    assert [m.host_info.actor_name for m in clients if m.standby_state_store_names] == ["r.standby"]
    result = run_state_query(router, StateQueryRequest.in_store("counts").with_query(
        KeyQuery.with_key(key)))
    assert list(result.get_partition_results()) == [1]  # routed, not asked of every task
    assert result.get_only_partition_result().get_result() == by_partition[1][key]
    state["actors"][2].dead = True
    ranged = run_state_query(router, StateQueryRequest.in_store("counts").with_query(
        RangeQuery.with_no_bounds()))
    results = ranged.get_partition_results()
    assert sorted(k for p in (0, 1) for k, _ in results[p].get_result()) == sorted(
        [*by_partition[0], *by_partition[1]])
    assert results[2].get_failure_reason() is FailureReason.NOT_PRESENT
    assert state["fetches"] >= 1
    assert StoreQueryParameters.from_store_name_and_type("counts", KV).with_partition(2).partition == 2
