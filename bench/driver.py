"""Word count through TopologyTestDriver: the engine plus a commit after every input record.

Kafka Streams' TopologyTestDriver (and raystreams') commits after each piped record, so the
record cache flushes every time and every count update reaches the store, the changelog and
the output. Compare with ``bench/engine.py`` (commits every 10,000 records) to see what a
per-record commit costs.

    python bench/driver.py                         # both scenarios, each in a fresh process
    python bench/driver.py --scenario keyed --records 100000

Scenarios:
  keyed       pre-keyed words: group_by_key().count() (RocksDB store, cache on)
  wordcount   examples/wordcount.py's topology; records = lines (10 words each), the
              driver loops the repartition records back before pipe_input returns
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import Timer, lines, report, run_each_in_subprocess, words  # noqa: E402

from raystreams import Produced, Serdes, StreamsBuilder  # noqa: E402
from raystreams.testing import TopologyTestDriver  # noqa: E402

SCENARIOS = ["keyed", "wordcount"]
DEFAULT_RECORDS = {"keyed": 100_000, "wordcount": 10_000}


def run(scenario: str, n: int) -> tuple[float, int]:
    if scenario == "keyed":
        b = StreamsBuilder()
        (b.stream("in").group_by_key().count().to_stream()
         .to("out", Produced.with_(Serdes.String(), Serdes.Long())))
        topology = b.build()
        data = [(w, w) for w in words(n)]
    else:
        from examples.wordcount import build_topology
        topology = build_topology("in", "out")
        data = [(None, line) for line in lines(n)]
    with TopologyTestDriver(topology, {"application.id": "bench-driver"},
                            initial_wall_clock_time=0) as driver:
        topic = driver.create_input_topic("in")
        out = driver.create_output_topic("out", Serdes.String(), Serdes.Long())
        with Timer() as t:
            for i, (k, v) in enumerate(data):
                topic.pipe_input(k, v, i)
        produced = out.get_queue_size()
    return t.seconds, produced


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scenario", choices=["all", *SCENARIOS], default="all")
    ap.add_argument("--records", type=int, default=None,
                    help="input records (default: 100,000 keyed words, 10,000 lines)")
    args = ap.parse_args()
    if args.scenario == "all":
        rest = ["--records", str(args.records)] if args.records is not None else []
        return run_each_in_subprocess(__file__, SCENARIOS, rest)
    n = args.records or DEFAULT_RECORDS[args.scenario]
    seconds, produced = run(args.scenario, n)
    report(f"driver {args.scenario}", n, seconds, f"(output records {produced})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
