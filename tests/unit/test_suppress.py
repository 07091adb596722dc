"""``KTable.suppress``: buffering, emission, capacity, tombstones, names, changelog, restore.

Vectors follow Kafka's KTableSuppressProcessorTest and SuppressScenarioTest: the suppression
processor sees the stream time of the records it receives, buffers by window end (final
results) or record time (time limit), keeps a re-buffered key in its place, and emits oldest
first.
"""

from __future__ import annotations

import pytest

from raystreams import Consumed, Grouped, Materialized, Produced, Serdes, StreamsBuilder
from raystreams.dsl.suppressed import BufferConfig, Suppressed
from raystreams.dsl.windows import SessionWindows, TimeWindows
from raystreams.errors import StreamsError, TopologyException
from raystreams.processor.api import Headers, Record, RecordContext
from raystreams.processor.change import Change
from raystreams.processor.suppress_buffer import TimeOrderedKeyValueBuffer, _BufferValue
from raystreams.testing import TopologyTestDriver

S, L = Serdes.String(), Serdes.Long()
CACHES = {"nocache": {"statestore.cache.max.bytes": 0}, "cache": {}}
LONG_MAX = (1 << 63) - 1


@pytest.fixture(params=sorted(CACHES))
def cache(request):
    return CACHES[request.param]


def _counts(builder: StreamsBuilder):
    return builder.stream("input", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S)).count()


def _drive(builder, records, config=None):
    driver = TopologyTestDriver(builder.build(), {"application.id": "sup", **(config or {})},
                                initial_wall_clock_time=0)
    inp = driver.create_input_topic("input", S, S)
    for key, value, ts in records:
        inp.pipe_input(key, value, ts)
    return driver


def _read(driver, topic="output", key_serde=S, value_serde=L):
    out = driver.create_output_topic(topic, key_serde, value_serde)
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


# ----------------------------------------------------------------------------- time limit
def test_zero_time_limit_emits_immediately(cache):
    b = StreamsBuilder()
    counts = _counts(b)
    counts.suppress(Suppressed.until_time_limit(0, BufferConfig.unbounded())).to_stream().to(
        "output", Produced.with_(S, L))
    counts.to_stream().to("raw", Produced.with_(S, L))
    with _drive(b, [("k1", "v", 0), ("k1", "v", 1), ("k2", "v", 2)], cache) as driver:
        assert _read(driver) == [("k1", 1, 0), ("k1", 2, 1), ("k2", 1, 2)]
        assert _read(driver, "raw") == [("k1", 1, 0), ("k1", 2, 1), ("k2", 1, 2)]


def test_time_limit_buffers_and_keeps_a_key_in_place(cache):
    b = StreamsBuilder()
    (_counts(b).suppress(Suppressed.until_time_limit(2, BufferConfig.unbounded()))
     .to_stream().to("output", Produced.with_(S, L)))
    with _drive(b, [("a", "x", 0), ("a", "x", 1), ("b", "x", 1)], cache) as driver:
        assert _read(driver) == []
        driver.create_input_topic("input", S, S).pipe_input("c", "x", 3)
        # a was buffered at 0 (its update at 1 kept its place), b at 1: both due at 3
        assert _read(driver) == [("a", 2, 1), ("b", 1, 1)]
        driver.create_input_topic("input", S, S).pipe_input("d", "x", 4)
        assert _read(driver) == []
        driver.create_input_topic("input", S, S).pipe_input("d", "x", 5)
        assert _read(driver) == [("c", 1, 3)]


def test_out_of_order_records_do_not_move_stream_time(cache):
    b = StreamsBuilder()
    (_counts(b).suppress(Suppressed.until_time_limit(5, BufferConfig.unbounded()))
     .to_stream().to("output", Produced.with_(S, L)))
    with _drive(b, [("a", "x", 10), ("b", "x", 1), ("c", "x", 9)], cache) as driver:
        # stream time 10, expiry 5: b (buffered at 1) is due; a and c are not
        assert _read(driver) == [("b", 1, 1)]


