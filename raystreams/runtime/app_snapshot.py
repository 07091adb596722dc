"""The supervisor's running picture of its app, for the inspector (DESIGN decision 11).

The supervisor's monitor loop hands every task report it polls (``TaskActor.report()``: a
plain dict of counters the task bumps once per batch) to a :class:`SnapshotKeeper`, and notes
the polls that did not answer. ``SnapshotKeeper.snapshot()`` turns what it holds, plus what
the supervisor knows itself (:class:`SupervisedTask`: state, incarnation, restarts, actor,
node; its event log), into an :class:`~raystreams.runtime.inspection.AppSnapshot` without
calling any task: rates, busy ratio and restore speed are differences between two reports of
the same incarnation. A task that stopped answering keeps its last numbers, and the snapshot
says so (``partial``, ``problems``) rather than waiting for it.

Plain Python, no Ray: tests feed it dicts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from raystreams.runtime.inspection import (
    AppSnapshot,
    ErrorInfo,
    Event,
    PartitionLag,
    ProcessorMetrics,
    RestoreProgress,
    StandbyInfo,
    StoreMetrics,
    TaskInfo,
    TopologyModel,
)
from raystreams.runtime.task_state import TaskState

#: rates are measured over the reports of about this many seconds
RATE_WINDOW_S = 10.0
#: a report older than this is shown with a warning (the task stopped answering polls)
STALE_AFTER_S = 5.0
#: a new incarnation that has not reported yet is starting (its actor is being created),
#: not silent, for this long
STARTUP_GRACE_S = 30.0
#: how many failures per task keep their error (the task's ``last_error``)
_EVENT_KINDS = {"started", "failed", "restarted", "moved", "promoted", "standby_started",
                "standby_failed", "error"}
#: supervisor states that override what a task last reported of itself
_SUPERVISOR_STATES = {TaskState.PENDING, TaskState.RESTARTING, TaskState.FAILED,
                      TaskState.STOPPED}


@dataclass(frozen=True)
class SupervisedTask:
    """What the supervisor itself knows of one task (the task's report adds the measures)."""

    task_id: str
    #: the supervisor's state of it: PENDING, STARTING, RUNNING, RESTARTING, FAILED, STOPPED
    state: TaskState
    state_since: float | None
    incarnation: int
    restarts: int = 0
    node_id: str | None = None
    actor_name: str | None = None
    actor_id: str | None = None
    standbys: tuple[StandbyInfo, ...] = ()


@dataclass
class _Report:
    at: float
    data: dict[str, Any]


class SnapshotKeeper:
    """Task reports in, ``AppSnapshot`` out; thread-safe (the monitor writes, calls read).

    Args:
        application_id: the app.
        topology: its topology model (built once: it does not change while the app runs).
        config: the config summary, secrets already masked.
    """

    def __init__(self, application_id: str, topology: TopologyModel,
                 config: Iterable[tuple[str, str]] = ()) -> None:
        self.application_id = application_id
        self.topology = topology
        self.config = tuple(config)
        self._reports: dict[str, deque[_Report]] = {}
        self._missed: dict[str, str] = {}
        self._restore_s: dict[tuple[str, int], float] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ input

    def report(self, task_id: str, data: Mapping[str, Any], at: float | None = None) -> None:
        """A task answered a poll with ``data`` (``TaskActor.report()``) at ``at``."""
        at = time.time() if at is None else at
        with self._lock:
            window = self._reports.setdefault(task_id, deque())
            if window and window[-1].data.get("incarnation") != data.get("incarnation"):
                window.clear()  # a new incarnation counts from zero
            window.append(_Report(at, dict(data)))
            while len(window) > 2 and at - window[0].at > RATE_WINDOW_S:
                window.popleft()
            self._missed.pop(task_id, None)
            duration = data.get("restore_duration_s")
            if duration is not None and data.get("incarnation") is not None:
                self._restore_s[(task_id, int(data["incarnation"]))] = float(duration)

    def missed(self, task_id: str, reason: str) -> None:
        """A poll of ``task_id`` did not answer (timed out, or the actor is gone)."""
        with self._lock:
            self._missed[task_id] = reason

    # ------------------------------------------------------------------ output

    def snapshot(self, state: str, tasks: Iterable[SupervisedTask],
                 events: Iterable[Mapping[str, Any]] = (), *, error: str | None = None,
                 now: float | None = None) -> AppSnapshot:
        """The app as of ``now``: ``state`` is the supervisor's (CREATED, RUNNING, ERROR,
        STOPPED), shown with Kafka's names (REBALANCING while a task is not running)."""
        now = time.time() if now is None else now
        events = list(events)
        with self._lock:
            reports = {tid: list(window) for tid, window in self._reports.items()}
            missed = dict(self._missed)
            restore_s = dict(self._restore_s)
        problems: list[str] = []
        infos: list[TaskInfo] = []
        node_rates: dict[str, float] = {}
        stores: list[StoreMetrics] = []
        errors = _last_errors(events)
        for task in sorted(tasks, key=lambda t: _task_order(t.task_id)):
            window = [r for r in reports.get(task.task_id, ())
                      if r.data.get("incarnation") == task.incarnation]
            last = window[-1] if window else None
            starting = last is None and task.state_since is not None \
                and now - task.state_since < STARTUP_GRACE_S
            if not starting and task.state not in _SUPERVISOR_STATES:
                problem = _silence(task.task_id, last, missed.get(task.task_id), now)
                if problem is not None:
                    problems.append(problem)
            info = _task_info(task, window, errors.get(task.task_id))
            infos.append(info)
            if last is not None:
                for name, rate in _rates(window, "node_records").items():
                    node_rates[name] = node_rates.get(name, 0.0) + rate
                stores.extend(StoreMetrics(s["store"], task.task_id, s.get("approx_entries"),
                                           s.get("bytes_on_disk"))
                              for s in last.data.get("stores") or ())
        processors = tuple(ProcessorMetrics(n.name, node_rates.get(n.name))
                           for n in self.topology.nodes)
        return AppSnapshot(
            self.application_id, _app_state(state, infos), now, self.topology, tuple(infos),
            processors, tuple(stores), tuple(_event(e, restore_s) for e in events),
            self.config, error, partial=bool(problems), problems=tuple(problems))


def _task_order(task_id: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in task_id.split("_"))
    except ValueError:
        return (1 << 30,)


def _silence(task_id: str, last: _Report | None, missed: str | None, now: float) -> str | None:
    """What the snapshot says of a task that does not answer its polls (None: it answers)."""
    if missed is not None:
        age = f"{now - last.at:.0f} s ago" if last else "never"
        return f"task {task_id} did not answer: {missed} (last report {age})"
    if last is not None and now - last.at > STALE_AFTER_S:
        return f"task {task_id} last reported {now - last.at:.0f} s ago"
    return None


def _app_state(state: str, tasks: list[TaskInfo]) -> str:
    if state == "STOPPED":
        return "NOT_RUNNING"
    if state == "RUNNING" and any(t.state != TaskState.RUNNING for t in tasks):
        return "REBALANCING"
    return state


def _counter_rate(window: list[_Report], name: str) -> float | None:
    """Per second of the counter ``name`` between the oldest and newest report."""
    if len(window) < 2:
        return None
    first, last = window[0], window[-1]
    dt = last.at - first.at
    a, b = first.data.get(name), last.data.get(name)
    if dt <= 0 or not isinstance(a, int | float) or not isinstance(b, int | float):
        return None
    return max(0.0, (b - a) / dt)


def _rates(window: list[_Report], name: str) -> dict[str, float]:
    """Per-second rates of a dict of counters (``node_records``) over the window."""
    if len(window) < 2:
        return {}
    first, last = window[0], window[-1]
    dt = last.at - first.at
    if dt <= 0:
        return {}
    before = first.data.get(name) or {}
    return {key: max(0.0, (count - before.get(key, 0)) / dt)
            for key, count in (last.data.get(name) or {}).items()}


def _split_tp(name: str) -> tuple[str, int]:
    topic, _, partition = name.rpartition("-")
    return topic, int(partition)


def _partitions(data: Mapping[str, Any]) -> tuple[PartitionLag, ...]:
    committed = data.get("committed_offsets") or {}
    ends = data.get("end_offsets") or {}
    positions = data.get("positions") or {}
    lag_ms = data.get("lag_ms") or {}
    names = data.get("partitions") or sorted({*committed, *ends})
    out = []
    for name in names:
        end = ends.get(name)
        # records not processed yet: the position the task processed up to when it has one
        # (fresher than the last commit), else the committed offset, as Kafka's tools count
        at = positions.get(name, committed.get(name))
        lag = max(0, end - at) if end is not None and at is not None else None
        topic, partition = _split_tp(name)
        out.append(PartitionLag(topic, partition, committed.get(name), end, lag,
                                lag_ms.get(name)))
    return tuple(out)


def _restore(data: Mapping[str, Any], at: float) -> RestoreProgress | None:
    total = data.get("records_to_restore")
    if total is None:
        return None
    done = bool(data.get("restore_done"))
    restored = int(data.get("records_restored") or 0)
    started = data.get("restore_started_at")
    rate = None
    if not done and started is not None and at > started and restored > 0:
        rate = restored / (at - started)
    return RestoreProgress(restored, int(total), done, rate)


def _error_info(error: Any, traceback: str | None = None, at: float | None = None) -> ErrorInfo:
    """An ``ErrorInfo`` from a report's error dict, an exception, or a cause's text."""
    if isinstance(error, Mapping):
        return ErrorInfo(str(error.get("type") or ""), str(error.get("message") or ""),
                         error.get("traceback") or traceback, error.get("at", at),
                         error.get("topic"), error.get("partition"), error.get("offset"),
                         error.get("processor"))
    if isinstance(error, BaseException):
        info = ErrorInfo.from_exception(error, at)
        # an exception that crossed the actor hop lost its frames: the task sent them apart
        return replace(info, traceback=traceback) if traceback else info
    kind, sep, message = str(error).partition(": ")
    if sep and kind.replace(".", "").isidentifier():
        return ErrorInfo(kind, message, traceback, at)
    return ErrorInfo("", str(error), traceback, at)


def _event_error(event: Mapping[str, Any]) -> ErrorInfo | None:
    error = event.get("error")
    if error is None and event.get("event") not in ("failed", "error", "standby_failed"):
        return None
    return _error_info(error if error is not None else event.get("cause", ""),
                       event.get("traceback"), event.get("at"))


def _last_errors(events: list[Mapping[str, Any]]) -> dict[str, ErrorInfo]:
    out: dict[str, ErrorInfo] = {}
    for event in events:
        if event.get("event") == "failed" and event.get("task_id"):
            error = _event_error(event)
            if error is not None:
                out[event["task_id"]] = error
    return out


def _task_info(task: SupervisedTask, window: list[_Report],
               last_failure: ErrorInfo | None) -> TaskInfo:
    last = window[-1] if window else None
    data = last.data if last is not None else {}
    state, since = task.state, task.state_since
    if last is not None and task.state not in _SUPERVISOR_STATES and data.get("state"):
        # the task knows better whether it is restoring or running
        state, since = data["state"], data.get("state_since", since)
    error = last_failure
    if data.get("last_error"):
        reported = _error_info(data["last_error"])
        if error is None or (reported.at or 0) >= (error.at or 0):
            error = reported
    busy = _counter_rate(window, "busy_s")
    commits = data.get("commits") or 0
    return TaskInfo(
        task.task_id, state, since, data.get("node_id") or task.node_id, task.actor_id,
        task.actor_name, data.get("pid"), task.incarnation, task.restarts, error,
        _partitions(data) if last is not None else (),
        _counter_rate(window, "records_processed"), _counter_rate(window, "records_produced"),
        min(1.0, busy) if busy is not None else None,
        float(data["commit_latency_ms_avg"]) if commits else None,
        _restore(data, last.at) if last is not None else None, task.standbys)


def _event(event: Mapping[str, Any], restore_s: Mapping[tuple[str, int], float]) -> Event:
    kind = event.get("event", "other")
    task_id = event.get("task_id")
    incarnation = event.get("incarnation")
    restored = None
    if task_id is not None and incarnation is not None and kind in ("started", "restarted",
                                                                     "moved", "promoted"):
        restored = restore_s.get((task_id, int(incarnation)))
    detail = event.get("detail")
    if detail is None and event.get("replica") is not None:
        detail = f"standby replica {event['replica']}"
    cause = event.get("cause")
    return Event(float(event.get("at", 0.0)), kind if kind in _EVENT_KINDS else "other",
                 task_id, str(cause) if cause is not None else None, _event_error(event),
                 incarnation, event.get("node"), event.get("from_node"), restored, detail)
