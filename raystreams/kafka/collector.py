"""KafkaRecordCollector: the engine's RecordCollector over a StreamsProducer (Kafka's
``RecordCollectorImpl``), with the production exception handler.

Sinks, changelogs and the dead-letter queue all send through it. Records are produced
without per-record callbacks; failures come back from the producer's error-only delivery
reports and are judged at the next send, poll or flush: ``production.exception.handler``
``default`` fails the task (Kafka's DefaultProductionExceptionHandler), ``continue`` logs,
counts and drops the record.
"""

from __future__ import annotations

import logging
from typing import Any

from raystreams.engine.handlers import CONTINUE, resolve_handler
from raystreams.errors import ProductionException
from raystreams.kafka.producer import DeliveryFailure, StreamsProducer, is_fenced

log = logging.getLogger(__name__)


class KafkaRecordCollector:
    """Implements ``raystreams.engine.records.RecordCollector`` on a Kafka producer.

    Args:
        producer: the task's producer.
        task_id: for log lines and errors.
        production_handler: ``"default"`` (fail), ``"continue"``, or a callable
            ``(context, failure: DeliveryFailure, error) -> "continue" | "fail"``, the same
            shape as the engine's other exception handlers (``engine/handlers.py``).
    """

    def __init__(self, producer: StreamsProducer, *, task_id: str | None = None,
                 production_handler: Any = "default") -> None:
        self.producer = producer
        self.task_id = task_id
        self._handler = resolve_handler("production.exception.handler", production_handler)
        self._partitions: dict[str, int | None] = {}
        self.records_sent = 0
        self.records_dropped = 0

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Any, partition: int | None) -> None:
        producer = self.producer
        producer.send(topic, key, value, timestamp, headers, partition)
        self.records_sent += 1
        if producer.failures:
            self.check_failures()

    def partitions_for(self, topic: str) -> int | None:
        if topic not in self._partitions:
            self._partitions[topic] = self.producer.partitions_for(topic)
        return self._partitions[topic]

    def flush(self) -> None:
        self.producer.flush()
        self.check_failures()

    def check_failures(self) -> None:
        """Apply the production exception handler to every failure reported so far."""
        for failure in self.producer.take_failures():
            self._judge(failure)

    def _judge(self, failure: DeliveryFailure) -> None:
        if is_fenced(failure.error):
            from raystreams.errors import TaskMigratedException

            raise TaskMigratedException(f"task {self.task_id}: producer fenced: {failure.error}")
        context = {"task_id": self.task_id, "topic": failure.topic,
                   "partition": failure.partition}
        if self._handler(context, failure, failure.error) == CONTINUE:
            self.records_dropped += 1
            log.warning("[%s] Error sending record to topic %s partition %s; the production "
                        "exception handler continues: %s", self.task_id, failure.topic,
                        failure.partition, failure.error)
            return
        raise ProductionException(
            f"Error encountered sending record to topic {failure.topic}: {failure.error}. "
            f"Set production.exception.handler to 'continue' to skip such records",
            task_id=self.task_id, topic=failure.topic, partition=failure.partition)
