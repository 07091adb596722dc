"""Foreign-key KTable joins: forwarding on key, foreign-key and value changes, deletes, nulls.

Expected outputs are Kafka Streams 4.4's for the same input (checked with the oracle's
``fk_inner``/``fk_left`` scenarios in tests/oracle/test_twins_joins.py).
"""

from __future__ import annotations

import json

import pytest

from raystreams import Serdes, StreamsBuilder
from raystreams.dsl.params import Consumed, Materialized, Produced
from raystreams.dsl.table_joined import TableJoined
from raystreams.errors import TopologyException
from raystreams.processor import fk_join as fk
from raystreams.processor import fk_join_wrappers as fkw
from raystreams.testing import TopologyTestDriver

S = Serdes.String()
J = Serdes.JSON()


def product_of(order):
    return None if not isinstance(order, dict) or order.get("product") is None \
        else str(order["product"])


def joiner(order, product):
    text = "null" if order is None else json.dumps(order, separators=(",", ":"))
    return f"{text}+{'null' if product is None else product}"


def build(left_join: bool, table_joined=None, materialized=None):
    builder = StreamsBuilder()
    orders = builder.table("orders", Consumed.with_(S, J), Materialized.as_("orders-store"))
    products = builder.table("products", Consumed.with_(S, S), Materialized.as_("products-store"))
    method = orders.left_join if left_join else orders.join
    result = method(products, product_of, joiner, table_joined, materialized)
    result.to_stream().to("out", Produced.with_(S, S))
    return builder, result


STEPS = [
    ("orders", "o1", '{"product":"p1","qty":2}', 10),
    ("products", "p1", "Phone", 20),
    ("products", "p1", "Tablet", 30),
    ("orders", "o2", '{"product":"p1","qty":1}', 40),
    ("orders", "o1", '{"product":"p2","qty":2}', 50),
    ("orders", "o3", '{"qty":5}', 60),
    ("orders", "o1", '{"product":"p2","qty":3}', 70),
    ("products", "p2", "Watch", 80),
    ("orders", "o4", '{"product":7}', 90),
    ("products", "7", "Seven", 100),
    ("products", "p2", None, 110),
    ("orders", "o1", None, 120),
    ("orders", "o2", '{"product":null}', 130),
    ("orders", None, '{"product":"p1"}', 140),
    ("products", None, "x", 150),
    ("orders", "o3", None, 160),
    ("products", "p1", "Laptop", 5),
]

INNER = [(1, "o1", '{"product":"p1","qty":2}+Phone', 20),
         (2, "o1", '{"product":"p1","qty":2}+Tablet', 30),
         (3, "o2", '{"product":"p1","qty":1}+Tablet', 40),
         (4, "o1", None, 50),
         (7, "o1", '{"product":"p2","qty":3}+Watch', 80),
         (9, "o4", '{"product":7}+Seven', 100),
         (10, "o1", None, 110), (11, "o1", None, 120), (12, "o2", None, 130)]
LEFT = [(0, "o1", '{"product":"p1","qty":2}+null', 10),
        (1, "o1", '{"product":"p1","qty":2}+Phone', 20),
        (2, "o1", '{"product":"p1","qty":2}+Tablet', 30),
        (3, "o2", '{"product":"p1","qty":1}+Tablet', 40),
        (4, "o1", '{"product":"p2","qty":2}+null', 50),
        (5, "o3", '{"qty":5}+null', 60),
        (6, "o1", '{"product":"p2","qty":3}+null', 70),
        (7, "o1", '{"product":"p2","qty":3}+Watch', 80),
        (8, "o4", '{"product":7}+null', 90),
        (9, "o4", '{"product":7}+Seven', 100),
        (10, "o1", '{"product":"p2","qty":3}+null', 110),
        (11, "o1", None, 120),
        (12, "o2", '{"product":null}+null', 130),
        (15, "o3", None, 160)]


