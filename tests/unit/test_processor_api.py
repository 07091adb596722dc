"""The Processor API: a hand-built Topology with routing, punctuation and a record's metadata."""

from __future__ import annotations

import json

import pytest

from raystreams import Processor, PunctuationType, Record, Serdes, Topology
from raystreams.errors import DeserializationException, TopologyException
from raystreams.testing import TopologyTestDriver

CONFIG = {"application.id": "processor-api-test"}


class Router(Processor):
    """Sends each record to the sink named by its value's "type"; punctuates on both clocks."""

    def init(self, context):
        super().init(context)
        self.seen = 0
        self.events = []
        context.schedule(10_000, PunctuationType.STREAM_TIME, self.on_stream_time)
        self.wall = context.schedule(5_000, PunctuationType.WALL_CLOCK_TIME, self.on_wall_clock)

    def process(self, record):
        self.seen += 1
        meta = self.context.record_metadata()
        kind = record.value["type"]
        enriched = dict(record.value, origin=f"{meta.topic}/{meta.partition}/{meta.offset}")
        self.context.forward(record.with_value(enriched), child=f"{kind}-sink")

    def on_stream_time(self, timestamp):
        self.context.forward(Record("stream-tick", {"type": "tick", "at": timestamp,
                                                    "seen": self.seen}, timestamp),
                             child="ticks-sink")

    def on_wall_clock(self, timestamp):
        self.context.forward(Record("wall-tick", {"type": "tick", "at": timestamp}, timestamp),
                             child="ticks-sink")


def build() -> Topology:
    t = Topology()
    t.add_source("events", "events", key_serde=Serdes.String(), value_serde=Serdes.JSON())
    t.add_processor("router", Router, "events")
    for name, topic in (("order", "orders"), ("payment", "payments"), ("ticks", "ticks")):
        t.add_sink(f"{name}-sink", topic, "router", key_serde=Serdes.String(),
                   value_serde=Serdes.JSON())
    return t


def test_routes_by_value_and_punctuates_on_stream_and_wall_clock_time():
    with TopologyTestDriver(build(), CONFIG, initial_wall_clock_time=0) as driver:
        events = driver.create_input_topic("events", Serdes.String(), Serdes.JSON())
        orders = driver.create_output_topic("orders", Serdes.String(), Serdes.JSON())
        payments = driver.create_output_topic("payments", Serdes.String(), Serdes.JSON())
        ticks = driver.create_output_topic("ticks", Serdes.String(), Serdes.JSON())

        events.pipe_input("o1", {"type": "order"}, 1_000)
        events.pipe_input("p1", {"type": "payment"}, 12_000)
        events.pipe_input("o2", {"type": "order"}, 45_000)

        assert orders.read_key_values_to_list() == [
            ("o1", {"type": "order", "origin": "events/0/0"}),
            ("o2", {"type": "order", "origin": "events/0/2"})]
        assert payments.read_key_values_to_list() == [
            ("p1", {"type": "payment", "origin": "events/0/1"})]
        # aligned to 0: due at 0, 10000, 20000, then 50000 after missing 30000 and 40000
        stream_ticks = [(r.value["at"], r.value["seen"], r.timestamp)
                        for r in ticks.read_records_to_list()]
        assert stream_ticks == [(1_000, 1, 1_000), (12_000, 2, 12_000), (45_000, 3, 45_000)]

        driver.advance_wall_clock_time(3_000)
        assert ticks.is_empty()
        driver.advance_wall_clock_time(3_000)
        assert ticks.read_key_values_to_list() == [("wall-tick", {"type": "tick", "at": 6_000})]
        driver.advance_wall_clock_time(20_000)  # several intervals: fires once
        assert ticks.read_key_values_to_list() == [("wall-tick", {"type": "tick", "at": 26_000})]
        driver.advance_wall_clock_time(3_000)
        assert ticks.is_empty()
        driver.advance_wall_clock_time(1_000)
        assert ticks.read_key_values_to_list() == [("wall-tick", {"type": "tick", "at": 30_000})]

        events.pipe_input("o3", {"type": "order"}, 49_999)
        assert ticks.is_empty()
        events.pipe_input("o4", {"type": "order"}, 50_000)
        assert [r.value["at"] for r in ticks.read_records_to_list()] == [50_000]


