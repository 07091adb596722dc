"""Where stores and keys live (Kafka's ``KeyQueryMetadata``, ``StreamsMetadata``, ``HostInfo``
and ``LagInfo``).

In Kafka a host is a KafkaStreams instance (``host:port``); here each task runs in its own Ray
actor, so a ``HostInfo`` is a task's actor: the task, the actor's name, its Ray node and pid,
and whether it is a standby replica. That is the route the inspector shows: key → partition →
task → actor → node.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HostInfo", "KeyQueryMetadata", "LagInfo", "StreamsMetadata"]


@dataclass(frozen=True)
class HostInfo:
    """A task's actor (Kafka's ``HostInfo``, one per KafkaStreams instance there)."""

    task_id: str
    actor_name: str | None
    node_id: str | None
    pid: int | None = None
    standby: bool = False
    #: which standby replica (0 for the active task)
    replica: int = 0
    #: how many times the supervisor started this actor's task (or replica)
    incarnation: int = 0

    @property
    def host(self) -> str | None:
        """Kafka's ``host()``: the Ray node id."""
        return self.node_id


UNKNOWN_HOST = HostInfo("", None, None)


@dataclass(frozen=True)
class KeyQueryMetadata:
    """Where a key of a store lives (Kafka's ``KeyQueryMetadata``): its partition, the active
    task's actor and the standby replicas' actors."""

    active_host: HostInfo
    standby_hosts: tuple[HostInfo, ...]
    partition: int
    store: str = ""

    @property
    def task_id(self) -> str:
        return self.active_host.task_id

    @property
    def actor_name(self) -> str | None:
        return self.active_host.actor_name

    @property
    def node_id(self) -> str | None:
        return self.active_host.node_id

    @property
    def standby_node_ids(self) -> tuple[str, ...]:
        return tuple(h.node_id for h in self.standby_hosts if h.node_id)


@dataclass(frozen=True)
class StreamsMetadata:
    """What one task actor hosts (Kafka's ``StreamsMetadata`` of one instance): its stores and
    input partitions, as active task or as standby replica."""

    host_info: HostInfo
    state_store_names: frozenset[str] = frozenset()
    topic_partitions: frozenset[tuple[str, int]] = frozenset()
    standby_state_store_names: frozenset[str] = frozenset()
    standby_topic_partitions: frozenset[tuple[str, int]] = frozenset()

    def host(self) -> str | None:
        return self.host_info.node_id


@dataclass(frozen=True)
class LagInfo:
    """How far a local store partition is behind its changelog (Kafka's ``LagInfo``)."""

    current_offset_position: int
    end_offset_position: int
    offset_lag: int
