"""The CLI end to end on the embedded default: ``raystreams run examples/wordcount.py`` fed by
``raystreams produce`` and read by ``raystreams consume`` (``raystreams demo`` runs in
test_readme_commands.py, as the README's quick start has it). Each command
runs as a subprocess with its own cache dir (so it starts and records its own embedded broker)
and joins the session's Ray cluster through ``RAY_ADDRESS``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid

import pytest
from conftest import REPO_ROOT, Lines, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.embedded]

RAYSTREAMS = [sys.executable, "-m", "raystreams.cli"]


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
    # committed and closed, then 128 + SIGINT as a signalled command should (docs/RELIABILITY.md)
    assert code == 128 + signal.SIGINT, "\n".join(out.lines[-40:])
    assert any(line == "stopped" for line in out.lines)


def test_run_without_bootstrap_is_refused_on_a_multi_node_cluster(add_ray_node, cli_env):
    add_ray_node(num_cpus=1)
    done = subprocess.run([*RAYSTREAMS, "run", os.path.join(REPO_ROOT, "examples", "wordcount.py"),
                           "--config", f"application.id=wc-refused-{uuid.uuid4().hex[:6]}"],
                          env=cli_env, capture_output=True, text=True, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode != 0, output[-3000:]
    assert "bootstrap.servers is not set, but the Ray cluster has 2 nodes" in output, output[-3000:]
    assert "started the embedded" not in output  # refused before any broker started
