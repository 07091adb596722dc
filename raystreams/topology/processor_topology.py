"""ProcessorTopology: the plan of the nodes one task runs (Kafka's ``ProcessorTopology``).

Built by ``InternalTopologyBuilder.build_subtopology`` (or ``build_topology`` /
``build_global_state_topology``); a ``StreamTask`` instantiates it: one processor per node
spec, wired to its children, with its sources found by topic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from raystreams.topology.nodes import NodeSpec


@dataclass(frozen=True)
class ProcessorTopology:
    """What one task runs: its nodes and how they connect, with topic names decorated.

    Attributes:
        node_names: the nodes, in the order they were added (parents before children).
        specs: each node's spec.
        children: each node's children, in node order (the order records are forwarded in).
        source_topics: ``{topic: source node}`` for every topic the sources read now
            (internal topics as ``<application.id>-<name>``).
        sink_topics: ``{sink node: topic}`` for the sinks with a fixed topic.
        store_names: the non-global stores the processors use, in registration order.
    """

    node_names: tuple[str, ...]
    specs: Mapping[str, NodeSpec]
    children: Mapping[str, tuple[str, ...]]
    source_topics: Mapping[str, str]
    sink_topics: Mapping[str, str]
    store_names: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.node_names)
