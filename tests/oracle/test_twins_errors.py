"""Exception handlers against Kafka Streams 4.4 (KIP-1033/1034): a processor and a punctuator
that raise, under log-and-continue and log-and-fail, with and without the dead-letter topic.

Both sides must produce the same output and dead-letter records (what a failing step sent is
not shown by either driver) (key, value, timestamp, the
source record's headers, Kafka's ``__streams.errors.*`` topic, partition, offset and message
headers) and fail at the same step. The exception class and stack trace headers are compared
for presence only: Java's ``java.lang.IllegalArgumentException`` is Python's ``ValueError``.
"""

from __future__ import annotations

from typing import Any

import pytest

from . import twins_core
from .harness import Case, Step, render_diff
from .twin_runner import comparable, run_twin

pytestmark = pytest.mark.oracle

P = Step.pipe
DLQ = {"errors.dead.letter.queue.topic.name": "errors-dlq"}
CONTINUE = {"processing.exception.handler":
            "org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler"}
FAIL = {"processing.exception.handler":
        "org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler"}
CONFIGS = {"continue": CONTINUE, "continue-dlq": {**CONTINUE, **DLQ},
           "fail-dlq": {**FAIL, **DLQ}, "default-dlq": DLQ}
STEPS = [
    P("errors-input", "a", "x", 1),
    P("errors-input", "b", "boom", 2, headers=[("trace-id", "t-1")]),
    P("errors-input", "c", "tick-boom", 3),
    P("errors-input", "d", "y", 10_000),  # stream time 10 s: the armed punctuator raises
    P("errors-input", "e", "boom", 10_001),
    P("errors-input", "f", "z", 20_000),  # a punctuation that succeeds
]
PLATFORM_HEADERS = {"__streams.errors.exception", "__streams.errors.stacktrace"}


def masked(answer: dict[str, Any]) -> dict[str, Any]:
    """``comparable`` with the exception class and stack trace values reduced to 'present'."""
    result = comparable(answer)
    outputs = []
    for record in result["outputs"] or []:
        headers = [[k, "<present>" if k in PLATFORM_HEADERS and v else v]
                   for k, v in record["headers"]]
        outputs.append({**record, "headers": headers})
    result["outputs"] = outputs
    return result


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_processing_errors_match_kafka(oracle, config: str) -> None:
    case = Case.of("processing_errors", STEPS, CONFIGS[config], None, [])
    expected = oracle.run_case(case)
    actual = run_twin(twins_core.processing_errors, case, oracle.scenarios[case.scenario])
    if masked(expected) != masked(actual):
        pytest.fail(render_diff(case, expected, actual), pytrace=False)
    if config == "continue-dlq":  # the dead letters were compared, not absent on both sides
        assert sum(r["topic"] == "errors-dlq" for r in expected["outputs"]) == 3, expected
