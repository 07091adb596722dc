"""raystreams.durations: the one reading of "a timedelta or ms" behind every API that takes one."""

from datetime import timedelta

import pytest

from raystreams.durations import millis


@pytest.mark.parametrize(("value", "expected"), [
    (timedelta(seconds=2), 2000),
    (timedelta(microseconds=1999), 1),            # below 1 ms is dropped...
    (timedelta(microseconds=-1999), -1),          # ...toward zero, as Java's Duration.toMillis
    (timedelta(days=1, milliseconds=5), 86_400_005),
    (250, 250),
    (-3, -3),
])
def test_durations_read_as_java_does(value, expected):
    assert millis(value) == expected


@pytest.mark.parametrize("value", [True, "100", None, 1.5])
def test_what_is_not_a_duration_is_none(value):
    assert millis(value) is None


def test_floats_only_where_asked():
    assert millis(2.9, floats=True) == 2
    assert millis(True, floats=True) is None
