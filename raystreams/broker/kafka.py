"""Apache Kafka 4.4 as a single-node KRaft broker (``KafkaBroker``), from the cached jars."""

from __future__ import annotations

import base64
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from raystreams.broker.jars import ensure_kafka_jars
from raystreams.broker.process import BrokerKind, LocalBroker, _free_port, _tail
from raystreams.errors import BrokerNotAvailableException, ToolchainMissingException


class KafkaBroker(LocalBroker):
    """A single-node KRaft Apache Kafka 4.4 (broker and controller in one JVM).

    The jars come from ``ensure_kafka_jars()``. Defaults made for three brokers are set to
    one, and delays that only slow tests (initial rebalance, timed-out transaction checks)
    are cut; ``config`` overrides any of ``server.properties``.

    With ``sasl_users``, a second client listener speaks SASL_PLAINTEXT (mechanism PLAIN) with
    those users and passwords, at ``sasl_bootstrap_servers``; the PLAINTEXT listener stays
    for the broker's own traffic and for clients without credentials.
    """

    kind: ClassVar[BrokerKind] = "kafka"
    start_timeout = 90.0
    stop_timeout = 30.0
    _log_name: ClassVar[str] = "server.log"

    def __init__(self, *, port: int | None = None, work_dir: str | os.PathLike[str] | None = None,
                 die_with_parent: bool = True, config: Mapping[str, str | int] | None = None,
                 heap: str = "512m", cache_dir: str | os.PathLike[str] | None = None,
                 sasl_users: Mapping[str, str] | None = None) -> None:
        """Prepare a Kafka broker.

        Args:
            port: A fixed client port; a free one is picked when ``None``.
            work_dir: Where config, data (``data/``) and logs go (temporary when ``None``).
                The data is wiped at each start: every start is a fresh cluster.
            die_with_parent: See ``LocalBroker``.
            config: Extra or overriding ``server.properties`` entries.
            heap: The JVM's ``-Xmx``.
            cache_dir: The jar cache root (default ``cache_root()``).
            sasl_users: ``{username: password}`` of a SASL_PLAINTEXT (PLAIN) listener; None:
                no such listener.
        """
        super().__init__(port=port, work_dir=work_dir, die_with_parent=die_with_parent)
        self._extra = {k: str(v) for k, v in (config or {}).items()}
        self._heap = heap
        self._cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.controller_port: int | None = None
        self.sasl_users = dict(sasl_users) if sasl_users else None
        self.sasl_port: int | None = None

    @property
    def sasl_bootstrap_servers(self) -> str | None:
        """``bootstrap.servers`` of the SASL_PLAINTEXT listener (None without one)."""
        return f"127.0.0.1:{self.sasl_port}" if self.sasl_port is not None else None

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
        if self.sasl_users and self.sasl_port is not None:
            props.update(_sasl_listener(self.sasl_port, self.sasl_users))
            for key in ("listeners", "advertised.listeners"):
                props[key] += f",SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}"
            props["listener.security.protocol.map"] += ",SASL_PLAINTEXT:SASL_PLAINTEXT"
        props.update(self._extra)
        return props

    def _launch(self) -> None:
        java = _java()
        libs = ensure_kafka_jars(self._cache_dir)
        assert self.work_dir is not None
        self.controller_port = _free_port()
        while self.controller_port == self.port:
            self.controller_port = _free_port()
        if self.sasl_users:
            self.sasl_port = _free_port()
            while self.sasl_port in (self.port, self.controller_port):
                self.sasl_port = _free_port()
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
            raise BrokerNotAvailableException(
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


def _sasl_listener(port: int, users: Mapping[str, str]) -> dict[str, str]:
    """``server.properties`` of a SASL_PLAINTEXT listener with PLAIN users (Kafka's
    ``PlainLoginModule``: ``user_<name>="<password>"`` per user)."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    name, password = next(iter(users.items()))
    jaas = " ".join(["org.apache.kafka.common.security.plain.PlainLoginModule required",
                     f"username={quoted(name)}", f"password={quoted(password)}",
                     *(f"user_{u}={quoted(p)}" for u, p in users.items())]) + ";"
    return {"sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.sasl.enabled.mechanisms": "PLAIN",
            "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas}


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
        raise ToolchainMissingException("java", "No `java` found (JAVA_HOME or PATH).")
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ToolchainMissingException("java", f"`{java} -version` failed: {e}.") from e
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if match is None:
        raise ToolchainMissingException("java", f"Cannot read the version of {java}: {out.stderr!r}.")
    major = int(match.group(1))
    if major == 1:  # "1.8.0_..." style
        major = int(match.group(2) or 0)
    if major < 17:
        raise ToolchainMissingException("java", f"{java} is Java {major}; Kafka 4.4 needs 17 or newer.")
    return java
