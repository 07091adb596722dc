"""The Processor API: Record, Processor, ProcessorContext and punctuation (Kafka Streams' processor.api)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, runtime_checkable

from raystreams.errors import StreamsException

if TYPE_CHECKING:
    from datetime import timedelta

K = TypeVar("K")
V = TypeVar("V")
KOut = TypeVar("KOut")
VOut = TypeVar("VOut")


class Headers:
    """Ordered record headers; a key may repeat, as in Kafka. Values are bytes or None."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, bytes | None]] | Headers | None = None) -> None:
        if items is None:
            self._items: list[tuple[str, bytes | None]] = []
        elif isinstance(items, Headers):
            self._items = list(items._items)
        else:
            self._items = [(str(k), v if v is None else bytes(v)) for k, v in items]

    def add(self, key: str, value: bytes | str | None) -> Headers:
        if isinstance(value, str):
            value = value.encode()
        self._items.append((key, value))
        return self

    def remove(self, key: str) -> Headers:
        self._items = [item for item in self._items if item[0] != key]
        return self

    def last_header(self, key: str) -> bytes | None:
        for k, v in reversed(self._items):
            if k == key:
                return v
        return None

    def headers(self, key: str) -> list[bytes | None]:
        return [v for k, v in self._items if k == key]

    def to_list(self) -> list[tuple[str, bytes | None]]:
        return list(self._items)

    def copy(self) -> Headers:
        return Headers(self)

    def __iter__(self) -> Iterator[tuple[str, bytes | None]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._items == other._items
        if isinstance(other, list | tuple):
            return self._items == [tuple(x) for x in other]
        return NotImplemented

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


EMPTY_HEADERS = Headers()


class Record(Generic[K, V]):
    """One record flowing through a topology: key, value, timestamp (ms) and headers.

    Records are immutable by convention; ``with_key`` and friends return a copy with one
    field replaced. The headers object is shared between such copies (copy it before
    changing it), which keeps the hot path free of per-record header copies.
    """

    __slots__ = ("key", "value", "timestamp", "headers")

    def __init__(self, key: K, value: V, timestamp: int = 0,
                 headers: Headers | Iterable[tuple[str, bytes | None]] | None = None) -> None:
        if timestamp < 0:
            raise StreamsException(f"Malformed Record: timestamp may not be negative, got {timestamp}")
        self.key = key
        self.value = value
        self.timestamp = timestamp
        if headers is None:
            headers = Headers()
        elif not isinstance(headers, Headers):
            headers = Headers(headers)
        self.headers = headers

    def with_key(self, key: KOut) -> Record[KOut, V]:
        return _record(key, self.value, self.timestamp, self.headers)

    def with_value(self, value: VOut) -> Record[K, VOut]:
        return _record(self.key, value, self.timestamp, self.headers)

    def with_timestamp(self, timestamp: int) -> Record[K, V]:
        if timestamp < 0:
            raise StreamsException(f"Malformed Record: timestamp may not be negative, got {timestamp}")
        return _record(self.key, self.value, timestamp, self.headers)

    def with_headers(self, headers: Headers | Iterable[tuple[str, bytes | None]] | None) -> Record[K, V]:
        return Record(self.key, self.value, self.timestamp, Headers(headers))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.key == other.key and self.value == other.value
                and self.timestamp == other.timestamp and self.headers == other.headers)

    def __hash__(self) -> int:
        return hash((self.key, self.timestamp))

    def __repr__(self) -> str:
        return (f"Record(key={self.key!r}, value={self.value!r}, timestamp={self.timestamp}"
                + (f", headers={self.headers.to_list()!r})" if self.headers else ")"))


def _record(key: Any, value: Any, timestamp: int, headers: Headers) -> Record:
    # Fast path for the engine: skips validation of fields that are already valid.
    rec = Record.__new__(Record)
    rec.key = key
    rec.value = value
    rec.timestamp = timestamp
    rec.headers = headers
    return rec


@dataclass(frozen=True, slots=True)
class RecordMetadata:
    """Where the record being processed came from (None for punctuation-created records)."""

    topic: str | None
    partition: int | None
    offset: int | None


@dataclass(slots=True)
class RecordContext:
    """What the task knows about the input record being processed (Kafka's ProcessorRecordContext).

    State-store caches keep one of these per dirty entry, so that a cache flush forwards the
    entry with the timestamp, headers and origin of the write that produced it.
    """

    timestamp: int
    offset: int
    partition: int
    topic: str | None
    headers: Headers


class PunctuationType(enum.Enum):
    """What time drives a punctuator: stream time (record timestamps) or the wall clock."""

    STREAM_TIME = "STREAM_TIME"
    WALL_CLOCK_TIME = "WALL_CLOCK_TIME"


class Cancellable(Protocol):
    """Handle returned by ``ProcessorContext.schedule``."""

    def cancel(self) -> None: ...


Punctuator = Callable[[int], None]


@runtime_checkable
class ProcessorContext(Protocol[KOut, VOut]):
    """What a processor sees of its task (Kafka Streams' api.ProcessorContext)."""

    @property
    def application_id(self) -> str: ...

    @property
    def task_id(self) -> str: ...

    @property
    def app_configs(self) -> dict[str, Any]: ...

    def forward(self, record: Record[KOut, VOut], child: str | None = None) -> None: ...

    def schedule(self, interval: timedelta | int, type: PunctuationType,
                 callback: Punctuator) -> Cancellable: ...

    def get_state_store(self, name: str) -> Any: ...

    def commit(self) -> None: ...

    def record_metadata(self) -> RecordMetadata | None: ...

    def current_stream_time_ms(self) -> int: ...

    def current_system_time_ms(self) -> int: ...


class Processor(Generic[K, V, KOut, VOut]):
    """A user processor: ``init`` once, ``process`` per record, ``close`` at the end.

    Subclass it and override ``process``; ``init`` keeps the context as ``self.context``.
    """

    context: ProcessorContext[KOut, VOut]

    def init(self, context: ProcessorContext[KOut, VOut]) -> None:
        self.context = context

    def process(self, record: Record[K, V]) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement process(record)")

    def close(self) -> None:
        pass


class FixedKeyProcessor(Processor[K, V, K, VOut]):
    """A processor that may change values but never keys (``KStream.process_values``)."""


ProcessorSupplier = Callable[[], Processor]
