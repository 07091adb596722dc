"""The examples' test cases, shared by the driver tests (tests/unit/test_examples.py) and the
end-to-end tests (tests/integration/test_runtime_examples.py): each example's input and its exact
output, written out by hand (times in ms after ``BASE``; window bounds included).

A case builds the example's topology with topic names passed through ``rename`` (the
end-to-end tests make them unique per run), lists its input steps in order (``Send``,
``Advance`` of the driver's wall clock, ``Restart`` of a running app) and the records each
output topic must hold, per key in this order.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from raystreams import Serdes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
#: The first record's time: a multiple of 60 s (window bounds stay round). The end-to-end tests
#: use a recent one instead (Kafka's retention would delete records from long ago).
BASE = 1_700_000_040_000

S, J, L = Serdes.String(), Serdes.JSON(), Serdes.Long()


def load_example(name: str) -> Any:
    """Import ``examples/NAME.py`` as the module ``NAME`` (as ``raystreams run`` finds it)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Send:
    topic: str
    key: Any
    value: Any
    at: int  # ms after BASE


@dataclass(frozen=True)
class Advance:
    """Advance the driver's wall clock (the runtime's clock moves by itself)."""

    ms: int


@dataclass(frozen=True)
class Start:
    """End to end, the app starts here (steps before it are on the topics when it starts);
    without one it starts before the first step."""


@dataclass(frozen=True)
class Sync:
    """End to end, wait here until every output record timed at or before the last record
    sent has arrived."""


@dataclass(frozen=True)
class Restart:
    """End to end: sync, stop the app and start it again (a GlobalKTable update is not
    synchronised with the stream by time, and a restart loads it whole before processing)."""


Out = tuple[Any, Any, int]  # key, value, ms after BASE


@dataclass
class Case:
    example: str
    build: Callable[[Any, Callable[[str], str]], Any]
    serdes: dict[str, tuple[Any, Any]]  # every input and output topic (by default name)
    #: end-to-end topic partitions (by default name): the seed's where it says, else 1, since
    #: every task is a Ray actor and all examples run at once on 2 cores
    partitions: dict[str, int]
    steps: list[Send | Advance | Start | Sync | Restart]
    outputs: dict[str, list[Out]]
    #: outputs only whose last record per key is exact (wall-clock punctuation repeats)
    latest_only: set[str] = field(default_factory=set)
    config: dict[str, Any] = field(default_factory=dict)
    #: fields of output values that hold absolute times (window bounds)
    time_fields: tuple[str, ...] = ()
    #: key-value stores to read at the end (interactive queries): {store: {key: value}}
    stores: dict[str, dict[Any, Any]] = field(default_factory=dict)

    @property
    def module(self) -> Any:
        return load_example(self.example)

    def topology(self, rename: Callable[[str], str] = lambda t: t) -> Any:
        return self.build(self.module, rename)


def _sends(topic: str, items: list[tuple[Any, Any, int]]) -> list[Send]:
    return [Send(topic, k, v, at) for k, v, at in items]


def _stock_window(ticker: str, start: int, count: int, low: float, high: float, avg: float,
                  at: int) -> Out:
    return (ticker, {"ticker": ticker, "window_start": BASE + start,
                     "window_end": BASE + start + 5_000, "count": count, "min": low,
                     "max": high, "avg": avg}, at)


def _activity(user: str, interests: list[str], search: str, page: str) -> dict[str, Any]:
    return {"user": user, "interests": interests, "search": search, "page": page}


#: The examples with max.task.idle.ms (1 s) hold a record while another input partition of its
#: task is empty, for that long of wall-clock time (as Kafka's TopologyTestDriver does): the
#: driver's clock must move for the last one.
IDLE = Advance(1_000)

ORDER_OUTPUT = [("gildong", "Galaxy send to Newyork", 2_000),
                ("jihun", "iPhone send to Seoul", 3_000),
                ("jihun", "G-Wagon send to LA", 5_000)]

