"""Windowed aggregations in the TopologyTestDriver: Kafka's KStreamWindowAggregateTest,
KStreamSlidingWindowAggregateTest and session-window vectors, naming, describe(), retention.

Each store-backed test runs on both store types and both cache settings, as Kafka's tests do.
Emit-final tests advance the wall clock 1 s before each record: emit-final checks are
throttled by wall-clock time (Kafka's driver turns that off with an internal config).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from raystreams import Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder
from raystreams.config import EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION
from raystreams.dsl.windowed import SessionWindowedKStream, TimeWindowedKStream
from raystreams.dsl.windows import (
    EmitStrategy,
    SessionWindows,
    SlidingWindows,
    TimeWindows,
)
from raystreams.errors import IllegalArgumentException, TopologyException
from raystreams.testing import TopologyTestDriver
from raystreams.windowed import SessionWindow, TimeWindow, Windowed

S, L = Serdes.String(), Serdes.Long()
STORE_TYPES = ["in_memory", "rocks_db"]
CACHES = {"nocache": {"statestore.cache.max.bytes": 0}, "cache": {}}


@pytest.fixture(params=STORE_TYPES)
def store_type(request):
    return request.param


@pytest.fixture(params=sorted(CACHES))
def cache(request):
    return CACHES[request.param]


def _adder(key, value, agg):
    return f"{agg}+{value}"


def _render(table, topic="output"):
    """Kafka's tests print windowed keys as ``key@start/end``."""
    (table.to_stream()
     .map(lambda w, v: (f"{w.key}@{w.window.start}/{w.window.end}", v))
     .to(topic, Produced.with_(S, S if topic == "output" else L)))


_DRIVERS: list[TopologyTestDriver] = []


@pytest.fixture(autouse=True)
def _close_drivers():
    yield
    while _DRIVERS:
        _DRIVERS.pop().close()


def _run(builder, records, config=None, *, topic="topic", advance=0, value_serde=S,
         out_serde=S, out_topic="output"):
    """Pipe ``records``; the outputs and the (still open) driver."""
    driver = TopologyTestDriver(builder.build(), {"application.id": "win", **(config or {})},
                                initial_wall_clock_time=0)
    _DRIVERS.append(driver)
    inp = driver.create_input_topic(topic, S, value_serde)
    for key, value, ts in records:
        if advance:
            driver.advance_wall_clock_time(advance)
        inp.pipe_input(key, value, ts)
    out = driver.create_output_topic(out_topic, S, out_serde)
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()], driver


# ----------------------------------------------------------------------------- hopping
AGG_BASIC_INPUT = [
    ("A", "1", 0), ("B", "2", 1), ("C", "3", 2), ("D", "4", 3), ("A", "1", 4),
    ("A", "1", 5), ("B", "2", 6), ("D", "4", 7), ("B", "2", 8), ("C", "3", 9),
    ("A", "1", 10), ("B", "2", 11), ("D", "4", 12), ("B", "2", 13), ("C", "3", 14),
    ("B", "1", 3), ("B", "2", 2), ("B", "3", 9),
]
AGG_BASIC_OUTPUT = [  # KStreamWindowAggregateTest.testAggBasic
    ("A@0/10", "0+1", 0), ("B@0/10", "0+2", 1), ("C@0/10", "0+3", 2), ("D@0/10", "0+4", 3),
    ("A@0/10", "0+1+1", 4), ("A@0/10", "0+1+1+1", 5), ("A@5/15", "0+1", 5),
    ("B@0/10", "0+2+2", 6), ("B@5/15", "0+2", 6), ("D@0/10", "0+4+4", 7),
    ("D@5/15", "0+4", 7), ("B@0/10", "0+2+2+2", 8), ("B@5/15", "0+2+2", 8),
    ("C@0/10", "0+3+3", 9), ("C@5/15", "0+3", 9), ("A@5/15", "0+1+1", 10),
    ("A@10/20", "0+1", 10), ("B@5/15", "0+2+2+2", 11), ("B@10/20", "0+2", 11),
    ("D@5/15", "0+4+4", 12), ("D@10/20", "0+4", 12), ("B@5/15", "0+2+2+2+2", 13),
    ("B@10/20", "0+2+2", 13), ("C@5/15", "0+3+3", 14), ("C@10/20", "0+3", 14),
    ("B@0/10", "0+2+2+2+1", 8), ("B@0/10", "0+2+2+2+1+2", 8),
    ("B@0/10", "0+2+2+2+1+2+3", 9), ("B@5/15", "0+2+2+2+2+3", 13),
]


