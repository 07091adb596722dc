"""Runs a raystreams twin of an oracle scenario and answers in the oracle's own format.

The oracle (Kafka Streams 4.4) and raystreams each run a ``Case``; both answers have the same
shape (outputs per step, store listings, ``describe()`` text, error), so a test compares them
with ``==`` and shows ``render_diff`` on a difference.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from raystreams import Serdes
from raystreams.errors import StreamsError
from raystreams.processor.api import Headers
from raystreams.testing import TopologyTestDriver
from raystreams.windowed import SessionWindow, Windowed

from .harness import Case, Step

SERDES = {"string": Serdes.String(), "long": Serdes.Long(), "json": Serdes.JSON()}
BASE_CONFIG = {"bootstrap.servers": "dummy:1234"}

TwinFn = Callable[[Mapping[str, Any]], Any]


def discover_twins() -> dict[str, TwinFn]:
    """Every public function of the ``twins_*`` modules beside this file, by scenario name."""
    twins: dict[str, TwinFn] = {}
    here = Path(__file__).parent
    for info in pkgutil.iter_modules([str(here)]):
        if not info.name.startswith("twins_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for name in getattr(module, "TWINS", None) or [
                n for n in dir(module) if not n.startswith("_")]:
            fn = getattr(module, name)
            if callable(fn) and getattr(fn, "__module__", None) == module.__name__:
                twins[name] = fn
    return twins


def render(value: Any) -> str | None:
    """The oracle's Render.text: keys and values as wire text."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Windowed):
        return f"{render(value.key)}@{value.window.start}/{value.window.end}"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8")
    plain = getattr(value, "value", None)
    if plain is not None and hasattr(value, "timestamp"):  # ValueAndTimestamp
        return render(plain)
    return str(value)


def _parse(text: str | None, serde_name: str) -> Any:
    if text is None:
        return None
    if serde_name == "long":
        return int(text)
    if serde_name == "json":
        return json.loads(text)
    return text


def _store_rows(store: Any) -> list[list[Any]]:
    rows: list[list[Any]] = []
    with (store.all() if hasattr(store, "all") else store.fetch(None, None)) as items:
        for key, value in items:
            if isinstance(key, Windowed):
                w = key.window
                if isinstance(w, SessionWindow):
                    rows.append([render(key.key), w.start, w.end, render(value)])
                else:
                    rows.append([render(key.key), w.start, render(value)])
            else:
                rows.append([render(key), render(value)])
    return rows


def _error(exc: BaseException, phase: str, step: int | None) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc), "phase": phase, "step": step}


#: several records between commits: a commit once 1 s of wall clock passed, 400 ms per record
COMMIT_INTERVAL = {"commit.interval.ms": "1000"}
RECORD_GAP_MS = 400


def spaced(steps: Sequence[Step], gap_ms: int = RECORD_GAP_MS) -> list[Step]:
    """``steps`` with the wall clock advanced ``gap_ms`` after each record and a final advance
    past the commit interval, so under ``COMMIT_INTERVAL`` about three records go between
    commits and the last commit flushes the rest."""
    out: list[Step] = []
    for step in steps:
        out.append(step)
        if step.op == "pipe":
            out.append(Step.advance(gap_ms))
    out.append(Step.advance(2 * int(COMMIT_INTERVAL["commit.interval.ms"])))
    return out


class IntervalCommits:
    """raystreams' side of the oracle's ``IntervalCommits.java``: the driver's task commits
    once more than ``commit.interval.ms`` of mocked wall clock passed since its last commit
    (checked after each step), not after every record; advances fire wall-clock punctuators
    without forcing a commit. It drives the driver's own task, queue and capture, as the Java
    side drives Kafka's TopologyTestDriver by reflection."""

    def __init__(self, driver: TopologyTestDriver) -> None:
        self.driver = driver
        self.interval = int(driver.config.get("commit.interval.ms"))
        self.last_commit = driver._wall_clock

    def reads(self, topic: str) -> bool:
        return self.driver._task_reads(topic)

    def pipe(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Headers) -> None:
        self.driver._enqueue(topic, key, value, timestamp, headers)
        self._process_all()

    def advance(self, ms: int) -> None:
        driver = self.driver
        driver._wall_clock += ms
        if driver.task is not None:
            driver.task.maybe_punctuate_system_time()
        self._process_all()

    def maybe_commit(self) -> None:
        if self.driver.task is not None and \
                self.driver._wall_clock - self.last_commit > self.interval:
            self._commit()

    def commit_all(self) -> None:
        """Before the driver closes: commit until nothing is left to process (as Java's)."""
        while self.driver.task is not None and self._commit():
            pass

    def _commit(self) -> bool:
        driver = self.driver
        driver._commit()
        self.last_commit = driver._wall_clock
        return self._process_all()

    def _process_all(self) -> bool:
        driver = self.driver
        driver._capture_and_reenqueue()
        task = driver.task
        processed = False
        while task is not None and task.has_records_queued():
            processed |= task.process(driver._wall_clock)
            task.maybe_punctuate_stream_time()
            driver._capture_and_reenqueue()
        return processed


