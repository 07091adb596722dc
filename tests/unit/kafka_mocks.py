"""The helpers of Kafka Streams' own tests that the ported suites use (``MockApiProcessor``,
``MockReducer.STRING_ADDER``, ``MockAggregator.TOSTRING_ADDER``, ``MockInitializer.STRING_INIT``)."""

from __future__ import annotations

from raystreams.processor.api import Processor


def string_adder(agg, value):
    """Kafka's MockReducer.STRING_ADDER."""
    return f"{agg}+{value}"


def tostring_adder(key, value, agg):
    """Kafka's MockAggregator.TOSTRING_ADDER."""
    return f"{agg}+{value}"


def string_init():
    """Kafka's MockInitializer.STRING_INIT."""
    return "0"


def session_merger(key, agg_one, agg_two):
    """The session merger of Kafka's SessionWindowedKStreamImplTest."""
    return f"{agg_one}+{agg_two}"


class Capture(Processor):
    """Kafka's MockApiProcessor: every (key, value, timestamp) it is given."""

    def __init__(self, processed: list) -> None:
        self.processed = processed

    def process(self, record) -> None:
        self.processed.append((record.key, record.value, record.timestamp))


def capture(table) -> list:
    """Route ``table``'s updates (as a stream) into a list that fills as the driver runs."""
    processed: list = []
    table.to_stream().process(lambda: Capture(processed))
    return processed