METRICBEAT_SAMPLE = [json.loads(line) for line in
                     (ROOT / "tests" / "data" / "metricbeat-sample.jsonl").read_text().splitlines()
                     if line.strip()]

WORDCOUNT_LINES = ["all streams lead to kafka", "hello kafka streams", "join kafka summit"]

CASES: dict[str, Case] = {c.example: c for c in [
    Case("stream_copy", lambda m, r: m.build_topology(r("stream_log"), r("stream_log_copy")),
         {"stream_log": (S, S), "stream_log_copy": (S, S)},
         {"stream_log": 1, "stream_log_copy": 1},
         _sends("stream_log", [(None, "hello", 0), ("k", "raystreams", 10), (None, "copies", 20)]),
         {"stream_log_copy": [(None, "hello", 0), ("k", "raystreams", 10), (None, "copies", 20)]}),
    Case("filter", lambda m, r: m.build_topology(r("stream_log"), r("stream_log_filter")),
         {"stream_log": (S, S), "stream_log_filter": (S, S)},
         {"stream_log": 1, "stream_log_filter": 1},
         _sends("stream_log", [(None, v, i) for i, v in enumerate(
             ["hi", "hello", "wonyoung", "streams", "jongsang", "kafka"])]),
         {"stream_log_filter": [(None, "wonyoung", 2), (None, "streams", 3),
                                (None, "jongsang", 4)]}),
    Case("wordcount",
         lambda m, r: m.build_topology(r("streams-plaintext-input"), r("streams-wordcount-output")),
         {"streams-plaintext-input": (S, S), "streams-wordcount-output": (S, L)},
         {"streams-plaintext-input": 1, "streams-wordcount-output": 1},
         _sends("streams-plaintext-input",
                [(None, line, 10 * i) for i, line in enumerate(WORDCOUNT_LINES)]),
         {"streams-wordcount-output": [
             ("all", 1, 0), ("streams", 1, 0), ("lead", 1, 0), ("to", 1, 0), ("kafka", 1, 0),
             ("hello", 1, 10), ("kafka", 2, 10), ("streams", 2, 10),
             ("join", 1, 20), ("kafka", 3, 20), ("summit", 1, 20)]},
         config={"statestore.cache.max.bytes": 0}),
    Case("order_join",
         lambda m, r: m.build_topology(r("order"), r("address"), r("order_join")),
         {"order": (S, S), "address": (S, S), "order_join": (S, S)},
         {"order": 3, "address": 3, "order_join": 3},
         [Send("address", "jihun", "Seoul", 0), Send("address", "gildong", "Newyork", 1_000),
          Send("order", "gildong", "Galaxy", 2_000), Send("order", "jihun", "iPhone", 3_000),
          Send("order", "nobody", "Bicycle", 3_500),  # no address: no output (inner join)
          Send("address", "jihun", "LA", 4_000), Send("order", "jihun", "G-Wagon", 5_000),
          IDLE],
         {"order_join": ORDER_OUTPUT}),
    Case("global_table_join",
         lambda m, r: m.build_topology(r("order"), r("address_v2"), r("order_join_global")),
         {"order": (S, S), "address_v2": (S, S), "order_join_global": (S, S)},
         {"order": 3, "address_v2": 2, "order_join_global": 3},
         [Send("address_v2", "jihun", "Seoul", 0),
          Send("address_v2", "gildong", "Newyork", 1_000), Start(),
          Send("order", "gildong", "Galaxy", 2_000), Send("order", "jihun", "iPhone", 3_000),
          Send("order", "nobody", "Bicycle", 3_500), Sync(),
          Send("address_v2", "jihun", "LA", 4_000), Restart(),
          Send("order", "jihun", "G-Wagon", 5_000)],
         {"order_join_global": ORDER_OUTPUT}),
    Case("metric_pipeline",
         lambda m, r: m.build_topology(r("metric.all"), r("metric.cpu"), r("metric.memory"),
                                       r("metric.cpu.alert")),
         {"metric.all": (S, J), "metric.cpu": (S, J), "metric.memory": (S, J),
          "metric.cpu.alert": (S, J)},
         {"metric.all": 1, "metric.cpu": 1, "metric.memory": 1, "metric.cpu.alert": 1},
         _sends("metric.all", [(r["host"]["name"], r, 1_000 * i)
                               for i, r in enumerate(METRICBEAT_SAMPLE)]),
         {"metric.cpu": [(r["host"]["name"], r, 1_000 * i)
                         for i, r in enumerate(METRICBEAT_SAMPLE)
                         if r["metricset"]["name"] == "cpu"],
          "metric.memory": [("host-a.local", METRICBEAT_SAMPLE[1], 1_000)],
          "metric.cpu.alert": [  # above 50% (0.5 itself is not)
              ("host-b.local", {"cpu": {"usage": 0.7312}, "name": "host-b.local",
                                "timestamp": "2025-01-31T07:55:36.555Z"}, 2_000),
              ("host-b.local", {"cpu": {"usage": 0.9034}, "name": "host-b.local",
                                "timestamp": "2025-01-31T07:55:46.560Z"}, 5_000)]}),
    Case("stock_stats", lambda m, r: m.build_topology(r("stock_trades"), r("stock_stats")),
         {"stock_trades": (S, J), "stock_stats": (S, J)},
         {"stock_trades": 1, "stock_stats": 1},
         _sends("stock_trades", [
             ("AAPL", {"ticker": "AAPL", "price": 10.0, "size": 100}, 1_000),
             ("AAPL", {"ticker": "AAPL", "price": 12.0, "size": 50}, 2_500),
             ("MSFT", {"ticker": "MSFT", "price": 20.0, "size": 10}, 3_000),
             ("AAPL", {"ticker": "AAPL", "price": 11.0, "size": 10}, 6_200),
             # later trades move stream time past every window above, closing them
             ("AAPL", {"ticker": "AAPL", "price": 1.0, "size": 1}, 20_000),
             ("MSFT", {"ticker": "MSFT", "price": 1.0, "size": 1}, 20_000)]),
         {"stock_stats": [
             # each trade is in the five 5 s windows starting at a whole second in (t-5 s, t]
             _stock_window("AAPL", -3_000, 1, 10.0, 10.0, 10.0, 1_000),
             _stock_window("AAPL", -2_000, 2, 10.0, 12.0, 11.0, 2_500),
             _stock_window("AAPL", -1_000, 2, 10.0, 12.0, 11.0, 2_500),
             _stock_window("MSFT", -1_000, 1, 20.0, 20.0, 20.0, 3_000),
             _stock_window("AAPL", 0, 2, 10.0, 12.0, 11.0, 2_500),
             _stock_window("MSFT", 0, 1, 20.0, 20.0, 20.0, 3_000),
             _stock_window("AAPL", 1_000, 2, 10.0, 12.0, 11.0, 2_500),
             _stock_window("MSFT", 1_000, 1, 20.0, 20.0, 20.0, 3_000),
             _stock_window("AAPL", 2_000, 2, 11.0, 12.0, 11.5, 6_200),
             _stock_window("MSFT", 2_000, 1, 20.0, 20.0, 20.0, 3_000),
             _stock_window("AAPL", 3_000, 1, 11.0, 11.0, 11.0, 6_200),
             _stock_window("MSFT", 3_000, 1, 20.0, 20.0, 20.0, 3_000),
             _stock_window("AAPL", 4_000, 1, 11.0, 11.0, 11.0, 6_200),
             _stock_window("AAPL", 5_000, 1, 11.0, 11.0, 11.0, 6_200),
             _stock_window("AAPL", 6_000, 1, 11.0, 11.0, 11.0, 6_200)]},
         time_fields=("window_start", "window_end")),
    Case("clickstream",
         lambda m, r: m.build_topology(r("clicks"), r("searches"), r("profiles"),
                                       r("user_activity")),
         {"clicks": (S, S), "searches": (S, S), "profiles": (S, J), "user_activity": (S, J)},
         {"clicks": 1, "searches": 1, "profiles": 1, "user_activity": 1},
         [Send("profiles", "u1", {"name": "Ana", "interests": ["photography"]}, 0),
          Send("profiles", "u2", {"name": "Ben", "interests": ["databases"]}, 0),
          Send("searches", "u1", "camera", 1_000),
          Send("searches", "u2", "kafka book", 1_000),
          Send("clicks", "u1", "product/canon-r5", 1_500),
          Send("clicks", "u2", "product/kafka-guide", 2_500),  # 1.5 s after the search
          Send("clicks", "u3", "home", 3_000),  # no search, no profile
          Send("searches", "u1", "tripod", 5_000),
          Send("clicks", "u1", "product/tripod-x", 5_800),
          Send("clicks", "u1", "product/tripod-y", 6_000),  # exactly 1 s after: still in
          Send("clicks", "u2", "home", 7_000),
          Send("searches", "u2", "streams", 7_500),  # after the click: not joined
          IDLE],
         {"user_activity": [
             ("u1", _activity("Ana", ["photography"], "camera", "product/canon-r5"), 1_500),
             ("u1", _activity("Ana", ["photography"], "tripod", "product/tripod-x"), 5_800),
             ("u1", _activity("Ana", ["photography"], "tripod", "product/tripod-y"), 6_000)]}),
    Case("processor_api",
         lambda m, r: m.build_topology(r("events"), {lvl: r(t) for lvl, t in
                                                     m.LEVEL_TOPICS.items()}, r("events.summary")),
         {"events": (S, J), "events.error": (S, J), "events.warn": (S, J),
          "events.info": (S, J), "events.summary": (S, J)},
         dict.fromkeys(["events", "events.error", "events.warn", "events.info",
                        "events.summary"], 1),
         [Send("events", "checkout", {"level": "info", "message": "order 1 placed"}, 0),
          Send("events", "checkout", {"level": "warn", "message": "payment retry"}, 10),
          Send("events", "search", {"level": "info", "message": "query ok"}, 20),
          Send("events", "checkout", {"level": "error", "message": "payment failed"}, 30),
          Send("events", "search", {"level": "debug", "message": "cache hit"}, 40),
          Advance(2_000),
          Send("events", "checkout", {"level": "info", "message": "order 2 placed"}, 2_100),
          Advance(2_000), Advance(2_000)],
         {"events.info": [
             ("checkout", {"level": "info", "message": "order 1 placed"}, 0),
             ("search", {"level": "info", "message": "query ok"}, 20),
             ("search", {"level": "debug", "message": "cache hit"}, 40),
             ("checkout", {"level": "info", "message": "order 2 placed"}, 2_100)],
          "events.warn": [("checkout", {"level": "warn", "message": "payment retry"}, 10)],
          "events.error": [("checkout", {"level": "error", "message": "payment failed"}, 30)],
          # at the wall-clock punctuations (the driver's clock starts at BASE): after the
          # first, both services; after the second, only checkout, which changed; then none
          "events.summary": [
              ("checkout", {"error": 1, "warn": 1, "info": 1}, 2_000),
              ("search", {"error": 0, "warn": 0, "info": 2}, 2_000),
              ("checkout", {"error": 1, "warn": 1, "info": 2}, 4_000)]},
         latest_only={"events.summary"}),
    Case("interactive_queries", lambda m, r: m.build_topology(r("iq-text")),
         {"iq-text": (S, S)}, {"iq-text": 1},
         _sends("iq-text", [(None, line, 10 * i) for i, line in enumerate(WORDCOUNT_LINES)]),
         {}, stores={"word-counts": {"all": 1, "streams": 2, "lead": 1, "to": 1, "kafka": 3,
                                     "hello": 1, "join": 1, "summit": 1}}),
]}
