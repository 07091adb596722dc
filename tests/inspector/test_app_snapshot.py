"""The supervisor's snapshot: task reports (plain dicts, as ``TaskActor.report()`` sends them)
aggregated into the inspection model, without Ray: rates and busy ratio from two reports,
lag from positions and end offsets, dead and silent tasks marked, restarts with their causes."""

from __future__ import annotations

from raystreams import Materialized, StreamsBuilder
from raystreams.errors import StreamsException
from raystreams.runtime.app_snapshot import (
    STALE_AFTER_S,
    STARTUP_GRACE_S,
    SnapshotKeeper,
    SupervisedTask,
)
from raystreams.runtime.inspection import TopologyModel

APP = "wc"
T0 = 1_800_000_000.0
SOURCE = "KSTREAM-SOURCE-0000000000"
REPARTITION = f"{APP}-counts-repartition"


def keeper() -> SnapshotKeeper:
    builder = StreamsBuilder()
    (builder.stream("lines").flat_map_values(str.split).group_by(lambda k, w: w)
        .count(Materialized.as_("counts")).to_stream().to("out"))
    model = TopologyModel.from_topology(builder.build(), APP, {"lines": 2})
    return SnapshotKeeper(APP, model, [("application.id", APP), ("sasl.jaas.config", "***")])


def report(task_id: str, *, incarnation: int = 0, processed: int = 0, produced: int = 0,
           busy_s: float = 0.0, state: str = "RUNNING", **extra) -> dict:
    topic = "lines" if task_id.startswith("0_") else REPARTITION
    tp = f"{topic}-{task_id.split('_')[1]}"
    data = {"task_id": task_id, "incarnation": incarnation, "state": state,
            "state_since": T0 - 50, "pid": 4242, "node_id": "node-1",
            "records_processed": processed, "records_produced": produced, "busy_s": busy_s,
            "commits": 3, "commit_latency_ms_avg": 12.5, "partitions": [tp],
            "committed_offsets": {tp: 100}, "end_offsets": {tp: 180}, "positions": {tp: 150},
            "lag_ms": {tp: 2500.0}, "records_to_restore": 0, "records_restored": 0,
            "restore_done": True, "node_records": {SOURCE: processed},
            "stores": [{"store": "counts", "approx_entries": 7, "bytes_on_disk": 4096}]}
    data.update(extra)
    return data


def supervised(task_id: str, state: str = "RUNNING", incarnation: int = 0,
               restarts: int = 0) -> SupervisedTask:
    return SupervisedTask(task_id, state, T0 - 60, incarnation, restarts, "node-1",
                          f"{APP}.task.{task_id}.{incarnation}", f"actor{task_id}")


TASKS = ("0_0", "0_1", "1_0", "1_1")


def test_rates_busy_ratio_and_lag_come_from_two_reports_of_a_task():
    k = keeper()
    for tid in TASKS:
        k.report(tid, report(tid, processed=1000, produced=500, busy_s=10.0), at=T0)
        k.report(tid, report(tid, processed=3000, produced=1500, busy_s=11.0), at=T0 + 2)
    snap = k.snapshot("RUNNING", [supervised(t) for t in TASKS], now=T0 + 2.5)
    assert snap.state == "RUNNING" and not snap.partial and snap.problems == ()
    task = snap.task("0_1")
    assert task.records_in_per_s == 1000.0 and task.records_out_per_s == 500.0
    assert task.busy_ratio == 0.5
    assert task.commit_latency_ms == 12.5
    assert (task.pid, task.node_id, task.actor_id) == (4242, "node-1", "actor0_1")
    [part] = task.partitions
    assert (part.topic, part.partition, part.committed, part.end_offset) == ("lines", 1, 100, 180)
    assert part.lag_records == 30  # end 180 - processed up to 150 (fresher than the commit)
    assert task.lag_ms == 2500.0
    assert snap.total_lag == 4 * 30
    # records/s per node: summed over the tasks running it
    assert {p.name: p.records_per_s for p in snap.processors}[SOURCE] == 4 * 1000.0
    assert {(s.store, s.task_id): (s.approx_entries, s.bytes_on_disk)
            for s in snap.stores}[("counts", "1_0")] == (7, 4096)
    assert dict(snap.config)["sasl.jaas.config"] == "***"


def test_one_report_has_no_rates_and_a_new_incarnation_starts_over():
    k = keeper()
    k.report("0_0", report("0_0", processed=100, busy_s=1.0), at=T0)
    k.report("0_0", report("0_0", processed=900, busy_s=2.0), at=T0 + 1)
    k.report("0_0", report("0_0", incarnation=1, processed=10, busy_s=0.1), at=T0 + 2)
    snap = k.snapshot("RUNNING", [supervised("0_0", incarnation=1, restarts=1)], now=T0 + 2)
    task = snap.task("0_0")
    assert task.records_in_per_s is None and task.busy_ratio is None
    assert (task.incarnation, task.restarts) == (1, 1)