def _agg_basic(emit: EmitStrategy, store_type: str) -> StreamsBuilder:
    b = StreamsBuilder()
    _render(b.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
            .windowed_by(TimeWindows.of_size_and_grace(10, 100).advance_by(5))
            .emit_strategy(emit)
            .aggregate(lambda: "0", _adder,
                       Materialized.as_("topic1-Canonized").with_value_serde(S)
                       .with_store_type(store_type)))
    return b


def test_agg_basic(store_type, cache):
    out, _ = _run(_agg_basic(EmitStrategy.on_window_update(), store_type), AGG_BASIC_INPUT, cache)
    assert out == AGG_BASIC_OUTPUT


def test_agg_basic_emit_final_emits_nothing_before_windows_close(store_type, cache):
    out, _ = _run(_agg_basic(EmitStrategy.on_window_close(), store_type), AGG_BASIC_INPUT,
                  cache, advance=1000)
    assert out == []


def test_agg_basic_window_store_contents(store_type, cache):
    _, driver = _run(_agg_basic(EmitStrategy.on_window_update(), store_type), AGG_BASIC_INPUT,
                     cache)
    store = driver.get_timestamped_window_store("topic1-Canonized")
    assert store.fetch("B", 0) == ("0+2+2+2+1+2+3", 9)   # ValueAndTimestamp: max timestamp
    assert store.fetch("B", 5) == ("0+2+2+2+2+3", 13)
    assert store.fetch("C", 10) == ("0+3", 14)
    with store.fetch("A", 0, 10) as it:
        assert [(start, v.value) for start, v in it] == [
            (0, "0+1+1+1"), (5, "0+1+1"), (10, "0+1")]


def _expiry_builder(emit: EmitStrategy, store_type: str) -> StreamsBuilder:
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
     .windowed_by(TimeWindows.of_size_and_grace(10, 90).advance_by(5))
     .emit_strategy(emit)
     .aggregate(lambda: "", _adder,
                Materialized.as_("topic1-Canonicalized").with_value_serde(S)
                .with_logging_disabled().with_retention(timedelta(milliseconds=100))
                .with_store_type(store_type))
     .to_stream()
     .map(lambda w, v: (f"[{w.key}@{w.window.start}/{w.window.end}]", v))
     .to("output", Produced.with_(S, S)))
    return b


EXPIRY_INPUT = [("k", "100", 100), ("k", "0", 0), ("k", "1", 1), ("k", "2", 2), ("k", "3", 3),
                ("k", "4", 4), ("k", "5", 5), ("k", "6", 6), ("k", "105", 105),
                ("k", "106", 106)]


def test_skips_and_counts_records_of_expired_windows(store_type, cache, caplog):
    # KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindow
    with caplog.at_level(logging.WARNING, logger="raystreams.processor.window_aggregate"):
        out, driver = _run(_expiry_builder(EmitStrategy.on_window_update(), store_type),
                           EXPIRY_INPUT, cache)
    assert out == [
        ("[k@95/105]", "+100", 100), ("[k@100/110]", "+100", 100), ("[k@5/15]", "+5", 5),
        ("[k@5/15]", "+5+6", 6), ("[k@100/110]", "+100+105", 105), ("[k@105/115]", "+105", 105),
        ("[k@100/110]", "+100+105+106", 106), ("[k@105/115]", "+105+106", 106),
    ]
    assert driver.task.metrics.records_dropped == 7
    messages = [r.getMessage() for r in caplog.records]
    for offset, ts in zip(range(1, 8), range(7), strict=True):
        assert (f"task [0_0] Skipping record for expired window. topic=[topic] partition=[0] "
                f"offset=[{offset}] timestamp=[{ts}] window=[0,10) expiration=[10] "
                f"streamTime=[100]") in messages
    assert not any("'k'" in m or "=100'" in m for m in messages)  # never the record itself


