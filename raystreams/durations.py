"""Durations given as a ``timedelta`` or a number of milliseconds, read as Java's
``Duration.toMillis`` reads them. Callers raise their own error type when this returns None."""

from __future__ import annotations

from datetime import timedelta

JAVA_LONG_MIN = -(1 << 63)
JAVA_LONG_MAX = (1 << 63) - 1


def millis(value: object, *, floats: bool = False) -> int | None:
    """Whole milliseconds of ``value``, truncated toward zero; None when it is not a duration.

    A ``timedelta`` or an ``int`` of ms is a duration (``bool`` is not); with ``floats`` a
    ``float`` of ms is one too.
    """
    if isinstance(value, timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        ms = abs(micros) // 1000
        return ms if micros >= 0 else -ms
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if floats and isinstance(value, float):
        return int(value)
    return None


__all__ = ["JAVA_LONG_MAX", "JAVA_LONG_MIN", "millis"]
