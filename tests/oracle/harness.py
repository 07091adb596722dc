"""Python side of the Kafka Streams oracle: build the jar, run the JVM, exchange cases.

The oracle (``tests/oracle/src``) is one long-lived Java process that runs each case in a
fresh Kafka Streams 4.4 ``TopologyTestDriver`` and answers with every output record, the
requested store contents, ``Topology.describe()`` and any error. The wire protocol is in
``tests/oracle/README.md``; the scenarios are in ``tests/oracle/SCENARIOS.md``.

Example::

    with Oracle() as oracle:
        answer = oracle.run("wordcount", [Step.pipe("text-input", None, "Hello World", 1000)])
        answer["outputs"][0]["key"]  # "hello"
"""

from __future__ import annotations

import collections
import contextlib
import difflib
import fcntl
import itertools
import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

ORACLE_DIR = Path(__file__).resolve().parent
JAR = ORACLE_DIR / "target" / "oracle.jar"
JVM_ARGS: tuple[str, ...] = (
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-Xshare:auto",
)
DEFAULT_TIMEOUT_S = 60.0
HELLO_TIMEOUT_S = 120.0
INSTALL_HINT = (
    "install OpenJDK 17 and Maven 3.8+ (Debian/Ubuntu: `apt-get install -y openjdk-17-jdk-headless "
    "maven`) and make sure Maven Central is reachable for the first build"
)


class OracleError(RuntimeError):
    """Base of every oracle harness error."""


class OracleUnavailable(OracleError):
    """``java`` or ``mvn`` is not installed."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(f"Kafka Streams oracle needs {' and '.join(self.missing)}: {INSTALL_HINT}")


class OracleBuildError(OracleError):
    """``mvn package`` failed; carries the tail of Maven's output."""

    def __init__(self, command: Sequence[str], output: str) -> None:
        self.command = list(command)
        self.output = output
        super().__init__(f"`{' '.join(command)}` failed in {ORACLE_DIR}:\n{_tail(output, 60)}")


class OracleDied(OracleError):
    """The JVM exited or stopped answering; carries its exit code and stderr tail."""

    def __init__(self, reason: str, returncode: int | None, stderr_tail: str) -> None:
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        super().__init__(
            f"Kafka Streams oracle JVM {reason} (exit code {returncode}); stderr tail:\n{stderr_tail}"
        )


class OracleTimeout(OracleDied):
    """A case took longer than its timeout; the JVM was killed and restarts on the next case."""


# ---------------------------------------------------------------------------------------------
# cases


@dataclass(frozen=True)
class Step:
    """One step of a case: pipe a record into a topic, or advance wall-clock time.

    Keys and values are text (decimal text for Long serdes, JSON text for JSON serdes) or
    None for a Kafka null. A pipe without a timestamp takes the current mocked wall-clock
    time (0 plus every advance so far), as the oracle does.
    """

    op: Literal["pipe", "advance"]
    topic: str | None = None
    key: str | None = None
    value: str | None = None
    timestamp: int | None = None
    headers: tuple[tuple[str, str | None], ...] = ()
    ms: int | None = None

    @classmethod
    def pipe(
        cls,
        topic: str,
        key: str | None,
        value: str | None,
        timestamp: int | None = None,
        headers: Iterable[tuple[str, str | None]] = (),
    ) -> Step:
        """``TestInputTopic.pipeInput(new TestRecord(key, value, headers, timestamp))``."""
        return cls(
            "pipe", topic=topic, key=key, value=value, timestamp=timestamp, headers=tuple(headers)
        )

    @classmethod
    def advance(cls, ms: int) -> Step:
        """``TopologyTestDriver.advanceWallClockTime(Duration.ofMillis(ms))``."""
        return cls("advance", ms=ms)

    def to_json(self) -> dict[str, Any]:
        """The step as the oracle's wire format."""
        if self.op == "advance":
            return {"op": "advance", "ms": self.ms}
        step: dict[str, Any] = {
            "op": "pipe",
            "topic": self.topic,
            "key": self.key,
            "value": self.value,
        }
        if self.timestamp is not None:
            step["timestamp"] = self.timestamp
        if self.headers:
            step["headers"] = [list(h) for h in self.headers]
        return step

    @classmethod
    def from_json(cls, step: Mapping[str, Any]) -> Step:
        """Parses a wire-format step."""
        if step.get("op") == "advance":
            return cls.advance(int(step["ms"]))
        return cls.pipe(
            step["topic"],
            step.get("key"),
            step.get("value"),
            step.get("timestamp"),
            [(h[0], h[1]) for h in step.get("headers") or ()],
        )

    def describe(self) -> str:
        """One short line, for diffs."""
        if self.op == "advance":
            return f"advance {self.ms} ms"
        headers = f" headers={list(self.headers)}" if self.headers else ""
        ts = "wall-clock" if self.timestamp is None else self.timestamp
        return f"pipe {self.topic} {self.key!r}={self.value!r} @{ts}{headers}"


