"""Restore on Kafka 4.4 and Ray: a restarted app resumes from its committed offsets and its
local checkpoint (after a clean stop nothing is replayed, after an unclean one only the
changelog tail, on a fresh state dir everything); a changelog with transactions restores only
committed data and finishes.
"""

from __future__ import annotations

import collections

import pytest
from confluent_kafka import Producer
from conftest import consume_all, create_topic, key_value, wait_for
from test_runtime_failures import count_topology, final, output, produce, words

from raystreams import Serdes, Stores, Topology
from raystreams.config import EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION

pytestmark = pytest.mark.integration


def test_restart_resumes_from_committed_offsets_and_local_checkpoint(
        kafka_bootstrap, topic_factory, streams_factory, app_id, tmp_path, ray_session):
    source, sink = topic_factory(3, prefix="words"), topic_factory(3, prefix="counts")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 300}
    part1, part2 = words(240), words(120, 5)
    first = streams_factory(count_topology(source, sink), config)
    produce(kafka_bootstrap, source, part1)
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_uncommitted"))
             == dict(collections.Counter(part1)), 60, 0.3, "part 1 counted")
    committed = {tid: t["committed_offsets"] for tid, t in first.metrics()["tasks"].items()}
    assert first.close(30)  # clean: commit, checkpoint
    changelog_after_first = consume_all(kafka_bootstrap, f"{app_id}-counts-changelog",
                                        timeout=10)

    # same state dir: the checkpoint covers the whole changelog, nothing is replayed
    second = streams_factory(count_topology(source, sink), config)
    second.wait_until_running(60)
    handles = second.task_handles()
    tasks = second.metrics()["tasks"]
    for tid, snap in tasks.items():
        assert snap["records_to_restore"] == 0, (tid, snap["restored_from"])
        assert snap["records_restored"] == 0
        assert snap["committed_offsets"] == committed[tid]  # resumed where the first stopped
    produce(kafka_bootstrap, source, part2)
    everything = dict(collections.Counter(part1 + part2))
    wait_for(lambda: final(output(kafka_bootstrap, sink, "read_uncommitted")) == everything,
             60, 0.3, "all counted after the restart")
    assert dict(second.store(key_value("counts")).all()) == everything
    # wait for the commit of everything, then stop uncleanly: no close, no new checkpoint
    wait_for(lambda: all(t["lag"] and not any(t["lag"].values())
                         and t["committed_offsets"] == t["end_offsets"]
                         for t in second.metrics()["tasks"].values()), 30, 0.2, "all committed")
    changelog_topic = f"{app_id}-counts-changelog"
    changelog = consume_all(kafka_bootstrap, changelog_topic, timeout=10)
    ray_session.kill(second.supervisor, no_restart=True)
    for handle in handles.values():
        ray_session.kill(handle)
    second.close(10)

    # same state dir again: only the changelog tail written after the checkpoint is replayed
    third = streams_factory(count_topology(source, sink), config)
    third.wait_until_running(60)
    restored = sum(s["records_restored"] for s in third.metrics()["tasks"].values())
    assert restored == len(changelog) - len(changelog_after_first)
    assert 0 < restored < len(changelog)
    assert dict(third.store(key_value("counts")).all()) == everything
    third.close(30)

    # a fresh state dir (another node, say): the whole changelog is restored
    fourth = streams_factory(count_topology(source, sink),
                             {**config, "state.dir": str(tmp_path / "elsewhere")})
    fourth.wait_until_running(60)
    restored = sum(s["records_restored"] for s in fourth.metrics()["tasks"].values())
    assert restored == len(consume_all(kafka_bootstrap, changelog_topic, timeout=10))
    assert dict(fourth.store(key_value("counts")).all()) == everything


class PutProcessor:
    """Writes every input record into the store ``kv``."""

    def init(self, context) -> None:
        self.store = context.get_state_store("kv")

    def process(self, record) -> None:
        self.store.put(record.key, record.value)

    def close(self) -> None:
        pass


def kv_topology(source: str) -> Topology:
    builder = Stores.key_value_store_builder(Stores.persistent_key_value_store("kv"),
                                             Serdes.String(), Serdes.String())
    return (Topology()
            .add_source("source", source)
            .add_processor("put", PutProcessor, "source")
            .add_state_store(builder, "put"))


