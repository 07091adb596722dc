"""README.md's runnable shell blocks that need a broker and Ray, run as written (after the
install steps, which CI has done): the quick start's ``raystreams demo``, stopped with Ctrl-C
once it prints counts, and the join example's three terminals. Each command is a subprocess
with its own cache dir (so ``raystreams run`` starts and records its own embedded broker, and
the feeder and console consumer find it) that joins the session's Ray through ``RAY_ADDRESS``.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, Lines, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from readme_blocks import runnable_blocks

pytestmark = [pytest.mark.integration, pytest.mark.embedded]


def argv_of(step: list[str]) -> list[str]:
    """``step`` as typed, with ``python`` this interpreter (the venv's, in CI)."""
    if step[0] in ("python", "python3"):
        return [sys.executable, *step[1:]]
    assert shutil.which(step[0]), f"{step[0]} is not on PATH: is raystreams installed?"
    return step


def stop(proc: subprocess.Popen, out: Lines) -> None:
    """Ctrl-C, as the README says; the command commits, closes and exits 0 (``demo``) or 130
    (``run``: 128 + SIGINT after the clean close, docs/RELIABILITY.md)."""
    proc.send_signal(signal.SIGINT)
    try:
        code = proc.wait(90)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert code in (0, 128 + signal.SIGINT), "\n".join(out.lines[-40:])
    assert any(line.strip().endswith("stopped") for line in out.lines), "\n".join(out.lines[-40:])


def test_quick_start_demo_counts_and_stops_on_ctrl_c(cli_env):
    (demo,) = runnable_blocks()[0].run_steps()
    proc = subprocess.Popen(argv_of(demo), cwd=REPO_ROOT, env=cli_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = Lines(proc)
    try:
        out.wait_for("broker: embedded tansu", 60)
        wait_for(lambda: len(counted(out.lines)) >= 3, 180, 0.2, "three lines of live counts")
    finally:
        stop(proc, out)
    assert out.lines[-1] == "demo stopped"
    top = dict(item.split("=") for item in counted(out.lines)[-1].split("RUNNING: ")[1].split(", "))
    assert "the" not in top and int(max(top.values(), key=int)) > 0  # "the" is not counted


def counted(lines: list[str]) -> list[str]:
    """The demo's lines of live counts: ``[ 4.0s] 120 lines in, RUNNING: sea=12, ...``."""
    return [line for line in lines if "RUNNING: " in line and "=" in line]


def test_join_example_in_three_terminals(cli_env):
    (block,) = [b for b in runnable_blocks() if b.kind == "terminals"]
    run, feed, consume = block.run_steps()
    app = subprocess.Popen(argv_of(run), cwd=REPO_ROOT, env=cli_env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    out = Lines(app)
    try:
        out.wait_for("-> RUNNING", 180)
        fed = subprocess.run(argv_of(feed), cwd=REPO_ROOT, env=cli_env, capture_output=True,
                             text=True, timeout=60)
        assert fed.returncode == 0 and fed.stdout.strip() == "sent 6 records", fed.stderr
        read = subprocess.run(argv_of(consume), cwd=REPO_ROOT, env=cli_env, capture_output=True,
                              text=True, timeout=120)
        assert read.returncode == 0, read.stderr
    finally:
        stop(app, out)
    joins = [line.split("\t") for line in read.stdout.splitlines()]
    # per user in order (users may sit on different partitions)
    assert [v for k, v in joins if k == "gildong"] == ["Galaxy send to Newyork"]
    assert [v for k, v in joins if k == "jihun"] == ["iPhone send to Seoul", "G-Wagon send to LA"]
    assert len(joins) == 3
