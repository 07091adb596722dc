"""Browser tests of the inspector: Playwright drives Debian's Chromium against a served app.

Playwright's own browser downloads are impossible here, so the launch points at
``/usr/bin/chromium`` (``apt-get install chromium``; ``.ci/run`` does). ``inspector_server``
starts ``raystreams inspect`` headless on a free port with the fake source of
tests/inspector (the real-runtime test will start it against a live app instead) and waits
for Streamlit's health check. ``RAYSTREAMS_SCREENSHOTS=docs`` saves the pages' screenshots
into docs/ (how the docs' pictures are made); otherwise they go to the test's tmp dir.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
FAKE_SOURCE = ROOT / "tests" / "inspector" / "fake_source.py"


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


@pytest.fixture(scope="module")
def inspector_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``raystreams inspect`` on a free port over the fake source; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("inspector") / "streamlit.log"
    env = {**os.environ, "RAYSTREAMS_INSPECTOR_SOURCE": f"{FAKE_SOURCE}:make_source",
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH"))
                                         if p)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "raystreams.cli", "inspect", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    return ROOT / "docs" if os.environ.get("RAYSTREAMS_SCREENSHOTS") == "docs" else tmp_path
