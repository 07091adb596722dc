"""KStream-KStream, KStream-KTable-processor and KStream-GlobalKTable-processor joins.

Expected outputs are Kafka Streams 4.4's (checked with the oracle, tests/oracle); describe()
texts are those of Kafka's TopologyTest (streamStream*JoinTopologyWith*).
"""

from __future__ import annotations

import pytest

from raystreams import Serdes, StreamsBuilder
from raystreams.config import EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX
from raystreams.dsl.params import Consumed, Named, Produced, StreamJoined
from raystreams.dsl.windows import JoinWindows
from raystreams.errors import StreamsException, TopologyException
from raystreams.state import Stores
from raystreams.testing import TopologyTestDriver

S = Serdes.String()


def joiner(left, right):
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


def build(kind: str, diff: int = 5000, grace: int = 2000) -> StreamsBuilder:
    builder = StreamsBuilder()
    left = builder.stream("left", Consumed.with_(S, S))
    right = builder.stream("right", Consumed.with_(S, S))
    method = {"inner": left.join, "left": left.left_join, "outer": left.outer_join}[kind]
    method(right, joiner, JoinWindows.of_time_difference_and_grace(diff, grace),
           StreamJoined.with_(S, S, S)).to("out", Produced.with_(S, S))
    return builder


def run(builder: StreamsBuilder, steps, config=None):
    cfg = {"application.id": "joins", **(config or {})}
    out = []
    with TopologyTestDriver(builder.build(), cfg) as driver:
        topics = {"left": driver.create_input_topic("left", S, S),
                  "right": driver.create_input_topic("right", S, S)}
        output = driver.create_output_topic("out", S, S)
        for i, (topic, key, value, ts) in enumerate(steps):
            topics[topic].pipe_input(key, value, ts)
            out.extend((i, r.key, r.value, r.timestamp) for r in output.read_records_to_list())
    return out


# the DSL guide's table (one key, ts 1..15), with a 1 ms join window and no grace
GUIDE = [("left", "k", None, 1), ("right", "k", None, 2), ("left", "k", "A", 3),
         ("right", "k", "a", 4), ("left", "k", "B", 5), ("right", "k", "b", 6),
         ("left", "k", None, 7), ("right", "k", None, 8), ("left", "k", "C", 9),
         ("right", "k", "c", 10), ("right", "k", None, 11), ("left", "k", None, 12),
         ("right", "k", None, 13), ("right", "k", "d", 14), ("left", "k", "D", 15),
         ("left", "z", "Z", 1000)]
GUIDE_OUT = [(3, "k", "A+a", 4), (4, "k", "B+a", 5), (5, "k", "B+b", 6), (9, "k", "C+c", 10),
             (14, "k", "D+d", 15)]

MIXED = [("left", "A", "a1", 1000), ("right", "A", "r1", 3000), ("left", "B", "b1", 10000),
         ("right", "C", "c-late", 500), ("left", "A", "a2", 7000), ("right", None, "nokey", 7100),
         ("left", None, "nokey", 7200), ("right", "B", "rb", 4000), ("right", "B", "rb2", 14000),
         ("left", "D", "d1", 17000), ("right", "E", "e1", 17500), ("left", "F", "f1", 30000),
         ("right", "F", "f2", 30000), ("left", "F", "f3", 29000), ("left", "G", "g", 60000)]
MIXED_OUT = {
    "inner": [(1, "A", "a1+r1", 3000), (4, "A", "a2+r1", 7000), (8, "B", "b1+rb2", 14000),
              (12, "F", "f1+f2", 30000), (13, "F", "f3+f2", 30000)],
    "left": [(1, "A", "a1+r1", 3000), (4, "A", "a2+r1", 7000), (6, None, "nokey+null", 7200),
             (8, "B", "b1+rb2", 14000), (11, "D", "d1+null", 17000), (12, "F", "f1+f2", 30000),
             (13, "F", "f3+f2", 30000)],
    "outer": [(1, "A", "a1+r1", 3000), (3, "C", "null+c-late", 500), (4, "A", "a2+r1", 7000),
              (5, None, "null+nokey", 7100), (6, None, "nokey+null", 7200),
              (7, "B", "null+rb", 4000), (8, "B", "b1+rb2", 14000), (11, "D", "d1+null", 17000),
              (11, "E", "null+e1", 17500), (12, "F", "f1+f2", 30000),
              (13, "F", "f3+f2", 30000)],
}

