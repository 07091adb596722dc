"""``describe()`` prints Kafka Streams' TopologyDescription text exactly; ``to_dot()`` renders it.

The expected texts in ``vectors/describe_*.txt`` were printed by Kafka Streams 4.4 for the
same topologies (built in Java with the same operations in the same order).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from raystreams import (
    Branched,
    Named,
    Printed,
    Processor,
    Repartitioned,
    StreamsBuilder,
    Topology,
)
from raystreams.topology.java_order import JavaTreeSet, java_hash_order, java_string_hash

VECTORS = Path(__file__).parent / "vectors"
ROOT = Path(__file__).resolve().parents[2]


def expected(name: str) -> str:
    return (VECTORS / f"describe_{name}.txt").read_text()


def metric_topology() -> Topology:
    spec = importlib.util.spec_from_file_location("metric", ROOT / "examples/metric_pipeline.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_topology()


def split_topology() -> Topology:
    b = StreamsBuilder()
    br = (b.stream("in").split(Named.as_("split-"))
          .branch(lambda k, v: True, Branched.as_("a"))
          .branch(lambda k, v: True, Branched.with_function(lambda s: s.map_values(str), "b"))
          .default_branch(Branched.as_("other")))
    br["split-a"].to("out-a")
    br["split-b"].to("out-b")
    br["split-other"].to("out-other")
    return b.build()


def papi_topology() -> Topology:
    t = Topology()
    t.add_source("events", "events")
    t.add_processor("router", Processor, "events")
    for sink, topic in (("order-sink", "orders"), ("payment-sink", "payments"),
                        ("ticks-sink", "ticks")):
        t.add_sink(sink, topic, "router")
    return t


def mixed_topology() -> Topology:
    b = StreamsBuilder()
    s = b.stream(["topic-c", "topic-a", "topic-b"])
    other = b.stream("side").peek(lambda k, v: None)
    (s.flat_map(lambda k, v: [])
     .merge(other)
     .repartition(Repartitioned.as_("by-key"))
     .select_key(lambda k, v: v)
     .repartition()
     .flat_map_values(lambda v: [])
     .process(Processor)
     .to("final"))
    other.foreach(lambda k, v: None)
    other.print(Printed.to_sys_out())
    return b.build()


@pytest.mark.parametrize("name,build", [
    ("metric", metric_topology), ("split", split_topology), ("papi", papi_topology),
    ("mixed", mixed_topology)])
def test_describe_matches_kafka_streams_text(name, build):
    assert str(build().describe()) == expected(name)


def test_description_object_model():
    desc = mixed_topology().describe()
    assert [s.id for s in desc.subtopologies] == [0, 1, 2]
    first = desc.subtopologies[0]
    peek = next(n for n in first.nodes if n.name == "KSTREAM-PEEK-0000000002")
    assert [n.name for n in peek.successors] == [
        "KSTREAM-FOREACH-0000000016", "KSTREAM-MERGE-0000000004", "KSTREAM-PRINTER-0000000017"]
    assert [n.name for n in peek.predecessors] == ["KSTREAM-SOURCE-0000000001"]


def test_subtopologies_and_internal_topics():
    top = mixed_topology()
    subs = top.subtopologies()
    assert [s.source_topics for s in subs] == [
        ("topic-c", "topic-a", "topic-b", "side"), ("by-key-repartition",),
        ("KSTREAM-REPARTITION-0000000009-repartition",)]
    assert subs[1].repartition_source_topics == ("by-key-repartition",)
    assert sorted(top.internal_topics) == ["KSTREAM-REPARTITION-0000000009-repartition",
                                           "by-key-repartition"]
    assert top.resolve_topic("by-key-repartition", "app") == "app-by-key-repartition"
    assert top.resolve_topic("final", "app") == "final"


def test_global_store_description_interleaves_by_id():
    from raystreams.topology.description import (
        GlobalStoreDescription,
        SubtopologyDescription,
        TopologyDescription,
    )
    from raystreams.topology.description import (
        Processor as PNode,
    )
    from raystreams.topology.description import (
        Source as SNode,
    )

    src, proc = SNode("gsrc", ["gtopic"]), PNode("gproc", ["gstore"])
    src._successors.add(proc)
    proc._predecessors.add(src)
    desc = TopologyDescription([SubtopologyDescription(1, [SNode("s", ["t"])])],
                               [GlobalStoreDescription(0, src, proc)])
    assert str(desc) == (
        "Topologies:\n"
        "   Sub-topology: 0 for global store (will not generate tasks)\n"
        "    Source: gsrc (topics: [gtopic])\n      --> gproc\n"
        "    Processor: gproc (stores: [gstore])\n      --> none\n      <-- gsrc\n"
        "  Sub-topology: 1\n"
        "    Source: s (topics: [t])\n      --> none\n\n")


def test_java_orders():
    assert java_string_hash("hello") == 99162322
    assert java_string_hash("") == 0
    assert java_string_hash("\u00e9t\u00e9") == 233 * 31 * 31 + 116 * 31 + 233
    # HashSet<String> of these three iterates in bucket order, as the Kafka text above shows
    assert java_hash_order(["topic-c", "topic-a", "topic-b"]) == ["topic-a", "topic-b", "topic-c"]
    tree: JavaTreeSet[int] = JavaTreeSet(lambda a, b: (a > b) - (a < b))
    for x in [5, 1, 9, 3, 7, 2, 8, 1]:
        tree.add(x)
    assert list(tree) == [1, 2, 3, 5, 7, 8, 9] and len(tree) == 7


def test_to_dot_renders_clusters_topics_processors_and_stores():
    dot = mixed_topology().to_dot()
    assert dot.startswith("digraph topology {")
    assert 'subgraph cluster_0' in dot and 'subgraph cluster_2' in dot
    assert '"topic:by-key-repartition" [shape=ellipse, style=dashed' in dot
    assert '"topic:final" [shape=ellipse, label="final"]' in dot
    assert '"KSTREAM-MERGE-0000000004" [shape=box, style=rounded' in dot
    assert '"KSTREAM-FLATMAP-0000000003" -> "KSTREAM-MERGE-0000000004";' in dot
    import graphviz

    graphviz.Source(dot)  # parses as DOT source
