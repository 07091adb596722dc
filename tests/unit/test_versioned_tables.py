"""Versioned KTables in the DSL (KIP-889/914/923), through the TopologyTestDriver: a versioned
table source forwards out-of-order updates and drops expired ones, a stream-table join reads
the table as of each stream record's time, and with a grace period waits for late table
updates. The oracle scenarios ``versioned_*`` check the same against Kafka Streams 4.4."""

from __future__ import annotations

import pytest

from raystreams import Joined, Materialized, Serdes, Stores, StreamsBuilder, Suppressed
from raystreams.dsl.suppressed import BufferConfig
from raystreams.errors import TopologyException
from raystreams.state import VersionedRecord
from raystreams.testing import TopologyTestDriver

S = Serdes.String()
CONFIG = {"application.id": "versioned"}


def versioned(name: str, history_ms: int = 10_000) -> Materialized:
    return Materialized.as_(Stores.persistent_versioned_key_value_store(name, history_ms))


def test_a_versioned_source_forwards_out_of_order_updates_and_drops_expired_ones():
    b = StreamsBuilder()
    b.table("prices", materialized=versioned("prices-v")).to_stream().to("out")
    with TopologyTestDriver(b.build(), CONFIG) as driver:
        prices, out = driver.create_input_topic("prices"), driver.create_output_topic("out")
        prices.pipe_input("a", "p20", 20_000)
        prices.pipe_input("a", "p15", 15_000)   # out of order, within the history: forwarded
        prices.pipe_input("a", "p5", 5_000)     # older than 20000 - 10000: not put, not forwarded
        assert out.read_key_values_to_list() == [("a", "p20"), ("a", "p15")]
        store = driver.get_versioned_key_value_store("prices-v")
        assert store.get("a") == VersionedRecord("p20", 20_000)
        assert store.get("a", 17_000) == VersionedRecord("p15", 15_000, 20_000)


def join_topology(grace_ms: int | None, history_ms: int = 10_000):
    b = StreamsBuilder()
    prices = b.table("prices", materialized=versioned("prices-v", history_ms))
    joined = Joined.with_(S, S, S)
    if grace_ms is not None:
        joined = joined.with_grace_period(grace_ms)
    b.stream("orders").join(prices, lambda order, price: f"{order}@{price}", joined).to("out")
    return b.build()


def test_a_stream_table_join_reads_the_version_of_the_stream_records_time():
    with TopologyTestDriver(join_topology(None), CONFIG) as driver:
        prices, orders = driver.create_input_topic("prices"), driver.create_input_topic("orders")
        out = driver.create_output_topic("out")
        prices.pipe_input("a", "p1", 1_000)
        prices.pipe_input("a", "p5", 5_000)
        orders.pipe_input("a", "o3", 3_000)   # as of 3000: p1, although p5 came first
        orders.pipe_input("a", "o0", 500)     # nothing valid at 500: no inner-join result
        orders.pipe_input("a", "o6", 6_000)
        assert out.read_key_values_to_list() == [("a", "o3@p1"), ("a", "o6@p5")]


def test_with_a_grace_period_stream_records_wait_for_late_table_updates():
    with TopologyTestDriver(join_topology(5_000), CONFIG) as driver:
        prices, orders = driver.create_input_topic("prices"), driver.create_input_topic("orders")
        out = driver.create_output_topic("out")
        prices.pipe_input("a", "p1", 1_000)
        orders.pipe_input("a", "o3", 3_000)   # buffered until the buffer's time passes 8000
        prices.pipe_input("a", "p2", 2_000)   # a late table update it will see
        assert out.read_key_values_to_list() == []
        orders.pipe_input("a", "o9", 9_000)   # releases o3 (3000 <= 9000 - 5000)
        assert out.read_records_to_list()[0].value == "o3@p2"
        orders.pipe_input("a", "o1", 1_500)   # already too late to wait: joined at once
        orders.pipe_input("a", "o20", 20_000)  # releases o9
        assert out.read_key_values_to_list() == [("a", "o1@p1"), ("a", "o9@p2")]
        assert "KSTREAM-JOIN-0000000003-Buffer" in driver.get_all_state_stores()


def test_a_grace_period_needs_a_versioned_table_with_enough_history():
    b = StreamsBuilder()
    with pytest.raises(TopologyException, match="KTable must be versioned to use a grace period"):
        b.stream("s").join(b.table("t"), lambda v, t: v, Joined.with_(S, S, S).with_grace_period(1))
    with pytest.raises(TopologyException, match="History retention must be at least grace period"):
        join_topology(20_000, history_ms=10_000)


def test_what_versioned_tables_do_not_support_is_refused_by_name():
    b = StreamsBuilder()
    table = b.table("prices", materialized=versioned("prices-v"))
    with pytest.raises(TopologyException, match="only supported for non-versioned KTables"):
        table.suppress(Suppressed.until_time_limit(1_000, BufferConfig.unbounded()))
    with pytest.raises(TopologyException, match="store agg-v is versioned"):
        b.stream("s").group_by_key().count(versioned("agg-v"))


def test_a_table_table_join_of_versioned_tables_is_not_versioned_downstream():
    # Kafka sets the join's output versioned only when its own Materialized is versioned
    b = StreamsBuilder()
    left = b.table("l", materialized=versioned("l-v"))
    right = b.table("r", materialized=versioned("r-v"))
    joined = left.join(right, lambda a, c: a + c)
    assert joined.output_versioned() is False
    joined.suppress(Suppressed.until_time_limit(1_000, BufferConfig.unbounded()))  # allowed
