"""The systems bench/run.py compares, each run once per (workload, guarantee, trial).

- ``raw``: bench/raw_app.py, a confluent-kafka consume→produce loop in its own process (a);
- ``raystreams``: ``KafkaStreams`` on the local Ray this driver started (b)-(e); its CPU and
  memory are those of every Ray process (GCS, raylet, workers: supervisor and task actors);
- ``kstreams-1t`` / ``kstreams-2t``: Kafka Streams 4.4 (bench/java, 1 or 2 stream threads);
- ``quix``: Quix Streams 3.x (bench/quix_app.py) in its own virtualenv.

Every run gets a fresh output topic and application id, reads the preloaded input from the
beginning, and ends when the output equals the truth (``kafka_io.OutputReader``). Start-up
(launch to ready) and processing (ready to the last output record) are timed apart; CPU is
measured over the processing window, start-up CPU apart.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
from kafka_io import OutputReader, create_topics
from procs import Meter, tree
from workloads import WINDOW_MS, Data, Workload

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
JAVA_DIR = BENCH_DIR / "java"
QUIX_VENV = Path(os.environ.get("RAYSTREAMS_BENCH_QUIX_VENV",
                                Path.home() / ".cache" / "raystreams" / "bench" / "quix-venv"))
QUIX_REQUIREMENT = "quixstreams>=3,<4"


#: pids of the peer processes this driver started: not Ray's, so not raystreams' cost
PEER_PIDS: set[int] = set()


class Unavailable(Exception):
    """A peer cannot run here; the message says why and how to fix it."""


@dataclasses.dataclass
class RunResult:
    system: str
    workload: str
    guarantee: str
    trial: int
    ok: bool
    detail: str = ""
    input_records: int = 0
    startup_s: float | None = None
    processing_s: float | None = None
    records_per_s: float | None = None
    cpu_s: float | None = None
    cpu_per_100k: float | None = None
    startup_cpu_s: float | None = None
    peak_rss_mb: float | None = None
    processes: int | None = None
    cpu_by_process: dict = dataclasses.field(default_factory=dict)
    output_records: int = 0
    #: the issue's window: first output record to the last (input records / that window)
    output_window_s: float | None = None
    records_per_s_output_window: float | None = None


@dataclasses.dataclass
class Context:
    """What every run needs: the broker, the data, topic names, the work dir."""

    bootstrap: str
    data: Data
    topics: dict[str, str]
    partitions: int
    work: Path
    commit_interval_ms: int
    deadline_s: float
    exclude_pids: set[int]          # the broker's process tree: not part of any system
    log: Callable[[str], None] = print


def finish(result: RunResult, launched: float, ready: float, verdict: Any, meter_start: Any,
           meter: Meter, startup: dict) -> RunResult:
    """Fill the timings and costs of a run from its verdict and meters."""
    usage = meter.since(meter_start)
    result.ok = verdict.ok
    result.detail = verdict.detail
    result.output_records = verdict.records
    result.startup_s = ready - launched
    result.startup_cpu_s = startup["cpu_s"]
    end = verdict.last_output_at or time.time()
    result.processing_s = max(end - ready, 1e-3)
    result.records_per_s = result.input_records / result.processing_s
    if verdict.first_output_at is not None and verdict.last_output_at is not None:
        result.output_window_s = max(verdict.last_output_at - verdict.first_output_at, 1e-3)
        result.records_per_s_output_window = result.input_records / result.output_window_s
    result.cpu_s = usage["cpu_s"]
    result.cpu_per_100k = usage["cpu_s"] * 100_000 / max(result.input_records, 1)
    result.peak_rss_mb = usage["peak_rss_mb"]
    result.processes = usage["processes"]
    result.cpu_by_process = usage["cpu_by_process"]
    return result


def output_topic(ctx: Context, system: str, workload: str, guarantee: str, trial: int) -> str:
    name = f"out-{workload}-{system}-{guarantee[:3]}-{trial}-{uuid.uuid4().hex[:6]}"
    create_topics(ctx.bootstrap, [name], ctx.partitions)
    return name


def input_of(ctx: Context, workload: Workload) -> str:
    return ctx.topics[workload.input]


# --------------------------------------------------------------------------- subprocess peers

class Subprocess:
    """A peer process: its stdout is scanned for ``READY <t>`` / ``RUNNING <t>`` lines."""

    def __init__(self, argv: list[str], log_path: Path, env: dict | None = None) -> None:
        self.log_path = log_path
        self.log_file = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log_file,
                                     env=env, text=True, bufsize=1)
        PEER_PIDS.add(self.proc.pid)
        self.ready_at: float | None = None
        self.failed = False
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            parts = line.split()
            if parts and parts[0] in ("READY", "RUNNING") and self.ready_at is None:
                self.ready_at = float(parts[1])
            elif parts and parts[0] == "ERROR":
                self.failed = True

    def alive(self) -> bool:
        return self.proc.poll() is None and not self.failed

    def wait_ready(self, deadline: float) -> None:
        while self.ready_at is None:
            if not self.alive():
                raise RuntimeError(f"{self.proc.args[0]} exited ({self.proc.returncode}) "
                                   f"before it was ready; log {self.log_path}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"not ready before the deadline; log {self.log_path}:\n"
                                   f"{self.tail()}")
            time.sleep(0.02)

    def tail(self, n: int = 15) -> str:
        """The last lines of its stdout and log, and the first exception in the log."""
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            text = []
        first = next((i for i, line in enumerate(text)
                      if "Exception" in line or "Traceback" in line), None)
        cause = text[first:first + 8] if first is not None else []
        return "\n".join(self.lines[-5:] + cause + text[-n:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log_file.close()


def run_subprocess(ctx: Context, system: str, workload: Workload, guarantee: str, trial: int,
                   argv_for: Callable[[str, Path], list[str]], env: dict | None = None) -> RunResult:
    """Run one peer process on ``workload`` and verify its output."""
    result = RunResult(system, workload.key, guarantee, trial, False,
                       input_records=workload.input_records(ctx.data))
    out = output_topic(ctx, system, workload.key, guarantee, trial)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{system}-{workload.key}-", dir=ctx.work))
    reader = OutputReader(ctx.bootstrap, out, ctx.partitions, workload, ctx.data, system)
    launched = time.time()
    peer = Subprocess(argv_for(out, run_dir), run_dir / "log.txt", env)
    deadline = time.monotonic() + ctx.deadline_s
    try:
        with Meter(lambda: tree([psutil.Process(peer.proc.pid)])
                   if peer.proc.poll() is None else []) as meter:
            start_mark = (launched, {})
            try:
                peer.wait_ready(deadline)
            except RuntimeError as e:
                result.detail = str(e)
                return result
            startup = meter.since(start_mark)
            mark = meter.mark()
            verdict = reader.wait(deadline, peer.alive)
            if not verdict.ok and not peer.alive():
                verdict.detail += f"; the process stopped:\n{peer.tail()}"
            return finish(result, launched, peer.ready_at, verdict, mark, meter, startup)
    finally:
        peer.stop()
        reader.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def run_raw(ctx: Context, workload: Workload, guarantee: str, trial: int) -> RunResult:
    return run_subprocess(ctx, "raw", workload, guarantee, trial, lambda out, _: [
        sys.executable, str(BENCH_DIR / "raw_app.py"), "--bootstrap", ctx.bootstrap,
        "--input", input_of(ctx, workload), "--output", out, "--guarantee", guarantee,
        "--commit-interval-ms", str(ctx.commit_interval_ms)])


# --------------------------------------------------------------------------- Kafka Streams

def kstreams_jar(log: Callable[[str], None] = print) -> Path:
    """bench/java/target/bench.jar, built with Maven if missing or older than its sources."""
    jar = JAVA_DIR / "target" / "bench.jar"
    sources = [JAVA_DIR / "pom.xml", *JAVA_DIR.rglob("*.java")]
    if jar.exists() and (JAVA_DIR / "target" / "lib").is_dir() and \
            jar.stat().st_mtime >= max(s.stat().st_mtime for s in sources):
        return jar
    missing = [t for t in ("java", "mvn") if shutil.which(t) is None]
    if missing:
        raise Unavailable(f"Kafka Streams peer needs {' and '.join(missing)} on PATH "
                          f"(Java 17+ and Maven 3.8+)")
    log("building bench/java (Kafka Streams 4.4) with Maven ...")
    for argv in (["mvn", "-q", "-B", "-o", "package"], ["mvn", "-q", "-B", "package"]):
        done = subprocess.run(argv, cwd=JAVA_DIR, capture_output=True, text=True)
        if done.returncode == 0 and jar.exists():
            return jar
    raise Unavailable(f"`mvn package` in {JAVA_DIR} failed:\n{done.stdout[-2000:]}"
                      f"{done.stderr[-2000:]}")


def run_kstreams(ctx: Context, workload: Workload, guarantee: str, trial: int,
                 threads: int) -> RunResult:
    jar = kstreams_jar(ctx.log)
    system = f"kstreams-{threads}t"
    app_id = f"bench-ks-{workload.key}-{uuid.uuid4().hex[:6]}"
    return run_subprocess(ctx, system, workload, guarantee, trial, lambda out, run_dir: [
        "java", "-jar", str(jar), f"workload={workload.key}", f"bootstrap={ctx.bootstrap}",
        f"app.id={app_id}", f"input={input_of(ctx, workload)}", f"output={out}",
        f"table={ctx.topics['dims']}", f"guarantee={guarantee}", f"threads={threads}",
        f"commit.ms={ctx.commit_interval_ms}", f"state.dir={run_dir}",
        f"window.ms={WINDOW_MS}"])


# --------------------------------------------------------------------------- Quix Streams

def quix_python(log: Callable[[str], None] = print) -> Path:
    """The virtualenv's python with quixstreams 3.x; created (pip from PyPI) if missing."""
    python = QUIX_VENV / "bin" / "python"
    check = [str(python), "-c", "import quixstreams; print(quixstreams.__version__)"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    log(f"creating {QUIX_VENV} with {QUIX_REQUIREMENT} (its own confluent-kafka pin) ...")
    made = subprocess.run([sys.executable, "-m", "venv", str(QUIX_VENV)],
                          capture_output=True, text=True)
    if made.returncode == 0:
        made = subprocess.run([str(python), "-m", "pip", "install", "-q", QUIX_REQUIREMENT],
                              capture_output=True, text=True)
    if made.returncode != 0 or subprocess.run(check, capture_output=True).returncode != 0:
        raise Unavailable(f"Quix Streams peer: cannot install {QUIX_REQUIREMENT} into "
                          f"{QUIX_VENV}: {made.stderr[-1500:]}")
    return python


def quix_version() -> str:
    done = subprocess.run([str(QUIX_VENV / "bin" / "python"), "-c",
                           "import quixstreams, confluent_kafka; print(f'{quixstreams.__version__}"
                           " (its confluent-kafka {confluent_kafka.__version__})')"],
                          capture_output=True, text=True)
    return done.stdout.strip()


def run_quix(ctx: Context, workload: Workload, guarantee: str, trial: int) -> RunResult:
    python = quix_python(ctx.log)
    return run_subprocess(ctx, "quix", workload, guarantee, trial, lambda out, run_dir: [
        str(python), str(BENCH_DIR / "quix_app.py"), "--workload", workload.key,
        "--bootstrap", ctx.bootstrap, "--input", input_of(ctx, workload), "--output", out,
        "--table", ctx.topics["dims"], "--guarantee", guarantee,
        "--commit-interval-ms", str(ctx.commit_interval_ms), "--state-dir", str(run_dir)],
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})


