"""Metric pipeline: split metricbeat records by metricset and alert on busy CPUs.

Input ``metric.all`` holds metricbeat 8.x JSON (one record per metricset sample).
``metric.cpu`` and ``metric.memory`` get the cpu and memory records; cpu records whose
``system.cpu.total.norm.pct`` is above 0.5 become ``{"cpu": {...}, "name": ..., "timestamp": ...}``
(the ``host`` object plus ``@timestamp``) on ``metric.cpu.alert``.

No metricbeat needed: :func:`generate` makes metricbeat-shaped cpu, memory and network
records (seeded, so every run sends the same), and ``tests/data/metricbeat-sample.jsonl``
holds real-shaped samples the tests use. Run, feed and watch (embedded default)::

    raystreams run examples/metric_pipeline.py
    python examples/metric_pipeline.py --feed --count 60
    raystreams consume metric.cpu.alert --from-beginning --print-key

With metricbeat, point its Kafka output at ``metric.all`` (``output.kafka.topic``) and key
the records by host. On a real cluster add ``--bootstrap-servers HOST:PORT`` to each command.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from raystreams import Branched, Consumed, Produced, Serdes, StreamsBuilder, Topology

INPUT_TOPIC = "metric.all"
OUTPUT_TOPICS = ("metric.cpu", "metric.memory", "metric.cpu.alert")
CPU_ALERT_THRESHOLD = 0.5
HOSTS = ("host-a.local", "host-b.local", "host-c.local")


def metricset(value: dict[str, Any]) -> str | None:
    return (value.get("metricset") or {}).get("name")


def cpu_usage(value: dict[str, Any]) -> float:
    return value["system"]["cpu"]["total"]["norm"]["pct"]


def to_alert(value: dict[str, Any]) -> dict[str, Any]:
    return {**value["host"], "timestamp": value["@timestamp"]}


def build_topology(input_topic: str = INPUT_TOPIC, cpu_topic: str = "metric.cpu",
                   memory_topic: str = "metric.memory",
                   alert_topic: str = "metric.cpu.alert") -> Topology:
    builder = StreamsBuilder()
    json_values = Produced.with_(Serdes.String(), Serdes.JSON())
    metrics = builder.stream(input_topic, Consumed.with_(Serdes.String(), Serdes.JSON()))
    branches = (metrics.split()
                .branch(lambda k, v: metricset(v) == "cpu", Branched.as_("cpu"))
                .branch(lambda k, v: metricset(v) == "memory", Branched.as_("memory"))
                .no_default_branch())
    cpu = branches["KSTREAM-BRANCH-0000000001cpu"]
    cpu.to(cpu_topic, json_values)
    branches["KSTREAM-BRANCH-0000000001memory"].to(memory_topic, json_values)
    (cpu.filter(lambda k, v: cpu_usage(v) > CPU_ALERT_THRESHOLD)
        .map_values(to_alert)
        .to(alert_topic, json_values))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "metric-pipeline"}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def generate(count: int, seed: int = 7, start_ms: int = 1_738_310_126_555) -> list[dict[str, Any]]:
    """``count`` metricbeat 8.x-shaped records (cpu, memory, network in turn, per host),
    seeded: the same ``seed`` gives the same records."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        host = HOSTS[i % len(HOSTS)]
        kind = ("cpu", "memory", "network")[(i // len(HOSTS)) % 3]
        ms = start_ms + 1_000 * i
        record: dict[str, Any] = {
            "@timestamp": _iso(ms),
            "@metadata": {"beat": "metricbeat", "type": "_doc", "version": "8.17.1"},
            "event": {"dataset": f"system.{kind}", "module": "system",
                      "duration": rng.randint(1_000_000, 3_000_000)},
            "metricset": {"name": kind, "period": 10000},
            "service": {"type": "system"},
            "host": {"name": host},
            "agent": {"name": host, "type": "metricbeat", "version": "8.17.1"},
        }
        if kind == "cpu":
            norm = round(rng.random(), 4)
            record["system"] = {"cpu": {"cores": 8, "total": {"pct": round(norm * 8, 4),
                                                              "norm": {"pct": norm}}}}
            record["host"]["cpu"] = {"usage": norm}
        elif kind == "memory":
            used = round(rng.uniform(0.2, 0.99), 4)
            record["system"] = {"memory": {"total": 17179869184, "used": {"pct": used}}}
        else:
            record["system"] = {"network": {"name": "en0", "in": {"bytes": rng.randint(0, 10**9)},
                                            "out": {"bytes": rng.randint(0, 10**9)}}}
        records.append(record)
    return records


def feed(bootstrap: str | None = None, count: int = 30) -> int:
    """Send ``count`` generated records to ``metric.all``, keyed by host, timed now."""
    from _feed import base_time, produce

    base = base_time(1_000)
    batch = [(INPUT_TOPIC, r["host"]["name"], r, base + 1_000 * i)
             for i, r in enumerate(generate(count, start_ms=base))]
    return produce([batch], bootstrap,
                   partitions={t: 3 for t in (INPUT_TOPIC, *OUTPUT_TOPICS)})


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
