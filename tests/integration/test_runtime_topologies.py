"""Topology shapes on Kafka 4.4 and Ray: a GlobalKTable join over non-co-partitioned inputs
(every task bootstraps the global store before processing and keeps it updated), and a
Processor-API store queried interactively."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer
from conftest import consume_all, wait_for

from raystreams import StreamsBuilder
from raystreams.query import QueryableStoreTypes, StoreQueryParameters

pytestmark = pytest.mark.integration


def send(bootstrap: str, topic: str, pairs: list[tuple[str, str]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    for key, value in pairs:
        producer.produce(topic, key=key.encode(), value=value.encode())
    producer.flush(30)


def enrich(order: str, product: str) -> str:
    return f"{order} of {product}"


def test_global_table_join_with_non_copartitioned_inputs(kafka_bootstrap, topic_factory,
                                                         streams_factory, app_id):
    orders, products = topic_factory(3, prefix="orders"), topic_factory(1, prefix="products")
    out = topic_factory(3, prefix="enriched")
    send(kafka_bootstrap, products, [("p1", "apples"), ("p2", "pears")])
    builder = StreamsBuilder()
    table = builder.global_table(products)
    (builder.stream(orders)
        .join(table, lambda order_id, product_id: product_id.split(":")[0], enrich)
        .to(out))
    streams = streams_factory(builder.build(), {"application.id": app_id,
                                                "bootstrap.servers": kafka_bootstrap,
                                                "commit.interval.ms": 200})
    streams.wait_until_running(60)
    # the global group is sub-topology 0 but makes no task (as in Kafka Streams)
    assert sorted(streams.tasks()) == ["1_0", "1_1", "1_2"]
    send(kafka_bootstrap, orders, [(f"o{i}", f"p{1 + i % 2}:{i}") for i in range(30)])
    records = wait_for(lambda: (lambda r: r if len(r) >= 30 else None)(
        consume_all(kafka_bootstrap, out, expected=30, timeout=5)), 60, 0.3, "30 joined orders")
    joined = {m.key().decode(): m.value().decode() for m in records}
    assert joined["o0"] == "p1:0 of apples" and joined["o1"] == "p2:1 of pears"
    assert len(joined) == 30
    # the global store follows its topic while the app runs
    send(kafka_bootstrap, products, [("p1", "plums")])
    wait_for(lambda: (send(kafka_bootstrap, orders, [("late", "p1:late")]) or True) and any(
        m.value() == b"p1:late of plums" for m in consume_all(kafka_bootstrap, out, timeout=3)),
        60, 0.5, "orders joined with the updated product")
    first_run = streams.metrics()["tasks"]
    assert all(t["global_records_bootstrapped"] == 2 for t in first_run.values()), first_run
    assert streams.close(30)

    # a restart on the same state reads the global topic from each task's checkpoint: nothing
    again = streams_factory(builder.build(), {"application.id": app_id,
                                              "bootstrap.servers": kafka_bootstrap,
                                              "commit.interval.ms": 200})
    again.wait_until_running(60)
    restarted = again.metrics()["tasks"]
    assert all(t["global_records_bootstrapped"] == 0 for t in restarted.values()), restarted
    assert all(t["global_restored_from"] == {f"{products}-0": 3} for t in restarted.values())
    wait_for(lambda: (send(kafka_bootstrap, orders, [("again", "p1:again")]) or True) and any(
        m.value() == b"p1:again of plums" for m in consume_all(kafka_bootstrap, out, timeout=3)),
        60, 0.5, "the restored global store joins")


def test_copartitioned_stream_table_join_reads_both_inputs_in_timestamp_order(
        kafka_bootstrap, topic_factory, streams_factory, app_id):
    """Each task reads partition p of both topics; records already on the broker are picked
    by timestamp across them (the task waits for the fetch of an empty partition with lag),
    so every click finds its user although the table and the stream arrive separately."""
    users, clicks = topic_factory(3, prefix="users"), topic_factory(3, prefix="clicks")
    out = topic_factory(3, prefix="joined")
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"})
    for i in range(30):
        producer.produce(users, key=f"u{i}".encode(), value=f"user{i}".encode(), timestamp=1000)
    producer.flush(30)
    for i in range(30):
        producer.produce(clicks, key=f"u{i}".encode(), value=f"click{i}".encode(),
                         timestamp=2000 + i)
    producer.flush(30)
    builder = StreamsBuilder()
    table = builder.table(users)
    builder.stream(clicks).join(table, lambda click, user: f"{user}:{click}").to(out)
    streams = streams_factory(builder.build(), {"application.id": app_id,
                                                "bootstrap.servers": kafka_bootstrap,
                                                "commit.interval.ms": 200})
    assert sorted(t.task_id for t in streams.plan.tasks) == ["0_0", "0_1", "0_2"]
    assert all(len(t.input_partitions) == 2 for t in streams.plan.tasks)
    records = consume_all(kafka_bootstrap, out, expected=30, timeout=60)
    assert sorted(m.value().decode() for m in records) == sorted(
        f"user{i}:click{i}" for i in range(30))


def test_pattern_source_reads_every_matching_topic(kafka_bootstrap, topic_factory,
                                                   streams_factory, app_id):
    import re
    import uuid

    from raystreams import Serdes

    prefix = f"clicks-{uuid.uuid4().hex[:6]}"
    web, mobile = topic_factory(2, prefix=f"{prefix}-web"), topic_factory(2, prefix=f"{prefix}-app")
    topic_factory(2, prefix=f"{prefix}x-other")  # the pattern does not match it in full
    out = topic_factory(2, prefix="click-counts")
    builder = StreamsBuilder()
    (builder.stream(re.compile(re.escape(prefix) + r"-(web|app)-\w+"))
        .group_by_key().count().to_stream().to(out))
    streams = streams_factory(builder.build(), {"application.id": app_id,
                                                "bootstrap.servers": kafka_bootstrap,
                                                "commit.interval.ms": 200})
    streams.wait_until_running(60)
    # one task per partition, each reading that partition of both matched topics
    assert sorted(streams.tasks()) == ["0_0", "0_1"]
    send(kafka_bootstrap, web, [("ann", "c"), ("bob", "c"), ("ann", "c")])
    send(kafka_bootstrap, mobile, [("ann", "c"), ("cy", "c")])
    long = Serdes.Long()

    def latest():
        return {m.key().decode(): long.deserialize(out, m.value())
                for m in consume_all(kafka_bootstrap, out, timeout=5)}

    wait_for(lambda: latest() == {"ann": 3, "bob": 1, "cy": 1}, 60, 0.3, "counts over both topics")
    assert streams.close(30)


def test_versioned_table_join_reads_as_of_the_order_time(kafka_bootstrap, topic_factory,
                                                         streams_factory, app_id):
    """A versioned table on Kafka and Ray: the join reads the price valid at each order's
    time, even after a newer price arrived; the store's changelog keeps its history."""
    from raystreams import Joined, Materialized, Serdes, Stores
    from raystreams.kafka.admin import StreamsAdmin
    from raystreams.state import VersionedRecord

    prices, orders = topic_factory(2, prefix="prices"), topic_factory(2, prefix="orders")
    out = topic_factory(2, prefix="priced")
    s = Serdes.String()
    builder = StreamsBuilder()
    table = builder.table(prices, materialized=Materialized.as_(
        Stores.persistent_versioned_key_value_store("prices-v", 60_000)))
    (builder.stream(orders)
        .join(table, lambda order, price: f"{order}@{price}", Joined.with_(s, s, s))
        .to(out))
    streams = streams_factory(builder.build(), {"application.id": app_id,
                                                "bootstrap.servers": kafka_bootstrap,
                                                "commit.interval.ms": 200})
    streams.wait_until_running(60)

    def send(topic, key, value, ts):
        producer = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"})
        producer.produce(topic, key=key.encode(), value=value.encode(), timestamp=ts)
        producer.flush(30)

    send(prices, "apple", "p1", 1_000)
    send(prices, "apple", "p5", 5_000)
    store = streams.store(StoreQueryParameters.from_store_name_and_type(
        "prices-v", QueryableStoreTypes.versioned_key_value_store()))
    wait_for(lambda: store.get("apple") == VersionedRecord("p5", 5_000), 60, 0.3, "price p5")
    assert store.get("apple", 3_000) == VersionedRecord("p1", 1_000, 5_000)
    send(orders, "apple", "o3", 3_000)
    records = wait_for(lambda: consume_all(kafka_bootstrap, out, expected=1, timeout=3), 60, 0.3,
                       "the joined order")
    assert [m.value() for m in records] == [b"o3@p1"]  # the price of 3000, not the latest
    configs = StreamsAdmin(bootstrap=kafka_bootstrap).describe_configs(
        f"{app_id}-prices-v-changelog")
    assert configs["cleanup.policy"] == "compact"
    assert configs["min.compaction.lag.ms"] == str(60_000 + 86_400_000)
    assert streams.close(30)


