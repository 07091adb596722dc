"""py-spy profiles of the word-count task actors (``bench/run.py --profile``).

Runs workload (c) on raystreams (at_least_once) and, once it is RUNNING, records the split
task ``0_0`` and the count task ``1_0`` with ``py-spy record --gil --nonblocking --format raw``
for ``--profile-seconds`` (100 samples/s). Summarises each as the share of samples whose
innermost frame is in each function (own time), and grouped by where that function lives
(raystreams package, confluent_kafka, rocksdict, ...). The raw stacks stay in ``<out>/``.
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

from workloads import WORKLOADS

_FRAME = re.compile(r"^(?P<fn>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def summarise(raw: Path, top: int = 12) -> tuple[list[tuple[float, str]], dict[str, float]]:
    """(top functions by own samples with their %, % by area) from py-spy's raw output."""
    own: collections.Counter = collections.Counter()
    area: collections.Counter = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        leaf = stack.split(";")[-1]
        m = _FRAME.match(leaf)
        fn, file = (m["fn"], m["file"]) if m else (leaf, "")
        short = re.sub(r"^.*?/(raystreams|site-packages)/", "", file)
        own[f"{fn} ({short})"] += n
        area[_area(file)] += n
    if not total:
        return [], {}
    return ([(100.0 * n / total, fn) for fn, n in own.most_common(top)],
            {k: round(100.0 * v / total, 1) for k, v in area.most_common()})


def _area(file: str) -> str:
    for key in ("raystreams/engine", "raystreams/state", "raystreams/kafka",
                "raystreams/processor", "raystreams/runtime", "raystreams/serde",
                "confluent_kafka", "rocksdict", "ray/", "threading"):
        if key in file:
            return key
    return "other"


def run(args: Any, ctx: Any, host: Any, log, out_dir: Path) -> dict:
    import systems

    if shutil.which("py-spy") is None:
        log("SKIPPED profile: py-spy is not installed (pip install py-spy)")
        return {}
    seconds = getattr(args, "profile_seconds", 8)
    results: dict[str, Any] = {}

    def attach(streams: Any) -> None:
        import ray

        handles = streams.task_handles()
        procs = []
        for task in ("0_0", "1_0"):
            pid = ray.get(handles[task].pid.remote())
            raw = out_dir / f"py-spy-{task}.txt"
            procs.append((task, raw, subprocess.Popen(
                ["py-spy", "record", "--pid", str(pid), "--duration", str(seconds),
                 "--rate", "100", "--gil", "--nonblocking", "--format", "raw",
                 "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        for task, raw, p in procs:
            p.wait(seconds + 60)
            if raw.exists():
                tops, areas = summarise(raw)
                results[task] = {"top": tops, "areas": areas}
            else:
                results[task] = {"error": (p.stderr.read() or b"").decode()[-500:]}

    threads: list[threading.Thread] = []

    def on_running(streams: Any) -> None:
        threads.append(threading.Thread(target=attach, args=(streams,), daemon=True))
        threads[0].start()

    r = systems.run_raystreams(ctx, host, WORKLOADS["c"], "at_least_once", 0,
                               system="raystreams-profiled", on_running=on_running)
    for t in threads:
        t.join(seconds + 90)
    for task, res in results.items():
        log(f"profile {task}: areas {res.get('areas')}")
    return {"run": r.__dict__, "tasks": results, "seconds": seconds}
