"""KTable operators through the TopologyTestDriver (vectors from Kafka's KTableSourceTest,
KTableFilterTest, KTableMapValuesTest, KTableTransformValuesTest), with and without cache."""

from __future__ import annotations

import pytest

from raystreams import Consumed, Materialized, Named, Produced, Serdes, StreamsBuilder
from raystreams.dsl.ktable import KTable
from raystreams.errors import TopologyException
from raystreams.processor.api import Processor
from raystreams.processor.change import Change
from raystreams.testing import TopologyTestDriver

S, INT = Serdes.String(), Serdes.Integer()
CACHES = {"nocache": {"statestore.cache.max.bytes": 0}, "cache": {}}


@pytest.fixture(params=sorted(CACHES))
def config(request):
    return {"application.id": "ktable-test", **CACHES[request.param]}


class Capture(Processor):
    """Records (key, value, timestamp) of everything it receives (Kafka's MockApiProcessor)."""

    def __init__(self, sink: list) -> None:
        self.sink = sink

    def process(self, record) -> None:
        self.sink.append((record.key, record.value, record.timestamp))


def capture(topology, parent: str, name: str) -> list:
    seen: list = []
    topology.add_processor(name, lambda: Capture(seen), parent)
    return seen


def pipe(driver, topic, records, key_serde=S, value_serde=INT):
    t = driver.create_input_topic(topic, key_serde, value_serde)
    for key, value, ts in records:
        t.pipe_input(key, value, ts)


# ------------------------------------------------------------------------------ source

def test_table_source_forwards_updates_and_deletes(config):
    builder = StreamsBuilder()
    table = builder.table("topic1", Consumed.with_(S, INT))
    table.to_stream().to("out", Produced.with_(S, INT))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [("A", 1, 10), ("B", 2, 11), ("C", 3, 12), ("D", 4, 13),
                                ("A", None, 14), ("B", None, 15)])
        out = driver.create_output_topic("out", S, INT)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("A", 1, 10), ("B", 2, 11), ("C", 3, 12), ("D", 4, 13), ("A", None, 14),
            ("B", None, 15)]


def test_table_source_skips_null_keys_and_counts_them(config):
    builder = StreamsBuilder()
    builder.table("topic1", Consumed.with_(S, S)).to_stream().to("out", Produced.with_(S, S))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [(None, "x", 1), ("a", "y", 2)], S, S)
        assert driver.create_output_topic("out", S, S).read_key_values_to_list() == [("a", "y")]
        assert driver.task.metrics.records_dropped == 1


def _source_changes(config, send_old: bool) -> list:
    builder = StreamsBuilder()
    table = builder.table("topic1", Consumed.with_(S, S))
    if send_old:
        assert table.enable_send_old_values(True)
    topology = builder.build()
    seen = capture(topology, table.name, "proc1")
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic1", [("A", "01", 10), ("B", "01", 20), ("C", "01", 15), ("A", "02", 8),
                                ("B", "02", 22), ("A", "03", 12), ("A", None, 15),
                                ("B", None, 20)], S, S)
    return seen


def test_table_source_not_sending_old_values(config):
    assert _source_changes(config, False) == [
        ("A", Change("01"), 10), ("B", Change("01"), 20), ("C", Change("01"), 15),
        ("A", Change("02"), 8), ("B", Change("02"), 22), ("A", Change("03"), 12),
        ("A", Change(None), 15), ("B", Change(None), 20)]


def test_table_source_sending_old_values(config):
    assert _source_changes(config, True) == [
        ("A", Change("01"), 10), ("B", Change("01"), 20), ("C", Change("01"), 15),
        ("A", Change("02", "01"), 8), ("B", Change("02", "01"), 22),
        ("A", Change("03", "02"), 12), ("A", Change(None, "03"), 15),
        ("B", Change(None, "02"), 20)]