def test_time_limit_does_not_drop_tombstones():
    b = StreamsBuilder()
    (b.table("input", Consumed.with_(S, S), Materialized.as_("t"))
     .suppress(Suppressed.until_time_limit(0, BufferConfig.unbounded()))
     .to_stream().to("output", Produced.with_(S, S)))
    with _drive(b, [("k", "v1", 0), ("k", None, 1)], CACHES["nocache"]) as driver:
        assert _read(driver, value_serde=S) == [("k", "v1", 0), ("k", None, 1)]


# ----------------------------------------------------------------------------- capacity
def test_emit_early_when_over_record_capacity(cache):
    b = StreamsBuilder()
    (_counts(b).suppress(Suppressed.until_time_limit(100, BufferConfig.max_records(1)))
     .to_stream().to("output", Produced.with_(S, L)))
    with _drive(b, [("a", "x", 0), ("b", "x", 1), ("c", "x", 2)], cache) as driver:
        assert _read(driver) == [("a", 1, 0), ("b", 1, 1)]


def test_emit_early_when_over_byte_capacity():
    b = StreamsBuilder()
    (_counts(b).suppress(Suppressed.until_time_limit(100, BufferConfig.max_bytes(80)))
     .to_stream().to("output", Produced.with_(S, L)))
    with _drive(b, [("a", "x", 0), ("b", "x", 1)], CACHES["nocache"]) as driver:
        buffer = driver.get_state_store("KTABLE-SUPPRESS-STATE-STORE-0000000004")
        # one entry: 8 (time) + 1 (key) + 8 (new) + 8 (prior, the same bytes as old: the
        # initializer's 0, as Kafka's aggregate sends it) + context (8 + 8 + 5 + 4) = 50
        assert buffer.num_records() == 1 and buffer.buffer_size() == 50
        assert _read(driver) == [("a", 1, 0)]


def test_shut_down_when_over_record_capacity():
    b = StreamsBuilder()
    (_counts(b).suppress(Suppressed.until_time_limit(
        100, BufferConfig.max_records(1).shut_down_when_full()))
     .to_stream().to("output", Produced.with_(S, L)))
    with pytest.raises(StreamsError, match=(
            r"KTABLE-SUPPRESS-0000000003 buffer exceeded its max capacity. Currently \[2/1\] "
            r"records and \[\d+/9223372036854775807\] bytes.")):
        _drive(b, [("a", "x", 0), ("b", "x", 1)], CACHES["nocache"])


# ----------------------------------------------------------------------------- final results
def _windowed_counts(builder, grace=1):
    return (builder.stream("input", Consumed.with_(S, S)).group_by_key(Grouped.with_(S, S))
            .windowed_by(TimeWindows.of_size_and_grace(2, grace))
            .count(Materialized.as_("counts")))


def _to_output(table):
    (table.to_stream().map(lambda w, v: (f"{w.key}@{w.window.start}/{w.window.end}", v))
     .to("output", Produced.with_(S, L)))


def test_final_results_emit_at_window_end_plus_grace(cache):
    b = StreamsBuilder()
    _to_output(_windowed_counts(b).suppress(Suppressed.until_window_closes(
        BufferConfig.unbounded())))
    with _drive(b, [("k", "x", 0), ("k", "x", 1), ("k", "x", 2)], cache) as driver:
        assert _read(driver) == []  # window [0,2) closes at stream time 3
        inp = driver.create_input_topic("input", S, S)
        inp.pipe_input("k", "x", 1)  # late but within grace: updates [0,2)
        inp.pipe_input("x", "x", 3)
        assert _read(driver) == [("k@0/2", 3, 1)]
        inp.pipe_input("x", "x", 5)  # closes [2,4) for k and x
        assert _read(driver) == [("k@2/4", 1, 2), ("x@2/4", 1, 3)]


