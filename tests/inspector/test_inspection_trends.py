"""Lag trends, catch-up ETAs and the bottleneck ranking over successive snapshots."""

from __future__ import annotations

import pytest

from raystreams.runtime.inspection import AppSnapshot, PartitionLag, TaskInfo, TopologyModel
from raystreams.runtime.inspection_trends import LagHistory, rank_bottlenecks

EMPTY = TopologyModel((), (), (), ())


def snap(at: float, lags: dict[str, int], **per_task: dict) -> AppSnapshot:
    tasks = tuple(TaskInfo(tid, "RUNNING", partitions=(PartitionLag("t", int(tid[-1]), None, None,
                                                                    lag),),
                           **per_task.get(tid, {}))
                  for tid, lag in lags.items())
    return AppSnapshot("app", "RUNNING", at, EMPTY, tasks)


def test_history_keeps_each_snapshot_once_and_fits_the_rate():
    history = LagHistory()
    for i in range(5):
        assert history.add(snap(10.0 + 2 * i, {"0_0": 1000 - 100 * i, "0_1": 50 + 10 * i}))
    assert not history.add(snap(18.0, {"0_0": 0}))  # the same poll again
    assert history.series("0_0") == [1000, 900, 800, 700, 600]
    shrinking = history.trend("0_0")
    assert shrinking.rate_per_s == pytest.approx(-50.0)
    assert shrinking.eta_s == pytest.approx(12.0)  # 600 records at 50/s
    assert not shrinking.growing
    growing = history.trend("0_1")
    assert growing.rate_per_s == pytest.approx(5.0) and growing.eta_s is None and growing.growing
    assert history.growing() == ["0_1"]


def test_growth_needs_several_polls_in_a_row():
    def grows(lags: list[int]) -> bool:
        history = LagHistory()
        for i, lag in enumerate(lags):
            history.add(snap(float(i), {"0_0": lag}))
        return history.trend("0_0").growing

    assert grows([10, 20, 30, 25, 35, 45, 55])  # three rises since the dip
    assert not grows([10, 20, 30, 25, 35, 45])  # two
    assert not grows([10, 20, 30])  # too few polls to tell
    assert not grows([10, 20, 20, 30, 40])  # a flat poll breaks the run


def test_caught_up_and_unknown():
    history = LagHistory()
    history.add(snap(1.0, {"0_0": 0}))
    assert history.trend("0_0").eta_s == 0.0 and history.trend("0_0").rate_per_s is None
    assert history.trend("9_9").lag is None
    assert LagHistory(max_points=3).max_points == 3


def test_bottlenecks_rank_busy_growth_skew_and_restarts():
    history = LagHistory()
    history.add(snap(0.0, {"0_0": 10, "0_1": 10, "0_2": 10}))
    last = snap(1.0, {"0_0": 10, "0_1": 400, "0_2": 10},
                **{"0_0": {"busy_ratio": 0.9, "restarts": 3},
                   "0_1": {"busy_ratio": 0.2, "restarts": 1}})
    history.add(last)
    ranked = rank_bottlenecks(last, history)
    assert [b.task_id for b in ranked["busy"]] == ["0_0", "0_1"]
    assert [(b.task_id, b.value) for b in ranked["lag_growth"]] == [("0_1", 390.0)]
    assert [b.task_id for b in ranked["skew"]] == ["0_1"]
    assert ranked["skew"][0].value == pytest.approx(400 / 140)
    assert [(b.task_id, b.detail) for b in ranked["restarts"]] == [("0_0", "3 restarts"),
                                                                   ("0_1", "1 restart")]


def test_skew_falls_back_to_input_rates_without_lag():
    last = snap(0.0, {"0_0": 0, "0_1": 0},
                **{"0_0": {"records_in_per_s": 300.0}, "0_1": {"records_in_per_s": 100.0}})
    (hot,) = rank_bottlenecks(last)["skew"]
    assert (hot.task_id, hot.value) == ("0_0", 1.5) and "input rate" in hot.detail