def test_table_source_store_is_timestamped_and_queryable(config):
    builder = StreamsBuilder()
    table = builder.table("topic1", Consumed.with_(S, S), Materialized.as_("store"))
    assert table.queryable_store_name == "store"
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [("A", "1", 10), ("B", "2", 5), ("A", None, 12), ("C", "3", 7)],
             S, S)
        ts_store = driver.get_timestamped_key_value_store("store")
        assert [(kv.key, kv.value.value, kv.value.timestamp) for kv in ts_store.all()] == [
            ("B", "2", 5), ("C", "3", 7)]
        assert driver.get_key_value_store("store").get("C") == "3"
        assert driver.get_key_value_store("store").get("A") is None


def test_table_without_materialized_has_no_store_until_needed():
    builder = StreamsBuilder()
    table = builder.table("topic1", Consumed.with_(S, S))
    assert table.queryable_store_name is None
    table.to_stream().to("out")
    assert "Processor: KTABLE-SOURCE-0000000002 (stores: [])" in str(builder.build().describe())

    builder = StreamsBuilder()
    table = builder.table("topic1", Consumed.with_(S, S))
    table.value_getter_supplier()  # a join would do this: forces the store
    topology = builder.build()
    assert list(topology.stores) == ["topic1-STATE-STORE-0000000000"]
    assert "topic1-STATE-STORE-0000000000-changelog" in topology.internal_topics
    assert topology.internal_topics["topic1-STATE-STORE-0000000000-changelog"].configs == {
        "cleanup.policy": "compact"}


def test_table_source_describe_and_names():
    builder = StreamsBuilder()
    builder.table("topic1", Consumed.with_(S, S).with_name("my-table"), Materialized.as_("s1")) \
        .to_stream().to("out")
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: my-table-source (topics: [topic1])\n"
        "      --> my-table\n"
        "    Processor: my-table (stores: [s1])\n"
        "      --> KTABLE-TOSTREAM-0000000002\n"
        "      <-- my-table-source\n"
        "    Processor: KTABLE-TOSTREAM-0000000002 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000003\n"
        "      <-- my-table\n"
        "    Sink: KSTREAM-SINK-0000000003 (topic: out)\n"
        "      <-- KTABLE-TOSTREAM-0000000002\n\n")


def test_table_topic_cannot_be_registered_twice():
    builder = StreamsBuilder()
    builder.stream("t")
    with pytest.raises(TopologyException, match="already been registered"):
        builder.table("t")


# ------------------------------------------------------------------------------ filter

def _even(key, value):
    return value % 2 == 0


def _filter_outputs(config, materialize: bool) -> tuple[list, list]:
    builder = StreamsBuilder()
    table = builder.table("topic1", Consumed.with_(S, INT))
    if materialize:
        t2 = table.filter(_even, materialized=Materialized.as_("anyStoreNameFilter"))
        t3 = table.filter_not(_even)
        assert t2.queryable_store_name == "anyStoreNameFilter"
    else:
        t2, t3 = table.filter(_even), table.filter_not(_even)
        assert t2.queryable_store_name is None and t3.queryable_store_name is None
    out2: list = []
    out3: list = []
    t2.to_stream().process(lambda: Capture(out2))
    t3.to_stream().process(lambda: Capture(out3))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [("A", 1, 10), ("B", 2, 5), ("C", 3, 8), ("D", 4, 14),
                                ("A", None, 18), ("B", None, 15)])
    return out2, out3


@pytest.mark.parametrize("materialize", [False, True])
def test_filter_and_filter_not_emit_tombstones_for_rejected_rows(config, materialize):
    out2, out3 = _filter_outputs(config, materialize)
    if materialize and config.get("statestore.cache.max.bytes") != 0:
        # a cached store drops deletes of keys it never held (Kafka's caching store)
        assert out2 == [("B", 2, 5), ("D", 4, 14), ("B", None, 15)]
    else:
        assert out2 == [("A", None, 10), ("B", 2, 5), ("C", None, 8), ("D", 4, 14),
                        ("A", None, 18), ("B", None, 15)]
    assert out3 == [("A", 1, 10), ("B", None, 5), ("C", 3, 8), ("D", None, 14),
                    ("A", None, 18), ("B", None, 15)]


