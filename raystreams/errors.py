"""Every exception raystreams raises on purpose (Kafka Streams' ``org.apache.kafka.streams.errors``).

One root, ``StreamsError``; names are Kafka's where Kafka has one, and end in ``Exception``
otherwise. The fields a message is made of are kept as attributes, and every class pickles
with them (``StreamsError.__reduce__``), so an error raised in a task actor reaches the
supervisor and the application unchanged.

>>> import pickle
>>> err = ConfigException("processing.guarantee", "Invalid value 'twice'.",
...                       allowed=["at_least_once", "exactly_once_v2"])
>>> again = pickle.loads(pickle.dumps(err))
>>> again.key, str(again) == str(err)
('processing.guarantee', True)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any


class StreamsError(Exception):
    """Root of every error raystreams raises on purpose.

    Pickling keeps the message and every attribute without calling ``__init__`` again
    (``BaseException`` pickles as ``cls(*args)``, which breaks as soon as ``__init__`` takes
    other arguments than the message it makes), so subclasses need no pickling code of their own.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return _rebuild, (type(self), self.args), self.__dict__ or None


def _rebuild(cls: type[StreamsError], args: tuple[Any, ...]) -> StreamsError:
    err = cls.__new__(cls)
    err.args = args
    return err


# ---------------------------------------------------------------- configuration and topology


class ConfigException(StreamsError):
    """A config key is unknown or its value is not allowed (Kafka's ``ConfigException``).

    Attributes:
        key: The config key.
        allowed: The values the key takes, when they are a fixed set.
        suggestion: The known key closest to an unknown one.
    """

    def __init__(self, key: str, message: str, *, allowed: Sequence[str] | None = None,
                 suggestion: str | None = None) -> None:
        self.key = key
        self.allowed = list(allowed) if allowed is not None else None
        self.suggestion = suggestion
        text = message
        if self.allowed:
            text += f" Allowed values: {', '.join(map(str, self.allowed))}."
        if suggestion:
            text += f" Did you mean '{suggestion}'?"
        super().__init__(text)


class IllegalArgumentException(StreamsError, ValueError):
    """An argument is not allowed: a window or store parameter, a ``None`` key, a negative
    time (Kafka's ``IllegalArgumentException`` and, for ``None``, ``NullPointerException``)."""


class IllegalStateException(StreamsError):
    """A method was called in a state that does not allow it (Kafka's ``IllegalStateException``)."""


class TopologyException(StreamsError):
    """The topology is not valid: an unknown parent, a duplicate name, a cycle, ...

    Attributes:
        node: The processor or store at fault, when one is.
    """

    def __init__(self, message: str, *, node: str | None = None) -> None:
        self.node = node
        super().__init__(f"Invalid topology: {message}")


class CopartitionException(TopologyException):
    """The inputs of a join are not co-partitioned.

    Attributes:
        partition_counts: topic -> partition count, for every topic of the failing group.
    """

    def __init__(self, message: str, partition_counts: Mapping[str, int]) -> None:
        self.partition_counts = dict(partition_counts)
        super().__init__(message)


class InvalidStoreNameException(TopologyException, ValueError):
    """A store name cannot become part of a changelog topic name.

    Kafka Streams rejects such names when it creates the changelog topic; raystreams rejects
    them when the store supplier is made, so the error names the store at once.

    Attributes:
        store_name: The rejected name.
    """

    def __init__(self, store_name: object, reason: str) -> None:
        self.store_name = store_name
        super().__init__(f"store name {store_name!r} is illegal: {reason}")


# ---------------------------------------------------------------- processing


class SerializationException(StreamsError):
    """A serde could not turn bytes into a value or back (Kafka's ``SerializationException``)."""


