"""Grouped streams, grouped tables, cogroup and to_table (vectors from Kafka's
KGroupedStreamImplTest, KTableAggregateTest, KGroupedTableImplTest, CogroupedKStreamImplTest,
KStreamImplTest), with and without cache."""

from __future__ import annotations

import re

import pytest

from raystreams import Consumed, Grouped, Materialized, Named, Produced, Serdes, StreamsBuilder
from raystreams.errors import StreamsException, TopologyException
from raystreams.processor.change import Change, ChangeSerde
from raystreams.state.types import ValueAndTimestamp
from raystreams.testing import TopologyTestDriver

S, L = Serdes.String(), Serdes.Long()
CACHES = {"nocache": {"statestore.cache.max.bytes": 0}, "cache": {}}


@pytest.fixture(params=sorted(CACHES))
def config(request):
    return {"application.id": "agg-test", **CACHES[request.param]}


def string_init():
    return "0"


def tostring_adder(key, value, agg):
    return f"{agg}+{value}"


def tostring_remover(key, value, agg):
    return f"{agg}-{value}"


def pipe(driver, topic, records, key_serde=S, value_serde=S):
    t = driver.create_input_topic(topic, key_serde, value_serde)
    for key, value, ts in records:
        t.pipe_input(key, value, ts)


def read(driver, topic, key_serde=S, value_serde=S):
    return [(r.key, r.value, r.timestamp) for r in
            driver.create_output_topic(topic, key_serde, value_serde).read_records_to_list()]


GROUPED_DATA = [("1", "A", 5), ("2", "B", 1), ("1", "C", 3), ("1", "D", 10), ("3", "E", 8),
                ("3", "F", 9), ("3", None, 11)]


def grouped_stream():
    builder = StreamsBuilder()
    grouped = builder.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
    return builder, grouped


# ------------------------------------------------------------------------------ grouped streams

def test_count_materializes_timestamped_results(config):
    builder, grouped = grouped_stream()
    grouped.count(materialized=Materialized.as_("count").with_key_serde(S))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic", GROUPED_DATA)
        count = driver.get_key_value_store("count")
        assert (count.get("1"), count.get("2"), count.get("3")) == (3, 1, 2)
        ts = driver.get_timestamped_key_value_store("count")
        assert ts.get("1") == ValueAndTimestamp(3, 10)
        assert ts.get("2") == ValueAndTimestamp(1, 1)
        assert ts.get("3") == ValueAndTimestamp(2, 9)
        assert driver.task.metrics.records_dropped == 1  # the null value


def test_reduce_materializes_results(config):
    builder, grouped = grouped_stream()
    grouped.reduce(lambda a, b: f"{a}+{b}",
                   materialized=Materialized.as_("reduce").with_key_serde(S).with_value_serde(S))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic", GROUPED_DATA)
        ts = driver.get_timestamped_key_value_store("reduce")
        assert ts.get("1") == ValueAndTimestamp("A+C+D", 10)
        assert ts.get("2") == ValueAndTimestamp("B", 1)
        assert ts.get("3") == ValueAndTimestamp("E+F", 9)


def test_aggregate_with_default_serdes_forwards_every_update(config):
    builder, grouped = grouped_stream()
    grouped.aggregate(string_init, tostring_adder).to_stream().to("out")
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic", GROUPED_DATA)
        assert read(driver, "out") == [
            ("1", "0+A", 5), ("2", "0+B", 1), ("1", "0+A+C", 5), ("1", "0+A+C+D", 10),
            ("3", "0+E", 8), ("3", "0+E+F", 9)]


def test_stream_aggregation_skips_null_keys():
    builder = StreamsBuilder()
    builder.stream("topic", Consumed.with_(S, S)).group_by_key().count().to_stream() \
        .to("out", Produced.with_(S, L))
    with TopologyTestDriver(builder.build()) as driver:
        pipe(driver, "topic", [(None, "a", 1), ("k", "b", 2)])
        assert read(driver, "out", S, L) == [("k", 1, 2)]
        assert driver.task.metrics.records_dropped == 1


