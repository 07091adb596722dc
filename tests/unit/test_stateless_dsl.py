"""Each stateless KStream operator through the TopologyTestDriver, with exact outputs."""

from __future__ import annotations

import io

import pytest

from raystreams import (
    Branched,
    Consumed,
    Named,
    Printed,
    Produced,
    Repartitioned,
    Serdes,
    StreamsBuilder,
)
from raystreams.errors import TopologyException
from raystreams.testing import TestRecord, TopologyTestDriver

CONFIG = {"application.id": "stateless-test"}


def run(builder: StreamsBuilder, inputs: dict[str, list[tuple]], outputs: list[str],
        key_serde=None, value_serde=None, config=None):
    """Pipe (key, value, timestamp) tuples per topic; return {topic: [(key, value, ts), ...]}."""
    with TopologyTestDriver(builder.build(), config or CONFIG) as driver:
        for topic, records in inputs.items():
            t = driver.create_input_topic(topic, key_serde, value_serde)
            for key, value, ts in records:
                t.pipe_input(key, value, ts)
        result = {}
        for topic in outputs:
            out = driver.create_output_topic(topic, key_serde, value_serde)
            result[topic] = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
        return result


def test_stream_copy_keeps_key_value_timestamp_and_headers():
    b = StreamsBuilder()
    b.stream("stream_log").to("stream_log_copy")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        inp = driver.create_input_topic("stream_log")
        out = driver.create_output_topic("stream_log_copy")
        inp.pipe_input(TestRecord("k1", "hello", 5, [("trace", b"abc")]))
        inp.pipe_input("k2", "world", 7)
        inp.pipe_input("just-a-value", timestamp=9)
        first = out.read_record()
        assert (first.key, first.value, first.timestamp) == ("k1", "hello", 5)
        assert first.headers.to_list() == [("trace", b"abc")]
        assert out.read_key_values_to_list() == [("k2", "world"), (None, "just-a-value")]
        assert out.is_empty()


def test_filter_seed_scenario():
    b = StreamsBuilder()
    b.stream("input").filter(lambda k, v: len(v) > 5).to("output")
    words = ["hi", "hello", "wonyoung", "streams", "jongsang"]
    result = run(b, {"input": [(None, w, i) for i, w in enumerate(words)]}, ["output"])
    assert result["output"] == [(None, "wonyoung", 2), (None, "streams", 3),
                                (None, "jongsang", 4)]


def test_filter_not():
    b = StreamsBuilder()
    b.stream("in").filter_not(lambda k, v: v.startswith("x")).to("out")
    result = run(b, {"in": [("a", "x1", 1), ("b", "y2", 2), ("c", "x3", 3)]}, ["out"])
    assert result["out"] == [("b", "y2", 2)]


def test_map_and_map_values_and_select_key():
    b = StreamsBuilder()
    s = b.stream("in")
    s.map(lambda k, v: (v, k)).to("mapped")
    s.map_values(str.upper).to("upper")
    s.map_values(lambda k, v: f"{k}={v}", with_key=True).to("with-key")
    s.select_key(lambda k, v: v[0]).to("rekeyed")
    result = run(b, {"in": [("k1", "apple", 10), ("k2", "banana", 20)]},
                 ["mapped", "upper", "with-key", "rekeyed"])
    assert result["mapped"] == [("apple", "k1", 10), ("banana", "k2", 20)]
    assert result["upper"] == [("k1", "APPLE", 10), ("k2", "BANANA", 20)]
    assert result["with-key"] == [("k1", "k1=apple", 10), ("k2", "k2=banana", 20)]
    assert result["rekeyed"] == [("a", "apple", 10), ("b", "banana", 20)]


