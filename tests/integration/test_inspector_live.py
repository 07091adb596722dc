"""The inspector on a live app (issue 11's acceptance): a word count on Apache Kafka 4.4 and
Ray, ``raystreams inspect`` serving its default (live) source headless, Chromium reading the
pages: the topology SVG names every processor, store and topic; the tasks page lists all six
tasks with their lag, and the lag shown changes without a reload; a key lookup answers the
count the output topic holds; a SIGKILLed task actor's restart and its cause reach the Events
page and the task runs again. ``RAYSTREAMS_SCREENSHOTS=docs`` saves each page into docs/.
"""

from __future__ import annotations

import collections
import contextlib
import os
import signal
import sys
import threading
from pathlib import Path

import pytest

pytest.importorskip("pytest_playwright", reason="the dev extra installs it: pip install -e .[dev]")
from confluent_kafka import Producer  # noqa: E402
from conftest import consume_all, wait_for  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inspector"))
from pages import look_up, settle, svg_titles, wait_rows  # noqa: E402

from raystreams import Materialized, Produced, Serdes, StreamsBuilder  # noqa: E402
from raystreams.runtime.inspection import TopologyModel  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.browser]

STORE = "word-counts"
LINES = [f"the quick brown fox {i % 7} jumps over the lazy dog {i % 11}" for i in range(300)]
def by_word(key: str, word: str) -> str:
    return word


def topology(source: str, sink: str):
    from wordcount import words  # examples/ is on the path once Ray is up

    builder = StreamsBuilder()
    (builder.stream(source)
        .flat_map_values(words)
        .group_by(by_word)
        .count(Materialized.as_(STORE))
        .to_stream()
        .to(sink, Produced.with_(Serdes.String(), Serdes.Long())))
    return builder.build()


def produce(bootstrap: str, topic: str, lines: list[str]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                         "linger.ms": 5})
    for i, line in enumerate(lines):
        producer.produce(topic, key=str(i).encode(), value=line.encode())
    producer.flush(30)


def output_counts(bootstrap: str, topic: str) -> dict[str, int]:
    long = Serdes.Long()
    return {m.key().decode(): long.deserialize(topic, m.value())
            for m in consume_all(bootstrap, topic, timeout=10)}


@contextlib.contextmanager
def dump_on_failure(page):
    """On a failure, print what the page showed (the assertion says what it lacked)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            sys.stderr.write(f"--- the page ({page.url}) ---\n{page.inner_text('body')}\n")
        raise


def shoot(page, directory, name: str) -> None:
    settle(page)
    page.screenshot(path=str(directory / f"inspector-{name}.png"), full_page=True)


def test_inspector_on_a_live_word_count(page, kafka_bootstrap, topic_factory, streams_factory,
                                        app_id, ray_cluster, serve_inspector, screenshot_dir):
    source, sink = topic_factory(3, prefix="lines"), topic_factory(3, prefix="counts")
    built = topology(source, sink)
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
              "commit.interval.ms": 200}
    produce(kafka_bootstrap, source, LINES)
    streams = streams_factory(built, config)
    streams.wait_until_running(180)
    from wordcount import words

    truth = collections.Counter(w for line in LINES for w in words(line))
    wait_for(lambda: output_counts(kafka_bootstrap, sink) == truth, 90, 0.5, "word counts")

    with serve_inspector("--address", ray_cluster.address, "--app", app_id) as url, \
            dump_on_failure(page):
        # Topology: every processor, store and topic is a node of the SVG
        # paused: on a loaded machine a graph redrawn every few seconds may never finish drawing
        page.goto(f"{url}/topology?app={app_id}&live=off")
        model = TopologyModel.from_topology(built, app_id)
        expected = {n.name for n in model.nodes} | {f"store:{STORE}"} | {
            f"topic:{t}" for t in (source, sink, f"{app_id}-{STORE}-repartition",
                                   f"{app_id}-{STORE}-changelog")}
        titles = svg_titles(page)
        assert expected <= titles, f"missing from the SVG: {expected - titles}"
        shoot(page, screenshot_dir, "topology")

        # Tasks: all six, each with its lag; the lag shown moves while the page stays loaded
        page.goto(f"{url}/tasks?app={app_id}")
        rows = wait_rows(page, "Lag trend", lambda rs: len(rs) == 6 and all(
            r["Lag"].replace(",", "").isdigit() for r in rs), "six tasks with their lag")
        assert sorted(r["Task"] for r in rows) == ["0_0", "0_1", "0_2", "1_0", "1_1", "1_2"]
        assert {r["State"] for r in rows} == {"RUNNING"}
        page.evaluate("window.__inspectorMarker = 'still here'")
        before = {r["Task"]: r["Lag"] for r in rows}
        stop = threading.Event()
        more = [f"line {i} of the second batch with many words in it" for i in range(2000)]

        def keep_producing() -> None:
            while not stop.is_set():
                produce(kafka_bootstrap, source, more)

        feeder = threading.Thread(target=keep_producing, daemon=True)
        feeder.start()
        try:
            wait_rows(page, "Lag trend",
                      lambda rs: {r["Task"]: r["Lag"] for r in rs} != before,
                      "a change of the lag", 60)
        finally:
            stop.set()
            feeder.join(60)
        assert page.evaluate("window.__inspectorMarker") == "still here"  # no reload
        shoot(page, screenshot_dir, "tasks")

        # State: a key lookup answers what the output topic holds
        wait_for(lambda: streams.metrics()["total_lag"] == 0, 90, 0.5, "caught up")
        counts = {}
        wait_for(lambda: counts.update(output_counts(kafka_bootstrap, sink)) or
                 counts.get("fox") == truth["fox"] and counts.get("second", 0) > 0, 60, 0.5,
                 "the second batch counted")
        route = look_up(page, url, app_id, STORE, "fox")
        assert "task 1_" in route
        page.locator("pre code").filter(has_text=str(counts["fox"])).first.wait_for(
            timeout=30_000)
        assert page.locator("pre code").first.inner_text().strip() == str(counts["fox"])
        shoot(page, screenshot_dir, "state")

        # Events: a SIGKILLed task actor restarts, with its cause, and runs again
        pid = task_pid(streams, "1_1")
        os.kill(pid, signal.SIGKILL)
        page.goto(f"{url}/events?app={app_id}")
        rows = wait_rows(page, "Event", lambda rs: any(
            r["Event"] == "restarted" and r["Task"] == "1_1" and "died" in r["Cause"]
            for r in rs), "the restart of task 1_1 with its cause")
        assert any(r["Event"] == "failed" and r["Task"] == "1_1" for r in rows)
        shoot(page, screenshot_dir, "events")
        page.goto(f"{url}/tasks?app={app_id}")
        wait_rows(page, "Lag trend", lambda rs: any(
            r["Task"] == "1_1" and r["State"] == "RUNNING" and r.get("Restarts") == "1"
            for r in rs), "task 1_1 RUNNING again, restarted once")

        page.goto(f"{url}/?app={app_id}")
        wait_rows(page, "Application", lambda rs: any(r["Application"] == app_id for r in rs),
                  "the app on the Applications page")
        shoot(page, screenshot_dir, "applications")


def task_pid(streams, task_id: str) -> int:
    """The pid of the task actor running ``task_id`` now."""
    import ray

    return ray.get(streams.task_handles()[task_id].pid.remote(), timeout=30)
