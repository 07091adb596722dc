"""The runtime's producer: batched sends, no per-record callbacks, optional transactions.

One ``StreamsProducer`` per task. Records go out with ``produce()`` only; ``poll(0)`` runs
every ``POLL_EVERY`` sends to serve delivery reports, and delivery reports are requested
for failures only (``delivery.report.only.error``), so a healthy record costs no Python
callback. Under exactly_once_v2 the producer is transactional with
``transactional.id = <application.id>-<task_id>`` (DESIGN decision 6); a transaction is begun
lazily by the first send after a commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from raystreams.config import StreamsConfig
from raystreams.errors import StreamsException, TaskMigratedException
from raystreams.kafka.consumer import topic_partitions
from raystreams.kafka.protocols import ProducerLike

log = logging.getLogger(__name__)

POLL_EVERY = 1000
#: Producer defaults under the app's settings: Java-compatible key placement (decision 5), and
#: few, big batches (the embedded broker's fetch speed collapses with the batch count).
PRODUCER_DEFAULTS: dict[str, Any] = {
    "partitioner": "murmur2_random",
    "batch.size": 1_000_000,
    "queue.buffering.max.messages": 1_000_000,
    "queue.buffering.max.kbytes": 1_048_576,
    "delivery.report.only.error": True,
}

_FENCED_CODES = {KafkaError._FENCED, KafkaError.PRODUCER_FENCED,
                 KafkaError.INVALID_PRODUCER_EPOCH, KafkaError.INVALID_PRODUCER_ID_MAPPING}


def transactional_id(application_id: str, task_id: str) -> str:
    """Kafka Streams' per-task transactional id (``<application.id>-<task_id>``)."""
    return f"{application_id}-{task_id}"


