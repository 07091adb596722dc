"""raystreams inspector: the live topology, tasks, lag, state and events of raystreams apps.

Start it with ``raystreams inspect [--address auto] [--app APP_ID]``, or
``streamlit run inspector/app.py -- [--address ADDR] [--app APP_ID] [--source MODULE:FACTORY]``.
It only reads: no page can change an app. See docs/INSPECTOR.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Streamlit puts this file's folder on sys.path; the ``inspector`` package needs its parent.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from inspector.sources import Options, load_source, parse_options  # noqa: E402
from inspector.views import PAGES, PICKED_APP, Context, guarded, remember  # noqa: E402
from raystreams.runtime.inspection import InspectionSource  # noqa: E402

REFRESH_CHOICES = (1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


@st.cache_resource(show_spinner=False)
def _source(options: Options) -> InspectionSource:
    # One source (one Ray connection) per server process and options, shared by sessions.
    return load_source(options)


def _sidebar(source: InspectionSource, options: Options, params: dict) -> tuple[str | None, float | None]:
    state = st.session_state
    st.sidebar.title("raystreams inspector")
    apps = guarded(Context(source, None, options.timeout, None, state, params),
                   lambda: source.list_apps(timeout=options.timeout)) or []
    names = [a.application_id for a in apps]
    picked = state.pop(PICKED_APP, None)  # a row clicked on the Applications page
    wanted = picked or state.get("app") or params.get("app") or options.app
    if picked:
        state["app"] = picked
    if wanted and wanted not in names:
        names.append(wanted)  # keep the linked app: its page says why it does not answer
    if names:
        if state.get("app") not in names:
            state["app"] = wanted if wanted in names else names[0]
        app_id = st.sidebar.selectbox("Application", names, key="app")
    else:
        app_id = None
        st.sidebar.caption("No application")
    if "live" not in state and params.get("live") == "off":
        state["live"] = False  # a link to a paused view opens paused
    live = st.sidebar.toggle("Live refresh", value=True, key="live",
                             help="Pause to read a page without it changing under you")
    params_ctx = Context(source, app_id, options.timeout, None, state, params)
    remember(params_ctx, "live", None if live else "off")
    default = options.refresh if options.refresh in REFRESH_CHOICES else 2.0
    refresh = st.sidebar.select_slider("Every (s)", REFRESH_CHOICES, value=default,
                                       key="refresh", disabled=not live)
    st.sidebar.caption("Read-only. Cluster: " + (options.address or "auto"))
    return app_id, (float(refresh) if live else None)


def main(argv: list[str]) -> None:
    st.set_page_config(page_title="raystreams inspector", page_icon=":material/hub:",
                       layout="wide")
    options = parse_options(argv)
    params = st.query_params
    try:
        source = _source(options)
    except Exception as exc:
        st.error(f"The inspector cannot start its source: {exc}")
        return
    app_id, refresh = _sidebar(source, options, params)
    remember_ctx = Context(source, app_id, options.timeout, refresh, st.session_state, params)
    remember(remember_ctx, "app", app_id)
    pages = {}
    for slug, title, render, icon in PAGES:
        def page(render=render) -> None:  # one function per page, bound to its renderer
            render(Context(source, app_id, options.timeout, refresh, st.session_state, params))
        page.__name__ = f"page_{slug}"
        pages[slug] = st.Page(page, title=title, icon=icon, url_path=slug,
                              default=slug == PAGES[0][0])
    current = st.navigation(list(pages.values()))
    # A page is its URL path (/tasks?app=wc&task=1_0); ``?page=tasks`` on the root URL opens
    # it too (AppTest has no URL path for pages that are functions).
    wanted = params.get("page")
    if wanted in pages and current.url_path == "" and pages[wanted] is not current:
        keep = {k: v for k, v in params.to_dict().items() if k != "page"}
        st.switch_page(pages[wanted], query_params=keep)
    current.run()


main(sys.argv[1:])
