"""The inspector's pages: plain functions that render an ``InspectionSource`` with Streamlit.

Each page takes a ``Context`` (the source, the chosen app, the timeout, the session state and
the URL's query parameters), so AppTest drives every page against a fake source. Live parts
run in ``@st.fragment(run_every=...)`` (``live``); AppTest cannot tick those, so everything a
fragment draws is a plain function called once per full run as well. Pages only read: the
source has no call that changes an app, and typed keys are parsed as data.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import shutil
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from raystreams.runtime.inspection import (
    AppSnapshot,
    EntryPage,
    InspectionError,
    InspectionSource,
    KeyLookup,
    NoClusterError,
    StoreInfo,
    TaskInfo,
    UnknownAppError,
    busy_level,
    to_dot,
    topic_lag,
)
from raystreams.runtime.inspection_trends import (
    GROWING_POLLS,
    LagHistory,
    rank_bottlenecks,
)

#: the URL's query parameters that reopen a view
URL_KEYS = ("app", "task", "store")
PAGE_SIZES = (10, 25, 100, 500)


@dataclass
class Context:
    """What every page renders from."""

    source: InspectionSource
    app_id: str | None
    timeout: float
    #: seconds between live refreshes; None while paused
    refresh_s: float | None
    state: MutableMapping[str, Any]
    params: MutableMapping[str, Any]


# --------------------------------------------------------------------------- formatting


def fmt_time(epoch_s: float | None) -> str:
    if epoch_s is None:
        return ""
    return dt.datetime.fromtimestamp(epoch_s, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def fmt_ms(epoch_ms: int | None) -> str:
    return "" if epoch_ms is None else fmt_time(epoch_ms / 1000)


def fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def fmt_bytes(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def show_value(value: Any) -> str:
    """A decoded key or value as text: strings as they are, JSON-able data as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return hex_bytes(value)
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)


def hex_bytes(data: bytes | None) -> str:
    return "" if data is None else data.hex(" ")


def parse_time(text: str) -> int | None:
    """Epoch ms from ``text``: an integer (epoch ms) or an ISO-8601 time (UTC unless given)."""
    text = text.strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise InspectionError(f"{text!r} is neither epoch ms nor an ISO-8601 time") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1000)


# --------------------------------------------------------------------------- errors, live parts


def show_error(exc: BaseException, timeout: float) -> None:
    """A message instead of a traceback: what is wrong and what to do."""
    if isinstance(exc, NoClusterError):
        st.error(f"No Ray cluster answers: {exc}. Start one (`ray start --head`) and an app "
                 "(`raystreams run APP.py`), or point the inspector at a running cluster: "
                 "`raystreams inspect --address ray://HOST:10001`.")
    elif isinstance(exc, UnknownAppError):
        st.warning(f"{exc}. Pick an app in the sidebar.")
    elif isinstance(exc, TimeoutError):
        st.warning(f"The cluster did not answer within {timeout:g} s; trying again on the "
                   "next refresh.")
    elif isinstance(exc, InspectionError):
        st.error(str(exc))
    else:
        st.error(f"The inspector could not read the cluster: {type(exc).__name__}: {exc}")


#: seconds a source may overrun its timeout before the page stops waiting for it
DEADLINE_GRACE_S = 1.0
# Source calls run here, so a source that ignores its timeout cannot hang a page: the page
# stops waiting at the deadline (the stuck call finishes, or not, on its own thread).
_CALLS = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="inspector")


def guarded(ctx: Context, call: Callable[[], Any]) -> Any:
    """``call()`` within the timeout (plus a grace), or None after showing why it failed."""
    try:
        return _CALLS.submit(call).result(timeout=ctx.timeout + DEADLINE_GRACE_S)
    except concurrent.futures.TimeoutError:
        show_error(TimeoutError(), ctx.timeout)
        return None
    except Exception as exc:
        show_error(exc, ctx.timeout)
        return None


