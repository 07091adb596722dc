"""Join twins against Kafka Streams 4.4: same outputs, stores and describe() as the oracle.

Each case runs a twin of ``twins_joins`` in raystreams' TopologyTestDriver and the Java
scenario in the oracle, under ``statestore.cache.max.bytes=0`` and the default cache, and
demands identical answers. The row-by-row vectors follow the join semantics tables of the
Kafka Streams DSL guide (one key; records at timestamps 1..15) plus out-of-order, late,
tombstone and null-key records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest

from raystreams.config import EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX
from raystreams.processor.api import Headers
from raystreams.serde import Serdes
from raystreams.testing import TopologyTestDriver

from . import twins_joins
from .harness import Case, Step, render_diff
from .twin_runner import COMMIT_INTERVAL, IntervalCommits, spaced

pytestmark = pytest.mark.oracle

P = Step.pipe
NO_CACHE = {"statestore.cache.max.bytes": "0"}
CACHES = {"nocache": NO_CACHE, "cache": {}}

OUTPUTS = {"join-output", "fk-output"}


def _encode(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8")


def _headers(headers: Any) -> list[list[Any]]:
    items = headers.to_list() if hasattr(headers, "to_list") else list(headers or [])
    return [[k, None if v is None else v.decode("utf-8")] for k, v in items]


def _text(value: Any) -> Any:
    if value is None:
        return None
    vat = getattr(value, "value", None)
    if vat is not None and hasattr(value, "timestamp") and not isinstance(value, str | bytes):
        value = vat
    return twins_joins.java_str(value)


def run_twin(scenario: str, steps: Sequence[Step], config: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None,
             stores: Iterable[str] = (), commits: str = "per_record") -> dict[str, Any]:
    """The oracle's answer shape, computed by raystreams: outputs, stores, describe."""
    topology = twins_joins.TWINS[scenario](params)
    cfg = {"application.id": scenario, "bootstrap.servers": "dummy:1234", **(config or {})}
    outputs: list[dict[str, Any]] = []
    s = Serdes.String()
    with TopologyTestDriver(topology, cfg) as driver:
        topics = {t: driver.create_output_topic(t, s, s) for t in OUTPUTS}
        interval = IntervalCommits(driver) if commits == "interval" else None
        for index, step in enumerate(steps):
            if step.op == "advance":
                if interval is not None:
                    interval.advance(step.ms or 0)
                else:
                    driver.advance_wall_clock_time(step.ms or 0)
            else:
                assert step.topic is not None
                headers = Headers([(k, _encode(v)) for k, v in step.headers]) \
                    if step.headers else Headers()
                record = (step.topic, _encode(step.key), _encode(step.value),
                          step.timestamp or 0, headers)
                if interval is not None and interval.reads(step.topic):
                    interval.pipe(*record)
                else:
                    driver.pipe_raw(*record)
            if interval is not None:
                interval.maybe_commit()
            for topic, out in topics.items():
                for rec in out.read_records_to_list():
                    outputs.append({"step": index, "topic": topic, "key": rec.key,
                                    "value": rec.value, "timestamp": rec.timestamp,
                                    "headers": _headers(rec.headers)})
        listed = {}
        for name in stores:
            store = driver.get_state_store(name)
            assert store is not None, f"no store {name}"
            listed[name] = [[_text(kv[0]), _text(kv[1])] for kv in store.all()]
        description = str(topology.describe())
        if interval is not None:
            interval.commit_all()
    return {"outputs": outputs, "stores": listed, "describe": description, "error": None}


def check(oracle: Any, scenario: str, steps: Sequence[Step], config: Mapping[str, Any],
          params: Mapping[str, Any] | None = None, stores: Sequence[str] = (),
          commits: str = "per_record") -> dict[str, Any]:
    expected = oracle.run(scenario, steps, config=config, params=params, stores=list(stores),
                          commits=commits)
    assert expected["error"] is None, expected["error"]
    actual = run_twin(scenario, steps, config, params, stores, commits)
    for part in ("describe", "outputs", "stores"):
        if actual[part] != expected[part]:
            pytest.fail(f"{scenario}: {part} differs\n"
                        + render_diff(Case.of(scenario, steps, config, params, stores, commits),
                                      expected, actual), pytrace=False)
    return expected


