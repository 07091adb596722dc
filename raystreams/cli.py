"""The ``raystreams`` command: run and describe apps, a local broker, topics, console I/O, a demo.

Commands::

    raystreams run APP.py [--bootstrap-servers HOST:PORT] [--config KEY=VALUE ...]
    raystreams describe APP.py [--format text|dot|svg]
    raystreams broker [run | warm] [--kafka] [--port N]
    raystreams topics list | create TOPIC [--partitions N] [--config K=V] | describe TOPIC
    raystreams produce TOPIC [--key-separator :]        (stdin lines, as kafka-console-producer)
    raystreams consume TOPIC [--from-beginning] [--print-key] [--value-deserializer long] ...
    raystreams demo [--duration SECONDS]
    raystreams inspect [--address auto] [--app APP_ID] [--port 8501] [--host 127.0.0.1]

**The app module convention.** ``APP.py`` is a Python file with a function ``app()`` that
returns ``(topology, config)``: a ``Topology`` (``StreamsBuilder().build()``) and its config
dict with Kafka Streams key names (at least ``application.id``)::

    def app():
        builder = StreamsBuilder()
        builder.stream("in").map_values(str.upper).to("out")
        return builder.build(), {"application.id": "upper"}

``run`` loads the file (its functions travel to the Ray workers by value, so the file need not
be importable there), overrides config keys given with ``--config``/``--bootstrap-servers``, and
runs the app until Ctrl-C or SIGTERM, printing its state and progress. A module may also
define ``watch(streams) -> str``: while the app is RUNNING, ``run`` calls it every second with
the ``KafkaStreams`` and prints what it returns (``examples/interactive_queries.py`` prints
its top words, read from the store).

**Finding the broker.** ``bootstrap.servers`` (``--bootstrap-server[s]``) when given; else the
broker a running ``raystreams broker`` recorded (``~/.cache/raystreams/broker.json``); else
``run`` and ``demo`` start the embedded broker themselves (and record it, so ``produce``,
``consume`` and ``topics`` in another terminal find it), creating the app's missing source and
sink topics there. Ray: ``ray.address`` / ``$RAY_ADDRESS`` when set (e.g. under
``ray job submit``), else a local Ray instance.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import itertools
import logging
import os
import random
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from raystreams.config.keys import (
    APPLICATION_ID_CONFIG,
    BOOTSTRAP_SERVERS_CONFIG,
    BROKER_CONNECT_TIMEOUT_MS_CONFIG,
    COMMIT_INTERVAL_MS_CONFIG,
    EXACTLY_ONCE_V2,
    PROCESSING_GUARANTEE_CONFIG,
    RAY_ADDRESS_CONFIG,
    RAY_NAMESPACE_CONFIG,
)
from raystreams.errors import CliException
from raystreams.runtime.task_state import TaskState

log = logging.getLogger("raystreams.cli")

DESERIALIZERS = ("string", "long", "integer", "double", "bytes")
START_TIMEOUT_S = 180.0


# --------------------------------------------------------------------------- helpers


class LineWriter:
    """A stream that writes whole lines at once, so lines printed by the app's monitor thread
    and by the command's own loop never run into each other."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._pending = threading.local()

    def write(self, text: str) -> int:
        buffered = getattr(self._pending, "text", "") + text
        head, sep, tail = buffered.rpartition("\n")
        self._pending.text = tail
        if sep:
            with self._lock:
                self._stream.write(head + sep)
                self._stream.flush()
        return len(text)

    def flush(self) -> None:
        with self._lock:
            self._stream.flush()


