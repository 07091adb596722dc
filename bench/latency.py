"""End-to-end latency at a fixed input rate, for (b) and (c), raystreams and Kafka Streams.

For each (system, workload, guarantee): fresh input and output topics; the app is started
and RUNNING; bench/rate_producer.py (its own process) sends ``--latency-rate`` records/s for
``--latency-seconds`` with CreateTime = send time; a consumer here (read_committed) takes
each output record's latency as its receipt time minus its timestamp (both systems give an
output record the timestamp of the input record that caused it; for a count update, the
latest input of that word). The first two seconds are warm-up and not counted.

The latency profile: ``commit.interval.ms`` 100 for both guarantees (the issue's setting
for (c); Kafka Streams' default under exactly_once_v2), every other setting at the
system's default. (b) sends lines of ``--words-per-line`` words; (c) sends one word per
record, so that ``--latency-rate`` records/s is also the rate of counted words.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from kafka_io import FAST_CONSUMER, create_topics

BENCH_DIR = Path(__file__).resolve().parent
COMMIT_INTERVAL_MS = 100
WARMUP_S = 2.0


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


def measure(args: Any, ctx: Any, system: str, workload: str, guarantee: str,
            start_app, log) -> dict:
    """Start the app on fresh topics, drive the input at the fixed rate, collect latencies."""
    tag = uuid.uuid4().hex[:6]
    src, out = f"lat-in-{workload}-{tag}", f"lat-out-{workload}-{tag}"
    create_topics(ctx.bootstrap, [src, out], ctx.partitions)
    row: dict[str, Any] = {"system": system, "workload": workload, "guarantee": guarantee,
                           "ok": False}
    stop = None
    consumer = Consumer({"bootstrap.servers": ctx.bootstrap, "group.id": f"lat-{tag}",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         **FAST_CONSUMER})
    try:
        stop = start_app(src, out)
        consumer.assign([TopicPartition(out, p, OFFSET_BEGINNING)
                         for p in range(ctx.partitions)])
        words = 1 if workload == "c" else args.words_per_line
        producer = subprocess.Popen(
            [sys.executable, str(BENCH_DIR / "rate_producer.py"), "--bootstrap", ctx.bootstrap,
             "--topic", src, "--rate", str(args.latency_rate), "--seconds",
             str(args.latency_seconds), "--words-per-line", str(words), "--vocab",
             str(args.vocab), "--partitions", str(ctx.partitions)],
            stdout=subprocess.PIPE, text=True)
        t_start = time.time()
        latencies: list[float] = []
        # read until the producer is done and the output has been quiet for 3 s
        quiet_since = None
        hard_deadline = time.monotonic() + args.latency_seconds + 120
        while time.monotonic() < hard_deadline:
            msgs = consumer.consume(num_messages=5000, timeout=0.05)
            now_ms = time.time() * 1000
            for m in msgs:
                if m.error() is None:
                    ts = m.timestamp()[1]
                    if ts >= (t_start + WARMUP_S) * 1000:
                        latencies.append(now_ms - ts)
            if msgs:
                quiet_since = None
            elif producer.poll() is not None:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 3.0:
                    break
        sent_line = (producer.stdout.read() if producer.stdout else "").split()
        producer.wait(30)
        latencies.sort()
        row["sent_rate"] = float(sent_line[2]) if len(sent_line) >= 3 else 0.0
        if not latencies:
            row["detail"] = "no output records after the warm-up"
            return row
        row.update(ok=True, samples=len(latencies),
                   p50_ms=percentile(latencies, 0.50), p99_ms=percentile(latencies, 0.99),
                   max_ms=latencies[-1], mean_ms=statistics.fmean(latencies))
        log(f"latency {system} ({workload}) {guarantee}: p50 {row['p50_ms']:.0f} ms, p99 "
            f"{row['p99_ms']:.0f} ms, max {row['max_ms']:.0f} ms over {len(latencies)} "
            f"outputs, input {row['sent_rate']:,.0f}/s")
        return row
    except Exception as e:  # one failed measurement must not end the bench
        row["detail"] = f"{type(e).__name__}: {e}"
        log(f"FAILED latency {system} ({workload}) {guarantee}: {row['detail']}")
        return row
    finally:
        consumer.close()
        if stop is not None:
            stop()


def run_all(args: Any, ctx: Any, host: Any, log) -> dict:
    import systems
    from topologies import build

    from raystreams import KafkaStreams

    def raystreams_app(workload: str, guarantee: str):
        def start(src: str, out: str):
            state = Path(ctx.work) / f"lat-{uuid.uuid4().hex[:6]}"
            config = systems.raystreams_config(ctx, guarantee, state,
                                               **{"commit.interval.ms": COMMIT_INTERVAL_MS})
            streams = KafkaStreams(build(workload, src, out, ctx.topics["dims"]), config,
                                   out=None)
            streams.start()
            streams.wait_until_running(180)
            return lambda: streams.close(60)
        return start

    def kstreams_app(workload: str, guarantee: str):
        def start(src: str, out: str):
            jar = systems.kstreams_jar(log)
            run_dir = Path(ctx.work) / f"lat-ks-{uuid.uuid4().hex[:6]}"
            run_dir.mkdir(parents=True)
            peer = systems.Subprocess(
                ["java", "-jar", str(jar), f"workload={workload}", f"bootstrap={ctx.bootstrap}",
                 f"app.id=lat-ks-{uuid.uuid4().hex[:6]}", f"input={src}", f"output={out}",
                 f"guarantee={guarantee}", "threads=1", f"commit.ms={COMMIT_INTERVAL_MS}",
                 f"state.dir={run_dir}"], run_dir / "log.txt")
            try:
                peer.wait_ready(time.monotonic() + 180)
            except RuntimeError:
                peer.stop()
                raise
            return peer.stop
        return start

    apps = {"raystreams": raystreams_app}
    skipped = None
    if "kstreams" in args.peers:
        try:
            systems.kstreams_jar(log)
            apps["kstreams-1t"] = kstreams_app
        except systems.Unavailable as e:
            skipped = str(e)
            log(f"SKIPPED latency of Kafka Streams: {e}")
    runs = []
    for workload in ("b", "c"):
        for guarantee in [g for g in args.guarantees.split(",") if g]:
            for system, app in apps.items():
                if args.quick and system != "raystreams" and guarantee != "at_least_once":
                    continue  # --quick: the peer under at_least_once only
                runs.append(measure(args, ctx, system, workload, guarantee,
                                    app(workload, guarantee), log))
    return {"rate": args.latency_rate, "seconds": args.latency_seconds,
            "commit_interval_ms": COMMIT_INTERVAL_MS, "runs": runs, "skipped": skipped}
