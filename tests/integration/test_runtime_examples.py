"""Every example end to end on Ray, on the embedded broker (tansu) and on Apache Kafka 4.4:
the cases of tests/example_cases.py, all examples' apps running side by side in one session,
each with its own application.id and topics; outputs checked exactly (per key, in order,
with timestamps), and the interactive-queries example through ``KafkaStreams.store``.
"""

from __future__ import annotations

import collections
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from confluent_kafka import Producer
from conftest import consume_all, create_topic, key_value, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from example_cases import BASE, CASES, Case, Restart, Send, Start, Sync, load_example

pytestmark = pytest.mark.integration

TIMEOUT_S = 120.0
#: ~16 task actors start at once on 2 cores (CI), or on a machine shared with other runs
START_TIMEOUT_S = 240.0


def _base() -> int:
    """A recent time (Kafka deletes records older than its retention), a multiple of 60 s so
    the cases' window bounds are the same as on the driver."""
    now = int(time.time() * 1000) - 600_000
    return now - now % 60_000


class Run:
    """One example's case on a broker: topics, app, feeding, output check."""

    def __init__(self, case: Case, bootstrap: str, admin, streams_factory, base: int) -> None:
        self.case, self.bootstrap, self.base = case, bootstrap, base
        self.make = streams_factory
        suffix = uuid.uuid4().hex[:6]
        self.rename = lambda topic: f"{topic}-{suffix}"
        for topic, n in case.partitions.items():
            create_topic(admin, self.rename(topic), n)
        self.config = {**case.module.app()[1], **case.config,
                       "application.id": f"ex-{case.example.replace('_', '-')}-{suffix}",
                       "bootstrap.servers": bootstrap, "commit.interval.ms": 200,
                       # ~16 task actors at once: Ray must not hold any back for CPUs
                       "task.num.cpus": 0.1}
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                                  "partitioner": "murmur2_random"})
        self.streams = None
        self.last_sent = -1

    def start(self) -> None:
        self.streams = self.make(self.case.topology(self.rename), self.config)
        # records go out once the tasks run, as a user's would: the cases check results,
        # not a race with the first fetch of every partition
        self.streams.wait_until_running(START_TIMEOUT_S)

    def send(self, step: Send) -> None:
        key_serde, value_serde = self.case.serdes[step.topic]
        topic = self.rename(step.topic)
        self.producer.produce(topic, key=key_serde.serialize(topic, step.key),
                              value=value_serde.serialize(topic, step.value),
                              timestamp=self.base + step.at)
        self.producer.flush(30)
        self.last_sent = max(self.last_sent, step.at)

    def outputs(self) -> dict[str, dict]:
        """Each output topic's records grouped by key, in order: (value, ms after base)."""
        got = {}
        for topic in self.case.outputs:
            name = self.rename(topic)
            key_serde, value_serde = self.case.serdes[topic]
            per_key = collections.defaultdict(list)
            for m in consume_all(self.bootstrap, name, timeout=3):
                value = value_serde.deserialize(name, m.value())
                for field in self.case.time_fields:  # absolute times, back to the cases' BASE
                    value[field] += BASE - self.base
                per_key[key_serde.deserialize(name, m.key())].append(
                    (value, m.timestamp()[1] - self.base))
            got[topic] = dict(per_key)
        return got

    def expected(self, until: int | None = None) -> dict[str, dict]:
        want = {}
        for topic, records in self.case.outputs.items():
            per_key = collections.defaultdict(list)
            for key, value, at in records:
                if until is None or at <= until:
                    per_key[key].append((value, at))
            want[topic] = dict(per_key)
        return want

    def matches(self, until: int | None = None) -> bool:
        got, want = self.outputs(), self.expected(until)
        for topic in self.case.latest_only:  # wall-clock output: the last value per key
            got[topic] = {k: v[-1][0] for k, v in got[topic].items()}
            want[topic] = {k: v[-1][0] for k, v in want[topic].items()}
        self.seen = got
        if got != want:
            return False
        for store, expected in self.case.stores.items():
            self.seen[store] = dict(self.streams.store(key_value(store)).all())
            if self.seen[store] != expected:
                return False
        return True

    def wait(self, until: int | None = None) -> None:
        try:
            wait_for(lambda: self.matches(until), TIMEOUT_S, 0.5, f"{self.case.example} outputs")
        except TimeoutError as e:
            raise AssertionError(f"got {getattr(self, 'seen', None)}, want "
                                 f"{self.expected(until)}, stores {self.case.stores} ({e})") from None

    def play(self) -> None:
        steps = self.case.steps
        if not any(isinstance(s, Start) for s in steps):
            self.start()
        for step in steps:
            if isinstance(step, Send):
                self.send(step)
            elif isinstance(step, Start):
                self.start()
            elif isinstance(step, Sync):
                self.wait(self.last_sent)
            elif isinstance(step, Restart):
                self.wait(self.last_sent)
                assert self.streams.close(60)
                self.start()
        self.wait()
        self.producer = None  # gone before the session's broker


def selected_cases() -> list[Case]:
    """Every case, or those named in ``$RAYSTREAMS_EXAMPLES`` (comma-separated; for debugging)."""
    names = [n for n in os.environ.get("RAYSTREAMS_EXAMPLES", "").split(",") if n]
    return [CASES[n] for n in names] if names else list(CASES.values())


@pytest.mark.parametrize("broker", [pytest.param("embedded", marks=pytest.mark.embedded),
                                    "kafka"])
def test_every_example_end_to_end(broker, request, admin_factory, streams_factory):
    bootstrap = request.getfixturevalue(f"{broker}_bootstrap")
    admin = admin_factory(bootstrap)
    base = _base()
    runs = [Run(case, bootstrap, admin, streams_factory, base) for case in selected_cases()]
    with ThreadPoolExecutor(len(runs)) as pool:
        failures = [f.exception() for f in [pool.submit(r.play) for r in runs]]
    errors = [f"{r.case.example}: {e}" for r, e in zip(runs, failures, strict=True) if e]
    assert not errors, "\n".join(errors)
    for iq in (r for r in runs if r.case.example == "interactive_queries"):
        assert load_example("interactive_queries").watch(iq.streams) == (
            "top words: kafka=3, streams=2, all=1, hello=1, join=1; 'kafka' -> 3")
    for run in runs:
        tasks = run.streams.tasks()
        assert all(t["restarts"] == 0 for t in tasks.values()), (run.case.example, tasks)
