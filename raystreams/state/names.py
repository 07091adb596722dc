"""Store-name validation, changelog topic names and duration arguments."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from raystreams.durations import millis
from raystreams.errors import IllegalArgumentException, InvalidStoreNameException

__all__ = ["MAX_NAME_LENGTH", "changelog_topic", "to_epoch_millis", "to_millis", "validate_store_name"]

MAX_NAME_LENGTH = 249
"""Kafka's longest legal topic name; a store name is part of its changelog topic's name."""

_LEGAL = re.compile(r"[a-zA-Z0-9._-]+")


def validate_store_name(name: object) -> str:
    """Check that ``name`` can name a store and its changelog topic, and return it.

    Kafka's topic rules apply (``[a-zA-Z0-9._-]``, at most 249 characters, not ``.`` or ``..``),
    because the changelog topic is ``<application.id>-<name>-changelog``.

    Raises:
        InvalidStoreNameException: The name is not a string, empty, too long or has an illegal character.
    """
    if not isinstance(name, str):
        raise InvalidStoreNameException(name, f"expected a str, got {type(name).__name__}")
    if not name:
        raise InvalidStoreNameException(name, "it is empty")
    if name in (".", ".."):
        raise InvalidStoreNameException(name, "'.' and '..' are not allowed")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidStoreNameException(name, f"it has {len(name)} characters, at most {MAX_NAME_LENGTH} are allowed")
    if not _LEGAL.fullmatch(name):
        bad = sorted({c for c in name if not _LEGAL.fullmatch(c)})
        raise InvalidStoreNameException(
            name, f"it contains {''.join(bad)!r}; only ASCII letters, digits, '.', '_' and '-' are allowed")
    return name


def changelog_topic(application_id: str, store_name: str) -> str:
    """The changelog topic of a store: ``<application.id>-<store>-changelog`` (as Kafka names it)."""
    return f"{application_id}-{store_name}-changelog"


def to_millis(value: int | timedelta, what: str) -> int:
    """An ``int`` of milliseconds or a ``timedelta``, as milliseconds.

    Raises:
        IllegalArgumentException: ``value`` is neither, or is negative.
    """
    ms = millis(value)
    if ms is None:
        raise IllegalArgumentException(f"{what} must be int milliseconds or a timedelta, got {type(value).__name__}")
    if ms < 0:
        raise IllegalArgumentException(f"{what} cannot be negative, got {ms} ms")
    return ms


def to_epoch_millis(value: int | datetime, what: str = "time") -> int:
    """A point in time given as epoch milliseconds or an aware ``datetime``, as epoch ms."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    raise IllegalArgumentException(f"{what} must be int epoch milliseconds or a datetime, got {type(value).__name__}")
