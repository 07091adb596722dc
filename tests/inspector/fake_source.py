"""A fake ``InspectionSource``: one word-count app whose numbers move on every snapshot.

The inspector's AppTest and browser tests run against it (the live source asks Ray). The
topology model is the real one, built from a real ``Topology``; the tasks, events and store
contents are made up but consistent: keys route with Kafka's murmur2 partitioner to the task
owning their partition, task ``2_2`` is restoring (its answers are stale), task ``2_0``'s lag
grows on every poll and ``1_1``'s shrinks.

Select it with ``RAYSTREAMS_INSPECTOR_SOURCE=tests/inspector/fake_source.py:make_source``
(or ``fake_source:make_source`` with this folder on ``sys.path``); ``no_cluster``, ``no_apps``
and ``partial_source`` give the other cases.
"""

from __future__ import annotations

import itertools
import struct
import threading
import time
from datetime import timedelta
from typing import Any

from raystreams import Materialized, Produced, Serdes, SessionWindows, StreamsBuilder, TimeWindows
from raystreams.kafka.partitioner import default_partition
from raystreams.runtime.inspection import (
    AppSnapshot,
    AppSummary,
    EntryPage,
    ErrorInfo,
    Event,
    InspectionError,
    KeyLookup,
    NoClusterError,
    PartitionLag,
    ProcessorMetrics,
    ReplicaLocation,
    RestoreProgress,
    StandbyInfo,
    StoreEntry,
    StoreMetrics,
    StoreRoute,
    TaskInfo,
    TopologyModel,
    UnknownAppError,
    config_summary,
    parse_key_text,
)

APP = "wordcount.demo-1"
FAILED_APP = "fraud-check"
PARTITIONS = 3
INPUT = "text.lines-in"
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon", "phi",
         "chi", "psi", "omega", "kafka"]
COUNTS = {word: (i * 7) % 23 + 1 for i, word in enumerate(WORDS)}
TRACEBACK = ('Traceback (most recent call last):\n  File "wordcount.py", line 30, in words\n'
             "ValueError: cannot split a None line")
T0 = 1_765_000_000.0  # the fake's wall clock starts here (2025-12-06)


def build_model() -> TopologyModel:
    builder = StreamsBuilder()
    builder.global_table("user.profiles-v2")  # sub-topology 0: a global store, no tasks
    lines = builder.stream(INPUT)
    (lines.flat_map_values(str.split)
        .group_by(lambda key, word: word)
        .count(Materialized.as_("word-counts"))
        .to_stream()
        .to("word.counts-out", Produced.with_(Serdes.String(), Serdes.Long())))
    per_key = lines.group_by_key()
    per_key.windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=1))).count(
        Materialized.as_("lines-per-minute"))
    per_key.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(
        timedelta(minutes=5))).count(Materialized.as_("line-sessions"))
    partitions = {INPUT: PARTITIONS, f"{APP}-word-counts-repartition": PARTITIONS}
    return TopologyModel.from_topology(builder.build(), APP, partitions,
                                       default_serdes=("String", "String"))


def _node(task_id: str) -> str:
    return "node-a" if int(task_id[-1]) % 2 == 0 else "node-b"


