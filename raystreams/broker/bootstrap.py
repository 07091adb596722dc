"""Bootstrap resolution: the configured broker, a recorded running one, or a new embedded one."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from types import TracebackType
from typing import Literal

from raystreams.broker.process import LocalBroker
from raystreams.broker.registry import (
    clear_broker_record,
    find_recorded_broker,
    record_broker,
    state_file_path,
)
from raystreams.broker.tansu import TansuBroker
from raystreams.errors import BrokerNotAvailableException

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ResolvedBroker:
    """The broker a process should talk to, and the local broker it owns, if any.

    Attributes:
        bootstrap_servers: The value for ``bootstrap.servers``.
        source: ``"config"`` (given), ``"recorded"`` (a running ``raystreams broker``) or
            ``"embedded"`` (started for this process).
        kind: ``"tansu"`` or ``"kafka"`` for a local broker, ``"external"`` for a
            configured one (whatever it is).
        broker: The broker this process started and stops at ``close()``, or ``None``.
        state_file: Where that broker is recorded, if it is.
    """

    bootstrap_servers: str
    source: Literal["config", "recorded", "embedded"]
    kind: Literal["external", "tansu", "kafka"]
    broker: LocalBroker | None = None
    state_file: Path | None = None

    def close(self) -> None:
        """Stop the broker this process started (and drop its record); else do nothing."""
        if self.broker is not None:
            pid = self.broker.pid
            self.broker.stop()
            if self.state_file is not None and pid is not None:
                clear_broker_record(pid, self.state_file)
            self.broker = None

    def __enter__(self) -> ResolvedBroker:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def resolve_bootstrap(config_bootstrap: str | None = None, *, start: bool = True,
                      record: bool = False, state_file: Path | None = None) -> ResolvedBroker:
    """Find the broker to use: the configured one, a recorded live one, or a new embedded one.

    Args:
        config_bootstrap: ``bootstrap.servers`` from the config; used as is when set.
        start: Start an embedded tansu broker when nothing else is found.
        record: Record a broker started here in the state file (removed at ``close()``),
            so other processes find it while this one runs.
        state_file: The state file (default ``state_file_path()``).

    Returns:
        A ``ResolvedBroker``; ``close()`` it (or use ``with``) to stop what it started.

    Raises:
        BrokerNotAvailableException: If nothing is found and ``start`` is false, or the embedded
            broker cannot start.
    """
    if config_bootstrap and config_bootstrap.strip():
        return ResolvedBroker(config_bootstrap.strip(), "config", "external")
    path = state_file or state_file_path()
    found = find_recorded_broker(path)
    if found is not None:
        log.info("using the %s broker recorded in %s at %s", found.kind, path,
                 found.bootstrap_servers)
        return ResolvedBroker(found.bootstrap_servers, "recorded", found.kind)
    if not start:
        raise BrokerNotAvailableException("No broker: set bootstrap.servers, or start one with "
                                          "`raystreams broker`.")
    broker = TansuBroker().start()
    if record:
        record_broker(broker, path)
    return ResolvedBroker(broker.bootstrap_servers, "embedded", "tansu", broker,
                          path if record else None)
