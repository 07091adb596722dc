"""Runtime metrics of a task actor, served by Ray calls (issue 8, item 7).

A ``RunnerMetrics`` lives in each ``TaskRunner``; ``snapshot()`` is a plain dict (cheap to
send over Ray) that merges the engine's ``TaskMetrics``. ``aggregate`` sums snapshots for
``KafkaStreams.metrics()``.
"""

from __future__ import annotations

import time
import traceback
from typing import Any

_SUMMED = ("records_consumed", "records_produced", "records_processed", "records_dropped",
           "punctuations", "commits", "restarts", "records_restored", "records_to_restore",
           "deserialization_errors", "processing_errors", "production_errors")


class RunnerMetrics:
    """Counters and gauges of one task incarnation."""

    def __init__(self, task_id: str) -> None:
        self.task_id = task_id
        self.started_at = time.time()
        self.records_consumed = 0
        self.commit_latency_ms_total = 0.0
        self.commit_latency_ms_max = 0.0
        self.last_commit_at: float | None = None
        self.records_restored = 0
        self.records_to_restore = 0
        self.restore_started_at: float | None = None
        self.restore_ended_at: float | None = None
        self._restore_done = False
        # the inspector's counters, bumped once per batch (never per record)
        self.busy_s = 0.0  # wall time spent processing (Flink's busy time)
        self.batches = 0
        self.state_wiped = False
        self.committed: dict[str, int] = {}  # "topic-partition" -> next offset
        self.end_offsets: dict[str, int] = {}
        self.first_offsets: dict[str, int] = {}  # first offset this incarnation read
        self.last_error: dict[str, Any] | None = None
        self.global_records_bootstrapped = 0
        self.global_restored_from: dict[str, int] = {}  # "topic-partition" -> first offset read
        self._rate_window: list[tuple[float, int]] = []

    @property
    def restore_done(self) -> bool:
        return self._restore_done

    @restore_done.setter
    def restore_done(self, done: bool) -> None:
        if done and not self._restore_done:
            self.restore_ended_at = time.time()
        self._restore_done = done

    def restore_duration_s(self) -> float | None:
        """How long the restore took, once done (None before, or when nothing timed it)."""
        if self.restore_started_at is None or self.restore_ended_at is None:
            return None
        return max(0.0, self.restore_ended_at - self.restore_started_at)

    def record_batch(self, busy_s: float) -> None:
        self.busy_s += busy_s
        self.batches += 1

    def record_commit(self, latency_ms: float) -> None:
        self.commit_latency_ms_total += latency_ms
        self.commit_latency_ms_max = max(self.commit_latency_ms_max, latency_ms)
        self.last_commit_at = time.time()

    def record_error(self, exc: BaseException) -> None:
        self.last_error = {"type": type(exc).__name__, "message": str(exc),
                           "topic": getattr(exc, "topic", None),
                           "partition": getattr(exc, "partition", None),
                           "offset": getattr(exc, "offset", None),
                           "processor": getattr(exc, "processor", None), "at": time.time(),
                           "traceback": "".join(traceback.format_exception(exc))}

    def process_rate(self, processed: int) -> float:
        now = time.monotonic()
        window = self._rate_window
        window.append((now, processed))
        while len(window) > 2 and now - window[0][0] > 10.0:
            window.pop(0)
        t0, n0 = window[0]
        return (processed - n0) / (now - t0) if now > t0 else 0.0

    def snapshot(self, engine: dict[str, int], *, records_produced: int, state: str,
                 commits: int) -> dict[str, Any]:
        lag = {tp: max(0, end - self.committed.get(tp, 0)) for tp, end in self.end_offsets.items()}
        snap: dict[str, Any] = dict(engine)
        snap.update({
            "task_id": self.task_id, "state": state, "started_at": self.started_at,
            "records_consumed": self.records_consumed, "records_produced": records_produced,
            "process_rate": round(self.process_rate(engine.get("records_processed", 0)), 1),
            "commits": commits,
            "commit_latency_ms_avg": (self.commit_latency_ms_total / commits) if commits else 0.0,
            "commit_latency_ms_max": self.commit_latency_ms_max,
            "committed_offsets": dict(self.committed), "end_offsets": dict(self.end_offsets),
            "first_offsets": dict(self.first_offsets), "lag": lag,
            "total_lag": sum(lag.values()),
            "records_restored": self.records_restored,
            "records_to_restore": self.records_to_restore, "restore_done": self.restore_done,
            "restore_started_at": self.restore_started_at,
            "restore_duration_s": self.restore_duration_s(), "state_wiped": self.state_wiped,
            "busy_s": self.busy_s, "batches": self.batches,
            "last_error": self.last_error,
            "global_records_bootstrapped": self.global_records_bootstrapped,
            "global_restored_from": dict(self.global_restored_from),
        })
        return snap


def aggregate(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """Sum the counters of several task snapshots (plus the per-task ones under ``tasks``)."""
    total: dict[str, Any] = {name: 0 for name in _SUMMED}
    total["total_lag"] = 0
    total["process_rate"] = 0.0
    for snap in snapshots:
        for name in (*_SUMMED, "total_lag", "process_rate"):
            value = snap.get(name)
            if isinstance(value, int | float):
                total[name] += value
    total["tasks"] = {s["task_id"]: s for s in snapshots if "task_id" in s}
    return total
