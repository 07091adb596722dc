"""The error hierarchy: every exception class of the package lives in ``raystreams.errors``,
descends from ``StreamsError``, follows Kafka's ``...Exception`` naming, and pickles with its
fields (errors cross Ray actor boundaries; tests/integration/test_errors_across_actors.py
sends them through a real actor)."""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import pkgutil
from pathlib import Path

import pytest

import raystreams
from raystreams import errors
from raystreams.errors import StreamsError

#: Constructor arguments of every class whose ``__init__`` takes more than a message; every
#: field is set to a value other than its default, so a field lost in pickling shows.
SAMPLES: dict[str, tuple[tuple, dict]] = {
    "ConfigException": (("processing.guarantee", "Invalid value 'twice'."),
                        {"allowed": ["at_least_once", "exactly_once_v2"],
                         "suggestion": "exactly_once_v2"}),
    "TopologyException": (("Processor KSTREAM-MAP-0000000001 has no parent",),
                          {"node": "KSTREAM-MAP-0000000001"}),
    "CopartitionException": (("left and right are not co-partitioned",),
                             {"partition_counts": {"left": 3, "right": 2}}),
    "InvalidStoreNameException": (("my store", "it contains a space"), {}),
    "StreamsException": (("Exception caught in process",),
                         {"task_id": "0_1", "processor": "KSTREAM-MAP-0000000001",
                          "topic": "in", "partition": 1, "offset": 42}),
    "TaskCorruptedException": (("0_1", ["counts", "totals"]), {}),
    "MissingSourceTopicException": ((["b", "a"],), {"bootstrap": "localhost:9092"}),
    "BrokerNotAvailableException": (("The kafka broker did not start.",),
                                    {"kind": "kafka", "log_path": Path("/tmp/broker.log"),
                                     "log_tail": "ERROR fatal"}),
    "ToolchainMissingException": (("java", "No `java` found."), {}),
    "NoClusterException": (("ray://head:10001", "connection refused"), {}),
    "UnknownApplicationException": (("wordcount", ["fraud-check"]), {}),
}


def _import_all_modules() -> None:
    for info in pkgutil.walk_packages(raystreams.__path__, "raystreams."):
        if not info.name.endswith("__main__"):  # running it is the CLI
            importlib.import_module(info.name)


def _exception_classes() -> list[type[BaseException]]:
    """Every exception class defined anywhere in the raystreams package."""
    _import_all_modules()
    found: dict[str, type[BaseException]] = {}
    pending: list[type] = [BaseException]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.split(".")[0] == "raystreams":
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
    return [found[k] for k in sorted(found)]


CLASSES = _exception_classes()


def _sample(cls: type[BaseException]) -> BaseException:
    if cls.__name__ in SAMPLES:
        args, kwargs = SAMPLES[cls.__name__]
        return cls(*args, **kwargs)
    try:
        return cls("something went wrong")
    except TypeError as exc:
        raise AssertionError(f"{cls.__name__}{inspect.signature(cls)}: add its constructor "
                             "arguments to SAMPLES") from exc


def test_the_walk_finds_the_hierarchy():
    names = {cls.__name__ for cls in CLASSES}
    assert {"StreamsError", "StreamsException", "ConfigException", "TopologyException",
            "TaskMigratedException", "CliException"} <= names
    assert set(SAMPLES) <= names, "SAMPLES names a class that no longer exists"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_defined_in_errors_under_one_root_with_kafka_naming(cls):
    assert cls.__module__ == "raystreams.errors", \
        f"{cls.__qualname__} is defined in {cls.__module__}: move it to raystreams.errors"
    assert issubclass(cls, StreamsError)
    assert cls is StreamsError or cls.__name__.endswith("Exception")
    assert getattr(errors, cls.__name__) is cls


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_pickles_with_its_fields(cls):
    err = _sample(cls)
    err.add_note("a note added on the way")
    for again in (pickle.loads(pickle.dumps(err)), copy.deepcopy(err)):
        assert type(again) is cls
        assert str(again) == str(err)
        assert again.args == err.args
        assert vars(again) == vars(err)


def test_fields_and_messages_survive_a_round_trip():
    err = pickle.loads(pickle.dumps(errors.TopologyException("no parent", node="n1")))
    assert str(err) == "Invalid topology: no parent" and err.node == "n1"
    err = pickle.loads(pickle.dumps(errors.ConfigException(
        "processing.guarantee", "Invalid value.", allowed=["a", "b"], suggestion="a")))
    assert (err.key, err.allowed, err.suggestion) == ("processing.guarantee", ["a", "b"], "a")
    assert str(err) == "Invalid value. Allowed values: a, b. Did you mean 'a'?"
    err = pickle.loads(pickle.dumps(errors.StreamsException(
        "failed", task_id="0_1", processor="p", topic="t", partition=1, offset=7)))
    assert (err.task_id, err.processor, err.topic, err.partition, err.offset) == \
        ("0_1", "p", "t", 1, 7)
    assert str(err) == "failed (task 0_1, processor p, topic t, partition 1, offset 7)"
    err = pickle.loads(pickle.dumps(errors.ToolchainMissingException("mvn", "No `mvn`.")))
    assert (err.tool, err.kind) == ("mvn", "mvn") and "install" in str(err)


def test_python_bases_stay_catchable():
    assert issubclass(errors.IllegalArgumentException, ValueError)
    assert issubclass(errors.InvalidStoreNameException, ValueError)
    assert issubclass(errors.InvalidStoreNameException, errors.TopologyException)
    assert issubclass(errors.NoSuchElementException, LookupError)
    assert issubclass(errors.TaskCorruptedException, errors.ProcessorStateException)


def test_old_names_stay_importable():
    from raystreams.broker import BrokerUnavailable, ToolchainMissing
    from raystreams.dsl.windows import InvalidWindowArgument
    from raystreams.state import InvalidStoreNameError, StoreArgumentError, TaskCorruptedError

    assert InvalidWindowArgument is StoreArgumentError is errors.IllegalArgumentException
    assert InvalidStoreNameError is errors.InvalidStoreNameException
    assert TaskCorruptedError is errors.TaskCorruptedException
    assert BrokerUnavailable is errors.BrokerNotAvailableException
    assert ToolchainMissing is errors.ToolchainMissingException
