"""raystreams errors cross a real Ray actor boundary with their class and fields, both returned
(as ``TaskActor.watch()`` reports a task's failure) and raised (as a query's error reaches
``ray.get``). tests/unit/test_errors.py pickles every class; this is the one real hop."""

from __future__ import annotations

import pytest

from raystreams.errors import (
    ConfigException,
    InvalidStateStoreException,
    StreamsException,
    TaskCorruptedException,
    TopologyException,
)

pytestmark = pytest.mark.integration


def _errors() -> list[Exception]:
    return [ConfigException("processing.guarantee", "Invalid value 'twice'.",
                            allowed=["at_least_once", "exactly_once_v2"]),
            TopologyException("no parent", node="KSTREAM-MAP-0000000001"),
            StreamsException("Exception caught in process", task_id="0_1", processor="p",
                             topic="in", partition=1, offset=42),
            TaskCorruptedException("0_1", ["counts"])]


class _Failing:
    def report(self) -> dict[str, list[Exception]]:
        return {"errors": _errors()}

    def query(self) -> None:
        raise InvalidStateStoreException("store counts is not running on task 0_1")


def test_errors_keep_class_and_fields_across_an_actor(ray_session):
    ray = ray_session
    actor = ray.remote(num_cpus=0)(_Failing).remote()
    try:
        returned = ray.get(actor.report.remote(), timeout=60)["errors"]
        for sent, got in zip(_errors(), returned, strict=True):
            assert type(got) is type(sent) and str(got) == str(sent)
            assert vars(got) == vars(sent)
        assert returned[1].node == "KSTREAM-MAP-0000000001"
        assert str(returned[1]) == "Invalid topology: no parent"
        assert (returned[2].task_id, returned[2].offset) == ("0_1", 42)

        with pytest.raises(InvalidStateStoreException, match="store counts is not running"):
            ray.get(actor.query.remote(), timeout=60)
    finally:
        ray.kill(actor)
