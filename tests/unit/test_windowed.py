"""Window value types, checked against Kafka Streams' TimeWindow/SessionWindow/Windowed rules."""

import pickle

import pytest

from raystreams.windowed import (
    LONG_MAX,
    SessionWindow,
    TimeWindow,
    UnlimitedWindow,
    Window,
    Windowed,
)


def test_time_window_bounds():
    w = TimeWindow(0, 10)
    assert (w.start, w.end) == (0, 10)


@pytest.mark.parametrize(("start", "end", "message"), [
    (-1, 10, "Window start cannot be negative, got -1"),
    (5, 5, "TimeWindow end (5) must be greater than its start (5)"),
    (10, 5, "TimeWindow end (5) must be greater than its start (10)"),
])
def test_time_window_rejects_bad_bounds(start, end, message):
    with pytest.raises(ValueError) as info:
        TimeWindow(start, end)
    assert str(info.value) == message


def test_session_window_allows_zero_length_but_not_negative():
    assert SessionWindow(5, 5).end == 5
    with pytest.raises(ValueError) as info:
        SessionWindow(5, 4)
    assert str(info.value) == "Window end (4) cannot be smaller than window start (5)"
    with pytest.raises(ValueError):
        SessionWindow(-1, 4)


# Overlap vectors follow Kafka's TimeWindowTest: half-open intervals [start, end).
@pytest.mark.parametrize(("other", "expected"), [
    (TimeWindow(0, 50), False),    # ends where this one starts
    (TimeWindow(0, 51), True),
    (TimeWindow(50, 100), True),   # same window
    (TimeWindow(99, 150), True),
    (TimeWindow(100, 150), False),  # starts where this one ends
    (TimeWindow(60, 70), True),    # contained
    (TimeWindow(0, 200), True),    # contains
])
def test_time_window_overlap_is_half_open(other, expected):
    this = TimeWindow(50, 100)
    assert this.overlap(other) is expected
    assert other.overlap(this) is expected


# Kafka's SessionWindowTest: closed intervals, touching ends overlap.
@pytest.mark.parametrize(("other", "expected"), [
    (SessionWindow(0, 49), False),
    (SessionWindow(0, 50), True),
    (SessionWindow(50, 100), True),
    (SessionWindow(100, 150), True),
    (SessionWindow(101, 150), False),
    (SessionWindow(75, 75), True),
])
def test_session_window_overlap_is_inclusive(other, expected):
    this = SessionWindow(50, 100)
    assert this.overlap(other) is expected
    assert other.overlap(this) is expected


def test_overlap_of_different_window_types_is_an_error():
    with pytest.raises(TypeError) as info:
        TimeWindow(0, 10).overlap(SessionWindow(0, 10))
    assert str(info.value) == "Cannot compare windows of different types: TimeWindow and SessionWindow"


def test_unlimited_window():
    w = UnlimitedWindow(7)
    assert (w.start, w.end) == (7, LONG_MAX)
    assert LONG_MAX == 9223372036854775807
    assert w.overlap(UnlimitedWindow(1_000_000)) is True
    assert repr(w) == "UnlimitedWindow(start=7)"


def test_windows_are_immutable():
    w = TimeWindow(0, 10)
    with pytest.raises(AttributeError):
        w.start = 5
    with pytest.raises(AttributeError):
        w.other = 1
    assert not hasattr(w, "__dict__")


def test_equality_needs_the_same_type_and_bounds():
    assert TimeWindow(0, 10) == TimeWindow(0, 10)
    assert TimeWindow(0, 10) != TimeWindow(0, 11)
    assert TimeWindow(0, 10) != SessionWindow(0, 10)
    assert TimeWindow(0, 10) != (0, 10)
    assert hash(TimeWindow(0, 10)) == hash(TimeWindow(0, 10))
    assert len({TimeWindow(0, 10), TimeWindow(0, 10), SessionWindow(0, 10)}) == 2


def test_windows_sort_by_start_then_end():
    windows = [TimeWindow(5, 10), TimeWindow(0, 20), TimeWindow(0, 10), TimeWindow(3, 4)]
    assert sorted(windows) == [TimeWindow(0, 10), TimeWindow(0, 20), TimeWindow(3, 4), TimeWindow(5, 10)]
    assert TimeWindow(0, 10) < TimeWindow(0, 11) <= TimeWindow(0, 11)
    assert TimeWindow(1, 2) > TimeWindow(0, 11) >= TimeWindow(0, 11)


def test_repr():
    assert repr(TimeWindow(0, 10)) == "TimeWindow(start=0, end=10)"
    assert repr(SessionWindow(3, 3)) == "SessionWindow(start=3, end=3)"


@pytest.mark.parametrize("window", [TimeWindow(1, 2), SessionWindow(4, 4), UnlimitedWindow(9)])
def test_windows_pickle(window):
    copy = pickle.loads(pickle.dumps(window))
    assert copy == window
    assert type(copy) is type(window)


def test_base_window_has_no_overlap_rule():
    with pytest.raises(NotImplementedError):
        Window(0, 1).overlap(Window(0, 1))


def test_windowed_repr_matches_kafka_to_string():
    assert repr(Windowed("a", TimeWindow(0, 1000))) == "[a@0/1000]"
    assert str(Windowed(10, SessionWindow(5, 5))) == "[10@5/5]"


def test_windowed_is_frozen_and_hashable():
    a = Windowed("k", TimeWindow(0, 10))
    assert a == Windowed("k", TimeWindow(0, 10))
    assert a != Windowed("k", TimeWindow(0, 20))
    assert a != Windowed("k", SessionWindow(0, 10))
    assert {a: 1}[Windowed("k", TimeWindow(0, 10))] == 1
    assert (a.key, a.window) == ("k", TimeWindow(0, 10))
    with pytest.raises(AttributeError):
        a.key = "other"  # type: ignore[misc]


def test_windowed_pickles():
    a = Windowed("k", SessionWindow(1, 2))
    assert pickle.loads(pickle.dumps(a)) == a
