"""README.md stays true: its generated configuration table, its runnable blocks that need no
broker (the integration test tests/integration/test_readme_commands.py runs the others), and
the commands CI runs."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from readme_blocks import README, ROOT, runnable_blocks


def _load_generator():
    """docs/readme_config.py, the script that writes the README's config table."""
    spec = importlib.util.spec_from_file_location("readme_config",
                                                  ROOT / "docs" / "readme_config.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


readme_config = _load_generator()

CI_RUN = (ROOT / ".ci" / "run").read_text()


def test_config_table_is_generated_from_the_definitions():
    text = README.read_text()
    assert readme_config.render(text) == text, "run `python docs/readme_config.py`"
    table = readme_config.config_table()
    assert "| `application.id` | string | (required) |" in table
    assert "| `processing.guarantee` | string | 'at_least_once' |" in table
    assert "| `task.num.cpus` | double | 0.25 |" in table
    assert "| `state.dir` | path | '$TMPDIR/raystreams' |" in table
    assert "__emit" not in table  # internal keys stay out


def test_the_runnable_blocks_are_the_ones_the_tests_know():
    kinds = [(b.kind, b.lang) for b in runnable_blocks()]
    assert kinds == [("run", "bash"), ("ci", "bash"), ("run", "python"), ("run", "bash"),
                     ("terminals", "bash")]
    quick_start = runnable_blocks()[0]
    assert quick_start.run_steps() == [["raystreams", "demo"]]


def test_ci_runs_the_readme_test_command_in_a_fresh_virtualenv():
    (ci,) = [b for b in runnable_blocks() if b.kind == "ci"]
    command = ci.body.strip()
    assert command in CI_RUN.splitlines()
    assert "python3 -m venv" in CI_RUN and "bin/activate" in CI_RUN
    # the quick start's install steps are CI's: a fresh venv (CI's in .venv-ci), activated,
    # an editable install (CI's with the dev extra)
    steps = runnable_blocks()[0].install_steps()
    assert steps == ["python3 -m venv .venv", ". .venv/bin/activate", "pip install -e ."]
    assert "python3 -m venv .venv-ci && . .venv-ci/bin/activate" in CI_RUN.splitlines()
    assert 'python3 -m pip install -q -e ".[dev]"' in CI_RUN.splitlines()


def test_python_blocks_run():
    blocks = [b for b in runnable_blocks() if b.lang == "python"]
    assert blocks
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), os.environ.get("PYTHONPATH", "")])}
    for block in blocks:
        done = subprocess.run([sys.executable, "-c", block.body], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("Topologies:")


@pytest.mark.parametrize("argv", [s for b in runnable_blocks() if b.kind == "run" and b.lang == "bash"
                                  for s in b.run_steps() if s[:2] == ["raystreams", "describe"]])
def test_describe_blocks_run(argv):
    # the console script the quick start's install made, as a user types it
    assert shutil.which(argv[0]), f"{argv[0]} is not on PATH: is raystreams installed?"
    done = subprocess.run(argv, cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(ROOT), os.environ.get("PYTHONPATH", "")])})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Topologies:\n   Sub-topology: 0\n")
    assert "KSTREAM-JOIN" in done.stdout