StepLike = Step | Mapping[str, Any]


@dataclass(frozen=True)
class Case:
    """A scenario and what to do with it: the unit both the oracle and raystreams run."""

    scenario: str
    steps: tuple[Step, ...] = ()
    config: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)
    stores: tuple[str, ...] = ()
    #: "per_record" (TopologyTestDriver's own: a commit, so a cache flush, after every record)
    #: or "interval" (a commit once more than ``commit.interval.ms`` of wall clock passed,
    #: checked after each step, as a StreamThread commits; see IntervalCommits.java)
    commits: str = "per_record"

    @classmethod
    def of(
        cls,
        scenario: str,
        steps: Iterable[StepLike] = (),
        config: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        stores: Iterable[str] | None = None,
        commits: str = "per_record",
    ) -> Case:
        """Builds a case from steps given as ``Step`` objects or wire-format dicts."""
        if commits not in ("per_record", "interval"):
            raise ValueError(f"commits must be 'per_record' or 'interval', got {commits!r}")
        return cls(
            scenario,
            tuple(s if isinstance(s, Step) else Step.from_json(s) for s in steps),
            {k: str(v) for k, v in (config or {}).items()},
            dict(params or {}),
            tuple(stores or ()),
            commits,
        )

    def to_request(self, request_id: int | None = None) -> dict[str, Any]:
        """The case as one oracle request."""
        request: dict[str, Any] = {
            "scenario": self.scenario,
            "config": dict(self.config),
            "params": dict(self.params),
            "steps": [s.to_json() for s in self.steps],
            "stores": list(self.stores),
        }
        if self.commits != "per_record":
            request["commits"] = self.commits
        if request_id is not None:
            request["id"] = request_id
        return request


# ---------------------------------------------------------------------------------------------
# the oracle process


