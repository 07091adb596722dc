"""Consumers for the runtime: ``assign()``-only, batched, with fast-fetch defaults.

Task actors never ``subscribe()`` (DESIGN decision 3): the supervisor gives each task its
partitions and the task ``assign()``s them at the offsets committed under the group
``application.id``. Records leave here as the engine's ``ConsumerRecord``s, grouped per
partition, one ``consume(num_messages=...)`` call per batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_INVALID,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)

from raystreams.config import StreamsConfig
from raystreams.engine.records import ConsumerRecord
from raystreams.errors import StreamsException
from raystreams.kafka.protocols import ConsumerLike, MessageLike

log = logging.getLogger(__name__)

#: Defaults under every runtime consumer (the user's ``consumer.*`` settings win). A caught-up
#: fetch on the embedded broker waits ``fetch.wait.max.ms``, and librdkafka backs off
#: ``fetch.queue.backoff.ms`` between fetches: both must be small (DESIGN, embedded broker notes).
FAST_FETCH_DEFAULTS: dict[str, Any] = {
    "fetch.wait.max.ms": 10,
    "fetch.queue.backoff.ms": 10,
    "enable.partition.eof": False,
    "topic.metadata.refresh.interval.ms": 30_000,
}

Partition = tuple[str, int]
T = TypeVar("T")


def consumer_config(config: StreamsConfig, kind: str = "main", *,
                    client_id: str | None = None,
                    overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The confluent-kafka config of a runtime consumer: fast-fetch defaults, then the app's."""
    props = dict(FAST_FETCH_DEFAULTS)
    configured = config.consumer_configs(kind, client_id=client_id)  # type: ignore[arg-type]
    props.update(configured)
    if overrides:
        props.update(overrides)
    if kind == "restore":
        # A restore ends at the end offset a read_committed consumer sees (issue 8).
        props["isolation.level"] = "read_committed"
    return props


def create_consumer(config: StreamsConfig, kind: str = "main", *, client_id: str | None = None,
                    overrides: Mapping[str, Any] | None = None) -> Consumer:
    """A confluent-kafka ``Consumer`` for ``kind`` (``main``, ``restore`` or ``global``)."""
    return Consumer(consumer_config(config, kind, client_id=client_id, overrides=overrides))


def to_records(messages: Iterable[MessageLike]) -> tuple[dict[Partition, list[ConsumerRecord]],
                                                          list[Any]]:
    """Split a consumed batch into records per partition and error events.

    ``_PARTITION_EOF`` events are returned among the errors; the caller decides.
    """
    batches: dict[Partition, list[ConsumerRecord]] = {}
    errors: list[Any] = []
    make = ConsumerRecord
    last_key: Partition | None = None
    batch: list[ConsumerRecord] = []
    for msg in messages:
        if msg.error() is not None:
            errors.append(msg)
            continue
        topic = msg.topic()
        partition = msg.partition()
        ts_type, ts = msg.timestamp()
        record = make(topic, partition, msg.offset(), ts if ts_type else -1,  # type: ignore[arg-type]
                      msg.key(), msg.value(), msg.headers())
        key = (topic, partition)
        if key != last_key:  # a batch mostly holds runs of one partition
            batch = batches.get(key)  # type: ignore[assignment]
            if batch is None:
                batch = batches[key] = []
            last_key = key
        batch.append(record)
    return batches, errors


def is_partition_eof(msg: MessageLike) -> bool:
    err = msg.error()
    return err is not None and err.code() == KafkaError._PARTITION_EOF


def raise_for_errors(errors: Iterable[MessageLike], *, task_id: str | None = None) -> None:
    """Raise the first consumer error that is neither EOF nor retriable."""
    for msg in errors:
        err = msg.error()
        if err is None or err.code() == KafkaError._PARTITION_EOF:
            continue
        if err.retriable() and not err.fatal():
            log.warning("[%s] retriable consumer error: %s", task_id, err.str())
            continue
        raise StreamsException(f"consumer error: {err.str()}", task_id=task_id,
                               topic=msg.topic(), partition=msg.partition())


def topic_partitions(offsets: Mapping[Partition, int],
                     metadata: Mapping[Partition, str] | None = None) -> list[TopicPartition]:
    """``TopicPartition``s to commit: each offset with its metadata string, if it has one."""
    meta = metadata or {}
    result = []
    for (topic, partition), offset in offsets.items():
        text = meta.get((topic, partition))
        result.append(TopicPartition(topic, partition, offset) if text is None
                      else TopicPartition(topic, partition, offset, text))
    return result