# --------------------------------------------------------------------------- vectors

#: The DSL guide's stream-stream table: one key, left/right records at ts 1..15 (None =
#: a tombstone), then a record of another key far later that closes every window.
GUIDE_STREAM_STREAM = [
    P("left-input", "k", None, 1),
    P("right-input", "k", None, 2),
    P("left-input", "k", "A", 3),
    P("right-input", "k", "a", 4),
    P("left-input", "k", "B", 5),
    P("right-input", "k", "b", 6),
    P("left-input", "k", None, 7),
    P("right-input", "k", None, 8),
    P("left-input", "k", "C", 9),
    P("right-input", "k", "c", 10),
    P("right-input", "k", None, 11),
    P("left-input", "k", None, 12),
    P("right-input", "k", None, 13),
    P("right-input", "k", "d", 14),
    P("left-input", "k", "D", 15),
    P("left-input", "z", "Z", 1000),
]
GUIDE_PARAMS = {"time_difference_ms": 100, "grace_ms": 0}

#: Default windows (5 s, grace 2 s): out-of-order, late, null-key records, unmatched sides.
STREAM_STREAM_MIXED = [
    P("left-input", "A", "a1", 1000),
    P("right-input", "A", "r1", 3000),
    P("left-input", "B", "b1", 10000),
    P("right-input", "C", "c-late", 500),
    P("left-input", "A", "a2", 7000),
    P("right-input", None, "nokey", 7100),
    P("left-input", None, "nokey", 7200),
    P("right-input", "B", "rb", 4000),
    P("right-input", "B", "rb2", 14000),
    P("left-input", "D", "d1", 17000),
    P("right-input", "E", "e1", 17500),
    P("left-input", "F", "f1", 30000),
    P("right-input", "F", "f2", 30000),
    P("left-input", "F", "f3", 29000),
    P("left-input", "G", "g", 60000),
]

#: Several unmatched records whose windows close at once, with a throttled second emit.
STREAM_STREAM_THROTTLE = [
    P("left-input", "A", "a", 0),
    P("right-input", "B", "b", 1),
    P("left-input", "C", "c", 10000),
    P("left-input", "D", "d", 20000),
    Step.advance(1500),
    P("left-input", "E", "e", 30000),
    P("right-input", "E", "e2", 30001),
]


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", ["stream_stream_inner", "stream_stream_left",
                                      "stream_stream_outer"])
def test_stream_stream_guide_table(oracle: Any, scenario: str, cache: str) -> None:
    check(oracle, scenario, GUIDE_STREAM_STREAM, CACHES[cache], GUIDE_PARAMS)


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", ["stream_stream_inner", "stream_stream_left",
                                      "stream_stream_outer"])
def test_stream_stream_mixed(oracle: Any, scenario: str, cache: str) -> None:
    check(oracle, scenario, STREAM_STREAM_MIXED, CACHES[cache])


EMIT_INTERVAL = EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX


@pytest.mark.parametrize("interval", [None, "1000"])
@pytest.mark.parametrize("scenario", ["stream_stream_left", "stream_stream_outer"])
def test_stream_stream_emit_throttle(oracle: Any, scenario: str, interval: str | None) -> None:
    config = dict(NO_CACHE)
    if interval is not None:
        config[EMIT_INTERVAL] = interval  # the production throttle: wall clock decides
    check(oracle, scenario, STREAM_STREAM_THROTTLE, config)


def test_stream_stream_left_emits_only_after_window_close(oracle: Any) -> None:
    answer = check(oracle, "stream_stream_left",
                   [P("left-input", "A", "a", 1000), P("left-input", "B", "b", 8000),
                    P("left-input", "C", "c", 8001)], NO_CACHE)
    assert [(o["key"], o["value"], o["timestamp"]) for o in answer["outputs"]] == [
        ("A", "a+null", 1000)]


# --------------------------------------------------------------------------- stream-table