def run(builder, steps, config=None, store=None):
    out = []
    with TopologyTestDriver(builder.build(), {"application.id": "fk", **(config or {})}) as d:
        output = d.create_output_topic("out", S, S)
        for i, (topic, key, value, ts) in enumerate(steps):
            d.pipe_raw(topic, None if key is None else key.encode(),
                       None if value is None else value.encode(), ts)
            out.extend((i, r.key, r.value, r.timestamp) for r in output.read_records_to_list())
        contents = None
        if store is not None:
            contents = [(kv[0], kv[1]) for kv in d.get_key_value_store(store).all()]
    return out, contents


@pytest.mark.parametrize("config", [{"statestore.cache.max.bytes": 0}, {}])
@pytest.mark.parametrize("left_join", [False, True])
def test_forwarding_semantics(left_join, config):
    builder, _ = build(left_join)
    assert run(builder, STEPS, config)[0] == (LEFT if left_join else INNER)


def test_materialized_result():
    builder, result = build(False, materialized=Materialized.as_("joined"))
    assert result.queryable_store_name == "joined"
    _, contents = run(builder, STEPS[:4], store="joined")
    assert contents == [("o1", '{"product":"p1","qty":2}+Tablet'),
                        ("o2", '{"product":"p1","qty":1}+Tablet')]


def test_foreign_key_change_unsubscribes_the_old_key():
    # after o1 moves from p1 to p2, updates of p1 no longer reach it
    builder, _ = build(True)
    steps = [("products", "p1", "Phone", 1), ("products", "p2", "Watch", 2),
             ("orders", "o1", '{"product":"p1"}', 3), ("orders", "o1", '{"product":"p2"}', 4),
             ("products", "p1", "Tablet", 5)]
    assert run(builder, steps)[0] == [(2, "o1", '{"product":"p1"}+Phone', 3),
                                      (3, "o1", '{"product":"p2"}+Watch', 4)]


def test_describe_and_internal_topics_with_table_joined_name():
    builder, _ = build(True, TableJoined.as_("fk"))
    topology = builder.build()
    text = str(topology.describe())
    for node in ("fk-subscription-registration-processor", "fk-subscription-registration-sink",
                 "fk-subscription-registration-source", "fk-subscription-receive",
                 "fk-subscription-join-foreign", "fk-foreign-join-subscription",
                 "fk-subscription-response-sink", "fk-subscription-response-source",
                 "fk-subscription-response-resolver", "fk-result", "fk-subscription-store"):
        assert node in text, node
    assert topology.internal_topics["fk-subscription-registration-topic"].kind == "repartition"
    assert topology.internal_topics["fk-subscription-response-topic"].kind == "repartition"
    assert "fk-subscription-store-changelog" in topology.internal_topics
    assert sorted(map(sorted, topology.copartition_groups)) == [
        ["KSTREAM-SOURCE-0000000000", "fk-subscription-response-source"],
        ["KSTREAM-SOURCE-0000000002", "fk-subscription-registration-source"]]


def test_generated_names_follow_kafka_index_order():
    builder, _ = build(False)
    text = str(builder.build().describe())
    assert ("Sink: KTABLE-SINK-0000000006 (topic: "
            "KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000004-topic)") in text
    assert ("Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000009 "
            "(stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000008])") in text
    assert "Source: KTABLE-SOURCE-0000000014 (topics: " \
           "[KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000012-topic])" in text
    assert "Processor: KTABLE-FK-JOIN-OUTPUT-0000000016 (stores: [])" in text


def test_wrapper_serdes_round_trip():
    serdes = fkw.FkSerdes(S, S, S, S, "t")
    wrapper = fkw.SubscriptionWrapper(fkw.value_hash(b"v"), fkw.Instruction.DELETE_KEY_AND_PROPAGATE,
                                     "pk", 3)
    ws = fkw.SubscriptionWrapperSerde(serdes)
    assert ws.deserialize("t", ws.serialize("t", wrapper)) == wrapper
    no_hash = fkw.SubscriptionWrapper(None, fkw.Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE,
                                     "pk", 0)
    assert ws.deserialize("t", ws.serialize("t", no_hash)) == no_hash
    rs = fkw.SubscriptionResponseWrapperSerde(serdes)
    for value in ("x", None, ""):
        back = rs.deserialize("t", rs.serialize("t", fkw.SubscriptionResponseWrapper(
            fkw.value_hash(b"v"), value, 2)))
        assert (back.original_hash, back.foreign_value, back.primary_partition) == (
            fkw.value_hash(b"v"), value, 2)
    assert len(fkw.value_hash(b"abc")) == 16
    assert fkw.value_hash(None) is None


