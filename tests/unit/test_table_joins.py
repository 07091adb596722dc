"""KTable-KTable joins on the primary key, and KStream-KTable joins.

Expected outputs are Kafka Streams 4.4's (the DSL guide's join tables, checked with the
oracle in tests/oracle); the describe() text is the one Kafka prints for the same topology.
"""

from __future__ import annotations

import pytest

from raystreams import Serdes, StreamsBuilder
from raystreams.dsl.params import Consumed, Joined, Materialized, Produced
from raystreams.errors import TopologyException
from raystreams.testing import TopologyTestDriver

S = Serdes.String()
CONFIGS = [{"statestore.cache.max.bytes": 0}, {}]


def joiner(left, right):
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


def tables(kind: str, materialized=None, named=None):
    builder = StreamsBuilder()
    left = builder.table("left", Consumed.with_(S, S), Materialized.as_("left-store"))
    right = builder.table("right", Consumed.with_(S, S), Materialized.as_("right-store"))
    method = {"inner": left.join, "left": left.left_join, "outer": left.outer_join}[kind]
    joined = method(right, joiner, named, materialized)
    joined.to_stream().to("out", Produced.with_(S, S))
    return builder, joined


def run(builder, steps, config=None, store=None):
    out = []
    with TopologyTestDriver(builder.build(), {"application.id": "tt", **(config or {})}) as d:
        inputs = {t: d.create_input_topic(t, S, S) for t in ("left", "right", "stream")
                  if t in d.task.sources_by_topic}
        output = d.create_output_topic("out", S, S)
        for i, (topic, key, value, ts) in enumerate(steps):
            inputs[topic].pipe_input(key, value, ts)
            out.extend((i, r.key, r.value, r.timestamp) for r in output.read_records_to_list())
        contents = None
        if store is not None:
            contents = [(kv[0], kv[1]) for kv in d.get_key_value_store(store).all()]
    return out, contents


GUIDE = [("left", "k", None, 1), ("right", "k", None, 2), ("left", "k", "A", 3),
         ("right", "k", "a", 4), ("left", "k", "B", 5), ("right", "k", "b", 6),
         ("left", "k", None, 7), ("right", "k", None, 8), ("left", "k", "C", 9),
         ("right", "k", "c", 10), ("right", "k", None, 11), ("left", "k", None, 12),
         ("right", "k", None, 13), ("right", "k", "d", 14), ("left", "k", "D", 15)]

GUIDE_OUT = {
    "inner": [(3, "k", "A+a", 4), (4, "k", "B+a", 5), (5, "k", "B+b", 6), (6, "k", None, 7),
              (9, "k", "C+c", 10), (10, "k", None, 11), (14, "k", "D+d", 15)],
    "left": [(2, "k", "A+null", 3), (3, "k", "A+a", 4), (4, "k", "B+a", 5), (5, "k", "B+b", 6),
             (6, "k", None, 7), (8, "k", "C+null", 9), (9, "k", "C+c", 10),
             (10, "k", "C+null", 11), (11, "k", None, 12), (14, "k", "D+d", 15)],
    "outer": [(2, "k", "A+null", 3), (3, "k", "A+a", 4), (4, "k", "B+a", 5), (5, "k", "B+b", 6),
              (6, "k", "null+b", 7), (7, "k", None, 8), (8, "k", "C+null", 9),
              (9, "k", "C+c", 10), (10, "k", "C+null", 11), (11, "k", None, 12),
              (13, "k", "null+d", 14), (14, "k", "D+d", 15)],
}


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("kind", ["inner", "left", "outer"])
def test_guide_table_rows(kind, config):
    builder, _ = tables(kind)
    assert run(builder, GUIDE, config)[0] == GUIDE_OUT[kind]


def test_result_timestamp_is_the_larger_one():
    builder, _ = tables("inner")
    steps = [("left", "k", "A", 50), ("right", "k", "a", 10), ("left", "k", "B", 5)]
    assert run(builder, steps)[0] == [(1, "k", "A+a", 50), (2, "k", "B+a", 10)]


def test_null_keys_are_dropped():
    builder, _ = tables("outer")
    assert run(builder, [("left", None, "A", 1)])[0] == []


