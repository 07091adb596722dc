"""Stream copy: every record of ``stream_log`` goes unchanged to ``stream_log_copy``.

The smallest topology there is (one source, one sink; String keys and values), the first
seed scenario. Run it, feed it and watch it (embedded default; three terminals)::

    raystreams run examples/stream_copy.py
    python examples/stream_copy.py --feed          # or: raystreams produce stream_log
    raystreams consume stream_log_copy --from-beginning

On a real cluster add ``--bootstrap-servers HOST:PORT`` to all three (feed first: it creates
the topics). ``raystreams describe examples/stream_copy.py`` prints the topology.
"""

from __future__ import annotations

from typing import Any

from raystreams import Consumed, Produced, Serdes, StreamsBuilder, Topology

INPUT_TOPIC = "stream_log"
OUTPUT_TOPIC = "stream_log_copy"
SAMPLE_LINES = ["hello", "raystreams", "copies", "every", "record"]


def build_topology(input_topic: str = INPUT_TOPIC, output_topic: str = OUTPUT_TOPIC) -> Topology:
    builder = StreamsBuilder()
    (builder.stream(input_topic, Consumed.with_(Serdes.String(), Serdes.String()))
        .to(output_topic, Produced.with_(Serdes.String(), Serdes.String())))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "stream-copy"}


def feed(bootstrap: str | None = None) -> int:
    """Send :data:`SAMPLE_LINES` to ``stream_log`` (unkeyed, as the console producer does)."""
    from _feed import produce

    return produce([[(INPUT_TOPIC, None, line, None) for line in SAMPLE_LINES]], bootstrap,
                   partitions={INPUT_TOPIC: 3, OUTPUT_TOPIC: 3})


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
