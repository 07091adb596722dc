"""The inspection model: the topology as typed data, task numbers, key parsing and the live DOT."""

from __future__ import annotations

import html
import pickle
import re
import shutil

import pytest

from raystreams import Materialized, Produced, Serdes, StreamsBuilder
from raystreams.runtime.inspection import (
    AppSnapshot,
    ErrorInfo,
    InspectionError,
    NoClusterError,
    PartitionLag,
    ProcessorMetrics,
    RestoreProgress,
    TaskInfo,
    TopologyModel,
    UnknownAppError,
    busy_level,
    config_summary,
    parse_key_text,
    to_dot,
    topic_lag,
)

APP = "wc.app-1"


def word_count() -> TopologyModel:
    builder = StreamsBuilder()
    builder.global_table("user.profiles-v2")
    (builder.stream("text.lines-in")
        .flat_map_values(str.split)
        .group_by(lambda key, word: word)
        .count(Materialized.as_("word-counts"))
        .to_stream()
        .to("word.counts-out", Produced.with_(Serdes.String(), Serdes.Long())))
    topology = builder.build()
    return TopologyModel.from_topology(topology, APP, {"text.lines-in": 3},
                                       default_serdes=("String", "String"))


def task(task_id: str, *, state: str = "RUNNING", busy: float | None = None,
         lag: dict[str, tuple[int, int]] | None = None, **fields) -> TaskInfo:
    partition = int(task_id.split("_")[1])
    parts = tuple(PartitionLag(topic, partition, committed, end)
                  for topic, (committed, end) in (lag or {}).items())
    return TaskInfo(task_id, state, busy_ratio=busy, partitions=parts, **fields)


def test_topology_model_has_every_part_with_real_topic_names():
    model = word_count()
    assert [s.id for s in model.subtopologies] == [0, 1, 2]
    assert [s.is_global for s in model.subtopologies] == [True, False, False]
    assert [n.name for n in model.sources] == [
        "KSTREAM-SOURCE-0000000001", "KSTREAM-SOURCE-0000000003", "word-counts-repartition-source"]
    assert [n.name for n in model.sinks] == ["word-counts-repartition-sink", "KSTREAM-SINK-0000000011"]
    assert "KSTREAM-AGGREGATE-0000000006" in [n.name for n in model.processors]
    repartition = f"{APP}-word-counts-repartition"
    assert [t.name for t in model.repartition_topics] == [repartition]
    assert model.topic(repartition).topology_name == "word-counts-repartition"
    assert [t.name for t in model.changelog_topics] == [f"{APP}-word-counts-changelog"]
    assert model.topic("text.lines-in").partitions == 3
    assert model.topic("user.profiles-v2").kind == "global"
    assert model.node("word-counts-repartition-source").topics == (repartition,)
    assert model.node("KSTREAM-FLATMAPVALUES-0000000004").successors == (
        "KSTREAM-KEY-SELECT-0000000005",)

    counts = model.store("word-counts")
    assert counts.store_type == "timestamped_key_value"
    assert counts.subtopology == 2 and counts.processors == ("KSTREAM-AGGREGATE-0000000006",)
    assert counts.changelog_topic == f"{APP}-word-counts-changelog"
    assert (counts.key_serde, counts.value_serde) == ("String", "Long")
    (profiles,) = model.global_stores
    assert profiles.is_global and profiles.changelog_topic is None
    assert profiles.source_topic == "user.profiles-v2"
    sub2 = model.subtopologies[2]
    assert sub2.source_topics == (repartition,) and sub2.stores == ("word-counts",)
    assert model.description.startswith("Topologies:\n")
    assert "Sub-topology: 0 for global store" in model.description


def test_window_and_session_stores_are_typed():
    from datetime import timedelta

    from raystreams import SessionWindows, TimeWindows

    builder = StreamsBuilder()
    grouped = builder.stream("clicks").group_by_key()
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(timedelta(seconds=5))).count(
        Materialized.as_("per-5s"))
    grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(
        timedelta(seconds=30))).count(Materialized.as_("sessions"))
    model = TopologyModel.from_topology(builder.build(), "clicks-app")
    assert model.store("per-5s").store_type == "timestamped_window"
    assert model.store("sessions").store_type == "session"