def _parse_pairs(pairs: Sequence[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CliException(f"{what} must look like KEY=VALUE, got {pair!r}")
        out[key.strip()] = value
    return out


def _coerce(value: str) -> Any:
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(value.lower(), value)


def load_app(path: str) -> tuple[Any, dict[str, Any], Any]:
    """Load ``path`` and call its ``app()``; returns ``(topology, config, module)``."""
    file = Path(path)
    if not file.is_file():
        raise CliException(f"no such app file: {path}")
    name = f"raystreams_app_{file.stem.replace('-', '_')}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise CliException(f"cannot load {path} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, str(file.resolve().parent))
    spec.loader.exec_module(module)
    factory = getattr(module, "app", None)
    if not callable(factory):
        raise CliException(f"{path} has no app() function: an app module defines "
                           f"`def app(): return topology, config` (see `raystreams --help`)")
    result = factory()
    if not (isinstance(result, tuple) and len(result) == 2):
        raise CliException(f"{path}: app() must return (topology, config), got {type(result).__name__}")
    topology, config = result
    from raystreams.topology.topology import Topology

    if not isinstance(topology, Topology):
        raise CliException(f"{path}: app() returned {type(topology).__name__} where a Topology "
                           f"(StreamsBuilder().build()) belongs")
    return topology, dict(config or {}), module


def _pickle_by_value(module: Any) -> None:
    try:
        from ray import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    except Exception as e:  # an old cloudpickle: the module must then be importable on workers
        log.debug("cannot register %s for pickling by value: %s", module, e)


def _bootstrap(args: argparse.Namespace) -> str:
    given = getattr(args, "bootstrap_server", None)
    if given:
        return given
    from raystreams.broker import BrokerNotAvailableException, resolve_bootstrap

    try:
        return resolve_bootstrap(None, start=False).bootstrap_servers
    except BrokerNotAvailableException as e:
        raise CliException("no broker: pass --bootstrap-server HOST:PORT, or start one with "
                           "`raystreams broker` (or `raystreams broker --kafka`)") from e


def _deserializer(name: str) -> Callable[[bytes | None], str]:
    from raystreams.serde import Serdes

    if name == "bytes":
        return lambda b: "null" if b is None else repr(b)
    if name == "string":
        return lambda b: "null" if b is None else b.decode("utf-8", "replace")
    serde = {"long": Serdes.Long(), "integer": Serdes.Integer(), "double": Serdes.Double()}[name]
    return lambda b: "null" if b is None else str(serde.deserialize("", b))


def _install_stop(stop: threading.Event, received: list[int] | None = None) -> dict[int, Any]:
    """SIGINT and SIGTERM set ``stop`` (the caller then commits and closes); the signal
    number goes to ``received``."""
    def on_signal(signum: int, frame: Any) -> None:
        if received is not None:
            received.append(signum)
        stop.set()

    return {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}


def _restore_signals(old: dict[int, Any]) -> None:
    for s, handler in old.items():
        signal.signal(s, handler)


def _create_missing(bootstrap: str, topics: Sequence[str], partitions: int, out: Any,
                    connect_timeout_ms: int = 10_000) -> None:
    from raystreams.kafka.admin import StreamsAdmin, TopicSpec

    admin = StreamsAdmin(bootstrap=bootstrap)
    admin.check_reachable(connect_timeout_ms)
    counts = admin.partition_counts(topics)
    missing = [t for t in topics if counts.get(t) is None]
    if missing:
        admin.create_topics([TopicSpec(t, partitions, {}, "topic") for t in missing],
                            replication_factor=1)
        print(f"created topics {', '.join(missing)} ({partitions} partitions)", file=out,
              flush=True)


def _user_topics(topology: Any) -> list[str]:
    from raystreams.topology.nodes import SinkSpec

    sinks = [s.topic for s in topology.nodes.values()
             if isinstance(s, SinkSpec) and s.topic and not topology.is_internal_topic(s.topic)]
    sources = [t for t in topology.source_topics() if not topology.is_internal_topic(t)]
    return list(dict.fromkeys([*sources, *sinks]))


# --------------------------------------------------------------------------- run


def _progress_line(streams: Any) -> str:
    try:
        m = streams.metrics()
    except Exception as e:  # the app is between states
        return f"state {streams.state()} (metrics unavailable: {type(e).__name__})"
    tasks = m.get("tasks", {})
    restoring = sum(1 for t in tasks.values()
                    if not t.get("restore_done", True) and t.get("records_to_restore"))
    starting = sum(1 for t in tasks.values() if t.get("state") != TaskState.RUNNING)
    text = (f"state {streams.state()}: {len(tasks)} tasks, {m['records_processed']} records "
            f"processed, {m['records_produced']} produced, lag {m['total_lag']}, "
            f"{m['commits']} commits, {m['restarts']} restarts")
    if starting:
        text += f", {starting} tasks starting"
    if restoring:
        text += (f", restoring {restoring} tasks ({m['records_restored']} / "
                 f"{m['records_to_restore']} records)")
    return text


def _watch_line(watch: Callable[[Any], Any], streams: Any) -> str:
    try:
        return str(watch(streams))
    except Exception as e:  # a query during a task move: say so, keep running
        return f"watch: {type(e).__name__}: {e}"


def _refuse_local_broker_on_a_cluster(config: dict[str, Any]) -> None:
    """Before a local broker starts: joining a Ray cluster (``ray.address`` / ``RAY_ADDRESS``)
    of several nodes without ``bootstrap.servers`` is refused (``KafkaStreams.start`` refuses
    too, but here the broker would already run). Without an address Ray is local: one node."""
    address = config.get(RAY_ADDRESS_CONFIG) or os.environ.get("RAY_ADDRESS")
    if not address:
        return
    import ray

    from raystreams.runtime.kafka_streams import require_bootstrap_on_multi_node

    connected_here = not ray.is_initialized()
    if connected_here:
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        ray.init(address=address, namespace=config.get(RAY_NAMESPACE_CONFIG) or "raystreams",
                 log_to_driver=False)
    try:
        require_bootstrap_on_multi_node(ray)
    finally:
        if connected_here:  # KafkaStreams joins (and leaves) Ray itself, as without this check
            ray.shutdown()


def start_app(topology: Any, config: dict[str, Any], out: Any, *, create_topics: bool | None,
              partitions: int) -> tuple[Any, Any]:
    """Resolve the broker (recording an embedded one), create topics if asked, start the app."""
    from raystreams.broker import resolve_bootstrap
    from raystreams.runtime.kafka_streams import KafkaStreams

    if not str(config.get(BOOTSTRAP_SERVERS_CONFIG) or "").strip():
        _refuse_local_broker_on_a_cluster(config)
    resolved = resolve_bootstrap(config.get(BOOTSTRAP_SERVERS_CONFIG), record=True)
    if resolved.source != "config":
        how = "started the embedded" if resolved.source == "embedded" else "using the recorded"
        print(f"raystreams: {how} {resolved.kind} broker at {resolved.bootstrap_servers}",
              file=out, flush=True)
    config = {**config, BOOTSTRAP_SERVERS_CONFIG: resolved.bootstrap_servers}
    if create_topics or (create_topics is None and resolved.source == "embedded"):
        _create_missing(resolved.bootstrap_servers, _user_topics(topology), partitions, out,
                        _connect_timeout_ms(config))
    if config.get(PROCESSING_GUARANTEE_CONFIG) == EXACTLY_ONCE_V2 and resolved.kind == "tansu":
        print("warning: exactly_once_v2 on the embedded broker cannot guarantee exactly-once "
              "after a crash (use `raystreams broker --kafka`)", file=out, flush=True)
    streams = KafkaStreams(topology, config, out=out)
    streams.set_state_listener(lambda new, old: print(f"state {old} -> {new}", file=out,
                                                      flush=True))
    try:
        print(f"starting {config.get('application.id')} ...", file=out, flush=True)
        streams.start()
    except BaseException:
        resolved.close()
        raise
    return streams, resolved


def _connect_timeout_ms(config: dict[str, Any]) -> int:
    from raystreams.config import StreamsConfig

    return StreamsConfig(config)[BROKER_CONNECT_TIMEOUT_MS_CONFIG]


def cmd_run(args: argparse.Namespace) -> int:
    out = LineWriter(sys.stdout)
    topology, config, module = load_app(args.app)
    _pickle_by_value(module)
    config.update({k: _coerce(v) for k, v in _parse_pairs(args.config, "--config").items()})
    if args.bootstrap_servers:
        config[BOOTSTRAP_SERVERS_CONFIG] = args.bootstrap_servers
    stop = threading.Event()
    received: list[int] = []
    old = _install_stop(stop, received)
    streams = resolved = None
    try:
        streams, resolved = start_app(topology, config, out, create_topics=args.create_topics,
                                      partitions=args.partitions)
        # ray.init (inside start) replaced the SIGTERM handler: ours again, after it
        _install_stop(stop, received)
        print(f"tasks: {', '.join(t.task_id for t in streams.plan.tasks)}; Ctrl-C stops",
              file=out, flush=True)
        last = last_watch = 0.0
        watch = getattr(module, "watch", None)
        deadline = time.monotonic() + args.max_seconds if args.max_seconds else None
        while not stop.wait(0.2):
            from raystreams.runtime.kafka_streams import State

            if streams.state() is State.ERROR:
                print(f"the app failed: {(streams.last_status or {}).get('error')}", file=out,
                      flush=True)
                return 1
            if time.monotonic() - last >= args.progress_interval:
                last = time.monotonic()
                print(_progress_line(streams), file=out, flush=True)
            if callable(watch) and streams.state() is State.RUNNING \
                    and time.monotonic() - last_watch >= 1.0:
                last_watch = time.monotonic()
                print(_watch_line(watch, streams), file=out, flush=True)
            if deadline is not None and time.monotonic() >= deadline:
                break
        # stopped by a signal: committed and closed below, then the shell's 128 + signal
        return 128 + received[0] if received else 0
    finally:
        _restore_signals(old)
        if streams is not None:
            print("stopping (commit and close) ...", file=out, flush=True)
            streams.close(60)
            print("stopped", file=out, flush=True)
        if resolved is not None:
            resolved.close()


# --------------------------------------------------------------------------- describe


def cmd_describe(args: argparse.Namespace) -> int:
    topology, _, _ = load_app(args.app)
    if args.format == "text":
        sys.stdout.write(str(topology.describe()))
        return 0
    dot = topology.to_dot()
    if args.format == "dot":
        sys.stdout.write(dot if dot.endswith("\n") else dot + "\n")
        return 0
    import shutil

    if shutil.which("dot") is None:
        raise CliException("--format svg needs Graphviz's `dot` program: install graphviz "
                           "(e.g. `apt-get install graphviz`), or use --format dot")
    import graphviz

    sys.stdout.write(graphviz.Source(dot).pipe(format="svg").decode())
    return 0


# --------------------------------------------------------------------------- broker, topics


def cmd_broker(args: argparse.Namespace) -> int:
    from raystreams.broker import KAFKA_VERSION, ensure_kafka_jars, run_foreground

    if args.action == "warm":
        started = time.monotonic()
        libs = ensure_kafka_jars()
        print(f"Apache Kafka {KAFKA_VERSION} jars in {libs} "
              f"({time.monotonic() - started:.1f} s)")
        return 0
    return run_foreground("kafka" if args.kafka else "tansu", port=args.port)


def cmd_topics(args: argparse.Namespace) -> int:
    from raystreams.kafka.admin import StreamsAdmin, TopicSpec

    admin = StreamsAdmin(bootstrap=_bootstrap(args))
    if args.action == "list":
        for name in sorted(admin.topics()):
            if not name.startswith("__"):
                print(name)
        return 0
    if not args.topic:
        raise CliException(f"topics {args.action} needs a TOPIC")
    if args.action == "create":
        configs = _parse_pairs(args.config, "--config")
        created = admin.create_topics([TopicSpec(args.topic, args.partitions, configs, "topic")],
                                      replication_factor=args.replication_factor)
        print(f"Created topic {args.topic}." if created else f"Topic {args.topic} exists.")
        return 0
    counts = admin.partition_counts([args.topic])
    if counts.get(args.topic) is None:
        raise CliException(f"topic {args.topic} does not exist")
    configs = admin.describe_configs(args.topic)
    print(f"Topic: {args.topic}\tPartitionCount: {counts[args.topic]}\tConfigs: "
          + ",".join(f"{k}={v}" for k, v in sorted(configs.items()) if v is not None))
    return 0


# --------------------------------------------------------------------------- console I/O


def cmd_produce(args: argparse.Namespace) -> int:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": _bootstrap(args), "partitioner": "murmur2_random",
                         "linger.ms": 20})
    count = 0
    for line in sys.stdin:
        line = line.rstrip("\r\n")
        if args.key_separator is not None:
            key, sep, value = line.partition(args.key_separator)
            if not sep:
                raise CliException(f"no key separator {args.key_separator!r} in line {line!r}")
            k: bytes | None = key.encode()
        else:
            k, value = None, line
        while True:
            try:
                producer.produce(args.topic, key=k, value=value.encode())
                break
            except BufferError:
                producer.poll(0.1)
        count += 1
        if count % 1000 == 0:
            producer.poll(0)
    left = producer.flush(30)
    if left:
        raise CliException(f"{left} records were not acknowledged by the broker")
    print(f"produced {count} records to {args.topic}", file=sys.stderr)
    return 0