class StreamsException(StreamsError):
    """Processing failed; names the task, processor, topic, partition and offset.

    Attributes:
        task_id, processor, topic, partition, offset: Where it failed, each ``None`` when unknown.
    """

    def __init__(self, message: str, *, task_id: str | None = None, processor: str | None = None,
                 topic: str | None = None, partition: int | None = None,
                 offset: int | None = None) -> None:
        self.task_id = task_id
        self.processor = processor
        self.topic = topic
        self.partition = partition
        self.offset = offset
        where = [f"{label} {value}" for label, value in (
            ("task", task_id), ("processor", processor), ("topic", topic),
            ("partition", partition), ("offset", offset)) if value is not None]
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class DeserializationException(StreamsException):
    """An input record could not be deserialized at a source."""


class ProductionException(StreamsException):
    """A record could not be serialized or produced and the production exception handler
    said FAIL."""


class TaskMigratedException(StreamsError):
    """The task's producer was fenced: another instance owns the task now."""


class NoSuchElementException(StreamsError, LookupError):
    """Reading from a test output topic that has no more records."""


# ---------------------------------------------------------------- state


class ProcessorStateException(StreamsError):
    """A state store is missing, closed or cannot be opened."""


class TaskCorruptedException(ProcessorStateException):
    """A task's local state cannot be trusted and must be wiped and restored from the changelogs.

    Raised under exactly-once when a task directory holds store files but no checkpoint: the
    last stop was unclean, so the files may hold uncommitted writes (Kafka's
    ``TaskCorruptedException``).

    Attributes:
        task_id: The task whose state is corrupted.
        stores: Names of the stores found without a checkpointed offset.
    """

    def __init__(self, task_id: str, stores: list[str]) -> None:
        self.task_id = task_id
        self.stores = list(stores)
        super().__init__(
            f"task {task_id}: state of stores {', '.join(self.stores)} has no checkpoint after an "
            "unclean stop under exactly-once; wipe the task directory and restore from the changelogs")


class InvalidStateStoreException(StreamsError):
    """A store cannot be queried now (not found, not running, migrated)."""


class UnknownStateStoreException(InvalidStateStoreException):
    """No store of that name is in the topology (Kafka's ``UnknownStateStoreException``)."""


class StateStoreNotAvailableException(InvalidStateStoreException):
    """The store's task is restoring, closed or not started: retry, or allow stale stores
    (Kafka's ``StateStoreNotAvailableException``)."""


class StateStoreMigratedException(InvalidStateStoreException):
    """The task hosting the store moved or restarted while being asked; ask again (Kafka's
    ``StateStoreMigratedException``)."""


class InvalidStateStorePartitionException(InvalidStateStoreException):
    """The partition asked for does not exist for the store (Kafka's exception of that name)."""


class UnknownQueryTypeException(InvalidStateStoreException):
    """The store is of another type than the query needs (a window query of a key-value
    store); IQv2 answers it as ``FailureReason.UNKNOWN_QUERY_TYPE``."""


class QueryCursorExpiredException(InvalidStateStoreException):
    """A paged scan's cursor is unknown to the task (expired after idling, or the task
    restarted): start the scan again."""


# ---------------------------------------------------------------- topics and brokers


class MissingSourceTopicException(StreamsError):
    """Source topics are missing (Kafka's ``MissingSourceTopicException``).

    Attributes:
        topics: The missing topics, sorted.
    """

    def __init__(self, topics: Iterable[str], bootstrap: str | None = None) -> None:
        self.topics = sorted(topics)
        where = f" on {bootstrap}" if bootstrap else ""
        super().__init__(f"Missing source topic(s){where}: {', '.join(self.topics)}. Create them "
                         f"first (e.g. `raystreams topics create {self.topics[0]} "
                         f"--partitions 3`).")


class InternalTopicException(StreamsError):
    """An internal topic could not be created, or exists with the wrong partition count."""