def test_filter_sends_old_values_when_enabled_upstream_materialized(config):
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, INT), Materialized.as_("store2"))
    t2 = t1.filter(_even)
    assert t2.enable_send_old_values(False)
    topology = builder.build()
    out1 = capture(topology, t1.name, "proc1")
    out2 = capture(topology, t2.name, "proc2")
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic1", [("A", 1, 5), ("B", 1, 10), ("C", 1, 15)])
        assert out1 == [("A", Change(1), 5), ("B", Change(1), 10), ("C", Change(1), 15)]
        assert out2 == []
        out1.clear()
        pipe(driver, "topic1", [("A", 2, 15), ("B", 2, 8)])
        assert out1 == [("A", Change(2, 1), 15), ("B", Change(2, 1), 8)]
        assert out2 == [("A", Change(2, None), 15), ("B", Change(2, None), 8)]
        out1.clear()
        out2.clear()
        pipe(driver, "topic1", [("A", 3, 20)])
        assert out1 == [("A", Change(3, 2), 20)]
        assert out2 == [("A", Change(None, 2), 20)]
        out1.clear()
        out2.clear()
        pipe(driver, "topic1", [("A", None, 10), ("B", None, 20)])
        assert out1 == [("A", Change(None, 3), 10), ("B", Change(None, 2), 20)]
        assert out2 == [("B", Change(None, 2), 20)]


def test_filter_cannot_send_old_values_unless_forced():
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, INT))
    t2 = t1.filter(_even)
    assert not t2.enable_send_old_values(False)
    assert t2.enable_send_old_values(True)
    assert t1.processor_supplier.materialized


def test_filter_before_group_by_skips_rejected_rows_entirely(config):
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, S))
    t2 = t1.filter(lambda k, v: v.lower() == "accept")
    t2.group_by(lambda k, v: (k, v)).reduce(lambda a, b: a + b, lambda a, b: a)
    topology = builder.build()
    out1 = capture(topology, t1.name, "proc1")
    out2 = capture(topology, t2.name, "proc2")
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic1", [("A", "reject", 5), ("B", "reject", 10), ("C", "reject", 20)], S, S)
    assert out1 == [("A", Change("reject"), 5), ("B", Change("reject"), 10),
                    ("C", Change("reject"), 20)]
    assert out2 == []


def test_filter_value_getter_through_parent(config):
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, INT))
    t2 = t1.filter(_even)
    getter_supplier = t2.value_getter_supplier()
    assert getter_supplier.store_names() == ["topic1-STATE-STORE-0000000000"]
    topology = builder.build()
    seen: list = []

    class Reader(Processor):
        def init(self, context):
            self.getter = getter_supplier.get()
            self.getter.init(context)

        def process(self, record):
            vat = self.getter.get(record.key)
            seen.append((record.key, None if vat is None else (vat.value, vat.timestamp)))

    topology.add_processor("reader", Reader, t1.name)
    topology.connect_processor_and_state_stores("reader", *getter_supplier.store_names())
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic1", [("A", 2, 3), ("B", 1, 4), ("A", 3, 5)])
    assert seen == [("A", (2, 3)), ("B", None), ("A", None)]


def test_filter_with_nameless_materialized_burns_a_store_index():
    builder = StreamsBuilder()
    t = builder.table("topic1", Consumed.with_(S, INT)).filter(_even, materialized=Materialized.with_(S, INT))
    assert t.name == "KTABLE-FILTER-0000000004"
    assert t.queryable_store_name is None


# ------------------------------------------------------------------------------ map_values

