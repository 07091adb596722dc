"""Hypothesis strategies for oracle cases: few keys (so they collide), timestamps around window
bounds and grace, out-of-order and late records, tombstones, bursts at equal timestamps and
wall-clock advances.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from .harness import Case, Step

EXAMPLES = int(os.environ.get("RAYSTREAMS_ORACLE_EXAMPLES", "8"))

CONFIGS: dict[str, dict[str, str]] = {
    "cache-alos": {},
    "nocache-alos": {"statestore.cache.max.bytes": "0"},
    "cache-eos": {"processing.guarantee": "exactly_once_v2"},
    "nocache-eos": {"statestore.cache.max.bytes": "0", "processing.guarantee": "exactly_once_v2"},
}

# The stores each scenario lists (SCENARIOS.md); generated store names are not listed.
STORES: dict[str, tuple[str, ...]] = {
    "wordcount": ("counts",),
    "table_filter_mapvalues": ("source-table", "mapped"),
    "table_groupby_count": ("region-counts",),
    "table_groupby_reduce": ("region-counts",),
    "table_groupby_aggregate": ("group-sums",),
    "cogroup": ("cogroup-agg",),
    "tumbling_count": ("tumbling-counts",),
    "hopping_aggregate": ("hopping-sums",),
    "sliding_count": ("sliding-counts",),
    "session_count": ("session-counts",),
    "suppress_window_close": ("suppress-counts",),
    "emit_final": ("final-counts",),
    "unlimited_count": ("unlimited-counts",),
    "stream_table_inner": ("addresses-store",),
    "stream_table_left": ("addresses-store",),
    "table_table_inner": ("left-store", "right-store"),
    "table_table_left": ("left-store", "right-store"),
    "table_table_outer": ("left-store", "right-store"),
    "fk_inner": ("orders-store", "products-store"),
    "fk_left": ("orders-store", "products-store"),
    "global_join": ("addresses-global",),
    "global_left_join": ("addresses-global",),
    "processor_punctuate": ("proc-store",),
}

KEYS = st.sampled_from(["a", "b", "c", None])
TABLE_KEYS = st.sampled_from(["a", "b", "c"])


def _maybe_null(values: list[str], null_weight: int = 1) -> st.SearchStrategy[str | None]:
    return st.one_of(*([st.none()] * null_weight), st.sampled_from(values))


_ORDERS_JSON = st.one_of(
    st.none(),
    st.builds(lambda p, q: json.dumps({"product": p, "qty": q}, separators=(",", ":")),
              st.sampled_from(["p1", "p2", "p3"]), st.integers(1, 3)),
    st.just('{"qty":1}'),
)

# Values per (scenario, topic); the default is a short word or null.
VALUES: dict[str, Any] = {
    "stateless_ops": _maybe_null(["apple", "banana", "drop-me", "", "cherry", "a"]),
    "split_branches": _maybe_null(["apple", "banana", "cherry", "a", "b", ""]),
    "wordcount": st.lists(st.sampled_from(["the", "The", "quick", "fox", "Hello", "hello",
                                           "world"]), min_size=1, max_size=4)
    .flatmap(lambda words: st.sampled_from([" ", ", ", "! "]).map(lambda sep: sep.join(words))),
    "table_filter_mapvalues": _maybe_null(["ab", "abc", "abcd", "x", ""]),
    "table_groupby_count": _maybe_null(["eu", "us", "asia"]),
    "table_groupby_reduce": _maybe_null(["eu", "us", "asia"]),
    "table_groupby_aggregate": _maybe_null(["g1|3", "g2|5", "g1|-2", "g3|0"]),
    "cogroup": _maybe_null(["x", "y", "z"]),
    "hopping_aggregate": st.one_of(st.none(), st.integers(1, 5).map(str)),
    "fk_inner/orders": _ORDERS_JSON,
    "fk_left/orders": _ORDERS_JSON,
    "fk_inner/products": _maybe_null(["P-one", "P-two"]),
    "fk_left/products": _maybe_null(["P-one", "P-two"]),
    "global_join/orders": _maybe_null(["a|book", "b|pen", "c|cup", "plain"]),
    "global_left_join/orders": _maybe_null(["a|book", "b|pen", "c|cup", "plain"]),
}
DEFAULT_VALUE = _maybe_null(["v1", "v2", "v3"])

# Deltas between consecutive timestamps: equal bursts, just inside/outside 5 s and 10 s
# windows and 2 s / 5 s grace, and out-of-order steps back.
DELTAS = st.sampled_from([0, 0, 1, 999, 1000, 1999, 2000, 2001, 4999, 5000, 5001, 7000, 9999,
                          10000, 10001, 15000, -1, -1000, -2500, -6000, -12000])


def _is_table_topic(scenario: str, topic: str) -> bool:
    return scenario.startswith(("table_", "fk_")) or topic in (
        "addresses", "products", "prices", "regions", "left-table", "right-table")


@st.composite
def cases(draw: Any, scenario: str, meta: Mapping[str, Any], config: Mapping[str, str],
          max_steps: int = 12) -> Case:
    """One random case of ``scenario`` under ``config``."""
    inputs = [t["topic"] for t in meta["inputs"]]
    n = draw(st.integers(1, max_steps))
    ts = draw(st.integers(0, 3000))
    steps: list[Step] = []
    for _ in range(n):
        if draw(st.integers(0, 9)) == 0:
            steps.append(Step.advance(draw(st.sampled_from([1000, 4999, 5000, 6000, 30000]))))
            continue
        topic = draw(st.sampled_from(inputs))
        key = draw(TABLE_KEYS if _is_table_topic(scenario, topic) else KEYS)
        value = draw(VALUES.get(f"{scenario}/{topic}", VALUES.get(scenario, DEFAULT_VALUE)))
        ts = max(0, ts + draw(DELTAS))
        headers = [("h", "x")] if draw(st.integers(0, 7)) == 0 else []
        steps.append(Step.pipe(topic, key, value, ts, headers))
    return Case.of(scenario, steps, config=config, stores=STORES.get(scenario, ()))
