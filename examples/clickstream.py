"""Clickstream enrichment: clicks joined with searches in a stream-stream window, then with
the user-profile KTable (after the clickstream example of "Kafka: The Definitive Guide").

Three topics keyed by user id, co-partitioned (same partition count):

- ``clicks``: the page a user opened (String);
- ``searches``: the terms a user searched for (String);
- ``profiles``: a KTable of ``{"name", "interests"}`` per user (JSON).

A click joins each search of the same user made in the second before it (``JoinWindows``
of 1 s with ``after(0)``, no grace): a click with no search in that second gives nothing,
and neither does a search made after the click. The pair is then joined with the user's
profile (an inner KStream-KTable join) and written to ``user_activity`` as
``{"user", "interests", "search", "page"}``, timed at the click. A user who searched twice in
that second gets one record per search, as in Kafka Streams.

Run, feed and watch (embedded default; three terminals)::

    raystreams run examples/clickstream.py
    python examples/clickstream.py --feed
    raystreams consume user_activity --from-beginning --print-key

The sample (:data:`SAMPLE`) gives two records: Ana's click on ``product/canon-r5`` 0.5 s
after her search ``camera``, and her click on ``product/tripod-x`` 0.8 s after ``tripod``.
"""

from __future__ import annotations

from typing import Any

from raystreams import (
    Consumed,
    Joined,
    JoinWindows,
    Produced,
    Serdes,
    StreamJoined,
    StreamsBuilder,
    Topology,
)

CLICKS_TOPIC = "clicks"
SEARCHES_TOPIC = "searches"
PROFILES_TOPIC = "profiles"
OUTPUT_TOPIC = "user_activity"
PARTITIONS = {CLICKS_TOPIC: 3, SEARCHES_TOPIC: 3, PROFILES_TOPIC: 3, OUTPUT_TOPIC: 3}
SEARCH_WINDOW_MS = 1_000

#: ``(topic, user, value, milliseconds after the first record)``, in time order.
SAMPLE = [
    (PROFILES_TOPIC, "u1", {"name": "Ana", "interests": ["photography"]}, 0),
    (PROFILES_TOPIC, "u2", {"name": "Ben", "interests": ["databases"]}, 0),
    (SEARCHES_TOPIC, "u1", "camera", 1_000),
    (SEARCHES_TOPIC, "u2", "kafka book", 1_000),
    (CLICKS_TOPIC, "u1", "product/canon-r5", 1_500),      # 0.5 s after "camera": joined
    (CLICKS_TOPIC, "u2", "product/kafka-guide", 2_500),   # 1.5 s after its search: too late
    (CLICKS_TOPIC, "u3", "home", 3_000),                  # never searched
    (SEARCHES_TOPIC, "u1", "tripod", 5_000),
    (CLICKS_TOPIC, "u1", "product/tripod-x", 5_800),      # 0.8 s after "tripod": joined
    (CLICKS_TOPIC, "u2", "home", 7_000),
    (SEARCHES_TOPIC, "u2", "streams", 7_500),             # after the click: not joined
]


def click_after_search(page: str, terms: str) -> dict[str, str]:
    """The stream-stream ValueJoiner: the click's page and the search before it."""
    return {"search": terms, "page": page}


def with_profile(activity: dict[str, str], profile: dict[str, Any]) -> dict[str, Any]:
    """The stream-table ValueJoiner: add who the user is."""
    return {"user": profile["name"], "interests": profile["interests"], **activity}


def build_topology(clicks_topic: str = CLICKS_TOPIC, searches_topic: str = SEARCHES_TOPIC,
                   profiles_topic: str = PROFILES_TOPIC,
                   output_topic: str = OUTPUT_TOPIC) -> Topology:
    strings = Consumed.with_(Serdes.String(), Serdes.String())
    builder = StreamsBuilder()
    profiles = builder.table(profiles_topic, Consumed.with_(Serdes.String(), Serdes.JSON()))
    searches = builder.stream(searches_topic, strings)
    (builder.stream(clicks_topic, strings)
        .join(searches, click_after_search,
              JoinWindows.of_time_difference_with_no_grace(SEARCH_WINDOW_MS).after(0),
              StreamJoined.with_(Serdes.String(), Serdes.String(), Serdes.String()))
        .join(profiles, with_profile, Joined.with_(Serdes.String(), Serdes.JSON(), Serdes.JSON()))
        .to(output_topic, Produced.with_(Serdes.String(), Serdes.JSON())))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    # a task picks records by timestamp across its partitions; max.task.idle.ms lets it wait
    # a moment for a partition that looks caught up before processing another (Kafka's
    # KIP-695), so a table update sent just before a record is applied before it
    return build_topology(), {"application.id": "clickstream", "max.task.idle.ms": 1000}


def feed(bootstrap: str | None = None) -> int:
    """Send :data:`SAMPLE` (creating the co-partitioned topics when missing)."""
    from _feed import base_time, produce

    base = base_time()
    return produce([[(t, k, v, base + dt) for t, k, v, dt in SAMPLE]], bootstrap,
                   partitions=PARTITIONS)


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
