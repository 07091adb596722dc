"""raystreams twins of the oracle's versioned-table scenarios (``VersionedScenarios.java``).

Same operators in the same order, the same store names, serdes and joiner as the Java side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from raystreams.dsl.builder import StreamsBuilder
from raystreams.dsl.params import Consumed, Grouped, Joined, Materialized, Produced
from raystreams.serde import Serdes
from raystreams.state import Stores
from raystreams.topology.topology import Topology

from .twins_joins import _params, concat_joiner

TWINS = ["versioned_table_source", "versioned_stream_table_inner", "versioned_stream_table_left",
         "versioned_stream_table_inner_grace", "versioned_stream_table_left_grace",
         "versioned_table_table", "versioned_group_by_count"]

S = Serdes.String()


def _versioned(name: str, p: Mapping[str, Any]) -> Materialized:
    return Materialized.as_(Stores.persistent_versioned_key_value_store(name, p["history_ms"]))


def versioned_table_source(params: Mapping[str, Any] | None = None) -> Topology:
    p = _params(params, {"history_ms": 10_000})
    b = StreamsBuilder()
    (b.table("prices", Consumed.with_(S, S), _versioned("prices-versioned", p))
        .to_stream().to("prices-output", Produced.with_(S, S)))
    return b.build()


def _stream_table(left_join: bool, grace: bool, params: Mapping[str, Any] | None) -> Topology:
    p = _params(params, {"history_ms": 10_000, **({"grace_ms": 3_000} if grace else {})})
    b = StreamsBuilder()
    orders = b.stream("orders", Consumed.with_(S, S))
    prices = b.table("prices", Consumed.with_(S, S), _versioned("prices-versioned", p))
    joined = Joined.with_(S, S, S)
    if grace:
        joined = joined.with_grace_period(p["grace_ms"])
    (orders.left_join if left_join else orders.join)(prices, concat_joiner, joined) \
        .to("join-output", Produced.with_(S, S))
    return b.build()


def versioned_stream_table_inner(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_table(False, False, params)


def versioned_stream_table_left(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_table(True, False, params)


def versioned_stream_table_inner_grace(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_table(False, True, params)


def versioned_stream_table_left_grace(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_table(True, True, params)


def versioned_table_table(params: Mapping[str, Any] | None = None) -> Topology:
    p = _params(params, {"history_ms": 10_000})
    b = StreamsBuilder()
    left = b.table("left-table", Consumed.with_(S, S), _versioned("left-versioned", p))
    right = b.table("right-table", Consumed.with_(S, S), _versioned("right-versioned", p))
    left.join(right, concat_joiner).to_stream().to("join-output", Produced.with_(S, S))
    return b.build()


def versioned_group_by_count(params: Mapping[str, Any] | None = None) -> Topology:
    p = _params(params, {"history_ms": 10_000})
    b = StreamsBuilder()
    (b.table("regions", Consumed.with_(S, S), _versioned("regions-versioned", p))
        .group_by(lambda user, region: (region, user), Grouped.with_(S, S))
        .count(Materialized.as_("versioned-region-counts"))
        .to_stream().to("region-count-output", Produced.with_(S, Serdes.Long())))
    return b.build()