def test_group_by_key_without_key_change_does_not_repartition():
    builder, grouped = grouped_stream()
    grouped.count()
    topology = builder.build()
    assert len(topology.subtopologies()) == 1
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n")
    assert "KSTREAM-AGGREGATE-STATE-STORE-0000000001-changelog" in topology.internal_topics


def test_group_by_repartitions_through_a_topic_named_after_the_store():
    builder = StreamsBuilder()
    builder.stream("topic").group_by(lambda k, v: v).count()
    topology = builder.build()
    assert list(topology.internal_topics) == [
        "KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition",
        "KSTREAM-AGGREGATE-STATE-STORE-0000000002-changelog"]
    text = str(topology.describe())
    assert "Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition)" in text
    assert "Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])" in text


def test_count_with_nameless_materialized_burns_an_extra_index():
    builder = StreamsBuilder()
    table = builder.stream("topic").group_by_key().count(materialized=Materialized.with_(S, L))
    assert table.name == "KSTREAM-AGGREGATE-0000000003"
    assert list(builder.build().stores) == ["KSTREAM-AGGREGATE-STATE-STORE-0000000002"]


def test_grouped_name_names_the_key_selector_and_the_repartition_topic(config):
    builder = StreamsBuilder()
    (builder.stream("topic", Consumed.with_(S, S))
     .group_by(lambda k, v: v, Grouped.with_(S, S).with_name("by-value"))
     .reduce(lambda a, b: a + b, Named("reducer"), Materialized.as_("red"))
     .to_stream().to("out"))
    topology = builder.build()
    text = str(topology.describe())
    assert "Processor: by-value (stores: [])" in text
    assert "Sink: by-value-repartition-sink (topic: by-value-repartition)" in text
    assert "Processor: reducer (stores: [red])" in text
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic", [("a", "x", 1), ("b", "x", 2), ("c", "y", 3)])
        assert read(driver, "out") == [("x", "x", 1), ("x", "xx", 2), ("y", "y", 3)]
        assert "agg-test-by-value-repartition" in driver.produced_topic_names()


def test_grouped_stream_argument_checks():
    _, grouped = grouped_stream()
    with pytest.raises(TopologyException):
        grouped.reduce(None)
    with pytest.raises(TopologyException):
        grouped.aggregate(None, tostring_adder)
    with pytest.raises(TopologyException):
        grouped.aggregate(string_init, None)
    with pytest.raises(TopologyException):
        grouped.cogroup(None)
    with pytest.raises(TopologyException):
        Materialized.as_("~foo bar~")


# ------------------------------------------------------------------------------ word count

def _words(text):
    parts = re.split(r"\W+", text.lower(), flags=re.ASCII)
    return [w for w in parts if w and w != "the"]


def test_word_count(config):
    builder = StreamsBuilder()
    (builder.stream("text", Consumed.with_(S, S))
     .flat_map_values(_words)
     .group_by(lambda k, w: w)
     .count(materialized=Materialized.as_("word-counts"))
     .to_stream().to("counts", Produced.with_(S, L)))
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [text])\n"
        "      --> KSTREAM-FLATMAPVALUES-0000000001\n"
        "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"
        "      --> KSTREAM-KEY-SELECT-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
        "      --> word-counts-repartition-filter\n"
        "      <-- KSTREAM-FLATMAPVALUES-0000000001\n"
        "    Processor: word-counts-repartition-filter (stores: [])\n"
        "      --> word-counts-repartition-sink\n"
        "      <-- KSTREAM-KEY-SELECT-0000000002\n"
        "    Sink: word-counts-repartition-sink (topic: word-counts-repartition)\n"
        "      <-- word-counts-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: word-counts-repartition-source (topics: [word-counts-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [word-counts])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- word-counts-repartition-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-AGGREGATE-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: counts)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n\n")
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "text", [(None, "The quick brown fox", 1), (None, "the lazy dog, the END", 2),
                              (None, "Quick! quick fox...", 3)])
        assert read(driver, "counts", S, L) == [
            ("quick", 1, 1), ("brown", 1, 1), ("fox", 1, 1), ("lazy", 1, 2), ("dog", 1, 2),
            ("end", 1, 2), ("quick", 2, 3), ("quick", 3, 3), ("fox", 2, 3)]
        store = driver.get_key_value_store("word-counts")
        assert [(kv.key, kv.value) for kv in store.all()] == [
            ("brown", 1), ("dog", 1), ("end", 1), ("fox", 2), ("lazy", 1), ("quick", 3)]