def fetch_snapshot(ctx: Context) -> AppSnapshot | None:
    if ctx.app_id is None:
        return None
    snap = guarded(ctx, lambda: ctx.source.snapshot(ctx.app_id, timeout=ctx.timeout))
    if snap is not None and snap.partial:
        st.warning("Partial snapshot: " + "; ".join(snap.problems or ("some parts did not answer",)))
    return snap


def live(ctx: Context, body: Callable[[Context, AppSnapshot], None] | Callable[[Context], None],
         *, snapshot: bool = True, min_interval_s: float = 0.0) -> None:
    """Render ``body`` now and, unless paused, again every ``refresh_s`` (at least every
    ``min_interval_s``): with a fresh snapshot of the app, or (``snapshot=False``) to fetch
    what it needs itself."""
    run_every = (None if ctx.refresh_s is None
                 else dt.timedelta(seconds=max(ctx.refresh_s, min_interval_s)))

    @st.fragment(run_every=run_every)
    def tick() -> None:
        if not snapshot:
            body(ctx)  # type: ignore[call-arg]
            return
        snap = fetch_snapshot(ctx)
        if snap is not None:
            body(ctx, snap)  # type: ignore[call-arg]

    tick()


def require_app(ctx: Context) -> bool:
    if ctx.app_id is None:
        st.info("No application chosen: pick one in the sidebar or on the Applications page.")
        return False
    return True


def remember(ctx: Context, name: str, value: Any) -> None:
    """Put a choice in the URL so a link reopens the same view."""
    if value is None:
        ctx.params.pop(name, None)
    elif ctx.params.get(name) != str(value):
        ctx.params[name] = str(value)


def keep_choice(ctx: Context, key: str, options: list[str]) -> None:
    """Seed a widget's choice from the URL, dropping one that is no longer an option."""
    if key not in ctx.state and ctx.params.get(key) in options:
        ctx.state[key] = ctx.params[key]
    if key in ctx.state and ctx.state[key] not in options:
        del ctx.state[key]


# --------------------------------------------------------------------------- Applications


def applications_page(ctx: Context) -> None:
    st.header("Applications")
    live(ctx, _applications_live, snapshot=False)


#: session key of an app picked in the Applications table, for the sidebar to take up
PICKED_APP = "picked_app"


def _pick_app(ctx: Context, apps: list[str]) -> None:
    selection = ctx.state.get("apps_table")
    rows = selection.selection.rows if selection is not None else []
    if rows:
        ctx.state[PICKED_APP] = apps[rows[0]]


def _applications_live(ctx: Context) -> None:
    if ctx.state.get(PICKED_APP) not in (None, ctx.app_id):
        st.rerun()  # the whole page: the sidebar and every page follow the picked app
    apps = guarded(ctx, lambda: ctx.source.list_apps(timeout=ctx.timeout))
    if apps is None:
        return
    if not apps:
        st.info("No raystreams app runs on this cluster. Start one with "
                "`raystreams run examples/wordcount.py` and it appears here.")
        return
    rows = [{"Application": a.application_id, "State": a.state, "Tasks": a.tasks,
             "Running": a.running_tasks, "Failed": a.failed_tasks,
             "Records/s": a.records_per_s, "Total lag": a.total_lag, "Error": a.error or ""}
            for a in apps]
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="apps_table",
                 on_select=lambda: _pick_app(ctx, [a.application_id for a in apps]),
                 selection_mode="single-row",
                 column_config={"Records/s": st.column_config.NumberColumn(format="%.1f")})
    if ctx.app_id is not None:
        snap = fetch_snapshot(ctx)
        if snap is not None:
            _app_details(snap)


def _app_details(snap: AppSnapshot) -> None:
    st.subheader(snap.application_id)
    cols = st.columns(4)
    cols[0].metric("State", snap.state)
    cols[1].metric("Tasks", f"{sum(t.state == 'RUNNING' for t in snap.tasks)}/{len(snap.tasks)} running")
    rate = snap.records_in_per_s
    cols[2].metric("Records/s in", "–" if rate is None else f"{rate:,.1f}")
    lag = snap.total_lag
    cols[3].metric("Total lag", "–" if lag is None else f"{lag:,}")
    if snap.error:
        st.error(snap.error)
    if snap.config:
        st.caption("Configuration")
        st.dataframe(pd.DataFrame(list(snap.config), columns=["Key", "Value"]), hide_index=True,)