def test_task_lag_rates_and_restore():
    t = TaskInfo("1_2", "RESTORING", state_since=100.0, partitions=(
        PartitionLag("a", 2, committed=10, end_offset=25, lag_ms=1500.0),
        PartitionLag("b", 2, committed=None, end_offset=9),
        PartitionLag("c", 2, committed=5, end_offset=5, lag_records=7, lag_ms=200.0)),
        restore=RestoreProgress(250, 1000, records_per_s=50.0))
    assert (t.subtopology, t.partition) == (1, 2)
    assert t.lag_records == 15 + 7
    assert t.lag_ms == 1500.0
    assert t.time_in_state(130.0) == 30.0
    assert t.restoring
    assert t.restore.fraction == 0.25 and t.restore.eta_s == 15.0
    assert RestoreProgress(10, 10, done=True).eta_s == 0.0
    assert RestoreProgress(1, 10).eta_s is None
    assert TaskInfo("0_0", "RUNNING").lag_records is None


def test_snapshot_totals_and_summary():
    snap = AppSnapshot(APP, "RUNNING", 0.0, word_count(), tasks=(
        task("1_0", lag={"text.lines-in": (5, 10)}, records_in_per_s=3.0),
        task("1_1", state="RESTARTING", lag={"text.lines-in": (0, 4)}, records_in_per_s=1.5),
        task("2_0")))
    assert snap.total_lag == 9
    assert snap.records_in_per_s == 4.5
    assert [t.task_id for t in snap.failed_tasks] == ["1_1"]
    assert snap.task("2_0").state == "RUNNING"
    summary = snap.summary()
    assert (summary.tasks, summary.running_tasks, summary.failed_tasks, summary.total_lag) == (
        3, 2, 1, 9)
    with pytest.raises(KeyError):
        snap.task("9_9")


def test_busy_levels_follow_flink():
    assert [busy_level(r) for r in (None, 0.0, 0.10, 0.11, 0.5, 0.51, 1.0)] == [
        None, "OK", "OK", "LOW", "LOW", "HIGH", "HIGH"]


@pytest.mark.parametrize(("text", "serde", "value"), [
    ("hello world", "String", "hello world"),
    ("__import__('os').system('x')", None, "__import__('os').system('x')"),
    (" 42 ", "Long", 42),
    ("-7", "Integer", -7),
    ("2.5", "Double", 2.5),
    ("true", "Boolean", True),
    ('{"user": "kim", "n": [1, 2]}', "JSON", {"user": "kim", "n": [1, 2]}),
    ("0aff", "Bytes", b"\x0a\xff"),
    ("b:abc", "Bytes", b"abc"),
])
def test_key_text_is_parsed_as_data(text, serde, value):
    assert parse_key_text(text, serde) == value


@pytest.mark.parametrize(("text", "serde"), [
    ("__import__('os')", "Long"), ("1.5", "Integer"), ("{bad", "JSON"), ("zz", "Bytes"),
    ("yes", "Boolean"), ("x", "MyCustom")])
def test_key_text_that_does_not_parse_is_refused(text, serde):
    with pytest.raises(InspectionError):
        parse_key_text(text, serde)


def test_inspection_errors_are_the_ones_in_errors():
    from raystreams import errors

    assert NoClusterError is errors.NoClusterException
    assert UnknownAppError is errors.UnknownApplicationException
    assert issubclass(UnknownAppError, InspectionError)
    assert str(NoClusterError(None, "refused")) == "no Ray cluster at auto: refused"
    assert pickle.loads(pickle.dumps(UnknownAppError("wc", ["a"]))).known == ("a",)
    assert str(ErrorInfo("ValueError", "bad")) == "ValueError: bad"


def live_dot() -> tuple[TopologyModel, str]:
    model = word_count()
    repartition = f"{APP}-word-counts-repartition"
    tasks = [task("1_0", busy=0.05, lag={"text.lines-in": (0, 3)}),
             task("1_1", busy=0.3),
             task("2_0", busy=0.9, lag={repartition: (10, 1240)}),
             task("2_1", busy=0.2, lag={repartition: (0, 10)})]
    processors = [ProcessorMetrics("KSTREAM-FLATMAPVALUES-0000000004", 1234.0),
                  ProcessorMetrics("KSTREAM-KEY-SELECT-0000000005", 2.5, busy_ratio=0.02)]
    return model, to_dot(model, tasks, processors)