CONFIGS = [{"statestore.cache.max.bytes": 0}, {}]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("kind", ["inner", "left", "outer"])
def test_guide_table_rows(kind, config):
    assert run(build(kind, 1, 0), GUIDE, config) == GUIDE_OUT


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("kind", ["inner", "left", "outer"])
def test_out_of_order_late_and_null_keys(kind, config):
    assert run(build(kind), MIXED, config) == MIXED_OUT[kind]


def test_left_miss_waits_for_window_close():
    steps = [("left", "A", "a", 1000), ("left", "B", "b", 8000), ("left", "C", "c", 8001)]
    # A's window closes at 1000 + 5000 + 2000: only C (stream time 8001) passes it
    assert run(build("left"), steps) == [(2, "A", "a+null", 1000)]


def test_joiner_with_key_and_asymmetric_windows():
    builder = StreamsBuilder()
    left = builder.stream("left", Consumed.with_(S, S))
    right = builder.stream("right", Consumed.with_(S, S))
    windows = JoinWindows.of_time_difference_with_no_grace(0).after(100)
    left.join(right, lambda k, a, b: f"{k}:{a}{b}", windows, StreamJoined.with_(S, S, S),
              with_key=True).to("out", Produced.with_(S, S))
    steps = [("left", "k", "x", 100), ("right", "k", "y", 150), ("right", "k", "z", 50)]
    assert run(builder, steps) == [(1, "k", "k:xy", 150)]


# --------------------------------------------------------------------------- describe()

HEAD = ("Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic1])\n"
        "      --> KSTREAM-WINDOWED-0000000002\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [input-topic2])\n"
        "      --> KSTREAM-WINDOWED-0000000003\n")


def _describe(kind: str, stream_joined: StreamJoined) -> str:
    builder = StreamsBuilder()
    s1 = builder.stream("input-topic1")
    s2 = builder.stream("input-topic2")
    method = {"inner": s1.join, "left": s1.left_join, "outer": s1.outer_join}[kind]
    method(s2, joiner, JoinWindows.of_time_difference_with_no_grace(100), stream_joined)
    return str(builder.build().describe())


def test_describe_inner_default_store_names():
    assert _describe("inner", StreamJoined.with_(Serdes.Integer(), S, S)) == HEAD + (
        "    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"
        "      --> KSTREAM-JOINTHIS-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"
        "      --> KSTREAM-JOINOTHER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000003\n"
        "    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-JOINOTHER-0000000005-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000002\n"
        "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\n")


def test_describe_inner_custom_store_names():
    sj = StreamJoined.with_(Serdes.Integer(), S, S).with_store_name("custom-name")
    assert _describe("inner", sj) == HEAD + (
        "    Processor: KSTREAM-WINDOWED-0000000002 (stores: [custom-name-this-join-store])\n"
        "      --> KSTREAM-JOINTHIS-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-WINDOWED-0000000003 (stores: [custom-name-other-join-store])\n"
        "      --> KSTREAM-JOINOTHER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KSTREAM-JOINOTHER-0000000005 (stores: [custom-name-this-join-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000003\n"
        "    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [custom-name-other-join-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000002\n"
        "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-JOINOTHER-0000000005\n\n")