def test_emit_final_emits_closed_windows_once(cache):
    # Kafka's time-ordered (persistent) emit-final store still finds windows starting at
    # stream time - retention; its in-memory store does not.
    out, _ = _run(_expiry_builder(EmitStrategy.on_window_close(), "rocks_db"), EXPIRY_INPUT,
                  cache, advance=1000)
    # window close time is 15 at timestamp 105: only [5,15) closed
    assert out == [("[k@5/15]", "+5+6", 6)]


def test_emit_final_is_throttled_by_wall_clock(store_type):
    b = StreamsBuilder()
    _render(b.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
            .windowed_by(TimeWindows.of_size_with_no_grace(10))
            .emit_strategy(EmitStrategy.on_window_close())
            .count(Materialized.as_("c").with_retention(1000).with_store_type(store_type)),
            "counts")
    config = {"application.id": "win",  # the driver turns the throttle off unless given
              EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION: 1000}
    with TopologyTestDriver(b.build(), config, initial_wall_clock_time=0) as driver:
        inp = driver.create_input_topic("topic", S, S)
        out = driver.create_output_topic("counts", S, L)
        inp.pipe_input("a", "x", 1)     # checks at wall time 0; next check at 1000
        inp.pipe_input("a", "x", 25)    # closes [0,10), but the check is throttled
        assert out.read_records_to_list() == []
        driver.advance_wall_clock_time(1000)
        inp.pipe_input("b", "x", 26)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("a@0/10", 1, 1)]


# ----------------------------------------------------------------------------- tumbling
def test_records_in_the_last_ten_minutes(store_type, cache):
    """Seed scenario: tumbling 10-minute windows counting per key."""
    minute = 60_000
    b = StreamsBuilder()
    _render(b.stream("page-views", Consumed.with_(S, S)).group_by_key()
            .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=10)))
            .count(Materialized.as_("views-per-10-min").with_store_type(store_type)), "views")
    records = [("home", "u1", 1 * minute), ("home", "u2", 4 * minute), ("cart", "u1", 9 * minute),
               ("home", "u3", 11 * minute), (None, "u4", 11 * minute),
               ("home", "u5", 9 * minute)]  # late: [0,10min) closed at 10 min, no grace
    out, driver = _run(b, records, cache, topic="page-views", out_serde=L, out_topic="views")
    assert out == [("home@0/600000", 1, minute), ("home@0/600000", 2, 4 * minute),
                   ("cart@0/600000", 1, 9 * minute), ("home@600000/1200000", 1, 11 * minute)]
    assert driver.task.metrics.records_dropped == 2  # the null key and the late record


def test_windowed_store_holds_value_and_timestamp(store_type):
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key()
     .windowed_by(TimeWindows.of_size_and_grace(10, 5))
     .count(Materialized.as_("counts").with_store_type(store_type)))
    _, driver = _run(b, [("a", "x", 3), ("a", "x", 1), ("b", "x", 12)], out_topic="none")
    store = driver.get_timestamped_window_store("counts")
    assert store.fetch("a", 0) == (2, 3)
    assert store.fetch("b", 10) == (1, 12)
    with store.all() as items:
        assert [(k, v.value) for k, v in items] == [(Windowed("a", TimeWindow(0, 10)), 2),
                                                    (Windowed("b", TimeWindow(10, 20)), 1)]


def test_reduce_over_tumbling_windows(store_type, cache):
    b = StreamsBuilder()
    _render(b.stream("topic", Consumed.with_(S, S)).group_by_key()
            .windowed_by(TimeWindows.of_size_and_grace(10, 0))
            .reduce(lambda agg, v: agg + v, Materialized.as_("r").with_store_type(store_type)))
    out, _ = _run(b, [("a", "x", 1), ("a", "y", 2), ("a", "z", 11), ("a", "w", 3)], cache)
    assert out == [("a@0/10", "x", 1), ("a@0/10", "xy", 2), ("a@10/20", "z", 11)]


