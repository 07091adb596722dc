"""Sources subscribed by pattern (``builder.stream(re.compile(...))``, ``add_source(pattern=)``):
the driver routes every topic the pattern matches in full to that source, as Kafka's
TopologyTestDriver does; the runtime subscribes them from the broker's topic list at start
(``Topology.subscribe_pattern_topics``)."""

from __future__ import annotations

import re

import pytest

from raystreams import Serdes, StreamsBuilder, Topology
from raystreams.errors import StreamsException, TopologyException
from raystreams.processor.api import Processor
from raystreams.runtime.placement import plan_app
from raystreams.testing import TopologyTestDriver

CONFIG = {"application.id": "patterns"}


class TopicTagger(Processor):
    """Forwards ``value@topic``: shows which topic each record came from."""

    def init(self, context):
        self.context = context

    def process(self, record):
        self.context.forward(record.with_value(f"{record.value}@{self.context.record_metadata().topic}"))


def tagging_topology() -> Topology:
    topology = Topology()
    topology.add_source("src", pattern=re.compile(r"orders-\w+"))
    topology.add_processor("tag", TopicTagger, "src")
    topology.add_sink("sink", "tagged", "tag")
    return topology


def test_every_topic_the_pattern_matches_reaches_its_source():
    with TopologyTestDriver(tagging_topology(), CONFIG) as driver:
        eu, us = driver.create_input_topic("orders-eu"), driver.create_input_topic("orders-us")
        out = driver.create_output_topic("tagged")
        eu.pipe_input("a", "1")
        us.pipe_input("b", "2")
        eu.pipe_input("c", "3")
        assert out.read_key_values_to_list() == [("a", "1@orders-eu"), ("b", "2@orders-us"),
                                                 ("c", "3@orders-eu")]


def test_a_topic_the_pattern_does_not_match_in_full_is_unknown():
    with TopologyTestDriver(tagging_topology(), CONFIG) as driver, \
            pytest.raises(StreamsException, match=r"Unknown topic: orders-eu-archive .*"
                                                  r"topics matching orders-\\w\+"):
        driver.create_input_topic("orders-eu-archive").pipe_input("a", "1")


def test_a_dsl_pattern_stream_aggregates_across_its_topics():
    builder = StreamsBuilder()
    builder.stream(re.compile("clicks-.*")).group_by_key().count().to_stream().to("counts")
    with TopologyTestDriver(builder.build(), CONFIG) as driver:
        a, b = driver.create_input_topic("clicks-web"), driver.create_input_topic("clicks-app")
        out = driver.create_output_topic("counts", value_serde=Serdes.Long())
        for topic in (a, b, a):
            topic.pipe_input("user", "x")
        assert out.read_key_values_to_list() == [("user", 1), ("user", 2), ("user", 3)]


def test_subscription_from_a_topic_list():
    topology = tagging_topology()
    gained = topology.subscribe_pattern_topics(["orders-eu", "orders-us", "orders-eu-x", "other"])
    assert gained == {"src": ["orders-eu", "orders-us"]}
    assert topology.subscribe_pattern_topics(["orders-eu"]) == {}  # already subscribed
    assert "(topics: orders-\\w+)" in str(topology.describe())  # still described as a pattern
    plan = plan_app(topology, _config(), lambda topics: {t: 2 for t in topics})
    assert [t.task_id for t in plan.tasks] == ["0_0", "0_1"]
    assert plan.task("0_1").consumer_partitions == (("orders-eu", 1), ("orders-us", 1))


def test_a_topic_two_patterns_match_is_refused():
    topology = Topology()
    topology.add_source("eu", pattern="orders-eu.*")
    topology.add_source("all", pattern="orders-.*")
    topology.add_sink("s1", "x", "eu")
    topology.add_sink("s2", "y", "all")
    with pytest.raises(TopologyException, match=r"Topic orders-eu1 is already matched for "
                                                r"another regex pattern orders-eu\.\* and hence "
                                                r"cannot be matched to this regex pattern"):
        topology.subscribe_pattern_topics(["orders-eu1"])


def test_a_topic_a_registered_pattern_matches_is_refused_as_a_source():
    topology = Topology()
    topology.add_source("all", pattern="orders-.*")
    with pytest.raises(TopologyException, match="Topic orders-eu matches a Pattern already "
                                                "registered by another source"):
        topology.add_source("eu", "orders-eu")


def test_the_runtime_plan_names_a_pattern_that_matches_nothing():
    with pytest.raises(TopologyException, match=r"no topic matches the pattern orders-\\w\+ "
                                                r"of source src"):
        plan_app(tagging_topology(), _config(), lambda topics: {t: 1 for t in topics})


def _config():
    from raystreams.config import StreamsConfig

    return StreamsConfig({"application.id": "patterns", "bootstrap.servers": "fake:9092"})