def cmd_consume(args: argparse.Namespace) -> int:
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, TopicPartition

    consumer = Consumer({"bootstrap.servers": _bootstrap(args),
                         "group.id": args.group or f"raystreams-console-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": bool(args.group), "enable.partition.eof": False,
                         "isolation.level": args.isolation_level,
                         "fetch.wait.max.ms": 10, "fetch.queue.backoff.ms": 10})
    key_of = _deserializer(args.key_deserializer)
    value_of = _deserializer(args.value_deserializer)
    stop = threading.Event()
    old = _install_stop(stop)
    try:
        md = consumer.list_topics(timeout=10).topics.get(args.topic)
        if md is None or not md.partitions:
            raise CliException(f"topic {args.topic} does not exist")
        start = OFFSET_BEGINNING if args.from_beginning else OFFSET_END
        consumer.assign([TopicPartition(args.topic, p, start) for p in sorted(md.partitions)])
        seen = 0
        idle_since = time.monotonic()
        while not stop.is_set():
            msgs = consumer.consume(num_messages=500, timeout=0.2)
            if not msgs and args.timeout_ms and \
                    (time.monotonic() - idle_since) * 1000 >= args.timeout_ms:
                break
            for msg in msgs:
                if msg.error() is not None:
                    if msg.error().code() != KafkaError._PARTITION_EOF:
                        print(f"error: {msg.error()}", file=sys.stderr)
                    continue
                idle_since = time.monotonic()
                value = value_of(msg.value())
                print(f"{key_of(msg.key())}{args.separator}{value}" if args.print_key else value,
                      flush=True)
                seen += 1
                if args.max_messages and seen >= args.max_messages:
                    return 0
        print(f"Processed a total of {seen} messages", file=sys.stderr)
        return 0
    finally:
        _restore_signals(old)
        consumer.close()