def test_a_task_that_does_not_answer_keeps_its_last_numbers_marked():
    k = keeper()
    for tid in TASKS:
        k.report(tid, report(tid, processed=10), at=T0)
    k.missed("1_1", "no answer within 5 s")
    snap = k.snapshot("RUNNING", [supervised(t) for t in TASKS], now=T0 + 1)
    assert snap.partial
    assert [p for p in snap.problems if "1_1" in p] == [
        "task 1_1 did not answer: no answer within 5 s (last report 1 s ago)"]
    assert snap.task("1_1").partitions[0].lag_records == 30
    # a report that simply got old is marked too
    snap = k.snapshot("RUNNING", [supervised(t) for t in TASKS], now=T0 + STALE_AFTER_S + 3)
    assert any("0_0 last reported 8 s ago" in p for p in snap.problems)


def test_a_new_incarnation_is_starting_not_silent_until_its_grace_ends():
    k = keeper()
    k.report("0_0", report("0_0"), at=T0)
    k.missed("0_0", "ActorDiedError: The actor died unexpectedly")
    restarted = SupervisedTask("0_0", "RUNNING", T0 + 1, 1, 1, "node-1", f"{APP}.task.0_0.1")
    snap = k.snapshot("RUNNING", [restarted], now=T0 + 10)
    assert not snap.partial and snap.task("0_0").partitions == ()
    snap = k.snapshot("RUNNING", [restarted], now=T0 + 2 + STARTUP_GRACE_S)
    assert snap.problems == ("task 0_0 did not answer: ActorDiedError: The actor died "
                             "unexpectedly (last report never)",)


def test_a_dead_task_shows_the_supervisors_state_and_the_failure_as_its_error():
    k = keeper()
    for tid in TASKS:
        k.report(tid, report(tid), at=T0)
    k.missed("0_0", "RayActorError: The actor died unexpectedly")
    failure = StreamsException("Exception caught in process: boom", task_id="0_0",
                               processor="KSTREAM-FLATMAPVALUES-0000000001", topic="lines",
                               partition=0, offset=17)
    events = [{"at": T0, "event": "failed", "task_id": "0_0", "cause": "StreamsException: boom",
               "error": failure, "traceback": "Traceback ...\nValueError: boom",
               "incarnation": 0}]
    tasks = [supervised("0_0", "RESTARTING", restarts=1), *(supervised(t) for t in TASKS[1:])]
    snap = k.snapshot("RUNNING", tasks, events, now=T0 + 1)
    task = snap.task("0_0")
    assert task.state == "RESTARTING"  # not the RUNNING its last report said
    assert snap.state == "REBALANCING"
    assert not any("0_0" in p for p in snap.problems)  # restarting is not "not answering"
    assert task.last_error is not None
    assert (task.last_error.type, task.last_error.processor, task.last_error.offset) == (
        "StreamsException", "KSTREAM-FLATMAPVALUES-0000000001", 17)
    assert task.last_error.traceback.endswith("ValueError: boom")
    [event] = snap.events
    assert (event.kind, event.cause, event.error.traceback) == (
        "failed", "StreamsException: boom", "Traceback ...\nValueError: boom")


def test_restore_progress_eta_and_the_restore_duration_of_a_restart():
    k = keeper()
    restoring = report("1_0", incarnation=1, state="RESTORING", records_to_restore=10_000,
                       records_restored=2_000, restore_done=False, restore_started_at=T0)
    k.report("1_0", restoring, at=T0 + 4)
    events = [{"at": T0 - 1, "event": "failed", "task_id": "1_0",
               "cause": "task actor died: RayActorError: The actor died unexpectedly"},
              {"at": T0, "event": "restarted", "task_id": "1_0", "incarnation": 1,
               "cause": "task actor died: RayActorError: The actor died unexpectedly"}]
    snap = k.snapshot("RUNNING", [supervised("1_0", incarnation=1, restarts=1)], events,
                      now=T0 + 4)
    task = snap.task("1_0")
    assert task.state == "RESTORING" and task.restoring and snap.state == "REBALANCING"
    assert task.restore.records_per_s == 500.0 and task.restore.eta_s == 16.0
    # no exception object (the actor was killed): the cause's text is the error
    assert str(task.last_error) == "task actor died: RayActorError: The actor died unexpectedly"
    k.report("1_0", {**restoring, "state": "RUNNING", "restore_done": True,
                     "records_restored": 10_000, "restore_duration_s": 6.5}, at=T0 + 7)
    snap = k.snapshot("RUNNING", [supervised("1_0", incarnation=1, restarts=1)], events,
                      now=T0 + 7)
    restarted = [e for e in snap.events if e.kind == "restarted"]
    assert restarted[0].restore_duration_s == 6.5
    assert restarted[0].cause.startswith("task actor died")
    assert snap.task("1_0").restore.done


def test_a_stopped_app_is_not_running():
    snap = keeper().snapshot("STOPPED", [supervised("0_0", "STOPPED")], now=T0)
    assert snap.state == "NOT_RUNNING"
    assert snap.task("0_0").partitions == ()
