"""The live source's error paths, on a fake Ray (a hung or dead supervisor, no cluster, a
restoring task cannot be produced on demand by a real one): every call answers within its
timeout and says what did not answer. Its real run is tests/integration/test_inspector_live.py.
"""

from __future__ import annotations

import pytest
import ray
from ray import exceptions as ray_exceptions

from raystreams.errors import (
    InspectionException,
    NoClusterException,
    UnknownApplicationException,
)
from raystreams.runtime.app_snapshot import SnapshotKeeper, SupervisedTask
from raystreams.runtime.inspection import (
    TopologyModel,
)
from raystreams.runtime.ray_inspection import RayInspectionSource

T0 = 1_800_000_000.0


def model() -> TopologyModel:
    from raystreams import Materialized, StreamsBuilder

    builder = StreamsBuilder()
    builder.stream("lines").group_by_key().count(Materialized.as_("counts"))
    return TopologyModel.from_topology(builder.build(), "wc", {"lines": 2})


def app_snapshot(app: str, task_state: str = "RUNNING"):
    keeper = SnapshotKeeper(app, model())
    tasks = [SupervisedTask(f"0_{p}", task_state, T0, 0, 0, "node-1", f"{app}.task.0_{p}.0")
             for p in range(2)]
    return keeper.snapshot("RUNNING", tasks, now=T0)


class Ref:
    def __init__(self, value=None, *, hangs: bool = False, error: Exception | None = None):
        self.value, self.hangs, self.error = value, hangs, error


class Method:
    def __init__(self, answer):
        self.answer = answer

    def remote(self, *args, **kwargs) -> Ref:
        return self.answer(*args, **kwargs) if callable(self.answer) else self.answer


class Actor:
    def __init__(self, **methods):
        for name, answer in methods.items():
            setattr(self, name, Method(answer))


class FakeRay:
    """What the source calls of ``ray``: named actors, ``get``/``wait`` with timeouts."""

    exceptions = ray_exceptions

    def __init__(self, actors: dict[tuple[str, str], Actor]) -> None:
        self.actors = actors
        self.cancelled: list[Ref] = []

    def get_actor(self, name: str, namespace: str | None = None) -> Actor:
        for (ns, actor_name), actor in self.actors.items():
            if actor_name == name and namespace in (None, ns):
                return actor
        raise ValueError(f"Failed to look up actor with name '{name}'")

    def get(self, ref: Ref, timeout: float | None = None):
        if ref.hangs:
            raise ray_exceptions.GetTimeoutError(f"Get timed out: {timeout}")
        if ref.error is not None:
            raise ref.error
        return ref.value

    def wait(self, refs, num_returns: int = 1, timeout: float | None = None):
        ready = [r for r in refs if not r.hangs]
        return ready, [r for r in refs if r.hangs]

    def cancel(self, ref: Ref) -> None:
        self.cancelled.append(ref)


def source(actors: dict[tuple[str, str], Actor], registered: list[tuple[str, str]],
           monkeypatch: pytest.MonkeyPatch) -> RayInspectionSource:
    src = RayInspectionSource("fake:6379")
    src._ray = FakeRay(actors)
    monkeypatch.setattr(src, "_registered", lambda: list(registered))
    return src


def test_a_hung_supervisor_is_named_instead_of_hanging_the_page(monkeypatch):
    src = source({("raystreams", "wc"): Actor(snapshot=Ref(hangs=True))},
                 [("raystreams", "wc")], monkeypatch)
    with pytest.raises(InspectionException, match=r"the supervisor of wc did not answer within 0\.5 s"):
        src.snapshot("wc", timeout=0.5)
    assert src._ray.cancelled  # the call is not left running