def test_moving_average_per_ticker(store_type, cache):
    """Seed scenario: average price per ticker over hopping windows (sum and count)."""
    b = StreamsBuilder()
    (b.stream("prices", Consumed.with_(S, Serdes.Double())).group_by_key()
     .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(minutes=5))
                  .advance_by(timedelta(minutes=1)))
     .aggregate(lambda: {"sum": 0.0, "count": 0},
                lambda k, price, agg: {"sum": agg["sum"] + price, "count": agg["count"] + 1},
                Materialized.as_("price-stats").with_value_serde(Serdes.JSON())
                .with_store_type(store_type))
     .map_values(lambda agg: round(agg["sum"] / agg["count"], 4))
     .to_stream()
     .map(lambda w, avg: (f"{w.key}@{w.window.start // 60_000}", avg))
     .to("averages", Produced.with_(S, Serdes.Double())))
    minute = 60_000
    out, _ = _run(b, [("ACME", 10.0, 30_000), ("ACME", 20.0, 90_000), ("INIT", 5.0, 100_000)],
                  cache, topic="prices", value_serde=Serdes.Double(), out_serde=Serdes.Double(),
                  out_topic="averages")
    assert [(k, v) for k, v, _ in out] == [
        ("ACME@0", 10.0),
        ("ACME@0", 15.0), ("ACME@1", 20.0),
        ("INIT@0", 5.0), ("INIT@1", 5.0),
    ]
    assert out[0][2] == 30_000 and out[1][2] == 90_000 and out[-1][2] == 100_000
    assert minute  # windows start on whole minutes


# ----------------------------------------------------------------------------- sliding
SLIDING_INPUT = [("A", "1", 10), ("A", "2", 10), ("A", "3", 14), ("A", "4", 15), ("A", "5", 20),
                 ("A", "6", 22), ("A", "7", 30)]


def _sliding(emit: EmitStrategy, store_type: str) -> StreamsBuilder:
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
     .windowed_by(SlidingWindows.of_time_difference_and_grace(10, 5))
     .emit_strategy(emit)
     .aggregate(lambda: "0", _adder, Materialized.as_("store-name").with_value_serde(S)
                .with_store_type(store_type))
     .to_stream()
     .map(lambda w, v: (f"{w.window.start}", v))
     .to("output", Produced.with_(S, S)))
    return b


def _by_start(out):
    found: dict[int, set[tuple[str, int]]] = {}
    for start, value, ts in out:
        found.setdefault(int(start), set()).add((value, ts))
    return found


@pytest.fixture(params=["reverse", "in_order"])
def sliding_iteration(request, monkeypatch):
    """Kafka runs its sliding-window tests with and without reverse iteration."""
    from raystreams.processor import sliding_window_aggregate

    if request.param == "in_order":
        monkeypatch.setattr(sliding_window_aggregate.SlidingWindowAggregateProcessor,
                            "reverse_possible", False)
    return request.param


def test_sliding_aggregate_small_input(store_type, cache, sliding_iteration):
    # KStreamSlidingWindowAggregateTest.testAggregateSmallInput
    out, _ = _run(_sliding(EmitStrategy.on_window_update(), store_type), SLIDING_INPUT, cache)
    assert _by_start(out) == {
        0: {("0+1", 10), ("0+1+2", 10)},
        4: {("0+1+2+3", 14)},
        5: {("0+1+2+3+4", 15)},
        10: {("0+1+2+3+4+5", 20)},
        11: {("0+3", 14), ("0+3+4", 15), ("0+3+4+5", 20)},
        12: {("0+3+4+5+6", 22)},
        15: {("0+4", 15), ("0+4+5", 20), ("0+4+5+6", 22)},
        16: {("0+5", 20), ("0+5+6", 22)},
        20: {("0+5+6+7", 30)},
        21: {("0+6", 22), ("0+6+7", 30)},
        23: {("0+7", 30)},
    }


def test_sliding_aggregate_small_input_emit_final(store_type, cache, sliding_iteration):
    out, _ = _run(_sliding(EmitStrategy.on_window_close(), store_type), SLIDING_INPUT, cache,
                  advance=1000)
    assert _by_start(out) == {
        0: {("0+1+2", 10)}, 4: {("0+1+2+3", 14)}, 5: {("0+1+2+3+4", 15)},
        10: {("0+1+2+3+4+5", 20)}, 11: {("0+3+4+5", 20)}, 12: {("0+3+4+5+6", 22)},
    }


