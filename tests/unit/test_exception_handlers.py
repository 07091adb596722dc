"""Kafka 4.4's exception handlers (KIP-1033/1034) on the driver: deserialization, processing
(processors and punctuators) and production, each with log-and-fail, log-and-continue and a
user function or class, and the dead-letter queue with Kafka's headers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from raystreams import Processor, PunctuationType, Serdes, Topology
from raystreams.engine.handlers import (
    HEADER_ERRORS_EXCEPTION_MESSAGE_NAME,
    HEADER_ERRORS_EXCEPTION_NAME,
    HEADER_ERRORS_OFFSET_NAME,
    HEADER_ERRORS_PARTITION_NAME,
    HEADER_ERRORS_STACKTRACE_NAME,
    HEADER_ERRORS_TOPIC_NAME,
    ErrorHandlerContext,
    ProcessingExceptionHandler,
    Response,
    build_dead_letter_queue_record,
)
from raystreams.errors import DeserializationException, ProductionException, StreamsException
from raystreams.testing import TopologyTestDriver

DLQ = "dead-letters"


def config(**handlers: object) -> dict[str, object]:
    return {"application.id": "handlers-test", **{k.replace("_", "."): v for k, v in handlers.items()}}


class Picky(Processor):
    """Raises on the value ``boom``; punctuates every 10 s of stream time and raises then
    once the value ``tick-boom`` was seen."""

    def init(self, context):
        super().init(context)
        self.armed = False
        context.schedule(timedelta(seconds=10), PunctuationType.STREAM_TIME, self.punctuate)

    def punctuate(self, timestamp):
        if self.armed:
            self.armed = False
            raise RuntimeError(f"punctuator failed at {timestamp}")

    def process(self, record):
        if record.value == "boom":
            raise ValueError("cannot handle boom")
        if record.value == "tick-boom":
            self.armed = True
        self.context.forward(record)


def picky_topology() -> Topology:
    return Topology().add_source("src", "in").add_processor("picky", Picky, "src") \
        .add_sink("sink", "out", "picky")


def dead_letters(driver: TopologyTestDriver) -> list:
    return driver.create_output_topic(DLQ, Serdes.Bytes(), Serdes.Bytes()).read_records_to_list()


def test_processing_log_and_fail_is_the_default_and_names_the_record():
    with TopologyTestDriver(picky_topology(), config()) as driver:
        inp = driver.create_input_topic("in")
        inp.pipe_input("k", "a", 0)
        with pytest.raises(StreamsException) as info:
            inp.pipe_input("k", "boom", 1)
    err = info.value
    assert (err.task_id, err.processor, err.topic, err.partition, err.offset) == (
        "0_0", "picky", "in", 0, 1)


def test_processing_log_and_continue_dead_letters_the_source_bytes():
    cfg = config(processing_exception_handler="log_and_continue",
                 errors_dead_letter_queue_topic_name=DLQ)
    with TopologyTestDriver(picky_topology(), cfg) as driver:
        inp = driver.create_input_topic("in")
        for i, v in enumerate(("a", "boom", "b")):
            inp.pipe_input("k", v, i)
        assert driver.create_output_topic("out").read_values_to_list() == ["a", "b"]
        [dead] = dead_letters(driver)
        metrics = driver.task.metrics.as_dict()
    assert (dead.key, dead.value, dead.timestamp) == (b"k", b"boom", 1)
    headers = dict(dead.headers.to_list())
    assert headers[HEADER_ERRORS_EXCEPTION_NAME] == b"ValueError"
    assert headers[HEADER_ERRORS_EXCEPTION_MESSAGE_NAME] == b"cannot handle boom"
    assert b"cannot handle boom" in headers[HEADER_ERRORS_STACKTRACE_NAME]
    assert (headers[HEADER_ERRORS_TOPIC_NAME], headers[HEADER_ERRORS_PARTITION_NAME],
            headers[HEADER_ERRORS_OFFSET_NAME]) == (b"in", b"0", b"1")
    assert metrics["dropped-records-total"] == 1 and metrics["dead_letter_records"] == 1


def test_punctuator_errors_go_to_the_processing_handler():
    seen: list[tuple[ErrorHandlerContext, object]] = []

    def handler(context, record, exception):
        seen.append((context, record))
        return "continue"

    with TopologyTestDriver(picky_topology(), config(processing_exception_handler=handler)) \
            as driver:
        inp = driver.create_input_topic("in")
        inp.pipe_input("k", "a", 0)  # punctuates at 0, not armed yet
        inp.pipe_input("k", "tick-boom", 5)
        inp.pipe_input("k", "b", 10_000)  # stream time 10 s: the punctuator fires and raises
        inp.pipe_input("k", "c", 10_001)
        assert driver.create_output_topic("out").read_values_to_list() == [
            "a", "tick-boom", "b", "c"]
    [(context, record)] = seen
    assert record is None  # a punctuator has no record
    assert (context.processor_node_id, context.task_id, context.topic, context.offset,
            context.timestamp) == ("picky", "0_0", None, -1, 10_000)

    with TopologyTestDriver(picky_topology(), config()) as driver:
        inp = driver.create_input_topic("in")
        inp.pipe_input("k", "a", 0)
        inp.pipe_input("k", "tick-boom", 5)
        with pytest.raises(StreamsException, match="punctuator failed") as info:
            inp.pipe_input("k", "b", 10_000)
    assert info.value.processor == "picky"


def test_a_handler_class_gets_the_full_context_and_returns_its_own_dead_letters():
    class Handler(ProcessingExceptionHandler):
        def handle_error(self, context, record, exception):
            self.context = context
            own = build_dead_letter_queue_record("my-dlq", b"K", b"V", context, exception)
            return Response.resume([own])

    handler = Handler()
    with TopologyTestDriver(picky_topology(), config(processing_exception_handler=handler)) \
            as driver:
        inp = driver.create_input_topic("in")
        inp.pipe_input("k", "boom", 5, headers=[("h", b"1")])
        dead = driver.create_output_topic("my-dlq", Serdes.Bytes(), Serdes.Bytes()).read_record()
    ctx = handler.context
    assert (ctx.topic, ctx.partition, ctx.offset, ctx.processor_node_id, ctx.task_id,
            ctx.timestamp, ctx.source_raw_key, ctx.source_raw_value) == (
        "in", 0, 0, "picky", "0_0", 5, b"k", b"boom")
    assert ctx.headers.last_header("h") == b"1"
    assert (dead.key, dead.value) == (b"K", b"V")
    assert dict(dead.headers.to_list())["h"] == b"1"  # the source record's headers are kept


def test_deserialization_fail_with_dead_letter_sends_then_fails():
    t = Topology().add_source("s", "nums", value_serde=Serdes.Integer()) \
        .add_sink("k", "out", "s", value_serde=Serdes.Integer())
    with TopologyTestDriver(t, config(errors_dead_letter_queue_topic_name=DLQ)) as driver:
        with pytest.raises(DeserializationException):
            driver.pipe_raw("nums", b"b", b"bad", 1)
        # as in Kafka's driver, what a failed step sent shows with the next step's output
        driver.pipe_raw("nums", b"c", b"\x00\x00\x00\x01", 2)
        [dead] = dead_letters(driver)
    assert (dead.key, dead.value) == (b"b", b"bad")


def test_deserialization_user_function_decides_per_record():
    t = Topology().add_source("s", "nums", value_serde=Serdes.Integer()) \
        .add_sink("k", "out", "s", value_serde=Serdes.Integer())

    def handler(context, record, exception):
        return "continue" if record.value == b"skip!" else "fail"

    with TopologyTestDriver(t, config(deserialization_exception_handler=handler)) as driver:
        driver.pipe_raw("nums", b"a", b"skip!", 0)
        with pytest.raises(DeserializationException):
            driver.pipe_raw("nums", b"a", b"fail!", 1)
        assert driver.task.metrics.records_dropped == 1


def test_serialization_errors_go_to_the_production_handler_with_dead_letters():
    t = Topology().add_source("s", "in").add_sink("sink", "out", "s", value_serde=Serdes.Long())
    with TopologyTestDriver(t, config(errors_dead_letter_queue_topic_name=DLQ)) as driver:
        with pytest.raises(ProductionException, match=r"topic=\[out\]") as info:
            driver.create_input_topic("in").pipe_input("k", "x", 0)
        driver.create_input_topic("in").pipe_input("k", None, 1)  # shows the failed step's
        [dead] = dead_letters(driver)
    assert info.value.processor == "sink"
    assert (dead.key, dead.value) == (b"k", b"x")

    origins = []

    class Handler:
        def handle_error(self, context, record, exception):
            raise AssertionError("no send error here")

        def handle_serialization_error(self, context, record, exception, origin):
            origins.append((origin.name, record.topic, record.value))
            return Response.resume()

    with TopologyTestDriver(t, config(production_exception_handler=Handler())) as driver:
        driver.create_input_topic("in").pipe_input("k", "x", 0)
        assert driver.create_output_topic("out").is_empty()
        assert driver.task.metrics.records_dropped == 1
    assert origins == [("VALUE", "out", "x")]


def test_a_handler_that_raises_fails_the_task_naming_the_callback():
    def broken(context, record, exception):
        raise KeyError("oops")

    with TopologyTestDriver(picky_topology(), config(processing_exception_handler=broken)) \
            as driver, pytest.raises(StreamsException, match="Fatal user code error in processing"):
        driver.create_input_topic("in").pipe_input("k", "boom", 0)
