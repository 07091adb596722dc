"""The benchmark: raystreams against the raw client and its peers, one command (issue 16).

    RAY_AUTH_MODE=disabled python bench/run.py            # full: Apache Kafka 4.4, ~25 min
    python bench/run.py --quick                           # small sizes, 1 trial, < 3 min
    python bench/run.py --broker embedded                 # the embedded tansu broker
    python bench/run.py --bootstrap-servers HOST:PORT     # a running cluster

It starts the broker (the project's Apache Kafka 4.4 launcher unless told otherwise) and a
local Ray, preloads the inputs (fixed-seed Zipf words, bench/workloads.py; sizes from
``--lines``/``--events``/``--vocab``) and then, for ``--trials`` interleaved rounds, runs every
workload (a) raw consume→produce, (b) stateless filter + map_values, (c) word count,
(d) tumbling-window count + suppress, (e) stream-table join under at_least_once and
exactly_once_v2 on every system: raystreams, Kafka Streams 4.4 with 1 and 2 stream threads
(bench/java, built with Maven), Quix Streams 3.x (bench/quix_app.py, own virtualenv). Each
run is verified exactly against the truth. A peer that cannot run is skipped with the reason
printed (``--require-peers`` makes that an error).

After the first round: end-to-end latency at a fixed input rate (bench/latency.py), recovery
of a count store (bench/recovery.py), the word-count scale curve (bench/scale.py), optionally
py-spy profiles of the task actors (``--profile``); then the remaining rounds.

Writes ``<out>/results.json`` (every run, the environment) and ``<out>/results.md`` (the
tables). Exit status 1 if any run failed its verification.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("RAY_AUTH_MODE", "disabled")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import report  # noqa: E402
import systems  # noqa: E402
from kafka_io import preload  # noqa: E402
from workloads import WORKLOADS, Data  # noqa: E402

GUARANTEES = ["at_least_once", "exactly_once_v2"]
FULL = {"lines": 100_000, "events": 100_000, "vocab": 20_000, "trials": 3,
        "kstreams_threads": "1,2", "latency_rate": 10_000, "latency_seconds": 20.0,
        "recovery_keys": 1_000_000, "scale": "1,2,3,6", "scale_lines": 50_000,
        "deadline": 600.0}
QUICK = {"lines": 3_000, "events": 3_000, "vocab": 500, "trials": 1,
         "kstreams_threads": "1", "latency_rate": 1_000, "latency_seconds": 4.0,
         "recovery_keys": 25_000, "scale": "1,2", "scale_lines": 2_000, "deadline": 120.0}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="small sizes, one trial, peers under at_least_once only (< 3 min)")
    ap.add_argument("--broker", choices=["kafka", "embedded"], default="kafka",
                    help="start Apache Kafka 4.4 (default) or the embedded tansu broker")
    ap.add_argument("--bootstrap-servers", help="use this cluster instead of starting one")
    ap.add_argument("--lines", type=int, help="input lines of (a)-(c) [100,000; quick 3,000]")
    ap.add_argument("--events", type=int, help="keyed events of (d)-(e) [100,000; quick 3,000]")
    ap.add_argument("--vocab", type=int, help="distinct words [20,000; quick 500]")
    ap.add_argument("--words-per-line", type=int, default=8)
    ap.add_argument("--partitions", type=int, default=3)
    ap.add_argument("--commit-interval-ms", type=int, default=1000)
    ap.add_argument("--trials", type=int)
    ap.add_argument("--workloads", default="abcde", help="subset of abcde")
    ap.add_argument("--guarantees", default=",".join(GUARANTEES))
    ap.add_argument("--peers", default="kstreams,quix",
                    help="comma list of kstreams, quix; 'none' for raystreams and raw only")
    ap.add_argument("--kstreams-threads", help="stream threads to run Kafka Streams with [1,2]")
    ap.add_argument("--require-peers", action="store_true",
                    help="fail (exit 2) instead of skipping a peer that cannot run")
    ap.add_argument("--sections", default="throughput,latency,recovery,scale")
    ap.add_argument("--latency-rate", type=int, help="input records/s [10,000; quick 1,000]")
    ap.add_argument("--latency-seconds", type=float)
    ap.add_argument("--recovery-keys", type=int, help="keys in the store [1M; quick 25,000]")
    ap.add_argument("--scale", help="input partitions of the scale curve [1,2,3,6]")
    ap.add_argument("--scale-lines", type=int)
    ap.add_argument("--deadline", type=float, help="seconds one run may take")
    ap.add_argument("--profile", action="store_true",
                    help="py-spy the word-count task actors (bench/profile_actors.py)")
    ap.add_argument("--out", default="bench-results", help="directory for results.json/.md")
    args = ap.parse_args(argv)
    for key, value in (QUICK if args.quick else FULL).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


class LoadSampler:
    """Samples the 1-minute load average every 5 s (the machine is shared: report it)."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(5):
                return

    def summary(self, final: bool = True) -> dict:
        if final:
            self._stop.set()
        s = self.samples or [0.0]
        return {"min": min(s), "median": statistics.median(s), "max": max(s),
                "samples": len(s)}


