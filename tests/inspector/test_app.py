"""Every inspector page under AppTest, against the fake source: what each table and message says."""

from __future__ import annotations

import time
from pathlib import Path

import fake_source
import pytest
from fake_source import APP, COUNTS, PARTITIONS

from raystreams.kafka.partitioner import default_partition

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

APP_FILE = Path(__file__).resolve().parents[2] / "inspector" / "app.py"


def run(at):
    at.run()
    assert not at.exception, at.exception
    return at


def texts(elements) -> list[str]:
    return [e.value for e in elements]


TABLES = {"apps_table": "Application", "config_table": "Value", "topics_table": "Topic",
          "stores_table": "Store", "tasks_table": "Lag trend", "partitions_table": "Committed",
          "standbys_table": "Standby", "entries_table": "Stale", "events_table": "Event",
          "bottleneck_busy": "Busiest", "bottleneck_lag_growth": "Fastest-growing lag",
          "bottleneck_skew": "Partition skew", "bottleneck_restarts": "Most restarts"}


def frame(at, table: str):
    """The DataFrame of the table the page shows under ``table`` (found by a column only it has)."""
    column = TABLES[table]
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table {table} (with a {column!r} column)")


# ------------------------------------------------------------------ Applications


def test_applications_lists_every_app_and_the_chosen_one(inspector_app):
    at = run(inspector_app())
    apps = frame(at, "apps_table")
    assert list(apps["Application"]) == [APP, "fraud-check"]
    wc = apps.iloc[0]
    assert (wc["State"], wc["Tasks"], wc["Running"], wc["Failed"]) == ("RUNNING", 6, 5, 0)
    assert apps.iloc[1]["Error"].startswith("task 0_1 failed")
    assert (apps.iloc[1]["State"], apps.iloc[1]["Failed"]) == ("ERROR", 4)
    assert [m.value for m in at.metric][:2] == ["RUNNING", "5/6 running"]
    config = frame(at, "config_table")
    assert dict(zip(config["Key"], config["Value"], strict=True))["sasl.jaas.config"] == "[hidden]"
    assert at.query_params["app"] == APP
    # every call the page made carried the timeout
    assert {t for _, t in fake_source.INSTANCES[-1].calls} == {5.0}


def test_an_app_picked_in_the_table_becomes_the_app_of_every_page(inspector_app):
    at = run(inspector_app())
    at.session_state["picked_app"] = "fraud-check"  # what clicking its row leaves behind
    run(at)
    assert at.selectbox(key="app").value == "fraud-check"
    assert at.query_params["app"] == "fraud-check"
    assert [m.value for m in at.metric][:2] == ["ERROR", "0/4 running"]
    assert "task 0_1 failed 6 times within 300 s" in texts(at.error)


def test_no_cluster_is_a_message_not_a_traceback(inspector_app):
    at = run(inspector_app("no_cluster"))
    assert any("No Ray cluster answers" in e for e in texts(at.error))
    for page in ("topology", "tasks", "state", "events"):
        at = run(inspector_app("no_cluster", page=page))
        assert any("No application chosen" in i for i in texts(at.info)), page


def test_no_app_on_the_cluster(inspector_app):
    at = run(inspector_app("no_apps"))
    assert any("No raystreams app runs on this cluster" in i for i in texts(at.info))


def test_a_linked_app_that_is_gone_says_so(inspector_app):
    at = run(inspector_app(page="tasks", app="gone-app"))
    assert any("no raystreams app 'gone-app'" in w for w in texts(at.warning))


# ------------------------------------------------------------------ Topology


def test_topology_draws_the_live_dot_with_describe_and_downloads(inspector_app):
    at = run(inspector_app(page="topology", app=APP))
    dot = at.get("graphviz_chart")[0].proto.spec
    model = fake_source.build_model()
    for node in model.nodes:
        assert f'"{node.name}"' in dot
    assert '"store:word-counts" [shape=cylinder' in dot
    assert f'"topic:{APP}-word-counts-repartition" [shape=box' in dot
    # sub-topology 2's busiest task (2_0, busy 0.82) colours its nodes HIGH
    assert 'fillcolor="#ffcdd2"' in dot
    assert f'"topic:{APP}-word-counts-repartition" -> "word-counts-repartition-source" [label="lag' in dot
    topics = frame(at, "topics_table")
    assert set(topics["Kind"]) == {"source", "sink", "repartition", "changelog", "global"}
    stores = frame(at, "stores_table").set_index("Store")
    assert stores.loc["word-counts", "Entries (approx.)"] == 1000 + 2000 + 3000
    assert stores.loc["line-sessions", "Type"] == "session"
    assert any(c.value.startswith("Topologies:\n") for c in at.code)
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Download DOT" in labels


# ------------------------------------------------------------------ Tasks