#: The guide's stream-table table: stream records and table updates (None = tombstone).
GUIDE_STREAM_TABLE = [
    P("orders", "k", None, 1),
    P("addresses", "k", None, 2),
    P("orders", "k", "A", 3),
    P("addresses", "k", "a", 4),
    P("orders", "k", "B", 5),
    P("addresses", "k", "b", 6),
    P("orders", "k", None, 7),
    P("addresses", "k", None, 8),
    P("orders", "k", "C", 9),
    P("addresses", "k", "c", 10),
    P("addresses", "k", None, 11),
    P("orders", "k", None, 12),
    P("addresses", "k", None, 13),
    P("addresses", "k", "d", 14),
    P("orders", "k", "D", 15),
]

#: The seed order/address scenario, plus null keys and out-of-order records.
ORDERS = [
    P("addresses", "jihun", "Newyork", 100),
    P("orders", "jihun", "Galaxy", 200),
    P("addresses", "jihun", "LA", 300),
    P("orders", "jihun", "G-Wagon", 400),
    P("orders", "nobody", "Phone", 50),
    P("orders", None, "Ghost", 500),
    P("addresses", "jihun", None, 600),
    P("orders", "jihun", "Tesla", 700),
]


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", ["stream_table_inner", "stream_table_left"])
@pytest.mark.parametrize("steps", [GUIDE_STREAM_TABLE, ORDERS], ids=["guide", "orders"])
def test_stream_table(oracle: Any, scenario: str, cache: str, steps: list[Step]) -> None:
    check(oracle, scenario, steps, CACHES[cache], stores=["addresses-store"])


def test_order_join_seed_outputs(oracle: Any) -> None:
    answer = check(oracle, "stream_table_inner", ORDERS[:4], NO_CACHE)
    assert [o["value"] for o in answer["outputs"]] == ["Galaxy+Newyork", "G-Wagon+LA"]


# --------------------------------------------------------------------------- global table

GLOBAL_ORDERS = [
    P("addresses", "a1", "Seoul", 1),
    P("orders", "o1", "a1|Galaxy", 2),
    P("orders", "o2", "a2|Phone", 3),
    P("addresses", "a2", "Busan", 4),
    P("orders", "o3", "a2|Tablet", 5),
    P("orders", "a1", "no-bar", 6),
    P("orders", "o4", None, 7),
    P("orders", None, "a1|nokey", 8),
    P("addresses", "a1", None, 9),
    P("orders", "o5", "a1|Watch", 10),
]


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", ["global_join", "global_left_join"])
def test_global_table(oracle: Any, scenario: str, cache: str) -> None:
    check(oracle, scenario, GLOBAL_ORDERS, CACHES[cache], stores=["addresses-global"])


# --------------------------------------------------------------------------- table-table

#: The guide's table-table table: one key, updates and tombstones on both sides.
GUIDE_TABLE_TABLE = [
    P("left-table", "k", None, 1),
    P("right-table", "k", None, 2),
    P("left-table", "k", "A", 3),
    P("right-table", "k", "a", 4),
    P("left-table", "k", "B", 5),
    P("right-table", "k", "b", 6),
    P("left-table", "k", None, 7),
    P("right-table", "k", None, 8),
    P("left-table", "k", "C", 9),
    P("right-table", "k", "c", 10),
    P("right-table", "k", None, 11),
    P("left-table", "k", None, 12),
    P("right-table", "k", None, 13),
    P("right-table", "k", "d", 14),
    P("left-table", "k", "D", 15),
]

#: Several keys, out-of-order timestamps, null keys, deletes of absent keys.
TABLE_TABLE_MIXED = [
    P("left-table", "a", "L1", 100),
    P("right-table", "b", "R1", 90),
    P("right-table", "a", "R2", 50),
    P("left-table", "b", "L2", 40),
    P("left-table", None, "nokey", 60),
    P("right-table", "c", None, 70),
    P("left-table", "a", "L3", 30),
    P("right-table", "a", None, 200),
    P("left-table", "b", None, 210),
    P("right-table", "b", None, 220),
    P("left-table", "c", "L4", 230),
]

TABLE_STORES = ["left-store", "right-store"]


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", ["table_table_inner", "table_table_left",
                                      "table_table_outer"])