def test_describe_outer_custom_store_names():
    sj = StreamJoined.with_(Serdes.Integer(), S, S).with_store_name("custom-name")
    assert _describe("outer", sj) == HEAD + (
        "    Processor: KSTREAM-WINDOWED-0000000002 (stores: [custom-name-outer-this-join-store])\n"
        "      --> KSTREAM-OUTERTHIS-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-WINDOWED-0000000003 (stores: [custom-name-outer-other-join-store])\n"
        "      --> KSTREAM-OUTEROTHER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KSTREAM-OUTEROTHER-0000000005 (stores: [custom-name-outer-this-join-store, "
        "custom-name-outer-shared-join-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000003\n"
        "    Processor: KSTREAM-OUTERTHIS-0000000004 (stores: [custom-name-outer-other-join-store, "
        "custom-name-outer-shared-join-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000002\n"
        "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-OUTERTHIS-0000000004, KSTREAM-OUTEROTHER-0000000005\n\n")


def test_describe_outer_custom_store_suppliers():
    this = Stores.in_memory_window_store("in-memory-join-store", 200, 200, True)
    other = Stores.in_memory_window_store("in-memory-join-store-other", 200, 200, True)
    sj = StreamJoined(Serdes.Integer(), S, S, this_store_supplier=this, other_store_supplier=other)
    assert _describe("outer", sj) == HEAD + (
        "    Processor: KSTREAM-WINDOWED-0000000002 (stores: [in-memory-join-store])\n"
        "      --> KSTREAM-OUTERTHIS-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-WINDOWED-0000000003 (stores: [in-memory-join-store-other])\n"
        "      --> KSTREAM-OUTEROTHER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KSTREAM-OUTEROTHER-0000000005 (stores: "
        "[in-memory-join-store-outer-shared-join-store, in-memory-join-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000003\n"
        "    Processor: KSTREAM-OUTERTHIS-0000000004 (stores: [in-memory-join-store-other, "
        "in-memory-join-store-outer-shared-join-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000002\n"
        "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-OUTERTHIS-0000000004, KSTREAM-OUTEROTHER-0000000005\n\n")


def test_named_join_names_every_node():
    builder = StreamsBuilder()
    s1 = builder.stream("a")
    s2 = builder.stream("b")
    s1.left_join(s2, joiner, JoinWindows.of_time_difference_with_no_grace(10),
                 StreamJoined(S, S, S, name="j"))
    text = str(builder.build().describe())
    for name in ("j-this-windowed", "j-other-windowed", "j-this-join", "j-outer-other-join",
                 "j-merge", "KSTREAM-JOINTHIS-0000000004-store",
                 "KSTREAM-OUTERSHARED-0000000004-store"):
        assert name in text


def test_join_after_key_change_repartitions_both_sides_and_copartitions():
    builder = StreamsBuilder()
    s1 = builder.stream("a").select_key(lambda k, v: v)
    s2 = builder.stream("b").map(lambda k, v: (v, k))
    s1.join(s2, joiner, JoinWindows.of_time_difference_with_no_grace(10),
            StreamJoined(S, S, S)).to("out")
    topology = builder.build()
    assert {"KSTREAM-KEY-SELECT-0000000001-repartition",
            "KSTREAM-MAP-0000000003-repartition"} <= set(topology.internal_topics)
    assert topology.copartition_groups == [["KSTREAM-SOURCE-0000000006",
                                            "KSTREAM-SOURCE-0000000009"]]


def test_argument_checks():
    builder = StreamsBuilder()
    s1 = builder.stream("a")
    s2 = builder.stream("b")
    with pytest.raises(TopologyException):
        s1.join(s2, "not callable", JoinWindows.of_time_difference_with_no_grace(10))
    with pytest.raises(TopologyException):
        s1.join(s2, joiner, 10)
    with pytest.raises(TopologyException):
        s1.join(s2, joiner)
    with pytest.raises(TopologyException):
        s1.outer_join(object(), joiner, JoinWindows.of_time_difference_with_no_grace(10))
    same = Stores.in_memory_window_store("same", 20, 20, True)
    with pytest.raises(StreamsException):
        s1.join(s2, joiner, JoinWindows.of_time_difference_with_no_grace(10),
                StreamJoined(this_store_supplier=same, other_store_supplier=same))
    no_dups = Stores.in_memory_window_store("x", 20, 20, False)
    with pytest.raises(StreamsException, match="retainDuplicates"):
        s1.join(s2, joiner, JoinWindows.of_time_difference_with_no_grace(10),
                StreamJoined(this_store_supplier=no_dups))