# --------------------------------------------------------------------------- demo

DEMO_TEXT = """\
All streams flow to the sea, yet the sea is never full.
To the place the streams come from, there they return again.
The quick brown fox jumps over the lazy dog.
Kafka Streams counts words; Ray runs the tasks; the supervisor restarts them.
A stream is a table in motion, and a table is a stream at rest.
"""


def _demo_lines(seed: int = 7) -> Any:
    rng = random.Random(seed)
    lines = [line for line in DEMO_TEXT.splitlines() if line.strip()]
    for i in itertools.count():
        words = rng.choice(lines).split()
        rng.shuffle(words)
        yield i, " ".join(words[: rng.randint(3, len(words))])


def _app_supervisors(namespace: str, app: str | None) -> dict[str, Any]:
    """``{application.id: supervisor handle}`` of the apps running in a Ray namespace."""
    import ray

    from raystreams.runtime import actor_options as opts

    found = {}
    for entry in ray.util.list_named_actors(all_namespaces=True):
        name = entry["name"]
        if (entry.get("namespace") != namespace or (app is not None and name != app)
                or opts.TASK_PREFIX_SEPARATOR in name or opts.STANDBY_PREFIX_SEPARATOR in name):
            continue
        with contextlib.suppress(ValueError):
            found[name] = ray.get_actor(name, namespace=namespace)
    return found


