"""Shared brokers and Kafka helpers for the integration tests.

One broker of each kind per session: ``kafka_bootstrap`` (Apache Kafka 4.4, or the cluster
in ``$RAYSTREAMS_TEST_BOOTSTRAP``) and ``embedded_bootstrap`` (tansu). Topics get unique
names per test from ``topic_factory``; ``consume_all`` reads a topic back with a deadline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from raystreams.broker import (
    BrokerNotAvailableException,
    KafkaBroker,
    TansuBroker,
    ToolchainMissingException,
)
from raystreams.query import QueryableStoreTypes, StoreQueryParameters

#: Consumer settings every test consumer gets: tansu answers a caught-up fetch only after
#: fetch.wait.max.ms, and librdkafka backs off fetch.queue.backoff.ms (DESIGN.md).
FAST_CONSUMER = {"fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10}

TopicFactory = Callable[..., str]
#: The user of the session Kafka's SASL_PLAINTEXT listener (``kafka_sasl``).
SASL_USERS = {"streams-app": "streams-secret"}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def kafka_broker() -> Iterator[KafkaBroker]:
    """A single-node Apache Kafka 4.4 for the session (skipped without Java or Maven)."""
    if os.environ.get("RAYSTREAMS_TEST_BOOTSTRAP"):
        pytest.skip("RAYSTREAMS_TEST_BOOTSTRAP is set: no local Kafka broker is started")
    broker = KafkaBroker(sasl_users=SASL_USERS)
    missing: ToolchainMissingException | None = None
    failed: BrokerNotAvailableException | None = None
    try:
        broker.start()
    except ToolchainMissingException as e:
        missing = e
    except BrokerNotAvailableException as e:  # the message has the tail of the broker log
        failed = e
    if missing is not None:
        if _in_ci():  # CI must run the real broker, never skip it
            pytest.fail(f"Apache Kafka cannot run in CI: {missing}", pytrace=False)
        pytest.skip(f"Apache Kafka 4.4 needs Java and Maven: {missing}")
    if failed is not None:
        pytest.fail(str(failed), pytrace=False)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(request: pytest.FixtureRequest) -> str:
    """``bootstrap.servers`` of Apache Kafka 4.4: ``$RAYSTREAMS_TEST_BOOTSTRAP`` or a local one."""
    given = os.environ.get("RAYSTREAMS_TEST_BOOTSTRAP")
    if given:
        return given
    return request.getfixturevalue("kafka_broker").bootstrap_servers


@pytest.fixture(scope="session")
def kafka_sasl(request: pytest.FixtureRequest) -> dict[str, str]:
    """Client settings of the session Kafka's SASL_PLAINTEXT listener (PLAIN):
    ``bootstrap.servers``, ``security.protocol``, ``sasl.mechanism``, ``sasl.username``,
    ``sasl.password``."""
    if os.environ.get("RAYSTREAMS_TEST_BOOTSTRAP"):
        pytest.skip("RAYSTREAMS_TEST_BOOTSTRAP is set: no local SASL listener")
    broker = request.getfixturevalue("kafka_broker")
    (user, password), = SASL_USERS.items()
    return {"bootstrap.servers": broker.sasl_bootstrap_servers,
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
            "sasl.username": user, "sasl.password": password}


@pytest.fixture(scope="session")
def embedded_broker() -> Iterator[TansuBroker]:
    """The embedded tansu broker for the session."""
    broker = TansuBroker()
    try:
        broker.start()
    except BrokerNotAvailableException as e:
        pytest.fail(str(e), pytrace=False)
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def embedded_bootstrap(embedded_broker: TansuBroker) -> str:
    """``bootstrap.servers`` of the session's embedded tansu broker."""
    return embedded_broker.bootstrap_servers


@pytest.fixture(scope="session")
def admin_factory() -> Callable[[str], AdminClient]:
    """``admin_for(bootstrap)``: one AdminClient per broker for the session."""
    admins: dict[str, AdminClient] = {}

    def admin_for(bootstrap: str) -> AdminClient:
        if bootstrap not in admins:
            admins[bootstrap] = AdminClient({"bootstrap.servers": bootstrap})
        return admins[bootstrap]

    return admin_for


def create_topic(admin: AdminClient, name: str, partitions: int = 1, *,
                 config: dict[str, str] | None = None, timeout: float = 30.0) -> None:
    """Create a topic and wait until every partition has a leader."""
    futures = admin.create_topics([NewTopic(name, num_partitions=partitions,
                                            replication_factor=1, config=config or {})],
                                  operation_timeout=timeout)
    futures[name].result(timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        md = admin.list_topics(topic=name, timeout=5).topics.get(name)
        if (md is not None and md.error is None and len(md.partitions) == partitions
                and all(p.leader >= 0 for p in md.partitions.values())):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"topic {name} has no leaders for all {partitions} partitions "
                               f"after {timeout} s: {md}")
        time.sleep(0.05)


