"""The pure engine: a StreamTask fed ConsumerRecords directly, output to a no-op collector.

No Kafka, no Ray, no test driver: this is the per-record cost of the processors, serdes,
record cache and stores alone. The task commits (flushes caches and stores) every
``--commit-every`` input records, as a runtime task does every ``commit.interval.ms``.

    python bench/engine.py                       # every scenario, each in a fresh process
    python bench/engine.py --scenario count-rocksdb-cache --records 500000
    python bench/engine.py --scenario count-rocksdb-cache --profile   # cProfile, top 15

Scenarios:
  stateless              filter -> map_values -> to (String values)
  count-{rocksdb,memory}-{cache,nocache}
                         pre-keyed words: group_by_key().count() -> to_stream().to()
  wordcount-rocksdb-cache
                         examples/wordcount.py's topology (flat_map_values -> group_by ->
                         count), both sub-topologies in one task, the repartition records
                         looped back after each input batch; records = input lines
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import Timer, lines, peak_rss_mb, report, run_each_in_subprocess, words  # noqa: E402

from raystreams import Materialized, Produced, Serdes, StreamsBuilder  # noqa: E402
from raystreams.config import StreamsConfig  # noqa: E402
from raystreams.engine.records import ConsumerRecord  # noqa: E402
from raystreams.engine.task import StreamTask  # noqa: E402
from raystreams.state.manager import TaskStateManager  # noqa: E402

SCENARIOS = ["stateless", "count-rocksdb-cache", "count-rocksdb-nocache", "count-memory-cache",
             "count-memory-nocache", "wordcount-rocksdb-cache"]
DEFAULT_RECORDS = {"stateless": 1_000_000, "wordcount-rocksdb-cache": 50_000}
DEFAULT_COUNT_RECORDS = 300_000
BATCH = 2000  # what a runtime task consumes at once
INPUT_RSS_MB = 0.0  # peak RSS once the input records are built (before the task runs)


class NoopCollector:
    """Drops everything; counts what was sent."""

    def __init__(self) -> None:
        self.sent = 0

    def send(self, topic, key, value, timestamp, headers, partition) -> None:  # noqa: ANN001
        self.sent += 1

    def partitions_for(self, topic: str) -> int | None:
        return 1

    def flush(self) -> None:
        pass


class LoopbackCollector(NoopCollector):
    """Keeps what goes to ``loop_topics`` (repartition topics) to feed it back in."""

    def __init__(self, loop_topics: set[str]) -> None:
        super().__init__()
        self.loop_topics = loop_topics
        self.pending: list[tuple[str, bytes | None, bytes | None, int]] = []

    def send(self, topic, key, value, timestamp, headers, partition) -> None:  # noqa: ANN001
        self.sent += 1
        if topic in self.loop_topics:
            self.pending.append((topic, key, value, timestamp))


def build(scenario: str):  # noqa: ANN201
    b = StreamsBuilder()
    if scenario == "stateless":
        (b.stream("in").filter(lambda k, v: len(v) > 3).map_values(str.upper).to("out"))
        return b.build()
    if scenario.startswith("count-"):
        _, store, _cache = scenario.split("-")
        m = Materialized.as_("counts").with_store_type("in_memory" if store == "memory"
                                                       else "rocks_db")
        (b.stream("in").group_by_key().count(materialized=m).to_stream()
         .to("out", Produced.with_(Serdes.String(), Serdes.Long())))
        return b.build()
    if scenario == "wordcount-rocksdb-cache":
        from examples.wordcount import build_topology
        return build_topology("in", "out")
    raise SystemExit(f"unknown scenario {scenario}")


def make_task(scenario: str, state_dir: str, collector: NoopCollector) -> StreamTask:
    topology = build(scenario)
    props = {"application.id": "bench-engine", "state.dir": state_dir}
    if scenario.endswith("-nocache"):
        props["statestore.cache.max.bytes"] = 0
    config = StreamsConfig(props)
    task = StreamTask("0_0", topology, config, collector, partition=0, state_dir=state_dir,
                      state_manager_factory=TaskStateManager.for_task)
    task.initialize()
    return task


def inputs(scenario: str, n: int) -> list[ConsumerRecord]:
    ser = Serdes.String().serialize
    if scenario == "stateless":
        vals = words(n)
        return [ConsumerRecord("in", 0, i, i, None, ser("in", w)) for i, w in enumerate(vals)]
    if scenario.startswith("count-"):
        vals = words(n)
        return [ConsumerRecord("in", 0, i, i, ser("in", w), ser("in", w))
                for i, w in enumerate(vals)]
    vals = lines(n)
    return [ConsumerRecord("in", 0, i, i, None, ser("in", line)) for i, line in enumerate(vals)]


def run(scenario: str, n: int, commit_every: int,
        profiler=None) -> tuple[int, float, int]:  # noqa: ANN001
    state_dir = tempfile.mkdtemp(prefix="raystreams-bench-")
    try:
        records = inputs(scenario, n)
        global INPUT_RSS_MB
        INPUT_RSS_MB = peak_rss_mb()
        collector: NoopCollector
        if scenario == "wordcount-rocksdb-cache":
            collector = LoopbackCollector(set())
        else:
            collector = NoopCollector()
        task = make_task(scenario, state_dir, collector)
        loop: set[str] = set()
        if isinstance(collector, LoopbackCollector):
            loop = {t for t in task.sources_by_topic if t.endswith("-repartition")}
            collector.loop_topics = loop
        loop_offsets = dict.fromkeys(loop, 0)
        since_commit = 0
        if profiler is not None:  # profile the processing only, not the input building
            profiler.enable()
        with Timer() as t:
            for start in range(0, len(records), BATCH):
                batch = records[start:start + BATCH]
                task.add_records("in", 0, batch)
                while task.process():
                    pass
                if loop:
                    while collector.pending:
                        pending, collector.pending = collector.pending, []
                        by_topic: dict[str, list[ConsumerRecord]] = {}
                        for topic, key, value, ts in pending:
                            off = loop_offsets[topic]
                            loop_offsets[topic] = off + 1
                            by_topic.setdefault(topic, []).append(
                                ConsumerRecord(topic, 0, off, ts, key, value))
                        for topic, recs in by_topic.items():
                            task.add_records(topic, 0, recs)
                        while task.process():
                            pass
                since_commit += len(batch)
                if since_commit >= commit_every:
                    task.prepare_commit()
                    task.post_commit(None)
                    since_commit = 0
            task.prepare_commit()
            task.post_commit(None)
        if profiler is not None:
            profiler.disable()
        processed = task.metrics.records_processed
        task.close()
        return processed, t.seconds, collector.sent
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenario", choices=["all", *SCENARIOS], default="all")
    ap.add_argument("--records", type=int, default=None,
                    help="input records (default: 1,000,000 stateless, 300,000 count-*, "
                         "50,000 lines wordcount)")
    ap.add_argument("--commit-every", type=int, default=10_000,
                    help="flush caches and stores every N input records (default 10,000)")
    ap.add_argument("--profile", action="store_true", help="run under cProfile, print the top 15")
    args = ap.parse_args()
    if args.scenario == "all":
        rest = ["--commit-every", str(args.commit_every)]
        if args.records is not None:
            rest += ["--records", str(args.records)]
        if args.profile:
            rest.append("--profile")
        return run_each_in_subprocess(__file__, SCENARIOS, rest)
    n = args.records or DEFAULT_RECORDS.get(args.scenario, DEFAULT_COUNT_RECORDS)
    if args.profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        processed, seconds, sent = run(args.scenario, n, args.commit_every, prof)
        report(f"engine {args.scenario} (under cProfile)", n, seconds)
        pstats.Stats(prof).sort_stats("tottime").print_stats(15)
        return 0
    processed, seconds, sent = run(args.scenario, n, args.commit_every)
    report(f"engine {args.scenario}", n, seconds,
           f"(input built: {INPUT_RSS_MB:.1f} MiB; processed {processed} incl. loopback, "
           f"sent {sent})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
