"""Reading the inspector's pages in a browser (Playwright), for the browser tests over the
fake source (tests/browser) and over a live app (tests/integration/test_inspector_live.py).

Streamlit draws ``st.dataframe`` as a virtual grid: only the rows and columns in view are in
the DOM, so a wide table's rightmost columns may be missing from what ``table`` returns.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROWS_JS = """el => Array.from(el.querySelectorAll('[role="row"]')).map(
    r => Array.from(r.querySelectorAll('[role="gridcell"], [role="columnheader"]'))
              .map(c => c.textContent))"""

Rows = list[dict[str, str]]


def table(page, header: str, timeout_s: float = 90.0) -> Rows:
    """The rows of the grid whose columns include ``header``, as dicts (polls until drawn)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for grid in page.get_by_test_id("stDataFrame").all():
            try:
                rows = grid.evaluate(ROWS_JS)
            except Exception:  # redrawn under us by a fragment rerun
                continue
            if rows and header in rows[0] and len(rows) > 1:
                return [dict(zip(rows[0], r, strict=False)) for r in rows[1:]]
        if time.monotonic() > deadline:
            raise AssertionError(f"no table with a {header!r} column")
        page.wait_for_timeout(200)


def wait_rows(page, header: str, condition: Callable[[Rows], bool], what: str,
              timeout_s: float = 90.0) -> Rows:
    """Poll the grid with ``header`` until ``condition(rows)`` holds; returns the rows."""
    deadline = time.monotonic() + timeout_s
    rows: Rows = []
    while time.monotonic() < deadline:
        rows = table(page, header, timeout_s)
        if condition(rows):
            return rows
        page.wait_for_timeout(300)
    raise AssertionError(f"{what} not shown after {timeout_s:.0f} s; last rows: {rows}")


def svg_titles(page, timeout_s: float = 90.0) -> set[str]:
    """The node titles of the topology SVG, once drawn."""
    chart = page.get_by_test_id("stGraphVizChart")
    chart.locator("svg g.node").first.wait_for(state="attached", timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    titles: set[str] = set()
    while time.monotonic() < deadline:
        titles = set(chart.locator("svg g.node > title").all_text_contents())
        if titles:
            return titles
        page.wait_for_timeout(200)
    return titles


def look_up(page, url: str, app: str, store: str, key: str, timeout_s: float = 90.0) -> str:
    """Look ``key`` up on the State page of ``store``; returns the route text shown."""
    page.goto(f"{url}/state?app={app}&store={store}")
    field = page.get_by_label("Key (String)")
    field.wait_for(timeout=timeout_s * 1000)
    field.fill(key)
    page.get_by_role("button", name="Look up").click()
    page.get_by_text("Route").wait_for(timeout=timeout_s * 1000)
    return page.get_by_test_id("stMarkdown").filter(has_text="Route").inner_text()


def settle(page) -> None:
    """Wait (a while, for the screenshot's sake) until Streamlit finished the run it started;
    with live refresh on, a page may start its next run before the wait sees it idle."""
    with contextlib.suppress(PlaywrightTimeout):
        page.get_by_test_id("stStatusWidget").wait_for(state="hidden", timeout=10_000)
