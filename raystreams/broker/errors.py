"""Errors of the local brokers: none found or started, or a missing Java/Maven toolchain."""

from __future__ import annotations

from pathlib import Path

from raystreams.errors import StreamsError

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
