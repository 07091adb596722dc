"""A local broker in the foreground until Ctrl-C: what ``raystreams broker [--kafka]`` runs."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from raystreams.broker.kafka import KafkaBroker
from raystreams.broker.process import BrokerKind, LocalBroker
from raystreams.broker.registry import clear_broker_record, record_broker
from raystreams.broker.tansu import TansuBroker


def run_foreground(kind: BrokerKind = "tansu", *, port: int | None = None,
                   state_file: Path | None = None, out=None) -> int:
    """Run a local broker until Ctrl-C or SIGTERM: what ``raystreams broker [--kafka]`` does.

    Prints where it listens, records it in the state file for other raystreams
    processes, and stops it and drops the record on the way out.

    Args:
        kind: ``"tansu"`` (embedded) or ``"kafka"`` (Apache Kafka 4.4).
        port: A fixed client port (default: a free one).
        state_file: The state file (default ``state_file_path()``).
        out: Where to print (default ``sys.stdout``).

    Returns:
        The exit code: 0 after a requested stop, 1 if the broker died on its own.
    """
    out = out or sys.stdout
    broker: LocalBroker = KafkaBroker(port=port) if kind == "kafka" else TansuBroker(port=port)
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"starting the {kind} broker ...", file=out, flush=True)
        broker.start()
        path = record_broker(broker, state_file)
        print(f"{kind} broker listening on {broker.bootstrap_servers}\n"
              f"  bootstrap.servers={broker.bootstrap_servers}\n"
              f"  log: {broker.log_path}\n"
              f"  recorded in {path}\n"
              f"press Ctrl-C to stop", file=out, flush=True)
        while not stop.wait(0.5):
            if not broker.is_running():
                print(f"the {kind} broker exited on its own; log: {broker.log_path}",
                      file=out, flush=True)
                return 1
        return 0
    finally:
        pid = broker.pid
        broker.stop()
        if pid is not None:
            clear_broker_record(pid, state_file)
        for s, handler in old.items():
            signal.signal(s, handler)
        print(f"{kind} broker stopped", file=out, flush=True)
