"""Windowed twins against Kafka Streams 4.4: same outputs, stores and describe().

Each case runs a twin of ``twins_windows`` in raystreams' TopologyTestDriver and the Java
scenario in the oracle, under ``statestore.cache.max.bytes=0`` and the default cache, and
demands identical answers. Inputs include null keys, null values, out-of-order records, records
on window boundaries, late records dropped after the grace period, and session merges.

``emit_final`` cases advance the wall clock by 1 s before each record: Kafka's driver sets the
internal emit interval to 0, raystreams' driver cannot yet (see the module docstring of
``raystreams.processor.window_aggregate``), and with a 1 s advance both check every record.
"""

from __future__ import annotations

import pytest

from . import twins_windows
from .harness import Case, Step, render_diff
from .twin_runner import COMMIT_INTERVAL, comparable, run_twin, spaced

pytestmark = pytest.mark.oracle

P = Step.pipe
A = Step.advance
CACHES = {"nocache": {"statestore.cache.max.bytes": "0"}, "cache": {}}


def _e(key: str | None, value: str | None, ts: int) -> Step:
    return P("events", key, value, ts)


def _amount(key: str | None, value: str | None, ts: int) -> Step:
    return P("amounts", key, value, ts)


TUMBLING = [
    _e("a", "x", 1000), _e("a", "x", 3000), _e("b", "x", 12000),
    _e("a", "x", 2000),             # out of order, same window
    _e("a", None, 9000),            # a null value is counted
    _e(None, "x", 9000),            # a null key is dropped
    _e("a", "x", 14000),            # window [0,10000) still open (closes at 15000)
    _e("a", "x", 9999),             # still accepted: stream time 14000 < 15000
    _e("a", "x", 16000),            # stream time passes 15000
    _e("a", "x", 9999),             # late: dropped
    _e("a", "x", 10000),            # window start boundary
]
TUMBLING_EXPIRY = [*TUMBLING, _e("b", "x", 31000), _e("a", "x", 20000), _e("a", "x", 26000)]

CASES: dict[str, tuple[list[Step], list[str]]] = {
    "tumbling_count": (TUMBLING, ["tumbling-counts"]),
    "hopping_aggregate": ([
        _amount("a", "3", 1000), _amount("a", "4", 6000),
        _amount("a", None, 7000),       # re-emits the unchanged sums
        _amount("b", "5", 12000),
        _amount("a", "2", 4000),        # late for [0,10000): stream 12000, close 10000
        _amount("a", "1", 11000),
        _amount(None, "9", 11000),
        _amount("b", None, 3000),       # first record of b's early windows: late, dropped
        _amount("c", None, 13000),      # a first null emits 0
    ], ["hopping-sums"]),
    "sliding_count": ([
        _e("a", "x", 1000), _e("a", "x", 3000),     # early records (before time difference)
        _e("a", "x", 8000), _e("a", "x", 6000),     # out of order
        _e("b", "x", 100),
        _e("a", None, 9000),                        # sliding windows skip null values
        _e(None, "x", 9000),
        _e("a", "x", 11000), _e("a", "x", 11000),   # duplicate timestamp
        _e("a", "x", 10999),
    ], ["sliding-counts"]),
    "session_count": ([
        _e("a", "x", 1000), _e("a", "x", 3000),     # merge: tombstone, then the merged session
        _e("a", "x", 10000),                        # a new session
        _e("a", "x", 6000),                         # bridges both: two tombstones
        _e("b", "x", 2000),
        _e("b", None, 2500),                        # counted
        _e(None, "x", 2500),
        _e("a", "x", 15000), _e("a", "x", 15000),
    ], ["session-counts"]),
    "suppress_window_close": ([
        _e("a", "x", 1000), _e("a", "x", 3000), _e("b", "x", 12000), _e("a", "x", 2000),
        _e(None, "x", 2000),
        _e("a", "x", 14999),                        # stream time below 15000: nothing closes
        _e("a", "x", 15000),                        # [0,10000) closes: its final count
        _e("a", "x", 9000),                         # late: dropped
        _e("b", "x", 24000),
        _e("c", "x", 25000),                        # [10000,20000) closes for a and b
    ], ["suppress-counts"]),
    "emit_final": ([
        A(1000), _e("a", "x", 1000), A(1000), _e("a", "x", 3000), A(1000), _e("b", "x", 12000),
        A(1000), _e("a", "x", 2000), A(1000), _e(None, "x", 2000),
        A(1000), _e("a", "x", 15000),               # [0,10000) closes: emitted once
        A(1000), _e("a", "x", 9000),                # late: dropped
        A(1000), _e("b", "x", 24000),
        A(1000), _e("c", "x", 25000),               # [10000,20000) closes
        A(1000), _e("c", "x", 25001),               # nothing new closes
    ], ["final-counts"]),
    "unlimited_count": ([
        _e("a", "x", 500),                          # before the start: in no window
        _e("a", "x", 1000),                         # the start: counted
        _e("b", "x", 10**12),                       # far ahead: nothing ever closes
        _e("a", None, 2000),                        # a null value is counted
        _e(None, "x", 3000),                        # a null key is dropped
        _e("a", "x", 999),                          # before the start again
    ], ["unlimited-counts"]),
}

