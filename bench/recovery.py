"""Recovery of a count store (bench/run.py): kill the task actor, time until it processes again.

One input partition of ``--recovery-keys`` distinct keys, counted by one task (``0_0``) into
the RocksDB store ``counts`` (at_least_once, commit.interval.ms 200: the probe's count is
written at the next commit, so each time below includes up to 0.2 s of that). Once every
record is counted and committed:

1. **local checkpoint**: SIGKILL the task actor; the supervisor starts a new one on the same
   node, which finds the store and its checkpoint and replays only the changelog tail;
2. **changelog alone**: SIGKILL it again and delete its state directory at once, so the
   new one restores the whole changelog;
3. **standby**: restart the app with ``num.standby.replicas`` 1, wait until the standby
   has applied the whole changelog, SIGKILL the active task: the standby hands its state over.

"Processing again" is when a probe record, produced right after the kill, is counted in the
output. The restore rate is ``records_restored`` over the time the new task was seen
restoring (its metrics polled every 50 ms).
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from kafka_io import FAST_CONSUMER, create_topics, produce_all

COMMIT_INTERVAL_MS = 200


class ProbeReader:
    """Watches the output topic from its current end for the count of one key."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "probe",
                                  "enable.auto.commit": False, **FAST_CONSUMER})
        high = self.consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        self.consumer.assign([TopicPartition(topic, 0, high)])

    def wait_for(self, key: bytes, deadline: float) -> float | None:
        while time.monotonic() < deadline:
            for m in self.consumer.consume(num_messages=1000, timeout=0.05):
                if m.error() is None and m.key() == key:
                    return time.time()
        return None

    def close(self) -> None:
        self.consumer.close()


def _send(bootstrap: str, topic: str, key: str) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    p.produce(topic, b"1", key.encode(), partition=0)
    p.flush(10)


def _task(streams: Any) -> dict:
    return streams.metrics()["tasks"].get("0_0", {})


def _kill_and_time(streams: Any, ctx: Any, src: str, out: str, case: str, log,
                   state_dir: Path | None = None, wipe: bool = False) -> dict:
    import ray

    row: dict[str, Any] = {"case": case, "ok": False}
    reader = ProbeReader(ctx.bootstrap, out)
    try:
        before = streams.tasks()["0_0"]["incarnation"]
        pid = ray.get(streams.task_handles()["0_0"].pid.remote())
        killed = time.time()
        os.kill(pid, signal.SIGKILL)
        if wipe:  # before the replacement opens it (starting an actor takes seconds)
            shutil.rmtree(state_dir, ignore_errors=True)
        probe = f"probe-{uuid.uuid4().hex[:6]}"
        _send(ctx.bootstrap, src, probe)
        deadline = time.monotonic() + ctx.deadline_s
        restoring_from = restore_end = None
        # watch the new incarnation restore, then the probe come out
        while time.monotonic() < deadline:
            try:
                t = _task(streams)
                inc = streams.tasks()["0_0"]["incarnation"]
            except Exception:
                time.sleep(0.05)
                continue
            if inc > before and t.get("records_to_restore", 0) > 0 and restoring_from is None:
                restoring_from = time.time()
            if inc > before and t.get("restore_done"):
                restore_end = time.time()
                row["records_restored"] = t.get("records_restored", 0)
                break
            time.sleep(0.05)
        got = reader.wait_for(probe.encode(), deadline)
        if got is None:
            row["detail"] = f"the probe was not counted within {ctx.deadline_s:.0f} s"
            return row
        row.update(ok=True, recovered_s=got - killed)
        if restoring_from is not None and restore_end is not None and row["records_restored"]:
            row["restore_s"] = max(restore_end - restoring_from, 0.05)
            row["restore_rate"] = row["records_restored"] / row["restore_s"]
        row.setdefault("records_restored", _task(streams).get("records_restored", 0))
        log(f"recovery {case}: processing again {row['recovered_s']:.2f} s after the kill, "
            f"{row['records_restored']:,} records restored"
            + (f" at {row['restore_rate']:,.0f}/s" if row.get("restore_rate") else ""))
        return row
    except Exception as e:
        row["detail"] = f"{type(e).__name__}: {e}"
        return row
    finally:
        reader.close()


def _wait(condition, deadline: float, what: str) -> None:
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{what} not reached")


def run(args: Any, ctx: Any, host: Any, log) -> dict:
    import systems
    from topologies import count_store

    from raystreams import KafkaStreams

    n = args.recovery_keys
    tag = uuid.uuid4().hex[:6]
    src, out = f"rec-in-{tag}", f"rec-out-{tag}"
    create_topics(ctx.bootstrap, [src, out], 1)
    produce_all(ctx.bootstrap, src, [(f"k{i:07d}", "1", None) for i in range(n)])
    state = Path(ctx.work) / f"rec-{tag}"
    config = systems.raystreams_config(ctx, "at_least_once", state,
                                       **{"commit.interval.ms": COMMIT_INTERVAL_MS})
    app_id = config["application.id"]
    src_tp = f"{src}-0"
    doc: dict[str, Any] = {"keys": n, "cases": []}
    streams = KafkaStreams(count_store(src, out), config, out=None)
    try:
        t0 = time.perf_counter()
        streams.start()
        streams.wait_until_running(180)
        deadline = time.monotonic() + ctx.deadline_s
        _wait(lambda: _task(streams).get("committed_offsets", {}).get(src_tp, 0) >= n,
              deadline, f"{n} keys counted and committed")
        doc["count_s"] = time.perf_counter() - t0
        log(f"recovery: {n:,} keys counted and committed in {doc['count_s']:.1f} s")
        time.sleep(COMMIT_INTERVAL_MS / 1000 * 3)  # a few more commits: the checkpoint
        doc["cases"].append(_kill_and_time(streams, ctx, src, out, "local checkpoint", log))
        doc["cases"].append(_kill_and_time(streams, ctx, src, out, "changelog alone", log,
                                           state_dir=state / app_id / "0_0", wipe=True))
    except Exception as e:  # e.g. the count not done by the deadline on a loaded machine
        doc["cases"].append({"case": "count the keys", "ok": False,
                             "detail": f"{type(e).__name__}: {e}"})
        log(f"FAILED recovery: {e}")
        return doc
    finally:
        streams.close(60)
    standby_config = {**config, "num.standby.replicas": 1}
    streams = KafkaStreams(count_store(src, out), standby_config, out=None)
    try:
        streams.start()
        streams.wait_until_running(180)
        deadline = time.monotonic() + ctx.deadline_s

        def standby_caught_up() -> bool:
            sb = streams.metrics()["standbys"]
            return bool(sb) and sb[0]["total_lag"] == 0 and sb[0]["records_applied"] > 0

        _wait(standby_caught_up, deadline, "the standby to apply the changelog")
        doc["cases"].append(_kill_and_time(streams, ctx, src, out, "standby replica", log))
    except Exception as e:
        doc["cases"].append({"case": "standby replica", "ok": False,
                             "detail": f"{type(e).__name__}: {e}"})
    finally:
        streams.close(60)
    doc["note"] = ("One task actor, one partition, at_least_once, commit.interval.ms "
                   f"{COMMIT_INTERVAL_MS}; times run from the SIGKILL to the probe's count in "
                   "the output (Ray noticing the death, the supervisor starting a new actor "
                   "~1-3 s of imports, restore, then a commit).")
    return doc
