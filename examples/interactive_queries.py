"""Interactive queries: a word count that answers lookups from its state store while it runs.

The topology is ``examples/wordcount.py``'s, with the count store named ``word-counts``
(``Materialized.as_``) so it can be queried, and no output topic: the answers come from the
store. :func:`watch` reads it through ``KafkaStreams.store``: ``get(word)`` is routed to the
one task that owns the word (by Kafka's murmur2 partitioning of the key), ``all()`` reads
every task's part. ``raystreams run`` calls ``watch`` every second and prints the top words,
e.g. ``top words: kafka=3, streams=2, all=1, ...; 'kafka' -> 3``.

Run and feed it (embedded default; two terminals)::

    raystreams run examples/interactive_queries.py
    python examples/interactive_queries.py --feed          # or: raystreams produce iq-text

From Python, with a ``KafkaStreams`` of this topology running::

    store = streams.store(StoreQueryParameters.from_store_name_and_type(
        "word-counts", QueryableStoreTypes.key_value_store()))
    store.get("kafka")                                 # 3
    sorted(dict(store.all()).items(), key=lambda wc: -wc[1])[:5]  # the top five (word, count)
"""

from __future__ import annotations

import re
from typing import Any

from raystreams import (
    Grouped,
    Materialized,
    QueryableStoreTypes,
    Serdes,
    StoreQueryParameters,
    StreamsBuilder,
    Topology,
)

INPUT_TOPIC = "iq-text"
STORE = "word-counts"
WATCHED_WORD = "kafka"
TOP = 5
SAMPLE_LINES = ["all streams lead to kafka", "hello kafka streams", "join kafka summit"]
_SPLIT = re.compile(r"\W+")


def words(line: str) -> list[str]:
    """``line`` lowercased and split on ``\\W+``, without empty words and "the"."""
    return [w for w in _SPLIT.split(line.lower()) if w and w != "the"]


def build_topology(input_topic: str = INPUT_TOPIC) -> Topology:
    builder = StreamsBuilder()
    (builder.stream(input_topic)
        .flat_map_values(words)
        .group_by(lambda key, word: word, Grouped.with_(Serdes.String(), Serdes.String()))
        .count(Materialized.as_(STORE)))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "interactive-queries",
                              "commit.interval.ms": 1000}


def word_counts(streams: Any) -> Any:
    """The count store, read as a key-value store across every task (Kafka's
    ``store(StoreQueryParameters.fromNameAndType(name, keyValueStore()))``)."""
    return streams.store(StoreQueryParameters.from_store_name_and_type(
        STORE, QueryableStoreTypes.key_value_store()))


def top_words(streams: Any, n: int = TOP) -> list[tuple[str, int]]:
    """The ``n`` most frequent words and their counts, read from every task's store."""
    counts = dict(word_counts(streams).all())  # (key, value) pairs from every task, in pages
    return sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:n]


def watch(streams: Any) -> str:
    """What ``raystreams run`` prints every second: the top words and one key lookup."""
    top = ", ".join(f"{w}={n}" for w, n in top_words(streams)) or "(no words yet)"
    return f"top words: {top}; {WATCHED_WORD!r} -> {word_counts(streams).get(WATCHED_WORD)}"


def feed(bootstrap: str | None = None) -> int:
    """Send :data:`SAMPLE_LINES` to ``iq-text``."""
    from _feed import produce

    return produce([[(INPUT_TOPIC, None, line, None) for line in SAMPLE_LINES]], bootstrap,
                   partitions={INPUT_TOPIC: 3})


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