def test_list_apps_answers_for_the_apps_that_answer_and_names_the_others(monkeypatch):
    actors = {("raystreams", "wc"): Actor(snapshot=Ref(app_snapshot("wc"))),
              ("team-b", "fraud"): Actor(snapshot=Ref(hangs=True))}
    # "gone" is still listed but its supervisor died with its driver: not shown
    src = source(actors, [("raystreams", "wc"), ("team-b", "fraud"), ("raystreams", "gone")],
                 monkeypatch)
    apps = {a.application_id: a for a in src.list_apps(timeout=1.0)}
    assert set(apps) == {"wc", "fraud"}
    assert (apps["wc"].state, apps["wc"].tasks, apps["wc"].namespace) == ("RUNNING", 2,
                                                                          "raystreams")
    assert apps["fraud"].state == "UNKNOWN"
    assert apps["fraud"].error == "its supervisor did not answer within 1.0 s"


def test_an_unknown_app_names_the_running_ones(monkeypatch):
    src = source({("raystreams", "wc"): Actor()}, [("raystreams", "wc")], monkeypatch)
    with pytest.raises(UnknownApplicationException, match=r"no raystreams app 'nope'.*running: wc"):
        src.snapshot("nope", timeout=1.0)


def test_a_dead_supervisor_is_an_inspection_error(monkeypatch):
    died = ray_exceptions.RayActorError()
    src = source({("raystreams", "wc"): Actor(snapshot=Ref(error=died))},
                 [("raystreams", "wc")], monkeypatch)
    with pytest.raises(InspectionException, match="the supervisor of wc is gone"):
        src.snapshot("wc", timeout=1.0)


def test_no_cluster_is_a_clear_error(monkeypatch):
    def refuse(**kwargs):
        raise ConnectionError("Could not find any running Ray instance.")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", refuse)
    src = RayInspectionSource("auto")
    with pytest.raises(NoClusterException, match="no Ray cluster at auto: ConnectionError"):
        src.list_apps(timeout=1.0)


class FakeRouter:
    """The query path's ``StoreProvider`` (a ``TaskRouter`` on a real cluster)."""

    def __init__(self, answer) -> None:
        self.answer = answer
        self.calls = []
        self.timeout_s = 30.0

    def partitions(self, store):
        return [0, 1]

    def partition_for_key(self, store, key, key_serde=None):
        return 1

    def call(self, store, partition, qtype, method, args, *, stale_ok, raw=False):
        self.calls.append((store, partition, qtype.kind, method, args, stale_ok, raw))
        return self.answer


def test_a_key_lookup_goes_through_the_query_path_and_shows_its_route(monkeypatch):
    from raystreams.query.server import TaskAnswer
    from raystreams.state.types import ValueAndTimestamp

    router = FakeRouter(TaskAnswer(ValueAndTimestamp(7, 1234), "0_1", stale=True,
                                   raw_key=b"fox", raw_value=b"\x00"))
    src = source({("raystreams", "wc"): Actor(snapshot=Ref(app_snapshot("wc", "RESTORING")))},
                 [("raystreams", "wc")], monkeypatch)
    src._routers["wc"] = router
    lookup = src.get_key("wc", "counts", "fox", raw=True, timeout=1.0)
    [(store, partition, kind, method, args, stale_ok, raw)] = router.calls
    assert (store, partition, method, args, stale_ok, raw) == ("counts", 1, "get", ("fox",),
                                                               True, True)
    assert (lookup.found, lookup.value, lookup.timestamp, lookup.answered_by) == (
        True, 7, 1234, "0_1")
    assert lookup.stale  # the task was restoring: its answer may be behind
    assert (lookup.route.partition, lookup.route.task_id, lookup.route.active.actor_name) == (
        1, "0_1", "wc.task.0_1.0")
    assert (lookup.raw_key, lookup.raw_value) == (b"fox", b"\x00")


def test_a_query_that_fails_is_a_message(monkeypatch):
    from raystreams.errors import StateStoreNotAvailableException

    class Failing(FakeRouter):
        def call(self, *args, **kwargs):
            raise StateStoreNotAvailableException("task 0_1 is not running; retry")

    src = source({("raystreams", "wc"): Actor(snapshot=Ref(app_snapshot("wc")))},
                 [("raystreams", "wc")], monkeypatch)
    src._routers["wc"] = Failing(None)
    with pytest.raises(InspectionException, match="the lookup of 'fox' in counts: "
                                                  "StateStoreNotAvailableException"):
        src.get_key("wc", "counts", "fox", timeout=1.0)