def test_map_values_queryable_and_not(config):
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, S))
    t2 = t1.map_values(int, materialized=Materialized.as_("anyName").with_value_serde(INT))
    t3 = t1.map_values(lambda k, v: k + v, Named("named-map"), with_key=True)
    t2.to_stream().to("out2", Produced.with_(S, INT))
    t3.to_stream().to("out3", Produced.with_(S, S))
    assert t2.queryable_store_name == "anyName" and t3.queryable_store_name is None
    assert t3.name == "named-map"
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [("A", "1", 5), ("B", "2", 25), ("C", "3", 20), ("D", "4", 10),
                                ("A", None, 30)], S, S)
        assert [(r.key, r.value, r.timestamp) for r in
                driver.create_output_topic("out2", S, INT).read_records_to_list()] == [
            ("A", 1, 5), ("B", 2, 25), ("C", 3, 20), ("D", 4, 10), ("A", None, 30)]
        assert driver.create_output_topic("out3", S, S).read_values_to_list() == [
            "A1", "B2", "C3", "D4", None]
        assert driver.get_key_value_store("anyName").get("B") == 2
        assert driver.get_key_value_store("anyName").get("A") is None


def test_map_values_enables_old_values_on_parent_only_when_not_materialized():
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, S))
    t2 = t1.map_values(int)
    assert t2.enable_send_old_values(True)
    assert t1.processor_supplier.send_old_values

    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, S))
    t2 = t1.map_values(int, materialized=Materialized.as_("bob"))
    assert t2.enable_send_old_values(True)
    assert not t1.processor_supplier.send_old_values


def test_map_values_not_sending_old_values(config):
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, S))
    t2 = t1.map_values(int)
    topology = builder.build()
    out1 = capture(topology, t1.name, "proc1")
    out2 = capture(topology, t2.name, "proc2")
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic1", [("A", "01", 5), ("B", "01", 10), ("C", "01", 15), ("A", "02", 10),
                                ("B", "02", 8), ("A", None, 20)], S, S)
    assert out1 == [("A", Change("01"), 5), ("B", Change("01"), 10), ("C", Change("01"), 15),
                    ("A", Change("02"), 10), ("B", Change("02"), 8), ("A", Change(None), 20)]
    assert out2 == [("A", Change(1), 5), ("B", Change(1), 10), ("C", Change(1), 15),
                    ("A", Change(2), 10), ("B", Change(2), 8), ("A", Change(None), 20)]


def test_map_values_sending_old_values(config):
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, S))
    t2 = t1.map_values(int)
    assert t2.enable_send_old_values(True)
    topology = builder.build()
    out2 = capture(topology, t2.name, "proc2")
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic1", [("A", "01", 5), ("A", "02", 10), ("A", None, 20)], S, S)
    assert out2 == [("A", Change(1), 5), ("A", Change(2, 1), 10), ("A", Change(None, 2), 20)]


# ------------------------------------------------------------------------------ transform_values

class Doubler:
    def init(self, context):
        self.context = context

    def transform(self, key, value):
        return None if value is None else value * 2

    def close(self):
        pass


def test_transform_values_materialized_and_with_a_function(config):
    builder = StreamsBuilder()
    t1 = builder.table("topic1", Consumed.with_(S, INT))
    t2 = t1.transform_values(Doubler, materialized=Materialized.as_("doubled").with_value_serde(INT))
    t3 = t1.transform_values(lambda: (lambda k, v: f"{k}:{v}"))
    t2.to_stream().to("out2", Produced.with_(S, INT))
    t3.to_stream().to("out3", Produced.with_(S, S))
    assert t2.name == "KTABLE-TRANSFORMVALUES-0000000003"
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "topic1", [("A", 1, 5), ("B", 2, 6), ("A", None, 7)])
        assert driver.create_output_topic("out2", S, INT).read_key_values_to_list() == [
            ("A", 2), ("B", 4), ("A", None)]
        # the transformer sees deletes too, as Kafka's does
        assert driver.create_output_topic("out3", S, S).read_values_to_list() == [
            "A:1", "B:2", "A:None"]
        assert driver.get_key_value_store("doubled").get("B") == 4


