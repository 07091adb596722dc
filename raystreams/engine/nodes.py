"""Runtime nodes of one task: each wraps a Processor instance and knows its children; and
``instantiate_nodes``, which makes them from the task's ``ProcessorTopology``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Processor, Record
from raystreams.processor.timestamps import resolve_timestamp_extractor
from raystreams.topology.nodes import ProcessorSpec, SinkSpec, SourceSpec
from raystreams.topology.processor_topology import ProcessorTopology

if TYPE_CHECKING:
    from raystreams.engine.context import TaskContext


class ProcessorNode:
    """A processor in a built task: ``process`` is the processor's bound method (hot path)."""

    __slots__ = ("name", "processor", "children", "children_by_name", "process", "stores",
                 "fixed_key", "records")

    def __init__(self, name: str, processor: Processor, stores: list[str] | None = None,
                 fixed_key: bool = False) -> None:
        self.name = name
        self.processor = processor
        self.children: list[ProcessorNode] = []
        self.children_by_name: dict[str, ProcessorNode] = {}
        self.process: Callable[[Record], None] = processor.process
        self.stores = stores or []
        self.fixed_key = fixed_key
        #: records this node received (the inspector's per-node records/s)
        self.records = 0

    def add_child(self, child: ProcessorNode) -> None:
        self.children.append(child)
        self.children_by_name[child.name] = child

    def init(self, context: TaskContext) -> None:
        self.processor.init(context)
        # a processor may swap its bound method during init (fusion, fast paths)
        self.process = self.processor.process

    def close(self) -> None:
        self.processor.close()

    def __repr__(self) -> str:
        return f"ProcessorNode({self.name!r})"


class SourceProcessor(Processor):
    """Forwards what the record queue deserialized; deserializers live here (Kafka's SourceNode)."""

    def __init__(self, name: str, key_serde: Any, value_serde: Any, extractor: Any) -> None:
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.extractor = extractor

    def init(self, context: TaskContext) -> None:  # type: ignore[override]
        self.context = context
        self.process = context.forward  # type: ignore[method-assign]

    def process(self, record: Record) -> None:  # replaced at init
        self.context.forward(record)


class SinkProcessor(Processor):
    """Serializes records and hands them to the task's record collector (Kafka's SinkNode)."""

    def __init__(self, name: str, topic: str | None, topic_extractor: Any, key_serde: Any,
                 value_serde: Any, partitioner: Any) -> None:
        self.name = name
        self.topic = topic
        self.topic_extractor = topic_extractor
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.partitioner = partitioner

    def init(self, context: TaskContext) -> None:  # type: ignore[override]
        self.context = context
        # the task's record collector serializes, sends and judges errors (Kafka's SinkNode
        # hands the serializers to RecordCollector.send the same way)
        self._send = context.collector.serialize_and_send
        self._ser_key = self.key_serde.serialize
        self._ser_value = self.value_serde.serialize
        if self.topic_extractor is None and self.partitioner is None:
            self.process = self._process_static  # type: ignore[method-assign]

    def _process_static(self, record: Record) -> None:
        self._send(self.topic, record.key, record.value, record.headers, None, record.timestamp,
                   self._ser_key, self._ser_value, self.name)

    def process(self, record: Record) -> None:
        ctx = self.context
        topic = self.topic
        if topic is None:
            topic = self.topic_extractor(record.key, record.value, ctx.record_context)
            if not isinstance(topic, str) or not topic:
                raise StreamsException(f"topic extractor returned {topic!r}, not a topic name",
                                       processor=self.name)
            topic = ctx.resolve_topic(topic)
        partition = None
        if self.partitioner is not None:
            n = ctx.collector.partitions_for(topic)
            if n is not None:
                partition = self.partitioner(topic, record.key, record.value, n)
                if partition is not None and not 0 <= partition < n:
                    raise StreamsException(
                        f"partitioner returned partition {partition} but topic {topic} has "
                        f"{n} partitions", processor=self.name)
        self._send(topic, record.key, record.value, record.headers, partition, record.timestamp,
                   self._ser_key, self._ser_value, self.name)


def instantiate_nodes(plan: ProcessorTopology, default_key_serde: Any, default_value_serde: Any,
                      default_extractor: Any
                      ) -> tuple[dict[str, ProcessorNode], dict[str, ProcessorNode]]:
    """One node per spec of ``plan`` (a new Processor from each processor supplier), wired to
    its children; returns the nodes by name and the source nodes by (decorated) topic."""
    nodes: dict[str, ProcessorNode] = {}
    for name in plan.node_names:
        spec = plan.specs[name]
        if isinstance(spec, SourceSpec):
            extractor = (resolve_timestamp_extractor(spec.timestamp_extractor)
                         if spec.timestamp_extractor is not None else default_extractor)
            node = ProcessorNode(name, SourceProcessor(
                name, spec.key_serde or default_key_serde,
                spec.value_serde or default_value_serde, extractor))
        elif isinstance(spec, SinkSpec):
            node = ProcessorNode(name, SinkProcessor(
                name, plan.sink_topics.get(name), spec.topic_extractor,
                spec.key_serde or default_key_serde, spec.value_serde or default_value_serde,
                spec.partitioner))
        else:
            assert isinstance(spec, ProcessorSpec)
            processor = spec.supplier()
            if not callable(getattr(processor, "process", None)):
                raise StreamsException(
                    f"the supplier of processor {name} returned {processor!r}, which has no "
                    f"process(record) method", processor=name)
            node = ProcessorNode(name, processor, list(spec.stores), spec.fixed_key)
        nodes[name] = node
    for name in plan.node_names:
        for child in plan.children[name]:
            nodes[name].add_child(nodes[child])
    return nodes, {topic: nodes[source] for topic, source in plan.source_topics.items()}
