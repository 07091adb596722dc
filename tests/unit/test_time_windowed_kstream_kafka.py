"""Kafka Streams 4.4's ``TimeWindowedKStreamImplTest`` on raystreams' driver: the cases that
run through the store's cache (each under both emit strategies, with ``Materialized`` caching
on and off).

Tumbling 500 ms windows, no grace; input ``1:1@10, 1:2@15, 1:3@500, 2:10@550, 2:20@500,
2:30@1000``. Reading the materialized store for ``fetch("1", "2", 0, 1000)``: with the cache
on, every window is returned, also those the store below already dropped as past retention
(they are still in the record cache, and Kafka's ``CachingWindowStore`` merges them in);
with it off, only what the store below keeps.

Not ported: the ``withHeaders`` half of Kafka's parameters (DSL stores with record headers
are not in raystreams) and the null-``Materialized``/``Named`` cases (Python's ``None`` means
"not given").
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from kafka_mocks import capture, string_adder, string_init, tostring_adder

from raystreams import Consumed, Grouped, Materialized, Serdes, StreamsBuilder
from raystreams.dsl.windows import EmitStrategy, TimeWindows
from raystreams.errors import TopologyException
from raystreams.state import KeyValue, ValueAndTimestamp
from raystreams.testing import TopologyTestDriver
from raystreams.windowed import TimeWindow, Windowed

S, L = Serdes.String(), Serdes.Long()
TOPIC = "input"
KEY_1_WINDOW_0 = Windowed("1", TimeWindow(0, 500))
KEY_1_WINDOW_1 = Windowed("1", TimeWindow(500, 1000))
KEY_2_WINDOW_1 = Windowed("2", TimeWindow(500, 1000))
KEY_2_WINDOW_2 = Windowed("2", TimeWindow(1000, 1500))






@pytest.fixture(params=["ON_WINDOW_UPDATE", "ON_WINDOW_CLOSE"])
def emit_final(request) -> bool:
    return request.param == "ON_WINDOW_CLOSE"


@pytest.fixture(params=[True, False], ids=["cache", "nocache"])
def with_cache(request) -> bool:
    return request.param


@pytest.fixture
def builder() -> StreamsBuilder:
    return StreamsBuilder()


@pytest.fixture
def windowed(builder):
    return (builder.stream(TOPIC, Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
            .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(milliseconds=500))))


def strategy(emit_final: bool):
    return EmitStrategy.on_window_close() if emit_final else EmitStrategy.on_window_update()


def cached(materialized: Materialized, with_cache: bool) -> Materialized:
    return materialized.with_caching_enabled() if with_cache else materialized.with_caching_disabled()


def process_data(builder) -> TopologyTestDriver:
    driver = TopologyTestDriver(builder.build(), {"application.id": "time-windowed",
                                                  "default.key.serde": "String",
                                                  "default.value.serde": "String"})
    topic = driver.create_input_topic(TOPIC, S, S)
    for key, value, ts in [("1", "1", 10), ("1", "2", 15), ("1", "3", 500), ("2", "10", 550),
                           ("2", "20", 500), ("2", "30", 1000)]:
        topic.pipe_input(key, value, ts)
    return driver


def captured(builder, table) -> list:
    processed = capture(table)
    process_data(builder).close()
    return processed


def test_should_count_windowed(builder, windowed, emit_final):
    processed = captured(builder, windowed.emit_strategy(strategy(emit_final)).count())
    if emit_final:
        assert processed == [(KEY_1_WINDOW_0, 2, 15), (KEY_1_WINDOW_1, 1, 500),
                             (KEY_2_WINDOW_1, 2, 550)]
    else:
        assert processed == [(KEY_1_WINDOW_0, 1, 10), (KEY_1_WINDOW_0, 2, 15),
                             (KEY_1_WINDOW_1, 1, 500), (KEY_2_WINDOW_1, 1, 550),
                             (KEY_2_WINDOW_1, 2, 550), (KEY_2_WINDOW_2, 1, 1000)]


def test_should_reduce_windowed(builder, windowed, emit_final):
    processed = captured(builder, windowed.emit_strategy(strategy(emit_final)).reduce(string_adder))
    if emit_final:
        assert processed == [(KEY_1_WINDOW_0, "1+2", 15), (KEY_1_WINDOW_1, "3", 500),
                             (KEY_2_WINDOW_1, "10+20", 550)]
    else:
        assert processed == [(KEY_1_WINDOW_0, "1", 10), (KEY_1_WINDOW_0, "1+2", 15),
                             (KEY_1_WINDOW_1, "3", 500), (KEY_2_WINDOW_1, "10", 550),
                             (KEY_2_WINDOW_1, "10+20", 550), (KEY_2_WINDOW_2, "30", 1000)]


def test_should_aggregate_windowed(builder, windowed, emit_final, with_cache):
    table = windowed.emit_strategy(strategy(emit_final)).aggregate(
        string_init, tostring_adder, cached(Materialized.with_(S, S), with_cache))
    processed = captured(builder, table)
    if emit_final:
        assert processed == [(KEY_1_WINDOW_0, "0+1+2", 15), (KEY_1_WINDOW_1, "0+3", 500),
                             (KEY_2_WINDOW_1, "0+10+20", 550)]
    else:
        assert processed == [(KEY_1_WINDOW_0, "0+1", 10), (KEY_1_WINDOW_0, "0+1+2", 15),
                             (KEY_1_WINDOW_1, "0+3", 500), (KEY_2_WINDOW_1, "0+10", 550),
                             (KEY_2_WINDOW_1, "0+10+20", 550), (KEY_2_WINDOW_2, "0+30", 1000)]


def _read(builder, name):
    driver = process_data(builder)
    try:
        plain = driver.get_window_store(name).fetch("1", "2", 0, 1000).to_list()
        stamped = driver.get_timestamped_window_store(name).fetch("1", "2", 0, 1000).to_list()
    finally:
        driver.close()
    return plain, stamped


def _expect(values, stamps, keep):
    keys = [KEY_1_WINDOW_0, KEY_1_WINDOW_1, KEY_2_WINDOW_1, KEY_2_WINDOW_2]
    plain = [KeyValue(k, v) for i, (k, v) in enumerate(zip(keys, values, strict=True)) if i in keep]
    stamped = [KeyValue(k, ValueAndTimestamp(v, t))
               for i, (k, v, t) in enumerate(zip(keys, values, stamps, strict=True)) if i in keep]
    return plain, stamped


STAMPS = [15, 500, 550, 1000]


def test_should_materialize_count(builder, windowed, emit_final, with_cache):
    windowed.emit_strategy(strategy(emit_final)).count(
        cached(Materialized.as_("count-store").with_key_serde(S).with_value_serde(L), with_cache))
    if with_cache:  # every window, the expired ones too, merged in from the cache
        keep = {0, 1, 2, 3}
    elif not emit_final:  # only what the store below keeps
        keep = {3}
    else:  # emit-final's time-ordered store keeps windows by their start
        keep = {1, 2, 3}
    assert _read(builder, "count-store") == _expect([2, 1, 2, 1], STAMPS, keep)


def test_should_materialize_reduced(builder, windowed, with_cache):
    windowed.reduce(string_adder, cached(
        Materialized.as_("reduced").with_key_serde(S).with_value_serde(S), with_cache))
    keep = {0, 1, 2, 3} if with_cache else {3}
    assert _read(builder, "reduced") == _expect(["1+2", "3", "10+20", "30"], STAMPS, keep)


def test_should_materialize_aggregated(builder, windowed, with_cache):
    windowed.aggregate(string_init, tostring_adder, cached(
        Materialized.as_("aggregated").with_key_serde(S).with_value_serde(S), with_cache))
    keep = {0, 1, 2, 3} if with_cache else {3}
    assert _read(builder, "aggregated") == _expect(["0+1+2", "0+3", "0+10+20", "0+30"], STAMPS,
                                                   keep)


@pytest.mark.parametrize("call", [
    lambda w: w.aggregate(None, tostring_adder),
    lambda w: w.aggregate(string_init, None),
    lambda w: w.reduce(None),
    lambda w: w.aggregate(None, tostring_adder, Materialized.as_("store")),
    lambda w: w.aggregate(string_init, None, Materialized.as_("store")),
    lambda w: w.reduce(None, Materialized.as_("store")),
], ids=["aggregate-initializer", "aggregate-aggregator", "reduce-reducer",
        "materialized-aggregate-initializer", "materialized-aggregate-aggregator",
        "materialized-reduce-reducer"])
def test_should_throw_on_null_function(windowed, call):
    with pytest.raises(TopologyException):
        call(windowed)
