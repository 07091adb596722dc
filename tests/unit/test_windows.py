"""Window specifications: Kafka's validation rules and ``windows_for`` (TimeWindowsTest & co.)."""

from __future__ import annotations

import pickle
from datetime import UTC, timedelta

import pytest

from raystreams.dsl.windows import (
    EmitStrategy,
    JoinWindows,
    SessionWindows,
    SlidingWindows,
    TimeWindows,
    duration_ms,
)
from raystreams.errors import IllegalArgumentException, StreamsError
from raystreams.windowed import TimeWindow


def _bounds(windows: dict[int, TimeWindow]) -> list[tuple[int, int]]:
    return [(w.start, w.end) for w in windows.values()]


# ----------------------------------------------------------------------------- TimeWindows
def test_time_windows_sizes_and_grace():
    w = TimeWindows.of_size_with_no_grace(timedelta(minutes=10))
    assert (w.size_ms, w.advance_ms, w.grace_ms, w.size()) == (600_000, 600_000, 0, 600_000)
    w = TimeWindows.of_size_and_grace(10, timedelta(milliseconds=3)).advance_by(4)
    assert (w.size_ms, w.advance_ms, w.grace_ms, w.grace_period_ms()) == (10, 4, 3, 3)


@pytest.mark.parametrize("size", [0, -1])
def test_time_window_size_must_be_positive(size):
    with pytest.raises(IllegalArgumentException, match=r"Window size \(sizeMs\) must be larger than zero"):
        TimeWindows.of_size_with_no_grace(size)


@pytest.mark.parametrize("advance", [0, -1, 11])
def test_advance_must_be_positive_and_at_most_the_size(advance):
    with pytest.raises(IllegalArgumentException,
                       match="Window advancement interval should be more than zero and less than "
                             f"window duration which is 10 ms, but given advancement interval is: "
                             f"{advance} ms"):
        TimeWindows.of_size_with_no_grace(10).advance_by(advance)


def test_time_window_grace_must_not_be_negative():
    with pytest.raises(IllegalArgumentException, match="Grace period must not be negative."):
        TimeWindows.of_size_and_grace(10, -1)
    TimeWindows.of_size_and_grace(10, 0)


def test_invalid_argument_is_a_value_error_and_a_streams_error():
    with pytest.raises(ValueError):
        TimeWindows.of_size_with_no_grace(0)
    with pytest.raises(StreamsError):
        TimeWindows.of_size_with_no_grace(0)


@pytest.mark.parametrize("bad", ["10", 1.5, None, True])
def test_durations_are_timedelta_or_int_ms(bad):
    with pytest.raises(IllegalArgumentException, match="size"):
        TimeWindows.of_size_with_no_grace(bad)


def test_duration_ms_truncates_like_java():
    assert duration_ms(timedelta(microseconds=1999), "d") == 1
    assert duration_ms(timedelta(microseconds=-1999), "d") == -1
    assert duration_ms(timedelta(days=1), "d") == 86_400_000


def test_windows_for_hopping_windows():
    # Kafka's TimeWindowsTest.shouldComputeWindowsForHoppingWindows
    w = TimeWindows.of_size_with_no_grace(12).advance_by(5)
    assert _bounds(w.windows_for(21)) == [(10, 22), (15, 27), (20, 32)]
    assert list(w.windows_for(21)) == [10, 15, 20]


def test_windows_for_barely_overlapping_hopping_windows():
    w = TimeWindows.of_size_with_no_grace(6).advance_by(5)
    assert _bounds(w.windows_for(7)) == [(5, 11)]


def test_windows_for_tumbling_windows():
    w = TimeWindows.of_size_with_no_grace(12)
    assert _bounds(w.windows_for(21)) == [(12, 24)]
    assert _bounds(w.windows_for(0)) == [(0, 12)]
    assert _bounds(w.windows_for(11)) == [(0, 12)]
    assert _bounds(w.windows_for(12)) == [(12, 24)]


def test_windows_for_early_timestamps_start_at_zero():
    w = TimeWindows.of_size_with_no_grace(10).advance_by(5)
    assert _bounds(w.windows_for(3)) == [(0, 10)]
    assert _bounds(w.windows_for(7)) == [(0, 10), (5, 15)]


def test_windows_for_large_timestamps_count_size_over_advance():
    w = TimeWindows.of_size_with_no_grace(timedelta(minutes=5)).advance_by(timedelta(minutes=1))
    windows = w.windows_for(1_700_000_123_456)
    assert len(windows) == 5
    assert all(s <= 1_700_000_123_456 < win.end for s, win in windows.items())


def test_time_windows_equality_hash_pickle_repr():
    a = TimeWindows.of_size_and_grace(10, 2).advance_by(5)
    b = TimeWindows.of_size_and_grace(10, 2).advance_by(5)
    assert a == b and hash(a) == hash(b)
    assert a != TimeWindows.of_size_and_grace(10, 2)
    assert a != TimeWindows.of_size_and_grace(10, 3).advance_by(5)
    assert pickle.loads(pickle.dumps(a)) == a
    assert repr(a) == "TimeWindows{, sizeMs=10, advanceMs=5, graceMs=2}"