# --------------------------------------------------------------------------- Topology


def topology_page(ctx: Context) -> None:
    st.header("Topology")
    if not require_app(ctx):
        return
    live(ctx, _topology_live, min_interval_s=TOPOLOGY_MIN_REFRESH_S)
    snap = guarded(ctx, lambda: ctx.source.snapshot(ctx.app_id, timeout=ctx.timeout))
    if snap is not None:
        _topology_text(snap)


#: the browser lays the graph out again on every change (d3-graphviz): a slow machine needs
#: time to finish one drawing before the next arrives
TOPOLOGY_MIN_REFRESH_S = 5.0


def topology_dot(snap: AppSnapshot) -> str:
    return to_dot(snap.topology, snap.tasks, snap.processors)


def _topology_live(ctx: Context, snap: AppSnapshot) -> None:
    st.graphviz_chart(topology_dot(snap), width="stretch")
    st.caption("Fill: busiest task's busy ratio (Flink's levels): green ≤ 10 %, orange ≤ 50 %, "
               "red above; white: not measured. Edges from repartition topics carry their lag.")
    lags = topic_lag(snap.tasks)
    topics = [{"Topic": t.name, "Kind": t.kind, "Partitions": t.partitions,
               "Lag": lags.get(t.name)} for t in snap.topology.topics]
    tables = st.columns(2)
    tables[0].dataframe(pd.DataFrame(topics), hide_index=True)
    stores = []
    for store in snap.topology.stores:
        metrics = snap.store_metrics(store.name)
        entries = [m.approx_entries for m in metrics if m.approx_entries is not None]
        size = [m.bytes_on_disk for m in metrics if m.bytes_on_disk is not None]
        stores.append({"Store": store.name, "Type": store.store_type,
                       "Sub-topology": store.subtopology, "Global": store.is_global,
                       "Changelog": store.changelog_topic or store.source_topic or "",
                       "Entries (approx.)": sum(entries) if entries else None,
                       "On disk": fmt_bytes(sum(size)) if size else ""})
    tables[1].dataframe(pd.DataFrame(stores), hide_index=True)


@st.cache_data(show_spinner=False, max_entries=16)
def dot_to_svg(dot: str) -> bytes:
    import graphviz

    return graphviz.Source(dot).pipe(format="svg")


def _topology_text(snap: AppSnapshot) -> None:
    dot = topology_dot(snap)
    name = snap.application_id
    buttons = st.columns([1, 1, 4])
    buttons[0].download_button("Download DOT", dot, file_name=f"{name}-topology.dot",
                               mime="text/vnd.graphviz", key="download_dot")
    if shutil.which("dot") is not None:
        buttons[1].download_button("Download SVG", lambda: dot_to_svg(dot),
                                   file_name=f"{name}-topology.svg", mime="image/svg+xml",
                                   key="download_svg")
    else:
        buttons[1].caption("SVG download needs Graphviz's `dot` (apt-get install graphviz).")
    with st.expander("`Topology.describe()`", expanded=True):
        st.code(snap.topology.description, language=None)


# --------------------------------------------------------------------------- Tasks


def lag_history(ctx: Context, app_id: str) -> LagHistory:
    """The lag history of ``app_id``, kept in the session while the page is open."""
    histories = ctx.state.setdefault("lag_history", {})
    return histories.setdefault(app_id, LagHistory())


def tasks_page(ctx: Context) -> None:
    st.header("Tasks")
    if not require_app(ctx):
        return
    live(ctx, _tasks_live)


