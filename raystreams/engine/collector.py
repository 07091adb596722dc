"""RecordCollectorImpl: the one place a task's output is serialized, sent and judged
(Kafka's ``RecordCollectorImpl``).

Sinks, changelogs and dead-letter records all go through it, onto a ``RecordSender``: the
runtime's ``StreamsProducer`` or the driver's in-memory list. It applies
``production.exception.handler`` to both kinds of production error:

- a sink's serializer raised: ``handle_serialization_error``, at once;
- the broker refused a record: ``handle_error``, when the sender reports the failure (the
  runtime's producer asks for error-only delivery reports, so a healthy record costs no
  callback; failures are judged at the next send, poll or flush). A fenced producer is a
  ``TaskMigratedException``, never the handler's to judge.

``RESUME`` drops the record (counted in the task's ``dropped-records-total``); ``FAIL`` fails
the task with a ``ProductionException``. Dead-letter records the handler returns are sent
through the same sender.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from raystreams.engine.handlers import (
    ErrorHandlerContext,
    Result,
    SerializationExceptionOrigin,
    dead_letters_of,
    result_of,
)
from raystreams.engine.records import ProducedRecord, RecordSender
from raystreams.errors import ProductionException, StreamsException, TaskMigratedException
from raystreams.processor.api import Headers

if TYPE_CHECKING:
    from raystreams.engine.task import StreamTask

log = logging.getLogger(__name__)


class SendFailure(Protocol):
    """A record the broker refused, as a sender reports it."""

    error: Any
    topic: str | None
    partition: int | None
    key: bytes | None
    value: bytes | None
    fenced: bool


class RecordCollectorImpl:
    """A task's record collector over a ``RecordSender``.

    Args:
        sender: where serialized records go.
        task: the task whose output this is (its handler, metrics and record context).
    """

    def __init__(self, sender: RecordSender, task: StreamTask) -> None:
        self.sender = sender
        self.task = task
        self.task_id = task.task_id
        self._send = sender.send
        self._take_failures = getattr(sender, "take_failures", None)
        # the runtime's producer keeps delivery failures in a list; the driver's has none
        self._tracks_failures = hasattr(sender, "failures")
        self._partitions: dict[str, int | None] = {}
        self.records_sent = 0
        #: records the production handler skipped (the task's metrics count every skip)
        self.records_dropped = 0

    # ------------------------------------------------------------------ sending

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Headers | None, partition: int | None) -> None:
        """Send a serialized record (changelogs, dead letters, sinks after serializing)."""
        self._send(topic, key, value, timestamp, headers, partition)
        self.records_sent += 1
        if self._tracks_failures and self.sender.failures:
            self.check_failures()

    def serialize_and_send(self, topic: str, key: Any, value: Any, headers: Headers | None,
                           partition: int | None, timestamp: int, key_serializer: Any,
                           value_serializer: Any, processor_node_id: str) -> None:
        """Serialize a sink's record and send it; a serializer error goes to the handler."""
        try:
            key_bytes = key_serializer(topic, key)
        except Exception as exc:
            self._serialization_failed(SerializationExceptionOrigin.KEY, topic, key, value,
                                       headers, partition, timestamp, processor_node_id, exc)
            return
        try:
            value_bytes = value_serializer(topic, value)
        except Exception as exc:
            self._serialization_failed(SerializationExceptionOrigin.VALUE, topic, key, value,
                                       headers, partition, timestamp, processor_node_id, exc)
            return
        # send() inlined: this is every sink record's path
        self._send(topic, key_bytes, value_bytes, timestamp, headers, partition)
        self.records_sent += 1
        if self._tracks_failures and self.sender.failures:
            self.check_failures()

    def send_dead_letters(self, records: list[ProducedRecord]) -> None:
        for r in records:
            self.send(r.topic, r.key, r.value, r.timestamp, r.headers, r.partition)
        self.task.metrics.dead_letter_records += len(records)

    def partitions_for(self, topic: str) -> int | None:
        if topic not in self._partitions:
            self._partitions[topic] = self.sender.partitions_for(topic)
        return self._partitions[topic]

    def flush(self) -> None:
        self.sender.flush()
        self.check_failures()

    # ------------------------------------------------------------------ errors

    def error_handler_context(self, processor_node_id: str | None) -> ErrorHandlerContext:
        """The handler's view of the record being processed (Kafka's errorHandlerContext)."""
        task = self.task
        rc = task.context.record_context
        raw = task.current_raw
        if rc is None:
            return ErrorHandlerContext(None, -1, -1, Headers(), processor_node_id,
                                       self.task_id, -1)
        return ErrorHandlerContext(rc.topic, rc.partition, rc.offset, rc.headers,
                                   processor_node_id, self.task_id, rc.timestamp,
                                   raw.key if raw is not None else None,
                                   raw.value if raw is not None else None)

    def apply_handler(self, handle: Callable[[], Any], callback: str,
                      where: dict[str, Any]) -> bool:
        """Run one exception handler call the way Kafka does for all three handlers: a handler
        that raises fails the task ("Fatal user code error in <callback> error callback"),
        its dead-letter records are sent, and ``RESUME`` counts the record as dropped.
        Returns whether the record is skipped (else the caller fails the task)."""
        try:
            response = handle()
            result = result_of(response)
        except Exception as fatal:
            raise StreamsException(f"Fatal user code error in {callback} error callback",
                                   **where) from fatal
        self.send_dead_letters(dead_letters_of(response))
        if result is not Result.RESUME:
            return False
        self.task.metrics.records_dropped += 1
        return True

    def _serialization_failed(self, origin: SerializationExceptionOrigin, topic: str, key: Any,
                              value: Any, headers: Headers | None, partition: int | None,
                              timestamp: int, processor_node_id: str, exc: Exception) -> None:
        context = self.error_handler_context(processor_node_id)
        record = ProducedRecord(topic, partition, key, value, timestamp, headers)
        where = {"task_id": self.task_id, "processor": processor_node_id,
                 "topic": context.topic, "partition": context.partition,
                 "offset": context.offset}
        handler = self.task.production_handler
        if not self.apply_handler(lambda: handler.handle_serialization_error(
                context, record, exc, origin), "production", where):
            raise ProductionException(
                f"Unable to serialize record. ProducerRecord(topic=[{topic}], partition=["
                f"{'null' if partition is None else partition}], timestamp=[{timestamp}]): "
                f"{exc}", **where) from exc
        log.warning("[%s] Unable to serialize record, continue processing. ProducerRecord("
                    "topic=[%s], partition=[%s], timestamp=[%s]): %s", self.task_id, topic,
                    partition, timestamp, exc)
        self.records_dropped += 1

    def check_failures(self) -> None:
        """Judge every send failure the sender reported so far."""
        if self._take_failures is None:
            return
        for failure in self._take_failures():
            self._send_failed(failure)

    def _send_failed(self, failure: SendFailure) -> None:
        if getattr(failure, "fenced", False):
            raise TaskMigratedException(
                f"task {self.task_id}: producer fenced: {failure.error}; written offsets would "
                f"not be recorded and no more records would be sent since the producer is "
                f"fenced, indicating the task may be migrated out")
        error = failure.error if isinstance(failure.error, Exception) else StreamsException(
            str(failure.error))
        # the record is already gone from the task's hands: the handler sees the refused
        # record's own bytes and destination (Kafka frees the source record before the send)
        context = ErrorHandlerContext(failure.topic, failure.partition if failure.partition
                                      is not None else -1, -1, Headers(), None, self.task_id,
                                      -1, getattr(failure, "key", None),
                                      getattr(failure, "value", None))
        record = ProducedRecord(failure.topic or "", failure.partition,
                                getattr(failure, "key", None), getattr(failure, "value", None),
                                -1, None)
        handler = self.task.production_handler
        if not self.apply_handler(lambda: handler.handle_error(context, record, error),
                                  "production", {"task_id": self.task_id,
                                                 "topic": failure.topic}):
            raise ProductionException(
                f"Error encountered sending record to topic {failure.topic} for task "
                f"{self.task_id} due to: {failure.error}. Exception handler choose to FAIL the "
                f"processing, no more records would be sent. Set production.exception.handler "
                f"to 'continue' to skip such records", task_id=self.task_id,
                topic=failure.topic, partition=failure.partition)
        log.warning("[%s] Error sending record to topic %s partition %s; the production "
                    "exception handler continues: %s", self.task_id, failure.topic,
                    failure.partition, failure.error)
        self.records_dropped += 1