def test_restore_reads_only_committed_data_and_finishes(kafka_bootstrap, topic_factory,
                                                        admin_factory, streams_factory, app_id):
    source = topic_factory(1, prefix="kv-input")
    changelog = f"{app_id}-kv-changelog"
    create_topic(admin_factory(kafka_bootstrap), changelog, 1,
                 config={"cleanup.policy": "compact"})
    writer = Producer({"bootstrap.servers": kafka_bootstrap,
                       "transactional.id": f"{app_id}-writer"})
    writer.init_transactions(30)

    def txn(pairs: dict[str, str], commit: bool) -> None:
        writer.begin_transaction()
        for k, v in pairs.items():
            writer.produce(changelog, key=k.encode(), value=v.encode(), partition=0)
        writer.flush(30)
        (writer.commit_transaction if commit else writer.abort_transaction)(30)

    txn({"a": "1", "b": "1"}, commit=True)
    txn({"a": "99", "c": "99"}, commit=False)  # aborted inside the changelog
    txn({"b": "2"}, commit=True)  # the log ends with a commit marker
    open_txn = Producer({"bootstrap.servers": kafka_bootstrap,
                         "transactional.id": f"{app_id}-open"})
    open_txn.init_transactions(30)
    open_txn.begin_transaction()
    open_txn.produce(changelog, key=b"d", value=b"open", partition=0)
    open_txn.flush(30)  # an open transaction at the end: the LSO stays before it

    streams = streams_factory(kv_topology(source), {"application.id": app_id,
                                                    "bootstrap.servers": kafka_bootstrap})
    streams.wait_until_running(60)  # restore finished, although markers follow the data
    snap = streams.metrics()["tasks"]["0_0"]
    assert snap["records_restored"] == 3  # a=1, b=1, b=2: nothing aborted, nothing open
    store = streams.store(key_value("kv"))
    assert (store.get("a"), store.get("b"), store.get("c"), store.get("d")) == ("1", "2", None,
                                                                                None)
    assert dict(store.all()) == {"a": "1", "b": "2"}
    open_txn.abort_transaction(30)


def test_emit_on_window_close_remembers_its_last_emit_across_a_restart(
        kafka_bootstrap, topic_factory, streams_factory, app_id):
    """The close time of the last emit is committed with the offsets (Kafka's processor
    metadata), so a restarted app does not emit a closed window a second time; the window
    is still in the store (an hour's retention), so only that memory prevents it."""
    from datetime import timedelta

    from raystreams import EmitStrategy, Materialized, Produced, StreamsBuilder, TimeWindows

    source, sink = topic_factory(1, prefix="clicks"), topic_factory(1, prefix="final-counts")

    def topology():
        builder = StreamsBuilder()
        (builder.stream(source).group_by_key()
            .windowed_by(TimeWindows.of_size_with_no_grace(timedelta(seconds=10)))
            .emit_strategy(EmitStrategy.on_window_close())
            .count(Materialized.as_("final-counts").with_retention(timedelta(hours=1)))
            .to_stream(lambda wk, count: f"{wk.key}@{wk.window.start}")
            .to(sink, Produced.with_(Serdes.String(), Serdes.Long())))
        return builder.build()

    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 200,
              EMIT_INTERVAL_MS_KSTREAMS_WINDOWED_AGGREGATION: 0}

    def send(records):
        producer = Producer({"bootstrap.servers": kafka_bootstrap})
        for key, ts in records:
            producer.produce(source, key=key.encode(), value=b"x", timestamp=ts)
        producer.flush(30)

    long = Serdes.Long()

    def emitted():
        return [(m.key().decode(), long.deserialize(sink, m.value()))
                for m in consume_all(kafka_bootstrap, sink, timeout=5)]

    first = streams_factory(topology(), config)
    first.wait_until_running(60)
    send([("a", 1_000), ("a", 2_000), ("b", 15_000)])  # b closes window [0, 10 s)
    wait_for(lambda: emitted() == [("a@0", 2)], 60, 0.3, "window [0, 10 s) emitted")
    wait_for(lambda: first.metrics()["total_lag"] == 0, 60, 0.3, "offsets committed")
    assert first.close(30)

    second = streams_factory(topology(), config)
    second.wait_until_running(60)
    send([("c", 26_000)])  # closes [10 s, 20 s): only b's window is new
    wait_for(lambda: len(emitted()) >= 2, 60, 0.3, "window [10 s, 20 s) emitted")
    assert emitted() == [("a@0", 2), ("b@10000", 1)]
    assert second.close(30)
