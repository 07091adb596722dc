"""Word count end to end on Kafka 4.4 and Ray (issue 8), and on the embedded broker.

One app per test, each with its own application.id and topics; results are polled with a
deadline. A 3-partition input makes two sub-topologies (the split and the count) joined by
the repartition topic.
"""

from __future__ import annotations

import collections

import pytest
from confluent_kafka import Producer
from conftest import consume_all, key_value, wait_for

from raystreams import Serdes, StreamsBuilder
from raystreams.errors import MissingSourceTopicException, StreamsError
from raystreams.kafka.admin import StreamsAdmin
from raystreams.runtime.kafka_streams import State

pytestmark = pytest.mark.integration

STORE = "KSTREAM-AGGREGATE-STATE-STORE-0000000003"
LINES = [f"The quick brown fox {i % 7} jumps over the lazy dog {i % 11}, the end"
         for i in range(600)]


def truth(lines: list[str]) -> dict[str, int]:
    from wordcount import words

    return dict(collections.Counter(w for line in lines for w in words(line)))


def produce_lines(bootstrap: str, topic: str, lines: list[str], start: int = 0) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                         "linger.ms": 5})
    for i, line in enumerate(lines, start):
        producer.produce(topic, key=str(i).encode(), value=line.encode())
    producer.flush(30)


def latest_counts(bootstrap: str, topic: str, isolation: str = "read_uncommitted"):
    records = consume_all(bootstrap, topic, timeout=10, isolation=isolation)
    long = Serdes.Long()
    return ({m.key().decode(): long.deserialize(topic, m.value()) for m in records}, records)


def wait_counts(bootstrap: str, topic: str, expected: dict[str, int], isolation: str,
                timeout: float = 90.0) -> list:
    seen: dict = {}

    def done():
        counts, records = latest_counts(bootstrap, topic, isolation)
        seen["counts"], seen["records"] = counts, records
        return counts == expected

    try:
        wait_for(done, timeout, interval=0.3, what="final word counts")
    except TimeoutError:
        diff = {w: (seen.get("counts", {}).get(w), n) for w, n in expected.items()
                if seen.get("counts", {}).get(w) != n}
        raise AssertionError(f"counts (got, want) that differ: {diff}") from None
    return seen["records"]


def wordcount_app(topic_factory, bootstrap: str, app_id: str, **config):
    from wordcount import build_topology

    source = topic_factory(3, bootstrap=bootstrap, prefix="text")
    sink = topic_factory(3, bootstrap=bootstrap, prefix="counts")
    conf = {"application.id": app_id, "bootstrap.servers": bootstrap,
            "commit.interval.ms": 300, **config}
    return build_topology(source, sink), conf, source, sink