# ------------------------------------------------------------------------------ grouped tables

def _table_aggregate(builder, selector):
    return (builder.table("topic1", Consumed.with_(S, S))
            .group_by(selector, Grouped.with_(S, S))
            .aggregate(string_init, tostring_adder, tostring_remover,
                       materialized=Materialized.as_("topic1-Canonized").with_value_serde(S)))


def test_table_aggregate_basic(config):
    builder = StreamsBuilder()
    _table_aggregate(builder, lambda k, v: (k, v)).to_stream().to("out")
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [("A", "1", 10), ("B", "2", 15), ("A", "3", 20), ("B", "4", 18),
                                ("C", "5", 5), ("D", "6", 25), ("B", "7", 15), ("C", "8", 10)])
        assert read(driver, "out") == [
            ("A", "0+1", 10), ("B", "0+2", 15), ("A", "0+1-1+3", 20), ("B", "0+2-2+4", 18),
            ("C", "0+5", 5), ("D", "0+6", 25), ("B", "0+2-2+4-4+7", 18), ("C", "0+5-5+8", 10)]


def test_table_aggregate_repartition_drops_null_pairs(config):
    def selector(key, value):
        if key == "null":
            return (None, value)
        if key == "NULL":
            return None
        return (value, value)

    builder = StreamsBuilder()
    _table_aggregate(builder, selector).to_stream().to("out")
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [("A", "1", 10), ("A", None, 15), ("A", "1", 12), ("B", "2", 20),
                                ("null", "3", 25), ("B", "4", 23), ("NULL", "5", 24),
                                ("B", "7", 22)])
        assert read(driver, "out") == [
            ("1", "0+1", 10), ("1", "0+1-1", 15), ("1", "0+1-1+1", 15), ("2", "0+2", 20),
            ("2", "0+2-2", 23), ("4", "0+4", 23), ("4", "0+4-4", 23), ("7", "0+7", 22)]


def test_table_aggregate_removes_old_before_adding_new(config):
    builder = StreamsBuilder()
    (builder.table("count-test-input", Consumed.with_(S, S))
     .group_by(lambda k, v: (k[0], k[1]), Grouped.with_(S, S))
     .aggregate(lambda: "", lambda k, v, agg: agg + v, lambda k, v, agg: agg.replace(v, ""),
                materialized=Materialized.as_("someStore").with_value_serde(S))
     .to_stream().to("out"))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "count-test-input", [("11", "A", 10), ("12", "B", 8), ("11", None, 12),
                                          ("12", "C", 6)])
        assert read(driver, "out") == [("1", "1", 10), ("1", "12", 10), ("1", "2", 12),
                                       ("1", "2", 12)]


def test_table_count_same_key_update_is_one_change(config):
    builder = StreamsBuilder()
    (builder.table("input-topic", Consumed.with_(S, S))
     .group_by(lambda k, v: (k, v), Grouped.with_(S, S)).count()
     .to_stream().to("output-topic", Produced.with_(S, L)))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "input-topic", [("1", "", 8), ("1", "", 9)])
        assert read(driver, "output-topic", S, L) == [("1", 1, 8), ("1", 1, 9)]


