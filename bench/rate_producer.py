"""Produces records at a fixed rate with CreateTime = send time (bench/latency.py's probe).

    python bench/rate_producer.py --bootstrap B --topic T --rate 10000 --seconds 20 \\
        --words-per-line 8 --vocab 20000

Runs in its own process, so the probe's consumer in bench/run.py does not share its GIL.
Sends in 5 ms ticks (whatever is due), null keys round-robin over the partitions,
``linger.ms`` 1 so the timestamp is close to the append. Prints the records sent and the
achieved rate as ``SENT <n> <records/s>``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import vocabulary  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from workloads import zipf_words  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--rate", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--words-per-line", type=int, default=8)
    ap.add_argument("--vocab", type=int, default=20_000)
    ap.add_argument("--partitions", type=int, default=3)
    args = ap.parse_args()
    total = int(args.rate * args.seconds)
    words = zipf_words(total * args.words_per_line, vocabulary(args.vocab), seed=99)
    lines = [" ".join(words[i:i + args.words_per_line]).encode()
             for i in range(0, len(words), args.words_per_line)]
    p = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 1,
                  "queue.buffering.max.messages": 1_000_000})
    start = time.time()
    sent = 0
    while sent < total:
        due = min(total, int((time.time() - start) * args.rate) + 1)
        while sent < due:
            now_ms = int(time.time() * 1000)
            p.produce(args.topic, lines[sent], partition=sent % args.partitions,
                      timestamp=now_ms)
            sent += 1
        p.poll(0)
        time.sleep(0.005)
    p.flush(60)
    elapsed = time.time() - start
    print(f"SENT {sent} {sent / elapsed:.1f}", flush=True)


if __name__ == "__main__":
    main()
