"""raystreams twins of the oracle's stateless and Processor API scenarios (SCENARIOS.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raystreams import (
    Branched,
    Consumed,
    Named,
    Processor,
    Produced,
    PunctuationType,
    Record,
    Serdes,
    StreamsBuilder,
    Topology,
)

S = Serdes.String()
TWINS = ["stateless_ops", "split_branches", "processor_punctuate", "topology_error",
         "processing_errors"]


def _java_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _java_first(text: str) -> str:
    units = text.encode("utf-16-le")
    return units[:2].decode("utf-16-le", errors="surrogatepass")


def stateless_ops(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    a = b.stream("stateless-a", Consumed.with_(S, S))
    other = b.stream("stateless-b", Consumed.with_(S, S))
    (a.merge(other)
     .filter(lambda k, v: v is not None and not v.startswith("drop"))
     .map_values(_java_upper)
     .select_key(lambda k, v: "" if v == "" else _java_first(v))
     .flat_map(lambda k, v: [(k, v), (k + "-len", str(_java_len(v)))])
     .peek(lambda k, v: None)
     .to("stateless-output", Produced.with_(S, S)))
    return b.build()


def _java_upper(text: str) -> str:
    # Locale.ROOT upper-casing of ASCII and most letters matches str.upper; ß stays a known
    # difference (Java: "SS" too), so this is Python's rule.
    return text.upper()


def split_branches(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    branches = (b.stream("split-input", Consumed.with_(S, S))
                .split(Named.as_("split-"))
                .branch(lambda k, v: v is not None and v.startswith("a"), Branched.as_("a"))
                .branch(lambda k, v: v is not None and v.startswith("b"), Branched.as_("b"))
                .default_branch(Branched.as_("other")))
    branches["split-a"].to("branch-a", Produced.with_(S, S))
    branches["split-b"].to("branch-b", Produced.with_(S, S))
    branches["split-other"].to("branch-other", Produced.with_(S, S))
    return b.build()


class CountAndPunctuate(Processor):
    """Counts per key in ``proc-store``; punctuates the counts on stream time, a marker on wall clock."""

    def __init__(self, stream_interval: int, wall_interval: int) -> None:
        self.stream_interval = stream_interval
        self.wall_interval = wall_interval

    def init(self, context):
        super().init(context)
        self.store = context.get_state_store("proc-store")
        context.schedule(self.stream_interval, PunctuationType.STREAM_TIME, self.emit_counts)
        context.schedule(self.wall_interval, PunctuationType.WALL_CLOCK_TIME, self.emit_marker)

    def process(self, record):
        if record.key is None:
            return
        old = self.store.get(record.key)
        self.store.put(record.key, 1 if old is None else old + 1)

    def emit_counts(self, timestamp):
        with self.store.all() as items:
            for key, count in items:
                self.context.forward(Record(key, count, timestamp))

    def emit_marker(self, timestamp):
        self.context.forward(Record("wall-clock", timestamp, timestamp))


def processor_punctuate(params: Mapping[str, Any]) -> Topology:
    from raystreams.state import Stores

    stream_ms, wall_ms = int(params["stream_interval_ms"]), int(params["wall_interval_ms"])
    t = Topology()
    t.add_source("source", "punctuate-input", key_serde=S, value_serde=S)
    t.add_processor("counter", lambda: CountAndPunctuate(stream_ms, wall_ms), "source")
    t.add_state_store(Stores.key_value_store_builder(
        Stores.persistent_key_value_store("proc-store"), S, Serdes.Long()), "counter")
    t.add_sink("sink", "punctuate-output", "counter", key_serde=S, value_serde=Serdes.Long())
    return t


def topology_error(params: Mapping[str, Any]) -> Topology:
    kind = params.get("kind", "invalid_name")
    b = StreamsBuilder()
    if kind == "invalid_name":
        b.stream("error-input", Consumed.with_(S, S)).filter(
            lambda k, v: True, Named.as_(params.get("name", "bad name!")))
    elif kind == "duplicate_name":
        b.stream("error-input", Consumed.with_(S, S)).filter(
            lambda k, v: True, Named.as_("twice")).map_values(lambda v: v, Named.as_("twice"))
    elif kind == "unknown_parent":
        return Topology().add_source("source", "error-input").add_sink(
            "sink", "error-output", "no-such-processor")
    else:
        b.stream("error-input", Consumed.with_(S, S)).filter(
            lambda k, v: True, Named.as_("ok")).to("error-output", Produced.with_(S, S))
    return b.build()


class Picky(Processor):
    """Upper-cases values; raises on ``boom``, and in the next stream-time punctuation after
    ``tick-boom`` (the oracle's ``ProcessorScenarios.Picky``)."""

    def init(self, context):
        super().init(context)
        self.armed = False
        context.schedule(10_000, PunctuationType.STREAM_TIME, self.tick)

    def tick(self, timestamp):
        if self.armed:
            self.armed = False
            raise RuntimeError("tick")
        self.context.forward(Record("tick", str(timestamp), timestamp))

    def process(self, record):
        if record.value == "boom":
            raise ValueError("boom")
        if record.value == "tick-boom":
            self.armed = True
        self.context.forward(record.with_value(None if record.value is None
                                               else record.value.upper()))


def processing_errors(params: Mapping[str, Any]) -> Topology:
    t = Topology()
    t.add_source("source", "errors-input", key_serde=S, value_serde=S)
    t.add_processor("picky", Picky, "source")
    t.add_sink("sink", "errors-output", "picky", key_serde=S, value_serde=S)
    return t
