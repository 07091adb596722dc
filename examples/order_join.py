"""Order join: the ``order`` stream joined with the ``address`` KTable (a KStream-KTable join).

Both topics have 3 partitions and are keyed by user name, so they are co-partitioned and each
task joins one partition of each. Every order looks up its user's current address and comes
out as ``"<product> send to <city>"`` on ``order_join``; orders of users without an address
give nothing (an inner join). A later address changes only the orders after it.

The seed's data (what ``--feed`` sends, in time order)::

    address  jihun:Seoul, gildong:Newyork
    order    gildong:Galaxy, jihun:iPhone   ->  Galaxy send to Newyork, iPhone send to Seoul
    address  jihun:LA
    order    jihun:G-Wagon                  ->  G-Wagon send to LA

Run, feed and watch (embedded default; three terminals)::

    raystreams run examples/order_join.py
    python examples/order_join.py --feed
    raystreams consume order_join --from-beginning --print-key

or type records yourself with ``raystreams produce address --key-separator :``. A task reads
its two partitions in timestamp order (Kafka Streams' rule), so an address sent before an
order is there when the order is joined.
"""

from __future__ import annotations

from typing import Any

from raystreams import Consumed, Joined, Produced, Serdes, StreamsBuilder, Topology

ORDER_TOPIC = "order"
ADDRESS_TOPIC = "address"
OUTPUT_TOPIC = "order_join"
PARTITIONS = {ORDER_TOPIC: 3, ADDRESS_TOPIC: 3, OUTPUT_TOPIC: 3}

#: ``(topic, key, value, milliseconds after the first record)``, the seed's data in time order.
SAMPLE = [
    (ADDRESS_TOPIC, "jihun", "Seoul", 0),
    (ADDRESS_TOPIC, "gildong", "Newyork", 1_000),
    (ORDER_TOPIC, "gildong", "Galaxy", 2_000),
    (ORDER_TOPIC, "jihun", "iPhone", 3_000),
    (ADDRESS_TOPIC, "jihun", "LA", 4_000),
    (ORDER_TOPIC, "jihun", "G-Wagon", 5_000),
]


def ship(product: str, city: str) -> str:
    """The ValueJoiner: an order's product and its user's city."""
    return f"{product} send to {city}"


def build_topology(order_topic: str = ORDER_TOPIC, address_topic: str = ADDRESS_TOPIC,
                   output_topic: str = OUTPUT_TOPIC) -> Topology:
    strings = Consumed.with_(Serdes.String(), Serdes.String())
    builder = StreamsBuilder()
    addresses = builder.table(address_topic, strings)
    (builder.stream(order_topic, strings)
        .join(addresses, ship, Joined.with_(Serdes.String(), Serdes.String(), Serdes.String()))
        .to(output_topic, Produced.with_(Serdes.String(), Serdes.String())))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    # a task picks records by timestamp across its partitions; max.task.idle.ms lets it wait
    # a moment for a partition that looks caught up before processing another (Kafka's
    # KIP-695), so a table update sent just before a record is applied before it
    return build_topology(), {"application.id": "order-join", "max.task.idle.ms": 1000}


def feed(bootstrap: str | None = None) -> int:
    """Send :data:`SAMPLE` (creating the 3-partition topics when missing)."""
    from _feed import base_time, produce

    base = base_time()
    return produce([[(t, k, v, base + dt) for t, k, v, dt in SAMPLE]], bootstrap,
                   partitions=PARTITIONS)


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
