"""The one error hierarchy of raystreams, rooted at StreamsError (Kafka Streams' StreamsException)."""

from __future__ import annotations

from collections.abc import Sequence


class StreamsError(Exception):
    """Root of every error raystreams raises on purpose."""


class ConfigException(StreamsError):
    """A config key is unknown or its value is not allowed."""

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


class TopologyException(StreamsError):
    """The topology is not valid: an unknown parent, a duplicate name, a cycle, ..."""

    def __init__(self, message: str, *, node: str | None = None) -> None:
        self.node = node
        super().__init__(f"Invalid topology: {message}")


class SerializationException(StreamsError):
    """A serde could not turn bytes into a value or back."""


class StreamsException(StreamsError):
    """Processing failed; names the task, processor, topic, partition and offset."""

    def __init__(self, message: str, *, task_id: str | None = None, processor: str | None = None,
                 topic: str | None = None, partition: int | None = None,
                 offset: int | None = None) -> None:
        self.task_id = task_id
        self.processor = processor
        self.topic = topic
        self.partition = partition
        self.offset = offset
        where = []
        if task_id is not None:
            where.append(f"task {task_id}")
        if processor is not None:
            where.append(f"processor {processor}")
        if topic is not None:
            where.append(f"topic {topic}")
        if partition is not None:
            where.append(f"partition {partition}")
        if offset is not None:
            where.append(f"offset {offset}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)

    def __reduce__(self):  # keep the fields across pickling (Ray actor hops)
        return (_rebuild_streams_exception, (self.__class__, self.args[0], self.task_id,
                self.processor, self.topic, self.partition, self.offset))


def _rebuild_streams_exception(cls, text, task_id, processor, topic, partition, offset):
    err = cls.__new__(cls)
    Exception.__init__(err, text)
    err.task_id, err.processor, err.topic = task_id, processor, topic
    err.partition, err.offset = partition, offset
    return err


class DeserializationException(StreamsException):
    """An input record could not be deserialized at a source."""


class ProcessorStateException(StreamsError):
    """A state store is missing, closed or cannot be opened."""


class InvalidStateStoreException(StreamsError):
    """A store cannot be queried now (not found, not running, migrated)."""


class TaskMigratedException(StreamsError):
    """The task's producer was fenced: another instance owns the task now."""


class NoSuchElementException(StreamsError, LookupError):
    """Reading from a test output topic that has no more records."""