def test_named_accepts_named_object():
    builder = StreamsBuilder()
    assert Named("x").name == "x"
    assert builder is not None


def test_describe_left_default_store_names():
    assert _describe("left", StreamJoined.with_(Serdes.Integer(), S, S)) == HEAD + (
        "    Processor: KSTREAM-WINDOWED-0000000002 (stores: [KSTREAM-JOINTHIS-0000000004-store])\n"
        "      --> KSTREAM-JOINTHIS-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-WINDOWED-0000000003 (stores: [KSTREAM-OUTEROTHER-0000000005-store])\n"
        "      --> KSTREAM-OUTEROTHER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KSTREAM-JOINTHIS-0000000004 (stores: [KSTREAM-OUTEROTHER-0000000005-store, "
        "KSTREAM-OUTERSHARED-0000000004-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000002\n"
        "    Processor: KSTREAM-OUTEROTHER-0000000005 (stores: [KSTREAM-JOINTHIS-0000000004-store, "
        "KSTREAM-OUTERSHARED-0000000004-store])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-WINDOWED-0000000003\n"
        "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-JOINTHIS-0000000004, KSTREAM-OUTEROTHER-0000000005\n\n")


def test_join_stores_register_changelogs():
    builder = StreamsBuilder()
    s1 = builder.stream("a")
    s2 = builder.stream("b")
    s1.outer_join(s2, joiner, JoinWindows.of_time_difference_and_grace(10, 5))
    topics = builder.build().internal_topics
    window = topics["KSTREAM-OUTERTHIS-0000000004-store-changelog"]
    assert window.kind == "changelog"
    assert window.configs == {"cleanup.policy": "delete", "retention.ms": str(25 + 86400000)}
    assert topics["KSTREAM-OUTERSHARED-0000000004-store-changelog"].configs == {
        "cleanup.policy": "compact"}


# --------------------------------------------------------------------------- GlobalKTable

def _global_orders(left_join: bool, named=None):
    builder = StreamsBuilder()
    orders = builder.stream("order", Consumed.with_(S, S))
    addresses = builder.global_table("address_v2", Consumed.with_(S, S))
    method = orders.left_join if left_join else orders.join
    method(addresses, lambda user, order: user, lambda o, a: f"{o} send to {a}",
           named).to("delivery", Produced.with_(S, S))
    return builder


@pytest.mark.parametrize("left_join", [False, True])
def test_global_table_join_of_address_v2_with_order(left_join):
    with TopologyTestDriver(_global_orders(left_join).build(), {"application.id": "g"}) as d:
        orders = d.create_input_topic("order", S, S)
        addresses = d.create_input_topic("address_v2", S, S)
        out = d.create_output_topic("delivery", S, S)
        orders.pipe_input("nobody", "Phone", 1)
        addresses.pipe_input("jihun", "Newyork", 2)
        orders.pipe_input("jihun", "Galaxy", 3)
        addresses.pipe_input("jihun", "LA", 4)
        orders.pipe_input("jihun", "G-Wagon", 5)
        values = [r.value for r in out.read_records_to_list()]
    expected = ["Galaxy send to Newyork", "G-Wagon send to LA"]
    assert values == (["Phone send to None"] + expected if left_join else expected)


def test_global_table_join_is_named_like_kafka():
    # Kafka names inner and left GlobalKTable joins KSTREAM-LEFTJOIN-
    text = str(_global_orders(False).build().describe())
    assert "Processor: KSTREAM-LEFTJOIN-0000000004 (stores: [])" in text
    assert "Processor: deliver (stores: [])" in str(
        _global_orders(True, Named("deliver")).build().describe())