def producer_config(config: StreamsConfig, *, client_id: str | None = None,
                    transactional_id: str | None = None,
                    overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    props = dict(PRODUCER_DEFAULTS)
    props.update(config.producer_configs(client_id=client_id, transactional_id=transactional_id))
    if overrides:
        props.update(overrides)
    return props


def is_fenced(error: Any) -> bool:
    """Whether a KafkaError (or KafkaException) says another producer took the transactional.id."""
    if isinstance(error, KafkaException):
        error = error.args[0] if error.args else None
    code = getattr(error, "code", None)
    return code is not None and code() in _FENCED_CODES


class DeliveryFailure:
    """A record the broker refused (kept from the error-only delivery report); the engine's
    record collector judges it (``raystreams.engine.collector.SendFailure``)."""

    __slots__ = ("error", "topic", "partition", "key", "value")

    def __init__(self, error: Any, topic: str | None, partition: int | None,
                 key: bytes | None = None, value: bytes | None = None) -> None:
        self.error, self.topic, self.partition = error, topic, partition
        self.key, self.value = key, value

    @property
    def fenced(self) -> bool:
        """Another producer took the transactional.id: the task has migrated."""
        return is_fenced(self.error)

    def __repr__(self) -> str:
        return f"DeliveryFailure({self.error}, {self.topic}-{self.partition})"


class StreamsProducer:
    """A confluent-kafka producer with the runtime's batching and transaction lifecycle.

    Args:
        producer: the underlying producer (a ``ProducerLike``; tests pass fakes).
        transactional: whether the producer has a ``transactional.id``.
        task_id: for log lines and errors.
    """

    def __init__(self, producer: ProducerLike, *, transactional: bool = False,
                 task_id: str | None = None) -> None:
        self._producer = producer
        self.transactional = transactional
        self.task_id = task_id
        self.in_transaction = False
        self.failures: list[DeliveryFailure] = []
        self.sent = 0
        self._since_poll = 0

    @classmethod
    def create(cls, config: StreamsConfig, *, task_id: str | None = None,
               overrides: Mapping[str, Any] | None = None) -> StreamsProducer:
        """A producer for ``task_id``: transactional under exactly_once_v2."""
        tid = None
        if config.exactly_once:
            if task_id is None:
                raise ValueError("an exactly_once_v2 producer needs the task id")
            tid = transactional_id(config.application_id, task_id)
        props = producer_config(config, client_id=f"{config.application_id}-{task_id}"
                                if task_id else None, transactional_id=tid, overrides=overrides)
        holder: list[StreamsProducer] = []
        props["on_delivery"] = lambda err, msg: holder[0]._on_failure(err, msg)
        self = cls(Producer(props), transactional=tid is not None, task_id=task_id)
        holder.append(self)
        return self

    def _on_failure(self, err: Any, msg: Any) -> None:
        if err is not None:
            error = err if isinstance(err, Exception) else KafkaException(err)
            self.failures.append(DeliveryFailure(error, msg.topic(), msg.partition(),
                                                 msg.key(), msg.value()))

    # ------------------------------------------------------------------ sending

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Any, partition: int | None) -> None:
        if self.transactional and not self.in_transaction:
            self.begin()
        part = -1 if partition is None else partition
        ts = timestamp if timestamp is not None and timestamp > 0 else 0
        try:
            if headers:
                self._producer.produce(topic, value, key, partition=part, timestamp=ts,
                                       headers=headers.to_list() if hasattr(headers, "to_list")
                                       else list(headers))
            else:
                self._producer.produce(topic, value, key, partition=part, timestamp=ts)
        except BufferError:
            self._send_when_room(topic, key, value, ts, headers, part)
        except KafkaException as exc:
            self._raise(exc, "send")
        self.sent += 1
        self._since_poll += 1
        if self._since_poll >= POLL_EVERY:
            self._since_poll = 0
            self._producer.poll(0)

    def _send_when_room(self, topic: str, key: bytes | None, value: bytes | None, ts: int,
                        headers: Any, part: int) -> None:
        """The local queue is full: serve delivery reports until the record fits."""
        kwargs: dict[str, Any] = {"partition": part, "timestamp": ts}
        if headers:
            kwargs["headers"] = headers.to_list() if hasattr(headers, "to_list") else list(headers)
        while True:
            self._producer.poll(0.05)
            try:
                self._producer.produce(topic, value, key, **kwargs)
                return
            except BufferError:
                continue
            except KafkaException as exc:
                self._raise(exc, "send")

    def poll(self) -> None:
        self._producer.poll(0)

    def flush(self, timeout: float = 60.0) -> None:
        """Block until everything sent is acknowledged (or failed)."""
        deadline = time.monotonic() + timeout
        while True:
            left = self._producer.flush(min(5.0, max(0.0, deadline - time.monotonic())))
            if left == 0:
                return
            if time.monotonic() >= deadline:
                raise StreamsException(f"producer flush timed out with {left} records unsent",
                                       task_id=self.task_id)
            log.info("[%s] waiting for %d records to be acknowledged", self.task_id, left)

    def take_failures(self) -> list[DeliveryFailure]:
        failures, self.failures = self.failures, []
        return failures

    # ------------------------------------------------------------------ transactions

    def init_transactions(self, timeout: float = 60.0) -> None:
        """Register the transactional.id: fences any older producer and aborts its transaction."""
        try:
            self._producer.init_transactions(timeout)
        except KafkaException as exc:
            self._raise(exc, "init_transactions")

    def begin(self) -> None:
        try:
            self._producer.begin_transaction()
        except KafkaException as exc:
            self._raise(exc, "begin_transaction")
        self.in_transaction = True

    def commit_transaction(self, offsets: Mapping[tuple[str, int], int] | None,
                           group_metadata: Any, timeout: float = 60.0, *,
                           metadata: Mapping[tuple[str, int], str] | None = None) -> None:
        """Send ``offsets`` (next offsets to read, each with its ``metadata`` string) with the
        transaction and commit it."""
        if not self.in_transaction:
            if not offsets:
                return
            self.begin()
        try:
            if offsets:
                tps = topic_partitions(offsets, metadata)
                self._producer.send_offsets_to_transaction(tps, group_metadata, timeout)
            self._producer.commit_transaction(timeout)
        except KafkaException as exc:
            self._raise(exc, "commit_transaction")
        self.in_transaction = False

    def abort_transaction(self, timeout: float = 30.0) -> None:
        if not self.in_transaction:
            return
        try:
            self._producer.abort_transaction(timeout)
        except KafkaException as exc:
            if not is_fenced(exc):
                log.warning("[%s] abort_transaction failed: %s", self.task_id, exc)
        self.in_transaction = False

    def _raise(self, exc: KafkaException, what: str) -> None:
        if is_fenced(exc):
            raise TaskMigratedException(
                f"task {self.task_id}: the producer was fenced during {what} ({exc}); another "
                f"instance owns the task now") from exc
        raise StreamsException(f"producer {what} failed: {exc}", task_id=self.task_id) from exc

    def partitions_for(self, topic: str, timeout: float = 10.0) -> int | None:
        md = self._producer.list_topics(timeout=timeout).topics.get(topic)
        if md is None or md.error is not None:
            return None
        return len(md.partitions)

    def close(self, timeout: float = 10.0) -> None:
        try:
            if self.in_transaction:
                self.abort_transaction(timeout)
            self._producer.flush(timeout)
        except Exception:  # closing must not hide the error that made us close
            log.exception("[%s] error closing the producer", self.task_id)
