"""End to end: word count on a local Ray and a local broker.

1. start a broker (embedded tansu, or Apache Kafka 4.4) and create a 3-partition input topic
   and a 3-partition output topic;
2. produce ``--records`` lines of 10 words (confluent-kafka Producer, ``linger.ms`` 100,
   ``batch.size`` 1 MB; round-robin over the partitions) and flush, timed on its own;
3. start ``KafkaStreams`` with examples/wordcount.py's topology (6 tasks: 3 read the input,
   3 read the repartition topic) and poll ``metrics()`` until every input line and every
   repartitioned word is processed and committed (input offsets committed to the end; under
   at_least_once also the repartition offsets) and a read_committed consumer of the output
   topic sees every word's final count; the clock runs from ``start()`` (Ray actors
   launched, stores opened) and is also reported from RUNNING.

    RAY_AUTH_MODE=disabled python bench/runtime.py --broker embedded --guarantee at_least_once
    RAY_AUTH_MODE=disabled python bench/runtime.py --broker kafka --guarantee exactly_once_v2

Peak RSS: this process's (getrusage) and the task actors' (VmHWM from /proc, summed: they
are Ray workers on this machine, not children of this process).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import WORDS_PER_LINE, lines, peak_rss_mb  # noqa: E402
from kafka_io import produce_all  # noqa: E402
from procs import vm_hwm_mb  # noqa: E402

PARTITIONS = 3


def produce(bootstrap: str, topic: str, data: list[str]) -> float:
    """Produce the lines round-robin over the partitions; returns the seconds taken."""
    return produce_all(bootstrap, topic, [(None, line, None) for line in data], PARTITIONS)


def input_committed(metrics: dict, input_topic: str) -> tuple[int, int, bool]:
    """(input lines committed, words processed by sub-topology 1, its offsets all committed)."""
    committed_lines = 0
    words_processed = 0
    caught_up = True
    for task_id, m in metrics.get("tasks", {}).items():
        committed = m.get("committed_offsets", {})
        for tp, off in committed.items():
            if tp.rsplit("-", 1)[0] == input_topic:
                committed_lines += off
        if not task_id.startswith("0_"):
            words_processed += m.get("records_processed", 0)
            for tp, end in m.get("end_offsets", {}).items():
                if committed.get(tp, -1) < end:
                    caught_up = False
    return committed_lines, words_processed, caught_up


class OutputReader:
    """Reads the output topic (read_committed) and keeps the last count of every word."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-reader",
                                  "enable.auto.commit": False, "isolation.level": "read_committed",
                                  "fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10})
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                              for p in range(PARTITIONS)])
        self.counts: dict[bytes, int] = {}

    def poll(self, timeout: float) -> int:
        """Read what is there; returns the sum of the last counts (all words once complete)."""
        for msg in self.consumer.consume(num_messages=10_000, timeout=timeout):
            if msg.error() is None and msg.value() is not None:
                self.counts[msg.key()] = int.from_bytes(msg.value(), "big", signed=True)
        return sum(self.counts.values())

    def close(self) -> None:
        self.consumer.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--records", type=int, default=100_000, help="input lines (default 100,000)")
    ap.add_argument("--broker", choices=["embedded", "kafka"], default="embedded")
    ap.add_argument("--guarantee", choices=["at_least_once", "exactly_once_v2"],
                    default="at_least_once")
    ap.add_argument("--commit-interval-ms", type=int, default=1000,
                    help="commit.interval.ms (default 1000, as examples/wordcount.py)")
    ap.add_argument("--deadline", type=float, default=300.0, help="give up after S seconds")
    args = ap.parse_args()

    import ray
    from confluent_kafka.admin import AdminClient, NewTopic

    from examples.wordcount import build_topology
    from raystreams import KafkaStreams
    from raystreams.broker import KafkaBroker, TansuBroker

    n = args.records
    data = lines(n)
    n_words = n * WORDS_PER_LINE  # the vocabulary has no "the" and no empty words
    work = tempfile.mkdtemp(prefix="raystreams-bench-rt-")
    t0 = time.perf_counter()
    broker = (TansuBroker(work_dir=work) if args.broker == "embedded"
              else KafkaBroker(work_dir=work)).start()
    broker_s = time.perf_counter() - t0
    streams = None
    try:
        bootstrap = broker.bootstrap_servers
        admin = AdminClient({"bootstrap.servers": bootstrap})
        for f in admin.create_topics([NewTopic("bench-in", PARTITIONS, 1),
                                      NewTopic("bench-out", PARTITIONS, 1)]).values():
            f.result(30)
        del admin  # an rdkafka handle: keep none alive past the broker's stop
        produce_s = produce(bootstrap, "bench-in", data)
        print(f"broker {args.broker} started in {broker_s:.1f} s; produced {n} lines in "
              f"{produce_s:.2f} s ({n / produce_s:,.0f} records/s)", flush=True)

        ray.init(namespace="raystreams", include_dashboard=False, log_to_driver=False)
        config = {"application.id": f"bench-wc-{uuid.uuid4().hex[:6]}",
                  "bootstrap.servers": bootstrap,
                  "processing.guarantee": args.guarantee,
                  "commit.interval.ms": args.commit_interval_ms,
                  "state.dir": os.path.join(work, "state")}
        streams = KafkaStreams(build_topology("bench-in", "bench-out"), config)
        start = time.perf_counter()
        streams.start()
        streams.wait_until_running(120)
        running = time.perf_counter()
        deadline = start + args.deadline
        reader = OutputReader(bootstrap, "bench-out")
        alos = args.guarantee == "at_least_once"
        try:
            while True:
                counted = reader.poll(0.05)
                lines_done, words_done, caught_up = input_committed(streams.metrics(), "bench-in")
                # the output holds every word's final count, the input is committed, and
                # (at_least_once) so are the repartition offsets; under exactly_once_v2 the
                # output is read_committed, so it is committed with those offsets already
                if (counted == n_words and lines_done == n and words_done == n_words
                        and (caught_up or not alos)):
                    break
                if time.perf_counter() > deadline:
                    print(f"DEADLINE after {args.deadline:.0f} s: output counts sum {counted}/"
                          f"{n_words}, lines committed {lines_done}/{n}, words processed "
                          f"{words_done}/{n_words}, repartition committed to the end "
                          f"{caught_up}", flush=True)
                    return 1
        finally:
            reader.close()
        end = time.perf_counter()
        metrics = streams.metrics()
        actors = sum(vm_hwm_mb(m.get("pid", 0)) for m in metrics["tasks"].values())
        commits = sum(m.get("commits", 0) for m in metrics["tasks"].values())
        total = end - start
        print(f"runtime {args.broker} {args.guarantee}: {n} lines ({n_words} words) in "
              f"{total:.2f} s from start() = {n / total:,.0f} lines/s "
              f"({(n + n_words) / total:,.0f} records/s incl. repartition); "
              f"{end - running:.2f} s from RUNNING = {n / (end - running):,.0f} lines/s; "
              f"start() to RUNNING {running - start:.2f} s; commits {commits}; "
              f"peak RSS driver {peak_rss_mb():.1f} MiB, task actors {actors:.0f} MiB "
              f"({len(metrics['tasks'])} actors)", flush=True)
        return 0
    finally:
        if streams is not None:
            streams.close(60)
        if ray.is_initialized():
            ray.shutdown()
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
