"""Per-partition record queues and the choice of the next record (Kafka's RecordQueue, PartitionGroup).

A task reads several partitions; it always processes the queued record with the lowest
timestamp next, so records from co-partitioned inputs interleave in event-time order.
Deserialization and timestamp extraction happen when a record reaches the head of its queue.
Whether to process at all while an input is empty is ``ready_to_process`` (KIP-695).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from raystreams.engine.java_heap import JavaPriorityQueue
from raystreams.engine.lag import ZERO_LAG, LagProvider
from raystreams.engine.records import ConsumerRecord
from raystreams.processor.api import Headers, Record, _record
from raystreams.processor.timestamps import FailOnInvalidTimestamp

UNKNOWN = -1


class StampedRecord:
    """A deserialized head record with its extracted timestamp and origin (``raw``: the
    consumer record it came from, whose bytes the exception handlers see)."""

    __slots__ = ("record", "topic", "partition", "offset", "timestamp", "raw")

    def __init__(self, record: Record, topic: str, partition: int, offset: int,
                 raw: ConsumerRecord | None = None) -> None:
        self.record = record
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = record.timestamp
        self.raw = raw


class RecordQueue:
    """Raw records of one partition, in offset order, with the deserialized head kept apart."""

    __slots__ = ("topic", "partition", "source", "raw", "head", "partition_time",
                 "_on_bad_record")

    def __init__(self, topic: str, partition: int, source: Any,
                 on_bad_record: Callable[[RecordQueue, ConsumerRecord, Exception], None]) -> None:
        self.topic = topic
        self.partition = partition
        self.source = source  # SourceProcessor: serdes and extractor
        self.raw: deque[ConsumerRecord] = deque()
        self.head: StampedRecord | None = None
        self.partition_time = UNKNOWN
        self._on_bad_record = on_bad_record

    def size(self) -> int:
        return len(self.raw) + (1 if self.head is not None else 0)

    def add(self, records: Iterable[ConsumerRecord]) -> None:
        self.raw.extend(records)
        if self.head is None:
            self._update_head()

    def poll(self) -> StampedRecord | None:
        head = self.head
        self.head = None
        if head is not None and head.timestamp > self.partition_time:
            self.partition_time = head.timestamp
        self._update_head()
        return head

    def clear(self) -> None:
        self.raw.clear()
        self.head = None

    def _update_head(self) -> None:
        raw = self.raw
        source = self.source
        extractor = source.extractor
        # the default extractor only checks the record's own timestamp: skip its call
        record_time = type(extractor) is FailOnInvalidTimestamp
        deser_key = source.key_serde.deserialize
        deser_value = source.value_serde.deserialize
        while raw and self.head is None:
            cr = raw.popleft()
            try:
                key = deser_key(cr.topic, cr.key)
                value = deser_value(cr.topic, cr.value)
            except Exception as exc:  # handed to the deserialization exception handler
                self._on_bad_record(self, cr, exc)
                continue
            headers = cr.headers
            if headers is None:
                headers = Headers()
            elif not isinstance(headers, Headers):
                headers = Headers(headers)
            ts = cr.timestamp
            if not record_time or ts < 0:
                ts = extractor.extract(_ExtractView(cr, key, value), self.partition_time)
                if ts < 0:
                    continue  # the extractor chose to skip it (and logged why)
            self.head = StampedRecord(_record(key, value, ts, headers), cr.topic, cr.partition,
                                      cr.offset, cr)


class _ExtractView:
    """What a timestamp extractor sees: the consumer record with deserialized key and value."""

    __slots__ = ("topic", "partition", "offset", "timestamp", "key", "value", "headers")

    def __init__(self, cr: ConsumerRecord, key: Any, value: Any) -> None:
        self.topic = cr.topic
        self.partition = cr.partition
        self.offset = cr.offset
        self.timestamp = cr.timestamp
        self.key = key
        self.value = value
        self.headers = cr.headers


def _by_head_time(a: RecordQueue, b: RecordQueue) -> int:
    ta = a.head.timestamp  # type: ignore[union-attr]
    tb = b.head.timestamp  # type: ignore[union-attr]
    return (ta > tb) - (ta < tb)


#: ``max.task.idle.ms`` value that turns waiting for empty inputs off (Kafka's
#: ``MAX_TASK_IDLE_MS_DISABLED``).
MAX_TASK_IDLE_MS_DISABLED = -1


class PartitionGroup:
    """All record queues of a task; ``next_record`` takes the lowest head timestamp.

    Args:
        lag_provider: the broker side of the inputs (``ZERO_LAG`` in the test driver).
        max_task_idle_ms: how long an empty input known to be caught up holds processing.
    """

    def __init__(self, lag_provider: LagProvider = ZERO_LAG, max_task_idle_ms: int = 0) -> None:
        self.queues: dict[tuple[str, int], RecordQueue] = {}
        self._non_empty: JavaPriorityQueue[RecordQueue] = JavaPriorityQueue(_by_head_time)
        self._single: RecordQueue | None = None
        self.stream_time = UNKNOWN
        self.lag_provider = lag_provider
        self.max_task_idle_ms = max_task_idle_ms
        self._idle_deadlines: dict[tuple[str, int], int] = {}

    def add_queue(self, queue: RecordQueue) -> None:
        previous = self._single
        self.queues[(queue.topic, queue.partition)] = queue
        self._single = queue if len(self.queues) == 1 else None
        if previous is not None and self._single is None and previous.head is not None:
            self._non_empty.offer(previous)  # it skipped the priority queue while alone

    def set_partition_time(self, topic: str, partition: int, partition_time: int) -> None:
        """Resume a partition's time from its committed metadata; stream time follows."""
        self.queues[(topic, partition)].partition_time = partition_time
        if partition_time > self.stream_time:
            self.stream_time = partition_time

    def partition_time(self, topic: str, partition: int) -> int:
        return self.queues[(topic, partition)].partition_time

    def add_records(self, topic: str, partition: int, records: Iterable[ConsumerRecord]) -> int:
        queue = self.queues[(topic, partition)]
        had_head = queue.head is not None
        queue.add(records)
        if not had_head and queue.head is not None and self._single is None:
            self._non_empty.offer(queue)
        return queue.size()

    def next_record(self) -> StampedRecord | None:
        if self._single is not None:  # one input partition: no ordering to decide
            record = self._single.poll()
            if record is not None and record.timestamp > self.stream_time:
                self.stream_time = record.timestamp
            return record
        queue = self._non_empty.poll()
        if queue is None:
            return None
        record = queue.poll()
        if queue.head is not None:
            self._non_empty.offer(queue)
        if record is not None and record.timestamp > self.stream_time:
            self.stream_time = record.timestamp
        return record

    def ready_to_process(self, wall_clock_ms: int) -> bool:
        """Kafka's ``PartitionGroup.readyToProcess`` (KIP-695), for tasks with several inputs.

        With ``max.task.idle.ms`` -1 a task processes whatever it has. Otherwise an empty input
        partition blocks processing while its lag is unknown or positive (its records are on
        the broker: fetch them first, so records are picked in timestamp order across
        partitions), and, once its lag is known to be zero, until ``max.task.idle.ms`` after
        that was first seen; then processing goes on without it (enforced processing).
        """
        if self.max_task_idle_ms == MAX_TASK_IDLE_MS_DISABLED:
            return True
        if len(self.queues) <= 1:  # one queue: empty means nothing to process anyway
            return True
        deadlines = self._idle_deadlines
        for tp, queue in self.queues.items():
            if queue.size() > 0:
                deadlines.pop(tp, None)
                continue
            lag = self.lag_provider.fetched_lag(*tp)
            if lag is None or lag > 0:  # wait for metadata, or for the records on the broker
                deadlines.pop(tp, None)
                return False
            deadline = deadlines.setdefault(tp, wall_clock_ms + self.max_task_idle_ms)
            if wall_clock_ms < deadline:
                return False
        return True

    def has_records(self) -> bool:
        if self._single is not None:
            return self._single.head is not None
        return bool(self._non_empty)

    def num_buffered(self) -> int:
        return sum(q.size() for q in self.queues.values())

    def clear(self) -> None:
        for q in self.queues.values():
            q.clear()
        self._non_empty.clear()
