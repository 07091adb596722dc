"""Byte layouts of window and session store keys, as Kafka's WindowKeySchema and SessionKeySchema.

Window: ``[key][window start 8 BE][seqnum 4 BE]``; session: ``[key][end 8 BE][start 8 BE]``.
The same bytes go into the stores and the changelogs, so a raystreams changelog restores a
Kafka Streams store and back. Range bounds follow Kafka's ``OrderedBytes`` so that range
scans visit the same keys; every scan is then filtered exactly by ``matcher``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

__all__ = [
    "INT_MAX",
    "LONG_MAX",
    "SESSION_KEY_SCHEMA",
    "WINDOW_KEY_SCHEMA",
    "KeySchema",
    "SessionKeySchema",
    "WindowKeySchema",
    "upper_range",
]

LONG_MAX = (1 << 63) - 1
INT_MAX = (1 << 31) - 1

_LONG = struct.Struct(">q")
_WINDOW_SUFFIX = struct.Struct(">qi")
_SESSION_SUFFIX = struct.Struct(">qq")
_long_at = _LONG.unpack_from
_two_longs_at = _SESSION_SUFFIX.unpack_from


def upper_range(key: bytes, max_suffix: bytes) -> bytes:
    """Kafka's ``OrderedBytes.upperRange``: an upper scan bound for ``key`` with any suffix.

    Keys are assumed at least one byte long. When the suffix's first byte is not zero, the
    key is cut at its first byte (after the first) that is smaller than that byte, so that
    shorter keys sharing the prefix still fall under the bound.
    """
    first = max_suffix[0]
    if first == 0:
        return key + max_suffix
    i, n = 0, len(key)
    while i < n and (i < 1 or key[i] >= first):
        i += 1
    return key[:i] + max_suffix


class KeySchema:
    """How a segmented store lays out, bounds and filters its keys (Kafka's ``KeySchema``)."""

    suffix_size: int
    is_window: bool

    def segment_timestamp(self, key: bytes) -> int:
        """The time that places ``key`` in a segment (window start, or session end)."""
        raise NotImplementedError

    def lower_range(self, key: bytes, time_from: int) -> bytes:
        raise NotImplementedError

    def upper_range(self, key: bytes, time_to: int) -> bytes:
        raise NotImplementedError

    def lower_range_fixed(self, key: bytes, time_from: int) -> bytes:
        raise NotImplementedError

    def upper_range_fixed(self, key: bytes, time_to: int) -> bytes:
        raise NotImplementedError

    def segment_time_range(self, time_from: int, time_to: int) -> tuple[int, int]:
        """The segment times a fetch of ``[time_from, time_to]`` has to search."""
        raise NotImplementedError

    def matcher(self, key_from: bytes | None, key_to: bytes | None, time_from: int,
                time_to: int) -> Callable[[bytes], bool]:
        """A predicate on store keys: the exact filter of a fetch (Kafka's ``hasNextCondition``)."""
        raise NotImplementedError


class WindowKeySchema(KeySchema):
    """``[key][window start 8 BE][seqnum 4 BE]`` (Kafka's ``WindowKeySchema``)."""

    suffix_size = 12
    is_window = True

    @staticmethod
    def to_store_key(key: bytes, timestamp: int, seqnum: int = 0) -> bytes:
        return key + _WINDOW_SUFFIX.pack(timestamp, seqnum)

    @staticmethod
    def extract_key(binary: bytes) -> bytes:
        return binary[:-12]

    @staticmethod
    def extract_timestamp(binary: bytes) -> int:
        return _long_at(binary, len(binary) - 12)[0]

    @staticmethod
    def extract_seqnum(binary: bytes) -> int:
        return int.from_bytes(binary[-4:], "big", signed=True)

    def segment_timestamp(self, key: bytes) -> int:
        return _long_at(key, len(key) - 12)[0]

    def lower_range(self, key: bytes, time_from: int) -> bytes:
        return key + b"\x00" * 12

    def upper_range(self, key: bytes, time_to: int) -> bytes:
        return upper_range(key, _WINDOW_SUFFIX.pack(time_to, INT_MAX))

    def lower_range_fixed(self, key: bytes, time_from: int) -> bytes:
        return key + _WINDOW_SUFFIX.pack(max(0, time_from), 0)

    def upper_range_fixed(self, key: bytes, time_to: int) -> bytes:
        return key + _WINDOW_SUFFIX.pack(time_to, INT_MAX)

    def segment_time_range(self, time_from: int, time_to: int) -> tuple[int, int]:
        return time_from, time_to

    def matcher(self, key_from: bytes | None, key_to: bytes | None, time_from: int,
                time_to: int) -> Callable[[bytes], bool]:
        if key_from is not None and key_from == key_to:
            single, n = key_from, len(key_from)

            def one_key(b: bytes) -> bool:
                return (len(b) - 12 == n and b.startswith(single)
                        and time_from <= _long_at(b, n)[0] <= time_to)
            return one_key

        def key_range(b: bytes) -> bool:
            n = len(b) - 12
            if key_from is not None or key_to is not None:
                k = b[:n]
                if (key_from is not None and k < key_from) or (key_to is not None and k > key_to):
                    return False
            return time_from <= _long_at(b, n)[0] <= time_to
        return key_range


class SessionKeySchema(KeySchema):
    """``[key][end 8 BE][start 8 BE]`` (Kafka's ``SessionKeySchema``).

    End first: sessions that can overlap ``[earliest end, latest start]`` then form one byte range.
    """

    suffix_size = 16
    is_window = False

    @staticmethod
    def to_store_key(key: bytes, start: int, end: int) -> bytes:
        return key + _SESSION_SUFFIX.pack(end, start)

    @staticmethod
    def extract_key(binary: bytes) -> bytes:
        return binary[:-16]

    @staticmethod
    def extract_end(binary: bytes) -> int:
        return _long_at(binary, len(binary) - 16)[0]

    @staticmethod
    def extract_start(binary: bytes) -> int:
        return _long_at(binary, len(binary) - 8)[0]

    @staticmethod
    def extract_window(binary: bytes) -> tuple[int, int]:
        """``(start, end)`` of the session."""
        end, start = _two_longs_at(binary, len(binary) - 16)
        return start, end

    def segment_timestamp(self, key: bytes) -> int:
        return _long_at(key, len(key) - 16)[0]

    def lower_range(self, key: bytes, time_from: int) -> bytes:
        return key + b"\x00" * 16

    def upper_range(self, key: bytes, time_to: int) -> bytes:
        return upper_range(key, _SESSION_SUFFIX.pack(LONG_MAX, time_to))

    def lower_range_fixed(self, key: bytes, time_from: int) -> bytes:
        return key + _SESSION_SUFFIX.pack(max(0, time_from), 0)

    def upper_range_fixed(self, key: bytes, time_to: int) -> bytes:
        return key + _SESSION_SUFFIX.pack(LONG_MAX, time_to)

    def segment_time_range(self, time_from: int, time_to: int) -> tuple[int, int]:
        # a session is filed under its end, which may lie anywhere after the earliest end
        return time_from, LONG_MAX

    def matcher(self, key_from: bytes | None, key_to: bytes | None, time_from: int,
                time_to: int) -> Callable[[bytes], bool]:
        if key_from is not None and key_from == key_to:
            single, n = key_from, len(key_from)

            def one_key(b: bytes) -> bool:
                if len(b) - 16 != n or not b.startswith(single):
                    return False
                end, start = _two_longs_at(b, n)
                return end >= time_from and start <= time_to
            return one_key

        def key_range(b: bytes) -> bool:
            n = len(b) - 16
            if key_from is not None or key_to is not None:
                k = b[:n]
                if (key_from is not None and k < key_from) or (key_to is not None and k > key_to):
                    return False
            end, start = _two_longs_at(b, n)
            return end >= time_from and start <= time_to
        return key_range


WINDOW_KEY_SCHEMA = WindowKeySchema()
SESSION_KEY_SCHEMA = SessionKeySchema()
