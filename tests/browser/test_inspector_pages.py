"""The inspector in Chromium, served by ``raystreams inspect`` over the fake source.

What only a browser shows: the topology drawn as SVG (d3-graphviz) with every name in its node
titles, the tasks grid, a key lookup through the page's form, and the live refresh: the lag
shown changes while the page stays loaded (a fragment rerun, not a reload). The same test run
on a real app comes with the live source.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pytest_playwright", reason="the dev extra installs it: pip install -e .[dev]")
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "inspector"))
from fake_source import APP, COUNTS, build_model  # noqa: E402

pytestmark = pytest.mark.browser

ROWS_JS = """el => Array.from(el.querySelectorAll('[role="row"]')).map(
    r => Array.from(r.querySelectorAll('[role="gridcell"], [role="columnheader"]'))
              .map(c => c.textContent))"""


def table(page, header: str, timeout_s: float = 90.0) -> list[dict[str, str]]:
    """The rows of the grid whose columns include ``header``, as dicts (polls until drawn)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for grid in page.get_by_test_id("stDataFrame").all():
            rows = grid.evaluate(ROWS_JS)
            if rows and header in rows[0] and len(rows) > 1:
                return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
        if time.monotonic() > deadline:
            raise AssertionError(f"no table with a {header!r} column")
        page.wait_for_timeout(200)


def settle(page) -> None:
    """Wait (a while, for the screenshot's sake) until Streamlit finished the run it started;
    with live refresh on, a page may start its next run before the wait sees it idle."""
    with contextlib.suppress(PlaywrightTimeout):
        page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=10_000)


def test_topology_svg_names_every_node_store_and_topic(page, inspector_server, screenshot_dir):
    # Paused: on a loaded machine a graph redrawn every few seconds may never finish drawing.
    page.goto(f"{inspector_server}/topology?app={APP}&live=off")
    chart = page.get_by_test_id("stGraphVizChart")
    chart.locator("svg g.node").first.wait_for(state="attached", timeout=90_000)
    titles = set(chart.locator("svg g.node > title").all_text_contents())
    model = build_model()
    assert {n.name for n in model.nodes} <= titles
    assert {f"store:{s.name}" for s in model.stores} <= titles
    assert {f"topic:{t.name}" for t in model.topics} <= titles
    # describe() beside the graph: rendered after the chart, so wait for it rather than count now
    page.get_by_text("Topologies:").first.wait_for(state="attached", timeout=60_000)
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
    page.goto(f"{inspector_server}/state?app={APP}&store=word-counts")
    key = page.get_by_label("Key (String)")
    key.wait_for(timeout=90_000)
    key.fill("kafka")
    page.get_by_role("button", name="Look up").click()
    page.get_by_text("Route").wait_for(timeout=90_000)
    route = page.get_by_test_id("stMarkdown").filter(has_text="Route").inner_text()
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
