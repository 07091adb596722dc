"""Workloads (b)-(e) in Quix Streams' own idiom (quixstreams 3.x), run by bench/run.py in
its own virtualenv (quixstreams pins another confluent-kafka than raystreams).

    <venv>/bin/python bench/quix_app.py --workload c --bootstrap HOST:PORT --input T \\
        --output O [--table D] --guarantee at_least_once --state-dir DIR

Prints ``READY <epoch s>`` when the first input record is processed; runs until SIGTERM.
Output values are strings: (b)/(e) the new value, (c) the count, (d) ``<word>@<start>=<count>``.
"""

from __future__ import annotations

import argparse
import time
import uuid

from quixstreams import Application

WINDOW_MS = 1000  # bench/workloads.py's WINDOW_MS (this file runs without raystreams)
_ready = False


def mark_ready(value: object) -> None:
    global _ready
    if not _ready:
        _ready = True
        print(f"READY {time.time():.3f}", flush=True)


def count(value: str, state) -> str:
    n = state.get("count", 0) + 1
    state.set("count", n)
    return str(n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", required=True, choices=["b", "c", "d", "e"])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--table", default="")
    ap.add_argument("--guarantee", default="at_least_once")
    ap.add_argument("--commit-interval-ms", type=int, default=1000)
    ap.add_argument("--state-dir", required=True)
    args = ap.parse_args()
    app = Application(
        broker_address=args.bootstrap, consumer_group=f"bench-quix-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest", state_dir=args.state_dir,
        commit_interval=args.commit_interval_ms / 1000.0, loglevel="WARNING",
        processing_guarantee=("exactly-once" if args.guarantee == "exactly_once_v2"
                              else "at-least-once"),
        consumer_extra_config={"fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10})
    source = app.topic(args.input, key_deserializer="str", value_deserializer="str")
    out = app.topic(args.output, key_serializer="str", value_serializer="str")
    sdf = app.dataframe(source)
    sdf = sdf.update(mark_ready)
    if args.workload == "b":
        sdf = sdf.filter(lambda line: len(line) % 5 != 0).apply(str.upper)
    elif args.workload == "c":
        sdf = sdf.apply(lambda line: line.split(" "), expand=True)
        sdf = sdf.group_by(lambda word: word, name="word", key_serializer="str",
                           value_serializer="str", key_deserializer="str",
                           value_deserializer="str")
        sdf = sdf.apply(count, stateful=True)
    elif args.workload == "d":
        sdf = sdf.tumbling_window(WINDOW_MS).count().final()
        sdf = sdf.apply(lambda w, key, ts, headers: f"{key}@{w['start']}={w['value']}",
                        metadata=True)
    else:
        table = app.dataframe(app.topic(args.table, key_deserializer="str",
                                        value_deserializer="str"))
        sdf = sdf.join_asof(table, how="inner", on_merge=lambda left, right: f"{left}|{right}")
    sdf.to_topic(out)
    app.run()


if __name__ == "__main__":
    main()
