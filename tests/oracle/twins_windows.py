"""raystreams twins of the oracle's windowed scenarios (SCENARIOS.md, "Windows").

Each function builds the same topology as ``WindowScenarios.java``: same operators in the same
order, same store names and serdes, and the same ``key@start/end`` rendering before the sink.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raystreams import Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder, Topology
from raystreams.dsl.suppressed import BufferConfig, Suppressed
from raystreams.dsl.windows import (
    EmitStrategy,
    SessionWindows,
    SlidingWindows,
    TimeWindows,
    UnlimitedWindows,
)

S = Serdes.String()
L = Serdes.Long()
DEFAULTS = {"size_ms": 10_000, "grace_ms": 5_000, "advance_ms": 5_000, "time_difference_ms": 5_000,
            "gap_ms": 5_000, "start_ms": 1_000}
TWINS = ["tumbling_count", "hopping_aggregate", "sliding_count", "session_count",
         "suppress_window_close", "emit_final", "unlimited_count"]


def _p(params: Mapping[str, Any], name: str, **override: int) -> int:
    """A param, else the Java scenario's default."""
    if name in params:
        return int(params[name])
    return override.get(name, DEFAULTS[name])


def _window_key(windowed: Any, value: Any) -> tuple[str, Any]:
    w = windowed.window
    return f"{windowed.key}@{w.start}/{w.end}", value


def _events(builder: StreamsBuilder) -> Any:
    return builder.stream("events", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))


def _to_topic(table: Any, topic: str) -> None:
    table.to_stream().map(_window_key).to(topic, Produced.with_(S, L))


def tumbling_count(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    _to_topic(_events(b)
              .windowed_by(TimeWindows.of_size_and_grace(_p(params, "size_ms"), _p(params, "grace_ms")))
              .count(Materialized.as_("tumbling-counts")), "tumbling-output")
    return b.build()


def _add_amount(key: str, amount: int | None, total: int) -> int:
    return total if amount is None else total + amount


def hopping_aggregate(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    windows = (TimeWindows.of_size_and_grace(_p(params, "size_ms"), _p(params, "grace_ms", grace_ms=2_000))
               .advance_by(_p(params, "advance_ms")))
    _to_topic(b.stream("amounts", Consumed.with_(S, L))
              .group_by_key(Grouped.with_(S, L))
              .windowed_by(windows)
              .aggregate(lambda: 0, _add_amount,
                         Materialized.as_("hopping-sums").with_value_serde(L)),
              "hopping-output")
    return b.build()


def sliding_count(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    windows = SlidingWindows.of_time_difference_and_grace(_p(params, "time_difference_ms"),
                                                          _p(params, "grace_ms", grace_ms=2_000))
    _to_topic(_events(b).windowed_by(windows).count(Materialized.as_("sliding-counts")),
              "sliding-output")
    return b.build()


def session_count(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    windows = SessionWindows.of_inactivity_gap_and_grace(_p(params, "gap_ms"),
                                                      _p(params, "grace_ms", grace_ms=2_000))
    _to_topic(_events(b).windowed_by(windows).count(Materialized.as_("session-counts")),
              "session-output")
    return b.build()


def suppress_window_close(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    _to_topic(_events(b)
              .windowed_by(TimeWindows.of_size_and_grace(_p(params, "size_ms"), _p(params, "grace_ms")))
              .count(Materialized.as_("suppress-counts"))
              .suppress(Suppressed.until_window_closes(BufferConfig.unbounded())),
              "suppress-output")
    return b.build()


def emit_final(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    _to_topic(_events(b)
              .windowed_by(TimeWindows.of_size_and_grace(_p(params, "size_ms"), _p(params, "grace_ms")))
              .emit_strategy(EmitStrategy.on_window_close())
              .count(Materialized.as_("final-counts")), "emit-final-output")
    return b.build()


def unlimited_count(params: Mapping[str, Any]) -> Topology:
    b = StreamsBuilder()
    windows = UnlimitedWindows.of().start_on(_p(params, "start_ms"))
    _to_topic(_events(b).windowed_by(windows).count(Materialized.as_("unlimited-counts")),
              "unlimited-output")
    return b.build()