def test_cancelled_punctuator_stops():
    class Once(Processor):
        def init(self, context):
            super().init(context)
            self.handle = context.schedule(1_000, PunctuationType.WALL_CLOCK_TIME, self.tick)

        def process(self, record):
            pass

        def tick(self, ts):
            self.context.forward(Record("tick", str(ts), ts))
            self.handle.cancel()

    t = Topology().add_source("s", "in").add_processor("p", Once, "s").add_sink("k", "out", "p")
    with TopologyTestDriver(t, CONFIG, initial_wall_clock_time=0) as driver:
        out = driver.create_output_topic("out")
        driver.advance_wall_clock_time(1_000)
        driver.advance_wall_clock_time(5_000)
        assert out.read_values_to_list() == ["1000"]


def test_state_store_access_must_be_connected():
    class Peeker(Processor):
        def process(self, record):
            self.context.get_state_store("nope")

    t = Topology().add_source("s", "in").add_processor("p", Peeker, "s")
    with TopologyTestDriver(t, CONFIG) as driver, \
            pytest.raises(Exception, match="no access to StateStore nope"):
        driver.create_input_topic("in").pipe_input("k", "v", 0)


def test_forward_to_unknown_child_names_the_children():
    class Wrong(Processor):
        def process(self, record):
            self.context.forward(record, child="missing")

    t = Topology().add_source("s", "in").add_processor("p", Wrong, "s").add_sink("k", "out", "p")
    with TopologyTestDriver(t, CONFIG) as driver, \
            pytest.raises(Exception, match="Unknown downstream node: missing.*children: k"):
        driver.create_input_topic("in").pipe_input("k", "v", 0)


def test_validation_errors_name_the_culprit():
    t = Topology().add_source("s", "in")
    with pytest.raises(TopologyException, match="Parent node ghost of p is unknown"):
        t.add_processor("p", Processor, "ghost")
    with pytest.raises(TopologyException, match="cycle: node loop lists itself"):
        t.add_processor("loop", Processor, "loop")
    with pytest.raises(TopologyException, match="Processor s is already added"):
        t.add_processor("s", Processor, "s")
    t.add_sink("sink", "out", "s")
    with pytest.raises(TopologyException, match="Sink sink cannot be used a parent"):
        t.add_processor("after-sink", Processor, "sink")
    with pytest.raises(TopologyException, match="Topic in has already been registered"):
        t.add_source("s2", "in")
    with pytest.raises(TopologyException, match="needs a supplier"):
        t.add_processor("inst", Processor(), "s")
    with pytest.raises(TopologyException, match="StateStore missing is not added yet"):
        t.connect_processor_and_state_stores("s", "missing")


def test_bad_record_fails_with_topic_partition_offset_by_default():
    t = Topology().add_source("s", "nums", value_serde=Serdes.Integer()) \
        .add_sink("k", "out", "s", value_serde=Serdes.Integer())
    with TopologyTestDriver(t, CONFIG) as driver:
        driver.create_input_topic("nums", Serdes.String(), Serdes.Integer()).pipe_input("a", 1, 0)
        with pytest.raises(DeserializationException) as info:
            driver.pipe_raw("nums", b"b", b"\x01\x02\x03", 1)
        err = info.value
        assert (err.topic, err.partition, err.offset, err.processor) == ("nums", 0, 1, "s")
        assert "Serdes.Integer()" in str(err) and "log_and_continue" in str(err)