def task_rows(snap: AppSnapshot, history: LagHistory) -> list[dict[str, Any]]:
    rows = []
    for t in snap.tasks:
        trend = history.trend(t.task_id)
        restore = t.restore
        # What says whether a task keeps up comes first; where it runs after.
        rows.append({
            "Task": t.task_id, "State": t.state,
            "In state": fmt_duration(t.time_in_state(snap.taken_at)),
            "Lag": t.lag_records, "Lag trend": history.series(t.task_id),
            "Lag time": fmt_duration(t.lag_ms / 1000) if t.lag_ms is not None else "",
            "Catch-up ETA": fmt_duration(trend.eta_s) if trend.eta_s else "",
            "Busy": t.busy_ratio, "In/s": t.records_in_per_s, "Out/s": t.records_out_per_s,
            "Commit ms": t.commit_latency_ms, "Restarts": t.restarts,
            "Restore": restore.fraction if restore is not None else None,
            "Restore ETA": fmt_duration(restore.eta_s) if restore and not restore.done else "",
            "Node": t.node_id or "", "Actor": t.actor_name or t.actor_id or "",
            "PID": t.pid, "Incarnation": t.incarnation,
            "Last error": str(t.last_error) if t.last_error else "",
        })
    return rows


def _tasks_live(ctx: Context, snap: AppSnapshot) -> None:
    history = lag_history(ctx, snap.application_id)
    history.add(snap)
    growing = history.growing()
    if growing:
        details = ", ".join(f"{tid} (+{history.trend(tid).rate_per_s:,.1f} records/s)"
                            for tid in growing)
        st.warning(f"Lag grew on each of the last {GROWING_POLLS} polls: {details}.")
    st.dataframe(pd.DataFrame(task_rows(snap, history)), hide_index=True,
                 column_config={
                     "Lag trend": st.column_config.LineChartColumn("Lag trend", y_min=0),
                     "Busy": st.column_config.ProgressColumn("Busy", format="percent",
                                                             min_value=0.0, max_value=1.0),
                     "Restore": st.column_config.ProgressColumn("Restore", format="percent",
                                                                min_value=0.0, max_value=1.0),
                     "In/s": st.column_config.NumberColumn(format="%.1f"),
                     "Out/s": st.column_config.NumberColumn(format="%.1f"),
                     "Commit ms": st.column_config.NumberColumn(format="%.1f")})
    _bottlenecks(snap, history)
    _task_detail(ctx, snap)


BOTTLENECK_TITLES = {"busy": "Busiest", "lag_growth": "Fastest-growing lag",
                     "skew": "Partition skew", "restarts": "Most restarts"}


def _bottlenecks(snap: AppSnapshot, history: LagHistory) -> None:
    st.subheader("Bottlenecks")
    ranking = rank_bottlenecks(snap, history)
    for col, (kind, title) in zip(st.columns(4), BOTTLENECK_TITLES.items(), strict=True):
        with col:
            st.caption(title)
            items = ranking[kind]
            if items:
                st.dataframe(pd.DataFrame([{"Task": b.task_id, title: b.detail} for b in items]),
                             hide_index=True)
            else:
                st.write("none")


def _task_detail(ctx: Context, snap: AppSnapshot) -> None:
    ids = [t.task_id for t in snap.tasks]
    if not ids:
        return
    keep_choice(ctx, "task", ids)
    task_id = st.selectbox("Task", ids, key="task")
    remember(ctx, "task", task_id)
    task = snap.task(task_id)
    _show_task(task, snap.taken_at)


