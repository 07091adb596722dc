"""Parameter objects of the DSL: Consumed, Produced, Grouped, Materialized, Named, ...

Each mirrors its Kafka Streams class. Java's ``with``/``as`` are Python keywords, so the
static factories are ``with_`` and ``as_``; every option can also be given as a keyword.
Like Kafka's, the ``with_*`` methods set the option and return the same object.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from raystreams.errors import TopologyException

_LEGAL = re.compile(r"^[a-zA-Z0-9._-]+$")
MAX_NAME_LENGTH = 249


def validate_name(name: str) -> str:
    """Kafka's Named.validate: legal topic characters, at most 249 of them."""
    if not isinstance(name, str) or not name:
        raise TopologyException(f"Name {name!r} is illegal, it can't be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise TopologyException(f"Name is illegal, it can't be longer than {MAX_NAME_LENGTH} "
                                f"characters, Name: {name}")
    if not _LEGAL.match(name):
        raise TopologyException(f'Name "{name}" is illegal, it contains a character other than '
                                f"ASCII alphanumerics, '.', '_' and '-'")
    return name


class Named:
    """An explicit name for the processor node an operation creates."""

    def __init__(self, name: str | None = None) -> None:
        self.name = validate_name(name) if name is not None else None

    @classmethod
    def as_(cls, name: str) -> Named:
        return cls(name)

    def with_name(self, name: str) -> Named:
        self.name = validate_name(name)
        return self

    def __repr__(self) -> str:
        return f"Named({self.name!r})"


class _Options:
    """Shared shape: a name plus serdes, with chainable setters."""

    name: str | None = None
    key_serde: Any = None
    value_serde: Any = None

    def with_name(self, name: str):  # noqa: ANN201 - returns the concrete subclass
        self.name = validate_name(name)
        return self

    def with_key_serde(self, serde: Any):  # noqa: ANN201
        self.key_serde = serde
        return self

    def with_value_serde(self, serde: Any):  # noqa: ANN201
        self.value_serde = serde
        return self

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if v is not None)
        return f"{type(self).__name__}({fields})"


class Consumed(_Options):
    """How a source reads a topic: serdes, timestamp extractor, offset reset, node name."""

    def __init__(self, key_serde: Any = None, value_serde: Any = None, *,
                 timestamp_extractor: Any = None,
                 offset_reset: Literal["earliest", "latest", "none"] | None = None,
                 name: str | None = None) -> None:
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.timestamp_extractor = timestamp_extractor
        self.offset_reset = offset_reset
        self.name = validate_name(name) if name is not None else None

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None, *,
              timestamp_extractor: Any = None, offset_reset: Any = None) -> Consumed:
        return cls(key_serde, value_serde, timestamp_extractor=timestamp_extractor,
                   offset_reset=offset_reset)

    @classmethod
    def as_(cls, name: str) -> Consumed:
        return cls(name=name)

    def with_timestamp_extractor(self, extractor: Any) -> Consumed:
        self.timestamp_extractor = extractor
        return self

    def with_offset_reset_policy(self, policy: str) -> Consumed:
        self.offset_reset = policy
        return self


class Produced(_Options):
    """How a sink writes a topic: serdes, partitioner, node name."""

    def __init__(self, key_serde: Any = None, value_serde: Any = None, *,
                 partitioner: Callable[..., int | None] | None = None,
                 name: str | None = None) -> None:
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.partitioner = partitioner
        self.name = validate_name(name) if name is not None else None

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None,
              partitioner: Callable[..., int | None] | None = None) -> Produced:
        return cls(key_serde, value_serde, partitioner=partitioner)

    @classmethod
    def as_(cls, name: str) -> Produced:
        return cls(name=name)

    @classmethod
    def stream_partitioner(cls, partitioner: Callable[..., int | None]) -> Produced:
        return cls(partitioner=partitioner)

    def with_stream_partitioner(self, partitioner: Callable[..., int | None]) -> Produced:
        self.partitioner = partitioner
        return self


