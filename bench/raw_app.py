"""Workload (a): the raw confluent-kafka consume→produce ceiling, one process (bench/run.py).

Copies every record of the input topic to the same partition of the output topic, with
``assign()`` and batched ``consume()``; commits every ``--commit-interval-ms``: under
at_least_once it flushes the producer and then commits the consumer's positions; under
exactly_once_v2 it runs one transaction per interval with ``send_offsets_to_transaction``.
Copies every partition to its end offset at start, prints ``READY <epoch s>`` when
assigned and ``DONE`` at the end, then waits for SIGTERM (so its CPU can be read).
"""

from __future__ import annotations

import argparse
import signal
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--input", required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--guarantee", default="at_least_once")
    ap.add_argument("--commit-interval-ms", type=int, default=1000)
    args = ap.parse_args()
    eos = args.guarantee == "exactly_once_v2"
    group = f"bench-raw-{uuid.uuid4().hex[:8]}"
    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": group,
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10})
    pconf = {"bootstrap.servers": args.bootstrap, "linger.ms": 100, "batch.size": 1_000_000,
             "queue.buffering.max.messages": 1_000_000}
    if eos:
        pconf["transactional.id"] = group
    producer = Producer(pconf)
    md = consumer.list_topics(args.input, timeout=30).topics[args.input]
    partitions = sorted(md.partitions)
    ends = {p: consumer.get_watermark_offsets(TopicPartition(args.input, p), timeout=30)[1]
            for p in partitions}
    consumer.assign([TopicPartition(args.input, p, OFFSET_BEGINNING) for p in partitions])
    if eos:
        producer.init_transactions(30)
        producer.begin_transaction()
    print(f"READY {time.time():.3f}", flush=True)
    position = {p: 0 for p in partitions}
    interval = args.commit_interval_ms / 1000.0
    next_commit = time.monotonic() + interval
    output = args.output

    def commit() -> None:
        offsets = [TopicPartition(args.input, p, off) for p, off in position.items()]
        if eos:
            producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata())
            producer.commit_transaction()
            producer.begin_transaction()
        else:
            producer.flush()
            consumer.commit(offsets=offsets, asynchronous=False)

    while any(position[p] < ends[p] for p in partitions):
        for msg in consumer.consume(num_messages=2000, timeout=0.1):
            if msg.error() is not None:
                continue
            while True:
                try:
                    producer.produce(output, msg.value(), msg.key(), partition=msg.partition())
                    break
                except BufferError:
                    producer.poll(0.01)
            position[msg.partition()] = msg.offset() + 1
        producer.poll(0)
        if time.monotonic() >= next_commit:
            commit()
            next_commit = time.monotonic() + interval
    commit()
    producer.flush()
    consumer.close()
    print("DONE", flush=True)
    # stay until bench/run.py has verified the output and measured this process (SIGTERM)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    signal.sigwait({signal.SIGTERM, signal.SIGINT})


if __name__ == "__main__":
    main()
