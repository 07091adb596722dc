"""The one interactive-query path on the driver and in one task: StoreQueryParameters and
QueryableStoreTypes → composite stores → StoreQueryServer, paged scans, staleness, IQv2."""

from __future__ import annotations

import threading
import time

import pytest

from raystreams import Materialized, Serdes, SessionWindows, StreamsBuilder, TimeWindows
from raystreams.errors import (
    InvalidStateStorePartitionException,
    QueryCursorExpiredException,
    StateStoreNotAvailableException,
    UnknownQueryTypeException,
    UnknownStateStoreException,
)
from raystreams.query import (
    FailureReason,
    KeyQuery,
    LocalStoreProvider,
    QueryableStoreTypes,
    RangeQuery,
    StateQueryRequest,
    StoreQueryParameters,
    StoreQueryServer,
    TimestampedKeyQuery,
    VersionedKeyQuery,
    WindowKeyQuery,
)
from raystreams.state import Stores, ValueAndTimestamp, VersionedRecord
from raystreams.testing import TopologyTestDriver

KV = QueryableStoreTypes.key_value_store()


def params(name, qtype=KV):
    return StoreQueryParameters.from_store_name_and_type(name, qtype)


@pytest.fixture
def driver():
    builder = StreamsBuilder()
    grouped = builder.stream("words").group_by_key()
    grouped.count(Materialized.as_("counts"))
    grouped.windowed_by(TimeWindows.of_size_with_no_grace(10)).count(Materialized.as_("win"))
    grouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5)).count(
        Materialized.as_("sess"))
    builder.table("prices", materialized=Materialized.as_(
        Stores.persistent_versioned_key_value_store("prices-v", 60_000)))
    with TopologyTestDriver(builder.build(), {"application.id": "iq"}) as d:
        words = d.create_input_topic("words")
        for i, word in enumerate(["b", "a", "c", "a", "b", "a"]):
            words.pipe_input(word, "x", i)
        prices = d.create_input_topic("prices")
        prices.pipe_input("apple", "p1", 1_000)
        prices.pipe_input("apple", "p5", 5_000)
        yield d


def test_key_value_store_reads_plain_values_in_key_order(driver):
    store = driver.store(params("counts"))
    assert store.get("a") == 3 and store.get("zzz") is None
    assert list(store.all()) == [("a", 3), ("b", 2), ("c", 1)]
    assert list(store.reverse_all()) == [("c", 1), ("b", 2), ("a", 3)]
    assert list(store.range("b", None)) == [("b", 2), ("c", 1)]
    assert list(store.prefix_scan("a", Serdes.String())) == [("a", 3)]
    assert store.approximate_num_entries() >= 3  # approximate: cache and store both count


def test_timestamped_type_keeps_timestamps_and_wrong_types_are_refused(driver):
    stamped = driver.store(params("counts", QueryableStoreTypes.timestamped_key_value_store()))
    assert stamped.get("a") == ValueAndTimestamp(3, 5)
    with pytest.raises(UnknownQueryTypeException, match="cannot be queried as window_store"):
        driver.store(params("counts", QueryableStoreTypes.window_store())).fetch("a", 0)
    with pytest.raises(UnknownStateStoreException, match="no such store.*counts"):
        driver.store(params("nope"))
    with pytest.raises(InvalidStateStorePartitionException):
        driver.store(params("counts").with_partition(3))


def test_window_session_and_versioned_types(driver):
    win = driver.store(params("win", QueryableStoreTypes.window_store()))
    assert win.fetch("a", 0) == 3
    assert list(win.fetch("a", 0, 100)) == [(0, 3)]
    assert {(w.key, n) for w, n in win.fetch_all(0, 100)} == {("a", 3), ("b", 2), ("c", 1)}
    sess = driver.store(params("sess", QueryableStoreTypes.session_store()))
    assert [(w.key, w.window.start, w.window.end, n) for w, n in sess.fetch("a")] == [
        ("a", 1, 5, 3)]
    versioned = driver.store(params("prices-v", QueryableStoreTypes.versioned_key_value_store()))
    assert versioned.get("apple") == VersionedRecord("p5", 5_000)
    assert versioned.get("apple", 3_000) == VersionedRecord("p1", 1_000, 5_000)


def test_driver_typed_access_uses_the_query_types(driver):
    assert driver.get_key_value_store("counts").get("a") == 3
    assert driver.get_timestamped_key_value_store("counts").get("a") == ValueAndTimestamp(3, 5)
    with pytest.raises(Exception, match="cannot be read as window_store"):
        driver.get_window_store("counts")


def test_scan_pages_carry_a_cursor_and_raw_bytes(driver):
    store = driver.store(params("counts"))
    first = store.scan_page("all", limit=2, raw=True)
    assert [(e.key, e.value, e.task_id) for e in first.entries] == [("a", 3, "0_0"), ("b", 2, "0_0")]
    assert first.entries[0].raw_key == b"a" and first.entries[0].raw_value == (3).to_bytes(8, "big")
    assert first.cursor is not None
    rest = store.scan_page("all", cursor=first.cursor, limit=2)
    assert [e.key for e in rest.entries] == ["c"] and rest.cursor is None
    with pytest.raises(QueryCursorExpiredException):
        store.scan_page("all", cursor=first.cursor)
    answer = store.lookup("get", "a", raw=True)
    assert (answer.value, answer.task_id, answer.stale, answer.raw_key) == (3, "0_0", False, b"a")