def test_window_and_session_stores_are_queryable(kafka_bootstrap, topic_factory,
                                                 streams_factory, app_id):
    """Interactive queries of windowed and session counts on Kafka and Ray: point fetches go
    to the task owning the key, fetch_all fans out to every task."""
    from raystreams import Materialized, SessionWindows, TimeWindows

    clicks = topic_factory(2, prefix="clicks")
    builder = StreamsBuilder()
    grouped = builder.stream(clicks).group_by_key()
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(10_000)).count(
        Materialized.as_("win-counts"))
    grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5_000)).count(
        Materialized.as_("session-counts"))
    streams = streams_factory(builder.build(), {"application.id": app_id,
                                                "bootstrap.servers": kafka_bootstrap,
                                                "commit.interval.ms": 200})
    streams.wait_until_running(60)
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "partitioner": "murmur2_random"})
    for user, ts in [("ann", 1_000), ("ann", 2_000), ("bob", 3_000), ("ann", 12_000)]:
        producer.produce(clicks, key=user.encode(), value=b"click", timestamp=ts)
    producer.flush(30)
    windows = streams.store(StoreQueryParameters.from_store_name_and_type(
        "win-counts", QueryableStoreTypes.window_store()))
    wait_for(lambda: windows.fetch("ann", 10_000) == 1, 60, 0.3, "ann's second window")
    assert windows.fetch("ann", 0) == 2                       # one window, one value
    assert list(windows.fetch("ann", 0, 20_000)) == [(0, 2), (10_000, 1)]
    assert list(windows.backward_fetch("ann", 0, 20_000)) == [(10_000, 1), (0, 2)]
    everything = {(w.key, w.window.start): n for w, n in windows.fetch_all(0, 20_000)}
    assert everything == {("ann", 0): 2, ("bob", 0): 1, ("ann", 10_000): 1}
    from raystreams.query import StateQueryRequest, WindowKeyQuery

    fetched = streams.query(StateQueryRequest.in_store("win-counts").with_query(
        WindowKeyQuery.with_key_and_window_start_range("ann", 0, 20_000)))
    assert list(fetched.get_only_partition_result().get_result()) == [(0, 2), (10_000, 1)]
    sessions = streams.store(StoreQueryParameters.from_store_name_and_type(
        "session-counts", QueryableStoreTypes.session_store()))
    assert [((w.key, w.window.start, w.window.end), n) for w, n in sessions.fetch("ann")] == [
        (("ann", 1_000, 2_000), 2), (("ann", 12_000, 12_000), 1)]
    assert [n for _, n in sessions.find_sessions("ann", 0, 5_000)] == [2]
    assert streams.close(30)
