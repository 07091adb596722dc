"""GlobalKTable, add_global_store and the GlobalStateTask through the TopologyTestDriver."""

from __future__ import annotations

import pytest

from raystreams import Consumed, Materialized, Serdes, StreamsBuilder
from raystreams.config import StreamsConfig
from raystreams.dsl.ktable import GlobalKTable
from raystreams.dsl.materialize import LocalTimestampedKVBuilder
from raystreams.engine.global_task import GlobalStateTask
from raystreams.engine.records import ConsumerRecord
from raystreams.errors import TopologyException
from raystreams.processor.api import Headers, Processor
from raystreams.state.types import ValueAndTimestamp
from raystreams.testing import TopologyTestDriver

S = Serdes.String()
CACHES = {"nocache": {"statestore.cache.max.bytes": 0}, "cache": {}}


@pytest.fixture(params=sorted(CACHES))
def config(request):
    return {"application.id": "global-test", **CACHES[request.param]}


def pipe(driver, topic, records):
    t = driver.create_input_topic(topic, S, S)
    for key, value, ts in records:
        t.pipe_input(key, value, ts)


def test_global_table_describe_matches_kafka():
    builder = StreamsBuilder()
    builder.stream("orders", Consumed.with_(S, S)).to("out")
    table = builder.global_table("addresses", Consumed.with_(S, S),
                                 Materialized.as_("addresses-global"))
    assert isinstance(table, GlobalKTable)
    assert table.store_name == table.queryable_store_name == "addresses-global"
    assert table.value_getter_supplier().store_names() == ["addresses-global"]
    topology = builder.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])\n"
        "      --> KSTREAM-SINK-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000001 (topic: out)\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n"
        "  Sub-topology: 1 for global store (will not generate tasks)\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [addresses])\n"
        "      --> KTABLE-SOURCE-0000000003\n"
        "    Processor: KTABLE-SOURCE-0000000003 (stores: [addresses-global])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000002\n")
    # a global store is restored from its source topic: no changelog
    assert not any(t.endswith("-changelog") for t in topology.internal_topics)
    assert topology.store_source_topics == {"addresses-global": "addresses"}


def test_global_table_without_materialized_gets_a_generated_queryable_name():
    builder = StreamsBuilder()
    table = builder.global_table("addresses")
    assert table.store_name == "addresses-STATE-STORE-0000000000"
    assert table.queryable_store_name == "addresses-STATE-STORE-0000000000"
    builder = StreamsBuilder()
    table = builder.global_table("addresses", Consumed.with_(S, S), Materialized.with_(S, S))
    assert table.queryable_store_name is None  # Kafka: queryable only by a user's name


def test_global_table_store_follows_its_topic(config):
    builder = StreamsBuilder()
    builder.global_table("addresses", Consumed.with_(S, S), Materialized.as_("addresses-global"))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "addresses", [("a1", "Main St", 1), ("a2", "High St", 2), (None, "x", 3),
                                   ("a1", None, 4), ("a3", "Low St", 5), ("a2", "Side St", 6)])
        store = driver.get_key_value_store("addresses-global")
        assert [(kv.key, kv.value) for kv in store.all()] == [("a2", "Side St"), ("a3", "Low St")]
        ts = driver.get_timestamped_key_value_store("addresses-global")
        assert ts.get("a2").timestamp == 6


def test_stream_processor_reads_a_global_store(config):
    builder = StreamsBuilder()
    builder.global_table("addresses", Consumed.with_(S, S), Materialized.as_("addresses-global"))
    seen = []

    class Lookup(Processor):
        def init(self, context):
            self.store = context.get_state_store("addresses-global")

        def process(self, record):
            vat = self.store.get(record.value)
            seen.append((record.key, None if vat is None else vat.value))

    builder.stream("orders", Consumed.with_(S, S)).process(Lookup)
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "addresses", [("a1", "Main St", 1)])
        pipe(driver, "orders", [("o1", "a1", 2), ("o2", "a9", 3)])
    assert seen == [("o1", "Main St"), ("o2", None)]