def test_sliding_windows_skip_null_values(store_type):
    b = StreamsBuilder()
    _render(b.stream("topic", Consumed.with_(S, S)).group_by_key()
            .windowed_by(SlidingWindows.of_time_difference_with_no_grace(10))
            .count(Materialized.as_("c").with_store_type(store_type)), "counts")
    out, driver = _run(b, [("a", None, 5), (None, "x", 5), ("a", "x", 20)], out_serde=L,
                       out_topic="counts")
    assert out == [("a@10/20", 1, 20)]
    assert driver.task.metrics.records_dropped == 2


# ----------------------------------------------------------------------------- sessions
def _sessions(store_type: str, emit: EmitStrategy | None = None, grace: int = 0) -> StreamsBuilder:
    b = StreamsBuilder()
    windowed = (b.stream("topic", Consumed.with_(S, S)).group_by_key()
                .windowed_by(SessionWindows.of_inactivity_gap_and_grace(timedelta(minutes=5),
                                                                        grace)))
    if emit is not None:
        windowed = windowed.emit_strategy(emit)
    (windowed.count(Materialized.as_("sessions").with_store_type(store_type))
     .to_stream()
     .map(lambda w, v: (f"{w.key}@{w.window.start}/{w.window.end}", v))
     .to("counts", Produced.with_(S, L)))
    return b


GAP = 5 * 60_000


def test_session_merging_forwards_tombstones(store_type):
    records = [("a", "1", 0), ("b", "1", 0), ("c", "1", 0), ("d", "1", 0),
               ("d", "2", GAP // 2), ("a", "2", GAP + 1), ("b", "2", GAP + 1),
               ("a", "3", GAP + 1 + GAP // 2), ("c", "3", GAP + 1 + GAP // 2)]
    out, driver = _run(_sessions(store_type, grace=10 * GAP), records, CACHES["nocache"],
                       out_serde=L, out_topic="counts")
    h, a_end = GAP // 2, GAP + 1 + GAP // 2
    assert out == [
        ("a@0/0", 1, 0), ("b@0/0", 1, 0), ("c@0/0", 1, 0), ("d@0/0", 1, 0),
        ("d@0/0", None, 0), (f"d@0/{h}", 2, h),                       # merged
        (f"a@{GAP + 1}/{GAP + 1}", 1, GAP + 1), (f"b@{GAP + 1}/{GAP + 1}", 1, GAP + 1),
        (f"a@{GAP + 1}/{GAP + 1}", None, GAP + 1), (f"a@{GAP + 1}/{a_end}", 2, a_end),
        (f"c@{a_end}/{a_end}", 1, a_end),
    ]
    store = driver.get_session_store("sessions")
    with store.fetch("a") as it:
        assert [(k.window.start, k.window.end, v) for k, v in it] == [
            (0, 0, 1), (GAP + 1, a_end, 2)]
    assert store.fetch_session("d", 0, h) == 2


def test_session_record_bridging_two_sessions_merges_them(store_type, cache):
    out, _ = _run(_sessions(store_type, grace=10 * GAP), [("a", "x", 0), ("a", "x", 2 * GAP),
                                           ("a", "x", GAP)], cache, out_serde=L,
                  out_topic="counts")
    assert out == [("a@0/0", 1, 0), (f"a@{2 * GAP}/{2 * GAP}", 1, 2 * GAP),
                   ("a@0/0", None, 0), (f"a@{2 * GAP}/{2 * GAP}", None, 2 * GAP),
                   (f"a@0/{2 * GAP}", 3, 2 * GAP)]


def test_session_late_record_is_dropped(store_type):
    out, driver = _run(_sessions(store_type), [("a", "x", 10 * GAP), ("a", "x", 0)],
                       CACHES["nocache"], out_serde=L, out_topic="counts")
    assert out == [(f"a@{10 * GAP}/{10 * GAP}", 1, 10 * GAP)]
    assert driver.task.metrics.records_dropped == 1


def test_late_session_records_expire_with_retention(store_type):
    # retention is gap + grace: a session ending at or before stream time - retention is
    # gone, so a record that would have bridged it starts a new session
    out, _ = _run(_sessions(store_type), [("a", "x", 0), ("a", "x", 2 * GAP), ("a", "x", GAP)],
                  CACHES["nocache"], out_serde=L, out_topic="counts")
    assert out == [("a@0/0", 1, 0), (f"a@{2 * GAP}/{2 * GAP}", 1, 2 * GAP),
                   (f"a@{2 * GAP}/{2 * GAP}", None, 2 * GAP), (f"a@{GAP}/{2 * GAP}", 2, 2 * GAP)]


def test_session_emit_final():
    # persistent store (Kafka's time-ordered session store for emit-final)
    out, _ = _run(_sessions("rocks_db", EmitStrategy.on_window_close()),
                  [("a", "x", 0), ("a", "x", 10), ("b", "x", 5), ("c", "x", GAP + 11)],
                  CACHES["nocache"], out_serde=L, out_topic="counts", advance=1000)
    # Kafka 4.4 emits in the time-ordered store's order: b (ends 5) before a (ends 10)
    assert out == [("b@5/5", 1, 5), ("a@0/10", 2, 10)]


def test_session_aggregate_with_merger(store_type):
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_and_grace(10, 100))
     .aggregate(lambda: "", lambda k, v, agg: agg + v, lambda k, a1, a2: a1 + "|" + a2,
                Materialized.as_("s").with_value_serde(S).with_store_type(store_type))
     .to_stream()
     .map(lambda w, v: (f"{w.key}@{w.window.start}/{w.window.end}", v))
     .to("output", Produced.with_(S, S)))
    out, _ = _run(b, [("k", "a", 0), ("k", "b", 20), ("k", "c", 10)], CACHES["nocache"])
    assert out[-1] == ("k@0/20", "|a|bc", 20)  # merger(init, a) then merger(.., b), then c


def test_session_reduce(store_type):
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10))
     .reduce(lambda agg, v: agg + v, Materialized.as_("s").with_store_type(store_type))
     .to_stream()
     .map(lambda w, v: (f"{w.key}@{w.window.start}/{w.window.end}", v))
     .to("output", Produced.with_(S, S)))
    out, _ = _run(b, [("k", "a", 0), ("k", "b", 5)], CACHES["nocache"])
    assert out == [("k@0/0", "a", 0), ("k@0/0", None, 0), ("k@0/5", "ab", 5)]


