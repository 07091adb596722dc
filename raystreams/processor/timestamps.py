"""Timestamp extractors: how a source decides a record's event time (Kafka's TimestampExtractor)."""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from raystreams.errors import StreamsException

log = logging.getLogger(__name__)


class TimestampExtractor(Protocol):
    """``extract(record, partition_time)`` returns the record's timestamp in ms; < 0 drops it."""

    def extract(self, record: Any, partition_time: int) -> int: ...


class FailOnInvalidTimestamp:
    """The default: the record's own timestamp; a negative one stops processing."""

    def extract(self, record: Any, partition_time: int) -> int:
        ts = record.timestamp
        if ts < 0:
            raise StreamsException(
                f"Input record has invalid (negative) timestamp {ts}. Use a different "
                f"default.timestamp.extractor (e.g. log_and_skip_on_invalid) to skip "
                f"such records.", topic=record.topic, partition=record.partition,
                offset=record.offset)
        return ts


class LogAndSkipOnInvalidTimestamp:
    """The record's timestamp; a negative one is logged and the record skipped."""

    def extract(self, record: Any, partition_time: int) -> int:
        ts = record.timestamp
        if ts < 0:
            log.warning("Skipping record with invalid timestamp %d (topic %s, partition %s, "
                        "offset %s)", ts, record.topic, record.partition, record.offset)
        return ts


class UsePartitionTimeOnInvalidTimestamp:
    """The record's timestamp, or the partition's time so far when it is negative."""

    def extract(self, record: Any, partition_time: int) -> int:
        ts = record.timestamp
        if ts >= 0:
            return ts
        if partition_time < 0:
            raise StreamsException(
                "Could not infer new timestamp for input record because partition time is "
                "unknown.", topic=record.topic, partition=record.partition, offset=record.offset)
        return partition_time


class WallclockTimestampExtractor:
    """Processing time: the wall clock when the record is read."""

    def extract(self, record: Any, partition_time: int) -> int:
        return int(time.time() * 1000)


class _FunctionExtractor:
    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def extract(self, record: Any, partition_time: int) -> int:
        return self.fn(record, partition_time)


_BY_NAME = {
    "fail_on_invalid": FailOnInvalidTimestamp,
    "log_and_skip_on_invalid": LogAndSkipOnInvalidTimestamp,
    "use_partition_time_on_invalid": UsePartitionTimeOnInvalidTimestamp,
    "fail_on_invalid_timestamp": FailOnInvalidTimestamp,
    "failoninvalidtimestamp": FailOnInvalidTimestamp,
    "log_and_skip_on_invalid_timestamp": LogAndSkipOnInvalidTimestamp,
    "logandskiponinvalidtimestamp": LogAndSkipOnInvalidTimestamp,
    "use_partition_time_on_invalid_timestamp": UsePartitionTimeOnInvalidTimestamp,
    "usepartitiontimeoninvalidtimestamp": UsePartitionTimeOnInvalidTimestamp,
    "wall_clock": WallclockTimestampExtractor,
    "wallclocktimestampextractor": WallclockTimestampExtractor,
    "record": FailOnInvalidTimestamp,
}


def resolve_timestamp_extractor(value: Any) -> TimestampExtractor:
    """An extractor from an instance, a class, a ``(record, partition_time)`` function or a name."""
    if value is None:
        return FailOnInvalidTimestamp()
    if hasattr(value, "extract") and not isinstance(value, type):
        return value
    if isinstance(value, type):
        return value()
    if isinstance(value, str):
        key = value.rsplit(".", 1)[-1].lower()
        if key in _BY_NAME:
            return _BY_NAME[key]()
        raise StreamsException(
            f"unknown timestamp extractor {value!r}; use one of "
            f"fail_on_invalid, log_and_skip_on_invalid, use_partition_time_on_invalid, "
            f"wall_clock, or a callable")
    if callable(value):
        return _FunctionExtractor(value)
    raise StreamsException(f"not a timestamp extractor: {value!r}")