def cmd_drain(args: argparse.Namespace) -> int:
    """Move the tasks of every app (or ``--app``) off a node, each with its state."""
    import ray

    if not ray.is_initialized():
        address = args.address or os.environ.get("RAY_ADDRESS")
        if not address:
            raise CliException("raystreams drain joins a Ray cluster: set RAY_ADDRESS or "
                               "--address")
        ray.init(address=address, namespace=args.namespace, log_to_driver=False)
    nodes = [n["NodeID"] for n in ray.nodes() if n.get("Alive")]
    matches = [n for n in nodes if n.startswith(args.node)]
    if len(matches) != 1:
        raise CliException(f"{args.node!r} names {len(matches)} alive Ray nodes; the alive "
                           f"nodes are {', '.join(nodes)}")
    node = matches[0]
    supervisors = _app_supervisors(args.namespace, args.app)
    if not supervisors:
        which = f"app {args.app!r}" if args.app else "app"
        raise CliException(f"no raystreams {which} runs in Ray namespace {args.namespace!r}")
    for app, handle in supervisors.items():
        moving = ray.get(handle.drain.remote(node), timeout=60)
        print(f"{app}: moving {', '.join(moving) or 'no tasks'} off {node}", flush=True)
    deadline = time.monotonic() + args.timeout
    for app, handle in supervisors.items():
        while True:
            tasks = ray.get(handle.status.remote(), timeout=60)["tasks"].values()
            if all(t["node_id"] != node and t["runner_state"] == TaskState.RUNNING
                   for t in tasks):
                break
            if time.monotonic() > deadline:
                raise CliException(f"{app}: tasks still on {node} or not running after "
                                   f"{args.timeout:.0f} s")
            time.sleep(0.5)
    print(f"drained {node}", flush=True)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Word count end to end: generate text, run the app, print the top counts live."""
    from confluent_kafka import Consumer, Producer, TopicPartition

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
    from raystreams.serde import Serdes

    out = LineWriter(sys.stdout)
    here = Path(__file__).resolve().parent.parent / "examples" / "wordcount.py"
    if here.is_file():
        _, _, module = load_app(str(here))
        build = module.build_topology
        _pickle_by_value(module)
    else:  # installed without the examples: the same topology, inline
        build = _inline_wordcount
    suffix = uuid.uuid4().hex[:6]
    source, sink = f"demo-text-{suffix}", f"demo-counts-{suffix}"
    config = {APPLICATION_ID_CONFIG: f"raystreams-demo-{suffix}", COMMIT_INTERVAL_MS_CONFIG: 500,
              "statestore.cache.max.bytes": 0}
    if args.bootstrap_servers:
        config[BOOTSTRAP_SERVERS_CONFIG] = args.bootstrap_servers
    stop = threading.Event()
    old = _install_stop(stop)
    streams = resolved = generator = None
    produced = [0]
    try:
        print("raystreams demo: word count (lowercase, split on \\W+, drop 'the', count)",
              file=out, flush=True)
        from raystreams.broker import resolve_bootstrap

        if not args.bootstrap_servers:
            _refuse_local_broker_on_a_cluster(config)
        resolved = resolve_bootstrap(config.get(BOOTSTRAP_SERVERS_CONFIG), record=True)
        bootstrap = resolved.bootstrap_servers
        print(f"broker: {resolved.source} {resolved.kind} at {bootstrap}", file=out, flush=True)
        config[BOOTSTRAP_SERVERS_CONFIG] = bootstrap
        _create_missing(bootstrap, [source, sink], args.partitions, out)
        from raystreams.runtime.kafka_streams import KafkaStreams

        streams = KafkaStreams(build(source, sink), config, out=out)
        streams.set_state_listener(lambda new, old_state: print(
            f"app state {old_state} -> {new}", file=out, flush=True))
        print("starting Ray and the task actors ...", file=out, flush=True)
        streams.start()
        producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random",
                             "linger.ms": 50})

        def generate() -> None:
            lines = _demo_lines()
            interval = 1.0 / args.rate if args.rate > 0 else 0.0
            while not stop.is_set() and (not args.lines or produced[0] < args.lines):
                i, line = next(lines)
                producer.produce(source, key=str(i).encode(), value=line.encode())
                produced[0] += 1
                if produced[0] % 100 == 0:
                    producer.poll(0)
                if interval:
                    stop.wait(interval)
            producer.flush(10)

        generator = threading.Thread(target=generate, name="demo-generator", daemon=True)
        generator.start()
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"demo-{suffix}",
                             "enable.auto.commit": False, "fetch.wait.max.ms": 10,
                             "fetch.queue.backoff.ms": 10})
        consumer.assign([TopicPartition(sink, p, 0) for p in range(args.partitions)])
        counts: Counter[str] = Counter()
        long = Serdes.Long()
        from raystreams.runtime.kafka_streams import State

        started = time.monotonic()
        running_since: float | None = None
        last_print = 0.0
        while not stop.is_set():
            for msg in consumer.consume(num_messages=1000, timeout=0.2):
                if msg.error() is None:
                    counts[msg.key().decode()] = long.deserialize(sink, msg.value())
            now = time.monotonic()
            if now - last_print >= 1.0:
                last_print = now
                top = ", ".join(f"{w}={n}" for w, n in counts.most_common(args.top))
                print(f"[{now - started:5.1f}s] {produced[0]} lines in, {streams.state()}: "
                      f"{top or 'waiting for counts ...'}", file=out, flush=True)
            state = streams.state()
            if running_since is None and state is State.RUNNING:
                running_since = now
            if state is State.ERROR:
                print(f"the app failed: {(streams.last_status or {}).get('error')}", file=out,
                      flush=True)
                consumer.close()
                return 1
            if args.duration and running_since is not None and \
                    now - running_since >= args.duration:
                break
            if running_since is None and now - started > START_TIMEOUT_S:
                print(f"the app is not RUNNING after {START_TIMEOUT_S:.0f} s (state {state})",
                      file=out, flush=True)
                consumer.close()
                return 1
        consumer.close()
        return 0
    finally:
        stop.set()
        _restore_signals(old)
        if generator is not None:
            generator.join(15)
        # the generator's producer goes before the broker, so it never logs a lost connection
        producer = None
        if streams is not None:
            print("stopping the app (commit and close) ...", file=out, flush=True)
            streams.close(60)
        if resolved is not None:
            resolved.close()
        print("demo stopped", file=out, flush=True)


def _inline_wordcount(source: str, sink: str) -> Any:
    import re

    from raystreams import Produced, Serdes, StreamsBuilder

    split = re.compile(r"\W+")
    builder = StreamsBuilder()
    (builder.stream(source)
        .flat_map_values(lambda line: [w for w in split.split(line.lower()) if w and w != "the"])
        .group_by(lambda key, word: word).count().to_stream()
        .to(sink, Produced.with_(Serdes.String(), Serdes.Long())))
    return builder.build()


# --------------------------------------------------------------------------- main


def inspector_app_path() -> Path:
    """``inspector/app.py``: beside the ``raystreams`` package in a checkout or an editable
    install, else the installed ``inspector`` package's."""
    import raystreams

    candidates = [Path(raystreams.__file__).resolve().parents[1] / "inspector" / "app.py"]
    spec = importlib.util.find_spec("inspector")
    if spec is not None and spec.origin:
        candidates.append(Path(spec.origin).parent / "app.py")
    for path in candidates:
        if path.is_file() and (path.parent / "views.py").is_file():
            return path
    raise CliException("the inspector's app (inspector/app.py) is not installed with this "
                   "raystreams; install raystreams from its source tree (pip install -e .)")


