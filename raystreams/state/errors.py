"""Errors of the state package; all descend from ``raystreams.errors.StreamsError``."""

from __future__ import annotations

from raystreams.errors import ProcessorStateException, StreamsError, TopologyException

__all__ = ["InvalidStoreNameError", "StoreArgumentError", "TaskCorruptedError"]


class InvalidStoreNameError(TopologyException, ValueError):
    """A store name cannot become part of a changelog topic name.

    Kafka Streams rejects such names when it creates the changelog topic; raystreams rejects
    them when the store supplier is made, so the error names the store at once.

    Attributes:
        store_name: The rejected name.
    """

    def __init__(self, store_name: object, reason: str) -> None:
        self.store_name = store_name
        super().__init__(f"store name {store_name!r} is illegal: {reason}")


class StoreArgumentError(StreamsError, ValueError):
    """A store method got an argument it cannot take (a ``None`` key, a negative time, ...)."""


class TaskCorruptedError(ProcessorStateException):
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