@pytest.fixture
def topic_factory(request: pytest.FixtureRequest,
                  admin_factory: Callable[[str], AdminClient]) -> TopicFactory:
    """``create(partitions=1, *, bootstrap=None, prefix=None, config=None) -> name``.

    Creates a topic named after the test with a random suffix on ``bootstrap`` (default:
    the session's Apache Kafka) and returns its name.
    """
    test_name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:60].strip("-")

    def create(partitions: int = 1, *, bootstrap: str | None = None, prefix: str | None = None,
               config: dict[str, str] | None = None) -> str:
        servers = bootstrap or request.getfixturevalue("kafka_bootstrap")
        name = f"{prefix or test_name}-{uuid.uuid4().hex[:8]}"
        create_topic(admin_factory(servers), name, partitions, config=config)
        return name

    return create


def consume_all(bootstrap: str, topic: str, *, expected: int | None = None,
                timeout: float = 20.0, isolation: str = "read_uncommitted",
                config: dict | None = None) -> list[Message]:
    """Read a topic from the beginning of every partition, with ``assign()``.

    Stops when ``expected`` records have arrived, or (with ``expected=None``) when every
    partition reported its end; returns what arrived by ``timeout`` otherwise, so the
    caller's exact assertion shows what is missing. Records come in partition order
    within each partition.
    """
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"probe-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "isolation.level": isolation, **FAST_CONSUMER, **(config or {})})
    try:
        md = consumer.list_topics(topic, timeout=10).topics[topic]
        partitions = sorted(md.partitions)
        consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
        records: list[Message] = []
        at_end: set[int] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if expected is not None and len(records) >= expected:
                break
            if expected is None and at_end >= set(partitions):
                break
            for msg in consumer.consume(num_messages=500, timeout=0.2):
                err = msg.error()
                if err is None:
                    records.append(msg)
                    at_end.discard(msg.partition())
                elif err.code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                else:
                    raise RuntimeError(f"consuming {topic}: {err}")
        return records
    finally:
        consumer.close()


@pytest.fixture(name="consume_all")
def consume_all_fixture() -> Callable[..., list[Message]]:
    """The ``consume_all(bootstrap, topic, *, expected=None, timeout=20.0, ...)`` helper."""
    return consume_all