def run_twin(topology_fn: TwinFn, case: Case, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``case`` through raystreams' TopologyTestDriver; answer as the oracle does."""
    params = {**meta.get("params", {}), **case.params}
    answer: dict[str, Any] = {"outputs": [], "stores": {}, "describe": None, "error": None}
    try:
        topology = topology_fn(params)
    except (StreamsError, ValueError, TypeError) as exc:
        answer["error"] = _error(exc, "build", None)
        return answer
    answer["describe"] = str(topology.describe())
    serde_of = {t["topic"]: (t["key"], t["value"]) for t in meta["inputs"] + meta["outputs"]}
    internal = {topology.resolve_topic(t, case.scenario) for t in topology.internal_topics}
    config = {**BASE_CONFIG, "application.id": case.scenario, **case.config}
    driver = TopologyTestDriver(topology, config, initial_wall_clock_time=0)
    interval = IntervalCommits(driver) if case.commits == "interval" else None
    wall = 0
    try:
        for index, step in enumerate(case.steps):
            try:
                if step.op == "advance":
                    wall += step.ms or 0
                    if interval is not None:
                        interval.advance(step.ms or 0)
                    else:
                        driver.advance_wall_clock_time(step.ms or 0)
                else:
                    key_serde, value_serde = serde_of[step.topic]
                    key = SERDES[key_serde].serialize(step.topic, _parse(step.key, key_serde))
                    value = SERDES[value_serde].serialize(step.topic,
                                                          _parse(step.value, value_serde))
                    headers = Headers([(k, None if v is None else v.encode())
                                       for k, v in step.headers])
                    ts = wall if step.timestamp is None else step.timestamp
                    if interval is not None and interval.reads(step.topic):
                        interval.pipe(step.topic, key, value, ts, headers)
                    else:
                        driver.pipe_raw(step.topic, key, value, ts, headers)
                if interval is not None:
                    interval.maybe_commit()
            except Exception as exc:  # reported, as the oracle reports Kafka's
                answer["error"] = _error(exc, "step", index)
                break
            finally:
                answer["outputs"].extend(_drain(driver, index, serde_of, internal))
        for name in case.stores:
            store = driver.get_state_store(name)
            answer["stores"][name] = None if store is None else _store_rows(store)
        if interval is not None:
            interval.commit_all()
    finally:
        driver.close()
    return answer


def _drain(driver: TopologyTestDriver, step: int, serde_of: Mapping[str, tuple[str, str]],
           internal: set[str]) -> list[dict[str, Any]]:
    out = []
    for topic in sorted(driver.produced_topic_names()):
        if topic in internal or topic.endswith("-changelog"):
            continue
        key_serde, value_serde = serde_of.get(topic, ("string", "string"))
        reader = driver.create_output_topic(topic, SERDES[key_serde], SERDES[value_serde])
        for rec in reader.read_records_to_list():
            out.append({"step": step, "topic": topic, "key": render(rec.key),
                        "value": render(rec.value), "timestamp": rec.timestamp,
                        "headers": [[k, None if v is None else v.decode()]
                                    for k, v in rec.headers.to_list()]})
    return out


def comparable(answer: Mapping[str, Any]) -> dict[str, Any]:
    """What must be equal: outputs, stores, describe text, and whether/what kind of error."""
    error = answer.get("error")
    return {"outputs": answer.get("outputs"), "stores": answer.get("stores") or {},
            "describe": answer.get("describe") if not error or error.get("phase") != "build"
            else None,
            "error": None if not error else (error.get("type"), error.get("phase"),
                                             error.get("step"))}