def test_tasks_table_has_every_task_with_its_numbers(inspector_app):
    at = run(inspector_app(page="tasks", app=APP))
    tasks = frame(at, "tasks_table").set_index("Task")
    assert sorted(tasks.index) == ["1_0", "1_1", "1_2", "2_0", "2_1", "2_2"]
    row = tasks.loc["2_1"]
    assert (row["State"], row["Node"], row["Restarts"], row["Incarnation"]) == (
        "RUNNING", "node-b", 1, 2)
    assert row["Last error"] == "ValueError: cannot split a None line"
    assert tasks.loc["2_2", "State"] == "RESTORING"
    assert 0 < tasks.loc["2_2", "Restore"] < 1 and tasks.loc["2_2", "Restore ETA"]
    assert tasks.loc["2_0", "Busy"] == 0.82
    assert tasks.loc["1_0", "In state"] == "1 min 0 s"
    busiest = frame(at, "bottleneck_busy")
    assert list(busiest["Task"])[:2] == ["2_0", "1_0"]
    assert list(frame(at, "bottleneck_restarts")["Task"]) == ["2_1"]
    assert "2_0" in list(frame(at, "bottleneck_skew")["Task"])


def test_lag_history_trend_eta_and_growth_warning_across_polls(inspector_app):
    at = run(inspector_app(page="tasks", app=APP))
    for _ in range(3):
        run(at)
    tasks = frame(at, "tasks_table").set_index("Task")
    trend = list(tasks.loc["2_0", "Lag trend"])
    assert len(trend) == 4 and trend == sorted(trend) and trend[0] < trend[-1]
    assert tasks.loc["1_1", "Catch-up ETA"]  # its lag shrinks 60 records a poll
    assert not tasks.loc["2_0", "Catch-up ETA"]
    warnings = " ".join(texts(at.warning))
    assert "Lag grew on each of the last 3 polls: 2_0" in warnings
    assert list(frame(at, "bottleneck_lag_growth")["Task"]) == ["2_0"]


def test_task_from_the_url_shows_its_partitions_standbys_and_error(inspector_app):
    at = run(inspector_app(page="tasks", app=APP, task="2_1"))
    assert at.selectbox(key="task").value == "2_1"
    assert at.query_params["task"] == "2_1"
    parts = frame(at, "partitions_table")
    assert list(parts["Topic"]) == [f"{APP}-word-counts-repartition"]
    assert parts.iloc[0]["End offset"] - parts.iloc[0]["Committed"] == parts.iloc[0]["Lag"]
    standbys = frame(at, "standbys_table")
    assert list(standbys["Node"]) == ["node-a"]
    assert any("Last error" in e and "offset 4711" in e for e in texts(at.error))
    assert any("ValueError: cannot split a None line" in c for c in texts(at.code))


def test_partial_snapshot_is_shown_with_what_is_missing(inspector_app):
    at = run(inspector_app("partial_source", page="tasks", app=APP))
    assert any("Partial snapshot: task 1_2 did not answer" in w for w in texts(at.warning))
    assert len(frame(at, "tasks_table")) == 6


def test_a_source_that_overruns_its_timeout_does_not_hang_the_page(inspector_app, monkeypatch):
    monkeypatch.setenv("RAYSTREAMS_INSPECTOR_TIMEOUT", "0.2")
    at = inspector_app("hanging_source", page="tasks", app=APP)
    started = time.monotonic()
    run(at)
    assert time.monotonic() - started < fake_source.HangingSource.HANG_S
    assert any("did not answer within 0.2 s" in w for w in texts(at.warning))


