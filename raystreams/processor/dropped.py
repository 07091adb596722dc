"""Skipped records: the one place a processor logs and counts a record it drops.

Kafka Streams' processors log ``Skipping record due to ...`` with the record's topic,
partition and offset, prefixed by the task (its LogContext), and record the task's
``dropped-records`` sensor. Here the sensor is ``task.metrics.records_dropped``.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["count_dropped", "skip_out_of_order_version", "skip_record", "task_prefix", "where"]


def where(context: Any) -> str:
    """``topic=[t] partition=[p] offset=[o]`` of the record being processed (Kafka's text)."""
    rc = getattr(context, "record_context", None)
    if rc is None or getattr(rc, "topic", None) is None:
        return "Topic, partition, and offset not known."
    return f"topic=[{rc.topic}] partition=[{rc.partition}] offset=[{rc.offset}]"


def task_prefix(context: Any) -> str:
    """``task [0_1] `` for a log line, as Kafka's task LogContext prefixes it."""
    task_id = getattr(context, "task_id", None)
    return f"task [{task_id}] " if task_id is not None else ""


def count_dropped(context: Any) -> None:
    """Count a skipped record in the task's ``records_dropped`` metric."""
    metrics = getattr(getattr(context, "task", None), "metrics", None)
    if metrics is not None:
        metrics.records_dropped += 1


def skip_record(logger: logging.Logger, context: Any, reason: str,
                level: int = logging.WARNING) -> None:
    """Log ``Skipping record due to <reason>.`` with where the record came from, and count it."""
    if logger.isEnabledFor(level):
        logger.log(level, "%sSkipping record due to %s. %s", task_prefix(context), reason,
                   where(context))
    count_dropped(context)


def skip_out_of_order_version(logger: logging.Logger, context: Any) -> None:
    """Drop an update of a versioned table that is not its latest version, as the table-table
    joins do (Kafka logs it at INFO, without the record's position), and count it."""
    logger.info("%sSkipping out-of-order record from versioned table while performing "
                "table-table join.", task_prefix(context))
    count_dropped(context)
