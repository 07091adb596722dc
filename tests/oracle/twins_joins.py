"""raystreams twins of the oracle's join scenarios (tests/oracle/SCENARIOS.md, "Joins").

Each ``<scenario>(params) -> Topology`` builds, with raystreams' DSL, the same topology as
the Java scenario of the same name: same operators in the same order (so generated names
and ``describe()`` match), same store names, serdes and user functions. Importing this
module has no side effects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from raystreams.dsl.builder import StreamsBuilder
from raystreams.dsl.params import Consumed, Joined, Materialized, Produced, StreamJoined
from raystreams.serde import Serdes
from raystreams.topology.topology import Topology

#: params of the stream-stream scenarios and their defaults (SCENARIOS.md)
STREAM_STREAM_DEFAULTS = {"time_difference_ms": 5000, "grace_ms": 2000}


def java_str(value: Any) -> str:
    """How Java's string concatenation renders a value: ``null``, compact JSON, or text."""
    if value is None:
        return "null"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def concat_joiner(left: Any, right: Any) -> str:
    """The scenarios' joiner ``(l, r) -> l + "+" + r``."""
    return java_str(left) + "+" + java_str(right)


def _params(params: Mapping[str, Any] | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in (params or {}).items():
        if key not in defaults:
            raise ValueError(f"unknown param {key!r} (known: {', '.join(defaults) or 'none'})")
        merged[key] = value
    return merged


# --------------------------------------------------------------------------- stream-stream

def _stream_stream(kind: str, params: Mapping[str, Any] | None) -> Topology:
    from raystreams.dsl.windows import JoinWindows

    p = _params(params, STREAM_STREAM_DEFAULTS)
    s = Serdes.String()
    builder = StreamsBuilder()
    left = builder.stream("left-input", Consumed.with_(s, s))
    right = builder.stream("right-input", Consumed.with_(s, s))
    windows = JoinWindows.of_time_difference_and_grace(p["time_difference_ms"], p["grace_ms"])
    method = {"inner": left.join, "left": left.left_join, "outer": left.outer_join}[kind]
    method(right, concat_joiner, windows, StreamJoined.with_(s, s, s)) \
        .to("join-output", Produced.with_(s, s))
    return builder.build()


def stream_stream_inner(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_stream("inner", params)


def stream_stream_left(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_stream("left", params)


def stream_stream_outer(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_stream("outer", params)


# --------------------------------------------------------------------------- stream-table

def _stream_table(left_join: bool, params: Mapping[str, Any] | None) -> Topology:
    _params(params, {})
    s = Serdes.String()
    builder = StreamsBuilder()
    orders = builder.stream("orders", Consumed.with_(s, s))
    addresses = builder.table("addresses", Consumed.with_(s, s), Materialized.as_("addresses-store"))
    method = orders.left_join if left_join else orders.join
    method(addresses, concat_joiner, Joined.with_(s, s, s)).to("join-output", Produced.with_(s, s))
    return builder.build()


def stream_table_inner(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_table(False, params)


def stream_table_left(params: Mapping[str, Any] | None = None) -> Topology:
    return _stream_table(True, params)


# --------------------------------------------------------------------------- table-table

def _table_table(kind: str, params: Mapping[str, Any] | None) -> Topology:
    _params(params, {})
    s = Serdes.String()
    builder = StreamsBuilder()
    left = builder.table("left-table", Consumed.with_(s, s), Materialized.as_("left-store"))
    right = builder.table("right-table", Consumed.with_(s, s), Materialized.as_("right-store"))
    method = {"inner": left.join, "left": left.left_join, "outer": left.outer_join}[kind]
    method(right, concat_joiner).to_stream().to("join-output", Produced.with_(s, s))
    return builder.build()


def table_table_inner(params: Mapping[str, Any] | None = None) -> Topology:
    return _table_table("inner", params)


def table_table_left(params: Mapping[str, Any] | None = None) -> Topology:
    return _table_table("left", params)


def table_table_outer(params: Mapping[str, Any] | None = None) -> Topology:
    return _table_table("outer", params)


# --------------------------------------------------------------------------- foreign key

def product_of(order: Any) -> str | None:
    """``order.hasNonNull("product") ? order.get("product").asText() : null``."""
    if not isinstance(order, dict):
        return None
    product = order.get("product")
    if product is None:
        return None
    if isinstance(product, bool):
        return "true" if product else "false"
    if isinstance(product, dict | list):
        return ""  # Jackson's asText() of a container node
    return str(product)


def _fk(left_join: bool, params: Mapping[str, Any] | None) -> Topology:
    _params(params, {})
    s = Serdes.String()
    js = Serdes.JSON()
    builder = StreamsBuilder()
    orders = builder.table("orders", Consumed.with_(s, js),
                           Materialized.as_("orders-store").with_key_serde(s).with_value_serde(js))
    products = builder.table("products", Consumed.with_(s, s), Materialized.as_("products-store"))
    method = orders.left_join if left_join else orders.join
    method(products, product_of, concat_joiner).to_stream().to("fk-output", Produced.with_(s, s))
    return builder.build()


def fk_inner(params: Mapping[str, Any] | None = None) -> Topology:
    return _fk(False, params)


def fk_left(params: Mapping[str, Any] | None = None) -> Topology:
    return _fk(True, params)


# --------------------------------------------------------------------------- global table

def address_of(order_id: Any, order: Any) -> Any:
    """The part of ``"addressId|item"`` before the first ``|``, else the order's key."""
    if order is None:
        return None
    bar = order.find("|")
    return order_id if bar < 0 else order[:bar]


def _global(left_join: bool, params: Mapping[str, Any] | None) -> Topology:
    _params(params, {})
    s = Serdes.String()
    builder = StreamsBuilder()
    orders = builder.stream("orders", Consumed.with_(s, s))
    addresses = builder.global_table("addresses", Consumed.with_(s, s),
                                     Materialized.as_("addresses-global"))
    method = orders.left_join if left_join else orders.join
    method(addresses, address_of, concat_joiner).to("join-output", Produced.with_(s, s))
    return builder.build()


def global_join(params: Mapping[str, Any] | None = None) -> Topology:
    return _global(False, params)


def global_left_join(params: Mapping[str, Any] | None = None) -> Topology:
    return _global(True, params)


TWINS = {
    "stream_stream_inner": stream_stream_inner,
    "stream_stream_left": stream_stream_left,
    "stream_stream_outer": stream_stream_outer,
    "stream_table_inner": stream_table_inner,
    "stream_table_left": stream_table_left,
    "table_table_inner": table_table_inner,
    "table_table_left": table_table_left,
    "table_table_outer": table_table_outer,
    "fk_inner": fk_inner,
    "fk_left": fk_left,
    "global_join": global_join,
    "global_left_join": global_left_join,
}