def committed_with_metadata(consumer: ConsumerLike, partitions: Iterable[Partition],
                            timeout: float = 30.0) -> dict[Partition, tuple[int | None, str | None]]:
    """``(offset, metadata)`` committed under the consumer's group per partition; ``(None,
    None)`` where nothing is committed."""
    tps = [TopicPartition(t, p) for t, p in partitions]
    if not tps:
        return {}
    result: dict[Partition, tuple[int | None, str | None]] = {}
    for tp in retry(lambda: consumer.committed(tps, timeout=timeout), "read committed offsets",
                    timeout):
        if tp.error is not None:
            raise StreamsException(f"cannot read the committed offset of {tp.topic}-"
                                   f"{tp.partition}: {tp.error}", topic=tp.topic,
                                   partition=tp.partition)
        if tp.offset >= 0:
            result[(tp.topic, tp.partition)] = (tp.offset, getattr(tp, "metadata", None) or None)
        else:
            result[(tp.topic, tp.partition)] = (None, None)
    return result


def committed_offsets(consumer: ConsumerLike, partitions: Iterable[Partition],
                      timeout: float = 30.0) -> dict[Partition, int | None]:
    """The offsets committed under the consumer's group; ``None`` where nothing is committed."""
    return {tp: offset for tp, (offset, _) in
            committed_with_metadata(consumer, partitions, timeout).items()}


def retry(call: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """Run ``call``, retrying retriable Kafka errors (coordinator moves/loads) until ``timeout``."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        try:
            return call()
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            retriable = getattr(err, "retriable", lambda: False)() or getattr(
                err, "code", lambda: None)() in _RETRY_CODES
            if not retriable or time.monotonic() + delay > deadline:
                raise
            log.info("retrying %s after %s", what, err)
            time.sleep(delay)
            delay = min(1.0, delay * 2)


_RETRY_CODES = {KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                KafkaError.COORDINATOR_NOT_AVAILABLE, KafkaError._TIMED_OUT,
                KafkaError.REQUEST_TIMED_OUT, KafkaError._TRANSPORT}


def assign_from_committed(consumer: ConsumerLike, partitions: Iterable[Partition],
                          timeout: float = 30.0, *,
                          committed: dict[Partition, int | None] | None = None,
                          ) -> dict[Partition, int | None]:
    """``assign()`` ``partitions`` at their committed offsets (else ``auto.offset.reset``);
    ``committed`` when they were read already."""
    if committed is None:
        committed = committed_offsets(consumer, partitions, timeout)
    consumer.assign([TopicPartition(t, p, off if off is not None else OFFSET_INVALID)
                     for (t, p), off in committed.items()])
    return committed


def warn_offsets_out_of_range(consumer: ConsumerLike, committed: dict[Partition, int | None],
                              reset: str, *, task_id: str | None = None,
                              timeout: float = 10.0) -> list[Partition]:
    """Warn, naming the partition, about each committed offset no longer on the broker
    (deleted by retention or ``delete_records``): ``auto.offset.reset`` applies there, as
    in Kafka's consumer. Returns those partitions."""
    gone = []
    for (topic, partition), offset in committed.items():
        if offset is None or offset < 0:
            continue
        try:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition),
                                                       timeout=timeout, cached=False)
        except Exception as exc:  # only a warning is at stake: the fetch resets anyway
            log.debug("[%s] no watermarks for %s-%d: %s", task_id, topic, partition, exc)
            continue
        if low >= 0 and (offset < low or 0 <= high < offset):
            gone.append((topic, partition))
            log.warning("[%s] The committed offset %d of partition %s-%d is no longer on the "
                        "broker (offsets %d..%d remain, the rest was deleted by retention): "
                        "auto.offset.reset=%s applies and records were skipped", task_id,
                        offset, topic, partition, low, high, reset)
    return gone


def end_offset(consumer: ConsumerLike, topic: str, partition: int, *,
               timeout: float = 10.0, cached: bool = False) -> int:
    """The partition's end offset as this consumer's isolation level sees it (LSO under
    read_committed). ``cached=True`` reads the high watermark the last fetch carried: the
    only correct one on the embedded broker (DESIGN)."""
    tp = TopicPartition(topic, partition)
    marks = consumer.get_watermark_offsets(tp, timeout=timeout, cached=cached)
    if marks is None:
        return -1
    return int(marks[1])


def positions(consumer: ConsumerLike, partitions: Iterable[Partition]) -> dict[Partition, int]:
    """The consumer's next fetch offsets (``-1`` when it has none yet)."""
    tps = [TopicPartition(t, p) for t, p in partitions]
    if not tps:
        return {}
    return {(tp.topic, tp.partition): tp.offset for tp in consumer.position(tps)}


__all__ = ["FAST_FETCH_DEFAULTS", "OFFSET_BEGINNING", "Partition", "assign_from_committed",
           "committed_offsets", "committed_with_metadata", "consumer_config",
           "topic_partitions", "create_consumer", "end_offset", "warn_offsets_out_of_range",
           "is_partition_eof", "positions", "raise_for_errors", "retry", "to_records"]
