"""Table and aggregation twins against Kafka Streams 4.4: same outputs, stores and describe().

Each case runs a twin of ``twins_tables`` in raystreams' TopologyTestDriver and the Java
scenario in the oracle, under ``statestore.cache.max.bytes=0`` and the default cache, and
demands identical answers. Inputs include tombstones, null keys, out-of-order updates and
rows moving between groups.
"""

from __future__ import annotations

import pytest

from . import twins_tables
from .harness import Case, Step, render_diff
from .twin_runner import COMMIT_INTERVAL, comparable, run_twin, spaced

pytestmark = pytest.mark.oracle

P = Step.pipe
CACHES = {"nocache": {"statestore.cache.max.bytes": "0"}, "cache": {},
          "optimized": {"topology.optimization": "all"}}

CASES: dict[str, tuple[list[Step], list[str]]] = {
    "wordcount": ([
        P("text-input", None, "Hello hello World", 1000),
        P("text-input", "k", "the world !a!", 500),
        P("text-input", None, "", 2000),
        P("text-input", None, "!!", 2100),
        P("text-input", None, "x_y ÄÖ end", 1500),
    ], ["counts"]),
    "table_filter_mapvalues": ([
        P("table-input", "a", "xx", 10),
        P("table-input", "a", "xxx", 20),       # stops passing: tombstone downstream
        P("table-input", "b", None, 30),        # delete of an absent key
        P("table-input", None, "zz", 31),       # null key: dropped
        P("table-input", "c", "cccc", 5),
        P("table-input", "c", None, 40),        # delete of a passing row
        P("table-input", "a", "yy", 41),
        P("table-input", "a", "yyyy", 2),       # out of order
        P("table-input", "d", "ddd", 50),       # never passes
    ], ["source-table", "mapped"]),
    "table_groupby_count": ([
        P("user-regions", "alice", "asia", 1),
        P("user-regions", "bob", "europe", 2),
        P("user-regions", "alice", "europe", 3),  # moves: asia down, europe up
        P("user-regions", "bob", None, 4),        # delete
        P("user-regions", "alice", "europe", 5),  # same group again
        P("user-regions", None, "x", 6),
        P("user-regions", "carol", "asia", 0),
    ], ["region-counts"]),
    "table_groupby_reduce": ([
        P("user-regions", "alice", "asia", 1),
        P("user-regions", "bob", "asia", 2),
        P("user-regions", "alice", "europe", 3),
        P("user-regions", "bob", None, 4),       # asia falls to 0
        P("user-regions", "alice", None, 5),
        P("user-regions", "dave", "asia", 6),
    ], ["region-counts"]),
    "table_groupby_aggregate": ([
        P("items", "i1", "g1|5", 1),
        P("items", "i2", "g1|7", 2),
        P("items", "i1", "g2|3", 3),
        P("items", "i1", "g2|10", 4),
        P("items", "i2", None, 5),
        P("items", "i1", None, 1),
        P("items", "i3", "g1|-4", 7),
    ], ["group-sums"]),
    "cogroup": ([
        P("cogroup-a", "k", "1", 1),
        P("cogroup-b", "k", "2", 2),
        P("cogroup-a", "k", None, 3),
        P("cogroup-b", None, "x", 4),
        P("cogroup-a", "j", "3", 0),
        P("cogroup-b", "k", "4", 5),
        P("cogroup-b", "j", "5", 1),
    ], ["cogroup-agg"]),
}

ERROR_CASES: dict[str, list[Step]] = {
    "wordcount": [P("text-input", None, "a b", 1), P("text-input", None, None, 2)],
    "table_groupby_aggregate": [P("items", "i1", "g1|5", 1), P("items", "i2", "nobar", 2)],
}


def check(oracle, case: Case) -> None:
    expected = oracle.run_case(case)
    actual = run_twin(twins_tables.TWINS[case.scenario], case, oracle.scenarios[case.scenario])
    if comparable(expected) != comparable(actual):
        pytest.fail(render_diff(case, expected, actual), pytrace=False)


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", sorted(CASES))
def test_twin_matches_kafka(oracle, scenario: str, cache: str) -> None:
    steps, stores = CASES[scenario]
    check(oracle, Case.of(scenario, steps, CACHES[cache], None, stores))


@pytest.mark.parametrize("optimization", ["none", "all"])
@pytest.mark.parametrize("scenario", sorted(CASES))
def test_twin_matches_kafka_with_commit_interval(oracle, scenario: str, optimization: str) -> None:
    # cache on, several records between commits: cache dedup and flush order are judged
    steps, stores = CASES[scenario]
    config = {**COMMIT_INTERVAL, "topology.optimization": optimization}
    check(oracle, Case.of(scenario, spaced(steps), config, None, stores, commits="interval"))


@pytest.mark.parametrize("scenario", sorted(ERROR_CASES))
def test_twin_fails_where_kafka_fails(oracle, scenario: str) -> None:
    store = CASES[scenario][1]
    check(oracle, Case.of(scenario, ERROR_CASES[scenario], CACHES["nocache"], None, store))


@pytest.mark.parametrize("scenario", sorted(CASES))
def test_describe_matches_kafka(oracle, scenario: str) -> None:
    expected = oracle.run(scenario, [])
    assert str(twins_tables.TWINS[scenario]({}).describe()) == expected["describe"]