def _show_task(task: TaskInfo, now: float) -> None:
    level = busy_level(task.busy_ratio)
    st.markdown(f"**Task {task.task_id}**: {task.state} for "
                f"{fmt_duration(task.time_in_state(now))} on node `{task.node_id}`, actor "
                f"`{task.actor_name or task.actor_id}` (pid {task.pid}), incarnation "
                f"{task.incarnation}, {task.restarts} restarts"
                + (f", busy {task.busy_ratio:.0%} ({level})" if task.busy_ratio is not None else ""))
    parts = [{"Topic": p.topic, "Partition": p.partition, "Committed": p.committed,
              "End offset": p.end_offset, "Lag": p.records_behind,
              "Lag time": fmt_duration(p.lag_ms / 1000) if p.lag_ms is not None else ""}
             for p in task.partitions]
    st.dataframe(pd.DataFrame(parts), hide_index=True)
    if task.restore is not None and not task.restore.done:
        r = task.restore
        st.progress(r.fraction, text=f"Restoring: {r.records_restored:,} of "
                                     f"{r.records_to_restore:,} records, ETA "
                                     f"{fmt_duration(r.eta_s) or 'unknown'}")
    if task.standbys:
        st.dataframe(pd.DataFrame([{"Standby": s.location.replica, "Node": s.location.node_id,
                                    "Actor": s.location.actor_name, "Running": s.running,
                                    "Lag": s.lag_records, "Promotions": s.promotions}
                                   for s in task.standbys]),
                     hide_index=True)
    if task.last_error is not None:
        err = task.last_error
        where = ", ".join(f"{k} {v}" for k, v in (("processor", err.processor),
                                                  ("topic", err.topic),
                                                  ("partition", err.partition),
                                                  ("offset", err.offset)) if v is not None)
        st.error(f"Last error ({fmt_time(err.at)}): {err}" + (f" [{where}]" if where else ""))
        if err.traceback:
            st.code(err.traceback, language=None)


# --------------------------------------------------------------------------- State


QUERY_KINDS: dict[str, tuple[str, ...]] = {
    "key_value": ("Key", "Range", "Prefix", "All"),
    "timestamped_key_value": ("Key", "Range", "Prefix", "All"),
    "versioned": ("Key",),
    "window": ("Window fetch", "All"),
    "timestamped_window": ("Window fetch", "All"),
    "session": ("Session fetch", "All"),
}


def state_page(ctx: Context) -> None:
    st.header("State")
    if not require_app(ctx):
        return
    snap = guarded(ctx, lambda: ctx.source.snapshot(ctx.app_id, timeout=ctx.timeout))
    if snap is None:
        return
    stores = [s.name for s in snap.topology.stores]
    if not stores:
        st.info(f"{snap.application_id} has no state stores.")
        return
    keep_choice(ctx, "store", stores)
    name = st.selectbox("Store", stores, key="store")
    remember(ctx, "store", name)
    store = snap.topology.store(name)
    _store_summary(snap, store)
    kinds = QUERY_KINDS.get(store.store_type, ("All",))
    cols = st.columns([3, 1, 1])
    kind = cols[0].radio("Query", kinds, horizontal=True, key=f"query_kind_{store.store_type}")
    limit = cols[1].selectbox("Page size", PAGE_SIZES, index=1, key="page_size")
    raw = cols[2].toggle("Raw bytes", key="raw", help="Show the stored bytes beside the "
                                                      "values decoded with the store's serdes")
    request = _query_form(store, kind)
    if request is not None:
        ctx.state["state_request"] = {"store": name, **request}
        ctx.state["state_cursors"] = [None]
    current = ctx.state.get("state_request")
    if current is not None and current["store"] == name and current["kind"] in kinds:
        _run_query(ctx, store, current, int(limit), bool(raw))


def _store_summary(snap: AppSnapshot, store: StoreInfo) -> None:
    where = (f"changelog `{store.changelog_topic}`" if store.changelog_topic
             else f"restored from `{store.source_topic}`" if store.source_topic else "not logged")
    st.caption(f"{store.store_type} store of sub-topology {store.subtopology}"
               f"{' (global)' if store.is_global else ''}; keys {store.key_serde or 'default'}, "
               f"values {store.value_serde or 'default'}; {where}")
    metrics = snap.store_metrics(store.name)
    if metrics:
        st.dataframe(pd.DataFrame([{"Task": m.task_id, "Entries (approx.)": m.approx_entries,
                                    "On disk": fmt_bytes(m.bytes_on_disk)} for m in metrics]),
                     hide_index=True)


