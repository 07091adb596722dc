"""Python twins of the oracle's table and aggregation scenarios (see SCENARIOS.md).

Each function builds, in raystreams, the same topology as the Java scenario of that name:
same operators in the same order, same store names, serdes and user functions. They are
importable and side-effect free: ``twin(params)`` returns a fresh Topology.
"""

from __future__ import annotations

import re
from typing import Any

from raystreams import Serdes, StreamsBuilder, Topology
from raystreams.dsl.params import Consumed, Grouped, Materialized, Produced

S = Serdes.String()
L = Serdes.Long()


def java_split_nonword(text: str) -> list[str]:
    """Java's ``text.split("\\\\W+")``: ASCII ``\\W``, trailing empty strings dropped."""
    parts = re.split(r"\W+", text, flags=re.ASCII)
    if len(parts) > 1:
        while parts and parts[-1] == "":
            parts.pop()
    return parts


def java_length(text: str) -> int:
    """Java's ``String.length()``: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def wordcount(params: dict[str, Any] | None = None) -> Topology:
    builder = StreamsBuilder()
    (builder.stream("text-input", Consumed.with_(S, S))
     .flat_map_values(lambda v: java_split_nonword(v.lower()))
     .group_by(lambda k, word: word, Grouped.with_(S, S))
     .count(Materialized.as_("counts"))
     .to_stream()
     .to("wordcount-output", Produced.with_(S, L)))
    return builder.build()


def table_filter_mapvalues(params: dict[str, Any] | None = None) -> Topology:
    builder = StreamsBuilder()
    (builder.table("table-input", Consumed.with_(S, S), Materialized.as_("source-table"))
     .filter(lambda k, v: v is not None and java_length(v) % 2 == 0)
     .map_values(lambda v: v.upper(),
                 materialized=Materialized.as_("mapped").with_key_serde(S).with_value_serde(S))
     .to_stream()
     .to("table-output", Produced.with_(S, S)))
    return builder.build()


def table_groupby_count(params: dict[str, Any] | None = None) -> Topology:
    builder = StreamsBuilder()
    (builder.table("user-regions", Consumed.with_(S, S))
     .group_by(lambda user, region: (region, user), Grouped.with_(S, S))
     .count(materialized=Materialized.as_("region-counts"))
     .to_stream().to("region-counts-output", Produced.with_(S, L)))
    return builder.build()


def table_groupby_reduce(params: dict[str, Any] | None = None) -> Topology:
    builder = StreamsBuilder()
    (builder.table("user-regions", Consumed.with_(S, S))
     .group_by(lambda user, region: (region, 1), Grouped.with_(S, L))
     .reduce(lambda agg, one: agg + one, lambda agg, one: agg - one,
             materialized=Materialized.as_("region-counts"))
     .to_stream().to("region-counts-output", Produced.with_(S, L)))
    return builder.build()


def _group_and_amount(item: str, v: str) -> tuple[str, int]:
    group, amount = v.split("|", 1)
    if not re.fullmatch(r"[+-]?[0-9]+", amount):
        raise ValueError(f'For input string: "{amount}"')
    return group, int(amount)


def table_groupby_aggregate(params: dict[str, Any] | None = None) -> Topology:
    builder = StreamsBuilder()
    (builder.table("items", Consumed.with_(S, S))
     .group_by(_group_and_amount, Grouped.with_(S, L))
     .aggregate(lambda: 0, lambda g, amount, agg: agg + amount,
                lambda g, amount, agg: agg - amount,
                materialized=Materialized.as_("group-sums").with_value_serde(L))
     .to_stream().to("group-sums-output", Produced.with_(S, L)))
    return builder.build()


def cogroup(params: dict[str, Any] | None = None) -> Topology:
    builder = StreamsBuilder()
    a = builder.stream("cogroup-a", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
    b = builder.stream("cogroup-b", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
    (a.cogroup(lambda k, v, agg: agg + "A" + v)
     .cogroup(b, lambda k, v, agg: agg + "B" + v)
     .aggregate(lambda: "", materialized=Materialized.as_("cogroup-agg")
                .with_key_serde(S).with_value_serde(S))
     .to_stream().to("cogroup-output", Produced.with_(S, S)))
    return builder.build()


TWINS = {
    "wordcount": wordcount,
    "table_filter_mapvalues": table_filter_mapvalues,
    "table_groupby_count": table_groupby_count,
    "table_groupby_reduce": table_groupby_reduce,
    "table_groupby_aggregate": table_groupby_aggregate,
    "cogroup": cogroup,
}
