"""The inspector in Chromium, served by ``raystreams inspect`` over the fake source.

What only a browser shows: the topology drawn as SVG (d3-graphviz) with every name in its node
titles, the tasks grid, a key lookup through the page's form, and the live refresh: the lag
shown changes while the page stays loaded (a fragment rerun, not a reload). The same pages over
a live app: tests/integration/test_inspector_live.py.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pytest_playwright", reason="the dev extra installs it: pip install -e .[dev]")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inspector"))
from fake_source import APP, COUNTS, build_model  # noqa: E402
from pages import look_up, settle, svg_titles, table  # noqa: E402

pytestmark = pytest.mark.browser

def test_topology_svg_names_every_node_store_and_topic(page, inspector_server, screenshot_dir):
    # Paused: on a loaded machine a graph redrawn every few seconds may never finish drawing.
    page.goto(f"{inspector_server}/topology?app={APP}&live=off")
    titles = svg_titles(page)
    model = build_model()
    assert {n.name for n in model.nodes} <= titles
    assert {f"store:{s.name}" for s in model.stores} <= titles
    assert {f"topic:{t.name}" for t in model.topics} <= titles
    # describe() beside the graph (drawn after it: wait for it rather than count at once)
    page.get_by_text("Topologies:").first.wait_for(state="attached", timeout=90_000)
    settle(page)
    page.screenshot(path=str(screenshot_dir / "inspector-topology.png"), full_page=True)


def test_tasks_grid_and_lag_refreshing_without_a_reload(page, inspector_server, screenshot_dir):
    page.goto(f"{inspector_server}/tasks?app={APP}")
    rows = table(page, "Lag trend")
    assert sorted(r["Task"] for r in rows) == ["1_0", "1_1", "1_2", "2_0", "2_1", "2_2"]
    assert {r["Task"]: r["State"] for r in rows}["2_2"] == "RESTORING"
    page.evaluate("window.__inspectorMarker = 'still here'")
    first = {r["Task"]: r["Lag"] for r in rows}["2_0"]
    deadline = time.monotonic() + 60
    while True:
        now = {r["Task"]: r["Lag"] for r in table(page, "Lag trend")}["2_0"]
        if now != first:
            break
        assert time.monotonic() < deadline, f"the lag of 2_0 stayed {first}"
        page.wait_for_timeout(300)
    assert int(now.replace(",", "")) > int(first.replace(",", ""))
    assert page.evaluate("window.__inspectorMarker") == "still here"  # no reload
    page.get_by_text("Lag grew on each of the last").wait_for(timeout=90_000)
    settle(page)
    page.screenshot(path=str(screenshot_dir / "inspector-tasks.png"), full_page=True)


def test_key_lookup_shows_the_route_and_value(page, inspector_server, screenshot_dir):
    route = look_up(page, inspector_server, APP, "word-counts", "kafka")
    assert "partition" in route and "task 2_" in route
    value = page.locator("pre code").filter(has_text=re.compile(rf"^{COUNTS['kafka']}$"))
    value.first.wait_for(timeout=90_000)
    settle(page)
    page.screenshot(path=str(screenshot_dir / "inspector-state.png"), full_page=True)


@pytest.mark.parametrize(("name", "path"), [("applications", ""), ("events", "events")])
def test_other_pages_render(page, inspector_server, screenshot_dir, name, path):
    page.goto(f"{inspector_server}/{path}?app={APP}")
    header = "Application" if name == "applications" else "Event"
    rows = table(page, header)
    assert rows
    if name == "events":
        assert {"failed", "restarted", "moved", "promoted"} <= {r["Event"] for r in rows}
    settle(page)
    page.screenshot(path=str(screenshot_dir / f"inspector-{name}.png"), full_page=True)
