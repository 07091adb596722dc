"""The CLI end to end on the embedded default: ``raystreams run examples/wordcount.py`` fed by
``raystreams produce`` and read by ``raystreams consume``, and ``raystreams demo``. Each command
runs as a subprocess with its own cache dir (so it starts and records its own embedded broker)
and joins the session's Ray cluster through ``RAY_ADDRESS``.
"""

from __future__ import annotations

import collections
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from conftest import REPO_ROOT, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.embedded]

RAYSTREAMS = [sys.executable, "-m", "raystreams.cli"]


@pytest.fixture
def cli_env(ray_cluster, tmp_path):
    env = dict(os.environ)
    env.update({"RAY_ADDRESS": ray_cluster.address, "RAY_AUTH_MODE": "disabled",
                "RAYSTREAMS_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"})
    return env


class Lines:
    """A subprocess's output lines, read on a thread, so tests can wait with a deadline."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 90.0) -> None:
        wait_for(lambda: any(text in line for line in self.lines) or self.proc.poll() is not None,
                 timeout, 0.1, f"{text!r} in the output")
        assert any(text in line for line in self.lines), "\n".join(self.lines[-40:])


def test_run_wordcount_example_with_console_producer_and_consumer(cli_env):
    app_id = f"wc-cli-{uuid.uuid4().hex[:6]}"
    run = subprocess.Popen([*RAYSTREAMS, "run", os.path.join(REPO_ROOT, "examples", "wordcount.py"),
                            "--config", f"application.id={app_id}",
                            "--config", "commit.interval.ms=200", "--progress-interval", "1"],
                           env=cli_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
    out = Lines(run)
    try:
        out.wait_for("started the embedded tansu broker")
        out.wait_for("-> RUNNING")
        text = "the cat sat on the mat\nThe Cat, the hat\n"
        produced = subprocess.run([*RAYSTREAMS, "produce", "streams-plaintext-input"],
                                  input=text, env=cli_env, capture_output=True, text=True,
                                  timeout=60)
        assert produced.returncode == 0, produced.stderr
        expected = {"cat": "2", "sat": "1", "on": "1", "mat": "1", "hat": "1"}

        def counts():
            done = subprocess.run([*RAYSTREAMS, "consume", "streams-wordcount-output",
                                   "--from-beginning", "--print-key", "--value-deserializer",
                                   "long", "--timeout-ms", "1500"], env=cli_env,
                                  capture_output=True, text=True, timeout=60)
            latest = dict(line.split("\t") for line in done.stdout.splitlines() if "\t" in line)
            return latest == expected

        wait_for(counts, 90, 0.5, "word counts through the console consumer")
        topics = subprocess.run([*RAYSTREAMS, "topics", "list"], env=cli_env,
                                capture_output=True, text=True, timeout=60)
        assert f"{app_id}-KSTREAM-AGGREGATE-STATE-STORE-0000000003-changelog" in topics.stdout
        created = subprocess.run([*RAYSTREAMS, "topics", "create", "extra", "--partitions", "2",
                                  "--config", "retention.ms=1000"], env=cli_env,
                                 capture_output=True, text=True, timeout=60)
        assert created.returncode == 0 and "Created topic extra." in created.stdout
        described = subprocess.run([*RAYSTREAMS, "topics", "describe", "extra"], env=cli_env,
                                   capture_output=True, text=True, timeout=60)
        assert "PartitionCount: 2" in described.stdout and "retention.ms=1000" in described.stdout
        out.wait_for("records processed")  # progress lines, never silence
    finally:
        run.send_signal(signal.SIGINT)
        code = run.wait(60)
    assert code == 0, "\n".join(out.lines[-40:])
    assert any(line == "stopped" for line in out.lines)


def test_demo_prints_live_counts_and_stops_cleanly(cli_env):
    started = time.monotonic()
    done = subprocess.run([*RAYSTREAMS, "demo", "--duration", "5", "--rate", "200"],
                          env=cli_env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert any("broker: embedded tansu" in line for line in lines)
    counted = [line for line in lines if "RUNNING:" in line and "=" in line]
    assert counted, done.stdout[-3000:]
    last = dict(item.split("=") for item in counted[-1].split("RUNNING: ")[1].split(", "))
    assert "the" not in last and int(max(last.values(), key=int)) > 0
    assert lines[-1] == "demo stopped"
    assert collections.Counter(line.startswith("[") for line in lines)[True] >= 3
    assert time.monotonic() - started < 230