def test_flat_map_and_flat_map_values():
    b = StreamsBuilder()
    s = b.stream("in")
    s.flat_map(lambda k, v: [(w, len(w)) for w in v.split()]).to(
        "words", Produced.with_(Serdes.String(), Serdes.Long()))
    s.flat_map_values(lambda v: v.split()).to("values")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        driver.create_input_topic("in").pipe_input("line", "a bb ccc", 3)
        assert driver.create_output_topic("words", Serdes.String(), Serdes.Long()) \
            .read_key_values_to_list() == [("a", 1), ("bb", 2), ("ccc", 3)]
        values = driver.create_output_topic("values").read_records_to_list()
        assert [(r.key, r.value, r.timestamp) for r in values] == [
            ("line", "a", 3), ("line", "bb", 3), ("line", "ccc", 3)]


def test_peek_foreach_and_print():
    seen, each = [], []
    printed = io.StringIO()
    b = StreamsBuilder()
    s = b.stream("in").peek(lambda k, v: seen.append((k, v)))
    s.foreach(lambda k, v: each.append(v))
    s.print(Printed.to_stream(printed).with_label("lbl"))
    s.print(Printed.to_stream(printed))
    s.to("out")
    result = run(b, {"in": [("a", "1", 0), (None, "2", 1)]}, ["out"])
    assert seen == [("a", "1"), (None, "2")]
    assert each == ["1", "2"]
    assert result["out"] == [("a", "1", 0), (None, "2", 1)]
    assert printed.getvalue().splitlines() == [
        "[lbl]: a, 1", "[KSTREAM-PEEK-0000000001]: a, 1",
        "[lbl]: null, 2", "[KSTREAM-PEEK-0000000001]: null, 2"]


def test_branch_returns_list_first_match_wins():
    b = StreamsBuilder()
    small, big = b.stream("in", Consumed.with_(Serdes.String(), Serdes.Integer())).branch(
        lambda k, v: v < 10, lambda k, v: v < 100)
    small.to("small", Produced.with_(Serdes.String(), Serdes.Integer()))
    big.to("big", Produced.with_(Serdes.String(), Serdes.Integer()))
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        inp = driver.create_input_topic("in", Serdes.String(), Serdes.Integer())
        for i, v in enumerate([5, 50, 500, 7]):
            inp.pipe_input(f"k{i}", v, i)
        assert driver.create_output_topic("small", Serdes.String(), Serdes.Integer()) \
            .read_values_to_list() == [5, 7]
        assert driver.create_output_topic("big", Serdes.String(), Serdes.Integer()) \
            .read_values_to_list() == [50]


def test_split_with_named_branches_and_default():
    b = StreamsBuilder()
    branches = (b.stream("in").split(Named.as_("split-"))
                .branch(lambda k, v: v.startswith("a"), Branched.as_("a"))
                .branch(lambda k, v: v.startswith("b"),
                        Branched.with_function(lambda s: s.map_values(str.upper), "b"))
                .default_branch(Branched.as_("other")))
    assert sorted(branches) == ["split-a", "split-b", "split-other"]
    branches["split-a"].to("out-a")
    branches["split-b"].to("out-b")
    branches["split-other"].to("out-other")
    result = run(b, {"in": [("1", "apple", 1), ("2", "berry", 2), ("3", "cherry", 3),
                            ("4", "avocado", 4)]}, ["out-a", "out-b", "out-other"])
    assert result == {"out-a": [("1", "apple", 1), ("4", "avocado", 4)],
                      "out-b": [("2", "BERRY", 2)], "out-other": [("3", "cherry", 3)]}


def test_split_without_default_drops_unmatched_and_consumer_branch():
    consumed = []
    b = StreamsBuilder()
    out = (b.stream("in").split()
           .branch(lambda k, v: v == "x", Branched.with_consumer(lambda s: s.to("xs")))
           .branch(lambda k, v: v == "y")
           .no_default_branch())
    assert list(out) == ["KSTREAM-BRANCH-00000000012"]
    out["KSTREAM-BRANCH-00000000012"].foreach(lambda k, v: consumed.append(v))
    result = run(b, {"in": [("a", "x", 1), ("b", "y", 2), ("c", "z", 3)]}, ["xs"])
    assert result["xs"] == [("a", "x", 1)]
    assert consumed == ["y"]