@pytest.mark.parametrize("config", CONFIGS)
def test_materialized_result_is_queryable(config):
    builder, joined = tables("left", Materialized.as_("joined"))
    assert joined.queryable_store_name == "joined"
    out, contents = run(builder, [("left", "a", "A", 1), ("right", "a", "x", 2),
                                  ("left", "b", "B", 3), ("left", "b", None, 4)], config, "joined")
    assert out == [(0, "a", "A+null", 1), (1, "a", "A+x", 2), (2, "b", "B+null", 3),
                   (3, "b", None, 4)]
    assert contents == [("a", "A+x")]


def test_describe_outer_join():
    builder, _ = tables("outer")
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [left])\n"
        "      --> KTABLE-SOURCE-0000000001\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [right])\n"
        "      --> KTABLE-SOURCE-0000000003\n"
        "    Processor: KTABLE-SOURCE-0000000001 (stores: [left-store])\n"
        "      --> KTABLE-JOINTHIS-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-SOURCE-0000000003 (stores: [right-store])\n"
        "      --> KTABLE-JOINOTHER-0000000006\n"
        "      <-- KSTREAM-SOURCE-0000000002\n"
        "    Processor: KTABLE-JOINOTHER-0000000006 (stores: [left-store])\n"
        "      --> KTABLE-MERGE-0000000004\n"
        "      <-- KTABLE-SOURCE-0000000003\n"
        "    Processor: KTABLE-JOINTHIS-0000000005 (stores: [right-store])\n"
        "      --> KTABLE-MERGE-0000000004\n"
        "      <-- KTABLE-SOURCE-0000000001\n"
        "    Processor: KTABLE-MERGE-0000000004 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KTABLE-JOINTHIS-0000000005, KTABLE-JOINOTHER-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KTABLE-MERGE-0000000004\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n\n")


def test_named_and_materialized_names():
    builder, _ = tables("inner", Materialized(key_serde=S, value_serde=S), "tj")
    text = str(builder.build().describe())
    assert "Processor: tj (stores: [KTABLE-MERGE-STATE-STORE-0000000004])" in text
    assert "tj-join-this" in text and "tj-join-other" in text


def test_unmaterialized_sources_are_materialized_for_the_join():
    builder = StreamsBuilder()
    left = builder.table("left", Consumed.with_(S, S))
    right = builder.table("right", Consumed.with_(S, S))
    left.join(right, joiner).to_stream().to("out", Produced.with_(S, S))
    out, _ = run(builder, [("left", "a", "A", 1), ("right", "a", "x", 2)])
    assert out == [(1, "a", "A+x", 2)]


def test_stream_joins_a_join_result_through_its_value_getter():
    builder = StreamsBuilder()
    left = builder.table("left", Consumed.with_(S, S), Materialized.as_("left-store"))
    right = builder.table("right", Consumed.with_(S, S), Materialized.as_("right-store"))
    joined = left.left_join(right, joiner)
    stream = builder.stream("stream", Consumed.with_(S, S))
    stream.join(joined, lambda s, t: f"{s}/{t}", Joined.with_(S, S, S)).to("out",
                                                                          Produced.with_(S, S))
    steps = [("stream", "a", "s0", 0), ("left", "a", "A", 1), ("stream", "a", "s1", 2),
             ("right", "a", "x", 3), ("stream", "a", "s2", 4)]
    assert run(builder, steps)[0] == [(2, "a", "s1/A+null", 2), (4, "a", "s2/A+x", 4)]


def test_argument_checks():
    builder = StreamsBuilder()
    left = builder.table("left")
    with pytest.raises(TopologyException):
        left.join(builder.stream("s"), joiner)
    with pytest.raises(TopologyException):
        left.join(builder.table("right"), "nope")
    with pytest.raises(TopologyException):
        left.outer_join(builder.table("right2"), joiner, None, "not materialized")


# --------------------------------------------------------------------------- stream-table

def test_stream_table_guide_rows():
    rows = [("stream" if t == "left" else "table", k, v, ts) for t, k, v, ts in GUIDE]
    expected = {
        False: [(4, "k", "B+a", 5), (14, "k", "D+d", 15)],
        True: [(2, "k", "A+null", 3), (4, "k", "B+a", 5), (8, "k", "C+null", 9),
               (14, "k", "D+d", 15)],
    }
    for left_join, want in expected.items():
        builder = StreamsBuilder()
        stream = builder.stream("stream", Consumed.with_(S, S))
        table = builder.table("right", Consumed.with_(S, S))
        method = stream.left_join if left_join else stream.join
        method(table, joiner, Joined.with_(S, S, S)).to("out", Produced.with_(S, S))
        steps = [(t if t == "stream" else "right", k, v, ts) for t, k, v, ts in rows]
        assert run(builder, steps)[0] == want