def environment(args: argparse.Namespace, broker_kind: str) -> dict:
    import confluent_kafka
    import ray

    def out(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "unavailable"

    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    repo = Path(__file__).resolve().parent.parent
    return {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        "machine": f"{os.cpu_count()} cores ({cpu}), {mem_gb:.0f} GiB, {platform.platform()}",
        "python": platform.python_version(), "ray": ray.__version__,
        "confluent_kafka": f"{confluent_kafka.__version__} (librdkafka "
                           f"{confluent_kafka.libversion()[0]})",
        "broker": broker_kind, "java": out(["java", "-version"]),
        "raystreams_commit": out(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"]),
        "sizes": {k: getattr(args, k) for k in ("lines", "events", "vocab", "words_per_line",
                                                 "partitions", "commit_interval_ms", "trials")},
    }


def peers(args: argparse.Namespace, log) -> tuple[list[tuple[str, object]], dict[str, str]]:
    """The peer runners that can run here, and the reasons for those skipped."""
    wanted = [] if args.peers == "none" else [p.strip() for p in args.peers.split(",")]
    runners: list[tuple[str, object]] = []
    skipped: dict[str, str] = {}
    if "kstreams" in wanted:
        try:
            systems.kstreams_jar(log)
            for t in (int(x) for x in args.kstreams_threads.split(",")):
                runners.append((f"kstreams-{t}t",
                                lambda ctx, w, g, i, t=t: systems.run_kstreams(ctx, w, g, i, t)))
        except systems.Unavailable as e:
            skipped["kstreams"] = str(e)
    if "quix" in wanted:
        try:
            systems.quix_python(log)
            runners.append(("quix", systems.run_quix))
        except systems.Unavailable as e:
            skipped["quix"] = str(e)
    for name, why in skipped.items():
        log(f"SKIPPED peer {name}: {why}")
    return runners, skipped


def throughput(args, ctx, host, log, doc: dict, save, trials: range,
               peer_runners: list) -> None:
    """Every workload x guarantee x system for each of ``trials``, into ``doc``."""
    rs = [("raystreams", lambda c, w, g, i: systems.run_raystreams(c, host, w, g, i))]
    results: list[dict] = doc["runs"]
    guarantees = [g for g in args.guarantees.split(",") if g]
    for trial in trials:
        for key in args.workloads:
            workload = WORKLOADS[key]
            for guarantee in guarantees:
                if key == "a":
                    runners = [("raw", systems.run_raw)]
                else:
                    # --quick keeps the peers to at_least_once (their EOS runs in the full bench)
                    runners = rs + ([] if args.quick and guarantee != "at_least_once"
                                    else peer_runners)
                    shift = (trial - 1) % len(runners)  # interleave: rotate who goes first
                    runners = runners[shift:] + runners[:shift]
                for _name, run in runners:
                    t0 = time.perf_counter()
                    r = run(ctx, workload, guarantee, trial)
                    results.append(r.__dict__)
                    log(report.one_line(r, time.perf_counter() - t0))
                    save()


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = lambda msg: print(msg, flush=True)  # noqa: E731
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="raystreams-bench-"))
    load = LoadSampler()
    started = time.perf_counter()
    broker = None
    host = None
    try:
        from raystreams.broker import KafkaBroker, TansuBroker

        if args.bootstrap_servers:
            bootstrap, kind = args.bootstrap_servers, f"given: {args.bootstrap_servers}"
        else:
            t0 = time.perf_counter()
            broker = (TansuBroker(work_dir=work / "broker") if args.broker == "embedded"
                      else KafkaBroker(work_dir=work / "broker")).start()
            bootstrap = broker.bootstrap_servers
            kind = ("embedded tansu" if args.broker == "embedded"
                    else "Apache Kafka 4.4.0 (single node, KRaft)")
            log(f"broker {kind} at {bootstrap}, started in {time.perf_counter() - t0:.1f} s")
        env = environment(args, kind)
        log(f"load average at start: {os.getloadavg()}")
        t0 = time.perf_counter()
        data = Data.generate(args.lines, args.events, args.vocab, args.words_per_line)
        tag = os.urandom(3).hex()
        topics = {"lines": f"bench-lines-{tag}", "events": f"bench-events-{tag}",
                  "dims": f"bench-dims-{tag}"}
        produced = preload(bootstrap, data, topics, args.partitions)
        log(f"preloaded {len(data.lines)} lines, {len(data.events)} events, {len(data.dims)} "
            f"table rows in {time.perf_counter() - t0:.1f} s "
            f"(producing: {', '.join(f'{k} {v:.2f} s' for k, v in produced.items())})")
        exclude = {broker.pid} if broker is not None and broker.pid else set()
        host = systems.RayHost(exclude)
        # ray.init replaced the SIGTERM handler: ours (after it) unwinds through the finally
        # below, which stops the apps, Ray and the broker
        signal.signal(signal.SIGTERM, _terminate)
        log(f"ray.init in {host.init_s:.1f} s")
        ctx = systems.Context(bootstrap, data, topics, args.partitions, work,
                              args.commit_interval_ms, args.deadline, exclude, log)
        sections = set(args.sections.split(","))
        doc: dict = {"environment": env, "runs": [], "skipped_peers": {}}

        def save(final: bool = False) -> str:
            """Write what is measured so far (a run cut short still leaves its tables)."""
            doc["environment"]["load_average_1m"] = load.summary(final)
            doc["environment"]["wall_s"] = round(time.perf_counter() - started, 1)
            (out_dir / "results.json").write_text(json.dumps(doc, indent=1, default=str))
            text = report.markdown(doc)
            (out_dir / "results.md").write_text(text)
            return text

        if "quix" in args.peers:
            doc["environment"]["quixstreams"] = systems.quix_version()
        # round 1 of the throughput trials, then the other sections, then rounds 2..n: a
        # run cut short on a busy machine still has one measurement of everything
        peer_runners, doc["skipped_peers"] = peers(args, log)
        if "throughput" in sections:
            throughput(args, ctx, host, log, doc, save, range(1, 2), peer_runners)
        if "latency" in sections:
            import latency

            doc["latency"] = latency.run_all(args, ctx, host, log)
            save()
        if "recovery" in sections:
            import recovery

            doc["recovery"] = recovery.run(args, ctx, host, log)
            save()
        if "scale" in sections:
            import scale

            doc["scale"] = scale.run(args, ctx, host, log)
            save()
        if args.profile:
            import profile_actors

            doc["profile"] = profile_actors.run(args, ctx, host, log, out_dir)
            save()
        if "throughput" in sections:
            throughput(args, ctx, host, log, doc, save, range(2, args.trials + 1), peer_runners)
        text = save(final=True)
        print(text)
        log(f"wrote {out_dir / 'results.json'} and {out_dir / 'results.md'} "
            f"in {time.perf_counter() - started:.0f} s")
        if args.require_peers and doc["skipped_peers"]:
            return 2
        return 0 if report.all_ok(doc) else 1
    finally:
        if host is not None:
            host.close()
        if broker is not None:
            broker.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
