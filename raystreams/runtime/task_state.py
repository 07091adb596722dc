"""``TaskState``: the one vocabulary of task states, for the runner, the supervisor and the
inspector (Kafka's ``Task.State``, plus the supervisor's view of a task's actor)."""

from __future__ import annotations

import enum

__all__ = ["TaskState"]


class TaskState(enum.StrEnum):
    """A stream task's state.

    A ``TaskRunner`` (and a standby's runner) goes through Kafka's ``Task.State``: ``CREATED``
    → ``RESTORING`` → ``RUNNING`` → ``CLOSED``, or ``FAILED`` when it closed after an error.
    The supervisor tracks each task's actor: ``PENDING`` (no actor yet) → ``STARTING`` (its
    runner is not ``RUNNING`` yet) → ``RUNNING``; ``RESTARTING`` after a failure, during the
    backoff; ``FAILED`` once it failed more than ``task.max.restarts`` times in the window;
    ``STOPPED`` after the application closed.

    Members are strings (``TaskState.RUNNING == "RUNNING"``), so status dicts print, compare
    and serialize as before.

    >>> TaskState.RUNNING == "RUNNING", f"{TaskState.RESTORING}"
    (True, 'RESTORING')
    """

    CREATED = "CREATED"
    RESTORING = "RESTORING"
    RUNNING = "RUNNING"
    CLOSED = "CLOSED"
    FAILED = "FAILED"
    PENDING = "PENDING"
    STARTING = "STARTING"
    RESTARTING = "RESTARTING"
    STOPPED = "STOPPED"