def test_merge_interleaves_in_arrival_order():
    b = StreamsBuilder()
    b.stream("left").merge(b.stream("right")).to("merged")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        left, right = driver.create_input_topic("left"), driver.create_input_topic("right")
        left.pipe_input("l", "1", 10)
        right.pipe_input("r", "2", 5)
        left.pipe_input("l", "3", 20)
        out = driver.create_output_topic("merged")
        assert [(r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("1", 10), ("2", 5), ("3", 20)]


def test_to_with_topic_extractor():
    b = StreamsBuilder()
    b.stream("in").to(lambda key, value, ctx: f"route-{value[0]}")
    result = run(b, {"in": [("k", "alpha", 1), ("k", "beta", 2)]}, ["route-a", "route-b"])
    assert result == {"route-a": [("k", "alpha", 1)], "route-b": [("k", "beta", 2)]}


def test_repartition_loops_back_in_the_driver():
    b = StreamsBuilder()
    b.stream("in").select_key(lambda k, v: v).repartition(Repartitioned.as_("by-value")) \
        .map_values(lambda v: v + "!").to("out")
    topology = b.build()
    assert "by-value-repartition" in topology.internal_topics
    with TopologyTestDriver(topology, CONFIG) as driver:
        driver.create_input_topic("in").pipe_input("k", "v1", 3)
        assert driver.create_output_topic("out").read_key_values_to_list() == [("v1", "v1!")]
        internal = driver.create_output_topic("stateless-test-by-value-repartition")
        assert internal.read_key_values_to_list() == [("v1", "v1")]


def test_key_changing_operations_mark_repartitioning():
    b = StreamsBuilder()
    s = b.stream("in")
    assert not s.filter(lambda k, v: True).repartition_required
    assert not s.map_values(str.upper).repartition_required
    assert s.map(lambda k, v: (v, k)).repartition_required
    assert s.select_key(lambda k, v: v).repartition_required
    assert s.flat_map(lambda k, v: []).repartition_required
    assert s.select_key(lambda k, v: v).map_values(str.lower).repartition_required
    assert s.select_key(lambda k, v: v).merge(s).repartition_required
    assert not s.select_key(lambda k, v: v).repartition().repartition_required


def test_bad_mapper_results_name_the_processor():
    b = StreamsBuilder()
    b.stream("in").map(lambda k, v: v, named="bad-map").to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        with pytest.raises(Exception) as info:
            driver.create_input_topic("in").pipe_input("k", "v", 1)
        err = info.value
        assert err.processor == "bad-map"
        assert err.topic == "in" and err.partition == 0 and err.offset == 0
        assert "(key, value) pair" in str(err)


def test_invalid_names_and_arguments():
    b = StreamsBuilder()
    with pytest.raises(TopologyException, match="illegal"):
        b.stream("in").filter(lambda k, v: True, named="bad name!")
    with pytest.raises(TopologyException, match="must be callable"):
        b.stream("in2").map_values("not a function")
    with pytest.raises(TopologyException, match="already been registered"):
        b.stream("in3")
        b.stream("in3")


def test_repartition_drops_null_keys_unless_a_left_join_downstream_keeps_them():
    from raystreams import JoinWindows

    b = StreamsBuilder()
    b.stream("in").repartition(Repartitioned.as_("plain")).to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        inp = driver.create_input_topic("in")
        inp.pipe_input(None, "dropped", 1)
        inp.pipe_input("k", "kept", 2)
        assert driver.create_output_topic("out").read_key_values_to_list() == [("k", "kept")]

    b = StreamsBuilder()
    left = b.stream("in").repartition(Repartitioned.as_("relaxed"))
    left.left_join(b.stream("other"), lambda lv, rv: f"{lv}+{rv}",
                   JoinWindows.of_time_difference_with_no_grace(10)).to("joined")
    topology = b.build()
    with TopologyTestDriver(topology, CONFIG) as driver:
        driver.create_input_topic("in").pipe_input(None, "nokey", 1)
        internal = driver.create_output_topic("stateless-test-relaxed-repartition")
        assert internal.read_key_values_to_list() == [(None, "nokey")]