class FakeSource:
    """An ``InspectionSource`` over made-up but consistent numbers; see the module doc."""

    def __init__(self, *, partial: bool = False) -> None:
        self.model = build_model()
        self.partial = partial
        self.polls = 0
        self.calls: list[tuple[str, float]] = []  # (method, timeout)
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- apps

    def list_apps(self, *, timeout: float) -> list[AppSummary]:
        self.calls.append(("list_apps", timeout))
        snap = self._snapshot(self.polls)
        return [snap.summary(), self._failed_app().summary()]

    def snapshot(self, app_id: str, *, timeout: float) -> AppSnapshot:
        self.calls.append(("snapshot", timeout))
        if app_id == FAILED_APP:
            return self._failed_app()
        self._check_app(app_id)
        with self._lock:
            self.polls += 1
            poll = self.polls
        return self._snapshot(poll)

    def _check_app(self, app_id: str) -> None:
        if app_id != APP:
            raise UnknownAppError(app_id, [APP, FAILED_APP])

    def _failed_app(self) -> AppSnapshot:
        """The second app: every task failed too often, so the app is in ERROR."""
        builder = StreamsBuilder()
        builder.stream("payments").filter(lambda k, v: v is not None).to("payments.checked")
        model = TopologyModel.from_topology(builder.build(), FAILED_APP, {"payments": 4})
        error = ErrorInfo("KeyError", "'amount'", TRACEBACK, T0 - 5)
        tasks = tuple(TaskInfo(f"0_{p}", "FAILED", T0 - 5, "node-a", restarts=6,
                               last_error=error) for p in range(4))
        return AppSnapshot(FAILED_APP, "ERROR", T0, model, tasks,
                           error="task 0_1 failed 6 times within 300 s")

    def _snapshot(self, poll: int) -> AppSnapshot:
        now = T0 + 2.0 * poll
        tasks = [self._task(f"{sub}_{p}", poll, now) for sub in (1, 2) for p in range(PARTITIONS)]
        processors = tuple(ProcessorMetrics(n.name, 120.0 + 10 * i)
                           for i, n in enumerate(self.model.nodes))
        stores = tuple(StoreMetrics(s, f"{sub}_{p}", 1000 * (p + 1), 4096 * (p + 1) ** 2)
                       for s, sub in (("word-counts", 2), ("lines-per-minute", 1),
                                      ("line-sessions", 1))
                       for p in range(PARTITIONS))
        config = config_summary({
            "application.id": APP, "bootstrap.servers": "127.0.0.1:9092",
            "processing.guarantee": "exactly_once_v2", "num.standby.replicas": 1,
            "sasl.jaas.config": 'PlainLoginModule required username="app" password="s3cret";'})
        problems = ("task 1_2 did not answer within 0.5 s: its numbers are from the last poll",) \
            if self.partial else ()
        return AppSnapshot(APP, "RUNNING", now, self.model, tuple(tasks), processors, stores,
                           self._events(), config, partial=self.partial, problems=problems)

    def _task(self, task_id: str, poll: int, now: float) -> TaskInfo:
        sub, p = (int(x) for x in task_id.split("_"))
        topic = INPUT if sub == 1 else f"{APP}-word-counts-repartition"
        end = 10_000 + 500 * poll + 100 * p
        lag = {"2_0": 200 + 37 * poll, "1_1": max(0, 900 - 60 * poll)}.get(task_id, 5 + p)
        state = "RESTORING" if task_id == "2_2" else "RUNNING"
        restore = RestoreProgress(4_000 + 100 * poll, 10_000, records_per_s=500.0) \
            if state == "RESTORING" else RestoreProgress(10_000, 10_000, done=True)
        error = ErrorInfo("ValueError", "cannot split a None line", TRACEBACK, T0 - 30, INPUT,
                          1, 4711, "KSTREAM-FLATMAPVALUES-0000000004") if task_id == "2_1" else None
        standby = StandbyInfo(ReplicaLocation(task_id, "node-b" if _node(task_id) == "node-a"
                                              else "node-a", f"sb{task_id}", f"{APP}-{task_id}-standby-1",
                                              4000 + p, standby=True, replica=1), True, 3 * p)
        return TaskInfo(
            task_id, state, state_since=now - 60 - 10 * p, node_id=_node(task_id),
            actor_id=f"a1b2c3{sub}{p}", actor_name=f"{APP}-{task_id}", pid=3000 + 10 * sub + p,
            incarnation=2 if task_id == "2_1" else 1, restarts=1 if task_id == "2_1" else 0,
            last_error=error, partitions=(PartitionLag(topic, p, end - lag, end, lag,
                                                        lag * 2.0),),
            records_in_per_s=250.0 + 25 * p + poll % 5, records_out_per_s=240.0 + 20 * p,
            busy_ratio={"2_0": 0.82, "1_0": 0.35}.get(task_id, 0.05 + 0.01 * p),
            commit_latency_ms=12.5 + p, restore=restore, standbys=(standby,))

    def _events(self) -> tuple[Event, ...]:
        started = [Event(T0 - 600 + i, "started", f"{sub}_{p}", incarnation=1, node_id=_node(f"{sub}_{p}"))
                   for i, (sub, p) in enumerate(itertools.product((1, 2), range(PARTITIONS)))]
        error = ErrorInfo("ValueError", "cannot split a None line", TRACEBACK, T0 - 30)
        return (*started,
                Event(T0 - 300, "moved", "1_2", node_id="node-b", from_node_id="node-a",
                      restore_duration_s=1.5, detail="node node-b joined"),
                Event(T0 - 30, "failed", "2_1", cause="ValueError: cannot split a None line",
                      error=error, incarnation=1, node_id="node-b"),
                Event(T0 - 29, "promoted", "2_1", node_id="node-a", from_node_id="node-b",
                      detail="standby replica 1 promoted"),
                Event(T0 - 28, "restarted", "2_1", incarnation=2, node_id="node-a",
                      restore_duration_s=0.8))

    # ----------------------------------------------------------------- state

    def _route(self, store: str, key_text: str) -> tuple[StoreRoute, Any, str]:
        info = self.model.store(store)
        key = parse_key_text(key_text, info.key_serde)
        partition = default_partition(key.encode(), PARTITIONS)
        task_id = f"{info.subtopology}_{partition}"
        task = self._task(task_id, self.polls, T0)
        route = StoreRoute(store, key_text, partition, task_id, task.location,
                           tuple(s.location for s in task.standbys))
        return route, key, task_id

    def _store(self, store: str) -> Any:
        try:
            return self.model.store(store)
        except KeyError:
            raise InspectionError(f"app {APP} has no store {store!r}") from None

    def get_key(self, app_id: str, store: str, key: str, *, raw: bool = False,
                as_of_timestamp: int | None = None, timeout: float) -> KeyLookup:
        self.calls.append(("get_key", timeout))
        self._check_app(app_id)
        info = self._store(store)
        if info.store_type not in ("key_value", "timestamped_key_value", "versioned"):
            raise InspectionError(f"{store} is a {info.store_type} store: fetch it by key and time")
        route, word, task_id = self._route(store, key)
        value = COUNTS.get(word)
        return KeyLookup(route, value is not None, value, int(T0 * 1000) if value else None,
                         task_id, stale=task_id == "2_2",
                         raw_key=word.encode() if raw else None,
                         raw_value=struct.pack(">q", value) if raw and value is not None else None)

    def _entry(self, store: str, word: str, value: Any, raw: bool, **window: int) -> StoreEntry:
        partition = default_partition(word.encode(), PARTITIONS)
        task_id = f"{self.model.store(store).subtopology}_{partition}"
        return StoreEntry(word, value, task_id, int(T0 * 1000), stale=task_id == "2_2",
                          raw_key=word.encode() if raw else None,
                          raw_value=struct.pack(">q", value) if raw else None, **window)

    @staticmethod
    def _page(entries: list[StoreEntry], cursor: str | None, limit: int) -> EntryPage:
        start = int(cursor or 0)
        page = entries[start:start + limit]
        more = start + limit < len(entries)
        stale = tuple(sorted({e.task_id for e in page if e.stale}))
        return EntryPage(tuple(page), str(start + limit) if more else None, stale)

    def scan(self, app_id: str, store: str, *, kind: str = "all", start: str | None = None,
             end: str | None = None, prefix: str | None = None, cursor: str | None = None,
             limit: int = 100, raw: bool = False, timeout: float) -> EntryPage:
        self.calls.append(("scan", timeout))
        self._check_app(app_id)
        info = self._store(store)
        if info.store_type in ("window", "timestamped_window", "session"):
            entries = [e for w in sorted(COUNTS) for e in self._windows(store, w, raw)]
            return self._page(entries, cursor, limit)
        words = sorted(COUNTS)
        if kind == "range":
            words = [w for w in words if (start is None or w >= start) and (end is None or w <= end)]
        elif kind == "prefix":
            words = [w for w in words if w.startswith(prefix or "")]
        return self._page([self._entry(store, w, COUNTS[w], raw) for w in words], cursor, limit)

    def _windows(self, store: str, word: str, raw: bool) -> list[StoreEntry]:
        base = int(T0 * 1000) - int(T0 * 1000) % 60_000
        return [self._entry(store, word, COUNTS[word] + i, raw, window_start=base + 60_000 * i,
                            window_end=base + 60_000 * (i + 1)) for i in range(3)]

    def fetch_window(self, app_id: str, store: str, key: str, time_from: int, time_to: int, *,
                     cursor: str | None = None, limit: int = 100, raw: bool = False,
                     timeout: float) -> EntryPage:
        self.calls.append(("fetch_window", timeout))
        self._check_app(app_id)
        self._store(store)
        word = parse_key_text(key, "String")
        entries = [e for e in self._windows(store, word, raw) if word in COUNTS
                   and time_from <= e.window_start <= time_to]
        return self._page(entries, cursor, limit)

    def fetch_session(self, app_id: str, store: str, key: str, *,
                      earliest_session_end: int = 0, latest_session_start: int | None = None,
                      cursor: str | None = None, limit: int = 100, raw: bool = False,
                      timeout: float) -> EntryPage:
        self.calls.append(("fetch_session", timeout))
        self._check_app(app_id)
        self._store(store)
        word = parse_key_text(key, "String")
        entries = [e for e in self._windows(store, word, raw) if word in COUNTS
                   and e.window_end >= earliest_session_end
                   and (latest_session_start is None or e.window_start <= latest_session_start)]
        return self._page(entries, cursor, limit)


