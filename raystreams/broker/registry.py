"""The state file a running ``raystreams broker`` records itself in, so other processes find it."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

from raystreams.broker.process import (
    BrokerKind,
    LocalBroker,
    _pid_alive,
    cache_root,
    metadata_answers,
)
from raystreams.errors import BrokerNotAvailableException


@dataclasses.dataclass(frozen=True)
class BrokerRecord:
    """What the state file says about a running local broker.

    Attributes:
        bootstrap_servers: Where clients connect.
        kind: ``"tansu"`` or ``"kafka"``.
        pid: The broker process.
        owner_pid: The process that started it (``raystreams broker``).
        log_path: The broker's log, if any.
        started_at: Unix time of the start.
        cluster_id: The cluster id the broker reports, to tell it from a later process
            that reuses its port.
    """

    bootstrap_servers: str
    kind: BrokerKind
    pid: int
    owner_pid: int
    log_path: str | None = None
    started_at: float = 0.0
    cluster_id: str | None = None


def state_file_path() -> Path:
    """The state file a running ``raystreams broker`` is recorded in."""
    return cache_root() / "broker.json"


def record_broker(broker: LocalBroker, state_file: Path | None = None) -> Path:
    """Record a running broker's address so other processes find it; returns the file."""
    if broker.pid is None:
        raise BrokerNotAvailableException(f"cannot record a {broker.kind} broker that is not running",
                                          kind=broker.kind)
    path = state_file or state_file_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    record = BrokerRecord(bootstrap_servers=broker.bootstrap_servers, kind=broker.kind,
                          pid=broker.pid, owner_pid=os.getpid(),
                          log_path=str(broker.log_path) if broker.log_path else None,
                          started_at=time.time(), cluster_id=broker.cluster_id)
    # Written aside and renamed, so a reader never sees half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(dataclasses.asdict(record), indent=2) + "\n")
    os.replace(tmp, path)
    return path


def read_broker_record(state_file: Path | None = None) -> BrokerRecord | None:
    """The recorded broker, without checking that it still runs; ``None`` if none or unreadable."""
    path = state_file or state_file_path()
    try:
        data = json.loads(path.read_text())
        return BrokerRecord(**{f.name: data[f.name] for f in dataclasses.fields(BrokerRecord)
                               if f.name in data})
    except (OSError, ValueError, TypeError):
        return None


def find_recorded_broker(state_file: Path | None = None,
                         timeout: float = 2.0) -> BrokerRecord | None:
    """The recorded broker if it is alive and answers metadata, else ``None``.

    A record whose process is gone is removed.
    """
    path = state_file or state_file_path()
    record = read_broker_record(path)
    if record is None:
        return None
    if not _pid_alive(record.pid):
        clear_broker_record(record.pid, path)
        return None
    answers = metadata_answers(record.bootstrap_servers, timeout=timeout,
                               cluster_id=record.cluster_id)
    return record if answers else None


def clear_broker_record(pid: int | None = None, state_file: Path | None = None) -> bool:
    """Remove the state file; with ``pid``, only if it records that broker process."""
    path = state_file or state_file_path()
    if pid is not None:
        record = read_broker_record(path)
        if record is None or record.pid != pid:
            return False
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