def test_order_join_seed():
    builder = StreamsBuilder()
    orders = builder.stream("stream", Consumed.with_(S, S))
    address = builder.table("right", Consumed.with_(S, S))
    orders.join(address, lambda o, a: f"{o} send to {a}").to("out", Produced.with_(S, S))
    steps = [("right", "jihun", "Newyork", 1), ("stream", "jihun", "Galaxy", 2),
             ("right", "jihun", "LA", 3), ("stream", "jihun", "G-Wagon", 4)]
    assert [v for _, _, v, _ in run(builder, steps)[0]] == ["Galaxy send to Newyork",
                                                            "G-Wagon send to LA"]


def test_stream_table_grace_period_needs_versioned_table():
    builder = StreamsBuilder()
    with pytest.raises(TopologyException, match="versioned"):
        builder.stream("s").join(builder.table("t"), joiner, Joined(grace_period=10))


def _rekeyed_joins(named: bool) -> str:
    builder = StreamsBuilder()
    stream_a = builder.stream("topic", Consumed.with_(S, S))
    table_b = builder.table("topic2", Consumed.with_(S, S))
    table_c = builder.table("topic3", Consumed.with_(S, S))
    rekeyed = stream_a.map(lambda k, v: (v, k))
    first = Joined(S, S, S, name="first-join") if named else None
    second = Joined(S, S, S, name="second-join") if named else None
    rekeyed.join(table_b, lambda a, b: a + b, first).to("out-one")
    rekeyed.join(table_c, lambda a, b: a + b, second).to("out-two")
    return str(builder.build().describe())


def test_rekeyed_stream_shares_one_generated_repartition_topic():
    # Kafka's KStreamKTableJoinTest.shouldReuseRepartitionTopicWithGeneratedName
    assert _rekeyed_joins(False) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
        "      --> KSTREAM-MAP-0000000007\n"
        "    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-MAP-0000000007\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: KSTREAM-MAP-0000000007-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000009\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000010 (topics: [KSTREAM-MAP-0000000007-repartition])\n"
        "      --> KSTREAM-JOIN-0000000011, KSTREAM-JOIN-0000000016\n"
        "    Processor: KSTREAM-JOIN-0000000011 (stores: [topic2-STATE-STORE-0000000001])\n"
        "      --> KSTREAM-SINK-0000000012\n"
        "      <-- KSTREAM-SOURCE-0000000010\n"
        "    Processor: KSTREAM-JOIN-0000000016 (stores: [topic3-STATE-STORE-0000000004])\n"
        "      --> KSTREAM-SINK-0000000017\n"
        "      <-- KSTREAM-SOURCE-0000000010\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"
        "      --> KTABLE-SOURCE-0000000003\n"
        "    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"
        "      --> KTABLE-SOURCE-0000000006\n"
        "    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"
        "      <-- KSTREAM-JOIN-0000000011\n"
        "    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"
        "      <-- KSTREAM-JOIN-0000000016\n"
        "    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000002\n"
        "    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000005\n\n")


def test_rekeyed_stream_with_named_joins_gets_one_topic_per_join():
    text = _rekeyed_joins(True)
    assert "      --> first-join-repartition-filter, second-join-repartition-filter\n" in text
    assert "    Source: first-join-repartition-source (topics: [first-join-repartition])\n" \
           "      --> first-join\n" in text
    assert "Sink: second-join-repartition-sink (topic: second-join-repartition)" in text


