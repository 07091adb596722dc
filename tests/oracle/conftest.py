"""Fixtures for the Kafka Streams oracle: one JVM per pytest session."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from .harness import INSTALL_HINT, Oracle


def _on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def oracle() -> Iterator[Oracle]:
    """The Kafka Streams 4.4 oracle, built if stale and started once per session.

    Skips when ``java`` or ``mvn`` is missing, except under ``CI=true``, where it fails.
    """
    missing = Oracle.missing_tools()
    if missing:
        reason = f"Kafka Streams oracle needs {' and '.join(missing)} on PATH: {INSTALL_HINT}"
        if _on_ci():
            pytest.fail(f"CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    instance = Oracle()
    try:
        instance.start()
        yield instance
    finally:
        instance.close()
