"""Which tasks an app has, which topics it needs, and on which Ray node each task runs.

``plan_app`` is Kafka Streams' ``StreamsPartitionAssignor`` reduced to what a supervisor that
assigns partitions itself needs (DESIGN decision 3): one task per partition of each
sub-topology (``<subtopology>_<partition>``, decision 4), repartition topics sized by the
sub-topology that writes them, changelogs with one partition per task, co-partitioning
checked. ``spread`` balances tasks over nodes, moving as few as it can.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from raystreams.config.keys import APPLICATION_ID_CONFIG, BOOTSTRAP_SERVERS_CONFIG
from raystreams.errors import MissingSourceTopicException, TopologyException
from raystreams.kafka.admin import TopicSpec, internal_topic_configs
from raystreams.topology.topology import Topology


@dataclass(frozen=True)
class TaskSpec:
    """One stream task: its sub-topology nodes, input partitions and changelogs.

    ``input_partitions`` name topics as the topology does (internal ones undecorated, which
    ``StreamTask`` expects); ``consumer_partitions`` are the real topic names.
    """

    task_id: str
    subtopology: int
    partition: int
    node_names: tuple[str, ...]
    input_partitions: tuple[tuple[str, int], ...]
    consumer_partitions: tuple[tuple[str, int], ...]
    changelogs: tuple[tuple[str, str], ...] = ()  # (store, real changelog topic)


@dataclass
class AppPlan:
    """What ``KafkaStreams.start()`` needs: tasks, internal topics, partition counts."""

    application_id: str
    tasks: list[TaskSpec]
    internal_topics: list[TopicSpec]
    partitions: dict[str, int]  # real topic name -> partition count
    store_partitions: dict[str, int] = field(default_factory=dict)  # store -> tasks owning it
    store_subtopology: dict[str, int] = field(default_factory=dict)

    def task(self, task_id: str) -> TaskSpec:
        for t in self.tasks:
            if t.task_id == task_id:
                return t
        raise KeyError(task_id)


def _logged(builder: Any) -> bool:
    return bool(getattr(builder, "logging_enabled", True))


def _changelog_configs(builder: Any) -> dict[str, str]:
    getter = getattr(builder, "changelog_config", None) or getattr(builder, "log_config", None)
    value = getter() if callable(getter) else getter
    return {k: str(v) for k, v in (value or {}).items()}


def plan_app(topology: Topology, config: Any,
             partition_counts: Callable[[list[str]], Mapping[str, int | None]]) -> AppPlan:
    """Compute tasks and internal topics; raises on missing or non-co-partitioned topics.

    Args:
        topology: the app's topology.
        config: its StreamsConfig.
        partition_counts: ``[topic] -> {topic: count or None}`` (the admin client's).
    """
    app = config.get(APPLICATION_ID_CONFIG)
    subs = topology.subtopologies()
    for name, pattern in topology.pattern_sources().items():
        if not topology.nodes[name].topics:
            raise TopologyException(
                f"no topic matches the pattern {pattern.pattern} of source {name}: create one "
                f"(its name must match the whole pattern) before starting", node=name)
    internal = topology.internal_topics
    external = sorted({t for s in subs for t in s.source_topics if t not in internal})
    global_topics = sorted({spec.global_topic for spec in topology.global_stores.values()
                            if getattr(spec, "global_topic", None)})
    wanted = sorted(set(external) | set(global_topics))
    counts_raw = dict(partition_counts(wanted)) if wanted else {}
    missing = [t for t in wanted if not counts_raw.get(t)]
    if missing:
        raise MissingSourceTopicException(missing, config.get(BOOTSTRAP_SERVERS_CONFIG))
    counts: dict[str, int] = {t: int(counts_raw[t]) for t in external}  # undecorated names

    for name, topic in internal.items():
        if topic.kind == "repartition" and topic.num_partitions:
            counts[name] = int(topic.num_partitions)

    # co-partition groups: external topics must agree; repartition topics follow them
    for group in topology.copartition_groups:
        topics = [t for n in group for t in getattr(topology.nodes.get(n), "topics", []) or []]
        fixed = {t: counts[t] for t in topics if t not in internal or internal[t].num_partitions}
        if len(set(fixed.values())) > 1:
            listing = ", ".join(f"{t} ({n} partitions)" for t, n in fixed.items())
            raise TopologyException(
                f"Topics not co-partitioned: [{listing}]; a join needs the same number of "
                f"partitions on both sides: repartition one side first")
        if fixed:
            n = next(iter(fixed.values()))
            for t in topics:
                counts.setdefault(t, n)

    def sub_count(sub: Any) -> int | None:
        known = [counts[t] for t in sub.source_topics if t in counts]
        return max(known) if known and len(known) == len(sub.source_topics) else None

    # repartition topics: the partition count of the sub-topology writing them (iterate)
    pending = {t for s in subs for t in s.source_topics if t in internal and t not in counts}
    while pending:
        progressed = False
        for topic in sorted(pending):
            writers = [s for s in subs if topic in s.sink_topics]
            sizes = [sub_count(s) for s in writers]
            if writers and all(n is not None for n in sizes):
                counts[topic] = max(n for n in sizes if n is not None)
                pending.discard(topic)
                progressed = True
        if not progressed:
            raise TopologyException(f"cannot compute the partition count of internal topics "
                                    f"{sorted(pending)}: no upstream sub-topology writes them")

    tasks: list[TaskSpec] = []
    specs: list[TopicSpec] = []
    user_topic = config.topic_configs() if hasattr(config, "topic_configs") else {}
    for name, topic in internal.items():
        if topic.kind == "repartition" and name in counts:
            specs.append(TopicSpec(topology.decorate(name, app), counts[name],
                                   internal_topic_configs("repartition", topic.configs, user_topic),
                                   "repartition"))
    store_partitions: dict[str, int] = {}
    store_sub: dict[str, int] = {}
    for sub in subs:
        n = sub_count(sub)
        assert n is not None
        changelogs = []
        for store in sub.stores:
            store_partitions[store] = n
            store_sub[store] = sub.id
            builder = topology.stores[store].builder
            if store in topology.store_source_topics or not _logged(builder):
                continue
            real = topology.changelog_topic(store, app)
            declared = internal.get(f"{store}-changelog")
            configs = dict(declared.configs or {}) if declared else {}
            configs.update(_changelog_configs(builder))
            specs.append(TopicSpec(real, n, internal_topic_configs("changelog", configs,
                                                                   user_topic), "changelog"))
            changelogs.append((store, real))
        for p in range(n):
            inputs = tuple((t, p) for t in sub.source_topics if counts[t] > p)
            tasks.append(TaskSpec(
                task_id=f"{sub.id}_{p}", subtopology=sub.id, partition=p, node_names=sub.nodes,
                input_partitions=inputs,
                consumer_partitions=tuple((topology.resolve_topic(t, app), q) for t, q in inputs),
                changelogs=tuple(changelogs)))
    real_counts = {topology.resolve_topic(t, app): n for t, n in counts.items()}
    for spec in specs:
        real_counts[spec.name] = spec.partitions
    return AppPlan(app, tasks, specs, real_counts, store_partitions, store_sub)


def spread(task_ids: Iterable[str], nodes: Iterable[str],
           current: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """Assign tasks to nodes evenly, keeping tasks where they are when that stays balanced.

    Returns ``{task_id: node_id}``; with no nodes, an empty dict. Each node gets
    ``floor(T/N)`` or ``ceil(T/N)`` tasks.
    """
    task_ids = sorted(task_ids, key=_task_sort_key)
    nodes = sorted(set(nodes))
    if not nodes:
        return {}
    current = dict(current or {})
    n_tasks, n_nodes = len(task_ids), len(nodes)
    base, extra = divmod(n_tasks, n_nodes)
    # nodes already holding the most tasks keep the larger quotas
    holding = {node: [t for t in task_ids if current.get(t) == node] for node in nodes}
    order = sorted(nodes, key=lambda nd: -len(holding[nd]))
    quota = {node: base + (1 if i < extra else 0) for i, node in enumerate(order)}
    result: dict[str, str] = {}
    for node in nodes:
        for t in holding[node][:quota[node]]:
            result[t] = node
    free = [t for t in task_ids if t not in result]
    for t in free:
        node = min(nodes, key=lambda nd: (sum(1 for v in result.values() if v == nd) - quota[nd],
                                          nd))
        result[t] = node
    return result


def _task_sort_key(task_id: str) -> tuple[int, int]:
    sub, _, part = task_id.partition("_")
    try:
        return int(sub), int(part)
    except ValueError:
        return (1 << 30), 0
