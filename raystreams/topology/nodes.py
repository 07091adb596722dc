"""Node specs of the logical plan: what each source, processor and sink of a Topology is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SourceSpec:
    """A source node: reads topics (or a pattern) and deserializes their records."""

    name: str
    topics: list[str]
    key_serde: Any = None
    value_serde: Any = None
    timestamp_extractor: Any = None
    offset_reset: str | None = None
    pattern: Any = None  # a compiled re.Pattern when subscribed by pattern

    predecessors: tuple[str, ...] = ()


@dataclass
class ProcessorSpec:
    """A processor node: ``supplier()`` makes one Processor instance per task."""

    name: str
    supplier: Callable[[], Any]
    predecessors: tuple[str, ...]
    stores: list[str] = field(default_factory=list)
    fixed_key: bool = False
    # Built-in stateless processors may be fused with their neighbours; user ones never are.
    fusable: bool = False


@dataclass
class SinkSpec:
    """A sink node: serializes records and sends them to a topic (or a topic chosen per record)."""

    name: str
    topic: str | None
    topic_extractor: Callable[..., str] | None
    predecessors: tuple[str, ...]
    key_serde: Any = None
    value_serde: Any = None
    partitioner: Callable[..., int | None] | None = None


@dataclass
class StoreSpec:
    """A state store registered with the topology and the processors connected to it."""

    builder: Any
    users: list[str] = field(default_factory=list)
    is_global: bool = False
    global_topic: str | None = None

    @property
    def name(self) -> str:
        return self.builder.name


NodeSpec = SourceSpec | ProcessorSpec | SinkSpec