def test_iqv2_queries_on_the_driver(driver):
    result = driver.query(StateQueryRequest.in_store("counts").with_query(KeyQuery.with_key("a")))
    only = result.get_only_partition_result()
    assert only.get_result() == 3 and only.task_id == "0_0"
    assert only.position.get_partition_positions("words") == {0: 5}
    stamped = driver.query(StateQueryRequest.in_store("counts").with_query(
        TimestampedKeyQuery.with_key("a"))).get_only_partition_result().get_result()
    assert stamped == ValueAndTimestamp(3, 5)
    ranged = driver.query(StateQueryRequest.in_store("counts").with_query(
        RangeQuery.with_range("a", "b").with_descending_keys()))
    assert list(ranged.get_partition_results()[0].get_result()) == [("b", 2), ("a", 3)]
    window = driver.query(StateQueryRequest.in_store("win").with_query(
        WindowKeyQuery.with_key_and_window_start_range("a", 0, 100)))
    assert list(window.get_only_partition_result().get_result()) == [(0, 3)]
    versioned = driver.query(StateQueryRequest.in_store("prices-v").with_query(
        VersionedKeyQuery.with_key("apple").as_of(3_000)))
    assert versioned.get_only_partition_result().get_result() == VersionedRecord("p1", 1_000, 5_000)
    wrong = driver.query(StateQueryRequest.in_store("counts").with_query(
        WindowKeyQuery.with_key_and_window_start_range("a", 0, 100)))
    assert wrong.get_partition_results()[0].get_failure_reason() is FailureReason.UNKNOWN_QUERY_TYPE
    missing = driver.query(StateQueryRequest.in_store("counts").with_query(KeyQuery.with_key("a"))
                           .with_partitions([0, 4]))
    assert missing.get_partition_results()[4].get_failure_reason() is FailureReason.DOES_NOT_EXIST


# ------------------------------------------------------------------ one task's server


class _Store:
    """A sorted in-memory store with the metered store's read surface, slow on demand."""

    store_kind = "key_value"
    timestamped = False
    name = "s"

    def __init__(self, n):
        self.data = {f"k{i:05d}": i for i in range(n)}
        self.open = True

    def is_open(self):
        return self.open

    def all(self):
        return iter(sorted(self.data.items()))

    def get(self, key):
        return self.data.get(key)


def make_server(store, running=True, **kw):
    state = {"running": running}
    lock = threading.RLock()
    server = StoreQueryServer("1_0", lambda: {"s": store}, lock=lock,
                              running=lambda: state["running"], **kw)
    return server, lock, state


def test_restoring_task_is_stale_and_refused_unless_allowed():
    server, _, state = make_server(_Store(3), running=False)
    provider = LocalStoreProvider(server)
    from raystreams.query.composite import CompositeReadOnlyKeyValueStore

    strict = CompositeReadOnlyKeyValueStore(KV, provider, "s")
    with pytest.raises(StateStoreNotAvailableException, match="restoring.*enable_stale_stores"):
        strict.get("k00001")
    stale = CompositeReadOnlyKeyValueStore(KV, provider, "s", stale_ok=True)
    answer = stale.lookup("get", "k00001")
    assert answer.value == 1 and answer.stale
    page = stale.scan_page("all", limit=10)
    assert page.stale_tasks == ("1_0",) and all(e.stale for e in page.entries)
    # IQv2: a restoring task answers unless require_active(), then NOT_ACTIVE
    request = StateQueryRequest.in_store("s").with_query(KeyQuery.with_key("k00002"))
    from raystreams.query import run_state_query

    assert run_state_query(provider, request).get_only_partition_result().stale
    refused = run_state_query(provider, request.require_active()).get_partition_results()[0]
    assert refused.get_failure_reason() is FailureReason.NOT_ACTIVE
    state["running"] = True
    assert not strict.lookup("get", "k00001").stale


def test_idle_cursors_expire_and_the_open_count_is_bounded():
    now = [0.0]
    server, _, _ = make_server(_Store(100), clock=lambda: now[0], idle_s=10, max_open=2)
    kv = KV
    pages = [server.page("s", kv, "all", (), limit=5) for _ in range(3)]
    assert server.open_cursors() == 2  # the oldest was closed
    with pytest.raises(QueryCursorExpiredException):
        server.page("s", cursor=pages[0].cursor)
    assert server.page("s", cursor=pages[2].cursor, limit=5).entries[0].key == "k00005"
    now[0] = 11.0
    with pytest.raises(QueryCursorExpiredException, match="expired"):
        server.page("s", cursor=pages[2].cursor)


def test_a_slow_scan_holds_the_processing_lock_one_page_at_a_time():
    """A reader paging slowly through 20,000 entries never keeps the 'processing' thread from
    the lock for longer than reading one page: processing goes on during the whole scan."""
    server, lock, _ = make_server(_Store(20_000))
    waits, batches, stop = [], [0], threading.Event()

    def process():  # the task loop: one short batch under the lock, again and again
        while not stop.is_set():
            asked = time.monotonic()
            with lock:
                waits.append(time.monotonic() - asked)
                batches[0] += 1
            time.sleep(0.001)

    worker = threading.Thread(target=process)
    worker.start()
    try:
        started = time.monotonic()
        page = server.page("s", KV, "all", (), limit=500)
        read, page_times = len(page.entries), []
        during = batches[0]
        while page.cursor is not None:
            time.sleep(0.01)  # a slow client between pages
            t = time.monotonic()
            page = server.page("s", cursor=page.cursor, limit=500)
            page_times.append(time.monotonic() - t)
            read += len(page.entries)
        scan_s = time.monotonic() - started
        batches_during_scan = batches[0] - during
    finally:
        stop.set()
        worker.join()
    assert read == 20_000
    assert batches_during_scan >= 20  # processing ran between the pages
    # no batch waited longer than a page takes (plus scheduling slack on a busy machine)
    assert max(waits) < max(page_times) + 0.25 < scan_s
