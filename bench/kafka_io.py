"""Kafka plumbing of bench/run.py: topics, preloading the inputs, reading and verifying outputs."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from workloads import Data, Workload, check, describe_difference

#: tansu answers a caught-up fetch only after fetch.wait.max.ms (DESIGN.md): keep it small
FAST_CONSUMER = {"fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10}
#: the issue's producer settings: linger 100 ms, large batches
BULK_PRODUCER = {"linger.ms": 100, "batch.size": 1_000_000,
                 "queue.buffering.max.messages": 1_000_000, "compression.type": "none"}


def create_topics(bootstrap: str, names: list[str], partitions: int,
                  timeout: float = 60.0) -> None:
    """Create ``names`` (``partitions`` each, replication 1) and wait for their leaders."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, partitions, 1) for n in names],
                                  operation_timeout=timeout)
    for f in futures.values():
        f.result(timeout)
    deadline = time.monotonic() + timeout
    for name in names:
        while True:
            md = admin.list_topics(topic=name, timeout=10).topics.get(name)
            if (md is not None and md.error is None and len(md.partitions) == partitions
                    and all(p.leader >= 0 for p in md.partitions.values())):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {name}: no leader for all partitions: {md}")
            time.sleep(0.05)


def produce_all(bootstrap: str, topic: str, records: list[tuple[Any, Any, int | None]],
                partitions: int | None = None) -> float:
    """Produce ``(key, value, timestamp)`` records and flush; returns the seconds taken.

    With ``partitions`` given, null-key records go round-robin over them; keyed ones go
    where murmur2 puts them (the Java client's partitioner, as Kafka Streams expects).
    """
    p = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                  **BULK_PRODUCER})
    t0 = time.perf_counter()
    for i, (key, value, ts) in enumerate(records):
        kwargs: dict[str, Any] = {}
        if key is None and partitions:
            kwargs["partition"] = i % partitions
        if ts is not None:
            kwargs["timestamp"] = ts
        k = key.encode() if isinstance(key, str) else key
        v = value.encode() if isinstance(value, str) else value
        while True:
            try:
                p.produce(topic, v, k, **kwargs)
                break
            except BufferError:
                p.poll(0.05)
        if i % 10_000 == 0:
            p.poll(0)
    remaining = p.flush(120)
    if remaining:
        raise RuntimeError(f"{remaining} records to {topic} not delivered")
    return time.perf_counter() - t0


def preload(bootstrap: str, data: Data, topics: dict[str, str], partitions: int) -> dict:
    """Create and fill the input topics; returns the seconds each took."""
    create_topics(bootstrap, list(topics.values()), partitions)
    return {
        "lines": produce_all(bootstrap, topics["lines"],
                             [(None, line, None) for line in data.lines], partitions),
        "events": produce_all(bootstrap, topics["events"], data.events),
        "dims": produce_all(bootstrap, topics["dims"],
                            [(k, v, data.events[0][2] - 3_600_000) for k, v in data.dims]),
    }


@dataclasses.dataclass
class Verdict:
    ok: bool
    last_output_at: float | None   # time.time() when the last needed output record arrived
    first_output_at: float | None
    records: int
    detail: str = ""


class OutputReader:
    """Reads one output topic from the beginning (read_committed) and folds it into the
    workload's state, until the state equals the truth or a deadline passes."""

    def __init__(self, bootstrap: str, topic: str, partitions: int, workload: Workload,
                 data: Data, system: str) -> None:
        self.consumer = Consumer({"bootstrap.servers": bootstrap,
                                  "group.id": f"bench-reader-{topic}",
                                  "enable.auto.commit": False,
                                  "isolation.level": "read_committed", **FAST_CONSUMER})
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                              for p in range(partitions)])
        self.workload, self.data, self.system = workload, data, system
        self.truth = workload.truth(data)
        self.want = workload.expected_size(self.truth)
        self.state = workload.new_state()
        self.records = 0
        self.first_at: float | None = None
        self.last_at: float | None = None

    def poll(self, timeout: float = 0.05) -> bool:
        """Read what is there; True once the output is complete and exact."""
        msgs = self.consumer.consume(num_messages=10_000, timeout=timeout)
        now = time.time()
        fold, state, system = self.workload.fold, self.state, self.system
        for msg in msgs:
            if msg.error() is None:
                fold(state, msg.key(), msg.value(), system)
        if msgs:
            self.records += len(msgs)
            self.last_at = now
            if self.first_at is None:
                self.first_at = now
        return (self.workload.size(state) >= self.want
                and check(self.workload, state, self.truth, self.data))

    def wait(self, deadline: float, alive: Any = None) -> Verdict:
        """Poll until complete, the monotonic ``deadline``, or 10 s after ``alive()`` turns
        false (what the system wrote before it stopped may still arrive)."""
        stopped = False
        while True:
            if self.poll():
                return Verdict(True, self.last_at, self.first_at, self.records)
            if not stopped and alive is not None and not alive():
                deadline = min(deadline, time.monotonic() + 10.0)
                stopped = True
            if time.monotonic() > deadline:
                got = self.workload.finalize(self.state, self.data)
                why = "system stopped" if stopped else "deadline passed"
                return Verdict(False, self.last_at, self.first_at, self.records,
                               f"{why} after {self.records} output records: "
                               f"{describe_difference(got, self.truth)}")

    def close(self) -> None:
        self.consumer.close()