def test_transform_values_forward_is_refused():
    class Forwarding:
        def init(self, context):
            self.context = context

        def transform(self, key, value):
            self.context.forward(None)

        def close(self):
            pass

    builder = StreamsBuilder()
    builder.table("t", Consumed.with_(S, S)).transform_values(Forwarding).to_stream().to("o")
    with TopologyTestDriver(builder.build()) as driver, pytest.raises(Exception, match="forward"):
        pipe(driver, "t", [("a", "b", 1)], S, S)


# ------------------------------------------------------------------------------ to_stream

def test_to_stream_with_key_mapper_and_name(config):
    builder = StreamsBuilder()
    table = builder.table("topic1", Consumed.with_(S, S))
    table.to_stream(lambda k, v: f"{k}-{v}", Named("ts")).to("out", Produced.with_(S, S))
    topology = builder.build()
    assert "Processor: ts (stores: [])" in str(topology.describe())
    with TopologyTestDriver(topology, config) as driver:
        pipe(driver, "topic1", [("a", "1", 3)], S, S)
        assert driver.create_output_topic("out", S, S).read_key_values_to_list() == [("a-1", "1")]


def test_ktable_repr_and_type():
    builder = StreamsBuilder()
    table = builder.table("t", materialized=Materialized.as_("x"))
    assert isinstance(table, KTable)
    assert "x" in repr(table)


def test_optimization_all_reuses_the_source_topic_as_changelog():
    builder = StreamsBuilder({"topology.optimization": "all"})
    builder.table("topic1", Consumed.with_(S, S), Materialized.as_("st")).to_stream().to("o")
    topology = builder.build()
    assert topology.store_source_topics == {"st": "topic1"}
    assert "st-changelog" not in topology.internal_topics
    assert not topology.stores["st"].builder.logging_enabled

    builder = StreamsBuilder()
    builder.table("topic1", Consumed.with_(S, S), Materialized.as_("st")).to_stream().to("o")
    topology = builder.build()
    assert topology.store_source_topics == {}
    assert topology.internal_topics["st-changelog"].kind == "changelog"


def test_materialized_caching_and_logging_switches():
    builder = StreamsBuilder()
    t = builder.table("topic1", Consumed.with_(S, INT))
    t.filter(_even, materialized=Materialized.as_("uncached").with_caching_disabled()
             .with_logging_disabled()).to_stream().to("out", Produced.with_(S, INT))
    topology = builder.build()
    assert "uncached-changelog" not in topology.internal_topics
    with TopologyTestDriver(topology, {"application.id": "switches"}) as driver:
        pipe(driver, "topic1", [("A", 1, 10), ("B", 2, 5)])
        # without its cache the store forwards the delete of a key it never held
        assert driver.create_output_topic("out", S, INT).read_key_values_to_list() == [
            ("A", None), ("B", 2)]
        assert not any(t.endswith("uncached-changelog") for t in driver.produced_topic_names())


def test_changelog_records_are_kafkas_timestamped_layout(config):
    builder = StreamsBuilder()
    builder.table("topic1", Consumed.with_(S, S), Materialized.as_("st"))
    with TopologyTestDriver(builder.build(), {**config, "application.id": "cl"}) as driver:
        pipe(driver, "topic1", [("a", "x", 7), ("a", None, 9)], S, S)
        records = list(driver._outputs["cl-st-changelog"])
    assert [(r.key, r.value, r.timestamp) for r in records] == [(b"a", b"x", 7), (b"a", None, 9)]


