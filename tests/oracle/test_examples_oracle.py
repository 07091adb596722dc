"""The examples with subtle semantics judged by Kafka Streams 4.4: examples/stock_stats.py
(hopping-window statistics, final per window through suppress) and examples/clickstream.py
(a stream-stream window join with ``after(0)``, then a stream-table join). The oracle runs
their Java twins (ExampleScenarios.java) on the inputs of tests/example_cases.py; raystreams'
driver runs the examples themselves; outputs (with timestamps and window bounds) and
describe() must be the same. The cases' hand-written expectations (tests/unit/test_examples.py)
are thereby Kafka's too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from raystreams.testing import TopologyTestDriver

from .harness import Step

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from example_cases import BASE, CASES, Advance, Send  # noqa: E402

pytestmark = pytest.mark.oracle


def _text(value):
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _parsed(value):
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


@pytest.mark.parametrize("cache", [{"statestore.cache.max.bytes": "0"}, {}],
                         ids=["nocache", "cache"])
@pytest.mark.parametrize("example", ["stock_stats", "clickstream"])
def test_example_matches_kafka_streams(oracle, example, cache):
    case = CASES[example]
    steps = [s for s in case.steps if isinstance(s, Send | Advance)]
    topology, config = case.module.app()
    # the example's own settings (max.task.idle.ms) on both sides
    shared = {k: str(v) for k, v in config.items() if k != "application.id"}
    expected = oracle.run(f"example_{example}", [
        Step.advance(s.ms) if isinstance(s, Advance)
        else Step.pipe(s.topic, s.key, _text(s.value), BASE + s.at) for s in steps],
        config={**shared, **cache})
    assert expected["error"] is None, expected["error"]

    config = {**config, "application.id": f"example_{example}",
              "bootstrap.servers": "dummy:1234", **cache}
    outputs = []
    with TopologyTestDriver(topology, config, initial_wall_clock_time=0) as driver:
        inputs = {t: driver.create_input_topic(t, *case.serdes[t])
                  for t in {s.topic for s in steps if isinstance(s, Send)}}
        out = {t: driver.create_output_topic(t, *case.serdes[t]) for t in case.outputs}
        for index, step in enumerate(steps):
            if isinstance(step, Advance):
                driver.advance_wall_clock_time(step.ms)
            else:
                inputs[step.topic].pipe_input(step.key, step.value, BASE + step.at)
            for topic, reader in out.items():
                outputs += [(index, topic, r.key, r.value, r.timestamp)
                            for r in reader.read_records_to_list()]
    kafka = [(r["step"], r["topic"], r["key"], _parsed(r["value"]), r["timestamp"])
             for r in expected["outputs"]]
    assert outputs == kafka
    # and Kafka's output is the one the end-to-end and driver tests expect
    (topic,) = case.outputs
    assert [(k, v, ts - BASE) for _, _, k, v, ts in kafka] == case.outputs[topic]
    assert str(topology.describe()) == expected["describe"]
