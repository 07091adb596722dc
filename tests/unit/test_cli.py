"""The raystreams CLI without a broker or Ray: parsing, the app module convention, describe."""

from __future__ import annotations

import textwrap

import pytest

from raystreams import cli
from raystreams.serde import Serdes

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples"


def test_parser_knows_every_command():
    parser = cli.build_parser()
    args = parser.parse_args(["run", "app.py", "--config", "commit.interval.ms=100"])
    assert (args.command, args.app, args.config) == ("run", "app.py", ["commit.interval.ms=100"])
    args = parser.parse_args(["describe", "app.py", "--format", "dot"])
    assert args.format == "dot"
    assert parser.parse_args(["broker", "--kafka"]).kafka
    args = parser.parse_args(["topics", "create", "t", "--partitions", "3"])
    assert (args.action, args.topic, args.partitions) == ("create", "t", 3)
    assert parser.parse_args(["produce", "t", "--key-separator", ":"]).key_separator == ":"
    args = parser.parse_args(["consume", "t", "--from-beginning", "--print-key"])
    assert args.from_beginning and args.print_key
    assert parser.parse_args(["demo", "--duration", "3"]).duration == 3.0


def test_load_app_follows_the_convention(tmp_path):
    topology, config, module = cli.load_app(str(EXAMPLES / "wordcount.py"))
    assert config["application.id"] == "streams-wordcount"
    assert [s.id for s in topology.subtopologies()] == [0, 1]
    assert module.words("The cat, the DOG") == ["cat", "dog"]


@pytest.mark.parametrize("body, message", [
    ("x = 1\n", "has no app() function"),
    ("def app():\n    return 1\n", "must return (topology, config)"),
    ("def app():\n    return 'not a topology', {}\n", "where a Topology"),
])
def test_load_app_errors_say_what_to_write(tmp_path, body, message):
    path = tmp_path / "bad_app.py"
    path.write_text(body)
    with pytest.raises(cli.CliException, match=message.replace("(", r"\(").replace(")", r"\)")):
        cli.load_app(str(path))


def test_describe_prints_kafka_streams_text(capsys):
    assert cli.main(["describe", str(EXAMPLES / "wordcount.py")]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Topologies:\n   Sub-topology: 0\n")
    assert "Sub-topology: 1" in text


def test_describe_dot(capsys):
    assert cli.main(["describe", str(EXAMPLES / "wordcount.py"), "--format", "dot"]) == 0
    assert capsys.readouterr().out.startswith("digraph")


def test_missing_app_file_is_a_clear_error(capsys):
    assert cli.main(["run", "/no/such/app.py"]) == 2
    assert "no such app file" in capsys.readouterr().err


def test_config_pairs_and_values():
    assert cli._parse_pairs(["a=1", "b.c=x=y"], "--config") == {"a": "1", "b.c": "x=y"}
    with pytest.raises(cli.CliException, match="KEY=VALUE"):
        cli._parse_pairs(["nokey"], "--config")
    assert [cli._coerce(v) for v in ("100", "0.5", "true", "earliest")] == [100, 0.5, True,
                                                                            "earliest"]


def test_deserializers():
    assert cli._deserializer("long")(Serdes.Long().serialize("", 42)) == "42"
    assert cli._deserializer("string")(b"hi") == "hi"
    assert cli._deserializer("string")(None) == "null"


def test_user_topics_skip_internal_ones():
    topology, _, _ = cli.load_app(str(EXAMPLES / "wordcount.py"))
    assert cli._user_topics(topology) == ["streams-plaintext-input", "streams-wordcount-output"]


def test_demo_lines_are_deterministic():
    lines = cli._demo_lines(seed=1)
    first = [next(lines) for _ in range(3)]
    again = cli._demo_lines(seed=1)
    assert [next(again) for _ in range(3)] == first


def test_inline_wordcount_matches_the_example():
    from raystreams.testing import TopologyTestDriver

    with TopologyTestDriver(cli._inline_wordcount("in", "out")) as driver:
        driver.create_input_topic("in").pipe_input(None, "The cat and THE hat")
        out = driver.create_output_topic("out", Serdes.String(), Serdes.Long())
        assert out.read_key_values_to_map() == {"cat": 1, "and": 1, "hat": 1}


def test_app_module_docstring_documents_the_convention():
    assert "def app()" in textwrap.dedent(cli.__doc__)


@pytest.mark.skipif(__import__("shutil").which("dot") is None
                    and __import__("os").environ.get("CI") != "true",
                    reason="Graphviz `dot` is not installed: apt-get install graphviz "
                           "(under CI=true this test runs and fails instead)")
def test_describe_svg(capsys):
    assert cli.main(["describe", str(EXAMPLES / "wordcount.py"), "--format", "svg"]) == 0
    assert "<svg" in capsys.readouterr().out


def test_line_writer_keeps_lines_from_two_threads_whole():
    import io
    import threading
    import time

    from raystreams.cli import LineWriter

    class SwitchingSink(io.StringIO):
        """Gives the other thread a turn inside every write, as a busy terminal does."""

        def write(self, text: str) -> int:
            time.sleep(0.0001)
            return super().write(text)

    sink = SwitchingSink()
    out = LineWriter(sink)

    def say(tag: str) -> None:
        for i in range(500):
            print(f"{tag} line {i}", file=out, flush=True)

    threads = [threading.Thread(target=say, args=(tag,)) for tag in ("state", "progress")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = sink.getvalue().splitlines()
    assert sorted(lines) == sorted(f"{tag} line {i}" for tag in ("state", "progress")
                                   for i in range(500))