def test_local_store_restores_from_its_changelog():
    from raystreams.dsl.materialize import LocalTimestampedKVBuilder
    from raystreams.state.context import StoreContext

    store = LocalTimestampedKVBuilder("st", S, S).build()
    context = StoreContext("app", "0_0", 0, "/tmp/unused")
    store.init(context, store)
    context.restore_callbacks["st"]([(b"a", b"x", 7), (b"b", b"y", 8), (b"a", None, 9)])
    assert [(kv.key, kv.value) for kv in store.all()] == [("b", ("y", 8))]


def test_materialized_with_a_store_supplier_uses_it(config):
    from raystreams import Stores

    builder = StreamsBuilder()
    table = builder.table("t", Consumed.with_(S, S),
                          Materialized.as_(Stores.in_memory_key_value_store("mem")))
    assert table.queryable_store_name == "mem"
    table.to_stream().to("o", Produced.with_(S, S))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "t", [("a", "1", 5), ("a", "2", 6)], S, S)
        assert driver.create_output_topic("o", S, S).read_values_to_list() == ["1", "2"]
        assert driver.get_timestamped_key_value_store("mem").get("a") == ("2", 6)


@pytest.mark.parametrize("state_package", [True, False])
def test_stand_in_store_and_state_package_stores_agree(config, monkeypatch, state_package):
    from raystreams.dsl import materialize

    monkeypatch.setattr(materialize, "PREFER_STATE_PACKAGE", state_package)
    builder = StreamsBuilder()
    (builder.table("t", Consumed.with_(S, S), Materialized.as_("src"))
     .filter(lambda k, v: len(v) % 2 == 0)
     .map_values(str.upper, materialized=Materialized.as_("up"))
     .to_stream().to("o", Produced.with_(S, S)))
    with TopologyTestDriver(builder.build(), config) as driver:
        pipe(driver, "t", [("a", "xx", 1), ("a", "xxx", 2), ("b", None, 3), ("c", "cc", 4),
                           ("d", "ddd", 5), ("c", None, 6)], S, S)
        out = [(r.key, r.value, r.timestamp) for r in
               driver.create_output_topic("o", S, S).read_records_to_list()]
        rows = [(kv.key, kv.value) for kv in driver.get_key_value_store("src").all()]
    # the filter gets old values from its materialized parent, so rows that pass neither
    # before nor after (b, d) are not forwarded at all
    assert out == [("a", "XX", 1), ("a", None, 2), ("c", "CC", 4), ("c", None, 6)]
    assert rows == [("a", "xxx"), ("d", "ddd")]


def test_build_config_optimization_reuses_the_source_topic_as_changelog():
    from raystreams import Materialized, StreamsBuilder

    def topology(**kwargs):
        b = StreamsBuilder(**kwargs.pop("ctor", {}))
        b.table("source", materialized=Materialized.as_("tbl"))
        return b.build(**kwargs)

    assert "tbl-changelog" in topology().internal_topics
    optimized = topology(config={"topology.optimization": "all"})
    assert "tbl-changelog" not in optimized.internal_topics
    assert optimized.store_source_topics["tbl"] == "source"
    via_ctor = topology(ctor={"config": {"topology.optimization": "all"}})
    assert via_ctor.store_source_topics["tbl"] == "source"


def test_optimized_source_table_restores_from_its_source_topic():
    from raystreams import Materialized, StreamsBuilder, StreamsConfig
    from raystreams.engine.task import StreamTask
    from raystreams.state.manager import TaskStateManager

    b = StreamsBuilder()
    b.table("source", materialized=Materialized.as_("tbl"))
    topology = b.build({"topology.optimization": "all"})

    class Collector:
        def send(self, *a): pass
        def partitions_for(self, topic): return 1
        def flush(self): pass

    task = StreamTask("0_0", topology, StreamsConfig({"application.id": "opt"}), Collector(),
                      state_manager_factory=TaskStateManager.for_task)
    task.initialize()
    try:
        assert list(task.state_manager.changelog_partitions()) == [("source", 0)]
    finally:
        task.close()