def test_final_results_drop_tombstones_of_merged_sessions(cache):
    def build(suppressed):
        b = StreamsBuilder()
        table = (b.stream("input", Consumed.with_(S, S)).group_by_key()
                 .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5))
                 .count(Materialized.as_("sessions")))
        _to_output(table.suppress(suppressed))
        return b

    records = [("a", "x", 0), ("a", "x", 1), ("b", "x", 100)]
    final = Suppressed.until_window_closes(BufferConfig.unbounded())
    with _drive(build(final), records, cache) as driver:
        assert _read(driver) == [("a@0/1", 2, 1)]
    limited = Suppressed.until_time_limit(0, BufferConfig.unbounded())
    with _drive(build(limited), records, CACHES["nocache"]) as driver:
        assert _read(driver) == [("a@0/0", 1, 0), ("a@0/0", None, 0), ("a@0/1", 2, 1),
                                 ("b@100/100", 1, 100)]


def test_until_window_closes_needs_a_windowed_table():
    b = StreamsBuilder()
    with pytest.raises(TopologyException, match=(
            r"Window close time is only defined for windowed computations. Got "
            r"\[root->KSTREAM-SOURCE-0000000000->KSTREAM-AGGREGATE-0000000002\]\.")):
        _counts(b).suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))


def test_until_window_closes_needs_a_strict_buffer():
    with pytest.raises(TopologyException, match="strict buffer config"):
        Suppressed.until_window_closes(BufferConfig.max_records(3))
    Suppressed.until_window_closes(BufferConfig.max_records(3).shut_down_when_full())


# ----------------------------------------------------------------------------- names
def test_generated_names_and_describe():
    b = StreamsBuilder()
    _counts(b).suppress(Suppressed.until_time_limit(10, BufferConfig.unbounded())).to_stream() \
        .to("output")
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-SUPPRESS-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000005\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- KTABLE-SUPPRESS-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000005\n\n")


def test_with_name_names_processor_and_store_without_burning_an_index():
    b = StreamsBuilder()
    suppressed = _counts(b).suppress(
        Suppressed.until_time_limit(10, BufferConfig.unbounded()).with_name("hold"))
    table = suppressed.to_stream()
    assert suppressed.name == "hold"
    assert table.name == "KTABLE-TOSTREAM-0000000003"
    assert "hold-store" in b.build().stores
    assert suppressed.queryable_store_name is None


def test_buffer_config_builders():
    assert BufferConfig.unbounded().strict
    assert not BufferConfig.max_records(5).strict
    assert BufferConfig.max_records(5).max_records_limit == 5
    assert BufferConfig.max_bytes(7).max_bytes_limit == 7
    assert BufferConfig.max_records(5).with_max_bytes(9).max_bytes_limit == 9
    assert BufferConfig.max_records(5).shut_down_when_full().strict
    assert not BufferConfig.unbounded().emit_early_when_full().strict
    assert not BufferConfig.unbounded().with_logging_disabled().logging_enabled
    assert BufferConfig.unbounded().with_logging_enabled({"a": "b"}).log_config == {"a": "b"}
    assert BufferConfig.max_records(5) == BufferConfig.max_records(5)
    assert BufferConfig.max_records(5).max_bytes_limit == LONG_MAX
    s = Suppressed.until_time_limit(10, BufferConfig.unbounded())
    assert s == Suppressed.until_time_limit(10, BufferConfig.unbounded())
    assert s.with_name("x").name == "x" and s.name is None
    with pytest.raises(TopologyException):
        BufferConfig.max_records("5")  # type: ignore[arg-type]
    with pytest.raises(TopologyException):
        Suppressed.until_time_limit(1, 5)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- changelog
def test_buffer_is_change_logged_and_tombstoned_on_emit():
    b = StreamsBuilder()
    (_counts(b).suppress(Suppressed.until_time_limit(2, BufferConfig.unbounded()))
     .to_stream().to("output", Produced.with_(S, L)))
    with _drive(b, [("a", "x", 0), ("a", "x", 1), ("b", "x", 3)], CACHES["nocache"]) as driver:
        topic = "sup-KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog"
        out = driver.create_output_topic(topic, Serdes.Bytes(), Serdes.Bytes())
        records = out.read_records_to_list()
        assert [r.key for r in records] == [b"a", b"a", b"a", b"b"]
        value, time = _BufferValue.deserialize(records[1].value)
        assert time == 0  # a keeps its first buffer time
        assert (L.deserialize(topic, value.new), L.deserialize(topic, value.old)) == (2, 1)
        assert L.deserialize(topic, value.prior) == 0  # the first old value: the initializer's
        assert value.context.timestamp == 1
        assert value.context.topic == "input"
        assert records[2].value is None  # a was emitted at stream time 3
        assert [v for _, v in records[1].headers.to_list()] == [b"\x03"]


