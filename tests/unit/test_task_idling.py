"""The engine's task-idling and commit rules on the TopologyTestDriver: Kafka's
``PartitionGroup.readyToProcess`` (KIP-695, ``max.task.idle.ms``) and the part of
``StreamTask``'s commit rule that commits past transaction markers. The runtime runs the same
code with a lag provider over its consumer (tests/unit/test_task_runner.py covers that side).
"""

from __future__ import annotations

from raystreams import Serdes, StreamsBuilder
from raystreams.config import MAX_TASK_IDLE_MS_CONFIG
from raystreams.engine.lag import LagProvider, ZeroLag
from raystreams.testing import TopologyTestDriver


def merge_topology():
    builder = StreamsBuilder()
    builder.stream("a").merge(builder.stream("b")).to("out")
    return builder.build()


def driver(idle_ms=None, topology=None):
    config = {"application.id": "idling"}
    if idle_ms is not None:
        config[MAX_TASK_IDLE_MS_CONFIG] = idle_ms
    return TopologyTestDriver(topology or merge_topology(), config, initial_wall_clock_time=0)


def topics(d):
    s = Serdes.String()
    return (d.create_input_topic("a", s, s), d.create_input_topic("b", s, s),
            d.create_output_topic("out", s, s))


class FakeBroker:
    """A lag provider with set lags and consumer positions."""

    def __init__(self, lags=None, positions=None):
        self.lags = lags or {}
        self.positions = positions or {}

    def fetched_lag(self, topic, partition):
        return self.lags.get((topic, partition), 0)

    def position(self, topic, partition):
        return self.positions.get((topic, partition))


def test_the_driver_reports_zero_lag():
    assert isinstance(ZeroLag(), LagProvider)
    with driver() as d:
        assert d.task.partition_group.lag_provider.fetched_lag("a", 0) == 0


def test_by_default_an_empty_input_does_not_hold_processing():
    with driver() as d:
        a, _, out = topics(d)
        a.pipe_input("k", "a1", 5)
        assert out.read_values_to_list() == ["a1"]


def test_max_task_idle_ms_holds_a_task_until_the_wall_clock_passes_the_deadline():
    with driver(idle_ms=1000) as d:
        a, _, out = topics(d)
        a.pipe_input("k", "a1", 5)
        assert out.is_empty()
        assert d.task.idling_since == 0
        d.advance_wall_clock_time(999)
        assert out.is_empty()
        d.advance_wall_clock_time(1)  # enforced processing
        assert out.read_values_to_list() == ["a1"]
        assert d.task.idling_since is None


def test_a_record_on_the_empty_input_is_processed_in_timestamp_order_then_the_task_waits():
    with driver(idle_ms=1000) as d:
        a, b, out = topics(d)
        a.pipe_input("k", "a5", 5)
        b.pipe_input("k", "b3", 3)
        # b3 goes first; then b is empty again and its idle time starts anew
        assert out.read_values_to_list() == ["b3"]
        d.advance_wall_clock_time(1000)
        assert out.read_values_to_list() == ["a5"]


def test_max_task_idle_ms_minus_one_never_waits_even_with_lag():
    with driver(idle_ms=-1) as d:
        d.task.partition_group.lag_provider = FakeBroker(lags={("b", 0): 5})
        a, _, out = topics(d)
        a.pipe_input("k", "a1", 5)
        assert out.read_values_to_list() == ["a1"]


def test_an_empty_input_with_lag_or_unknown_lag_blocks():
    with driver() as d:
        broker = FakeBroker(lags={("b", 0): 2})
        d.task.partition_group.lag_provider = broker
        a, _, out = topics(d)
        a.pipe_input("k", "a1", 5)
        assert out.is_empty()  # b's records are on the broker: fetch them first
        broker.lags[("b", 0)] = None
        d.advance_wall_clock_time(10_000)
        assert out.is_empty()  # no metadata yet: still waiting, however long
        broker.lags[("b", 0)] = 0
        d.advance_wall_clock_time(0)
        assert out.read_values_to_list() == ["a1"]


def test_commit_moves_past_transaction_markers_on_an_empty_input():
    s = Serdes.String()
    builder = StreamsBuilder()
    builder.stream("in").to("out")
    with TopologyTestDriver(builder.build(), {"application.id": "markers"}) as d:
        broker = FakeBroker()
        d.task.partition_group.lag_provider = broker
        d.create_input_topic("in", s, s).pipe_input("k", "v", 1)  # offset 0
        assert d.task.offsets_past_markers({}) == {}  # no position known: nothing moves
        broker.positions[("in", 0)] = 1
        assert d.task.offsets_past_markers({}) == {}  # the position is the next offset
        broker.positions[("in", 0)] = 3  # offsets 1, 2: a commit marker and another
        assert d.task.offsets_past_markers({}) == {("in", 0): 3}
        assert d.task.offsets_past_markers({("in", 0): 3}) == {}  # already committed


def test_a_partition_with_buffered_records_does_not_move_past_markers():
    with driver(idle_ms=1000) as d:
        broker = FakeBroker(positions={("a", 0): 7})
        d.task.partition_group.lag_provider = broker
        a, _, out = topics(d)
        a.pipe_input("k", "a1", 5)  # held: b is empty
        assert out.is_empty()
        assert d.task.offsets_past_markers({("a", 0): 0}) == {}
