"""InternalTopologyBuilder: the registry of nodes, stores and topics that a Topology is built
from, and what it builds for tasks (Kafka's ``InternalTopologyBuilder``).

The DSL (``dsl/``) and the Processor API add nodes here; ``node_groups()`` splits them into
sub-topologies; ``build_subtopology`` / ``build_topology`` / ``build_global_state_topology``
give the per-task plan (``ProcessorTopology``) that a ``StreamTask`` instantiates.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from raystreams.errors import TopologyException
from raystreams.topology.grouping import NodeGrouper
from raystreams.topology.nodes import NodeSpec, ProcessorSpec, SinkSpec, SourceSpec, StoreSpec
from raystreams.topology.processor_topology import ProcessorTopology


@dataclass
class InternalTopic:
    """A topic the app creates itself: a repartition topic or a changelog."""

    name: str
    kind: str  # "repartition" | "changelog"
    num_partitions: int | None = None
    configs: dict[str, str] | None = None


@dataclass(frozen=True)
class Subtopology:
    """One connected group of nodes; every partition of its source topics makes one task."""

    id: int
    nodes: tuple[str, ...]
    source_topics: tuple[str, ...]
    sink_topics: tuple[str, ...]
    stores: tuple[str, ...]
    repartition_source_topics: tuple[str, ...]


def _check_supplier(name: str, supplier: Any) -> None:
    if not callable(supplier):
        raise TopologyException(
            f"processor {name!r} needs a supplier: a Processor class or a function that "
            f"returns a new Processor each call, not {supplier!r}", node=name)


class InternalTopologyBuilder:
    """Nodes, stores, internal topics and co-partition groups of one app, and the sub-topologies
    and per-task plans made of them (Kafka's ``InternalTopologyBuilder``). ``Topology`` is its
    public face."""

    def __init__(self) -> None:
        self._nodes: dict[str, NodeSpec] = {}
        self._grouper = NodeGrouper()
        self._source_topics: dict[str, str] = {}  # topic -> source node
        self._stores: dict[str, StoreSpec] = {}
        self._global_stores: dict[str, StoreSpec] = {}
        self._global_sources: set[str] = set()
        self.internal_topics: dict[str, InternalTopic] = {}
        self.copartition_groups: list[list[str]] = []  # lists of source node names
        # store name -> source topic it is restored from (KTable source-topic reuse, globals)
        self.store_source_topics: dict[str, str] = {}
        self.dsl_metadata: dict[str, Any] = {}
        # the config StreamsBuilder.build() was given (topology.optimization, ...), if any
        self.build_config: Any = None

    # ------------------------------------------------------------------ building

    def _verify_name(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TopologyException(f"node name must be a non-empty string, got {name!r}")
        if name in self._nodes:
            raise TopologyException(f"Processor {name} is already added.", node=name)

    def _verify_parents(self, name: str, parents: tuple[str, ...]) -> None:
        if not parents:
            raise TopologyException(f"{name} needs at least one parent (predecessor) name", node=name)
        for parent in parents:
            if parent == name:
                raise TopologyException(
                    f"cycle: node {name} lists itself as its parent (self-reference)", node=name)
            if parent not in self._nodes:
                known = ", ".join(sorted(self._nodes)) or "none"
                raise TopologyException(
                    f"Parent node {parent} of {name} is unknown (known nodes: {known}).", node=name)
            if isinstance(self._nodes[parent], SinkSpec):
                raise TopologyException(
                    f"Sink {parent} cannot be used a parent (of {name}): sinks have no children.",
                    node=name)

    def add_source(self, name: str, *topics: str, key_serde: Any = None, value_serde: Any = None,
                   timestamp_extractor: Any = None, offset_reset: str | None = None,
                   pattern: str | re.Pattern[str] | None = None) -> Self:
        """Add a source node reading ``topics`` (or the topics matching ``pattern``)."""
        self._verify_name(name)
        if pattern is not None:
            if topics:
                raise TopologyException(f"source {name}: give topics or a pattern, not both", node=name)
            compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
            for topic in self._source_topics:
                if compiled.fullmatch(topic):
                    raise TopologyException(
                        f"Pattern {compiled.pattern} will match a topic that has already been "
                        f"registered by another source ({topic}).", node=name)
            spec = SourceSpec(name, [], key_serde, value_serde, timestamp_extractor, offset_reset,
                              compiled)
        else:
            if not topics:
                raise TopologyException(f"source {name}: topics cannot be empty", node=name)
            for topic in topics:
                if not isinstance(topic, str) or not topic:
                    raise TopologyException(f"source {name}: topic names must be non-empty strings",
                                            node=name)
                if topic in self._source_topics:
                    raise TopologyException(
                        f"Topic {topic} has already been registered by another source "
                        f"({self._source_topics[topic]}).", node=name)
                for other, pattern in self.pattern_sources().items():
                    if pattern.fullmatch(topic):
                        raise TopologyException(
                            f"Topic {topic} matches a Pattern already registered by another "
                            f"source ({other}: {pattern.pattern}).", node=name)
            spec = SourceSpec(name, list(topics), key_serde, value_serde, timestamp_extractor,
                              offset_reset)
        for topic in topics:
            self._source_topics[topic] = name
        self._nodes[name] = spec
        self._grouper.add(name)
        return self

    def add_processor(self, name: str, supplier: Callable[[], Any], *parent_names: str,
                      fixed_key: bool = False, fusable: bool = False) -> Self:
        """Add a processor node; ``supplier()`` must return a new Processor each call."""
        self._verify_name(name)
        _check_supplier(name, supplier)
        self._verify_parents(name, parent_names)
        self._nodes[name] = ProcessorSpec(name, supplier, tuple(parent_names), fixed_key=fixed_key,
                                          fusable=fusable)
        self._grouper.add(name)
        self._grouper.unite(name, *parent_names)
        return self

    def add_sink(self, name: str, topic: str | Callable[..., str], *parent_names: str,
                 key_serde: Any = None, value_serde: Any = None,
                 partitioner: Callable[..., int | None] | None = None) -> Self:
        """Add a sink writing to ``topic``, or to ``topic(key, value, record_context)`` per record."""
        self._verify_name(name)
        if topic is None or (isinstance(topic, str) and not topic):
            raise TopologyException(f"sink {name}: topic cannot be empty", node=name)
        self._verify_parents(name, parent_names)
        if isinstance(topic, str):
            spec = SinkSpec(name, topic, None, tuple(parent_names), key_serde, value_serde, partitioner)
        elif callable(topic):
            spec = SinkSpec(name, None, topic, tuple(parent_names), key_serde, value_serde, partitioner)
        else:
            raise TopologyException(f"sink {name}: topic must be a name or a topic extractor, "
                                    f"got {topic!r}", node=name)
        self._nodes[name] = spec
        self._grouper.add(name)
        self._grouper.unite(name, *parent_names)
        return self

    def add_state_store(self, store_builder: Any, *processor_names: str) -> Self:
        """Register a store builder and connect it to the named processors."""
        name = getattr(store_builder, "name", None)
        if not name:
            raise TopologyException(f"a store builder with a name is needed, got {store_builder!r}")
        if name in self._stores or name in self._global_stores:
            raise TopologyException(f"StateStore {name} is already added.")
        self._stores[name] = StoreSpec(store_builder)
        for processor in processor_names:
            self._connect(processor, name)
        return self

    def connect_processor_and_state_stores(self, processor_name: str, *store_names: str) -> Self:
        """Give a processor access to stores added before."""
        if not store_names:
            raise TopologyException(f"no store names given to connect to {processor_name}")
        for store in store_names:
            self._connect(processor_name, store)
        return self

    def _connect(self, processor_name: str, store_name: str) -> None:
        if store_name in self._global_stores:
            raise TopologyException(
                f"Global StateStore {store_name} can be used by a Processor without being "
                f"specified; it should not be explicitly passed.", node=processor_name)
        if store_name not in self._stores:
            raise TopologyException(f"StateStore {store_name} is not added yet.", node=processor_name)
        spec = self._nodes.get(processor_name)
        if spec is None:
            raise TopologyException(f"Processor {processor_name} is not added yet.",
                                    node=processor_name)
        if not isinstance(spec, ProcessorSpec):
            raise TopologyException(
                f"cannot connect a state store {store_name} to a source node or a sink node "
                f"({processor_name}).", node=processor_name)
        store = self._stores[store_name]
        if store.users:
            self._grouper.unite(store.users[0], processor_name)
        if processor_name not in store.users:
            store.users.append(processor_name)
        if store_name not in spec.stores:
            spec.stores.append(store_name)

    def add_global_store(self, store_builder: Any, source_name: str, topic: str,
                         processor_name: str, state_update_supplier: Callable[[], Any], *,
                         key_serde: Any = None, value_serde: Any = None,
                         timestamp_extractor: Any = None) -> Self:
        """Add a global store fed from every partition of ``topic`` by its update processor."""
        name = getattr(store_builder, "name", None)
        if name in self._stores or name in self._global_stores:
            raise TopologyException(f"StateStore {name} is already added.")
        if getattr(store_builder, "logging_enabled", False):
            store_builder.with_logging_disabled()
        self.add_source(source_name, topic, key_serde=key_serde, value_serde=value_serde,
                        timestamp_extractor=timestamp_extractor)
        self._global_sources.add(source_name)
        self.add_processor(processor_name, state_update_supplier, source_name)
        spec = StoreSpec(store_builder, [processor_name], is_global=True, global_topic=topic)
        self._global_stores[name] = spec
        proc = self._nodes[processor_name]
        assert isinstance(proc, ProcessorSpec)
        proc.stores.append(name)
        self.store_source_topics[name] = topic
        return self

    def add_internal_topic(self, name: str, kind: str, num_partitions: int | None = None,
                           configs: dict[str, str] | None = None) -> None:
        """Record a repartition topic or changelog the app owns (names are undecorated)."""
        self.internal_topics.setdefault(name, InternalTopic(name, kind, num_partitions, configs))

    def copartition(self, source_names: Iterable[str]) -> None:
        """Require the topics of these sources to have the same partition count (joins)."""
        group = list(dict.fromkeys(source_names))
        if group and group not in self.copartition_groups:
            self.copartition_groups.append(group)

    # ------------------------------------------------------------------ reading

    @property
    def nodes(self) -> dict[str, NodeSpec]:
        return self._nodes

    @property
    def stores(self) -> dict[str, StoreSpec]:
        return self._stores

    @property
    def global_stores(self) -> dict[str, StoreSpec]:
        return self._global_stores

    def is_global_source(self, name: str) -> bool:
        return name in self._global_sources

    def node_groups(self) -> dict[int, list[str]]:
        """Kafka's makeNodeGroups: connected components, numbered by their first-added node."""
        groups: dict[int, list[str]] = {}
        by_root: dict[str, list[str]] = {}
        for name in self._nodes:
            root = self._grouper.root(name)
            group = by_root.get(root)
            if group is None:
                group = by_root[root] = []
                groups[len(groups)] = group
            group.append(name)
        return groups

    def global_node_groups(self) -> dict[int, list[str]]:
        return {gid: names for gid, names in self.node_groups().items()
                if any(n in self._global_sources for n in names)}

    def subtopologies(self) -> list[Subtopology]:
        """The task-generating sub-topologies (global-store groups excluded)."""
        result = []
        for gid, names in self.node_groups().items():
            if any(n in self._global_sources for n in names):
                continue  # a global-store group: no tasks
            sources, sinks, stores = [], [], []
            for n in names:
                spec = self._nodes[n]
                if isinstance(spec, SourceSpec):
                    sources.extend(spec.topics)
                elif isinstance(spec, SinkSpec):
                    if spec.topic is not None:
                        sinks.append(spec.topic)
                else:
                    stores.extend(s for s in spec.stores if s not in stores)
            repartition = [t for t in sources if self.internal_topics.get(t, None) is not None
                           and self.internal_topics[t].kind == "repartition"]
            result.append(Subtopology(gid, tuple(names), tuple(sources), tuple(sinks),
                                      tuple(stores), tuple(repartition)))
        return result

    def pattern_sources(self) -> dict[str, re.Pattern[str]]:
        """The sources subscribed by pattern: ``{source name: compiled pattern}``."""
        return {name: spec.pattern for name, spec in self._nodes.items()
                if isinstance(spec, SourceSpec) and spec.pattern is not None}

    def subscribe_pattern_topics(self, available: Iterable[str]) -> dict[str, list[str]]:
        """Give every pattern source the topics of ``available`` its pattern matches in full
        (Kafka's subscription update from metadata); returns the topics each source gained.

        Raises:
            TopologyException: a matched topic is read by another source already.
        """
        gained: dict[str, list[str]] = {}
        for name, pattern in self.pattern_sources().items():
            spec = self._nodes[name]
            assert isinstance(spec, SourceSpec)
            new = sorted(t for t in set(available)
                         if pattern.fullmatch(t) and t not in spec.topics)
            for topic in new:
                owner = self._source_topics.get(topic)
                if owner is not None and owner != name:
                    other = self.pattern_sources().get(owner)
                    raise TopologyException(
                        f"Topic {topic} is already matched for another regex pattern "
                        f"{other.pattern if other else topic} and hence cannot be matched to "
                        f"this regex pattern {pattern.pattern} any more (sources {owner} and "
                        f"{name}).", node=name)
                self._source_topics[topic] = name
            if new:
                spec.topics.extend(new)
                gained[name] = new
        return gained

    def source_for_topic(self, topic: str) -> str | None:
        """The source node reading ``topic`` (a pattern source once subscribed), or None."""
        return self._source_topics.get(topic)

    def source_topics(self) -> list[str]:
        """Every topic a non-global source reads, in the order sources were added."""
        return [t for t, node in self._source_topics.items() if node not in self._global_sources]

    def is_internal_topic(self, topic: str) -> bool:
        return topic in self.internal_topics

    @staticmethod
    def decorate(topic: str, application_id: str) -> str:
        """The real name of an internal topic: ``<application.id>-<name>``."""
        return f"{application_id}-{topic}"

    def resolve_topic(self, topic: str, application_id: str) -> str:
        return self.decorate(topic, application_id) if topic in self.internal_topics else topic

    def changelog_topic(self, store_name: str, application_id: str) -> str:
        return f"{application_id}-{store_name}-changelog"

    # ------------------------------------------------------------------ building tasks' plans

    def global_node_names(self) -> list[str]:
        """The nodes of the global-store groups, in the order they were added."""
        return [n for group in self.global_node_groups().values() for n in group]

    def non_global_node_names(self) -> list[str]:
        """The nodes of every task-generating sub-topology (global-store groups excluded)."""
        return [n for group in self.node_groups().values()
                if not any(n in self._global_sources for n in group) for n in group]

    def build_processor_topology(self, node_names: Iterable[str],
                                 application_id: str) -> ProcessorTopology:
        """The plan a task runs for ``node_names`` (Kafka's ``build(nodeGroup)``): the nodes in
        topology order, their children, the (decorated) topics of their sources, and the
        non-global stores their processors use."""
        wanted = set(node_names)
        names = tuple(n for n in self._nodes if n in wanted)
        children: dict[str, list[str]] = {n: [] for n in names}
        source_topics: dict[str, str] = {}
        used: set[str] = set()
        for name in names:
            spec = self._nodes[name]
            for parent in spec.predecessors:
                children[parent].append(name)
            if isinstance(spec, SourceSpec):
                for topic in spec.topics:
                    source_topics[self.resolve_topic(topic, application_id)] = name
            elif isinstance(spec, ProcessorSpec):
                used.update(spec.stores)
        sink_topics = {n: self.resolve_topic(s.topic, application_id)
                       for n in names if isinstance(s := self._nodes[n], SinkSpec)
                       and s.topic is not None}
        return ProcessorTopology(
            node_names=names, specs={n: self._nodes[n] for n in names},
            children={n: tuple(c) for n, c in children.items()}, source_topics=source_topics,
            sink_topics=sink_topics, store_names=tuple(s for s in self._stores if s in used))

    def build_topology(self, application_id: str) -> ProcessorTopology:
        """Every non-global node as one plan (what ``TopologyTestDriver`` runs as task 0_0)."""
        return self.build_processor_topology(self.non_global_node_names(), application_id)

    def build_subtopology(self, subtopology_id: int, application_id: str) -> ProcessorTopology:
        """The plan of one sub-topology (Kafka's ``buildSubtopology(topicGroupId)``)."""
        return self.build_processor_topology(self.node_groups()[subtopology_id], application_id)

    def build_global_state_topology(self, application_id: str) -> ProcessorTopology:
        """The plan of the global-store groups (Kafka's ``buildGlobalStateTopology``)."""
        return self.build_processor_topology(self.global_node_names(), application_id)
