"""AppTest fixtures: the inspector's app file run against the fake source of this folder."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
APP_FILE = HERE.parents[1] / "inspector" / "app.py"
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))  # the app imports the fake as ``fake_source:<factory>``


@pytest.fixture
def inspector_app(monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    """Make an AppTest of inspector/app.py over ``fake_source.<factory>``, with query params."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def make(factory: str = "make_source", **params: str) -> AppTest:
        st.cache_resource.clear()  # a fresh source per test
        monkeypatch.setenv("RAYSTREAMS_INSPECTOR_SOURCE", f"fake_source:{factory}")
        at = AppTest.from_file(str(APP_FILE), default_timeout=30)
        for name, value in params.items():
            at.query_params[name] = value
        return at

    return make