# --------------------------------------------------------------------------- Ray and apps

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: Directories Ray workers import from: this checkout first (workers must run the raystreams
#: under test, wherever an editable install points), test topologies, examples.
WORKER_PATHS = [REPO_ROOT, os.path.join(REPO_ROOT, "tests", "integration"),
                os.path.join(REPO_ROOT, "examples")]


def node_env(state_dir: str) -> dict[str, str]:
    """The environment of a simulated Ray node: its own state directory (no shared disk)."""
    from raystreams.runtime.task_actor import NODE_STATE_DIR_ENV

    return {NODE_STATE_DIR_ENV: state_dir}


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """ONE local Ray instance for the session, as a ``ray.cluster_utils.Cluster`` (head: 4 CPUs)
    so multi-node tests can add nodes to it (``add_ray_node``). Every node has its own state
    directory (``$RAYSTREAMS_STATE_DIR``), so tasks on different nodes share no disk. Workers
    import ``tests/integration`` and ``examples`` (test topologies are pickled by reference)."""
    os.environ["RAY_AUTH_MODE"] = "disabled"
    import sys

    import ray
    from ray.cluster_utils import Cluster

    for path in WORKER_PATHS:
        if path not in sys.path:
            sys.path.insert(0, path)
    pythonpath = os.pathsep.join([*WORKER_PATHS, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    os.environ["PYTHONPATH"] = pythonpath
    head_dir = str(tmp_path_factory.mktemp("node-head"))
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 4, "include_dashboard": False, "env_vars": node_env(head_dir)})
    ray.init(address=cluster.address, namespace="raystreams-tests", log_to_driver=True,
             runtime_env={"env_vars": {"PYTHONPATH": pythonpath, "RAY_AUTH_MODE": "disabled"}})
    yield cluster
    ray.shutdown()
    cluster.shutdown()


@pytest.fixture(scope="session")
def ray_session(ray_cluster: object) -> object:
    """The session's Ray (connected); use ``ray_cluster`` to add nodes."""
    import ray

    return ray


@pytest.fixture
def add_ray_node(ray_cluster: object, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[Callable[..., object]]:
    """``add(num_cpus=2) -> node``: add a node with its own state directory to the session's
    cluster (and wait for it); nodes still there at teardown are removed. Request it before
    ``streams_factory`` so apps are closed before their nodes go."""
    added: list[object] = []

    def add(num_cpus: int = 2) -> object:
        state_dir = str(tmp_path_factory.mktemp("node"))
        node = ray_cluster.add_node(num_cpus=num_cpus, env_vars=node_env(state_dir))
        added.append(node)
        ray_cluster.wait_for_nodes()
        return node

    yield add
    for node in added:
        with contextlib.suppress(Exception):
            ray_cluster.remove_node(node)
    if added:  # the next test must see one node (e.g. an embedded broker is refused on two)
        import ray

        gone = {node.node_id for node in added}
        wait_for(lambda: not any(n["Alive"] and n["NodeID"] in gone for n in ray.nodes()),
                 60, 0.2, "removed nodes to be dead")


def wait_for(condition: Callable[[], object], timeout: float = 60.0, interval: float = 0.1,
             what: str = "condition") -> object:
    """Poll ``condition`` until it returns a truthy value (Ray's ``wait_for_condition``)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
        except Exception as e:  # keep polling; show the last error on timeout
            last_error = e
            value = None
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached after {timeout} s"
                       + (f" (last error: {last_error!r})" if last_error else ""))


@pytest.fixture
def app_id(request: pytest.FixtureRequest) -> str:
    """A unique ``application.id`` for the test."""
    name = "".join(c if c.isalnum() else "-" for c in request.node.name)[:40].strip("-")
    return f"{name}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def streams_factory(ray_session: object) -> Iterator[Callable[..., object]]:
    """``make(topology, config) -> KafkaStreams`` (started; its tasks keep their state in the
    state directory of the node each runs on, unless ``config`` sets ``state.dir``); all closed
    at teardown."""
    from raystreams import KafkaStreams

    made: list[KafkaStreams] = []

    def make(topology: object, config: dict, *, start: bool = True) -> KafkaStreams:
        streams = KafkaStreams(topology, config, out=None)
        made.append(streams)
        if start:
            streams.start()
        return streams

    yield make
    for streams in made:
        with contextlib.suppress(Exception):
            streams.close(30)


def key_value(store: str) -> StoreQueryParameters:
    """``store(...)``'s parameters for reading ``store`` as a plain key-value store."""
    return StoreQueryParameters.from_store_name_and_type(store, QueryableStoreTypes.key_value_store())


# --------------------------------------------------------------------------- CLI subprocesses


@pytest.fixture
def cli_env(ray_cluster: object, tmp_path: object) -> dict[str, str]:
    """Environment of a ``raystreams`` command run as a subprocess: the session's Ray through
    ``RAY_ADDRESS``, its own cache dir (so it starts and records its own embedded broker)."""
    env = dict(os.environ)
    env.update({"RAY_ADDRESS": ray_cluster.address, "RAY_AUTH_MODE": "disabled",
                "RAYSTREAMS_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"})
    return env


class Lines:
    """A subprocess's output lines, read on a thread, so tests can wait with a deadline."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 90.0) -> None:
        wait_for(lambda: any(text in line for line in self.lines) or self.proc.poll() is not None,
                 timeout, 0.1, f"{text!r} in the output")
        assert any(text in line for line in self.lines), "\n".join(self.lines[-40:])


#: the ``ray`` command of this Python
RAY = os.path.join(os.path.dirname(sys.executable), "ray")


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass(frozen=True)
class RayHead:
    """A ``ray start --head`` of a test: its GCS address (``RAY_ADDRESS``) and dashboard
    (job API) address."""

    gcs: str
    dashboard: str


@pytest.fixture(scope="module")
def ray_head() -> Iterator[RayHead]:
    """A head from ``ray start --head --block`` on free ports with its own temp dir; SIGTERM
    at teardown stops exactly it (never ``ray stop``, which would stop others' Ray)."""
    ports = _free_ports(9)
    temp_dir = tempfile.mkdtemp(prefix="rs-head-")  # short: Ray's socket paths have a limit
    env = dict(os.environ, RAY_AUTH_MODE="disabled",
               # `ray job stop` SIGTERMs the entrypoint, then SIGKILLs it after this many
               # seconds (Ray's default is 3): leave the app the time to commit and close.
               RAY_JOB_STOP_WAIT_TIME_S="60")
    env.pop("RAY_ADDRESS", None)
    args = [RAY, "start", "--head", "--block", "--disable-usage-stats", "--num-cpus", "2",
            "--include-dashboard", "true", "--dashboard-host", "127.0.0.1",
            "--temp-dir", temp_dir]
    for flag, port in zip(["--port", "--dashboard-port", "--ray-client-server-port",
                           "--dashboard-agent-listen-port", "--dashboard-agent-grpc-port",
                           "--metrics-export-port", "--runtime-env-agent-port",
                           "--node-manager-port", "--object-manager-port"], ports, strict=True):
        args += [flag, str(port)]
    log_path = os.path.join(temp_dir, "ray-start.log")
    with open(log_path, "w") as log:
        head = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    address = f"http://127.0.0.1:{ports[1]}"
    try:
        from ray.job_submission import JobSubmissionClient

        wait_for(lambda: head.poll() is None and JobSubmissionClient(address).list_jobs() is not None,
                 90, 0.5, f"the job API of `ray start --head` at {address}")
        from ray._private.services import get_node_ip_address

        # the address Ray itself gives this node (it rewrites 127.0.0.1 to it anyway)
        yield RayHead(f"{get_node_ip_address()}:{ports[0]}", address)
    except Exception:
        with open(log_path) as log:
            print(log.read()[-4000:])
        raise
    finally:
        head.send_signal(signal.SIGTERM)  # --block: stops the processes this head started
        try:
            head.wait(60)
        except subprocess.TimeoutExpired:
            head.kill()
        shutil.rmtree(temp_dir, ignore_errors=True)
