"""Topic admin for the runtime: partition counts, creating internal topics, reading configs.

Internal topics are made as Kafka Streams makes them (``InternalTopicManager``):
changelogs ``cleanup.policy=compact`` with one partition per task, repartition topics
``cleanup.policy=delete`` with ``retention.ms=-1``, both with ``message.timestamp.type=CreateTime``.
Every config the runtime (or a test) reads back is given at creation, because the embedded
broker's DescribeConfigs returns only the configs a topic was created with (DESIGN).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

from raystreams.config import StreamsConfig
from raystreams.config.keys import REPLICATION_FACTOR_CONFIG
from raystreams.errors import BrokerNotAvailableException, InternalTopicException

log = logging.getLogger(__name__)

#: Kafka Streams' ``UnwindowedUnversionedChangelogTopicConfig`` defaults.
CHANGELOG_DEFAULTS = {"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"}
#: Kafka Streams' ``RepartitionTopicConfig`` defaults.
REPARTITION_DEFAULTS = {"cleanup.policy": "delete", "retention.ms": "-1",
                        "segment.bytes": "52428800", "message.timestamp.type": "CreateTime"}


@dataclass
class TopicSpec:
    """A topic to create: name, partition count and configs."""

    name: str
    partitions: int
    configs: dict[str, str] = field(default_factory=dict)
    kind: str = "repartition"


def internal_topic_configs(kind: str, configs: Mapping[str, Any] | None = None,
                           user: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The creation configs of an internal topic: Kafka's defaults, ``topic.*``, then its own."""
    base = dict(CHANGELOG_DEFAULTS if kind == "changelog" else REPARTITION_DEFAULTS)
    base.update({k: str(v) for k, v in (user or {}).items()})
    base.update({k: str(v) for k, v in (configs or {}).items()})
    return base


