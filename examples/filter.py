"""Filter: values longer than 5 characters go from ``stream_log`` to ``stream_log_filter``.

The second seed scenario: a stateless ``filter`` on String records. Run it, feed it and
watch it (embedded default; three terminals)::

    raystreams run examples/filter.py
    python examples/filter.py --feed               # or: raystreams produce stream_log
    raystreams consume stream_log_filter --from-beginning

The sample input ``hi, hello, wonyoung, streams, jongsang, kafka`` gives
``wonyoung, streams, jongsang``. On a real cluster add ``--bootstrap-servers HOST:PORT`` to
all three (feed first: it creates the topics).
"""

from __future__ import annotations

from typing import Any

from raystreams import Consumed, Produced, Serdes, StreamsBuilder, Topology

INPUT_TOPIC = "stream_log"
OUTPUT_TOPIC = "stream_log_filter"
MIN_LENGTH = 5
SAMPLE_LINES = ["hi", "hello", "wonyoung", "streams", "jongsang", "kafka"]


def is_long(key: str | None, value: str | None) -> bool:
    """Kafka Streams' Predicate: keep values longer than :data:`MIN_LENGTH` characters."""
    return value is not None and len(value) > MIN_LENGTH


def build_topology(input_topic: str = INPUT_TOPIC, output_topic: str = OUTPUT_TOPIC) -> Topology:
    builder = StreamsBuilder()
    (builder.stream(input_topic, Consumed.with_(Serdes.String(), Serdes.String()))
        .filter(is_long)
        .to(output_topic, Produced.with_(Serdes.String(), Serdes.String())))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "stream-filter"}


def feed(bootstrap: str | None = None) -> int:
    """Send :data:`SAMPLE_LINES` to ``stream_log``."""
    from _feed import produce

    return produce([[(INPUT_TOPIC, None, line, None) for line in SAMPLE_LINES]], bootstrap,
                   partitions={INPUT_TOPIC: 3, OUTPUT_TOPIC: 3})


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
