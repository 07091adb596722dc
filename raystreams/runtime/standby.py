"""StandbyRunner: a warm copy of one task's state stores (Kafka's StandbyTask).

With ``num.standby.replicas`` N, the supervisor runs N standby replicas of every task that has
changelogged stores, each on another Ray node than the active task where the cluster has one.
A standby builds the task's stores (no processors run), restores them from the changelogs like
an active task does and then keeps reading the changelogs as the active task writes them
(read_committed under exactly_once_v2, so it only ever holds committed state).

Its state lives apart from the active task's, under ``state.dir/standby-<replica>/
<application.id>/<task_id>``, so a standby on the active's node never shares its RocksDB
directory. When the active task dies, the supervisor ``promote``s a standby: it flushes,
checkpoints and closes its stores, then moves its directory to the active task's place on its
node, and the replacement task starts there: its restore reads only the changelog records the
standby had not yet applied, instead of the whole changelog (which, under exactly_once_v2, an
unclean stop would otherwise force).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, TopicPartition

from raystreams.config import StreamsConfig
from raystreams.config.keys import STATE_DIR_CONFIG
from raystreams.engine.task import StreamTask
from raystreams.errors import StreamsException
from raystreams.kafka.consumer import (
    create_consumer,
    end_offset,
    positions,
)
from raystreams.runtime.changelog_reader import (
    default_state_manager_factory,
    open_state,
    restore_batch,
)
from raystreams.runtime.metrics import RunnerMetrics
from raystreams.runtime.placement import TaskSpec
from raystreams.runtime.task_state import TaskState
from raystreams.topology.topology import Topology

log = logging.getLogger(__name__)

BATCH_SIZE = 2000
FLUSH_INTERVAL_S = 1.0


def standby_state_dir(config: StreamsConfig, replica: int) -> str:
    """Where standby replica ``replica`` keeps its copies: apart from every active task."""
    return str(Path(config[STATE_DIR_CONFIG]) / f"standby-{replica}")


class _NoOutput:
    """The record sender of a standby: its stores are written by restore only, never by a
    processor, so nothing may reach it."""

    def send(self, *args: Any, **kwargs: Any) -> None:
        raise StreamsException("a standby task produced a record; standbys only restore")

    def flush(self) -> None:
        pass


class StandbyRunner:
    """One standby replica of one task: restore its stores, then follow the changelogs.

    Args:
        spec: the task (id, partition, changelogs).
        topology: the whole topology (the task's store builders).
        config: the app's StreamsConfig.
        replica: which of the task's ``num.standby.replicas`` this is (0, 1, ...).
        consumer_factory: ``(config, kind) -> ConsumerLike``; a real restore consumer by default.
    """

    is_standby = True

    def __init__(self, spec: TaskSpec, topology: Topology, config: StreamsConfig, *,
                 replica: int = 0, incarnation: int = 0,
                 consumer_factory: Callable[[StreamsConfig, str], Any] | None = None) -> None:
        self.spec = spec
        self.task_id = spec.task_id
        self.topology = topology
        self.active_config = StreamsConfig.of(config)
        self.replica = replica
        self.incarnation = incarnation
        self.config = self.active_config.with_overrides(
            {STATE_DIR_CONFIG: standby_state_dir(self.active_config, replica)})
        self._consumer_factory = consumer_factory or (
            lambda cfg, kind: create_consumer(
                cfg, kind, client_id=f"{cfg.application_id}-{spec.task_id}-standby-{replica}"))
        self._state_manager_factory = default_state_manager_factory()
        self.state = TaskState.CREATED
        self.metrics = RunnerMetrics(spec.task_id)
        self.task: StreamTask | None = None
        self.consumer: Any = None
        self.handoff_to: Path | None = None
        self.handed_off = False
        self._applied: dict[tuple[str, int], int] = {}  # next changelog offset per partition
        self._ends: dict[tuple[str, int], int] = {}
        self._last_flush = time.monotonic()
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ lifecycle

    def _open(self) -> StreamTask:
        task = StreamTask(self.task_id, self.topology, self.config, _NoOutput(),
                          node_names=self.spec.node_names, partition=self.spec.partition,
                          input_partitions=self.spec.input_partitions,
                          state_manager_factory=self._state_manager_factory)
        task.initialize(processors=False)
        return task

    def initialize(self) -> None:
        """Open the stores (wiping state an unclean stop left under exactly_once_v2) and
        assign the changelog partitions from the local checkpoint or the beginning."""
        self.state = TaskState.RESTORING
        self.task, offsets, _ = open_state(
            self._open, f"{self.task_id} standby {self.replica}",
            Path(self.config[STATE_DIR_CONFIG]) / self.config.application_id / self.task_id)
        self.consumer = self._consumer_factory(self.config, "restore")
        assignment = []
        for tp, last in offsets.items():
            begin = last + 1 if last is not None else OFFSET_BEGINNING
            self._applied[tp] = last + 1 if last is not None else 0
            assignment.append(TopicPartition(tp[0], tp[1], begin))
        self.consumer.assign(assignment)
        self.metrics.records_to_restore = 0
        self.state = TaskState.RUNNING
        log.info("[%s standby %d] following %s from %s", self.task_id, self.replica,
                 sorted(f"{t}-{p}" for t, p in offsets), self._applied)

    def run_once(self) -> int:
        """Apply one batch of changelog records; flush the stores now and then."""
        assert self.task is not None
        msgs = self.consumer.consume(num_messages=BATCH_SIZE, timeout=0.1)
        applied = 0
        with self._lock:
            sm = self.task.state_manager
            batches, _ = restore_batch(sm, msgs, self.task_id)
            for tp, records in batches.items():
                self._applied[tp] = records[-1].offset + 1
                applied += len(records)
            # the position moves past transaction markers too, so a caught-up standby shows
            # lag 0 under exactly_once_v2
            for tp, position in positions(self.consumer, list(self._applied)).items():
                if position > self._applied[tp]:
                    self._applied[tp] = position
            self.metrics.records_restored += applied
            if time.monotonic() - self._last_flush >= FLUSH_INTERVAL_S:
                self._last_flush = time.monotonic()
                sm.flush()
                self._update_ends()
        return applied

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.run_once()

    def _update_ends(self) -> None:
        for tp in self._applied:
            try:
                self._ends[tp] = end_offset(self.consumer, *tp, cached=True)
            except Exception:  # metrics only
                continue

    def commit(self) -> bool:
        return False  # a standby commits nothing: it owns no input offsets

    def close(self, clean: bool = True) -> None:
        """Flush and checkpoint (clean), close the stores; then hand the directory over if
        ``handoff_to`` is set (a promotion)."""
        with self._lock:
            task = self.task
            try:
                if task is not None and task.state_manager is not None and clean:
                    task.state_manager.flush()
                    task.state_manager.checkpoint()
            finally:
                if task is not None:
                    task.close(clean=False)  # checkpointed above; close must not re-check
                if self.consumer is not None:
                    self.consumer.close()
                self.state = TaskState.CLOSED if clean else TaskState.FAILED
            if clean and task is not None and self.handoff_to is not None:
                self._hand_over(Path(task.task_dir), self.handoff_to)

    def _hand_over(self, source: Path, target: Path) -> None:
        """Replace the (dead) active task's directory with this standby's copy."""
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        source.rename(target)
        self.handed_off = True
        log.info("[%s standby %d] handed its state over to %s", self.task_id, self.replica,
                 target)

    # ------------------------------------------------------------------ reading

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            applied = {f"{t}-{p}": o for (t, p), o in self._applied.items()}
            lag = {f"{t}-{p}": max(0, self._ends.get((t, p), o) - o)
                   for (t, p), o in self._applied.items()}
        return {"task_id": self.task_id, "standby": True, "replica": self.replica,
                "state": self.state, "incarnation": self.incarnation,
                "records_applied": self.metrics.records_restored,
                "changelog_offsets": applied, "lag": lag, "total_lag": sum(lag.values()),
                "handed_off": self.handed_off, "last_error": self.metrics.last_error}

    def query(self, store: str, method: str, *args: Any, timestamped: bool = False) -> Any:
        from raystreams.errors import InvalidStateStoreException

        raise InvalidStateStoreException(f"task {self.task_id}: standby replicas are not "
                                         f"queried; ask the active task")
