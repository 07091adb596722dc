"""The broker process base: ``LocalBroker`` launches, watches and stops one broker process.

Also the small process and network helpers the launchers, the state-file registry and the
jar cache share (cache dir, free port, metadata probe, pid check).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Literal

from raystreams.errors import BrokerNotAvailableException, PortTakenException

log = logging.getLogger(__name__)

BrokerKind = Literal["tansu", "kafka"]


def cache_root() -> Path:
    """The raystreams cache dir: ``$RAYSTREAMS_CACHE_DIR`` or ``~/.cache/raystreams``."""
    env = os.environ.get("RAYSTREAMS_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "raystreams"


def _free_port(host: str = "127.0.0.1") -> int:
    # The port is free when we close the socket; another process may take it before the
    # broker binds it, which start() survives by retrying on new ports.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _tail(path: Path | None, lines: int = 40) -> str:
    if path is None or not path.exists():
        return ""
    with path.open("rb") as f:
        f.seek(0, os.SEEK_END)
        f.seek(max(0, f.tell() - 64 * 1024))
        data = f.read().decode("utf-8", "replace")
    return "\n".join(data.splitlines()[-lines:])


def _port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _split_hostport(server: str) -> tuple[str, int]:
    host, _, port = server.strip().rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def metadata_answers(bootstrap_servers: str, timeout: float = 2.0, *,
                     cluster_id: str | None = None) -> bool:
    """Whether a Kafka broker at ``bootstrap_servers`` answers a metadata request in time.

    Args:
        bootstrap_servers: Where to ask.
        timeout: Seconds to wait for the answer.
        cluster_id: When given, the answer must come from this cluster.
    """
    try:
        host, port = _split_hostport(bootstrap_servers.split(",")[0])
    except ValueError:
        return False
    # A plain TCP probe first: librdkafka would log every refused connection.
    if not _port_open(host, port, timeout=min(timeout, 0.5)):
        return False
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap_servers, "log_level": 0})
    try:
        md = admin.list_topics(timeout=timeout)
    except Exception:  # KafkaException on timeout or transport failure
        return False
    return bool(md.brokers) and (cluster_id is None or md.cluster_id == cluster_id)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def _death_signal_setter(sig: signal.Signals) -> Callable[[], None] | None:
    """A preexec_fn that makes the child get ``sig`` when its parent thread dies (Linux).

    So a crashed or killed test run or CLI does not leave an orphan broker listening.
    libc is loaded here, in the parent: loading a library between fork and exec could
    deadlock on a lock another thread held at the fork.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def set_death_signal() -> None:
        prctl(pr_set_pdeathsig, int(sig), 0, 0, 0)

    return set_death_signal



# --------------------------------------------------------------------------- brokers


