"""Topology: the logical plan of a streams app, built by the DSL or by hand (the Processor API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from raystreams.topology.builder import InternalTopic, InternalTopologyBuilder, Subtopology

if TYPE_CHECKING:
    from raystreams.topology.description import TopologyDescription

__all__ = ["InternalTopic", "Subtopology", "Topology"]


class Topology(InternalTopologyBuilder):
    """The logical plan: sources, processors, sinks and the state stores they use.

    Mirrors Kafka Streams' ``Topology`` (the Processor API builder). ``StreamsBuilder.build()``
    returns one; ``describe()`` prints Kafka Streams' TopologyDescription text. Kafka's
    ``Topology`` wraps an ``InternalTopologyBuilder``; here it is one, so the DSL, the engine
    and the runtime read the same object the user built.
    """

    # ------------------------------------------------------------------ output

    def describe(self) -> TopologyDescription:
        """Kafka Streams' TopologyDescription; ``str()`` of it is Kafka's exact text."""
        from raystreams.topology.description import describe_topology

        return describe_topology(self)

    def to_dot(self) -> str:
        """Graphviz DOT source: sub-topologies as clusters, topics, processors, stores."""
        from raystreams.topology.dot import topology_to_dot

        return topology_to_dot(self)

    def __repr__(self) -> str:
        return f"Topology({len(self._nodes)} nodes, {len(self._stores)} stores)"
