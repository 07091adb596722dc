"""The oracle itself answers known vectors exactly (no raystreams involved).

Each expected output below was worked out from Kafka Streams' documented semantics and
then checked against Kafka Streams 4.4's TopologyTestDriver.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

import pytest

from .harness import JVM_ARGS, Oracle, OracleDied, OracleTimeout, Step

pytestmark = pytest.mark.oracle

P = Step.pipe
NO_CACHE = {"statestore.cache.max.bytes": "0"}

#: Every scenario SCENARIOS.md documents; the oracle must serve at least these.
SCENARIOS = {
    "wordcount",
    "table_filter_mapvalues",
    "table_groupby_count",
    "table_groupby_reduce",
    "table_groupby_aggregate",
    "tumbling_count",
    "hopping_aggregate",
    "sliding_count",
    "session_count",
    "suppress_window_close",
    "emit_final",
    "unlimited_count",
    "versioned_table_source",
    "versioned_stream_table_inner",
    "versioned_stream_table_left",
    "versioned_stream_table_inner_grace",
    "versioned_stream_table_left_grace",
    "versioned_table_table",
    "versioned_group_by_count",
    "stream_stream_inner",
    "stream_stream_left",
    "stream_stream_outer",
    "stream_table_inner",
    "stream_table_left",
    "table_table_inner",
    "table_table_left",
    "table_table_outer",
    "fk_inner",
    "fk_left",
    "global_join",
    "global_left_join",
    "cogroup",
    "split_branches",
    "processor_punctuate",
    "stateless_ops",
    "topology_error",
    "processing_errors",
}

WORDCOUNT_DESCRIBE = """\
Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [text-input])
      --> KSTREAM-FLATMAPVALUES-0000000001
    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])
      --> KSTREAM-KEY-SELECT-0000000002
      <-- KSTREAM-SOURCE-0000000000
    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])
      --> counts-repartition-filter
      <-- KSTREAM-FLATMAPVALUES-0000000001
    Processor: counts-repartition-filter (stores: [])
      --> counts-repartition-sink
      <-- KSTREAM-KEY-SELECT-0000000002
    Sink: counts-repartition-sink (topic: counts-repartition)
      <-- counts-repartition-filter

  Sub-topology: 1
    Source: counts-repartition-source (topics: [counts-repartition])
      --> KSTREAM-AGGREGATE-0000000003
    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts])
      --> KTABLE-TOSTREAM-0000000007
      <-- counts-repartition-source
    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])
      --> KSTREAM-SINK-0000000008
      <-- KSTREAM-AGGREGATE-0000000003
    Sink: KSTREAM-SINK-0000000008 (topic: wordcount-output)
      <-- KTABLE-TOSTREAM-0000000007

