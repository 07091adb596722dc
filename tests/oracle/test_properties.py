"""Property tests: raystreams' answer equals Kafka Streams 4.4's for random cases per scenario.

CI runs a fixed seed (``derandomize``) and ``RAYSTREAMS_ORACLE_EXAMPLES`` examples (default 8)
per scenario and config; set the variable higher to search longer by hand.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from .harness import render_diff
from .properties import CONFIGS, EXAMPLES, cases
from .twin_runner import comparable, discover_twins, run_twin

pytestmark = pytest.mark.oracle

TWINS = discover_twins()
PROPERTY_SCENARIOS = sorted(name for name in TWINS if name != "topology_error")


def check_case(oracle, twin, case) -> None:
    """Run one case on both sides; fail with both answers side by side when they differ."""
    meta = oracle.scenarios[case.scenario]
    expected = oracle.run_case(case)
    actual = run_twin(twin, case, meta)
    if comparable(expected) != comparable(actual):
        pytest.fail(render_diff(case, expected, actual), pytrace=False)


def property_test(oracle, scenario: str, config_name: str, twin=None, examples: int = EXAMPLES,
                  shrink: bool = True):
    twin = twin or TWINS[scenario]
    meta = oracle.scenarios[scenario]
    phases = list(Phase) if shrink else [Phase.explicit, Phase.generate]

    @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
              phases=phases,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(cases(scenario, meta, CONFIGS[config_name]))
    def run(case):
        check_case(oracle, twin, case)

    run()


@pytest.mark.parametrize("config_name", sorted(CONFIGS))
@pytest.mark.parametrize("scenario", PROPERTY_SCENARIOS)
def test_twin_matches_kafka_streams(oracle, scenario, config_name):
    property_test(oracle, scenario, config_name)


def test_harness_catches_a_broken_twin(oracle):
    """A twin that keeps the records the real topology drops must be caught."""
    from raystreams import Consumed, Produced, Serdes, StreamsBuilder

    s = Serdes.String()

    def broken_stateless_ops(params):
        b = StreamsBuilder()
        a = b.stream("stateless-a", Consumed.with_(s, s))
        other = b.stream("stateless-b", Consumed.with_(s, s))
        (a.merge(other)
         .filter(lambda k, v: v is not None)  # forgets to drop "drop..." values
         .map_values(str.upper)
         .select_key(lambda k, v: v[:1])
         .flat_map(lambda k, v: [(k, v), (k + "-len", str(len(v)))])
         .peek(lambda k, v: None)
         .to("stateless-output", Produced.with_(s, s)))
        return b.build()

    with pytest.raises(pytest.fail.Exception) as info:
        property_test(oracle, "stateless_ops", "cache-alos", twin=broken_stateless_ops,
                      examples=50, shrink=False)
    assert "DROP" in str(info.value)


def test_topology_errors_match(oracle):
    from .harness import Case

    for kind in ("invalid_name", "duplicate_name", "unknown_parent", "none"):
        case = Case.of("topology_error", [], params={"kind": kind})
        expected = oracle.run_case(case)
        actual = run_twin(TWINS["topology_error"], case, oracle.scenarios["topology_error"])
        assert comparable(expected) == comparable(actual), render_diff(case, expected, actual)


def test_harness_catches_a_join_that_ignores_grace(oracle):
    """A stream-stream left join run without its grace period must be caught."""
    from . import twins_joins

    def join_without_grace(params):
        return twins_joins.stream_stream_left({**params, "grace_ms": 0})

    with pytest.raises(pytest.fail.Exception) as info:
        property_test(oracle, "stream_stream_left", "nocache-alos", twin=join_without_grace,
                      examples=100, shrink=False)
    assert "join-output" in str(info.value)