# ----------------------------------------------------------------------------- naming
def test_generated_names_and_describe():
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key()
     .windowed_by(TimeWindows.of_size_with_no_grace(10)).count()
     .to_stream().to("out"))
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n\n")


@pytest.mark.parametrize(("windows", "burned"), [
    (TimeWindows.of_size_with_no_grace(10), True),
    (SessionWindows.of_inactivity_gap_with_no_grace(10), True),
    (SlidingWindows.of_time_difference_with_no_grace(10), False),
])
def test_count_with_unnamed_materialized_burns_an_index(windows, burned):
    b = StreamsBuilder()
    table = (b.stream("topic").group_by_key().windowed_by(windows)
             .count(Materialized.with_(S, L)))
    if burned:  # Kafka burns a store name here "for compatibility"
        assert table.name == "KSTREAM-AGGREGATE-0000000003"
        assert "KSTREAM-AGGREGATE-STATE-STORE-0000000002" in b.build().stores
    else:
        assert table.name == "KSTREAM-AGGREGATE-0000000002"
        assert "KSTREAM-AGGREGATE-STATE-STORE-0000000001" in b.build().stores


def test_named_and_reduce_names():
    b = StreamsBuilder()
    grouped = b.stream("topic").group_by_key()
    t1 = grouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).reduce(
        lambda a, v: a + v)
    t2 = grouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).count("my-count")
    assert t1.name == "KSTREAM-REDUCE-0000000002"
    assert "KSTREAM-REDUCE-STATE-STORE-0000000001" in b.build().stores
    assert t2.name == "my-count"
    assert t1.queryable_store_name is None


def test_materialized_name_is_queryable_and_used_as_store():
    b = StreamsBuilder()
    table = (b.stream("topic").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(10))
             .count(Materialized.as_("counts")))
    assert table.queryable_store_name == "counts"
    assert table.name == "KSTREAM-AGGREGATE-0000000001"