# --------------------------------------------------------------------------- raystreams

class RayHost:
    """The local Ray this driver starts once, and a meter of all its processes."""

    def __init__(self, exclude_pids: set[int], num_cpus: int = 16) -> None:
        import ray

        self.ray = ray
        paths = [str(REPO_ROOT), str(BENCH_DIR)]
        for p in reversed(paths):
            if p not in sys.path:
                sys.path.insert(0, p)
        pythonpath = os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        os.environ["PYTHONPATH"] = pythonpath
        known = {c.pid for c in psutil.Process().children()}
        t0 = time.perf_counter()
        # logical CPUs only decide placement (task.num.cpus 0.25 each): the 12-24 actors
        # of the scale curve must all fit; the machine has the cores it has
        # address="local": a Ray of our own, never another engineer's cluster on this machine;
        # on a loaded machine the first GCS call can time out ("Failed to get node info"):
        # try again a few times before giving up
        for attempt in range(1, 4):
            try:
                ray.init(address="local", namespace="raystreams-bench", include_dashboard=False,
                         log_to_driver=False, num_cpus=num_cpus,
                         runtime_env={"env_vars": {"PYTHONPATH": pythonpath,
                                                   "RAY_AUTH_MODE": "disabled"}})
                break
            except Exception as e:
                if attempt == 3:
                    raise
                print(f"ray.init failed ({e!r}); retrying", flush=True)
                ray.shutdown()
                time.sleep(5)
        self.init_s = time.perf_counter() - t0
        self.exclude = set(exclude_pids) | known
        self.meter = Meter(self.processes)
        self.meter.__enter__()

    def processes(self) -> list[psutil.Process]:
        """Every Ray process: this driver's children that are not peers or brokers."""
        return tree([c for c in psutil.Process().children()
                     if c.pid not in self.exclude and c.pid not in PEER_PIDS])

    def exclude_pid(self, pid: int) -> None:
        self.exclude.add(pid)

    def close(self) -> None:
        self.meter.__exit__()
        if self.ray.is_initialized():
            self.ray.shutdown()


