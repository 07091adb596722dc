"""Every example under examples/ through TopologyTestDriver: the exact records of its outputs
(tests/example_cases.py), its topology printed by ``raystreams describe``, and its feeder's
generator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from example_cases import BASE, CASES, EXAMPLES, Advance, Case, Send, load_example

from raystreams import Serdes
from raystreams.cli import main as cli_main
from raystreams.testing import TopologyTestDriver

EXAMPLE_FILES = sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))


def test_every_example_has_a_case():
    assert sorted(CASES) == EXAMPLE_FILES


def run_on_driver(case: Case) -> tuple[dict[str, list], TopologyTestDriver]:
    """Pipe the case's steps; returns each output topic's records as (key, value, ms after
    BASE), and the (still open) driver."""
    config = {**case.module.app()[1], **case.config}
    driver = TopologyTestDriver(case.topology(), config, initial_wall_clock_time=BASE)
    inputs = {}
    for step in case.steps:
        if isinstance(step, Send):
            if step.topic not in inputs:
                inputs[step.topic] = driver.create_input_topic(step.topic, *case.serdes[step.topic])
            inputs[step.topic].pipe_input(step.key, step.value, BASE + step.at)
        elif isinstance(step, Advance):
            driver.advance_wall_clock_time(step.ms)
        # Start, Sync and Restart are for the runtime: the driver updates a global store in
        # line with the stream
    got = {}
    for topic in case.outputs:
        out = driver.create_output_topic(topic, *case.serdes[topic])
        got[topic] = [(r.key, r.value, r.timestamp - BASE) for r in out.read_records_to_list()]
    return got, driver


@pytest.mark.parametrize("name", sorted(CASES))
def test_example_on_the_driver(name):
    case = CASES[name]
    got, driver = run_on_driver(case)
    try:
        # the driver is one task: every output in the exact order the case lists
        assert got == case.outputs
        assert {t for t in driver.produced_topic_names()
                if not t.endswith(("-changelog", "-repartition"))} == set(case.outputs)
        for store, expected in case.stores.items():
            with driver.get_key_value_store(store).all() as items:
                assert {kv.key: kv.value for kv in items} == expected
    finally:
        driver.close()


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_describe_prints_the_topology(name, capsys):
    assert cli_main(["describe", str(EXAMPLES / f"{name}.py")]) == 0
    text = capsys.readouterr().out
    assert text == str(load_example(name).app()[0].describe())
    assert text.startswith("Topologies:\n   Sub-topology: 0")


def test_global_table_join_needs_no_copartitioning_and_drops_unknown_users():
    text = str(load_example("global_table_join").app()[0].describe())
    assert "Sub-topology: 0 for global store" in text
    assert "topics: [address_v2]" in text and "topics: [order]" in text


def test_clickstream_window_is_the_second_before_the_click():
    example = load_example("clickstream")
    topology = example.app()[0]
    # one sub-topology: clicks, searches and profiles are co-partitioned
    assert str(topology.describe()).count("Sub-topology:") == 1


def test_interactive_queries_watch_reads_the_store():
    case = CASES["interactive_queries"]
    _, driver = run_on_driver(case)
    try:
        # the driver answers store(StoreQueryParameters) through the same query path as KafkaStreams
        line = case.module.watch(driver)
    finally:
        driver.close()
    assert line == ("top words: kafka=3, streams=2, all=1, hello=1, join=1; 'kafka' -> 3")


def test_stock_stats_serde_round_trips_the_aggregate():
    example = load_example("stock_stats")
    serde = example.TradeStatsSerde()
    stats = example.TradeStats().add(10.5).add(9.25)
    assert serde.deserialize("t", serde.serialize("t", stats)) == stats
    assert (stats.count, stats.min, stats.max, stats.avg) == (2, 9.25, 10.5, 9.875)
    assert serde.serialize("t", None) is None and serde.deserialize("t", None) is None


def test_generators_are_seeded_and_feed_the_topologies():
    stocks = load_example("stock_stats")
    trades = stocks.generate(50)
    assert trades == stocks.generate(50) and trades != stocks.generate(50, seed=1)
    assert [ts for _, _, ts in trades] == [250 * i for i in range(50)]
    metrics = load_example("metric_pipeline")
    records = metrics.generate(30)
    assert records == metrics.generate(30)
    cpu = [r for r in records if r["metricset"]["name"] == "cpu"]
    busy = [r for r in cpu if r["system"]["cpu"]["total"]["norm"]["pct"] > 0.5]
    topology, config = metrics.app()
    with TopologyTestDriver(topology, config) as driver:
        inp = driver.create_input_topic("metric.all", Serdes.String(), Serdes.JSON())
        for i, record in enumerate(records):
            inp.pipe_input(record["host"]["name"], record, 1_000 * i)
        out = {t: driver.create_output_topic(t, Serdes.String(), Serdes.JSON())
               for t in ("metric.cpu", "metric.memory", "metric.cpu.alert")}
        assert out["metric.cpu"].read_values_to_list() == cpu
        assert out["metric.memory"].read_values_to_list() == [
            r for r in records if r["metricset"]["name"] == "memory"]
        assert out["metric.cpu.alert"].read_values_to_list() == [
            {**r["host"], "timestamp": r["@timestamp"]} for r in busy]
    assert 0 < len(busy) < len(cpu)  # the seed gives both kinds
