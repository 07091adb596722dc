"""Browser tests of the inspector over the fake source of tests/inspector.

``inspector_server`` serves ``raystreams inspect`` with that source (the browser, the launch
arguments and ``serve_inspector`` come from tests/conftest.py); the same pages over a live app
are tested in tests/integration/test_inspector_live.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

FAKE_SOURCE = Path(__file__).resolve().parents[1] / "inspector" / "fake_source.py"


@pytest.fixture(scope="module")
def inspector_server(serve_inspector: Callable[..., object]) -> Iterator[str]:
    """``raystreams inspect`` on a free port over the fake source; yields its URL."""
    with serve_inspector(env={"RAYSTREAMS_INSPECTOR_SOURCE": f"{FAKE_SOURCE}:make_source"}) as url:
        yield url