# Stream time moves past the stores' retention: the stores hide expired windows and sessions,
# while Kafka's record cache still lists (and, for sessions, finds and merges) those it holds.
EXPIRY_CASES: dict[str, tuple[list[Step], list[str]]] = {
    "tumbling_count": (TUMBLING_EXPIRY, ["tumbling-counts"]),
    "sliding_count": ([*CASES["sliding_count"][0], _e("a", "x", 30000), _e("a", "x", 24000)],
                      ["sliding-counts"]),
    "session_count": ([
        _e("a", "x", 1000), _e("a", "x", 6000),
        _e("a", "x", 13000),                        # stream time 13000: [1000,6000] expires
        _e("a", "x", 8500),                         # would merge [1000,6000] and [13000,13000]
        _e("a", "x", 40000), _e("a", "x", 33500),
    ], ["session-counts"]),
}

def check(oracle, case: Case) -> None:
    expected = oracle.run_case(case)
    actual = run_twin(getattr(twins_windows, case.scenario), case,
                      oracle.scenarios[case.scenario])
    if comparable(expected) != comparable(actual):
        pytest.fail(render_diff(case, expected, actual), pytrace=False)


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", sorted(CASES))
def test_twin_matches_kafka(oracle, scenario: str, cache: str) -> None:
    steps, stores = CASES[scenario]
    check(oracle, Case.of(scenario, steps, CACHES[cache], None, stores))


@pytest.mark.parametrize("cache", sorted(CACHES))
@pytest.mark.parametrize("scenario", sorted(EXPIRY_CASES))
def test_twin_matches_kafka_after_expiry(oracle, scenario: str, cache: str) -> None:
    steps, stores = EXPIRY_CASES[scenario]
    check(oracle, Case.of(scenario, steps, CACHES[cache], None, stores))


@pytest.mark.parametrize("scenario", sorted(CASES) + [f"{s}-expiry" for s in sorted(EXPIRY_CASES)])
def test_twin_matches_kafka_with_commit_interval(oracle, scenario: str) -> None:
    # cache on, several records between commits: cache dedup and flush order are judged
    name, _, expiry = scenario.partition("-")
    steps, stores = (EXPIRY_CASES if expiry else CASES)[name]
    check(oracle, Case.of(name, spaced(steps), COMMIT_INTERVAL, None, stores, commits="interval"))


@pytest.mark.parametrize("params", [
    {"size_ms": 5000, "grace_ms": 0}, {"size_ms": 3000, "grace_ms": 1000}])
@pytest.mark.parametrize("cache", sorted(CACHES))
def test_tumbling_params_match_kafka(oracle, cache: str, params: dict[str, int]) -> None:
    check(oracle, Case.of("tumbling_count", TUMBLING, CACHES[cache], params,
                          ["tumbling-counts"]))


@pytest.mark.parametrize("scenario", twins_windows.TWINS)
def test_describe_matches_kafka(oracle, scenario: str) -> None:
    expected = oracle.run(scenario, [])
    assert str(getattr(twins_windows, scenario)({}).describe()) == expected["describe"]
