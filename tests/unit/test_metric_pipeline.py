"""The seed metric pipeline on metricbeat-shaped records (tests/data/metricbeat-sample.jsonl)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from raystreams import Serdes
from raystreams.testing import TopologyTestDriver

ROOT = Path(__file__).resolve().parents[2]


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_metric_pipeline_splits_and_alerts():
    example = load_example("metric_pipeline")
    topology, config = example.app()
    records = [json.loads(line) for line in (ROOT / "tests/data/metricbeat-sample.jsonl").open()]
    with TopologyTestDriver(topology, config) as driver:
        inp = driver.create_input_topic("metric.all", Serdes.String(), Serdes.JSON())
        for i, rec in enumerate(records):
            inp.pipe_input(rec["host"]["name"], rec, 1_000 * i)
        cpu = driver.create_output_topic("metric.cpu", Serdes.String(), Serdes.JSON())
        memory = driver.create_output_topic("metric.memory", Serdes.String(), Serdes.JSON())
        alerts = driver.create_output_topic("metric.cpu.alert", Serdes.String(), Serdes.JSON())

        assert [v["system"]["cpu"]["total"]["norm"]["pct"] for v in cpu.read_values_to_list()] \
            == [0.1889, 0.7312, 0.5, 0.9034]
        mem = memory.read_records_to_list()
        assert [(r.key, r.value["event"]["dataset"], r.timestamp) for r in mem] == [
            ("host-a.local", "system.memory", 1_000)]
        assert alerts.read_key_values_to_list() == [
            ("host-b.local", {"cpu": {"usage": 0.7312}, "name": "host-b.local",
                              "timestamp": "2025-01-31T07:55:36.555Z"}),
            ("host-b.local", {"cpu": {"usage": 0.9034}, "name": "host-b.local",
                              "timestamp": "2025-01-31T07:55:46.560Z"}),
        ]
        assert driver.produced_topic_names() == {"metric.cpu", "metric.memory",
                                                 "metric.cpu.alert"}
