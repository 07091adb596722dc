"""Store key layouts and range bounds: Kafka's WindowKeySchemaTest / SessionKeySchemaTest vectors."""

from __future__ import annotations

import struct

from raystreams.state.base.key_schema import (
    INT_MAX,
    LONG_MAX,
    SESSION_KEY_SCHEMA,
    WINDOW_KEY_SCHEMA,
    SessionKeySchema,
    WindowKeySchema,
)

win = WindowKeySchema.to_store_key


def test_window_store_key_layout():
    key = win(b"key", 0x0102030405060708, 9)
    assert key == b"key" + bytes([1, 2, 3, 4, 5, 6, 7, 8]) + b"\x00\x00\x00\x09"
    assert WindowKeySchema.extract_key(key) == b"key"
    assert WindowKeySchema.extract_timestamp(key) == 0x0102030405060708
    assert WindowKeySchema.extract_seqnum(key) == 9


def test_session_store_key_layout():
    key = SessionKeySchema.to_store_key(b"k", 5, 9)  # start 5, end 9: end first
    assert key == b"k" + struct.pack(">qq", 9, 5)
    assert SessionKeySchema.extract_window(key) == (5, 9)
    assert SESSION_KEY_SCHEMA.segment_timestamp(key) == 9


def test_upper_bound_with_large_timestamps():
    upper = WINDOW_KEY_SCHEMA.upper_range(b"\x0a\x0b\x0c", LONG_MAX)
    assert upper >= win(b"\x0a", LONG_MAX, INT_MAX)
    assert upper >= win(b"\x0a\x0b", LONG_MAX, INT_MAX)
    assert upper == win(b"\x0a", LONG_MAX, INT_MAX)


def test_upper_bound_with_key_bytes_larger_than_first_timestamp_byte():
    upper = WINDOW_KEY_SCHEMA.upper_range(b"\x0a\x8f\x9f", LONG_MAX)
    assert upper >= win(b"\x0a\x8f", LONG_MAX, INT_MAX)
    assert upper == win(b"\x0a\x8f\x9f", LONG_MAX, INT_MAX)


def test_upper_bound_with_key_bytes_larger_and_smaller_than_first_timestamp_byte():
    upper = WINDOW_KEY_SCHEMA.upper_range(b"\x0c\x0c\x09", 0x0AFFFFFFFFFFFFFF)
    assert upper >= win(b"\x0c\x0c", 0x0AFFFFFFFFFFFFFF, INT_MAX)
    assert upper == win(b"\x0c\x0c", 0x0AFFFFFFFFFFFFFF, INT_MAX)


def test_upper_bound_with_zero_timestamp():
    assert WINDOW_KEY_SCHEMA.upper_range(b"\x0a\x0b\x0c", 0) == win(b"\x0a\x0b\x0c", 0, INT_MAX)


def test_lower_bounds():
    assert WINDOW_KEY_SCHEMA.lower_range(b"\x0a\x0b\x0c", 0) == win(b"\x0a\x0b\x0c", 0, 0)
    assert WINDOW_KEY_SCHEMA.lower_range(b"\x0a\x0b\x0c", 42) == win(b"\x0a\x0b\x0c", 0, 0)
    assert WINDOW_KEY_SCHEMA.lower_range_fixed(b"k", -5) == win(b"k", 0, 0)
    assert WINDOW_KEY_SCHEMA.upper_range_fixed(b"k", 7) == win(b"k", 7, INT_MAX)


def test_session_bounds():
    # fixed-size bounds: lower is the window (0, max(0, from)), upper (to, LONG_MAX)
    assert SESSION_KEY_SCHEMA.lower_range_fixed(b"k", -1) == b"k" + struct.pack(">qq", 0, 0)
    assert SESSION_KEY_SCHEMA.upper_range_fixed(b"k", 9) == b"k" + struct.pack(">qq", LONG_MAX, 9)
    upper = SESSION_KEY_SCHEMA.upper_range(b"\x0a\x0b\x0c", 0)
    assert upper == b"\x0a" + struct.pack(">qq", LONG_MAX, 0)
    assert upper >= SessionKeySchema.to_store_key(b"\x0a\x0b", 0, LONG_MAX - 1)


def test_matchers_filter_exactly():
    m = WINDOW_KEY_SCHEMA.matcher(b"a", b"a", 0, 10)
    assert m(win(b"a", 10, 3)) and not m(win(b"aa", 5, 0)) and not m(win(b"a", 11, 0))
    r = WINDOW_KEY_SCHEMA.matcher(b"a", b"b", 5, 10)
    assert r(win(b"aa", 5, 0)) and r(win(b"b", 10, 0)) and not r(win(b"ba", 7, 0)) and not r(win(b"a", 4, 0))
    s = SESSION_KEY_SCHEMA.matcher(b"a", b"a", 10, 20)  # end >= 10 and start <= 20
    assert s(SessionKeySchema.to_store_key(b"a", 0, 10)) and s(SessionKeySchema.to_store_key(b"a", 20, 30))
    assert not s(SessionKeySchema.to_store_key(b"a", 0, 9)) and not s(SessionKeySchema.to_store_key(b"a", 21, 30))
