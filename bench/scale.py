"""The word-count scale curve (bench/run.py): throughput against the number of task actors.

The runtime runs one stream task per Ray actor (it cannot yet host several tasks in one
actor), so the number of task actors follows the partition count: word count on P input
partitions has P split tasks (sub-topology 0) and P count tasks (sub-topology 1, on the
P-partition repartition topic), i.e. 2P task actors plus the supervisor. The curve runs
P = ``--scale`` (1, 2, 3, 6: 2, 4, 6, 12 task actors) on the same ``--scale-lines`` lines,
at_least_once, each input preloaded into its own P-partition topic.
"""

from __future__ import annotations

import uuid
from typing import Any

from kafka_io import create_topics, produce_all
from workloads import WORKLOADS, Data


def run(args: Any, ctx: Any, host: Any, log) -> dict:
    import systems

    data = Data.generate(args.scale_lines, 0, args.vocab, args.words_per_line)
    runs = []
    for p in (int(x) for x in args.scale.split(",")):
        topic = f"scale-lines-{p}-{uuid.uuid4().hex[:6]}"
        create_topics(ctx.bootstrap, [topic], p)
        produce_all(ctx.bootstrap, topic, [(None, line, None) for line in data.lines], p)
        r = systems.run_raystreams(ctx, host, WORKLOADS["c"], "at_least_once", 1,
                                   input_topic=topic, partitions=p, data=data,
                                   system=f"raystreams-p{p}")
        row = {**r.__dict__, "partitions": p, "task_actors": 2 * p}
        runs.append(row)
        if r.ok:
            log(f"scale: {p} partitions, {2 * p} task actors: {r.records_per_s:,.0f} lines/s, "
                f"CPU {r.cpu_per_100k:.2f} s/100k, peak RSS {r.peak_rss_mb:,.0f} MiB")
        else:
            log(f"FAILED scale {p} partitions: {r.detail}")
    note = ("One stream task per Ray actor (the runtime cannot yet host several tasks in one "
            "actor): P input partitions give 2P task actors. The 12-partition point of the "
            "issue (1-6 actors over 12 partitions) needs several tasks per actor, which does "
            "not exist yet.")
    return {"lines": args.scale_lines, "note": note, "runs": runs}
