"""The harness's pure-Python parts: cases, staleness, diffs, the skip-or-fail fixture.

None of these start a JVM.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .harness import ORACLE_DIR, Case, Oracle, Step, render_diff

REPO = ORACLE_DIR.parent.parent


def test_step_and_case_round_trip() -> None:
    steps = [
        Step.pipe("t", "k", "v", 5, headers=[("h", None)]),
        Step.advance(100),
        Step.pipe("t", None, None),
    ]
    case = Case.of("wordcount", steps, config={"statestore.cache.max.bytes": 0}, stores=["counts"])
    request = case.to_request(7)
    assert request == {
        "scenario": "wordcount",
        "config": {"statestore.cache.max.bytes": "0"},
        "params": {},
        "steps": [
            {
                "op": "pipe",
                "topic": "t",
                "key": "k",
                "value": "v",
                "timestamp": 5,
                "headers": [["h", None]],
            },
            {"op": "advance", "ms": 100},
            {"op": "pipe", "topic": "t", "key": None, "value": None},
        ],
        "stores": ["counts"],
        "id": 7,
    }
    assert Case.of("wordcount", request["steps"], request["config"], stores=["counts"]) == case


def test_is_stale(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    source = tmp_path / "src" / "A.java"
    source.write_text("class A {}")
    (tmp_path / "pom.xml").write_text("<project/>")
    oracle = Oracle(tmp_path)
    assert oracle.is_stale()  # no jar
    (tmp_path / "target" / "lib").mkdir(parents=True)
    jar = tmp_path / "target" / "oracle.jar"
    jar.write_bytes(b"")
    os.utime(source, (1000, 1000))
    os.utime(tmp_path / "pom.xml", (1000, 1000))
    os.utime(jar, (2000, 2000))
    assert not oracle.is_stale()
    os.utime(source, (3000, 3000))
    assert oracle.is_stale()


def test_render_diff_marks_differences() -> None:
    case = Case.of("wordcount", [Step.pipe("text-input", None, "a b", 1)], stores=["counts"])
    expected = {
        "outputs": [
            {"step": 0, "topic": "wordcount-output", "key": "a", "value": "1", "timestamp": 1},
            {"step": 0, "topic": "wordcount-output", "key": "b", "value": "1", "timestamp": 1},
        ],
        "stores": {"counts": [["a", "1"], ["b", "1"]]},
        "error": None,
    }
    actual = {
        "outputs": [
            {"step": 0, "topic": "wordcount-output", "key": "a", "value": "1", "timestamp": 1},
            {"step": 0, "topic": "wordcount-output", "key": "b", "value": "2", "timestamp": 1},
        ],
        "stores": {"counts": [["a", "1"]]},
        "error": {"type": "StreamsError", "message": "boom", "phase": "step", "step": 0},
    }
    text = render_diff(case, expected, actual, width=40)
    lines = text.splitlines()
    assert lines[0] == "scenario wordcount"
    assert "  step 0: pipe text-input None='a b' @1" in lines
    assert any(line.startswith("  #0 wordcount-output 'a'='1' @1") for line in lines)
    assert any(
        line.startswith("! #0 wordcount-output 'b'='1' @1") and "'b'='2'" in line for line in lines
    )
    assert any(line.startswith('< ["b", "1"]') for line in lines)
    assert any(line.startswith("! error: none") and "StreamsError: boom" in line for line in lines)
    assert render_diff(case.to_request(), expected, expected).count("!") == 0


@pytest.mark.parametrize(("ci", "outcome"), [("", "skipped"), ("true", "error")])
def test_fixture_without_java_skips_or_fails_on_ci(ci: str, outcome: str) -> None:
    env = {**os.environ, "PATH": "/nonexistent", "CI": ci}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rsf",
            "-p",
            "no:cacheprovider",
            "tests/oracle/test_oracle_server.py::test_hello_lists_every_scenario",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert f"1 {outcome}" in result.stdout, result.stdout + result.stderr
    assert (result.returncode == 0) == (outcome == "skipped")
    assert "install OpenJDK 17 and Maven" in result.stdout


def test_interval_commits_go_on_the_wire_only_when_asked() -> None:
    steps = [Step.pipe("t", "k", "v", 5)]
    assert "commits" not in Case.of("wordcount", steps).to_request()
    case = Case.of("wordcount", steps, commits="interval")
    assert case.to_request()["commits"] == "interval"
    assert "commits interval" in render_diff(case.to_request(), {}, {})
    with pytest.raises(ValueError, match="per_record"):
        Case.of("wordcount", steps, commits="sometimes")


def test_spaced_steps_put_several_records_between_commits() -> None:
    from .twin_runner import COMMIT_INTERVAL, spaced

    steps = spaced([Step.pipe("t", "k", "v", 1), Step.pipe("t", "k", "w", 2)])
    assert [s.op for s in steps] == ["pipe", "advance", "pipe", "advance", "advance"]
    interval = int(COMMIT_INTERVAL["commit.interval.ms"])
    assert steps[1].ms * 2 < interval < steps[1].ms * 3 < steps[-1].ms
