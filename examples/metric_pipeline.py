"""Metric pipeline: split metricbeat records by metricset and alert on busy CPUs.

Input ``metric.all`` holds metricbeat 8.x JSON (one record per metricset sample).
``metric.cpu`` and ``metric.memory`` get the cpu and memory records; cpu records whose
``system.cpu.total.norm.pct`` is above 0.5 become ``{"cpu": {...}, "name": ..., "timestamp": ...}``
(the ``host`` object plus ``@timestamp``) on ``metric.cpu.alert``.

Run it with ``raystreams run examples/metric_pipeline.py``.
"""

from __future__ import annotations

from typing import Any

from raystreams import Branched, Consumed, Produced, Serdes, StreamsBuilder, Topology

CPU_ALERT_THRESHOLD = 0.5


def metricset(value: dict[str, Any]) -> str | None:
    return (value.get("metricset") or {}).get("name")


def cpu_usage(value: dict[str, Any]) -> float:
    return value["system"]["cpu"]["total"]["norm"]["pct"]


def to_alert(value: dict[str, Any]) -> dict[str, Any]:
    return {**value["host"], "timestamp": value["@timestamp"]}


def build_topology() -> Topology:
    builder = StreamsBuilder()
    json_values = Produced.with_(Serdes.String(), Serdes.JSON())
    metrics = builder.stream("metric.all", Consumed.with_(Serdes.String(), Serdes.JSON()))
    branches = (metrics.split()
                .branch(lambda k, v: metricset(v) == "cpu", Branched.as_("cpu"))
                .branch(lambda k, v: metricset(v) == "memory", Branched.as_("memory"))
                .no_default_branch())
    cpu = branches["KSTREAM-BRANCH-0000000001cpu"]
    cpu.to("metric.cpu", json_values)
    branches["KSTREAM-BRANCH-0000000001memory"].to("metric.memory", json_values)
    (cpu.filter(lambda k, v: cpu_usage(v) > CPU_ALERT_THRESHOLD)
        .map_values(to_alert)
        .to("metric.cpu.alert", json_values))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "metric-pipeline"}