class LocalBroker:
    """A broker process on 127.0.0.1 that this Python process owns.

    Start it with ``start()`` or a ``with`` block; ``stop()`` ends it and removes its
    temporary work dir. Subclasses say how to launch the process.

    Attributes:
        kind: ``"tansu"`` or ``"kafka"``.
        port: The client (PLAINTEXT) port, chosen free at start unless given.
        work_dir: Where the broker's config, data and log live.
    """

    kind: ClassVar[BrokerKind]
    #: How long start() waits for the broker to answer metadata.
    start_timeout: float = 60.0
    #: How long stop() waits after the stop signal before SIGKILL.
    stop_timeout: float = 10.0
    _port_attempts: ClassVar[int] = 3
    #: The signal that asks the process to shut down cleanly.
    _stop_signal: ClassVar[signal.Signals] = signal.SIGTERM

    def __init__(self, *, port: int | None = None, work_dir: str | os.PathLike[str] | None = None,
                 die_with_parent: bool = True) -> None:
        """Prepare a broker; nothing runs until ``start()``.

        Args:
            port: A fixed client port; a free one is picked when ``None``.
            work_dir: A dir to keep config, data and logs in (kept after stop). When
                ``None``, a temporary dir is made and removed at ``stop()``.
            die_with_parent: End the broker when the thread that started it dies (Linux).
                Turn it off when a short-lived thread starts a broker that must outlive it.
        """
        self._fixed_port = port
        self.port: int | None = port
        self._given_work_dir = Path(work_dir) if work_dir is not None else None
        self.work_dir: Path | None = self._given_work_dir
        self._die_with_parent = die_with_parent
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        #: The cluster id the broker reports in metadata; set at launch.
        self.cluster_id: str | None = None

    # -- public surface

    @property
    def bootstrap_servers(self) -> str:
        """``host:port`` for ``bootstrap.servers``; only valid once started."""
        if self.port is None or self._proc is None:
            raise BrokerNotAvailableException(f"the {self.kind} broker is not started", kind=self.kind)
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The broker process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path | None:
        """The broker's main log file."""
        return self.work_dir / self._log_name if self.work_dir is not None else None

    def is_running(self) -> bool:
        """Whether the broker process is alive (not whether it answers yet)."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> LocalBroker:
        """Launch the broker and wait until it answers Kafka metadata requests.

        Returns:
            ``self``, so ``broker = TansuBroker().start()`` works.

        Raises:
            BrokerNotAvailableException: If it exits or does not answer within ``start_timeout``;
                the message carries the tail of the broker's log.
        """
        with self._lock:
            if self._proc is not None:
                return self
            if self.work_dir is None:
                self.work_dir = Path(tempfile.mkdtemp(prefix=f"raystreams-{self.kind}-"))
            self.work_dir.mkdir(parents=True, exist_ok=True)
            attempts = 1 if self._fixed_port is not None else self._port_attempts
            for attempt in range(1, attempts + 1):
                self.port = self._fixed_port or _free_port()
                try:
                    # tansu binds with SO_REUSEPORT and would share a port with another
                    # listener, so a taken port has to be noticed before launching.
                    if _port_open("127.0.0.1", self.port):
                        raise PortTakenException
                    self._launch()
                    self._wait_ready(time.monotonic() + self.start_timeout)
                except PortTakenException:
                    self._kill()
                    if attempt == attempts:
                        err = self._failure(f"port {self.port} is taken")
                        self._drop_empty_work_dir()
                        raise err from None
                    log.info("%s broker: port %s was taken, retrying", self.kind, self.port)
                    continue
                except BaseException:
                    self._kill()
                    self._drop_empty_work_dir()
                    raise
                log.info("%s broker listening on %s (pid %s, log %s)", self.kind,
                         self.bootstrap_servers, self.pid, self.log_path)
                return self
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop the broker (SIGTERM, SIGINT for tansu; SIGKILL after ``stop_timeout``).

        Idempotent; removes a temporary work dir.
        """
        with self._lock:
            if self._proc is not None:
                log.info("stopping %s broker on 127.0.0.1:%s (pid %s)", self.kind, self.port,
                         self._proc.pid)
                self._terminate(self.stop_timeout)
            self._proc = None
            if self._given_work_dir is None and self.work_dir is not None:
                shutil.rmtree(self.work_dir, ignore_errors=True)
                self.work_dir = None

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"{type(self).__name__}(port={self.port}, {state})"

    def _drop_empty_work_dir(self) -> None:
        # After a failed start a temporary work dir is kept only if it holds a log to read.
        path = self.log_path
        if self._given_work_dir is None and self.work_dir is not None and not (
                path is not None and path.exists() and path.stat().st_size > 0):
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    # -- for subclasses

    _log_name: ClassVar[str] = "broker.log"

    def _launch(self) -> None:
        raise NotImplementedError

    def _failure(self, what: str) -> BrokerNotAvailableException:
        # The work dir is kept after a failed start, so the log named here can be read.
        path = self.log_path
        return BrokerNotAvailableException(f"The {self.kind} broker did not start: {what}.",
                                           kind=self.kind,
                                           log_path=path if path is not None and path.exists() else None,
                                           log_tail=self._log_tail())

    def _log_tail(self) -> str:
        return _tail(self.log_path)

    def _spawn(self, argv: list[str], *, env: Mapping[str, str] | None = None,
               output: Path) -> None:
        out = output.open("ab")
        try:
            self._proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self.work_dir, env=dict(env) if env is not None else None,
                # Own session: Ctrl-C in a terminal reaches us, and we stop the broker.
                start_new_session=True,
                preexec_fn=(_death_signal_setter(self._stop_signal)
                            if self._die_with_parent else None),
            )
        finally:
            out.close()

    def _wait_ready(self, deadline: float) -> None:
        assert self._proc is not None and self.port is not None
        while True:
            code = self._proc.poll()
            if code is not None:
                if self._port_conflict():
                    raise PortTakenException
                raise self._failure(f"the process exited with code {code}")
            # The cluster id proves the answer comes from this broker, not from another
            # process on the same port.
            if metadata_answers(f"127.0.0.1:{self.port}", timeout=1.0,
                                cluster_id=self.cluster_id):
                return
            if time.monotonic() > deadline:
                raise self._failure(f"no metadata answer within {self.start_timeout:.0f} s")
            time.sleep(0.05)

    def _port_conflict(self) -> bool:
        text = self._log_tail()
        return "Address already in use" in text or "AddrInUse" in text

    def _terminate(self, timeout: float) -> None:
        proc = self._proc
        assert proc is not None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(self._stop_signal)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("%s broker (pid %s) ignored %s for %.0f s; killing it",
                            self.kind, proc.pid, self._stop_signal.name, timeout)
                self._kill()

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait()
        self._proc = None