class _Context:
    application_id = "app"
    config: dict = {}
    record_context = None

    def __init__(self):
        self.logged = []
        self.restore = None

    def register(self, store, callback):
        self.restore = callback

    def log_change(self, store, topic, key, value, timestamp, headers):
        self.logged.append((key, value, timestamp))


def _buffer(context):
    buffer = TimeOrderedKeyValueBuffer("buf", S, L, logging_enabled=True)
    buffer.init(context, buffer)
    return buffer


def test_buffer_restores_from_its_changelog():
    ctx = _Context()
    buffer = _buffer(ctx)
    rc = RecordContext(5, 3, 0, "t", Headers([("h", b"v"), ("n", None)]))
    buffer.put(7, Record("k1", Change(1, None), 5), rc)
    buffer.put(2, Record("k2", Change(4, 3), 5), rc)
    buffer.put(9, Record("k1", Change(2, 1), 6), rc)    # keeps time 7 and prior None
    buffer.flush()
    size = buffer.buffer_size()
    restored_ctx = _Context()
    restored = _buffer(restored_ctx)
    restored_ctx.restore([(k, v, ts, i) for i, (k, v, ts) in enumerate(ctx.logged)])
    assert restored.num_records() == 2 and restored.buffer_size() == size
    assert restored.min_timestamp() == 2
    assert restored.prior_value_for_buffered("k2") == (True, (3, -1))
    assert restored.prior_value_for_buffered("k1") == (True, None)
    assert restored.prior_value_for_buffered("zz") == (False, None)
    evicted = []
    restored.evict_while(lambda: True, evicted.append)
    assert [(e.key, e.value.new_value, e.value.old_value, e.record_context.headers.to_list())
            for e in evicted] == [("k2", 4, 3, [("h", b"v"), ("n", None)]),
                                  ("k1", 2, 1, [("h", b"v"), ("n", None)])]
    restored_ctx.restore([(b"k1", None, 0, 9)])  # a tombstone for a key no longer there
    assert restored.num_records() == 0


def test_buffer_restore_tombstone_removes_entry():
    ctx = _Context()
    buffer = _buffer(ctx)
    buffer.put(1, Record("k", Change(1, None), 1), RecordContext(1, 0, 0, "t", Headers()))
    ctx.restore([(b"k", None, 1, 0)])
    assert buffer.num_records() == 0 and buffer.buffer_size() == 0
    assert buffer.min_timestamp() == LONG_MAX


# ----------------------------------------------------------------------------- SuppressScenarioTest
def _scenario(windows, records):
    """Kafka's SuppressScenarioTest shape: raw and final-results outputs of a windowed count
    behind a repartition (``group_by`` on the key)."""
    b = StreamsBuilder()
    counts = (b.stream("input", Consumed.with_(S, S))
              .group_by(lambda k, v: k, Grouped.with_(S, S))
              .windowed_by(windows)
              .count(Materialized.as_("counts").with_caching_disabled()))

    def render(w, v):
        return f"[{w.key}@{w.window.start}/{w.window.end}]", v

    (counts.suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
     .to_stream().map(render).to("output-suppressed", Produced.with_(S, L)))
    counts.to_stream().map(render).to("output-raw", Produced.with_(S, L))
    driver = _drive(b, records)
    try:
        return _read(driver, "output-raw"), _read(driver, "output-suppressed"), driver
    finally:
        driver.close()