def test_windowed_by_types():
    grouped = StreamsBuilder().stream("topic").group_by_key()
    assert isinstance(grouped.windowed_by(TimeWindows.of_size_with_no_grace(1)),
                      TimeWindowedKStream)
    assert isinstance(grouped.windowed_by(SlidingWindows.of_time_difference_with_no_grace(1)),
                      TimeWindowedKStream)
    assert isinstance(grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(1)),
                      SessionWindowedKStream)
    with pytest.raises(TopologyException, match="windowed_by"):
        grouped.windowed_by(10)


def test_repartition_topic_is_named_after_the_store():
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).select_key(lambda k, v: v).group_by_key()
     .windowed_by(TimeWindows.of_size_with_no_grace(10)).count(Materialized.as_("counts")))
    assert "counts-repartition" in b.build().internal_topics


# ----------------------------------------------------------------------------- retention
def test_retention_smaller_than_size_plus_grace_is_rejected():
    grouped = StreamsBuilder().stream("topic").group_by_key()
    with pytest.raises(IllegalArgumentException, match=(
            r"The retention period of the window store x must be no smaller than its window "
            r"size plus the grace period. Got size=\[10\], grace=\[5\], retention=\[14\]")):
        grouped.windowed_by(TimeWindows.of_size_and_grace(10, 5)).count(
            Materialized.as_("x").with_retention(14))


def test_sliding_retention_needs_twice_the_time_difference():
    grouped = StreamsBuilder().stream("topic").group_by_key()
    with pytest.raises(IllegalArgumentException, match=(
            r"must be no smaller than 2 \* time difference plus the grace period. Got time "
            r"difference=\[10\], grace=\[1\], retention=\[20\]")):
        grouped.windowed_by(SlidingWindows.of_time_difference_and_grace(10, 1)).count(
            Materialized.as_("x").with_retention(20))


def test_session_retention_needs_gap_plus_grace():
    grouped = StreamsBuilder().stream("topic").group_by_key()
    with pytest.raises(IllegalArgumentException, match=(
            r"The retention period of the session store x must be no smaller than the session "
            r"inactivity gap plus the grace period. Got gap=\[10\], grace=\[2\], "
            r"retention=\[11\]")):
        grouped.windowed_by(SessionWindows.of_inactivity_gap_and_grace(10, 2)).count(
            Materialized.as_("x").with_retention(11))


def test_longer_retention_keeps_windows_queryable(store_type):
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key()
     .windowed_by(TimeWindows.of_size_with_no_grace(10))
     .count(Materialized.as_("c").with_retention(timedelta(hours=1))
            .with_store_type(store_type)))
    _, driver = _run(b, [("a", "x", 1), ("a", "x", 100_000)], CACHES["nocache"],
                     out_topic="none")
    store = driver.get_timestamped_window_store("c")
    assert store.fetch("a", 0).value == 1
    assert store.retention_period == 3_600_000


def test_argument_checks():
    windowed = StreamsBuilder().stream("topic").group_by_key().windowed_by(
        TimeWindows.of_size_with_no_grace(10))
    with pytest.raises(TopologyException, match="reducer"):
        windowed.reduce("nope")
    with pytest.raises(TopologyException, match="initializer"):
        windowed.aggregate(None, _adder)
    with pytest.raises(TopologyException, match="EmitStrategy"):
        windowed.emit_strategy("ON_WINDOW_CLOSE")
    with pytest.raises(TopologyException, match="Named and/or a Materialized"):
        windowed.count(42)
    sessions = StreamsBuilder().stream("topic").group_by_key().windowed_by(
        SessionWindows.of_inactivity_gap_with_no_grace(10))
    with pytest.raises(TopologyException, match="session merger"):
        sessions.aggregate(lambda: 0, _adder, None)


def test_window_types_in_keys():
    b = StreamsBuilder()
    seen = []
    (b.stream("topic", Consumed.with_(S, S)).group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10)).count()
     .to_stream().foreach(lambda k, v: seen.append(k)))
    _run(b, [("a", "x", 1)], out_topic="none")
    assert seen == [Windowed("a", SessionWindow(1, 1))]