class HangingSource(FakeSource):
    """A source that ignores its timeouts: every snapshot takes ``HANG_S``."""

    HANG_S = 4.0

    def snapshot(self, app_id: str, *, timeout: float) -> AppSnapshot:
        time.sleep(self.HANG_S)
        return super().snapshot(app_id, timeout=timeout)


class NoClusterSource(FakeSource):
    """No Ray cluster answers."""

    def list_apps(self, *, timeout: float) -> list[AppSummary]:
        raise NoClusterError("auto", "could not find any running Ray instance")

    def snapshot(self, app_id: str, *, timeout: float) -> AppSnapshot:
        raise NoClusterError("auto", "could not find any running Ray instance")


class NoAppsSource(FakeSource):
    """A cluster that runs no raystreams app."""

    def list_apps(self, *, timeout: float) -> list[AppSummary]:
        return []

    def snapshot(self, app_id: str, *, timeout: float) -> AppSnapshot:
        raise UnknownAppError(app_id, [])


#: every source the factories made, newest last (tests look at the calls it received)
INSTANCES: list[FakeSource] = []


def _made(source: FakeSource) -> FakeSource:
    INSTANCES.append(source)
    return source


def make_source(address: str | None = None) -> FakeSource:
    return _made(FakeSource())


def partial_source(address: str | None = None) -> FakeSource:
    return _made(FakeSource(partial=True))


def no_cluster(address: str | None = None) -> FakeSource:
    return _made(NoClusterSource())


def no_apps(address: str | None = None) -> FakeSource:
    return _made(NoAppsSource())



def hanging_source(address: str | None = None) -> FakeSource:
    return _made(HangingSource())