def inspect_command(args: argparse.Namespace) -> list[str]:
    """The ``streamlit run`` command line ``raystreams inspect`` starts."""
    command = [sys.executable, "-m", "streamlit", "run", str(inspector_app_path()),
               "--server.headless", "true", "--server.address", args.host,
               "--server.port", str(args.port), "--server.fileWatcherType", "none",
               "--client.toolbarMode", "viewer",
               "--browser.gatherUsageStats", "false", "--", "--address", args.address]
    if args.app:
        command += ["--app", args.app]
    return command


def cmd_inspect(args: argparse.Namespace) -> int:
    command = inspect_command(args)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: the inspector listens on {args.host}: anyone who reaches it sees "
              "your apps' topology, metrics and state (it is read-only)", file=sys.stderr)
    print(f"raystreams inspector on http://{args.host}:{args.port} (read-only; Ctrl-C stops it)",
          flush=True)
    # Become the Streamlit server, so Ctrl-C and SIGTERM reach it directly.
    os.execv(command[0], command)
    return 0  # not reached


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="raystreams", description="Kafka Streams for Python, on Ray.",
        epilog="An APP.py defines `def app(): return topology, config`.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at INFO")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run an app until Ctrl-C")
    run.add_argument("app", help="a Python file with app() -> (topology, config)")
    run.add_argument("--bootstrap-servers", "--bootstrap-server", dest="bootstrap_servers")
    run.add_argument("--config", action="append", metavar="KEY=VALUE",
                     help="override a config key (repeatable)")
    run.add_argument("--create-topics", action=argparse.BooleanOptionalAction, default=None,
                     help="create missing source/sink topics (default: only on an embedded "
                          "broker this command started)")
    run.add_argument("--partitions", type=int, default=3, help="partitions of created topics")
    run.add_argument("--progress-interval", type=float, default=5.0, metavar="SECONDS")
    run.add_argument("--max-seconds", type=float, default=None, help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)

    desc = sub.add_parser("describe", help="print an app's topology")
    desc.add_argument("app")
    desc.add_argument("--format", choices=["text", "dot", "svg"], default="text")
    desc.set_defaults(func=cmd_describe)

    broker = sub.add_parser("broker", help="run a local broker in the foreground, or fetch "
                                           "Apache Kafka's jars (warm)")
    broker.add_argument("action", nargs="?", choices=["run", "warm"], default="run",
                        help="run a broker until Ctrl-C (default), or warm the Kafka jar cache")
    broker.add_argument("--kafka", action="store_true", help="Apache Kafka 4.4 (needs Java)")
    broker.add_argument("--port", type=int, default=None)
    broker.set_defaults(func=cmd_broker)

    topics = sub.add_parser("topics", help="list, create or describe topics")
    topics.add_argument("action", choices=["list", "create", "describe"])
    topics.add_argument("topic", nargs="?")
    topics.add_argument("--partitions", type=int, default=1)
    topics.add_argument("--replication-factor", type=int, default=1)
    topics.add_argument("--config", action="append", metavar="KEY=VALUE")
    topics.add_argument("--bootstrap-server", "--bootstrap-servers", dest="bootstrap_server")
    topics.set_defaults(func=cmd_topics)

    produce = sub.add_parser("produce", help="produce stdin lines (kafka-console-producer)")
    produce.add_argument("topic")
    produce.add_argument("--key-separator", default=None,
                         help="split each line into key and value at this separator")
    produce.add_argument("--bootstrap-server", "--bootstrap-servers", dest="bootstrap_server")
    produce.set_defaults(func=cmd_produce)

    consume = sub.add_parser("consume", help="print records (kafka-console-consumer)")
    consume.add_argument("topic")
    consume.add_argument("--from-beginning", action="store_true")
    consume.add_argument("--print-key", action="store_true")
    consume.add_argument("--separator", default="\t", help="between key and value")
    consume.add_argument("--key-deserializer", choices=DESERIALIZERS, default="string")
    consume.add_argument("--value-deserializer", choices=DESERIALIZERS, default="string")
    consume.add_argument("--max-messages", type=int, default=None)
    consume.add_argument("--timeout-ms", type=int, default=None,
                         help="exit after this long without a record")
    consume.add_argument("--group", default=None, help="commit offsets under this group")
    consume.add_argument("--isolation-level", choices=["read_uncommitted", "read_committed"],
                         default="read_uncommitted")
    consume.add_argument("--bootstrap-server", "--bootstrap-servers", dest="bootstrap_server")
    consume.set_defaults(func=cmd_consume)

    drain = sub.add_parser("drain", help="move every task off a Ray node, with its state")
    drain.add_argument("node", help="the Ray node id (or a unique prefix of it)")
    drain.add_argument("--app", default=None, help="only this application.id")
    drain.add_argument("--namespace", default="raystreams", help="the apps' ray.namespace")
    drain.add_argument("--address", default=None, help="the Ray cluster (default $RAY_ADDRESS)")
    drain.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                       help="how long to wait for the tasks to run elsewhere")
    drain.set_defaults(func=cmd_drain)

    demo = sub.add_parser("demo", help="word count end to end on the embedded broker")
    demo.add_argument("--duration", type=float, default=None, metavar="SECONDS",
                      help="stop after running this long (default: at Ctrl-C)")
    demo.add_argument("--rate", type=float, default=50.0, help="lines per second")
    demo.add_argument("--lines", type=int, default=None, help="stop generating after N lines")
    demo.add_argument("--partitions", type=int, default=3)
    demo.add_argument("--top", type=int, default=8)
    demo.add_argument("--bootstrap-servers", "--bootstrap-server", dest="bootstrap_servers")
    demo.set_defaults(func=cmd_demo)

    inspect = sub.add_parser("inspect", help="the inspector: live topology, tasks, lag, state "
                                             "(a Streamlit app)")
    inspect.add_argument("--address", default="auto",
                         help="the Ray cluster (default: auto, the running one or $RAY_ADDRESS)")
    inspect.add_argument("--app", default=None, metavar="APP_ID",
                         help="open this application.id first")
    inspect.add_argument("--port", type=int, default=8501)
    inspect.add_argument("--host", default="127.0.0.1",
                         help="the address to listen on (default: this machine only)")
    inspect.set_defaults(func=cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    from raystreams.errors import StreamsError

    try:
        return int(args.func(args) or 0)
    except CliException as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except StreamsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