"""


def kv(answer: dict[str, Any]) -> list[tuple[int, str, str | None, str | None, int]]:
    """Outputs as (step, topic, key, value, timestamp) tuples."""
    assert answer["error"] is None, answer["error"]
    return [
        (r["step"], r["topic"], r["key"], r["value"], r["timestamp"]) for r in answer["outputs"]
    ]


def test_hello_lists_every_scenario(oracle: Oracle) -> None:
    assert oracle.kafka_version == "4.4.0"
    assert set(oracle.scenarios) >= SCENARIOS
    assert oracle.scenarios["wordcount"]["outputs"] == [
        {"topic": "wordcount-output", "key": "string", "value": "long"}
    ]
    assert oracle.scenarios["tumbling_count"]["params"] == {"size_ms": 10000, "grace_ms": 5000}


@pytest.mark.parametrize("config", [None, NO_CACHE], ids=["cache", "no-cache"])
def test_wordcount(oracle: Oracle, config: dict[str, str] | None) -> None:
    answer = oracle.run(
        "wordcount",
        [P("text-input", None, "Hello World", 1000), P("text-input", None, "hello", 2000)],
        config=config,
        stores=["counts"],
    )
    # each word goes through the repartition topic and is its own record and commit,
    # so the cache never merges two updates; a count carries its input's timestamp
    assert kv(answer) == [
        (0, "wordcount-output", "hello", "1", 1000),
        (0, "wordcount-output", "world", "1", 1000),
        (1, "wordcount-output", "hello", "2", 2000),
    ]
    assert answer["outputs"][0]["headers"] == []
    assert answer["stores"] == {"counts": [["hello", "2"], ["world", "1"]]}
    assert answer["describe"] == WORDCOUNT_DESCRIBE


def test_wordcount_keeps_the_larger_timestamp_and_java_split(oracle: Oracle) -> None:
    answer = oracle.run(
        "wordcount",
        [P("text-input", None, "hello", 2000), P("text-input", None, " Hello, world!! ", 1500)],
    )
    # an aggregate's timestamp is max(old, new); Java's split keeps the leading "" only
    assert kv(answer) == [
        (0, "wordcount-output", "hello", "1", 2000),
        (1, "wordcount-output", "", "1", 1500),
        (1, "wordcount-output", "hello", "2", 2000),
        (1, "wordcount-output", "world", "1", 1500),
    ]


def test_table_filter_mapvalues_tombstones(oracle: Oracle) -> None:
    steps = [
        P("table-input", "k", "ab", 1),
        P("table-input", "k", "abc", 2),  # fails the filter: a tombstone for k
        P("table-input", "k", None, 3),  # k is already absent downstream: nothing
        P("table-input", "j", None, 4),  # unknown key deleted: nothing
        P("table-input", "j", "xy", 5),
    ]
    answer = oracle.run("table_filter_mapvalues", steps, stores=["source-table", "mapped"])
    assert kv(answer) == [
        (0, "table-output", "k", "AB", 1),
        (1, "table-output", "k", None, 2),
        (4, "table-output", "j", "XY", 5),
    ]
    assert answer["stores"] == {"source-table": [["j", "xy"]], "mapped": [["j", "XY"]]}


def test_table_groupby_reduce_adds_and_subtracts(oracle: Oracle) -> None:
    steps = [
        P("user-regions", "alice", "EU", 1),
        P("user-regions", "bob", "EU", 2),
        P("user-regions", "alice", "US", 3),
        P("user-regions", "bob", None, 4),
    ]
    answer = oracle.run("table_groupby_reduce", steps, config=NO_CACHE, stores=["region-counts"])
    # the subtractor runs before the adder; a count that reaches 0 stays (no tombstone)
    assert kv(answer) == [
        (0, "region-counts-output", "EU", "1", 1),
        (1, "region-counts-output", "EU", "2", 2),
        (2, "region-counts-output", "EU", "1", 3),
        (2, "region-counts-output", "US", "1", 3),
        (3, "region-counts-output", "EU", "0", 4),
    ]
    assert answer["stores"] == {"region-counts": [["EU", "0"], ["US", "1"]]}


def test_tumbling_count_grace_drops_late_records(oracle: Oracle) -> None:
    steps = [
        P("events", "a", "x", 1000),
        P("events", "a", "x", 12000),
        P("events", "a", "x", 4000),  # late, but [0, 10000) is open until stream time 15000
        P("events", "a", "x", 16000),
        P("events", "a", "x", 5000),  # window closed: dropped
    ]
    answer = oracle.run("tumbling_count", steps, stores=["tumbling-counts"])
    assert kv(answer) == [
        (0, "tumbling-output", "a@0/10000", "1", 1000),
        (1, "tumbling-output", "a@10000/20000", "1", 12000),
        (2, "tumbling-output", "a@0/10000", "2", 4000),
        (3, "tumbling-output", "a@10000/20000", "2", 16000),
    ]
    assert answer["stores"] == {"tumbling-counts": [["a", 0, "2"], ["a", 10000, "2"]]}


def test_tumbling_count_params(oracle: Oracle) -> None:
    answer = oracle.run(
        "tumbling_count",
        [P("events", "a", "x", 1000), P("events", "a", "x", 2500)],
        params={"size_ms": 2000, "grace_ms": 0},
    )
    assert kv(answer) == [
        (0, "tumbling-output", "a@0/2000", "1", 1000),
        (1, "tumbling-output", "a@2000/4000", "1", 2500),
    ]


@pytest.mark.parametrize("scenario", ["suppress_window_close", "emit_final"])
def test_final_results_wait_for_window_close(oracle: Oracle, scenario: str) -> None:
    topic = {"suppress_window_close": "suppress-output", "emit_final": "emit-final-output"}[
        scenario
    ]
    steps = [
        P("events", "a", "x", 1000),
        P("events", "a", "x", 12000),
        P("events", "b", "x", 14999),
        P("events", "a", "x", 15000),  # stream time 15000: [0, 10000) + grace 5000 closes
        P("events", "a", "x", 30000),  # closes [10000, 20000)
    ]
    assert kv(oracle.run(scenario, steps)) == [
        (3, topic, "a@0/10000", "1", 1000),
        (4, topic, "a@10000/20000", "2", 15000),
        (4, topic, "b@10000/20000", "1", 14999),
    ]


def test_session_merge_emits_a_tombstone(oracle: Oracle) -> None:
    steps = [P("events", "a", "x", 1000), P("events", "a", "x", 3000)]
    answer = oracle.run("session_count", steps, config=NO_CACHE, stores=["session-counts"])
    assert kv(answer) == [
        (0, "session-output", "a@1000/1000", "1", 1000),
        (1, "session-output", "a@1000/1000", None, 1000),
        (1, "session-output", "a@1000/3000", "2", 3000),
    ]
    assert answer["stores"] == {"session-counts": [["a", 1000, 3000, "2"]]}


def test_stream_stream_left_join_waits_for_the_window(oracle: Oracle) -> None:
    steps = [
        P("left-input", "k", "L1", 1000),
        P("right-input", "k", "R1", 2000),
        P("left-input", "j", "L2", 3000),
        P("right-input", "m", "R2", 4000),
        P("left-input", "z", "Lz", 20000),  # closes 3000 + 5000 + grace 2000: L2 unmatched
    ]
    assert kv(oracle.run("stream_stream_left", steps)) == [
        (1, "join-output", "k", "L1+R1", 2000),
        (4, "join-output", "j", "L2+null", 3000),
    ]
    assert kv(oracle.run("stream_stream_outer", steps)) == [
        (1, "join-output", "k", "L1+R1", 2000),
        (4, "join-output", "j", "L2+null", 3000),
        (4, "join-output", "m", "null+R2", 4000),
    ]


def test_fk_join_renders_json_values(oracle: Oracle) -> None:
    steps = [
        P("products", "p1", "Pen", 1),
        P("orders", "o1", '{"product": "p1", "qty": 2}', 2),
        P("orders", "o1", None, 3),
    ]
    answer = oracle.run("fk_inner", steps, config=NO_CACHE, stores=["orders-store"])
    assert kv(answer) == [
        (1, "fk-output", "o1", '{"product":"p1","qty":2}+Pen', 2),
        (2, "fk-output", "o1", None, 3),
    ]
    assert answer["stores"] == {"orders-store": []}


def test_processor_punctuate(oracle: Oracle) -> None:
    steps = [
        P("punctuate-input", "a", "x", 1000),  # first stream-time punctuation at 1000
        P("punctuate-input", "b", "x", 5000),
        Step.advance(7000),  # wall clock 0 -> 7000: one wall-clock punctuation
        P("punctuate-input", "a", "x", 11000),
        P("punctuate-input", "a", "x", 25000),  # one punctuation, however far time jumps
        Step.advance(20000),
    ]
    answer = oracle.run("processor_punctuate", steps, stores=["proc-store"])
    assert kv(answer) == [
        (0, "punctuate-output", "a", "1", 1000),
        (2, "punctuate-output", "wall-clock", "7000", 7000),
        (3, "punctuate-output", "a", "2", 11000),
        (3, "punctuate-output", "b", "1", 11000),
        (4, "punctuate-output", "a", "3", 25000),
        (4, "punctuate-output", "b", "1", 25000),
        (5, "punctuate-output", "wall-clock", "27000", 27000),
    ]
    assert answer["stores"] == {"proc-store": [["a", "3"], ["b", "1"]]}


def test_split_reads_topics_in_name_order(oracle: Oracle) -> None:
    steps = [
        P("split-input", "k", "banana", 1),
        P("split-input", "k", "apple", 2),
        P("split-input", "k", None, 3),
    ]
    assert kv(oracle.run("split_branches", steps)) == [
        (0, "branch-b", "k", "banana", 1),
        (1, "branch-a", "k", "apple", 2),
        (2, "branch-other", "k", None, 3),
    ]


def test_headers_and_wall_clock_timestamps(oracle: Oracle) -> None:
    steps = [
        P("stateless-a", "k", "hi", 5, headers=[("h", "v"), ("n", None)]),
        Step.advance(5000),
        P("stateless-b", None, "yo"),  # no timestamp: the mocked wall clock, 5000
        P("stateless-a", "k", "drop it", 6000),
    ]
    answer = oracle.run("stateless_ops", steps)
    assert kv(answer) == [
        (0, "stateless-output", "H", "HI", 5),
        (0, "stateless-output", "H-len", "2", 5),
        (2, "stateless-output", "Y", "YO", 5000),
        (2, "stateless-output", "Y-len", "2", 5000),
    ]
    assert answer["outputs"][0]["headers"] == [["h", "v"], ["n", None]]
    assert answer["outputs"][2]["headers"] == []


def test_unknown_scenario_is_an_error_and_the_server_keeps_serving(oracle: Oracle) -> None:
    answer = oracle.run("no_such_scenario", [P("t", "k", "v", 1)])
    assert answer["error"]["type"] == "IllegalArgumentException"
    assert answer["error"]["phase"] == "request"
    assert "unknown scenario: no_such_scenario" in answer["error"]["message"]
    assert answer["outputs"] == [] and answer["describe"] is None
    assert kv(oracle.run("wordcount", [P("text-input", None, "again", 1)])) == [
        (0, "wordcount-output", "again", "1", 1)
    ]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (
            "invalid_name",
            'Invalid topology: Name "bad name!" is illegal, it contains a character other '
            "than ASCII alphanumerics, '.', '_' and '-'",
        ),
        ("duplicate_name", "Invalid topology: Processor twice is already added."),
        ("unknown_parent", "Invalid topology: Parent node no-such-processor is unknown."),
    ],
)
def test_topology_exception_at_build_is_reported(oracle: Oracle, kind: str, message: str) -> None:
    answer = oracle.run("topology_error", [P("error-input", "k", "v", 1)], params={"kind": kind})
    assert answer["error"] == {
        "type": "TopologyException",
        "message": message,
        "phase": "build",
        "step": None,
        "causes": [],
    }
    assert answer["describe"] is None and answer["outputs"] == []


def test_topology_error_none_builds(oracle: Oracle) -> None:
    answer = oracle.run("topology_error", [P("error-input", "k", "v", 1)], params={"kind": "none"})
    assert kv(answer) == [(0, "error-output", "k", "v", 1)]
    assert "Processor: ok (stores: [])" in answer["describe"]


def test_failure_in_a_step_keeps_earlier_outputs(oracle: Oracle) -> None:
    steps = [P("text-input", None, "fine", 1), P("text-input", None, None, 2)]
    answer = oracle.run("wordcount", steps, stores=["counts"])
    error = answer["error"]
    assert error["type"] == "StreamsException" and error["phase"] == "step" and error["step"] == 1
    assert "processor=KSTREAM-FLATMAPVALUES-0000000001" in error["message"]
    assert error["causes"][0]["type"] == "NullPointerException"
    assert [r["key"] for r in answer["outputs"]] == ["fine"]
    assert answer["stores"] == {"counts": [["fine", "1"]]}
    assert answer["describe"] == WORDCOUNT_DESCRIBE


@pytest.mark.parametrize(
    ("run", "phase", "type_", "fragment"),
    [
        (
            {"steps": [P("nowhere", "k", "v", 1)]},
            "step",
            "IllegalArgumentException",
            "Unknown topic: nowhere",
        ),
        (
            {"steps": [P("text-input", "k", "v", -1)]},
            "step",
            "IllegalArgumentException",
            "Invalid timestamp: -1",
        ),
        (
            {"params": {"size_ms": 5}},
            "request",
            "IllegalArgumentException",
            "unknown params [size_ms]",
        ),
        ({"stores": ["nope"]}, "stores", "IllegalArgumentException", "unknown store: nope"),
        (
            {"config": {"commit.interval.ms": "soon"}},
            "build",
            "ConfigException",
            "commit.interval.ms",
        ),
    ],
)
def test_bad_cases_are_error_answers(
    oracle: Oracle, run: dict[str, Any], phase: str, type_: str, fragment: str
) -> None:
    answer = oracle.run("wordcount", **run)
    assert answer["error"]["phase"] == phase
    assert answer["error"]["type"] == type_
    assert fragment in answer["error"]["message"]


def test_long_serde_parse_error(oracle: Oracle) -> None:
    answer = oracle.run("hopping_aggregate", [P("amounts", "a", "twelve", 1)])
    assert answer["error"]["type"] == "NumberFormatException"
    assert answer["error"]["step"] == 0


def test_exactly_once_and_optimization_configs(oracle: Oracle) -> None:
    config = {"processing.guarantee": "exactly_once_v2", "topology.optimization": "all"}
    assert kv(oracle.run("wordcount", [P("text-input", None, "a", 1)], config=config)) == [
        (0, "wordcount-output", "a", "1", 1)
    ]


def test_raw_protocol_survives_bad_lines(oracle: Oracle) -> None:
    """Speaks to the jar directly: bad JSON and a non-object still get an answer each."""
    lines = [
        "this is not json",
        "[1, 2]",
        "",
        json.dumps({"control": "nope"}),
        json.dumps(
            {"id": "x", "scenario": "wordcount", "steps": [P("text-input", None, "a", 1).to_json()]}
        ),
    ]
    result = subprocess.run(
        ["java", *JVM_ARGS, "-jar", str(oracle.jar)],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 4  # the blank line is skipped
    assert answers[0]["error"]["message"].startswith("request is not JSON")
    assert answers[1]["error"]["message"] == "request must be a JSON object"
    assert "unknown control" in answers[2]["error"]["message"]
    assert answers[3]["id"] == "x" and answers[3]["error"] is None
    assert answers[3]["outputs"][0]["key"] == "a"


def test_dead_jvm_is_reported_and_restarted(oracle: Oracle) -> None:
    own = Oracle()
    try:
        own.start()
        assert own._proc is not None
        own._proc.kill()
        own._proc.wait()
        with pytest.raises(OracleDied, match="exit code"):
            own.run("wordcount", [P("text-input", None, "a", 1)])
        assert kv(own.run("wordcount", [P("text-input", None, "b", 1)]))[0][2] == "b"
    finally:
        own.close()


def test_timeout_kills_and_restarts(oracle: Oracle) -> None:
    own = Oracle()
    try:
        own.start()
        with pytest.raises(OracleTimeout, match="no answer within"):
            own.run("wordcount", [P("text-input", None, "a", 1)], timeout=0.000001)
        assert not own.running
        assert kv(own.run("wordcount", [P("text-input", None, "b", 1)]))[0][2] == "b"
    finally:
        own.close()


def test_per_case_latency_is_small(oracle: Oracle) -> None:
    steps = [P("events", "a", "x", t) for t in range(0, 20000, 1000)]
    oracle.run("tumbling_count", steps)  # warm up
    started = time.monotonic()
    for _ in range(10):
        assert oracle.run("tumbling_count", steps)["error"] is None
    per_case = (time.monotonic() - started) / 10
    assert per_case < 2.0, f"{per_case:.3f} s per 20-record case"