class Repartitioned(_Options):
    """Options of ``KStream.repartition()``: topic name, serdes, partition count, partitioner."""

    def __init__(self, key_serde: Any = None, value_serde: Any = None, *,
                 name: str | None = None, num_partitions: int | None = None,
                 partitioner: Callable[..., int | None] | None = None) -> None:
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.name = validate_name(name) if name is not None else None
        if num_partitions is not None and num_partitions < 1:
            raise TopologyException(f"Repartitioned: number of partitions must be >= 1, "
                                    f"got {num_partitions}")
        self.num_partitions = num_partitions
        self.partitioner = partitioner

    @classmethod
    def as_(cls, name: str) -> Repartitioned:
        return cls(name=name)

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Repartitioned:
        return cls(key_serde, value_serde)

    @classmethod
    def number_of_partitions(cls, n: int) -> Repartitioned:
        return cls(num_partitions=n)

    def with_number_of_partitions(self, n: int) -> Repartitioned:
        if n < 1:
            raise TopologyException(f"Repartitioned: number of partitions must be >= 1, got {n}")
        self.num_partitions = n
        return self

    def with_stream_partitioner(self, partitioner: Callable[..., int | None]) -> Repartitioned:
        self.partitioner = partitioner
        return self


class Grouped(_Options):
    """Options of ``group_by``/``group_by_key``: serdes and the repartition topic's name."""

    def __init__(self, key_serde: Any = None, value_serde: Any = None, *,
                 name: str | None = None) -> None:
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.name = validate_name(name) if name is not None else None

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Grouped:
        return cls(key_serde, value_serde)

    @classmethod
    def as_(cls, name: str) -> Grouped:
        return cls(name=name)


StoreType = Literal["rocks_db", "in_memory"]


class Materialized(_Options):
    """How a KTable or aggregation is stored: store name (queryable), serdes, caching, logging."""

    def __init__(self, name: str | None = None, key_serde: Any = None, value_serde: Any = None,
                 *, store_supplier: Any = None, caching_enabled: bool = True,
                 logging_enabled: bool = True, topic_config: dict[str, str] | None = None,
                 retention: timedelta | int | None = None,
                 store_type: StoreType | None = None) -> None:
        self.store_name = validate_name(name) if name is not None else None
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.store_supplier = store_supplier
        if store_supplier is not None and self.store_name is None:
            self.store_name = getattr(store_supplier, "name", None)
        self.caching_enabled = caching_enabled
        self.logging_enabled = logging_enabled
        self.topic_config = dict(topic_config or {})
        self.retention = retention
        if store_type not in (None, "rocks_db", "in_memory"):
            raise TopologyException(f"Materialized: store type must be 'rocks_db' or "
                                    f"'in_memory', got {store_type!r}")
        self.store_type = store_type

    @property
    def name(self) -> str | None:  # type: ignore[override]
        return self.store_name

    @name.setter
    def name(self, value: str | None) -> None:
        self.store_name = value

    @classmethod
    def as_(cls, name_or_supplier: Any) -> Materialized:
        if isinstance(name_or_supplier, str):
            return cls(name_or_supplier)
        if name_or_supplier in ("rocks_db", "in_memory"):
            return cls(store_type=name_or_supplier)
        return cls(store_supplier=name_or_supplier)

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None) -> Materialized:
        return cls(None, key_serde, value_serde)

    def with_caching_enabled(self) -> Materialized:
        self.caching_enabled = True
        return self

    def with_caching_disabled(self) -> Materialized:
        self.caching_enabled = False
        return self

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> Materialized:
        self.logging_enabled = True
        self.topic_config = dict(config or {})
        return self

    def with_logging_disabled(self) -> Materialized:
        self.logging_enabled = False
        self.topic_config = {}
        return self

    def with_retention(self, retention: timedelta | int) -> Materialized:
        self.retention = retention
        return self

    def with_store_type(self, store_type: StoreType) -> Materialized:
        if store_type not in ("rocks_db", "in_memory"):
            raise TopologyException(f"Materialized: store type must be 'rocks_db' or "
                                    f"'in_memory', got {store_type!r}")
        self.store_type = store_type
        return self


