"""Co-partitioning: the topics on both sides of a join must have the same partition count.

Kafka Streams' ``CopartitionedTopicsEnforcer``. A join reads one partition of each input
in the same task, so a key only meets its partner when both topics place it in the same
partition: same partitioner (decision 5) *and* same number of partitions. Repartition
topics the app owns follow the source topics of their group; user topics must agree, or the
app fails at start with both topics and their counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from raystreams.errors import CopartitionException

if TYPE_CHECKING:
    from raystreams.topology.topology import Topology

__all__ = ["check_copartitioning"]

_ADVICE = (
    "A join needs both sides' input topics to have the same number of partitions. "
    "Either give them the same partition count, send one side through "
    "repartition(Repartitioned.number_of_partitions(n)) so it matches the other, or, for a "
    "table side, use a GlobalKTable (builder.global_table), which every task reads in full "
    "and so needs no co-partitioning.")


def _count(topic: str, partition_counts: Mapping[str, int]) -> int | None:
    if topic in partition_counts:
        return partition_counts[topic]
    suffix = "-" + topic
    for name, count in partition_counts.items():  # decorated internal topic names
        if name.endswith(suffix):
            return count
    return None


def _group_topics(topology: Topology, group: list[str]) -> list[str]:
    topics: list[str] = []
    for node in group:
        spec = topology.nodes.get(node)
        for topic in getattr(spec, "topics", None) or ():
            if topic not in topics:
                topics.append(topic)
    return topics


def check_copartitioning(topology: Topology, partition_counts: Mapping[str, int]) -> dict[str, int]:
    """Check every co-partition group of ``topology`` against real partition counts.

    Args:
        topology: the built topology (its ``copartition_groups`` name source nodes).
        partition_counts: topic -> number of partitions, for the user topics (internal topics
            may be given too, undecorated or as ``<application.id>-<name>``).

    Returns:
        The partition count each repartition topic of a group must have.

    Raises:
        CopartitionException: two user topics of one group differ, a repartition topic with
            a fixed count differs from its group, or a user topic's count is unknown.
    """
    decided: dict[str, int] = {}
    for group in topology.copartition_groups:
        topics = _group_topics(topology, group)
        internal = [t for t in topics if topology.internal_topics.get(t) is not None
                    and topology.internal_topics[t].kind == "repartition"]
        external = [t for t in topics if t not in internal]
        counts: dict[str, int] = {}
        for topic in external:
            count = _count(topic, partition_counts)
            if count is None:
                raise CopartitionException(
                    f"Topic not found: {topic} (needed to check that the topics "
                    f"{', '.join(topics)} of a join are co-partitioned)", counts)
            counts[topic] = count
        if external:
            distinct = sorted(set(counts.values()))
            if len(distinct) > 1:
                listing = ", ".join(f"{t} has {c} partition{'s' if c != 1 else ''}"
                                    for t, c in counts.items())
                raise CopartitionException(f"Topics not co-partitioned: {listing}. {_ADVICE}",
                                           counts)
            target = distinct[0]
        else:
            fixed = [topology.internal_topics[t].num_partitions for t in internal
                     if topology.internal_topics[t].num_partitions is not None]
            if fixed and len(set(fixed)) > 1:
                listing = ", ".join(
                    f"{t} has {topology.internal_topics[t].num_partitions} partitions"
                    for t in internal if topology.internal_topics[t].num_partitions is not None)
                raise CopartitionException(f"Repartition topics not co-partitioned: {listing}. "
                                           f"{_ADVICE}", {t: c for t, c in zip(internal, fixed,
                                                                             strict=False)})
            known = [c for c in (_count(t, partition_counts) for t in internal) if c is not None]
            target = fixed[0] if fixed else max(known, default=1)
        for topic in internal:
            fixed_count = topology.internal_topics[topic].num_partitions
            if fixed_count is not None and fixed_count != target:
                raise CopartitionException(
                    f"Number of partitions [{fixed_count}] of repartition topic [{topic}] "
                    f"doesn't match number of partitions [{target}] of the source topic. "
                    f"{_ADVICE}", {**counts, topic: fixed_count})
            decided[topic] = target
    return decided
