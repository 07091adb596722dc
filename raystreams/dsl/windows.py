"""Window specifications of the DSL: TimeWindows, SlidingWindows, SessionWindows, JoinWindows.

They mirror Kafka Streams' ``kstream.TimeWindows``, ``SlidingWindows``, ``SessionWindows``,
``JoinWindows`` and ``EmitStrategy``: immutable values, built by the same factory methods
(``of_size_with_no_grace`` is ``ofSizeWithNoGrace``), validated with Kafka's messages.
Durations are ``datetime.timedelta`` or integer milliseconds.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from raystreams.durations import JAVA_LONG_MAX, JAVA_LONG_MIN, millis
from raystreams.errors import IllegalArgumentException, InvalidWindowArgument
from raystreams.windowed import LONG_MAX, TimeWindow, UnlimitedWindow

__all__ = [
    "EmitStrategy",
    "InvalidWindowArgument",
    "JoinWindows",
    "SessionWindows",
    "SlidingWindows",
    "TimeWindows",
    "UnlimitedWindows",
    "duration_ms",
]

NO_GRACE_PERIOD = 0


def duration_ms(value: timedelta | int, what: str) -> int:
    """Milliseconds of a ``timedelta`` or an int of ms (Kafka's ``validateMillisecondDuration``).

    Args:
        value: The duration.
        what: The parameter's name, for the error message.

    Raises:
        IllegalArgumentException: ``value`` is neither, or does not fit a Java long of ms.
    """
    ms = millis(value)
    if ms is None:
        raise IllegalArgumentException(
            f"Failed to check {what}: {what} must be a timedelta or an int of milliseconds, "
            f"got {value!r}")
    if not JAVA_LONG_MIN <= ms <= JAVA_LONG_MAX:
        raise IllegalArgumentException(
            f'Invalid value for parameter "{what}" (value was: {value!r}). '
            f"It can't be expressed in milliseconds.")
    return ms


class _WindowSpec:
    """Value semantics shared by the window specifications: equality, hashing, pickling
    and the grace period, all derived from the constructor arguments ``_args()``."""

    _grace_ms: int

    def _args(self) -> tuple[int, ...]:
        raise NotImplementedError

    @property
    def grace_ms(self) -> int:
        """The grace period in ms."""
        return self._grace_ms

    def grace_period_ms(self) -> int:
        """The grace period in ms (Kafka's ``gracePeriodMs()``)."""
        return self._grace_ms

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._args() == other._args()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._args()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self._args())


class TimeWindows(_WindowSpec):
    """Fixed-size windows: tumbling, or hopping after ``advance_by`` (Kafka's ``TimeWindows``).

    Windows are aligned to the epoch and half-open: ``[start, start + size)``. A record
    belongs to every window whose interval holds its timestamp. Windows accept records
    until ``grace`` ms after their end (in stream time); later ones are dropped.

    Example:
        >>> w = TimeWindows.of_size_with_no_grace(timedelta(minutes=10))
        >>> w.size_ms, w.advance_ms, w.grace_ms
        (600000, 600000, 0)
        >>> [(t.start, t.end) for t in TimeWindows.of_size_with_no_grace(10).advance_by(5)
        ...     .windows_for(12).values()]
        [(5, 15), (10, 20)]
    """

    __slots__ = ("size_ms", "advance_ms", "_grace_ms")

    def __init__(self, size_ms: int, advance_ms: int, grace_ms: int) -> None:
        if size_ms <= 0:
            raise IllegalArgumentException("Window size (sizeMs) must be larger than zero.")
        if advance_ms <= 0 or advance_ms > size_ms:
            raise IllegalArgumentException(
                "Window advancement interval should be more than zero and less than window "
                f"duration which is {size_ms} ms, but given advancement interval is: "
                f"{advance_ms} ms")
        if grace_ms < 0:
            raise IllegalArgumentException("Grace period must not be negative.")
        self.size_ms = size_ms
        self.advance_ms = advance_ms
        self._grace_ms = grace_ms

    @classmethod
    def of_size_with_no_grace(cls, size: timedelta | int) -> TimeWindows:
        """Tumbling windows of ``size`` that drop every record arriving after the window end."""
        return cls.of_size_and_grace(size, NO_GRACE_PERIOD)

    @classmethod
    def of_size_and_grace(cls, size: timedelta | int,
                          after_window_end: timedelta | int) -> TimeWindows:
        """Tumbling windows of ``size`` that accept records until ``after_window_end`` past their end."""
        size_ms = duration_ms(size, "size")
        grace_ms = duration_ms(after_window_end, "afterWindowEnd")
        return cls(size_ms, size_ms, grace_ms)

    def advance_by(self, advance: timedelta | int) -> TimeWindows:
        """Hopping windows: the same size and grace, a new window every ``advance``."""
        return TimeWindows(self.size_ms, duration_ms(advance, "advance"), self._grace_ms)

    def windows_for(self, timestamp: int) -> dict[int, TimeWindow]:
        """Every window holding ``timestamp``, by start time, in ascending order."""
        size, advance = self.size_ms, self.advance_ms
        start = (max(0, timestamp - size + advance) // advance) * advance
        windows: dict[int, TimeWindow] = {}
        while start <= timestamp:
            windows[start] = TimeWindow(start, start + size)
            start += advance
        return windows

    def size(self) -> int:
        """The window size in ms."""
        return self.size_ms

    def _args(self) -> tuple[int, ...]:
        return (self.size_ms, self.advance_ms, self._grace_ms)

    def __repr__(self) -> str:
        return (f"TimeWindows{{, sizeMs={self.size_ms}, advanceMs={self.advance_ms}, "
                f"graceMs={self._grace_ms}}}")


class SlidingWindows(_WindowSpec):
    """Windows of ``time_difference`` that slide with each record (Kafka's ``SlidingWindows``).

    Two records fall into one window when their timestamps differ by at most
    ``time_difference``; windows are inclusive at both ends. Aggregating over them yields
    a ``TimeWindowedKStream``, as in Kafka Streams.
    """

    __slots__ = ("time_difference_ms", "_grace_ms")

    def __init__(self, time_difference_ms: int, grace_ms: int) -> None:
        if time_difference_ms < 0:
            raise IllegalArgumentException("Window time difference must not be negative.")
        if grace_ms < 0:
            raise IllegalArgumentException("Window grace period must not be negative.")
        self.time_difference_ms = time_difference_ms
        self._grace_ms = grace_ms

    @classmethod
    def of_time_difference_with_no_grace(cls, time_difference: timedelta | int) -> SlidingWindows:
        """Sliding windows of ``time_difference`` with no grace period."""
        return cls.of_time_difference_and_grace(time_difference, NO_GRACE_PERIOD)

    @classmethod
    def of_time_difference_and_grace(cls, time_difference: timedelta | int,
                                     after_window_end: timedelta | int) -> SlidingWindows:
        """Sliding windows of ``time_difference`` accepting records ``after_window_end`` late."""
        return cls(duration_ms(time_difference, "timeDifference"),
                   duration_ms(after_window_end, "afterWindowEnd"))

    def _args(self) -> tuple[int, ...]:
        return (self.time_difference_ms, self._grace_ms)

    def __repr__(self) -> str:
        return f"SlidingWindows{{, sizeMs={self.time_difference_ms}, graceMs={self._grace_ms}}}"


class UnlimitedWindows(_WindowSpec):
    """One window per key from ``start`` to the end of time (Kafka's ``UnlimitedWindows``).

    Every record at or after the start falls into it, none is ever late and the window never
    closes, so it aggregates a key's whole history from ``start`` on.

    Example:
        >>> [(w.start, w.end == LONG_MAX) for w in UnlimitedWindows.of().windows_for(42).values()]
        [(0, True)]
    """

    __slots__ = ("start_ms", "_grace_ms")

    def __init__(self, start_ms: int = 0) -> None:
        if start_ms < 0:
            raise IllegalArgumentException("Window start time (startMs) cannot be negative.")
        self.start_ms = start_ms
        self._grace_ms = 0

    @classmethod
    def of(cls) -> UnlimitedWindows:
        """Unlimited windows starting at the epoch."""
        return cls(0)

    def start_on(self, start: datetime | int) -> UnlimitedWindows:
        """The same windows starting at ``start`` (epoch ms or an aware ``datetime``)."""
        if isinstance(start, datetime):
            ms = int(start.timestamp() * 1000)
        elif isinstance(start, int) and not isinstance(start, bool):
            ms = start
        else:
            raise IllegalArgumentException(f"Failed to check start: start must be a datetime or "
                                           f"epoch milliseconds, got {start!r}")
        return UnlimitedWindows(ms)

    def windows_for(self, timestamp: int) -> dict[int, UnlimitedWindow]:
        """The one window, if ``timestamp`` is at or after its start."""
        if timestamp >= self.start_ms:
            return {self.start_ms: UnlimitedWindow(self.start_ms)}
        return {}

    @property
    def size_ms(self) -> int:
        return LONG_MAX

    def size(self) -> int:
        """``LONG_MAX``: the windows never end."""
        return LONG_MAX

    def _args(self) -> tuple[int, ...]:
        return (self.start_ms,)

    def __repr__(self) -> str:
        return f"UnlimitedWindows{{startMs={self.start_ms}}}"


class SessionWindows(_WindowSpec):
    """Activity sessions separated by an inactivity gap (Kafka's ``SessionWindows``).

    A session grows while records arrive within ``inactivity_gap`` of it; records that
    bridge two sessions merge them. Sessions accept records until ``grace`` ms after their
    end (in stream time).
    """

    __slots__ = ("gap_ms", "_grace_ms")

    def __init__(self, gap_ms: int, grace_ms: int) -> None:
        if gap_ms < 0:
            raise IllegalArgumentException("Gap time cannot be negative.")
        if grace_ms < 0:
            raise IllegalArgumentException("Grace period cannot be negative.")
        self.gap_ms = gap_ms
        self._grace_ms = grace_ms

    @classmethod
    def of_inactivity_gap_with_no_grace(cls, inactivity_gap: timedelta | int) -> SessionWindows:
        """Sessions with ``inactivity_gap`` and no grace period."""
        return cls.of_inactivity_gap_and_grace(inactivity_gap, NO_GRACE_PERIOD)

    @classmethod
    def of_inactivity_gap_and_grace(cls, inactivity_gap: timedelta | int,
                                    after_window_end: timedelta | int) -> SessionWindows:
        """Sessions with ``inactivity_gap`` accepting records ``after_window_end`` late."""
        return cls(duration_ms(inactivity_gap, "inactivityGap"),
                   duration_ms(after_window_end, "afterWindowEnd"))

    def inactivity_gap(self) -> int:
        """The inactivity gap in ms."""
        return self.gap_ms

    def _args(self) -> tuple[int, ...]:
        return (self.gap_ms, self._grace_ms)

    def __repr__(self) -> str:
        return f"SessionWindows{{gapMs={self.gap_ms}, graceMs={self._grace_ms}}}"


class JoinWindows(_WindowSpec):
    """The time bounds of a stream-stream join (Kafka's ``JoinWindows``).

    A record of the other stream joins when its timestamp lies in
    ``[ts - before_ms, ts + after_ms]``; both bounds start as ``time_difference``.
    """

    __slots__ = ("before_ms", "after_ms", "_grace_ms")

    def __init__(self, before_ms: int, after_ms: int, grace_ms: int) -> None:
        if before_ms + after_ms < 0:
            raise IllegalArgumentException(
                "Window interval (ie, beforeMs+afterMs) must not be negative.")
        if grace_ms < 0:
            raise IllegalArgumentException("Grace period must not be negative.")
        self.before_ms = before_ms
        self.after_ms = after_ms
        self._grace_ms = grace_ms

    @classmethod
    def of_time_difference_with_no_grace(cls, time_difference: timedelta | int) -> JoinWindows:
        """Join within ``time_difference`` either way, with no grace period."""
        return cls.of_time_difference_and_grace(time_difference, NO_GRACE_PERIOD)

    @classmethod
    def of_time_difference_and_grace(cls, time_difference: timedelta | int,
                                     after_window_end: timedelta | int) -> JoinWindows:
        """Join within ``time_difference`` either way, accepting records ``after_window_end`` late."""
        diff = duration_ms(time_difference, "timeDifference")
        return cls(diff, diff, duration_ms(after_window_end, "afterWindowEnd"))

    def before(self, time_difference: timedelta | int) -> JoinWindows:
        """The same windows with a new lower bound: other records up to this much earlier."""
        return JoinWindows(duration_ms(time_difference, "timeDifference"), self.after_ms,
                           self._grace_ms)

    def after(self, time_difference: timedelta | int) -> JoinWindows:
        """The same windows with a new upper bound: other records up to this much later."""
        return JoinWindows(self.before_ms, duration_ms(time_difference, "timeDifference"),
                           self._grace_ms)

    def size(self) -> int:
        """``before_ms + after_ms``."""
        return self.before_ms + self.after_ms

    def windows_for(self, timestamp: int) -> dict[int, Any]:
        """Not supported, as in Kafka Streams."""
        raise NotImplementedError("windowsFor() is not supported by JoinWindows.")

    def _args(self) -> tuple[int, ...]:
        return (self.before_ms, self.after_ms, self._grace_ms)

    def __repr__(self) -> str:
        return (f"JoinWindows{{beforeMs={self.before_ms}, afterMs={self.after_ms}, "
                f"graceMs={self._grace_ms}}}")


StrategyType = Literal["ON_WINDOW_UPDATE", "ON_WINDOW_CLOSE"]


class EmitStrategy:
    """When a windowed aggregation emits (Kafka's ``EmitStrategy``, KIP-825).

    ``on_window_update()`` (the default) emits every update of a window;
    ``on_window_close()`` emits each window's final result once, after it closes.
    """

    __slots__ = ("type",)

    ON_WINDOW_UPDATE: StrategyType = "ON_WINDOW_UPDATE"
    ON_WINDOW_CLOSE: StrategyType = "ON_WINDOW_CLOSE"

    def __init__(self, type: StrategyType) -> None:  # noqa: A002 - Kafka's name
        if type not in ("ON_WINDOW_UPDATE", "ON_WINDOW_CLOSE"):
            raise IllegalArgumentException(
                f"EmitStrategy type must be ON_WINDOW_UPDATE or ON_WINDOW_CLOSE, got {type!r}")
        self.type = type

    @classmethod
    def on_window_update(cls) -> EmitStrategy:
        """Emit a result every time a window is updated."""
        return cls("ON_WINDOW_UPDATE")

    @classmethod
    def on_window_close(cls) -> EmitStrategy:
        """Emit a window's final result once, when stream time passes its end plus grace."""
        return cls("ON_WINDOW_CLOSE")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EmitStrategy):
            return NotImplemented
        return self.type == other.type

    def __hash__(self) -> int:
        return hash((EmitStrategy, self.type))

    def __reduce__(self) -> tuple[Any, ...]:
        return (EmitStrategy, (self.type,))

    def __repr__(self) -> str:
        return f"EmitStrategy.{self.type}"
