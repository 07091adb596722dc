"""Window value types: Window, TimeWindow, SessionWindow, UnlimitedWindow and Windowed.

These mirror Kafka Streams' ``kstream.Window`` / ``kstream.Windowed`` and the internal
``TimeWindow``, ``SessionWindow`` and ``UnlimitedWindow``. Times are epoch milliseconds.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from raystreams.errors import IllegalArgumentException

__all__ = [
    "LONG_MAX",
    "SessionWindow",
    "TimeWindow",
    "UnlimitedWindow",
    "Window",
    "Windowed",
]

K = TypeVar("K")

LONG_MAX = (1 << 63) - 1
"""Java's ``Long.MAX_VALUE``: the end of an unlimited window, and the cap on window ends."""

_set = object.__setattr__


class Window:
    """An immutable time interval ``[start, end]`` in ms (Kafka Streams' ``Window``).

    Subclasses decide what ``overlap`` means. Windows compare equal only to windows of the
    same type with the same bounds, and sort by ``(start, end)``.

    Args:
        start: Start of the window in ms; not negative.
        end: End of the window in ms; not before ``start``.

    Raises:
        IllegalArgumentException: ``start`` is negative or ``end`` is smaller than ``start``.
    """

    __slots__ = ("start", "end")

    start: int
    end: int

    def __init__(self, start: int, end: int) -> None:
        if start < 0:
            raise IllegalArgumentException(f"Window start cannot be negative, got {start}")
        if end < start:
            raise IllegalArgumentException(
                f"Window end ({end}) cannot be smaller than window start ({start})")
        _set(self, "start", start)
        _set(self, "end", end)

    def overlap(self, other: Window) -> bool:
        """Whether this window and ``other`` (of the same type) share any time."""
        raise NotImplementedError

    def _check_same_type(self, other: Window) -> None:
        if type(other) is not type(self):
            raise TypeError(
                f"Cannot compare windows of different types: {type(self).__name__} "
                f"and {type(other).__name__}"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        # __setattr__ is blocked, so rebuild through the constructor.
        return (type(self), (self.start, self.end))

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self.start == other.start and self.end == other.end  # type: ignore[attr-defined]
        if isinstance(other, Window):
            return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Window):
            return NotImplemented
        return (self.start, self.end) < (other.start, other.end)

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Window):
            return NotImplemented
        return (self.start, self.end) <= (other.start, other.end)

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Window):
            return NotImplemented
        return (self.start, self.end) > (other.start, other.end)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Window):
            return NotImplemented
        return (self.start, self.end) >= (other.start, other.end)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(start={self.start}, end={self.end})"


class TimeWindow(Window):
    """A half-open window ``[start, end)`` of tumbling and hopping windows (Kafka's ``TimeWindow``).

    Raises:
        IllegalArgumentException: ``end`` is not greater than ``start``, or ``start`` is negative.
    """

    __slots__ = ()

    def __init__(self, start: int, end: int) -> None:
        if start < 0:
            raise IllegalArgumentException(f"Window start cannot be negative, got {start}")
        if end <= start:
            raise IllegalArgumentException(
                f"TimeWindow end ({end}) must be greater than its start ({start})")
        _set(self, "start", start)
        _set(self, "end", end)

    def overlap(self, other: Window) -> bool:
        """True if the two half-open intervals intersect: ``start < other.end and other.start < end``."""
        self._check_same_type(other)
        return self.start < other.end and other.start < self.end


class SessionWindow(Window):
    """A closed window ``[start, end]`` of a session (Kafka's ``SessionWindow``); start == end is allowed."""

    __slots__ = ()

    def overlap(self, other: Window) -> bool:
        """True if the two closed intervals intersect (touching ends count as overlap)."""
        self._check_same_type(other)
        return not (other.end < self.start or self.end < other.start)


class UnlimitedWindow(Window):
    """A window from ``start`` to the end of time (Kafka's ``UnlimitedWindow``); end is ``LONG_MAX``."""

    __slots__ = ()

    def __init__(self, start: int) -> None:
        super().__init__(start, LONG_MAX)

    def overlap(self, other: Window) -> bool:
        """Always true: two unlimited windows share all time after the later start."""
        self._check_same_type(other)
        return True

    def __reduce__(self) -> tuple[Any, ...]:
        return (UnlimitedWindow, (self.start,))

    def __repr__(self) -> str:
        return f"UnlimitedWindow(start={self.start})"


class Windowed(Generic[K]):
    """A key together with the window it was aggregated in (Kafka Streams' ``Windowed<K>``).

    Immutable and hashable (if the key is). ``repr`` is Kafka's ``toString``: ``[key@start/end]``.

    Attributes:
        key: The record key.
        window: The window the key belongs to.
    """

    # A hand-written class rather than a frozen dataclass: this is built once per windowed
    # record, and a frozen dataclass's __init__ is about twice as slow.
    __slots__ = ("key", "window")
    __match_args__ = ("key", "window")

    key: K
    window: Window

    def __init__(self, key: K, window: Window) -> None:
        _set(self, "key", key)
        _set(self, "window", window)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Windowed is immutable")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Windowed is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Windowed, (self.key, self.window))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Windowed):
            return self.window == other.window and self.key == other.key
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.key, self.window))

    def __repr__(self) -> str:
        # Kafka's toString, so logs and test output read the same as in Java.
        return f"[{self.key}@{self.window.start}/{self.window.end}]"