def test_table_table_join_of_to_table_describe():
    # Kafka's KStreamImplTest.shouldSupportTableTableJoinWithKStreamToKTable
    builder = StreamsBuilder()
    consumed = Consumed.with_(S, S)
    table1 = builder.stream("left", consumed).to_table()
    table2 = builder.stream("right", consumed).to_table()
    table1.join(table2, joiner).to_stream().to("output")
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [left])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Source: KSTREAM-SOURCE-0000000003 (topics: [right])\n"
        "      --> KSTREAM-TOTABLE-0000000004\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-JOINTHIS-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-TOTABLE-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"
        "      --> KTABLE-JOINOTHER-0000000008\n"
        "      <-- KSTREAM-SOURCE-0000000003\n"
        "    Processor: KTABLE-JOINOTHER-0000000008 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"
        "      --> KTABLE-MERGE-0000000006\n"
        "      <-- KSTREAM-TOTABLE-0000000004\n"
        "    Processor: KTABLE-JOINTHIS-0000000007 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"
        "      --> KTABLE-MERGE-0000000006\n"
        "      <-- KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KTABLE-MERGE-0000000006 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000009\n"
        "      <-- KTABLE-JOINTHIS-0000000007, KTABLE-JOINOTHER-0000000008\n"
        "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000010\n"
        "      <-- KTABLE-MERGE-0000000006\n"
        "    Sink: KSTREAM-SINK-0000000010 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000009\n\n")


def test_stream_table_join_of_to_table_describe_and_copartitioning():
    # Kafka's KStreamImplTest.shouldSupportStreamTableJoinWithKStreamToKTable
    builder = StreamsBuilder()
    consumed = Consumed.with_(S, S)
    stream = builder.stream("streamTopic", consumed)
    table = builder.stream("tableTopic", consumed).to_table()
    stream.join(table, joiner).to("output")
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [streamTopic])\n"
        "      --> KSTREAM-JOIN-0000000004\n"
        "    Processor: KSTREAM-JOIN-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000003])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [tableTopic])\n"
        "      --> KSTREAM-TOTABLE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: output)\n"
        "      <-- KSTREAM-JOIN-0000000004\n"
        "    Processor: KSTREAM-TOTABLE-0000000002 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000003])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000001\n\n")
    assert topology.copartition_groups == [["KSTREAM-SOURCE-0000000000",
                                            "KSTREAM-SOURCE-0000000001"]]


# Kafka's StreamsBuilderTest.shouldAllowJoin*: which processors get which stores

def _stores(topology, node):
    return set(topology.nodes[node].stores)


@pytest.mark.parametrize("materialized", [False, True])
@pytest.mark.parametrize("op", ["filter", "map_values"])
def test_join_with_derived_table(op, materialized):
    builder = StreamsBuilder()
    table = builder.table("table-topic")
    mat = Materialized.as_("store") if materialized else None
    derived = (table.filter(lambda k, v: True, None, mat) if op == "filter"
               else table.map_values(lambda v: v, None, mat))
    builder.stream("stream-topic").join(derived, joiner)
    topology = builder.build()
    op_name = "KTABLE-FILTER-0000000003" if op == "filter" else "KTABLE-MAPVALUES-0000000003"
    assert len(topology.stores) == 1
    store = "store" if materialized else next(iter(topology.stores))
    assert _stores(topology, "KSTREAM-JOIN-0000000005") == {store}
    assert _stores(topology, op_name) == ({"store"} if materialized else set())


@pytest.mark.parametrize("materialized", [False, True])
def test_join_with_joined_table(materialized):
    builder = StreamsBuilder()
    table1 = builder.table("table-topic1")
    table2 = builder.table("table-topic2")
    stream = builder.stream("stream-topic")  # Java evaluates the receiver first
    joined = (table1.join(table2, joiner, Materialized.as_("store")) if materialized
              else table1.join(table2, joiner))
    stream.join(joined, joiner)
    topology = builder.build()
    if materialized:
        assert len(topology.stores) == 3
        assert _stores(topology, "KSTREAM-JOIN-0000000010") == {"store"}
        assert _stores(topology, "KTABLE-MERGE-0000000007") == {"store"}
    else:
        assert len(topology.stores) == 2
        assert _stores(topology, "KSTREAM-JOIN-0000000010") == set(topology.stores)
        assert _stores(topology, "KTABLE-MERGE-0000000007") == set()


def test_join_materializes_source_table():
    builder = StreamsBuilder()
    table = builder.table("table-topic")
    builder.stream("stream-topic").join(table, joiner)
    topology = builder.build()
    (store,) = topology.stores
    assert _stores(topology, "KTABLE-SOURCE-0000000002") == {store}
    assert _stores(topology, "KSTREAM-JOIN-0000000004") == {store}
