"""The raystreams topologies of workloads (b)-(e) and the recovery count (bench/run.py).

Module-level functions only: Ray workers import this module (bench/ is on their PYTHONPATH),
so the lambdas inside the topologies are pickled by reference. Kafka Streams' twins are in
bench/java/src/main/java/raystreams/bench/BenchApp.java, Quix Streams' in bench/quix_app.py.
"""

from __future__ import annotations

from datetime import timedelta

from workloads import WINDOW_MS, keep_line

from raystreams import (
    BufferConfig,
    Materialized,
    Produced,
    Serdes,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
    Topology,
)


def split_words(line: str) -> list[str]:
    return line.split(" ")


def word_of(key: object, word: str) -> str:
    return word


def window_key(windowed: object, count: int) -> str:
    return f"{windowed.key}@{windowed.window.start}"


def join_values(value: str, table_value: str) -> str:
    return f"{value}|{table_value}"


def build(workload: str, input_topic: str, output_topic: str, table_topic: str = "") -> Topology:
    """The topology of workload ``workload`` ("b" .. "e")."""
    builder = StreamsBuilder()
    counts = Produced.with_(Serdes.String(), Serdes.Long())
    if workload == "b":
        (builder.stream(input_topic).filter(lambda k, v: keep_line(v))
            .map_values(str.upper).to(output_topic))
    elif workload == "c":
        (builder.stream(input_topic).flat_map_values(split_words)
            .group_by(word_of).count().to_stream().to(output_topic, counts))
    elif workload == "d":
        (builder.stream(input_topic).group_by_key()
            .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(milliseconds=WINDOW_MS)))
            # explicit serdes, as Kafka Streams needs them too: with the defaults the suppress
            # buffer gets the default (String) serde for its Windowed keys and fails
            .count(Materialized.with_(Serdes.String(), Serdes.Long()))
            .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
            .to_stream(window_key).to(output_topic, counts))
    elif workload == "e":
        table = builder.table(table_topic)
        builder.stream(input_topic).join(table, join_values).to(output_topic)
    else:
        raise ValueError(f"no raystreams topology for workload {workload!r}")
    return builder.build()


def count_store(input_topic: str, output_topic: str, store: str = "counts") -> Topology:
    """Recovery: ``group_by_key().count()`` into the RocksDB store ``store``."""
    builder = StreamsBuilder()
    (builder.stream(input_topic).group_by_key().count(Materialized.as_(store))
        .to_stream().to(output_topic, Produced.with_(Serdes.String(), Serdes.Long())))
    return builder.build()
