"""Graphviz DOT source for a Topology: sub-topologies as clusters; topics, nodes, stores as shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from raystreams.topology.nodes import ProcessorSpec, SinkSpec, SourceSpec

if TYPE_CHECKING:
    from raystreams.topology.topology import Topology


def dot_id(text: str) -> str:
    """``text`` as a quoted DOT id or label: any name (dots, dashes, quotes) is safe in it;
    a newline becomes DOT's ``\\n`` line break."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def topology_to_dot(topology: Topology, *, status: dict[str, str] | None = None) -> str:
    """Render the topology. ``status`` may map node names to a fill colour (the inspector's lag view).

    Topics are ellipses (internal topics dashed), sources and sinks are boxes with a bold
    border, processors rounded boxes, stores cylinders; edges go topic → source → ... → sink →
    topic, and dotted edges join processors to the stores they use.
    """
    status = status or {}
    lines = ["digraph topology {", "  rankdir=LR;", "  compound=true;",
             '  node [fontname="Helvetica", fontsize=10];', '  edge [fontname="Helvetica"];']
    topics: set[str] = set()
    stores: set[str] = set()
    for gid, names in topology.node_groups().items():
        is_global = any(topology.is_global_source(n) for n in names)
        label = f"Sub-topology: {gid}" + (" (global store)" if is_global else "")
        lines.append(f"  subgraph cluster_{gid} {{")
        lines.append(f"    label={dot_id(label)}; style=rounded; color=gray50;")
        for name in names:
            spec = topology.nodes[name]
            fill = status.get(name)
            extra = f', style="filled,rounded", fillcolor={dot_id(fill)}' if fill else ""
            if isinstance(spec, SourceSpec):
                lines.append(f"    {dot_id(name)} [shape=box, penwidth=2, label={dot_id('Source: ' + name)}"
                             f"{extra}];")
            elif isinstance(spec, SinkSpec):
                lines.append(f"    {dot_id(name)} [shape=box, penwidth=2, label={dot_id('Sink: ' + name)}"
                             f"{extra}];")
            else:
                style = extra or ', style=rounded'
                lines.append(f"    {dot_id(name)} [shape=box{style}, label={dot_id(name)}];")
        lines.append("  }")
        for name in names:
            spec = topology.nodes[name]
            if isinstance(spec, SourceSpec):
                for topic in spec.topics:
                    topics.add(topic)
                    lines.append(f"  {dot_id('topic:' + topic)} -> {dot_id(name)};")
                if spec.pattern is not None:
                    pat = "pattern:" + spec.pattern.pattern
                    topics.add(pat)
                    lines.append(f"  {dot_id('topic:' + pat)} -> {dot_id(name)};")
            elif isinstance(spec, SinkSpec):
                target = spec.topic if spec.topic is not None else f"<{getattr(spec.topic_extractor, '__name__', 'extractor')}>"
                topics.add(target)
                lines.append(f"  {dot_id(name)} -> {dot_id('topic:' + target)};")
            if isinstance(spec, ProcessorSpec):
                for store in spec.stores:
                    stores.add(store)
                    lines.append(f"  {dot_id(name)} -> {dot_id('store:' + store)} [style=dotted, dir=both];")
            for parent in spec.predecessors:
                lines.append(f"  {dot_id(parent)} -> {dot_id(name)};")
    for topic in sorted(topics):
        internal = topology.is_internal_topic(topic)
        style = ", style=dashed" if internal else ""
        lines.append(f"  {dot_id('topic:' + topic)} [shape=ellipse{style}, label={dot_id(topic)}];")
    for store in sorted(stores):
        lines.append(f"  {dot_id('store:' + store)} [shape=cylinder, label={dot_id(store)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"