class Upper(Processor):
    """A global store update processor: keeps values upper-cased."""

    def init(self, context):
        self.store = context.get_state_store("upper")

    def process(self, record):
        value = None if record.value is None else record.value.upper()
        self.store.put(record.key, ValueAndTimestamp.make(value, record.timestamp))


def test_add_global_store_with_a_user_processor(config):
    builder = StreamsBuilder()
    store = LocalTimestampedKVBuilder("upper", S, S).with_logging_enabled()
    builder.add_global_store(store, "raw", Consumed.with_(S, S).with_name("raw-in"), Upper)
    topology = builder.build()
    assert not store.logging_enabled  # global stores are never changelogged
    text = str(topology.describe())
    assert "Source: raw-in-source (topics: [raw])" in text
    assert "Processor: raw-in (stores: [upper])" in text
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "raw", [("k", "abc", 1), ("j", "xy", 2), ("k", None, 3)])
        assert [(kv.key, kv.value) for kv in driver.get_key_value_store("upper").all()] == [
            ("j", "XY")]


def test_add_global_store_checks_arguments():
    builder = StreamsBuilder()
    with pytest.raises(TopologyException):
        builder.add_global_store(None, "raw", None, Upper)
    with pytest.raises(TopologyException):
        builder.add_global_store(LocalTimestampedKVBuilder("s", S, S), "raw", None, None)


def test_global_state_task_takes_every_partition(tmp_path):
    builder = StreamsBuilder()
    builder.global_table("addresses", Consumed.with_(S, S), Materialized.as_("g"))
    topology = builder.build()
    config = StreamsConfig({"application.id": "gtask", "state.dir": str(tmp_path)})

    class Collector:
        def send(self, *args):
            raise AssertionError("a global table sends nothing")

    task = GlobalStateTask(topology, config, Collector(), state_dir=str(tmp_path))
    task.initialize()
    assert task.topics == ["addresses"]
    for partition, (key, value) in enumerate([("a", "1"), ("b", "2"), ("a", "3")]):
        task.update(ConsumerRecord("addresses", partition, 0, partition + 10,
                                   S.serialize("addresses", key),
                                   S.serialize("addresses", value), Headers()))
    task.flush()
    store = task.stores["g"]
    assert [(kv.key, kv.value.value) for kv in store.all()] == [("a", "3"), ("b", "2")]
    task.close()


class _NoOutput:
    def send(self, *args):
        raise AssertionError("a global table sends nothing")


def _global_task(tmp_path, materialized):
    builder = StreamsBuilder()
    builder.global_table("addresses", Consumed.with_(S, S), materialized)
    config = StreamsConfig({"application.id": "gcheck", "state.dir": str(tmp_path)})
    task = GlobalStateTask(builder.build(), config, _NoOutput(), state_dir=str(tmp_path))
    task.initialize()
    return task


def _address(partition, offset, key, value):
    return ConsumerRecord("addresses", partition, offset, 10, S.serialize("addresses", key),
                          S.serialize("addresses", value), Headers())


def test_a_persistent_global_store_resumes_after_its_checkpoint(tmp_path):
    task = _global_task(tmp_path, Materialized.as_("g"))
    assert task.restart_offsets() == {}  # nothing checkpointed: from the beginning
    for record in [_address(0, 0, "a", "1"), _address(1, 0, "b", "2"), _address(0, 1, "a", "3")]:
        task.update(record)
    task.close()  # clean: flush and checkpoint
    again = _global_task(tmp_path, Materialized.as_("g"))
    try:
        assert again.restart_offsets() == {("addresses", 0): 2, ("addresses", 1): 1}
        assert again.stores["g"].get("a").value == "3"  # the state the offsets describe
    finally:
        again.close()


def test_an_in_memory_global_store_always_reads_from_the_beginning(tmp_path):
    from raystreams import Stores

    memory = Materialized.as_(Stores.in_memory_key_value_store("g"))
    task = _global_task(tmp_path, memory)
    task.update(_address(0, 0, "a", "1"))
    task.close()
    again = _global_task(tmp_path, memory)
    try:
        assert again.restart_offsets() == {}
    finally:
        again.close()
