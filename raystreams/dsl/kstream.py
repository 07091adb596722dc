"""KStream: a record stream and its stateless operations (Kafka Streams' KStream)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.graph import GraphNode, ProcessorGraphNode, RepartitionGraphNode, SinkGraphNode
from raystreams.dsl.kstream_joins import KStreamJoinsMixin
from raystreams.dsl.kstream_stateful import KStreamStatefulMixin
from raystreams.dsl.params import Named, Printed, Produced, Repartitioned
from raystreams.errors import TopologyException
from raystreams.processor import stateless as sp
from raystreams.processor.stateless import ProcessValuesGuard

if TYPE_CHECKING:
    from raystreams.dsl.branched import BranchedKStream
    from raystreams.dsl.builder import StreamsBuilder

FILTER_NAME = "KSTREAM-FILTER-"
PEEK_NAME = "KSTREAM-PEEK-"
FLATMAP_NAME = "KSTREAM-FLATMAP-"
FLATMAPVALUES_NAME = "KSTREAM-FLATMAPVALUES-"
MAP_NAME = "KSTREAM-MAP-"
MAPVALUES_NAME = "KSTREAM-MAPVALUES-"
PROCESSOR_NAME = "KSTREAM-PROCESSOR-"
PROCESSVALUES_NAME = "KSTREAM-PROCESSVALUES-"
PRINTING_NAME = "KSTREAM-PRINTER-"
KEY_SELECT_NAME = "KSTREAM-KEY-SELECT-"
FOREACH_NAME = "KSTREAM-FOREACH-"
MERGE_NAME = "KSTREAM-MERGE-"
SINK_NAME = "KSTREAM-SINK-"
SOURCE_NAME = "KSTREAM-SOURCE-"
REPARTITION_NAME = "KSTREAM-REPARTITION-"
BRANCH_NAME = "KSTREAM-BRANCH-"
BRANCHCHILD_NAME = "KSTREAM-BRANCHCHILD-"
REPARTITION_TOPIC_SUFFIX = "-repartition"


def _check_fn(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TopologyException(f"{what} must be callable, got {fn!r}")


def _named(named: Named | str | None) -> str | None:
    if named is None:
        return None
    if isinstance(named, str):
        return Named(named).name
    if isinstance(named, Named):
        return named.name
    raise TopologyException(f"named must be a Named or a string, got {named!r}")


class _Supplier:
    """A picklable processor supplier: class plus constructor arguments."""

    __slots__ = ("cls", "args", "kwargs")

    def __init__(self, cls: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.cls = cls
        self.args = args
        self.kwargs = kwargs

    def __call__(self) -> Any:
        return self.cls(*self.args, **self.kwargs)


class AbstractStream:
    """State every DSL stream/table handle carries: node name, serdes, graph node, builder."""

    def __init__(self, name: str, key_serde: Any, value_serde: Any, source_nodes: set[str],
                 graph_node: GraphNode, builder: StreamsBuilder) -> None:
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.source_nodes = set(source_nodes)
        self.graph_node = graph_node
        self.builder = builder


class KStream(KStreamStatefulMixin, KStreamJoinsMixin, AbstractStream):
    """An unbounded stream of key-value records.

    Each operation adds a node to the builder's graph and returns a new KStream; nothing runs
    until the built Topology is started (or piped through a TopologyTestDriver).
    """

    def __init__(self, name: str, key_serde: Any, value_serde: Any, source_nodes: set[str],
                 repartition_required: bool, graph_node: GraphNode,
                 builder: StreamsBuilder) -> None:
        super().__init__(name, key_serde, value_serde, source_nodes, graph_node, builder)
        self.repartition_required = repartition_required

    def _add(self, node: ProcessorGraphNode, *, key_serde: Any, value_serde: Any,
             repartition: bool) -> KStream:
        self.builder.add_graph_node(self.graph_node, node)
        return KStream(node.name, key_serde, value_serde, self.source_nodes, repartition, node,
                       self.builder)

    # ------------------------------------------------------------ stateless
    def filter(self, predicate: Callable[[Any, Any], bool], named: Named | str | None = None) -> KStream:
        """Keep the records for which ``predicate(key, value)`` is true."""
        _check_fn(predicate, "filter()'s predicate")
        name = self.builder.name_or_generate(_named(named), FILTER_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.FilterProcessor, predicate, False), fusable=True)
        return self._add(node, key_serde=self.key_serde, value_serde=self.value_serde,
                         repartition=self.repartition_required)

    def filter_not(self, predicate: Callable[[Any, Any], bool],
                   named: Named | str | None = None) -> KStream:
        """Drop the records for which ``predicate(key, value)`` is true."""
        _check_fn(predicate, "filter_not()'s predicate")
        name = self.builder.name_or_generate(_named(named), FILTER_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.FilterProcessor, predicate, True), fusable=True)
        return self._add(node, key_serde=self.key_serde, value_serde=self.value_serde,
                         repartition=self.repartition_required)

    def select_key(self, mapper: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """Give each record the key ``mapper(key, value)``; marks the stream for repartitioning."""
        _check_fn(mapper, "select_key()'s mapper")
        name = self.builder.name_or_generate(_named(named), KEY_SELECT_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.SelectKeyProcessor, mapper), fusable=True)
        node.key_changing = True
        return self._add(node, key_serde=None, value_serde=self.value_serde, repartition=True)

    def map(self, mapper: Callable[[Any, Any], tuple[Any, Any]],
            named: Named | str | None = None) -> KStream:
        """Replace each record by ``mapper(key, value) -> (key, value)``; marks for repartitioning."""
        _check_fn(mapper, "map()'s mapper")
        name = self.builder.name_or_generate(_named(named), MAP_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.MapProcessor, mapper), fusable=True)
        node.key_changing = True
        return self._add(node, key_serde=None, value_serde=None, repartition=True)

    def map_values(self, mapper: Callable[..., Any], named: Named | str | None = None, *,
                   with_key: bool = False) -> KStream:
        """Replace each value by ``mapper(value)`` (``mapper(key, value)`` with ``with_key``)."""
        _check_fn(mapper, "map_values()'s mapper")
        name = self.builder.name_or_generate(_named(named), MAPVALUES_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.MapValuesProcessor, mapper, with_key),
                                  fusable=True)
        node.value_changing = True
        return self._add(node, key_serde=self.key_serde, value_serde=None,
                         repartition=self.repartition_required)

    def flat_map(self, mapper: Callable[[Any, Any], Iterable[tuple[Any, Any]]],
                 named: Named | str | None = None) -> KStream:
        """Replace each record by the ``(key, value)`` pairs ``mapper(key, value)`` returns."""
        _check_fn(mapper, "flat_map()'s mapper")
        name = self.builder.name_or_generate(_named(named), FLATMAP_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.FlatMapProcessor, mapper), fusable=True)
        node.key_changing = True
        return self._add(node, key_serde=None, value_serde=None, repartition=True)

    def flat_map_values(self, mapper: Callable[..., Iterable[Any]],
                        named: Named | str | None = None, *, with_key: bool = False) -> KStream:
        """Replace each record by one record per value of ``mapper(value)``, keeping the key."""
        _check_fn(mapper, "flat_map_values()'s mapper")
        name = self.builder.name_or_generate(_named(named), FLATMAPVALUES_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.FlatMapValuesProcessor, mapper, with_key),
                                  fusable=True)
        node.value_changing = True
        return self._add(node, key_serde=self.key_serde, value_serde=None,
                         repartition=self.repartition_required)

    def peek(self, action: Callable[[Any, Any], Any], named: Named | str | None = None) -> KStream:
        """Call ``action(key, value)`` for each record and pass it on unchanged."""
        _check_fn(action, "peek()'s action")
        name = self.builder.name_or_generate(_named(named), PEEK_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.PeekProcessor, action), fusable=True)
        return self._add(node, key_serde=self.key_serde, value_serde=self.value_serde,
                         repartition=self.repartition_required)

    def foreach(self, action: Callable[[Any, Any], Any], named: Named | str | None = None) -> None:
        """Call ``action(key, value)`` for each record; ends the stream."""
        _check_fn(action, "foreach()'s action")
        name = self.builder.name_or_generate(_named(named), FOREACH_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.ForeachProcessor, action))
        self.builder.add_graph_node(self.graph_node, node)

    def print(self, printed: Printed | None = None) -> None:
        """Print each record as ``[label]: key, value`` (stdout by default)."""
        printed = printed or Printed.to_sys_out()
        name = self.builder.name_or_generate(printed.name, PRINTING_NAME)
        label = printed.label if printed.label is not None else self.name
        node = ProcessorGraphNode(name, _Supplier(sp.PrintProcessor, label, printed.mapper,
                                                  printed.stream, printed.path))
        self.builder.add_graph_node(self.graph_node, node)

    def branch(self, *predicates: Callable[[Any, Any], bool],
               named: Named | str | None = None) -> list[KStream]:
        """Split into one stream per predicate; a record goes to the first that matches.

        Kafka Streams' old ``branch(Predicate...)`` (removed in 4.0; ``split()`` replaces it).
        """
        if not predicates:
            raise TopologyException("branch() requires at least one predicate")
        for p in predicates:
            _check_fn(p, "branch() predicate")
        name_given = _named(named)
        branch_name = self.builder.name_or_generate(name_given, BRANCH_NAME)
        child_names = []
        for i in range(len(predicates)):
            generated = self.builder.new_processor_name(BRANCHCHILD_NAME)
            child_names.append(f"{name_given}-predicate-{i}" if name_given else generated)
        node = ProcessorGraphNode(branch_name, _Supplier(sp.BranchProcessor, list(predicates),
                                                         list(child_names)))
        self.builder.add_graph_node(self.graph_node, node)
        streams = []
        for child in child_names:
            child_node = ProcessorGraphNode(child, _Supplier(sp.PassThroughProcessor))
            self.builder.add_graph_node(node, child_node)
            streams.append(KStream(child, self.key_serde, self.value_serde, self.source_nodes,
                                   self.repartition_required, child_node, self.builder))
        return streams

    def split(self, named: Named | str | None = None) -> BranchedKStream:
        """Start a ``split()``: add branches with ``branch(predicate, Branched)``."""
        from raystreams.dsl.branched import BranchedKStream

        return BranchedKStream(self, _named(named))

    def merge(self, other: KStream, named: Named | str | None = None) -> KStream:
        """One stream of the records of both."""
        if not isinstance(other, KStream):
            raise TopologyException(f"merge() takes a KStream, got {other!r}")
        name = self.builder.name_or_generate(_named(named), MERGE_NAME)
        node = ProcessorGraphNode(name, _Supplier(sp.PassThroughProcessor))
        node.merge_node = True
        self.builder.add_graph_node([self.graph_node, other.graph_node], node)
        return KStream(name, None, None, self.source_nodes | other.source_nodes,
                       self.repartition_required or other.repartition_required, node, self.builder)

    # ------------------------------------------------------------ sinks
    def to(self, topic: str | Callable[..., str], produced: Produced | None = None) -> None:
        """Write the stream to ``topic``, or to ``topic(key, value, record_context)`` per record."""
        if topic is None or (not isinstance(topic, str) and not callable(topic)):
            raise TopologyException(f"to() needs a topic name or a topic extractor, got {topic!r}")
        produced = produced or Produced()
        if produced.key_serde is None:
            produced.key_serde = self.key_serde
        if produced.value_serde is None:
            produced.value_serde = self.value_serde
        name = self.builder.name_or_generate(produced.name, SINK_NAME)
        self.builder.add_graph_node(self.graph_node, SinkGraphNode(name, topic, produced))

    def repartition(self, repartitioned: Repartitioned | None = None) -> KStream:
        """Send the stream through a new internal topic, partitioned by the current key."""
        rep = repartitioned or Repartitioned()
        name = rep.name if rep.name is not None else self.builder.new_processor_name(REPARTITION_NAME)
        key_serde = rep.key_serde if rep.key_serde is not None else self.key_serde
        value_serde = rep.value_serde if rep.value_serde is not None else self.value_serde
        node = self._repartition_node(name, key_serde, value_serde, rep.partitioner,
                                      rep.num_partitions)
        self.builder.add_graph_node(self.graph_node, node)
        return KStream(node.source_name, key_serde, value_serde, {node.source_name}, False, node,
                       self.builder)

    def _repartition_node(self, prefix: str, key_serde: Any, value_serde: Any,
                          partitioner: Any = None, num_partitions: int | None = None
                          ) -> RepartitionGraphNode:
        """Kafka's createRepartitionedSource: names burn three indices whatever is used."""
        import re

        topic = prefix if prefix.endswith(REPARTITION_TOPIC_SUFFIX) else prefix + REPARTITION_TOPIC_SUFFIX
        gen_sink = self.builder.new_processor_name(SINK_NAME)
        gen_filter = self.builder.new_processor_name(FILTER_NAME)
        gen_source = self.builder.new_processor_name(SOURCE_NAME)
        if re.fullmatch(r"KSTREAM.*-[0-9]{10}", prefix):
            sink, source, filt = gen_sink, gen_source, gen_filter
        else:
            sink, source, filt = topic + "-sink", topic + "-source", topic + "-filter"
        return RepartitionGraphNode(source, topic=topic, filter_name=filt, sink_name=sink,
                                    source_name=source, key_serde=key_serde,
                                    value_serde=value_serde, partitioner=partitioner,
                                    num_partitions=num_partitions)

    # ------------------------------------------------------------ Processor API in the DSL
    def process(self, supplier: Callable[[], Any], *store_names: str,
                named: Named | str | None = None) -> KStream:
        """Run a user Processor; what it forwards is the new stream (marked for repartitioning)."""
        _check_supplier(supplier)
        given = _named(named)
        name = given if given is not None else self.builder.new_processor_name(PROCESSOR_NAME)
        node = ProcessorGraphNode(name, supplier, stores=list(store_names))
        node.key_changing = True
        node.value_changing = True
        return self._add(node, key_serde=None, value_serde=None, repartition=True)

    def process_values(self, supplier: Callable[[], Any], *store_names: str,
                       named: Named | str | None = None) -> KStream:
        """Run a user Processor that may change values but not keys."""
        _check_supplier(supplier)
        given = _named(named)
        name = given if given is not None else self.builder.new_processor_name(PROCESSVALUES_NAME)
        node = ProcessorGraphNode(name, _Supplier(_guarded, supplier), stores=list(store_names),
                                  fixed_key=True)
        node.value_changing = True
        return self._add(node, key_serde=self.key_serde, value_serde=None,
                         repartition=self.repartition_required)


def _guarded(supplier: Callable[[], Any]) -> ProcessValuesGuard:
    return ProcessValuesGuard(supplier())


def _check_supplier(supplier: Any) -> None:
    if not callable(supplier):
        raise TopologyException(
            f"process() needs a supplier: a Processor class or a function returning a new "
            f"Processor each call, got {supplier!r}")
    if hasattr(supplier, "process") and not isinstance(supplier, type):
        raise TopologyException(
            "process() was given a Processor instance; pass its class or a function that "
            "returns a new instance (each task needs its own)")
