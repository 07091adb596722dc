"""Word count: the Kafka Streams seed example (``WordCountDemo``), on raystreams.

Reads lines of text from ``streams-plaintext-input``, lowercases them, splits them on
non-word characters (``\\W+``), drops "the", groups by word and counts; every count update
goes to ``streams-wordcount-output`` (String keys, Long values).

Run it with ``raystreams run examples/wordcount.py`` (the embedded broker when no
``bootstrap.servers`` is set), feed it with ``python examples/wordcount.py --feed`` (or type
lines into ``raystreams produce streams-plaintext-input``) and watch it with
``raystreams consume streams-wordcount-output --from-beginning --print-key --value-deserializer long``.
"""

from __future__ import annotations

import re
from typing import Any

from raystreams import Produced, Serdes, StreamsBuilder, Topology

INPUT_TOPIC = "streams-plaintext-input"
OUTPUT_TOPIC = "streams-wordcount-output"
_SPLIT = re.compile(r"\W+")
SAMPLE_LINES = ["all streams lead to kafka", "hello kafka streams", "join kafka summit"]


def words(line: str) -> list[str]:
    """``line`` lowercased and split on ``\\W+``, without empty words and "the"."""
    return [w for w in _SPLIT.split(line.lower()) if w and w != "the"]


def build_topology(input_topic: str = INPUT_TOPIC, output_topic: str = OUTPUT_TOPIC) -> Topology:
    builder = StreamsBuilder()
    (builder.stream(input_topic)
        .flat_map_values(words)
        .group_by(lambda key, word: word)
        .count()
        .to_stream()
        .to(output_topic, Produced.with_(Serdes.String(), Serdes.Long())))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "streams-wordcount",
                              "commit.interval.ms": 1000}


def feed(bootstrap: str | None = None) -> int:
    """Send :data:`SAMPLE_LINES` (counts: kafka 3, streams 2, the other words 1)."""
    from _feed import produce

    return produce([[(INPUT_TOPIC, None, line, None) for line in SAMPLE_LINES]], bootstrap,
                   partitions={INPUT_TOPIC: 3, OUTPUT_TOPIC: 3})


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