def test_bad_record_skipped_and_sent_to_dead_letter_queue():
    t = Topology().add_source("s", "nums", value_serde=Serdes.Integer()) \
        .add_sink("k", "out", "s", value_serde=Serdes.Integer())
    config = dict(CONFIG, **{"deserialization.exception.handler": "log_and_continue",
                             "errors.dead.letter.queue.topic.name": "dlq"})
    with TopologyTestDriver(t, config) as driver:
        driver.pipe_raw("nums", b"a", b"\x00\x00\x00\x07", 0)
        driver.pipe_raw("nums", b"b", b"bad", 1)
        driver.pipe_raw("nums", b"c", b"\x00\x00\x00\x09", 2)
        out = driver.create_output_topic("out", Serdes.String(), Serdes.Integer())
        assert out.read_key_values_to_list() == [("a", 7), ("c", 9)]
        dead = driver.create_output_topic("dlq", Serdes.String(), Serdes.Bytes()).read_record()
        assert (dead.key, dead.value, dead.timestamp) == ("b", b"bad", 1)
        headers = dict(dead.headers.to_list())
        assert headers["__streams.errors.topic"] == b"nums"
        assert headers["__streams.errors.offset"] == b"1"
        assert headers["__streams.errors.exception"] == b"raystreams.errors.SerializationException"
        assert headers["__streams.errors.partition"] == b"0"
        assert b"expected 4" in headers["__streams.errors.message"]
        assert b"Traceback" in headers["__streams.errors.stacktrace"]
        assert driver.task.metrics.as_dict()["dropped-records-total"] == 1


def test_processing_exception_handler_continue_drops_only_the_failing_record():
    b_config = dict(CONFIG, **{"processing.exception.handler": "log_and_continue"})

    class Picky(Processor):
        def process(self, record):
            if record.value == "boom":
                raise ValueError("cannot handle boom")
            self.context.forward(record)

    t = Topology().add_source("s", "in").add_processor("p", Picky, "s").add_sink("k", "out", "p")
    with TopologyTestDriver(t, b_config) as driver:
        inp = driver.create_input_topic("in")
        for v in ("a", "boom", "b"):
            inp.pipe_input("k", v, 0)
        assert driver.create_output_topic("out").read_values_to_list() == ["a", "b"]
        assert driver.task.metrics.records_dropped == 1


def test_user_exception_reports_task_processor_topic_partition_offset():
    class Fails(Processor):
        def process(self, record):
            raise RuntimeError("user bug")

    t = Topology().add_source("s", "in").add_processor("fails", Fails, "s")
    with TopologyTestDriver(t, CONFIG) as driver:
        inp = driver.create_input_topic("in")
        with pytest.raises(Exception) as info:
            inp.pipe_input("k", json.dumps({}), 0)
        err = info.value
        assert (err.task_id, err.processor, err.topic, err.partition, err.offset) == (
            "0_0", "fails", "in", 0, 0)
        assert "RuntimeError: user bug" in str(err)
        assert isinstance(err.__cause__, RuntimeError)


def test_sink_serialization_error_goes_to_the_production_handler():
    t = Topology().add_source("s", "in").add_sink("sink", "out", "s", value_serde=Serdes.Long())
    with TopologyTestDriver(t, CONFIG) as driver:
        with pytest.raises(Exception) as info:
            driver.create_input_topic("in").pipe_input("k", "not a number", 0)
        err = info.value
        assert err.processor == "sink" and err.topic == "in"
        assert "Unable to serialize record. ProducerRecord(topic=[out]" in str(err)

    config = dict(CONFIG, **{"production.exception.handler": "continue"})
    with TopologyTestDriver(t, config) as driver:
        inp = driver.create_input_topic("in")
        inp.pipe_input("k", "not a number", 0)
        driver.pipe_raw("in", b"k", b"ok", 1)  # a String value the Long serde still rejects
        assert driver.create_output_topic("out").is_empty()
        assert driver.task.metrics.records_dropped == 2
