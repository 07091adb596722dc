"""The test topics of the ``TopologyTestDriver`` (Kafka test-utils' ``TestInputTopic``,
``TestOutputTopic`` and ``TestRecord``): typed records piped in and read out."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from raystreams.engine.context import to_millis
from raystreams.errors import StreamsException
from raystreams.keyvalue import KeyValue
from raystreams.processor.api import Headers
from raystreams.serde import Serde

if TYPE_CHECKING:
    from raystreams.testing.driver import TopologyTestDriver


@dataclass
class TestRecord:
    """A record as a test writes or reads it (Kafka's TestRecord)."""

    __test__ = False  # not a pytest test class

    key: Any = None
    value: Any = None
    timestamp: int | None = None
    headers: Headers | list[tuple[str, bytes | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not isinstance(self.headers, Headers):
            self.headers = Headers(self.headers)

    @property
    def record_time(self) -> int | None:
        return self.timestamp


def _millis(value: datetime | timedelta | int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return to_millis(value, "timestamp")


_MISSING = object()


class TestInputTopic:
    """Pipes records into one topic of a driver (Kafka's TestInputTopic)."""

    __test__ = False

    def __init__(self, driver: TopologyTestDriver, name: str, key_serde: Serde,
                 value_serde: Serde, start_timestamp: int | None, auto_advance: int) -> None:
        self._driver = driver
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._current_time = start_timestamp if start_timestamp is not None else int(time.time() * 1000)
        self._advance = auto_advance

    def advance_time(self, advance: timedelta | int) -> None:
        ms = to_millis(advance, "advance")
        if ms < 0:
            raise StreamsException(f"advance must not be negative, got {ms}")
        self._current_time += ms

    def _timestamp(self, timestamp: datetime | int | None) -> int:
        if timestamp is not None:
            return _millis(timestamp)  # type: ignore[return-value]
        ts = self._current_time
        self._current_time += self._advance
        return ts

    def pipe_input(self, key: Any = _MISSING, value: Any = _MISSING,
                   timestamp: datetime | int | None = None,
                   headers: Headers | list[tuple[str, bytes | None]] | None = None) -> None:
        """``pipe_input(value)``, ``pipe_input(key, value[, timestamp])`` or ``pipe_input(TestRecord)``."""
        if isinstance(key, TestRecord) and value is _MISSING:
            record = key
            self._pipe(record.key, record.value, record.timestamp, record.headers)
            return
        if value is _MISSING:
            key, value = None, (None if key is _MISSING else key)
        elif key is _MISSING:
            key = None
        self._pipe(key, value, timestamp, headers)

    def _pipe(self, key: Any, value: Any, timestamp: datetime | int | None,
              headers: Headers | list[tuple[str, bytes | None]] | None) -> None:
        ts = self._timestamp(timestamp)
        hdrs = headers if isinstance(headers, Headers) else Headers(headers)
        self._driver.pipe_raw(self.name, self.key_serde.serialize(self.name, key),
                              self.value_serde.serialize(self.name, value), ts, hdrs)

    def pipe_value_list(self, values: Iterable[Any], start_timestamp: int | None = None,
                        advance: int | None = None) -> None:
        self._pipe_many(((None, v) for v in values), start_timestamp, advance)

    def pipe_key_value_list(self, pairs: Iterable[tuple[Any, Any]],
                            start_timestamp: int | None = None, advance: int | None = None) -> None:
        self._pipe_many(pairs, start_timestamp, advance)

    def _pipe_many(self, pairs: Iterable[tuple[Any, Any]], start: int | None,
                   advance: int | None) -> None:
        if start is None:
            for k, v in pairs:
                self._pipe(k, v, None, None)
            return
        ts = _millis(start)
        step = _millis(advance) or 0
        for k, v in pairs:
            self._pipe(k, v, ts, None)
            ts += step  # type: ignore[operator]

    def pipe_record_list(self, records: Iterable[TestRecord]) -> None:
        for record in records:
            self._pipe(record.key, record.value, record.timestamp, record.headers)

    def __repr__(self) -> str:
        return f"TestInputTopic[topic={self.name}]"


class TestOutputTopic:
    """Reads what a driver's sinks wrote to one topic (Kafka's TestOutputTopic)."""

    __test__ = False

    def __init__(self, driver: TopologyTestDriver, name: str, key_serde: Serde,
                 value_serde: Serde) -> None:
        self._driver = driver
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde

    def read_record(self) -> TestRecord:
        rec = self._driver._read(self.name)
        return TestRecord(self.key_serde.deserialize(self.name, rec.key),
                          self.value_serde.deserialize(self.name, rec.value),
                          rec.timestamp, rec.headers or Headers())

    def read_value(self) -> Any:
        return self.read_record().value

    def read_key_value(self) -> KeyValue:
        rec = self.read_record()
        return KeyValue(rec.key, rec.value)

    def read_records_to_list(self) -> list[TestRecord]:
        out = []
        while not self.is_empty():
            out.append(self.read_record())
        return out

    def read_values_to_list(self) -> list[Any]:
        return [r.value for r in self.read_records_to_list()]

    def read_key_values_to_list(self) -> list[KeyValue]:
        return [KeyValue(r.key, r.value) for r in self.read_records_to_list()]

    def read_key_values_to_map(self) -> dict[Any, Any]:
        """The last value per key; a null key raises, as Kafka's driver does."""
        result: dict[Any, Any] = {}
        for rec in self.read_records_to_list():
            if rec.key is None:
                raise StreamsException(f"read_key_values_to_map: a record of {self.name} has a "
                                       f"null key; use read_key_values_to_list instead")
            result[rec.key] = rec.value
        return result

    def get_queue_size(self) -> int:
        return self._driver._queue_size(self.name)

    def is_empty(self) -> bool:
        return self.get_queue_size() == 0

    def __repr__(self) -> str:
        return f"TestOutputTopic[topic={self.name}, size={self.get_queue_size()}]"
