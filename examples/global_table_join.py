"""Global table join: the ``order`` stream joined with the GlobalKTable ``address_v2``.

``order`` has 3 partitions, ``address_v2`` 2: a GlobalKTable is read whole by every task, so
the two need not be co-partitioned. The key mapper ``(order_key, order_value) -> order_key``
picks the table key for each order; the output on ``order_join_global`` is the same as
``examples/order_join.py``'s::

    address_v2  jihun:Seoul, gildong:Newyork
    order       gildong:Galaxy, jihun:iPhone   ->  Galaxy send to Newyork, iPhone send to Seoul
    address_v2  jihun:LA
    order       jihun:G-Wagon                  ->  G-Wagon send to LA

Orders of users without an address give nothing (an inner join). Unlike a KTable, a
GlobalKTable is not read in timestamp order with the stream (Kafka Streams updates it on its
own thread): it is loaded whole before processing starts and then follows its topic, so the
feeder sends in four steps with a pause between them.

Run, feed and watch (embedded default; three terminals)::

    raystreams run examples/global_table_join.py
    python examples/global_table_join.py --feed
    raystreams consume order_join_global --from-beginning --print-key

On a real cluster, feed first with ``--bootstrap-servers`` (it creates ``address_v2`` with 2
partitions), then run with the same flag.
"""

from __future__ import annotations

from typing import Any

from raystreams import Consumed, Produced, Serdes, StreamsBuilder, Topology

ORDER_TOPIC = "order"
ADDRESS_TOPIC = "address_v2"
OUTPUT_TOPIC = "order_join_global"
PARTITIONS = {ORDER_TOPIC: 3, ADDRESS_TOPIC: 2, OUTPUT_TOPIC: 3}

#: The seed's data in four steps: ``(topic, key, value, milliseconds after the first)``.
SAMPLE_STEPS = [
    [(ADDRESS_TOPIC, "jihun", "Seoul", 0), (ADDRESS_TOPIC, "gildong", "Newyork", 1_000)],
    [(ORDER_TOPIC, "gildong", "Galaxy", 2_000), (ORDER_TOPIC, "jihun", "iPhone", 3_000)],
    [(ADDRESS_TOPIC, "jihun", "LA", 4_000)],
    [(ORDER_TOPIC, "jihun", "G-Wagon", 5_000)],
]


def user_of(order_key: str, order_value: str) -> str:
    """The KeyValueMapper to the table key: an order is keyed by its user."""
    return order_key


def ship(product: str, city: str) -> str:
    """The ValueJoiner: an order's product and its user's city."""
    return f"{product} send to {city}"


def build_topology(order_topic: str = ORDER_TOPIC, address_topic: str = ADDRESS_TOPIC,
                   output_topic: str = OUTPUT_TOPIC) -> Topology:
    strings = Consumed.with_(Serdes.String(), Serdes.String())
    builder = StreamsBuilder()
    addresses = builder.global_table(address_topic, strings)
    (builder.stream(order_topic, strings)
        .join(addresses, user_of, ship)
        .to(output_topic, Produced.with_(Serdes.String(), Serdes.String())))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "global-table-join"}


def feed(bootstrap: str | None = None, pause_s: float = 3.0) -> int:
    """Send :data:`SAMPLE_STEPS`, ``pause_s`` apart (creating the topics when missing)."""
    from _feed import base_time, produce

    base = base_time()
    return produce([[(t, k, v, base + dt) for t, k, v, dt in step] for step in SAMPLE_STEPS],
                   bootstrap, partitions=PARTITIONS, pause_s=pause_s)


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