def _query_form(store: StoreInfo, kind: str) -> dict[str, Any] | None:
    """The query form for ``kind``; the request when submitted."""
    with st.form(f"query_{kind}"):
        request: dict[str, Any] = {"kind": kind}
        if kind == "Key":
            request["key"] = st.text_input(f"Key ({store.key_serde or 'String'})", key="key")
            if store.store_type == "versioned":
                request["as_of"] = st.text_input("As of (epoch ms or ISO time; empty: latest)")
        elif kind == "Range":
            request["start"] = st.text_input("From key (empty: first)")
            request["end"] = st.text_input("To key, inclusive (empty: last)")
        elif kind == "Prefix":
            request["prefix"] = st.text_input("Key prefix")
        elif kind == "Window fetch":
            request["key"] = st.text_input("Key", key="window_key")
            request["time_from"] = st.text_input("Windows starting from (epoch ms or ISO time)",
                                                 value="0")
            request["time_to"] = st.text_input("to (empty: now)")
        elif kind == "Session fetch":
            request["key"] = st.text_input("Key", key="session_key")
            request["earliest_end"] = st.text_input("Sessions ending at or after (empty: any)")
            request["latest_start"] = st.text_input("Sessions starting at or before (empty: any)")
        submitted = st.form_submit_button("Look up" if kind == "Key" else "Query")
    return request if submitted else None


def _page_back(ctx: Context) -> None:
    cursors = ctx.state.get("state_cursors", [None])
    if len(cursors) > 1:
        cursors.pop()


def _page_next(ctx: Context, cursor: str) -> None:
    ctx.state.setdefault("state_cursors", [None]).append(cursor)


def _run_query(ctx: Context, store: StoreInfo, request: dict[str, Any], limit: int,
               raw: bool) -> None:
    src, app, name, timeout = ctx.source, ctx.app_id, store.name, ctx.timeout
    kind = request["kind"]
    if kind == "Key":
        as_of = request.get("as_of") or ""
        lookup = guarded(ctx, lambda: src.get_key(
            app, name, request["key"], raw=raw, as_of_timestamp=parse_time(as_of),
            timeout=timeout))
        if lookup is not None:
            show_lookup(lookup, raw)
        return
    if ctx.state.get("state_limit") != limit:  # a new page size starts from the first page
        ctx.state["state_limit"] = limit
        ctx.state["state_cursors"] = [None]
    cursors = ctx.state.setdefault("state_cursors", [None])
    cursor = cursors[-1]
    calls: dict[str, Callable[[], EntryPage]] = {
        "All": lambda: src.scan(app, name, kind="all", cursor=cursor, limit=limit, raw=raw,
                                timeout=timeout),
        "Range": lambda: src.scan(app, name, kind="range", start=request["start"] or None,
                                  end=request["end"] or None, cursor=cursor, limit=limit,
                                  raw=raw, timeout=timeout),
        "Prefix": lambda: src.scan(app, name, kind="prefix", prefix=request["prefix"],
                                   cursor=cursor, limit=limit, raw=raw, timeout=timeout),
        "Window fetch": lambda: src.fetch_window(
            app, name, request["key"], parse_time(request["time_from"]) or 0,
            parse_time(request["time_to"]) or int(dt.datetime.now(dt.UTC).timestamp() * 1000),
            cursor=cursor, limit=limit, raw=raw, timeout=timeout),
        "Session fetch": lambda: src.fetch_session(
            app, name, request["key"], earliest_session_end=parse_time(request["earliest_end"]) or 0,
            latest_session_start=parse_time(request["latest_start"]), cursor=cursor,
            limit=limit, raw=raw, timeout=timeout),
    }
    page = guarded(ctx, calls[kind])
    if page is None:
        return
    show_page(page, raw, windowed=store.store_type in ("window", "timestamped_window",
                                                        "session"))
    nav = st.columns([1, 1, 4])
    nav[0].button("Previous page", disabled=len(cursors) <= 1, key="page_prev",
                  on_click=_page_back, args=(ctx,))
    if page.next_cursor is not None:
        nav[1].button("Next page", key="page_next", on_click=_page_next,
                      args=(ctx, page.next_cursor))
    nav[2].caption(f"Page {len(cursors)}: {len(page.entries)} entries"
                   + ("" if page.next_cursor else " (last page)"))


