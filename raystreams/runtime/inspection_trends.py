"""What successive inspection snapshots say: lag trends, catch-up ETAs and the bottlenecks.

A snapshot is one moment; whether a task catches up, falls behind or holds the app back shows
only across several. ``LagHistory`` keeps each task's lag over the snapshots it is given (the
inspector keeps one while a page is open), ``LagHistory.trend`` turns it into a rate, a
catch-up ETA and a "growing for several polls" flag, and ``rank_bottlenecks`` lists the tasks
to look at first: the busiest (Flink's busy ratio), the fastest-growing lag, partition skew
inside a sub-topology and the most restarts. Pure Python, no Ray and no Streamlit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from raystreams.runtime.inspection import AppSnapshot, TaskInfo

__all__ = ["GROWING_POLLS", "Bottleneck", "LagHistory", "LagTrend", "rank_bottlenecks"]

#: lag that grew on this many polls in a row earns a warning
GROWING_POLLS = 3
#: the rate is fitted over at most this many of the latest points
TREND_POINTS = 10

BottleneckKind = Literal["busy", "lag_growth", "skew", "restarts"]


@dataclass(frozen=True)
class LagTrend:
    """Where a task's lag is heading."""

    lag: int | None
    #: records per second the lag changes by (negative: catching up); None with < 2 points
    rate_per_s: float | None
    #: seconds until the lag reaches zero at the current rate, when it shrinks
    eta_s: float | None
    #: the lag grew on each of the last ``GROWING_POLLS`` polls
    growing: bool


class LagHistory:
    """Each task's lag (records) over successive snapshots of one app, newest last."""

    def __init__(self, max_points: int = 120) -> None:
        self.max_points = max_points
        self._points: dict[str, deque[tuple[float, int]]] = {}
        self._last_taken_at: float | None = None

    def add(self, snapshot: AppSnapshot) -> bool:
        """Record the snapshot's lags; a snapshot seen already (same ``taken_at``) is skipped.

        Returns whether anything was added.
        """
        if self._last_taken_at is not None and snapshot.taken_at <= self._last_taken_at:
            return False
        self._last_taken_at = snapshot.taken_at
        for task in snapshot.tasks:
            lag = task.lag_records
            if lag is None:
                continue
            points = self._points.setdefault(task.task_id, deque(maxlen=self.max_points))
            points.append((snapshot.taken_at, lag))
        return True

    def series(self, task_id: str) -> list[int]:
        """The task's lag values, oldest first."""
        return [lag for _, lag in self._points.get(task_id, ())]

    def task_ids(self) -> list[str]:
        return sorted(self._points)

    def trend(self, task_id: str) -> LagTrend:
        points = list(self._points.get(task_id, ()))
        if not points:
            return LagTrend(None, None, None, False)
        lag = points[-1][1]
        rate = _slope(points[-TREND_POINTS:])
        eta = lag / -rate if rate is not None and rate < 0 and lag > 0 else None
        if lag == 0:
            eta = 0.0
        tail = [v for _, v in points[-(GROWING_POLLS + 1):]]
        growing = len(tail) == GROWING_POLLS + 1 and all(b > a for a, b in zip(tail, tail[1:], strict=False))
        return LagTrend(lag, rate, eta, growing)

    def growing(self) -> list[str]:
        """The tasks whose lag grew on each of the last ``GROWING_POLLS`` polls."""
        return [tid for tid in self.task_ids() if self.trend(tid).growing]


def _slope(points: list[tuple[float, int]]) -> float | None:
    """Least-squares records/s through the points; None when they span no time."""
    if len(points) < 2:
        return None
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points)
    if var == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in points) / var


@dataclass(frozen=True)
class Bottleneck:
    """One task worth a look, and why."""

    kind: BottleneckKind
    task_id: str
    value: float
    detail: str


def rank_bottlenecks(snapshot: AppSnapshot, history: LagHistory | None = None,
                     top: int = 5) -> dict[BottleneckKind, list[Bottleneck]]:
    """The tasks to look at first, per kind, worst first (at most ``top`` each).

    - ``busy``: the highest busy ratio (time processing / wall time);
    - ``lag_growth``: lag growing fastest (records/s), from ``history``;
    - ``skew``: a task's lag (or, with no lag anywhere, its input rate) against the mean of its
      sub-topology's tasks: one hot partition shows as a value well above 1;
    - ``restarts``: the most restarts.
    """
    tasks = snapshot.tasks
    busy = [Bottleneck("busy", t.task_id, t.busy_ratio, f"busy {t.busy_ratio:.0%}")
            for t in tasks if t.busy_ratio is not None and t.busy_ratio > 0]
    growth: list[Bottleneck] = []
    if history is not None:
        for t in tasks:
            trend = history.trend(t.task_id)
            if trend.rate_per_s is not None and trend.rate_per_s > 0:
                growth.append(Bottleneck("lag_growth", t.task_id, trend.rate_per_s,
                                         f"lag +{trend.rate_per_s:,.1f} records/s"))
    restarts = [Bottleneck("restarts", t.task_id, float(t.restarts), f"{t.restarts} restart" + ("s" if t.restarts > 1 else ""))
                for t in tasks if t.restarts > 0]
    ranked: dict[BottleneckKind, list[Bottleneck]] = {
        "busy": busy, "lag_growth": growth, "skew": _skew(tasks), "restarts": restarts}
    return {kind: sorted(items, key=lambda b: (-b.value, b.task_id))[:top]
            for kind, items in ranked.items()}


def _skew(tasks: Iterable[TaskInfo]) -> list[Bottleneck]:
    by_sub: dict[int, list[TaskInfo]] = {}
    for task in tasks:
        by_sub.setdefault(task.subtopology, []).append(task)
    out = []
    for group in by_sub.values():
        if len(group) < 2:
            continue
        lags = [t.lag_records or 0 for t in group]
        if any(lags):
            values, unit = lags, "lag"
        else:
            values = [t.records_in_per_s or 0.0 for t in group]
            unit = "input rate"
        mean = sum(values) / len(values)
        if mean <= 0:
            continue
        for task, value in zip(group, values, strict=True):
            ratio = value / mean
            if ratio > 1.0:
                out.append(Bottleneck("skew", task.task_id, ratio,
                                      f"{unit} {ratio:.1f}x its sub-topology's mean"))
    return out
