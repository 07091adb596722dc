"""The Processor API: a custom Processor with a KeyValueStore that routes each record to a
topic chosen from its value and emits a per-key summary on a wall-clock punctuation.

Log events arrive on ``events`` keyed by service, JSON values ``{"level", "message"}``.
:class:`LevelRouter` forwards each one to the sink of its level: ``events.error``,
``events.warn`` or ``events.info`` (any other level goes to ``events.info``). It counts the
levels per service in the store ``level-counts`` (RocksDB, changelogged), and every
:data:`SUMMARY_INTERVAL_MS` of wall-clock time (``PunctuationType.WALL_CLOCK_TIME``) it
writes ``{"info": n, "warn": n, "error": n}`` to ``events.summary`` for each service that had
events since its last summary. The topology is built node by node (``Topology.add_source``,
``add_processor``, ``add_state_store``, ``add_sink``), as with Kafka's ``Topology``.

Run, feed and watch (embedded default; three terminals)::

    raystreams run examples/processor_api.py
    python examples/processor_api.py --feed
    raystreams consume events.summary --from-beginning --print-key

Summaries come a few seconds after the events (at the next punctuation).
"""

from __future__ import annotations

from typing import Any

from raystreams import Processor, PunctuationType, Record, Serdes, Stores, Topology

INPUT_TOPIC = "events"
LEVEL_TOPICS = {"error": "events.error", "warn": "events.warn", "info": "events.info"}
SUMMARY_TOPIC = "events.summary"
STORE = "level-counts"
SUMMARY_INTERVAL_MS = 2_000

#: ``(service, event)``: what ``--feed`` sends.
SAMPLE = [
    ("checkout", {"level": "info", "message": "order 1 placed"}),
    ("checkout", {"level": "warn", "message": "payment retry"}),
    ("search", {"level": "info", "message": "query ok"}),
    ("checkout", {"level": "error", "message": "payment failed"}),
    ("search", {"level": "debug", "message": "cache hit"}),
    ("checkout", {"level": "info", "message": "order 2 placed"}),
]


class LevelRouter(Processor):
    """Routes by ``value["level"]`` and counts levels per key; a wall-clock punctuator
    summarises the keys that changed."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(STORE)
        context.schedule(SUMMARY_INTERVAL_MS, PunctuationType.WALL_CLOCK_TIME, self.summarise)

    def process(self, record: Record) -> None:
        level = record.value.get("level")
        level = level if level in LEVEL_TOPICS else "info"
        self.context.forward(record, child=f"{level}-sink")
        # "reported" is kept in the store, so a restarted task still reports what it owes
        entry = self.store.get(record.key)
        counts = dict(entry["counts"]) if entry else dict.fromkeys(LEVEL_TOPICS, 0)
        counts[level] += 1
        self.store.put(record.key, {"counts": counts, "reported": False})

    def summarise(self, timestamp: int) -> None:
        with self.store.all() as entries:
            due = [(kv.key, kv.value) for kv in entries if not kv.value["reported"]]
        for key, entry in due:
            self.context.forward(Record(key, entry["counts"], timestamp), child="summary-sink")
            self.store.put(key, {**entry, "reported": True})


def build_topology(input_topic: str = INPUT_TOPIC, level_topics: dict[str, str] | None = None,
                   summary_topic: str = SUMMARY_TOPIC) -> Topology:
    strings, json = Serdes.String(), Serdes.JSON()
    topology = Topology()
    topology.add_source("events-source", input_topic, key_serde=strings, value_serde=json)
    topology.add_processor("level-router", LevelRouter, "events-source")
    topology.add_state_store(Stores.key_value_store_builder(
        Stores.persistent_key_value_store(STORE), strings, json), "level-router")
    for level, topic in (level_topics or LEVEL_TOPICS).items():
        topology.add_sink(f"{level}-sink", topic, "level-router", key_serde=strings,
                          value_serde=json)
    topology.add_sink("summary-sink", summary_topic, "level-router", key_serde=strings,
                      value_serde=json)
    return topology


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "processor-api"}


def feed(bootstrap: str | None = None) -> int:
    """Send :data:`SAMPLE` to ``events``."""
    from _feed import produce

    topics = [INPUT_TOPIC, *LEVEL_TOPICS.values(), SUMMARY_TOPIC]
    return produce([[(INPUT_TOPIC, key, event, None) for key, event in SAMPLE]], bootstrap,
                   partitions=dict.fromkeys(topics, 3))


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