def show_lookup(lookup: KeyLookup, raw: bool) -> None:
    route = lookup.route
    active = route.active
    st.markdown(
        f"**Route**: key `{route.key}` → partition **{route.partition}** → task "
        f"**{route.task_id}** → actor `{active.actor_name or active.actor_id}` → node "
        f"`{active.node_id}`")
    if route.standbys:
        st.markdown("Standbys: " + ", ".join(
            f"`{s.actor_name or s.actor_id}` on node `{s.node_id}`" for s in route.standbys))
    if lookup.stale:
        st.warning(f"Answered by task {lookup.answered_by} while it restores its state: the "
                   "value may be behind (stale).")
    else:
        st.caption(f"Answered by task {lookup.answered_by}.")
    if not lookup.found:
        st.info(f"No value for key `{route.key}` in {route.store}.")
        return
    st.markdown("**Value**")
    st.code(show_value(lookup.value), language=None)
    if lookup.timestamp is not None:
        st.caption(f"timestamp {lookup.timestamp} ({fmt_ms(lookup.timestamp)} UTC)")
    if raw:
        st.markdown("**Raw bytes**")
        st.code(f"key:   {hex_bytes(lookup.raw_key)}\nvalue: {hex_bytes(lookup.raw_value)}",
                language=None)


def show_page(page: EntryPage, raw: bool, *, windowed: bool) -> None:
    if page.partial:
        st.warning("Partial page: " + "; ".join(page.problems or ("some tasks did not answer",)))
    if page.stale_tasks:
        st.warning("Entries from restoring tasks (" + ", ".join(page.stale_tasks)
                   + ") are marked stale: they may be behind.")
    if not page.entries:
        st.info("No entries.")
        return
    rows = []
    for e in page.entries:
        row: dict[str, Any] = {"Key": show_value(e.key), "Value": show_value(e.value)}
        if windowed:
            row["Window start"] = fmt_ms(e.window_start)
            row["Window end"] = fmt_ms(e.window_end)
        row["Task"] = e.task_id
        row["Stale"] = e.stale
        if raw:
            row["Raw key"] = hex_bytes(e.raw_key)
            row["Raw value"] = hex_bytes(e.raw_value)
        rows.append(row)
    st.dataframe(pd.DataFrame(rows), hide_index=True)


# --------------------------------------------------------------------------- Events


def events_page(ctx: Context) -> None:
    st.header("Events")
    if not require_app(ctx):
        return
    live(ctx, _events_live)


def _events_live(ctx: Context, snap: AppSnapshot) -> None:
    events = sorted(snap.events, key=lambda e: e.at, reverse=True)
    if not events:
        st.info("No restarts, moves or promotions yet.")
        return
    rows = [{"Time (UTC)": fmt_time(e.at), "Event": e.kind, "Task": e.task_id or "",
             "Incarnation": e.incarnation, "Node": e.node_id or "",
             "From node": e.from_node_id or "", "Cause": e.cause or "",
             "Restore": fmt_duration(e.restore_duration_s), "Detail": e.detail or ""}
            for e in events]
    timeline = pd.DataFrame({"time": [dt.datetime.fromtimestamp(e.at, dt.UTC) for e in events],
                             "task": [e.task_id or "app" for e in events],
                             "event": [e.kind for e in events]})
    st.scatter_chart(timeline, x="time", y="task", color="event", height=220)
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    for e in events:
        if e.error is not None and e.error.traceback:
            with st.expander(f"{fmt_time(e.at)} {e.kind} {e.task_id}: {e.error}"):
                st.code(e.error.traceback, language=None)


# --------------------------------------------------------------------------- the shell


PAGES: tuple[tuple[str, str, Callable[[Context], None], str], ...] = (
    ("applications", "Applications", applications_page, ":material/apps:"),
    ("topology", "Topology", topology_page, ":material/account_tree:"),
    ("tasks", "Tasks", tasks_page, ":material/view_list:"),
    ("state", "State", state_page, ":material/database:"),
    ("events", "Events", events_page, ":material/history:"),
)