class Joined(_Options):
    """Serdes and name of a stream-table join."""

    def __init__(self, key_serde: Any = None, value_serde: Any = None,
                 other_value_serde: Any = None, *, name: str | None = None,
                 grace_period: timedelta | int | None = None) -> None:
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.other_value_serde = other_value_serde
        self.name = validate_name(name) if name is not None else None
        self.grace_period = grace_period

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None,
              other_value_serde: Any = None) -> Joined:
        return cls(key_serde, value_serde, other_value_serde)

    @classmethod
    def as_(cls, name: str) -> Joined:
        return cls(name=name)

    def with_other_value_serde(self, serde: Any) -> Joined:
        self.other_value_serde = serde
        return self

    def with_grace_period(self, grace: timedelta | int) -> Joined:
        self.grace_period = grace
        return self


class StreamJoined(_Options):
    """Serdes, store names and options of a stream-stream join."""

    def __init__(self, key_serde: Any = None, value_serde: Any = None,
                 other_value_serde: Any = None, *, name: str | None = None,
                 store_name: str | None = None, logging_enabled: bool = True,
                 topic_config: dict[str, str] | None = None,
                 this_store_supplier: Any = None, other_store_supplier: Any = None) -> None:
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.other_value_serde = other_value_serde
        self.name = validate_name(name) if name is not None else None
        self.store_name = validate_name(store_name) if store_name is not None else None
        self.logging_enabled = logging_enabled
        self.topic_config = dict(topic_config or {})
        self.this_store_supplier = this_store_supplier
        self.other_store_supplier = other_store_supplier

    @classmethod
    def with_(cls, key_serde: Any = None, value_serde: Any = None,
              other_value_serde: Any = None) -> StreamJoined:
        return cls(key_serde, value_serde, other_value_serde)

    @classmethod
    def as_(cls, store_name: str) -> StreamJoined:
        return cls(store_name=store_name)

    def with_store_name(self, store_name: str) -> StreamJoined:
        self.store_name = validate_name(store_name)
        return self

    def with_other_value_serde(self, serde: Any) -> StreamJoined:
        self.other_value_serde = serde
        return self

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> StreamJoined:
        self.logging_enabled = True
        self.topic_config = dict(config or {})
        return self

    def with_logging_disabled(self) -> StreamJoined:
        self.logging_enabled = False
        return self


class Branched:
    """One branch of ``split()``: its name suffix and an optional function or consumer."""

    def __init__(self, name: str | None = None, *, function: Callable[[Any], Any] | None = None,
                 consumer: Callable[[Any], None] | None = None) -> None:
        if function is not None and consumer is not None:
            raise TopologyException("Branched takes a function or a consumer, not both")
        self.name = name
        self.function = function
        self.consumer = consumer

    @classmethod
    def as_(cls, name: str) -> Branched:
        return cls(name)

    @classmethod
    def with_function(cls, function: Callable[[Any], Any], name: str | None = None) -> Branched:
        return cls(name, function=function)

    @classmethod
    def with_consumer(cls, consumer: Callable[[Any], None], name: str | None = None) -> Branched:
        return cls(name, consumer=consumer)


class Printed:
    """Where ``KStream.print`` writes: stdout (default) or a file, with a label and a mapper."""

    def __init__(self, *, path: str | None = None, stream: Any = None, label: str | None = None,
                 mapper: Callable[[Any, Any], str] | None = None,
                 name: str | None = None) -> None:
        self.path = path
        self.stream = stream
        self.label = label
        self.mapper = mapper
        self.name = validate_name(name) if name is not None else None

    @classmethod
    def to_sys_out(cls) -> Printed:
        return cls()

    @classmethod
    def to_file(cls, path: str) -> Printed:
        if not path:
            raise TopologyException("Printed.to_file: the file path cannot be empty")
        return cls(path=path)

    @classmethod
    def to_stream(cls, stream: Any) -> Printed:
        return cls(stream=stream)

    def with_label(self, label: str) -> Printed:
        self.label = label
        return self

    def with_key_value_mapper(self, mapper: Callable[[Any, Any], str]) -> Printed:
        self.mapper = mapper
        return self

    def with_name(self, name: str) -> Printed:
        self.name = validate_name(name)
        return self