# ----------------------------------------------------------------------------- SlidingWindows
def test_sliding_windows():
    w = SlidingWindows.of_time_difference_and_grace(timedelta(seconds=5), 2000)
    assert (w.time_difference_ms, w.grace_ms) == (5000, 2000)
    assert SlidingWindows.of_time_difference_with_no_grace(5).grace_ms == 0
    assert w == SlidingWindows.of_time_difference_and_grace(5000, 2000)
    assert pickle.loads(pickle.dumps(w)) == w
    with pytest.raises(IllegalArgumentException, match="Window time difference must not be negative."):
        SlidingWindows.of_time_difference_with_no_grace(-1)
    with pytest.raises(IllegalArgumentException, match="Window grace period must not be negative."):
        SlidingWindows.of_time_difference_and_grace(1, -1)


# ----------------------------------------------------------------------------- SessionWindows
def test_session_windows():
    w = SessionWindows.of_inactivity_gap_and_grace(timedelta(seconds=5), 2000)
    assert (w.gap_ms, w.inactivity_gap(), w.grace_ms) == (5000, 5000, 2000)
    assert SessionWindows.of_inactivity_gap_with_no_grace(0).gap_ms == 0
    assert w == SessionWindows.of_inactivity_gap_and_grace(5000, 2000)
    assert w != SessionWindows.of_inactivity_gap_and_grace(5000, 1)
    assert repr(w) == "SessionWindows{gapMs=5000, graceMs=2000}"
    with pytest.raises(IllegalArgumentException, match="Gap time cannot be negative."):
        SessionWindows.of_inactivity_gap_with_no_grace(-1)
    with pytest.raises(IllegalArgumentException, match="Grace period cannot be negative."):
        SessionWindows.of_inactivity_gap_and_grace(1, -1)


# ----------------------------------------------------------------------------- JoinWindows
def test_join_windows_before_after_size():
    w = JoinWindows.of_time_difference_and_grace(timedelta(seconds=5), 100)
    assert (w.before_ms, w.after_ms, w.grace_ms, w.size()) == (5000, 5000, 100, 10_000)
    w2 = w.before(1000).after(2000)
    assert (w2.before_ms, w2.after_ms, w2.grace_ms, w2.size()) == (1000, 2000, 100, 3000)
    assert JoinWindows.of_time_difference_with_no_grace(10).grace_ms == 0
    # a negative bound is allowed as long as the interval is not negative
    assert JoinWindows.of_time_difference_with_no_grace(10).before(-5).size() == 5


def test_join_windows_validation():
    with pytest.raises(IllegalArgumentException,
                       match=r"Window interval \(ie, beforeMs\+afterMs\) must not be negative."):
        JoinWindows.of_time_difference_with_no_grace(5).after(-6)
    with pytest.raises(IllegalArgumentException, match="Grace period must not be negative."):
        JoinWindows.of_time_difference_and_grace(5, -1)
    with pytest.raises(NotImplementedError, match="windowsFor"):
        JoinWindows.of_time_difference_with_no_grace(5).windows_for(0)


def test_join_windows_equality_and_pickle():
    w = JoinWindows.of_time_difference_and_grace(5, 1).before(2)
    assert w == JoinWindows.of_time_difference_and_grace(5, 1).before(2)
    assert w != JoinWindows.of_time_difference_and_grace(5, 1)
    assert pickle.loads(pickle.dumps(w)) == w
    assert repr(w) == "JoinWindows{beforeMs=2, afterMs=5, graceMs=1}"


# ----------------------------------------------------------------------------- EmitStrategy
def test_emit_strategy():
    assert EmitStrategy.on_window_close().type == "ON_WINDOW_CLOSE"
    assert EmitStrategy.on_window_update().type == "ON_WINDOW_UPDATE"
    assert EmitStrategy.on_window_close() == EmitStrategy.on_window_close()
    assert EmitStrategy.on_window_close() != EmitStrategy.on_window_update()
    assert pickle.loads(pickle.dumps(EmitStrategy.on_window_close())).type == "ON_WINDOW_CLOSE"
    with pytest.raises(IllegalArgumentException):
        EmitStrategy("SOMETIMES")  # type: ignore[arg-type]


def test_unlimited_windows():
    from datetime import datetime

    from raystreams import UnlimitedWindows
    from raystreams.windowed import LONG_MAX, UnlimitedWindow

    windows = UnlimitedWindows.of()
    assert windows.windows_for(0) == {0: UnlimitedWindow(0)}
    assert windows.size() == LONG_MAX and windows.grace_period_ms() == 0
    later = windows.start_on(datetime(1970, 1, 1, 0, 0, 5, tzinfo=UTC))
    assert later == UnlimitedWindows.of().start_on(5000) and later != windows
    assert later.windows_for(4999) == {} and later.windows_for(5000) == {5000: UnlimitedWindow(5000)}
    assert repr(later) == "UnlimitedWindows{startMs=5000}"
    with pytest.raises(IllegalArgumentException, match="cannot be negative"):
        windows.start_on(-1)