class BrokerNotAvailableException(StreamsError):
    """A local broker could not be found or started, or ``bootstrap.servers`` did not answer
    within ``broker.connect.timeout.ms`` (Kafka's ``BrokerNotAvailableException``).

    Attributes:
        kind: ``"tansu"``, ``"kafka"`` or ``None`` when no broker kind is involved.
        log_path: The broker's log file, when it got as far as writing one.
        log_tail: The last lines of that log, also part of the message.
        bootstrap_servers: The address that did not answer, for an unreachable broker.
        timeout_ms: How long it was given.
    """

    def __init__(self, message: str, *, kind: str | None = None,
                 log_path: Path | None = None, log_tail: str | None = None,
                 bootstrap_servers: str | None = None, timeout_ms: int | None = None) -> None:
        self.kind = kind
        self.log_path = log_path
        self.log_tail = log_tail
        self.bootstrap_servers = bootstrap_servers
        self.timeout_ms = timeout_ms
        text = message
        if log_path is not None:
            text += f"\nBroker log: {log_path}"
        if log_tail:
            text += f"\n--- last lines of the broker log ---\n{log_tail}"
        super().__init__(text)

    @classmethod
    def unreachable(cls, bootstrap_servers: str | None, timeout_ms: int,
                    cause: str = "") -> BrokerNotAvailableException:
        """``bootstrap_servers`` did not answer a metadata request within ``timeout_ms``."""
        return cls(f"Cannot reach the Kafka broker(s) at bootstrap.servers={bootstrap_servers} "
                   f"within {timeout_ms / 1000:g} s{f' ({cause})' if cause else ''}. Check the "
                   f"address and that the broker is running (raise broker.connect.timeout.ms "
                   f"to wait longer).", bootstrap_servers=bootstrap_servers,
                   timeout_ms=timeout_ms)


_INSTALL_HINT = {
    "java": "Java 17 or newer runs Apache Kafka 4.4: install a JDK or JRE "
            "(Debian/Ubuntu: `apt-get install -y openjdk-17-jre-headless`) or set JAVA_HOME.",
    "mvn": "Maven fetches Kafka's jars from Maven Central once: install it "
           "(Debian/Ubuntu: `apt-get install -y maven`), or use the embedded broker "
           "(`raystreams broker` without --kafka).",
}


class ToolchainMissingException(BrokerNotAvailableException):
    """Java or Maven, which the Apache Kafka broker needs, is missing or too old.

    Attributes:
        tool: ``"java"`` or ``"mvn"``.
    """

    def __init__(self, tool: str, message: str) -> None:
        self.tool = tool
        super().__init__(f"{message} {_INSTALL_HINT[tool]}", kind=tool)


class PortTakenException(StreamsError):
    """The port a local broker was to listen on is taken; the launcher retries on another."""


class CliException(StreamsError):
    """A user-facing error of the command line: printed without a traceback, exit code 2."""


# ---------------------------------------------------------------- the inspector


class InspectionException(StreamsError):
    """The inspector cannot read what it was asked for: an unknown store, key text that does
    not parse as the store's key, a source that cannot be loaded."""


class NoClusterException(InspectionException):
    """No Ray cluster answers at the address the inspector was given.

    Attributes:
        address: The address tried (None: ``auto``).
        reason: Why the connection failed.
    """

    def __init__(self, address: str | None, reason: str = "") -> None:
        self.address = address
        self.reason = reason
        super().__init__(f"no Ray cluster at {address or 'auto'}"
                         + (f": {reason}" if reason else ""))


class UnknownApplicationException(InspectionException):
    """The cluster runs no raystreams app with this ``application.id``.

    Attributes:
        app_id: The application asked for.
        known: The applications the cluster runs.
    """

    def __init__(self, app_id: str, known: Iterable[str] = ()) -> None:
        self.app_id = app_id
        self.known = tuple(known)
        super().__init__(f"no raystreams app {app_id!r} on the cluster (running: "
                         f"{', '.join(self.known) or 'none'})")


# Names from before the Kafka-named classes above, kept importable for existing callers.
InvalidWindowArgument = IllegalArgumentException
StoreArgumentError = IllegalArgumentException
InvalidStoreNameError = InvalidStoreNameException
TaskCorruptedError = TaskCorruptedException
BrokerUnavailable = BrokerNotAvailableException
ToolchainMissing = ToolchainMissingException