class Oracle:
    """One Kafka Streams oracle JVM, serving cases one at a time.

    Thread-safe; builds the jar if needed and starts lazily. A case that times out kills
    the JVM (``OracleTimeout``); a JVM that died on its own makes the next case raise
    ``OracleDied`` with its stderr tail. Either way, the case after that starts a new JVM.
    """

    def __init__(
        self,
        oracle_dir: Path = ORACLE_DIR,
        *,
        java: str = "java",
        mvn: str = "mvn",
        timeout: float = DEFAULT_TIMEOUT_S,
        jvm_args: Sequence[str] = JVM_ARGS,
        stderr_lines: int = 200,
    ) -> None:
        self.oracle_dir = oracle_dir
        self.jar = oracle_dir / "target" / "oracle.jar"
        self.java = java
        self.mvn = mvn
        self.timeout = timeout
        self.jvm_args = tuple(jvm_args)
        self.scenarios: dict[str, Any] = {}
        self.kafka_version: str | None = None
        self.build_seconds: float | None = None
        self.start_seconds: float | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._answers: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=stderr_lines)
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        # per harness process, so concurrent sessions never clean up each other's state dirs
        self._state_root = oracle_dir / "target" / "state" / str(os.getpid())

    # -- tools and build ----------------------------------------------------------------------

    @staticmethod
    def missing_tools(java: str = "java", mvn: str = "mvn") -> list[str]:
        """The names of the required tools that are not on PATH."""
        return [tool for tool in (java, mvn) if shutil.which(tool) is None]

    def is_stale(self) -> bool:
        """True when the jar or its classpath is missing, or older than the pom or any source."""
        if not self.jar.exists() or not (self.jar.parent / "lib").is_dir():
            return True
        built = self.jar.stat().st_mtime
        sources = [
            self.oracle_dir / "pom.xml",
            *(p for p in (self.oracle_dir / "src").rglob("*") if p.is_file()),
        ]
        return any(p.stat().st_mtime > built for p in sources)

    def ensure_built(self) -> Path:
        """Runs ``mvn -q package`` (offline first, then online) if the jar is stale."""
        missing = self.missing_tools(self.java, self.mvn)
        if missing:
            raise OracleUnavailable(missing)
        (self.oracle_dir / "target").mkdir(exist_ok=True)
        with open(self.oracle_dir / "target" / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent pytest processes build once
            if not self.is_stale():
                return self.jar
            started = time.monotonic()
            offline = [self.mvn, "-q", "-B", "-o", "package"]
            result = subprocess.run(offline, cwd=self.oracle_dir, capture_output=True, text=True)
            if result.returncode != 0:
                online = [self.mvn, "-q", "-B", "package"]
                result = subprocess.run(online, cwd=self.oracle_dir, capture_output=True, text=True)
                if result.returncode != 0:
                    raise OracleBuildError(online, result.stdout + result.stderr)
            if not self.jar.exists():
                raise OracleBuildError(offline, f"mvn succeeded but {self.jar} is missing")
            os.utime(self.jar)  # an unchanged jar is not rewritten by Maven: mark it fresh
            self.build_seconds = time.monotonic() - started
        return self.jar

    # -- process ------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the JVM is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def stderr_tail(self) -> str:
        """The last lines the JVM wrote to stderr."""
        return "".join(self._stderr)

    def start(self) -> Oracle:
        """Builds if needed and starts the JVM (no-op when running); waits for its hello."""
        with self._lock:
            if self.running:
                return self
            self.ensure_built()
            started = time.monotonic()
            command = [
                self.java,
                *self.jvm_args,
                f"-Draystreams.oracle.stateRoot={self._state_root}",
                "-jar",
                str(self.jar),
            ]
            self._answers = queue.Queue()
            self._stderr.clear()
            self._proc = subprocess.Popen(
                command,
                cwd=self.oracle_dir,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
            threading.Thread(
                target=_pump, args=(self._proc.stdout, self._answers.put), daemon=True
            ).start()
            threading.Thread(
                target=_pump, args=(self._proc.stderr, self._stderr.append, False), daemon=True
            ).start()
            hello = self._request({"control": "hello"}, HELLO_TIMEOUT_S)
            self.scenarios = hello["scenarios"]
            self.kafka_version = hello.get("kafka_version")
            self.start_seconds = time.monotonic() - started
            return self

    def close(self) -> None:
        """Ends the JVM: closes its stdin, then kills it if it lingers."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None:
                with contextlib.suppress(OSError):
                    if proc.stdin:
                        proc.stdin.close()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            shutil.rmtree(self._state_root, ignore_errors=True)

    def __enter__(self) -> Oracle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cases --------------------------------------------------------------------------------

    def run(
        self,
        scenario: str,
        steps: Iterable[StepLike] = (),
        config: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        stores: Iterable[str] | None = None,
        *,
        commits: str = "per_record",
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Runs one case in a fresh TopologyTestDriver and returns the oracle's answer.

        The answer has ``outputs``, ``stores``, ``describe`` and ``error`` (None, or a dict with
        ``type``, ``message``, ``phase``, ``step``, ``causes``); see README.md.
        """
        return self.run_case(Case.of(scenario, steps, config, params, stores, commits),
                             timeout=timeout)

    def run_case(self, case: Case, *, timeout: float | None = None) -> dict[str, Any]:
        """Runs a ``Case``; see ``run``."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is not None:
                # died on its own since the last case: say so once; the next case restarts it
                raise self._died("exited between cases")
            self.start()
            request_id = next(self._ids)
            answer = self._request(case.to_request(request_id), timeout or self.timeout)
            if answer.get("id") != request_id:
                self._kill()
                raise OracleDied(
                    f"answered id {answer.get('id')} to request {request_id}",
                    None,
                    self.stderr_tail,
                )
            answer.pop("id", None)
            return answer

    def _request(self, request: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        try:
            proc.stdin.write(json.dumps(request, separators=(",", ":")) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise self._died("closed its stdin") from e
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise OracleTimeout(
                f"gave no answer within {timeout:.0f} s to {request.get('scenario') or request}; killed it",
                None,
                self.stderr_tail,
            ) from None
        if line is None:
            raise self._died("exited")
        try:
            return json.loads(line)
        except json.JSONDecodeError as e:
            self._kill()
            raise OracleDied(f"wrote a non-JSON line {line[:200]!r}", None, self.stderr_tail) from e

    def _died(self, reason: str) -> OracleDied:
        proc = self._proc
        code = None
        if proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = proc.wait(timeout=5)
        time.sleep(0.05)  # let the stderr pump catch the last lines
        self._proc = None
        return OracleDied(reason, code, self.stderr_tail)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()


def _pump(stream: IO[str] | None, sink: Any, eof_marker: bool = True) -> None:
    """Copies lines from a pipe to ``sink``; then ``sink(None)`` when ``eof_marker``."""
    if stream is not None:
        for line in stream:
            sink(line)
    if eof_marker:
        sink(None)


# ---------------------------------------------------------------------------------------------
# diffs


def format_record(record: Mapping[str, Any]) -> str:
    """One output record as a short line: ``#step topic key=value @ts [headers]``."""
    headers = f" {record['headers']}" if record.get("headers") else ""
    return (
        f"#{record.get('step', '?')} {record.get('topic')} "
        f"{record.get('key')!r}={record.get('value')!r} @{record.get('timestamp')}{headers}"
    )


def _format_error(error: Mapping[str, Any] | None) -> list[str]:
    if not error:
        return ["error: none"]
    where = error.get("phase", "?") + (
        f" step {error['step']}" if error.get("step") is not None else ""
    )
    return [f"error ({where}): {error.get('type')}: {error.get('message')}"]


def _side_by_side(left: list[str], right: list[str], width: int) -> list[str]:
    rows: list[str] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for k in range(max(i2 - i1, j2 - j1)):
            a = left[i1 + k] if i1 + k < i2 else ""
            b = right[j1 + k] if j1 + k < j2 else ""
            mark = " " if tag == "equal" else "!" if a and b else "<" if a else ">"
            rows.append(f"{mark} {_clip(a, width):<{width}} | {_clip(b, width)}")
    return rows or [f"  {'(none)':<{width}} | (none)"]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_diff(
    case: Case | Mapping[str, Any],
    expected: Mapping[str, Any],
    actual: Mapping[str, Any],
    *,
    width: int = 60,
    labels: tuple[str, str] = ("Kafka Streams (oracle)", "raystreams"),
) -> str:
    """A case and both answers side by side, differing rows marked ``!``, ``<`` or ``>``.

    ``expected`` and ``actual`` are answers shaped like the oracle's (``outputs``, ``stores``,
    ``error``); ``case`` is a ``Case`` or a wire-format request.
    """
    if not isinstance(case, Case):
        case = Case.of(
            case["scenario"],
            case.get("steps", ()),
            case.get("config"),
            case.get("params"),
            case.get("stores"),
            case.get("commits", "per_record"),
        )
    lines = [f"scenario {case.scenario}"]
    if case.commits != "per_record":
        lines.append(f"  commits {case.commits}")
    if case.config:
        lines.append(f"  config {dict(case.config)}")
    if case.params:
        lines.append(f"  params {dict(case.params)}")
    lines += [f"  step {i}: {step.describe()}" for i, step in enumerate(case.steps)]
    lines.append("")
    lines.append(f"  {labels[0]:<{width}} | {labels[1]}")
    lines.append("outputs")
    lines += _side_by_side(
        [format_record(r) for r in expected.get("outputs", [])],
        [format_record(r) for r in actual.get("outputs", [])],
        width,
    )
    expected_stores = expected.get("stores") or {}
    actual_stores = actual.get("stores") or {}
    for name in sorted(set(expected_stores) | set(actual_stores)):
        lines.append(f"store {name}")
        lines += _side_by_side(
            [json.dumps(row) for row in expected_stores.get(name, [])],
            [json.dumps(row) for row in actual_stores.get(name, [])],
            width,
        )
    lines += _side_by_side(
        _format_error(expected.get("error")), _format_error(actual.get("error")), width
    )
    return "\n".join(lines)


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.splitlines()[-lines:])
