"""Fixtures every test folder may use: the inspector served by ``raystreams inspect`` and
the browser that drives it.

Playwright's own browser downloads are impossible here, so the launch points at
``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` does). ``serve_inspector``
starts ``raystreams inspect`` headless on a free port and waits for Streamlit's health check:
tests/browser serves it over the fake source, tests/integration over a live app.
``RAYSTREAMS_SCREENSHOTS=docs`` saves the pages' screenshots into docs/ (how the docs'
pictures are made); otherwise they go to the test's tmp dir.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM),
            "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1500, "height": 1000}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, deadline_s: float = 120.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the inspector exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"the inspector did not answer in {deadline_s:.0f} s:\n{log.read_text()}")


@contextlib.contextmanager
def _serve(log: Path, args: list[str], env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, **env,
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "raystreams.cli", "inspect", "--port", str(port), *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    except BaseException:
        sys.stderr.write(f"--- the inspector's log (tail) ---\n{log.read_text()[-6000:]}\n")
        raise
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def serve_inspector(tmp_path_factory: pytest.TempPathFactory,
                    ) -> Callable[..., contextlib.AbstractContextManager[str]]:
    """``with serve_inspector(*args, env={...}) as url``: ``raystreams inspect --port <free>
    *args`` headless, until the block ends; its output goes to a log shown on failure."""

    def serve(*args: str, env: dict[str, str] | None = None,
              ) -> contextlib.AbstractContextManager[str]:
        log = tmp_path_factory.mktemp("inspector") / "streamlit.log"
        return _serve(log, list(args), env or {})

    return serve


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("RAYSTREAMS_SCREENSHOTS") == "docs" else tmp_path