def _node_attrs(dot: str, node_id: str) -> str:
    match = re.search(rf'^\s*"{re.escape(node_id)}" \[(.*)\];$', dot, re.M)
    assert match, f"no node {node_id} in\n{dot}"
    return match.group(1)


def test_dot_colours_by_busy_ratio_and_labels_rates_and_lag():
    model, dot = live_dot()
    flat = _node_attrs(dot, "KSTREAM-FLATMAPVALUES-0000000004")
    assert 'fillcolor="#ffe0b2"' in flat  # sub-topology 1's busiest task: 0.3 → LOW
    assert "1,234 rec/s" in flat and "busy 30%" in flat
    # a processor's own busy ratio wins over its sub-topology's
    assert 'fillcolor="#c8e6c9"' in _node_attrs(dot, "KSTREAM-KEY-SELECT-0000000005")
    assert "2.5 rec/s" in _node_attrs(dot, "KSTREAM-KEY-SELECT-0000000005")
    assert 'fillcolor="#ffcdd2"' in _node_attrs(dot, "KSTREAM-AGGREGATE-0000000006")  # 0.9 HIGH
    assert 'fillcolor="#ffffff"' in _node_attrs(dot, "KTABLE-SOURCE-0000000002")  # global: unknown
    assert "shape=cylinder" in _node_attrs(dot, "store:word-counts")
    assert "shape=box" in _node_attrs(dot, "topic:text.lines-in")
    assert "dashed" in _node_attrs(dot, f"topic:{APP}-word-counts-changelog")
    assert (f'"topic:{APP}-word-counts-repartition" -> "word-counts-repartition-source" '
            f'[label="lag 1,240"];') in dot
    # a source topic's lag is on the Tasks page, not on its edge
    assert '"topic:text.lines-in" -> "KSTREAM-SOURCE-0000000003";' in dot
    assert dot.count("subgraph \"cluster_") == len(model.subtopologies)
    assert topic_lag([task("1_0", lag={"t": (1, 4)}), task("1_1", lag={"t": (0, 2)})]) == {"t": 5}


def test_dot_ids_are_escaped():
    builder = StreamsBuilder()
    builder.stream('odd"topic.name-1').to("out\\x.y-z")
    model = TopologyModel.from_topology(builder.build(), "a")
    dot = to_dot(model)
    assert '"topic:odd\\"topic.name-1"' in dot
    assert '"topic:out\\\\x.y-z"' in dot


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_dot_renders_to_svg_whose_titles_hold_every_name():
    import graphviz

    model, dot = live_dot()
    svg = graphviz.Source(dot).pipe(format="svg").decode()
    titles = {html.unescape(t) for t in re.findall(r"<title>(.*?)</title>", svg)}
    for node in model.nodes:
        assert node.name in titles
    for store in model.stores:
        assert f"store:{store.name}" in titles
    for topic in model.topics:
        assert f"topic:{topic.name}" in titles


def test_config_summary_hides_secrets():
    summary = dict(config_summary({
        "application.id": "wc", "num.stream.threads": 1, "sasl.jaas.config": "user=x pass=y",
        "ssl.key.password": "k", "ssl.truststore.password": "t",
        "basic.auth.user.info": "u:p", "bootstrap.servers": "h:9092"}))
    assert summary["application.id"] == "wc" and summary["num.stream.threads"] == "1"
    assert summary["bootstrap.servers"] == "h:9092"
    for key in ("sasl.jaas.config", "ssl.key.password", "ssl.truststore.password",
                "basic.auth.user.info"):
        assert summary[key] == "[hidden]"
    assert list(summary) == sorted(summary)


def test_error_info_from_an_exception_keeps_where_and_traceback():
    from raystreams.errors import StreamsException

    try:
        raise StreamsException("boom", task_id="0_1", processor="KSTREAM-MAP-0000000001",
                               topic="in", partition=1, offset=42)
    except StreamsException as exc:
        info = ErrorInfo.from_exception(exc, at=5.0)
    assert (info.type, info.topic, info.partition, info.offset, info.processor, info.at) == (
        "StreamsException", "in", 1, 42, "KSTREAM-MAP-0000000001", 5.0)
    assert "boom" in info.message and info.traceback.startswith("Traceback")