def test_a_source_that_cannot_be_loaded_is_a_message(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("RAYSTREAMS_INSPECTOR_SOURCE", "no/such/file.py:make")
    at = run(AppTest.from_file(str(APP_FILE), default_timeout=30))
    assert any("cannot start its source" in e and "not found" in e for e in texts(at.error))


def test_pausing_keeps_the_page_and_goes_into_the_url(inspector_app):
    at = run(inspector_app(page="tasks", app=APP))
    at.toggle(key="live").set_value(False)
    run(at)
    assert len(frame(at, "tasks_table")) == 6
    assert at.query_params["live"] == "off"
    at.toggle(key="live").set_value(True)
    run(at)
    assert "live" not in at.query_params
    paused = run(inspector_app(page="tasks", app=APP, live="off"))
    assert paused.toggle(key="live").value is False


# ------------------------------------------------------------------ State


def state_page(inspector_app, store: str = "word-counts"):
    return run(inspector_app(page="state", app=APP, store=store))


def look_up(inspector_app, key: str):
    """The State page of word-counts after looking ``key`` up."""
    at = state_page(inspector_app)
    at.text_input(key="key").input(key)
    at.button[0].click()
    return run(at)


def test_key_lookup_shows_the_route_value_and_raw_bytes(inspector_app):
    at = look_up(inspector_app, "kafka")
    assert at.query_params["store"] == "word-counts"
    partition = default_partition(b"kafka", PARTITIONS)
    route = next(m for m in texts(at.markdown) if m.startswith("**Route**"))
    assert (f"partition **{partition}** → task **2_{partition}** → actor "
            f"`{APP}-2_{partition}`") in route
    assert any(m.startswith("Standbys: ") for m in texts(at.markdown))
    assert str(COUNTS["kafka"]) in texts(at.code)
    at.toggle(key="raw").set_value(True)
    run(at)
    assert any(c.startswith("key:   6b 61 66 6b 61") for c in texts(at.code))


def test_answers_from_a_restoring_task_are_marked_stale(inspector_app):
    word = next(w for w in COUNTS if default_partition(w.encode(), PARTITIONS) == 2)
    at = look_up(inspector_app, word)
    assert any("Answered by task 2_2 while it restores" in w for w in texts(at.warning))


def test_missing_key_and_typed_code_are_plain_data(inspector_app):
    at = look_up(inspector_app, "__import__('os').getcwd()")
    assert any("No value for key" in i for i in texts(at.info))


def test_scans_page_with_a_cursor(inspector_app):
    at = state_page(inspector_app)
    at.radio(key="query_kind_timestamped_key_value").set_value("All")
    at.selectbox(key="page_size").set_value(10)
    run(at)
    at.button[0].click()
    run(at)
    first = list(frame(at, "entries_table")["Key"])
    assert first == sorted(COUNTS)[:10]
    at.button(key="page_next").click()
    run(at)
    assert list(frame(at, "entries_table")["Key"]) == sorted(COUNTS)[10:20]
    at.button(key="page_next").click()
    run(at)
    assert list(frame(at, "entries_table")["Key"]) == sorted(COUNTS)[20:]
    assert not [b for b in at.button if b.key == "page_next"]  # the last page
    at.button(key="page_prev").click()
    run(at)
    assert list(frame(at, "entries_table")["Key"]) == sorted(COUNTS)[10:20]


def test_prefix_and_range_scans(inspector_app):
    at = state_page(inspector_app)
    at.radio(key="query_kind_timestamped_key_value").set_value("Prefix")
    run(at)
    at.text_input[0].input("ka")
    at.button[0].click()
    run(at)
    entries = frame(at, "entries_table")
    assert list(entries["Key"]) == ["kafka", "kappa"]
    assert list(entries["Value"]) == [str(COUNTS["kafka"]), str(COUNTS["kappa"])]
    at.radio(key="query_kind_timestamped_key_value").set_value("Range")
    run(at)
    at.text_input[0].input("mu")
    at.text_input[1].input("pi")
    at.button[0].click()
    run(at)
    assert list(frame(at, "entries_table")["Key"]) == ["mu", "nu", "omega", "omicron", "phi", "pi"]


def test_window_fetch(inspector_app):
    at = state_page(inspector_app, "lines-per-minute")
    assert at.radio(key="query_kind_timestamped_window").options == ["Window fetch", "All"]
    at.text_input(key="window_key").input("kafka")
    at.button[0].click()
    run(at)
    windows = frame(at, "entries_table")
    assert list(windows["Value"]) == [str(COUNTS["kafka"] + i) for i in range(3)]
    assert windows.iloc[0]["Window start"] == "2025-12-06 05:46:00"
    assert windows.iloc[0]["Window end"] == "2025-12-06 05:47:00"


def test_session_fetch_with_bounds(inspector_app):
    at = state_page(inspector_app, "line-sessions")
    at.text_input(key="session_key").input("kafka")
    at.text_input[1].input("2025-12-06T05:47:30")  # sessions ending at or after
    at.button[0].click()
    run(at)
    sessions = frame(at, "entries_table")
    assert list(sessions["Window end"]) == ["2025-12-06 05:48:00", "2025-12-06 05:49:00"]


def test_a_bad_time_is_a_message(inspector_app):
    at = state_page(inspector_app, "line-sessions")
    at.text_input(key="session_key").input("kafka")
    at.text_input[1].input("yesterday")
    at.button[0].click()
    run(at)
    assert any("neither epoch ms nor an ISO-8601 time" in e for e in texts(at.error))


# ------------------------------------------------------------------ Events


def test_events_timeline_with_causes_and_tracebacks(inspector_app):
    at = run(inspector_app(page="events", app=APP))
    events = frame(at, "events_table")
    assert len(events) == 10
    assert list(events["Event"])[:4] == ["restarted", "promoted", "failed", "moved"]
    failed = events[events["Event"] == "failed"].iloc[0]
    assert (failed["Task"], failed["Cause"]) == ("2_1", "ValueError: cannot split a None line")
    moved = events[events["Event"] == "moved"].iloc[0]
    assert (moved["From node"], moved["Node"], moved["Restore"]) == ("node-a", "node-b", "1.5 s")
    assert len(at.expander) == 1
    assert "Traceback" in at.expander[0].code[0].value