@pytest.mark.parametrize("steps", [GUIDE_TABLE_TABLE, TABLE_TABLE_MIXED], ids=["guide", "mixed"])
def test_table_table(oracle: Any, scenario: str, cache: str, steps: list[Step]) -> None:
    check(oracle, scenario, steps, CACHES[cache], stores=TABLE_STORES)


# --------------------------------------------------------------------------- foreign key

FK_STEPS = [
    P("orders", "o1", '{"product":"p1","qty":2}', 10),
    P("products", "p1", "Phone", 20),
    P("products", "p1", "Tablet", 30),
    P("orders", "o2", '{"product":"p1","qty":1}', 40),
    P("orders", "o1", '{"product":"p2","qty":2}', 50),
    P("orders", "o3", '{"qty":5}', 60),
    P("orders", "o1", '{"product":"p2","qty":3}', 70),
    P("products", "p2", "Watch", 80),
    P("orders", "o4", '{"product":7}', 90),
    P("products", "7", "Seven", 100),
    P("products", "p2", None, 110),
    P("orders", "o1", None, 120),
    P("orders", "o2", '{"product":null}', 130),
    P("orders", None, '{"product":"p1"}', 140),
    P("products", None, "x", 150),
    P("orders", "o3", None, 160),
    P("products", "p1", "Laptop", 5),
]

FK_STORES = ["orders-store", "products-store"]


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", ["fk_inner", "fk_left"])
def test_foreign_key(oracle: Any, scenario: str, cache: str) -> None:
    check(oracle, scenario, FK_STEPS, CACHES[cache], stores=FK_STORES)


# --------------------------------------------------------------------------- headers

HEADER_CASES = {
    "stream_stream_left": [P("left-input", "A", "a", 1000, [("h", "1")]),
                           P("right-input", "A", "r", 2000, [("h", "2")]),
                           P("left-input", "B", "b", 3000, [("h", "3")]),
                           P("right-input", "C", "c", 20000, [("h", "4"), ("x", None)])],
    "stream_stream_outer": [P("left-input", "A", "a", 1000, [("h", "1")]),
                            P("right-input", "B", "b", 1500, [("h", "2")]),
                            P("left-input", "C", "c", 30000, [("h", "3")])],
    "stream_table_left": [P("addresses", "k", "x", 1, [("t", "1")]),
                          P("orders", "k", "o", 2, [("s", "2")])],
    "table_table_outer": [P("left-table", "k", "l", 1, [("l", "1")]),
                          P("right-table", "k", "r", 2, [("r", "2")])],
    "fk_left": [P("orders", "o", '{"product":"p"}', 1, [("h", "o")]),
                P("products", "p", "P", 2, [("h", "p")]),
                P("orders", "o", '{"product":"q"}', 3, [("h", "o2")])],
    "global_left_join": [P("addresses", "a", "A", 1, [("g", "1")]),
                         P("orders", "o", "a|x", 2, [("o", "2")])],
}


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", sorted(HEADER_CASES))
def test_headers_pass_through_like_kafka(oracle: Any, scenario: str, cache: str) -> None:
    check(oracle, scenario, HEADER_CASES[scenario], CACHES[cache])


# --------------------------------------------------------------------------- commit interval

INTERVAL_CASES = {
    "stream_table_inner": (GUIDE_STREAM_TABLE, ()),
    "stream_table_left": (ORDERS, ()),
    "global_left_join": (GLOBAL_ORDERS, ()),
    "table_table_inner": (GUIDE_TABLE_TABLE, TABLE_STORES),
    "table_table_left": (TABLE_TABLE_MIXED, TABLE_STORES),
    "table_table_outer": (GUIDE_TABLE_TABLE, TABLE_STORES),
    "fk_inner": (FK_STEPS, FK_STORES),
    "fk_left": (FK_STEPS, FK_STORES),
}


@pytest.mark.parametrize("scenario", sorted(INTERVAL_CASES))
def test_joins_match_kafka_with_commit_interval(oracle: Any, scenario: str) -> None:
    # cache on, several records between commits: cache dedup and flush order are judged
    steps, stores = INTERVAL_CASES[scenario]
    check(oracle, scenario, spaced(steps), COMMIT_INTERVAL, stores=stores, commits="interval")
