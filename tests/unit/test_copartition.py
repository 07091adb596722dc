"""check_copartitioning: joins of topics with different partition counts fail loudly."""

from __future__ import annotations

import pytest

from raystreams import Serdes, StreamsBuilder
from raystreams.dsl.params import Consumed, Materialized, Repartitioned, StreamJoined
from raystreams.dsl.windows import JoinWindows
from raystreams.errors import CopartitionException, TopologyException
from raystreams.topology.copartition import check_copartitioning
from raystreams.topology.topology import Topology

S = Serdes.String()


def joiner(a, b):
    return f"{a}+{b}"


def _stream_join(left_repartition: bool = False) -> Topology:
    builder = StreamsBuilder()
    left = builder.stream("left", Consumed.with_(S, S))
    if left_repartition:
        left = left.select_key(lambda k, v: v)
    right = builder.stream("right", Consumed.with_(S, S))
    left.join(right, joiner, JoinWindows.of_time_difference_with_no_grace(10),
              StreamJoined(S, S, S)).to("out")
    return builder.build()


def test_same_counts_pass():
    assert check_copartitioning(_stream_join(), {"left": 4, "right": 4}) == {}


def test_different_counts_name_both_topics_and_counts():
    with pytest.raises(CopartitionException) as info:
        check_copartitioning(_stream_join(), {"left": 2, "right": 3})
    message = str(info.value)
    assert "left has 2 partitions" in message and "right has 3 partitions" in message
    assert "GlobalKTable" in message and "repartition()" in message.replace(
        "repartition(Repartitioned", "repartition()")
    assert info.value.partition_counts == {"left": 2, "right": 3}
    assert isinstance(info.value, TopologyException)


def test_repartition_topic_follows_the_source_topic():
    topology = _stream_join(left_repartition=True)
    decided = check_copartitioning(topology, {"left": 7, "right": 5})
    assert decided == {"KSTREAM-KEY-SELECT-0000000001-repartition": 5}


def test_repartition_topic_with_fixed_count_must_match():
    builder = StreamsBuilder()
    left = builder.stream("left").repartition(Repartitioned.number_of_partitions(2))
    right = builder.stream("right")
    left.join(right, joiner, JoinWindows.of_time_difference_with_no_grace(10)).to("out")
    topology = builder.build()
    with pytest.raises(CopartitionException, match=r"Number of partitions \[2\]"):
        check_copartitioning(topology, {"left": 2, "right": 3})
    assert check_copartitioning(topology, {"left": 9, "right": 2})


def test_unknown_topic_is_reported():
    with pytest.raises(CopartitionException, match="Topic not found: right"):
        check_copartitioning(_stream_join(), {"left": 2})


def test_decorated_internal_names_are_accepted():
    topology = _stream_join(left_repartition=True)
    decided = check_copartitioning(
        topology, {"left": 1, "right": 3, "app-KSTREAM-KEY-SELECT-0000000001-repartition": 3})
    assert decided == {"KSTREAM-KEY-SELECT-0000000001-repartition": 3}


def test_processor_api_groups():
    topology = Topology()
    topology.add_source("a", "ta").add_source("b", "tb")
    topology.copartition(["a", "b"])
    with pytest.raises(CopartitionException):
        check_copartitioning(topology, {"ta": 1, "tb": 2})


def test_order_join_with_ktable_of_other_partition_count_fails():
    builder = StreamsBuilder()
    orders = builder.stream("order", Consumed.with_(S, S))
    addresses = builder.table("address_v2", Consumed.with_(S, S), Materialized.as_("address"))
    orders.join(addresses, lambda o, a: f"{o} send to {a}").to("delivery")
    with pytest.raises(CopartitionException) as info:
        check_copartitioning(builder.build(), {"order": 2, "address_v2": 3})
    assert "order has 2 partitions" in str(info.value)
    assert "address_v2 has 3 partitions" in str(info.value)


def test_order_join_with_global_table_needs_no_copartitioning():
    builder = StreamsBuilder()
    orders = builder.stream("order", Consumed.with_(S, S))
    addresses = builder.global_table("address_v2", Consumed.with_(S, S))
    orders.join(addresses, lambda k, v: k, lambda o, a: f"{o} send to {a}").to("delivery")
    topology = builder.build()
    assert topology.copartition_groups == []
    assert check_copartitioning(topology, {"order": 2, "address_v2": 3}) == {}