def test_table_reduce_and_describe(config):
    builder = StreamsBuilder()
    (builder.table("users", Consumed.with_(S, S), Materialized.as_("users-store"))
     .group_by(lambda user, region: (region, 1), Grouped.with_(S, L))
     .reduce(lambda a, b: a + b, lambda a, b: a - b)
     .to_stream().to("out", Produced.with_(S, L)))
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [users])\n"
        "      --> KTABLE-SOURCE-0000000001\n"
        "    Processor: KTABLE-SOURCE-0000000001 (stores: [users-store])\n"
        "      --> KTABLE-SELECT-0000000002\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-SELECT-0000000002 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KTABLE-SOURCE-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KTABLE-AGGREGATE-STATE-STORE-0000000003-repartition)\n"
        "      <-- KTABLE-SELECT-0000000002\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000005 (topics: [KTABLE-AGGREGATE-STATE-STORE-0000000003-repartition])\n"
        "      --> KTABLE-REDUCE-0000000006\n"
        "    Processor: KTABLE-REDUCE-0000000006 (stores: [KTABLE-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000005\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KTABLE-REDUCE-0000000006\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n\n")
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "users", [("alice", "asia", 1), ("bob", "asia", 2), ("alice", "eu", 3),
                               ("bob", None, 4)])
        assert read(driver, "out", S, L) == [("asia", 1, 1), ("asia", 2, 2), ("asia", 1, 3),
                                             ("eu", 1, 3), ("asia", 0, 4)]


def test_grouped_table_null_key_raises():
    builder = StreamsBuilder()
    builder.table("t", Consumed.with_(S, S)).group_by(lambda k, v: (k, v)).count()
    topology = builder.build()
    with TopologyTestDriver(topology) as driver:
        # a null key never reaches the repartition (the table source drops it)
        pipe(driver, "t", [(None, "x", 1)])
        assert driver.task.metrics.records_dropped == 1


def test_change_serde_round_trips_kafka_layouts():
    serde = ChangeSerde(S)
    assert serde.serialize("t", Change("new", None)) == b"new\x01"
    assert serde.serialize("t", Change(None, "old")) == b"old\x00"
    assert serde.serialize("t", Change("ab", "cde")) == b"\x04abcde\x02"
    for change in (Change("new", None), Change(None, "old"), Change("ab", "cde")):
        assert serde.deserialize("t", serde.serialize("t", change)) == change
    with pytest.raises(StreamsException):
        serde.serialize("t", Change(None, None))


# ------------------------------------------------------------------------------ cogroup

def test_cogroup_names_its_repartition_after_the_grouped(config):
    builder = StreamsBuilder()
    one = builder.stream("one", Consumed.with_(S, S))
    two = builder.stream("two", Consumed.with_(S, S))
    grouped_one = one.map(lambda k, v: (v, k)).group_by_key(Grouped.as_("repartition-test"))
    grouped_two = two.group_by_key()
    customers = (grouped_one.cogroup(lambda k, v, agg: agg + v)
                 .cogroup(grouped_two, lambda k, v, agg: agg + v)
                 .aggregate(lambda: ""))
    customers.to_stream().to("output")
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        "      --> repartition-test-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: repartition-test-repartition-filter (stores: [])\n"
        "      --> repartition-test-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Sink: repartition-test-repartition-sink (topic: repartition-test-repartition)\n"
        "      <-- repartition-test-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Source: repartition-test-repartition-source (topics: [repartition-test-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- repartition-test-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000010\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000011\n"
        "      <-- COGROUPKSTREAM-MERGE-0000000009\n"
        "    Sink: KSTREAM-SINK-0000000011 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000010\n\n")