def test_combined_key_prefix_orders_by_foreign_key():
    serdes = fkw.FkSerdes(S, S, S, S, "t")
    key = serdes.combined_key("fk", "pk")
    assert key.startswith(serdes.prefix("fk"))
    assert not serdes.combined_key("fk2", "pk").startswith(serdes.prefix("fk"))
    assert serdes.split_combined(key) == ("fk", "pk")


def test_response_with_stale_hash_is_dropped():
    class Getter:
        def init(self, context):
            pass

        def get(self, key):
            from raystreams.state.types import ValueAndTimestamp
            return ValueAndTimestamp("current", 1)

        def close(self):
            pass

    class Supplier:
        def get(self):
            return Getter()

    class Context:
        config = None
        record_context = None
        forwarded = []

        def forward(self, record):
            self.forwarded.append(record)

    from raystreams.processor.api import Record

    serdes = fkw.FkSerdes(S, S, S, S, "t")
    proc = fk.ResponseJoinProcessor(Supplier(), serdes, joiner=lambda a, b: f"{a}+{b}",
                                    left_join=False)
    ctx = Context()
    proc.init(ctx)
    proc.process(Record("k", fkw.SubscriptionResponseWrapper(fkw.value_hash(b"old"), "R", 0), 5))
    assert ctx.forwarded == []
    proc.process(Record("k", fkw.SubscriptionResponseWrapper(fkw.value_hash(b"current"), "R", 0),
                        6))
    assert [(r.key, r.value) for r in ctx.forwarded] == [("k", "current+R")]


def test_argument_checks():
    builder = StreamsBuilder()
    orders = builder.table("orders")
    products = builder.table("products")
    with pytest.raises(TopologyException):
        orders.join(products, product_of, "not a joiner")
    with pytest.raises(TopologyException):
        orders.join(builder.stream("s"), product_of, joiner)


# Kafka's Murmur3Test.testMurmur3_128 vectors (seed 123)
MURMUR3_128 = {
    b"21": (5857341059704281894, -5288187638297930763),
    b"foobar": (-351361463397418609, 8959716011862540668),
    b"a-little-bit-long-string": (8836256500583638442, -198172363548498523),
    b"a-little-bit-longer-string": (1838346159335108511, 8794688210320490705),
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": (-4024021876037397259,
                                                          -1482317706335141238),
    b"abc": (1489494923063836066, -5440978547625122829),
}


@pytest.mark.parametrize("data", sorted(MURMUR3_128))
def test_murmur3_hash128_matches_kafka(data):
    assert fkw.murmur3_hash128(data, 123) == MURMUR3_128[data]


def test_value_hash_is_murmur3_with_kafka_seed():
    import struct

    assert fkw.value_hash(b"abc") == struct.pack(">qq", *fkw.murmur3_hash128(b"abc", 104729))


def test_foreign_key_extractor_with_key():
    # Kafka's (BiFunction<K, V, KO>, ValueJoiner) overload
    builder = StreamsBuilder()
    orders = builder.table("orders", Consumed.with_(S, S))
    products = builder.table("products", Consumed.with_(S, S))
    orders.join(products, lambda k, v: k.split("-")[0], lambda o, p: f"{o}/{p}",
                with_key=True).to_stream().to("out", Produced.with_(S, S))
    steps = [("products", "p1", "Phone", 1), ("orders", "p1-order", "x", 2),
             ("orders", "p2-order", "y", 3)]
    assert run(builder, steps)[0] == [(1, "p1-order", "x/Phone", 2)]