def test_final_results_for_time_windows():
    raw, final, _ = _scenario(TimeWindows.of_size_and_grace(2, 1), [
        ("k1", "v1", 0), ("k1", "v1", 1), ("k1", "v1", 2), ("k1", "v1", 1), ("k1", "v1", 0),
        ("k1", "v1", 5), ("k1", "v1", 0)])  # the last one is out of the grace period
    assert raw == [("[k1@0/2]", 1, 0), ("[k1@0/2]", 2, 1), ("[k1@2/4]", 1, 2),
                   ("[k1@0/2]", 3, 1), ("[k1@0/2]", 4, 1), ("[k1@4/6]", 1, 5)]
    assert final == [("[k1@0/2]", 4, 1), ("[k1@2/4]", 1, 2)]


def test_final_results_for_time_windows_with_large_jump():
    raw, final, _ = _scenario(TimeWindows.of_size_and_grace(2, 2), [
        ("k1", "v1", 0), ("k1", "v1", 1), ("k1", "v1", 2), ("k1", "v1", 0), ("k1", "v1", 3),
        ("k1", "v1", 0), ("k1", "v1", 4), ("k1", "v1", 0), ("k1", "v1", 30)])
    assert raw == [("[k1@0/2]", 1, 0), ("[k1@0/2]", 2, 1), ("[k1@2/4]", 1, 2),
                   ("[k1@0/2]", 3, 1), ("[k1@2/4]", 2, 3), ("[k1@0/2]", 4, 1),
                   ("[k1@4/6]", 1, 4), ("[k1@30/32]", 1, 30)]
    assert final == [("[k1@0/2]", 4, 1), ("[k1@2/4]", 2, 3), ("[k1@4/6]", 1, 4)]


def test_final_results_for_sliding_windows():
    from raystreams.dsl.windows import SlidingWindows

    raw, final, _ = _scenario(SlidingWindows.of_time_difference_and_grace(5, 15), [
        ("k1", "v1", 10), ("k1", "v1", 11), ("k1", "v1", 10), ("k1", "v1", 13),
        ("k1", "v1", 10), ("k1", "v1", 24), ("k1", "v1", 5), ("k1", "v1", 7),
        ("k1", "v1", 90)])
    assert sorted(raw, key=lambda r: (r[0], r[2])) == [
        ("[k1@11/16]", 1, 11), ("[k1@11/16]", 2, 13), ("[k1@12/17]", 1, 13),
        ("[k1@19/24]", 1, 24), ("[k1@5/10]", 1, 10), ("[k1@5/10]", 2, 10),
        ("[k1@5/10]", 3, 10), ("[k1@5/10]", 4, 10), ("[k1@5/10]", 5, 10),
        ("[k1@6/11]", 2, 11), ("[k1@6/11]", 3, 11), ("[k1@6/11]", 4, 11),
        ("[k1@6/11]", 5, 11), ("[k1@8/13]", 4, 13), ("[k1@8/13]", 5, 13),
        ("[k1@85/90]", 1, 90)]
    assert final == [("[k1@5/10]", 5, 10), ("[k1@6/11]", 5, 11), ("[k1@8/13]", 5, 13),
                     ("[k1@11/16]", 2, 13), ("[k1@12/17]", 1, 13), ("[k1@19/24]", 1, 24)]


def test_final_results_for_session_windows():
    raw, final, _ = _scenario(SessionWindows.of_inactivity_gap_with_no_grace(5), [
        ("k1", "v1", 0), ("k1", "v1", 5), ("k1", "v1", 1), ("k2", "v1", 11),
        ("k1", "v1", 5),    # late for the first session: dropped everywhere
        ("k1", "v1", 30)])
    assert raw == [("[k1@0/0]", 1, 0), ("[k1@0/0]", None, 0), ("[k1@0/5]", 2, 5),
                   ("[k1@0/5]", None, 5), ("[k1@0/5]", 3, 5), ("[k2@11/11]", 1, 11),
                   ("[k1@30/30]", 1, 30)]
    assert final == [("[k1@0/5]", 3, 5), ("[k2@11/11]", 1, 11)]
