"""Feeding the examples: produce an example's sample records to a broker (not an example).

Each example that needs input defines ``feed(bootstrap=None)``, which calls :func:`produce`
with its records; ``python examples/NAME.py --feed [--bootstrap-servers HOST:PORT]`` runs it.
Without ``--bootstrap-servers`` the records go to the broker that ``raystreams run`` (or
``raystreams broker``) started and recorded, so the usual order on the embedded default is:
``raystreams run examples/NAME.py`` in one terminal, ``python examples/NAME.py --feed`` in a
second, ``raystreams consume TOPIC --from-beginning --print-key`` in a third.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

#: One record to send: ``(topic, key, value, timestamp_ms)``; ``timestamp_ms`` None means now.
#: Keys and values: ``str`` goes as UTF-8, ``bytes`` as is, ``None`` as a Kafka null, anything
#: else as JSON text.
Sample = tuple[str, Any, Any, int | None]


def base_time(align_ms: int = 60_000) -> int:
    """Now in epoch ms, rounded down to ``align_ms``: the first sample's time, so window
    bounds come out round and records are recent enough for a broker's retention."""
    now = int(time.time() * 1000)
    return now - now % align_ms


def encode(data: Any) -> bytes | None:
    """The bytes ``produce`` sends for a key or value (see :data:`Sample`)."""
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode()
    return json.dumps(data, separators=(",", ":")).encode()


def resolve(bootstrap: str | None) -> str:
    """``bootstrap`` when given, else the broker a running ``raystreams run``/``broker`` recorded."""
    if bootstrap:
        return bootstrap
    from raystreams.broker import BrokerNotAvailableException, resolve_bootstrap

    try:
        return resolve_bootstrap(None, start=False).bootstrap_servers
    except BrokerNotAvailableException:
        raise SystemExit("no broker: start the example first (`raystreams run examples/NAME.py` "
                         "starts the embedded broker), or pass --bootstrap-servers") from None


def produce(batches: Iterable[Sequence[Sample]], bootstrap: str | None = None, *,
            partitions: dict[str, int] | None = None, pause_s: float = 0.0) -> int:
    """Send ``batches`` of records in order and return how many were sent.

    Topics named in ``partitions`` are created first with that many partitions when missing
    (on a real cluster, feed before the first ``raystreams run`` so its topics exist).
    Between batches the producer flushes and waits ``pause_s`` seconds: for examples where
    one record must be applied before the next is read (a GlobalKTable update, which Kafka
    Streams does not synchronise with the stream by time).
    """
    from confluent_kafka import Producer

    servers = resolve(bootstrap)
    if partitions:
        from raystreams.kafka.admin import StreamsAdmin, TopicSpec

        admin = StreamsAdmin(bootstrap=servers)
        counts = admin.partition_counts(list(partitions))
        missing = [TopicSpec(t, n, {}, "topic") for t, n in partitions.items()
                   if counts.get(t) is None]
        if missing:
            admin.create_topics(missing, replication_factor=1)
    # murmur2_random: the Java client's partitioner, so keys land where Kafka Streams expects
    producer = Producer({"bootstrap.servers": servers, "partitioner": "murmur2_random",
                         "linger.ms": 5})
    sent = 0
    for i, batch in enumerate(batches):
        if i and pause_s:
            time.sleep(pause_s)
        for topic, key, value, timestamp in batch:
            producer.produce(topic, key=encode(key), value=encode(value),
                             timestamp=timestamp or 0)
            sent += 1
        if producer.flush(30):
            raise SystemExit(f"records to {servers} were not acknowledged in 30 s")
    return sent


def main(feed: Callable[..., int], doc: str | None, argv: Sequence[str] | None = None) -> int:
    """``python examples/NAME.py --feed [--bootstrap-servers HOST:PORT] [--count N]``."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n", 1)[0],
                                     epilog="Run the app with `raystreams run` on the file.")
    parser.add_argument("--feed", action="store_true", help="produce the example's input")
    parser.add_argument("--bootstrap-servers", "--bootstrap-server", dest="bootstrap_servers")
    parser.add_argument("--count", type=int, default=None,
                        help="how many generated records (examples with a generator)")
    args = parser.parse_args(argv)
    if not args.feed:
        parser.print_help()
        return 0
    kwargs = {"count": args.count} if args.count is not None else {}
    sent = feed(args.bootstrap_servers, **kwargs)
    print(f"sent {sent} records")
    return 0