def test_cogroup_named_and_materialized(config):
    builder = StreamsBuilder()
    one = builder.stream("one", Consumed.with_(S, S))
    two = builder.stream("two", Consumed.with_(S, S))
    (one.map(lambda k, v: (v, k)).group_by_key()
     .cogroup(lambda k, v, agg: agg + "A" + v)
     .cogroup(two.group_by_key(), lambda k, v, agg: agg + "B" + v)
     .aggregate(lambda: "", Named("test"), Materialized.as_("store"))
     .to_stream().to("output"))
    topology = builder.build()
    text = str(topology.describe())
    assert "Sink: store-repartition-sink (topic: store-repartition)" in text
    assert "Processor: test-cogroup-agg-0 (stores: [store])" in text
    assert "Processor: test-cogroup-agg-1 (stores: [store])" in text
    assert "      <-- test-cogroup-agg-0, test-cogroup-agg-1\n" in text
    assert "KSTREAM-SINK-0000000010 (topic: output)" in text
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "one", [("x", "k", 1)])
        pipe(driver, "two", [("k", "y", 2), ("k", None, 3)])
        assert read(driver, "output") == [("k", "Ax", 1), ("k", "AxBy", 2)]
        assert driver.get_key_value_store("store").get("k") == "AxBy"


# ------------------------------------------------------------------------------ to_table

def test_to_table_materialized_and_queryable(config):
    builder = StreamsBuilder()
    table = builder.stream("in", Consumed.with_(S, S)).to_table(
        Named("tt"), Materialized.as_("latest"))
    table.to_stream().to("out")
    assert table.queryable_store_name == "latest"
    topology = builder.build()
    assert "Processor: tt (stores: [latest])" in str(topology.describe())
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "in", [("a", "1", 1), ("b", "2", 2), ("a", None, 3), (None, "x", 4)])
        assert read(driver, "out") == [("a", "1", 1), ("b", "2", 2), ("a", None, 3)]
        assert driver.get_key_value_store("latest").get("b") == "2"


def test_to_table_after_key_change_repartitions():
    builder = StreamsBuilder()
    builder.stream("in").select_key(lambda k, v: v).to_table().to_stream().to("out")
    text = str(builder.build().describe())
    assert "Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)" in text
    assert "Processor: KSTREAM-TOTABLE-0000000002 (stores: [])" in text


@pytest.mark.parametrize("cache", sorted(CACHES))
def test_cache_forwards_one_update_per_key_and_commit(cache):
    builder = StreamsBuilder()
    (builder.stream("in", Consumed.with_(S, S)).flat_map_values(str.split)
     .group_by_key().count().to_stream().to("out", Produced.with_(S, L)))
    with TopologyTestDriver(builder.build(), {"application.id": "c", **CACHES[cache]}) as driver:
        pipe(driver, "in", [("k", "a b a", 1), ("j", "x", 2), ("k", "c", 3)])
        expected = ([("k", 3, 1), ("j", 1, 2), ("k", 4, 3)] if cache == "cache" else
                    [("k", 1, 1), ("k", 2, 1), ("k", 3, 1), ("j", 1, 2), ("k", 4, 3)])
        assert read(driver, "out", S, L) == expected


def test_cogroup_requires_its_streams_to_be_copartitioned():
    builder = StreamsBuilder()
    a = builder.stream("a").group_by_key()
    b = builder.stream("b").group_by_key()
    a.cogroup(lambda k, v, agg: agg + v).cogroup(b, lambda k, v, agg: agg + v).aggregate(str)
    assert builder.build().copartition_groups == [
        ["KSTREAM-SOURCE-0000000000", "KSTREAM-SOURCE-0000000001"]]


def test_built_topology_survives_pickling(config):
    import cloudpickle

    builder = StreamsBuilder()
    (builder.table("users", Consumed.with_(S, S))
     .filter(lambda k, v: v != "skip")
     .group_by(lambda user, region: (region, user))
     .count().to_stream().to("out", Produced.with_(S, L)))
    topology = cloudpickle.loads(cloudpickle.dumps(builder.build()))
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "users", [("alice", "asia", 1), ("bob", "asia", 2), ("alice", "skip", 3)])
        assert read(driver, "out", S, L) == [("asia", 1, 1), ("asia", 2, 2), ("asia", 1, 3)]