class StreamsAdmin:
    """An AdminClient with the few operations the runtime needs.

    Args:
        config: the app config (for ``admin_configs()``), or
        bootstrap: a plain ``bootstrap.servers`` (the CLI).
    """

    def __init__(self, config: StreamsConfig | None = None, *, bootstrap: str | None = None,
                 timeout: float = 30.0) -> None:
        props = config.admin_configs() if config is not None else {}
        if bootstrap is not None:
            props["bootstrap.servers"] = bootstrap
        self.bootstrap = props.get("bootstrap.servers")
        self._props = props
        self._admin: AdminClient | None = None
        self.timeout = timeout
        self.replication_factor = (config.get(REPLICATION_FACTOR_CONFIG) if config is not None
                                   else -1)

    @property
    def admin(self) -> AdminClient:
        """The AdminClient, made on first use (so ``check_reachable`` runs before any client
        of an unreachable broker starts logging its refused connections)."""
        if self._admin is None:
            self._admin = AdminClient(self._props)
        return self._admin

    def check_reachable(self, timeout_ms: int) -> None:
        """Fail with ``BrokerNotAvailableException`` naming ``bootstrap.servers`` unless a
        broker answers a metadata request within ``timeout_ms``."""
        # a client of its own that logs only critical errors: the error below says it all,
        # without librdkafka's line per refused connection attempt
        seen: list[Any] = []
        probe = AdminClient({**self._props, "log_level": 2, "error_cb": seen.append})
        try:
            probe.list_topics(timeout=timeout_ms / 1000.0)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else exc
            text = err.str() if hasattr(err, "str") else str(err)
            # the client's own errors say why (authentication failed, connection refused);
            # poll() serves their callbacks
            probe.poll(0)
            why = [e for e in seen if e.code() == KafkaError._AUTHENTICATION] or [
                e for e in seen if e.code() != KafkaError._ALL_BROKERS_DOWN]
            if why:
                text = why[-1].str()
            raise BrokerNotAvailableException.unreachable(self.bootstrap, timeout_ms,
                                                          text) from None

    def _list_topics(self) -> Any:
        try:
            return self.admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else exc
            text = err.str() if hasattr(err, "str") else str(err)
            raise BrokerNotAvailableException.unreachable(
                self.bootstrap, int(self.timeout * 1000), text) from None

    def topics(self) -> dict[str, int]:
        """Every topic and its partition count."""
        md = self._list_topics()
        return {name: len(t.partitions) for name, t in md.topics.items() if t.error is None}

    def partition_counts(self, topics: Iterable[str]) -> dict[str, int | None]:
        """Partition count per topic; ``None`` for a missing topic."""
        # One metadata request for all topics: asking for a single missing topic makes some
        # brokers (the embedded one) create it with their default partition count.
        known = self._list_topics().topics
        result: dict[str, int | None] = {}
        for topic in topics:
            md = known.get(topic)
            if md is None or md.error is not None or not md.partitions:
                result[topic] = None
            else:
                result[topic] = len(md.partitions)
        return result

    def create_topics(self, specs: Iterable[TopicSpec], *, replication_factor: int | None = None,
                      wait: bool = True) -> list[str]:
        """Create the topics that don't exist; returns the names created.

        An existing topic is kept if its partition count matches, else
        ``InternalTopicException`` names both counts.
        """
        specs = list(specs)
        if not specs:
            return []
        rf = self.replication_factor if replication_factor is None else replication_factor
        existing = self.partition_counts(s.name for s in specs)
        todo = []
        for spec in specs:
            have = existing.get(spec.name)
            if have is None:
                todo.append(spec)
            elif have != spec.partitions:
                raise InternalTopicException(
                    f"internal topic {spec.name} exists with {have} partitions, but the "
                    f"topology needs {spec.partitions}: delete it (or run cleanup) and restart")
        if not todo:
            return []
        futures = self.admin.create_topics(
            [NewTopic(s.name, num_partitions=s.partitions, replication_factor=rf,
                      config=dict(s.configs)) for s in todo], operation_timeout=self.timeout)
        created = []
        for name, future in futures.items():
            try:
                future.result(timeout=self.timeout)
                created.append(name)
            except KafkaException as exc:
                err = exc.args[0]
                if err.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise InternalTopicException(f"cannot create topic {name}: {err.str()}") from exc
        if wait:
            self.wait_for_leaders({s.name: s.partitions for s in todo})
        for spec in todo:
            log.info("created %s topic %s with %d partitions %s", spec.kind, spec.name,
                     spec.partitions, spec.configs)
        return created

    def wait_for_leaders(self, topics: Mapping[str, int], timeout: float | None = None) -> None:
        deadline = time.monotonic() + (timeout or self.timeout)
        pending = dict(topics)
        while pending:
            known = self.admin.list_topics(timeout=5).topics
            for name, n in list(pending.items()):
                md = known.get(name)
                if (md is not None and md.error is None and len(md.partitions) == n
                        and all(p.leader >= 0 for p in md.partitions.values())):
                    del pending[name]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise InternalTopicException(f"topics without leaders after creation: {pending}")
            time.sleep(0.05)

    def delete_topics(self, names: Iterable[str]) -> None:
        names = list(names)
        if not names:
            return
        for name, future in self.admin.delete_topics(names, operation_timeout=self.timeout).items():
            try:
                future.result(timeout=self.timeout)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                    log.warning("cannot delete topic %s: %s", name, exc)

    def describe_configs(self, topic: str) -> dict[str, str]:
        """A topic's configs as the broker reports them."""
        resource = ConfigResource(ResourceType.TOPIC, topic)
        future = self.admin.describe_configs([resource], request_timeout=self.timeout)[resource]
        entries = future.result(timeout=self.timeout)
        return {name: entry.value for name, entry in entries.items()}

    def delete_consumer_group(self, group: str) -> None:
        try:
            for future in self.admin.delete_consumer_groups([group],
                                                            request_timeout=self.timeout).values():
                future.result(timeout=self.timeout)
        except KafkaException as exc:
            log.info("consumer group %s not deleted: %s", group, exc)