# ----------------------------------------------------------------------------- cogrouped
def _cogrouped(builder):
    g1 = builder.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
    g2 = builder.stream("topic2", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
    return (g1.cogroup(lambda k, v, agg: f"{agg}+{v}")
            .cogroup(g2, lambda k, v, agg: f"{agg}-{v}"))


def test_cogrouped_time_windows_mix_aggregators(store_type, cache):
    # TimeWindowedCogroupedKStreamImplTest.timeWindowMixAggregatorsTest
    b = StreamsBuilder()
    _render(_cogrouped(b).windowed_by(TimeWindows.of_size_with_no_grace(500))
            .aggregate(lambda: "0", Materialized.with_(S, S).with_store_type(store_type)))
    driver = TopologyTestDriver(b.build(), {"application.id": "win", **cache})
    _DRIVERS.append(driver)
    t1 = driver.create_input_topic("topic", S, S)
    t2 = driver.create_input_topic("topic2", S, S)
    for key, ts in (("k1", 0), ("k2", 0), ("k2", 1), ("k1", 2)):
        t1.pipe_input(key, "A", ts)
    for key, ts in (("k1", 3), ("k2", 3), ("k2", 4), ("k1", 4)):
        t2.pipe_input(key, "B", ts)
    out = driver.create_output_topic("output", S, S)
    assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
        ("k1@0/500", "0+A", 0), ("k2@0/500", "0+A", 0), ("k2@0/500", "0+A+A", 1),
        ("k1@0/500", "0+A+A", 2), ("k1@0/500", "0+A+A-B", 3), ("k2@0/500", "0+A+A-B", 3),
        ("k2@0/500", "0+A+A-B-B", 4), ("k1@0/500", "0+A+A-B-B", 4)]


def test_cogrouped_windowed_named_describe():
    # TimeWindowedCogroupedKStreamImplTest.namedParamShouldSetName
    b = StreamsBuilder()
    (b.stream("topic", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
     .cogroup(lambda k, v, agg: agg + v)
     .windowed_by(TimeWindows.of_size_with_no_grace(500))
     .aggregate(lambda: "0", "foo"))
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
        "      --> foo-cogroup-agg-0\n"
        "    Processor: foo-cogroup-agg-0 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> foo-cogroup-merge\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: foo-cogroup-merge (stores: [])\n"
        "      --> none\n"
        "      <-- foo-cogroup-agg-0\n\n")


def test_cogrouped_sliding_and_session_windows(store_type):
    b = StreamsBuilder()
    _render(_cogrouped(b).windowed_by(SlidingWindows.of_time_difference_with_no_grace(10))
            .aggregate(lambda: "0", Materialized.as_("sl").with_store_type(store_type)))
    b2 = StreamsBuilder()
    _render(_cogrouped(b2).windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(10))
            .aggregate(lambda: "0", lambda k, a1, a2: a1 + "|" + a2,
                       Materialized.as_("se").with_store_type(store_type)))
    out, _ = _run(b, [("k", "A", 5)], CACHES["nocache"])
    assert out == [("k@0/10", "0+A", 5)]
    out, _ = _run(b2, [("k", "A", 5), ("k", "B", 7)], CACHES["nocache"])
    assert out == [("k@5/5", "0+A", 5), ("k@5/5", None, 5), ("k@5/7", "0|0+A+B", 7)]


def test_suppress_finds_the_grace_of_a_cogrouped_windowed_aggregation():
    from raystreams.dsl.suppressed import BufferConfig, Suppressed

    b = StreamsBuilder()
    table = (_cogrouped(b).windowed_by(TimeWindows.of_size_and_grace(10, 5))
             .aggregate(lambda: "0", Materialized.with_(S, S)))
    _render(table.suppress(Suppressed.until_window_closes(BufferConfig.unbounded())))
    driver = TopologyTestDriver(b.build(), {"application.id": "win"})
    _DRIVERS.append(driver)
    t1 = driver.create_input_topic("topic", S, S)
    t1.pipe_input("k", "A", 1)
    t1.pipe_input("k", "A", 14)
    out = driver.create_output_topic("output", S, S)
    assert out.read_records_to_list() == []
    t1.pipe_input("k", "A", 15)
    assert [(r.key, r.value) for r in out.read_records_to_list()] == [("k@0/10", "0+A")]