def test_wordcount_exactly_once(kafka_bootstrap, topic_factory, streams_factory, app_id):
    topology, config, source, sink = wordcount_app(
        topic_factory, kafka_bootstrap, app_id, **{"processing.guarantee": "exactly_once_v2"})
    produce_lines(kafka_bootstrap, source, LINES)
    streams = streams_factory(topology, config)
    streams.wait_until_running(60)
    assert sorted(streams.tasks()) == ["0_0", "0_1", "0_2", "1_0", "1_1", "1_2"]
    expected = truth(LINES)
    records = wait_counts(kafka_bootstrap, sink, expected, "read_committed")
    # exactly once: each word's count updates are 1, 2, ..., n at most once each
    per_word: dict[str, list[int]] = collections.defaultdict(list)
    for m in records:
        per_word[m.key().decode()].append(Serdes.Long().deserialize(sink, m.value()))
    for word, values in per_word.items():
        assert values == sorted(set(values)), (word, values)

    # internal topics as Kafka Streams makes them, read back from the broker
    admin = StreamsAdmin(bootstrap=kafka_bootstrap)
    changelog = f"{app_id}-{STORE}-changelog"
    repartition = f"{app_id}-{STORE}-repartition"
    assert admin.partition_counts([changelog, repartition]) == {changelog: 3, repartition: 3}
    assert admin.describe_configs(changelog)["cleanup.policy"] == "compact"
    assert admin.describe_configs(repartition)["cleanup.policy"] == "delete"
    assert admin.describe_configs(repartition)["retention.ms"] == "-1"

    # interactive queries: routed by murmur2 to the owning task; all() is paged from every task
    from raystreams.kafka.partitioner import default_partition
    from raystreams.query import KeyQuery, StateQueryRequest

    def served():
        return {tid: t["queries"] for tid, t in streams.metrics()["tasks"].items()}

    store = streams.store(key_value(STORE))
    before = served()
    for word in expected:
        assert store.get(word) == expected[word]
    after = served()
    owners = collections.Counter(f"1_{default_partition(w.encode(), 3)}" for w in expected)
    # one call per get, to the owner only: no fan-out and no status call per query
    assert {tid: after[tid]["calls"] - before[tid]["calls"] for tid in after} == {
        tid: owners.get(tid, 0) for tid in after}
    assert dict(store.all()) == expected
    assert [k for k, _ in store.all()] == sorted(expected, key=str.encode)  # merged in key order
    pages, cursor, seen = 0, None, []
    while True:  # a paged scan by hand, as the inspector reads it
        page = store.scan_page("all", cursor=cursor, limit=3)
        seen += [(e.key, e.value, e.task_id) for e in page.entries]
        pages, cursor = pages + 1, page.cursor
        if cursor is None:
            break
    assert {k: v for k, v, _ in seen} == expected and pages > 1
    assert all(tid == f"1_{default_partition(k.encode(), 3)}" for k, _, tid in seen)
    assert served()["1_0"]["pages"] - after["1_0"]["pages"] > 1  # each task answered in pages
    assert store.approximate_num_entries() >= len(expected)
    meta = streams.query_metadata_for_key(STORE, "fox")
    assert meta.task_id == f"1_{default_partition(b'fox', 3)}"
    assert meta.active_host.actor_name and meta.active_host.node_id
    result = streams.query(StateQueryRequest.in_store(STORE).with_query(KeyQuery.with_key("fox")))
    answer = result.get_only_partition_result()
    assert (answer.get_result(), answer.task_id, answer.stale) == (expected["fox"], meta.task_id,
                                                                   False)
    assert not answer.get_position().is_empty()
    hosting = streams.streams_metadata_for_store(STORE)
    assert sorted(m.host_info.task_id for m in hosting) == ["1_0", "1_1", "1_2"]
    assert len(streams.metadata_for_all_streams_clients()) == 6
    lags = streams.all_local_store_partition_lags()[STORE]
    assert sorted(lags) == [0, 1, 2] and all(lag.offset_lag == 0 for lag in lags.values())
    metrics = streams.metrics()
    assert metrics["records_consumed"] >= len(LINES)
    assert metrics["commits"] > 0
    # the repartition topic's commit markers are committed past, as Kafka Streams does, so a
    # fully processed app shows no lag (not one marker per partition)
    wait_for(lambda: streams.metrics()["total_lag"] == 0, 60, 0.5,
             "zero lag on every input partition")
    assert streams.state() is State.RUNNING
    assert streams.close(30)
    assert streams.state() is State.NOT_RUNNING


def test_wordcount_at_least_once(kafka_bootstrap, topic_factory, streams_factory, app_id):
    topology, config, source, sink = wordcount_app(topic_factory, kafka_bootstrap, app_id)
    streams = streams_factory(topology, config)
    produce_lines(kafka_bootstrap, source, LINES[:300])
    wait_counts(kafka_bootstrap, sink, truth(LINES[:300]), "read_uncommitted")
    produce_lines(kafka_bootstrap, source, LINES[300:], start=300)
    wait_counts(kafka_bootstrap, sink, truth(LINES), "read_uncommitted")
    assert all(t["restarts"] == 0 for t in streams.tasks().values())


@pytest.mark.embedded
def test_wordcount_at_least_once_embedded(embedded_bootstrap, topic_factory, streams_factory,
                                          app_id):
    topology, config, source, sink = wordcount_app(topic_factory, embedded_bootstrap, app_id)
    produce_lines(embedded_bootstrap, source, LINES)
    streams = streams_factory(topology, config)
    wait_counts(embedded_bootstrap, sink, truth(LINES), "read_uncommitted")
    assert dict(streams.store(key_value(STORE)).all()) == truth(LINES)


def test_missing_source_topic_is_a_clear_error(kafka_bootstrap, streams_factory, app_id):
    builder = StreamsBuilder()
    builder.stream(f"no-such-topic-{app_id}").to("anywhere")
    streams = streams_factory(builder.build(), {"application.id": app_id,
                                                "bootstrap.servers": kafka_bootstrap},
                              start=False)
    with pytest.raises(MissingSourceTopicException, match=f"no-such-topic-{app_id}") as info:
        streams.start()
    assert isinstance(info.value, StreamsError)
    assert streams.state() is State.ERROR