def raystreams_config(ctx: Context, guarantee: str, state_dir: Path, **extra: Any) -> dict:
    return {"application.id": f"bench-rs-{uuid.uuid4().hex[:8]}",
            "bootstrap.servers": ctx.bootstrap, "processing.guarantee": guarantee,
            "commit.interval.ms": ctx.commit_interval_ms, "state.dir": str(state_dir),
            **extra}


def run_raystreams(ctx: Context, host: RayHost, workload: Workload, guarantee: str,
                   trial: int, *, input_topic: str | None = None, partitions: int | None = None,
                   system: str = "raystreams", data: Data | None = None,
                   on_running: Callable[[Any], None] | None = None) -> RunResult:
    """One raystreams run; ``input_topic``/``partitions``/``data`` override the defaults
    (the scale curve uses inputs of other partition counts); ``on_running(streams)`` is
    called once it is RUNNING (the profiler attaches there)."""
    from topologies import build

    from raystreams import KafkaStreams

    data = data or ctx.data
    parts = partitions or ctx.partitions
    result = RunResult(system, workload.key, guarantee, trial, False,
                       input_records=workload.input_records(data))
    out = f"out-{workload.key}-{system}-{guarantee[:3]}-{trial}-{uuid.uuid4().hex[:6]}"
    create_topics(ctx.bootstrap, [out], parts)
    state_dir = Path(tempfile.mkdtemp(prefix=f"rs-{workload.key}-", dir=ctx.work))
    reader = OutputReader(ctx.bootstrap, out, parts, workload, data, "raystreams")
    topology = build(workload.key, input_topic or input_of(ctx, workload), out,
                     ctx.topics["dims"])
    streams = KafkaStreams(topology, raystreams_config(ctx, guarantee, state_dir), out=None)
    deadline = time.monotonic() + ctx.deadline_s
    launched = time.time()
    start_mark = host.meter.mark()
    try:
        streams.start()
        streams.wait_until_running(min(ctx.deadline_s, 180))
        ready = time.time()
        startup = host.meter.since(start_mark)
        mark = host.meter.mark()
        if on_running is not None:
            on_running(streams)
        verdict = reader.wait(deadline, lambda: streams.state().name != "ERROR")
        return finish(result, launched, ready, verdict, mark, host.meter, startup)
    except Exception as e:  # a failed run is a result (with the cause), not the end of the bench
        result.detail = f"{type(e).__name__}: {e}"
        return result
    finally:
        reader.close()
        streams.close(60)
        shutil.rmtree(state_dir, ignore_errors=True)