@pytest.mark.parametrize("kind", ["stream", "table"])
def test_two_aggregations_share_a_named_repartition_topic(kind, config):
    builder = StreamsBuilder()
    if kind == "stream":
        grouped = builder.stream("s", Consumed.with_(S, S)).group_by(lambda k, v: v,
                                                                     Grouped.as_("grp"))
    else:
        grouped = builder.table("s", Consumed.with_(S, S)).group_by(lambda k, v: (v, k),
                                                                    Grouped.as_("grp"))
    grouped.count(materialized=Materialized.as_("c1")).to_stream().to("o1", Produced.with_(S, L))
    grouped.count(materialized=Materialized.as_("c2")).to_stream().to("o2", Produced.with_(S, L))
    topology = builder.build()
    assert [t for t in topology.internal_topics if t.endswith("-repartition")] == ["grp-repartition"]
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "s", [("k", "v", 1), ("j", "v", 2)])
        assert read(driver, "o1", S, L) == [("v", 1, 1), ("v", 2, 2)]
        assert read(driver, "o2", S, L) == [("v", 1, 1), ("v", 2, 2)]


def test_grouped_table_reduce_with_default_serdes_keeps_the_latest_timestamp():
    builder = StreamsBuilder()
    reduced = (builder.table("input", Consumed.with_(S, Serdes.Double()),
                             Materialized.as_("store").with_key_serde(S)
                             .with_value_serde(Serdes.Double()))
               .group_by(lambda k, v: (k, int(v)))
               .reduce(lambda a, b: a + b, lambda a, b: a - b, materialized=Materialized.as_("reduced")))
    assert reduced.queryable_store_name == "reduced"
    config = {"application.id": "reduce", "default.value.serde": "Integer"}
    with TopologyTestDriver(builder.build(), config) as driver:
        t = driver.create_input_topic("input", S, Serdes.Double())
        store = driver.get_timestamped_key_value_store("reduced")
        t.pipe_input("A", 1.1, 10)
        t.pipe_input("B", 2.2, 11)
        assert (store.get("A"), store.get("B")) == (ValueAndTimestamp(1, 10), ValueAndTimestamp(2, 11))
        t.pipe_input("A", 2.6, 30)
        t.pipe_input("B", 1.3, 30)
        t.pipe_input("A", 5.7, 50)
        t.pipe_input("B", 6.2, 20)
        assert (store.get("A"), store.get("B")) == (ValueAndTimestamp(5, 50), ValueAndTimestamp(6, 30))


@pytest.mark.parametrize("op", ["count", "aggregate"])
def test_grouped_table_count_and_aggregate_materialize(config, op):
    builder = StreamsBuilder()
    grouped = builder.table("input", Consumed.with_(S, S)).group_by(lambda k, v: (v, v),
                                                                    Grouped.with_(S, S))
    if op == "count":
        grouped.count(materialized=Materialized.as_("res").with_key_serde(S).with_value_serde(L))
        expected = {"1": ValueAndTimestamp(3, 50), "2": ValueAndTimestamp(2, 60)}
    else:
        grouped.aggregate(string_init, tostring_adder, tostring_remover,
                          materialized=Materialized.as_("res").with_value_serde(S))
        expected = {"1": ValueAndTimestamp("0+1+1+1", 50), "2": ValueAndTimestamp("0+2+2", 60)}
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "input", [("A", "1", 10), ("B", "1", 50), ("C", "1", 30), ("D", "2", 40),
                               ("E", "2", 60)])
        store = driver.get_timestamped_key_value_store("res")
        assert {k: store.get(k) for k in expected} == expected