def test_self_join_without_optimization():
    builder = StreamsBuilder()
    stream = builder.stream("left", Consumed.with_(S, S))
    stream.join(stream, joiner, JoinWindows.of_time_difference_with_no_grace(10),
                StreamJoined.with_(S, S, S)).to("out", Produced.with_(S, S))
    assert run(builder, [("left", "k", "a", 1), ("left", "k", "b", 2)]) == [
        (0, "k", "a+a", 1), (1, "k", "b+a", 2), (1, "k", "a+b", 2), (1, "k", "b+b", 2)]


def _self_join(optimization: str):
    builder = StreamsBuilder({"topology.optimization": optimization})
    stream = builder.stream("left", Consumed(S, S, name="source"))
    stream.join(stream, joiner, JoinWindows.of_time_difference_with_no_grace(10),
                StreamJoined(S, S, S, store_name="ss-join")).to("out", Produced(S, S, name="sink"))
    return builder


@pytest.mark.parametrize("optimization", ["all", "single.store.self.join"])
def test_self_join_single_store_rewrite(optimization):
    # Kafka's StreamsBuilderTest.shouldWrapProcessorsForStreamStreamSelfJoinWithShared...:
    # one windowed processor and the merge-named self-join, sharing one store
    topology = _self_join(optimization).build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: source (topics: [left])\n"
        "      --> KSTREAM-WINDOWED-0000000001\n"
        "    Processor: KSTREAM-WINDOWED-0000000001 (stores: [ss-join-this-join-store])\n"
        "      --> KSTREAM-MERGE-0000000005\n"
        "      <-- source\n"
        "    Processor: KSTREAM-MERGE-0000000005 (stores: [ss-join-this-join-store])\n"
        "      --> sink\n"
        "      <-- KSTREAM-WINDOWED-0000000001\n"
        "    Sink: sink (topic: out)\n"
        "      <-- KSTREAM-MERGE-0000000005\n\n")
    assert list(topology.stores) == ["ss-join-this-join-store"]


def test_self_join_rewrite_gives_the_inner_join_output():
    steps = [("left", "k", "a", 1), ("left", "k", "b", 2), ("left", "k", "c", 0),
             ("left", "j", "x", 5), ("left", "k", "late", 100), ("left", "k", "d", 3)]
    plain = run(_self_join("none"), steps, {"topology.optimization": "none"})
    optimized = run(_self_join("all"), steps, {"topology.optimization": "all"})
    assert optimized == plain
    assert plain[:4] == [(0, "k", "a+a", 1), (1, "k", "b+a", 2), (1, "k", "a+b", 2),
                         (1, "k", "b+b", 2)]


def test_outer_join_emit_throttle_with_production_interval():
    # Kafka's throttle (1000 ms of wall-clock time); the first record arms it even with
    # nothing parked (Java's Long.MAX_VALUE + after + grace overflows)
    cfg = {"application.id": "throttle", "statestore.cache.max.bytes": 0,
           EMIT_INTERVAL_MS_KSTREAMS_OUTER_JOIN_SPURIOUS_RESULTS_FIX: 1000}
    out = []
    with TopologyTestDriver(build("outer").build(), cfg, initial_wall_clock_time=0) as d:
        left = d.create_input_topic("left", S, S)
        right = d.create_input_topic("right", S, S)
        output = d.create_output_topic("out", S, S)
        left.pipe_input("A", "a", 0)
        right.pipe_input("B", "b", 1)
        left.pipe_input("C", "c", 10000)
        left.pipe_input("D", "d", 20000)
        assert output.read_records_to_list() == []  # throttled: no wall-clock time passed
        d.advance_wall_clock_time(1500)
        left.pipe_input("E", "e", 30000)
        out = [(r.key, r.value, r.timestamp) for r in output.read_records_to_list()]
    assert out == [("A", "a+null", 0), ("B", "null+b", 1), ("C", "c+null", 10000),
                   ("D", "d+null", 20000)]
