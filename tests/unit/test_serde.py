"""Serdes: byte formats (vectors produced by Kafka 4.4's own serializers), None, errors, resolution."""

import math
import pickle
import uuid
from datetime import timedelta

import pytest

from raystreams.errors import ConfigException, SerializationException, StreamsError
from raystreams.serde import (
    BytesSerde,
    IntegerSerde,
    LongSerde,
    Serde,
    Serdes,
    SessionWindowedSerde,
    StringSerde,
    TimeWindowedSerde,
    resolve_serde,
)
from raystreams.windowed import LONG_MAX, SessionWindow, TimeWindow, Windowed

ALL_BUILTINS = [Serdes.String(), Serdes.Bytes(), Serdes.Short(), Serdes.Integer(), Serdes.Long(),
                Serdes.Float(), Serdes.Double(), Serdes.Boolean(), Serdes.UUID(), Serdes.Void(),
                Serdes.JSON(), Serdes.from_functions(str.encode, bytes.decode),
                Serdes.time_windowed(Serdes.String(), 10), Serdes.session_windowed(Serdes.Long())]

# (serde, value, hex of Kafka 4.4's serializer output)
KAFKA_VECTORS = [
    (Serdes.Integer(), 1, "00000001"),
    (Serdes.Integer(), -2**31, "80000000"),
    (Serdes.Long(), -1, "ffffffffffffffff"),
    (Serdes.Long(), 1234567890123, "0000011f71fb04cb"),
    (Serdes.Short(), -2, "fffe"),
    (Serdes.Float(), 1.5, "3fc00000"),
    (Serdes.Double(), 0.1, "3fb999999999999a"),
    (Serdes.Double(), -2.5, "c004000000000000"),
    (Serdes.Boolean(), True, "01"),
    (Serdes.Boolean(), False, "00"),
    (Serdes.UUID(), uuid.UUID("123e4567-e89b-12d3-a456-426614174000"),
     "31323365343536372d653839622d313264332d613435362d343236363134313734303030"),
    (Serdes.String(), "café", "636166c3a9"),
    (Serdes.String(), "", ""),
    (Serdes.Bytes(), b"\x00\xff", "00ff"),
]


@pytest.mark.parametrize(("serde", "value", "hex_bytes"), KAFKA_VECTORS)
def test_bytes_match_kafka(serde, value, hex_bytes):
    data = serde.serialize("t", value)
    assert data == bytes.fromhex(hex_bytes)
    assert type(data) is bytes
    assert serde.deserialize("t", data) == value


def test_integer_one_and_long_minus_one_exactly():
    assert Serdes.Integer().serialize("t", 1) == b"\x00\x00\x00\x01"
    assert Serdes.Long().serialize("t", -1) == b"\xff" * 8


@pytest.mark.parametrize("serde", ALL_BUILTINS, ids=repr)
def test_none_round_trips_as_none(serde):
    assert serde.serialize("t", None) is None
    assert serde.deserialize("t", None) is None


def test_function_serde_does_not_call_functions_on_none():
    calls = []
    serde = Serdes.from_functions(lambda v: calls.append(v) or b"x", lambda b: calls.append(b))
    assert serde.serialize("t", None) is None
    assert serde.deserialize("t", None) is None
    assert calls == []
    assert serde.serialize("t", 5) == b"x"
    assert calls == [5]


def test_float_keeps_single_precision():
    serde = Serdes.Float()
    assert serde.deserialize("t", serde.serialize("t", 0.1)) == 0.10000000149011612


def test_double_special_values():
    serde = Serdes.Double()
    assert serde.serialize("t", math.inf) == bytes.fromhex("7ff0000000000000")
    assert math.isnan(serde.deserialize("t", serde.serialize("t", math.nan)))


def test_bytes_serde_normalizes_buffers_to_bytes():
    serde = Serdes.Bytes()
    assert serde.serialize("t", bytearray(b"ab")) == b"ab"
    assert serde.serialize("t", memoryview(b"ab")) == b"ab"
    assert type(serde.deserialize("t", bytearray(b"ab"))) is bytes
    assert Serdes.ByteArray() is Serdes.Bytes()
    assert Serdes.ByteBuffer() is Serdes.Bytes()


def test_deserializers_accept_memoryview():
    assert Serdes.String().deserialize("t", memoryview(b"hi")) == "hi"
    assert Serdes.Integer().deserialize("t", memoryview(b"\x00\x00\x00\x07")) == 7
    assert Serdes.JSON().deserialize("t", memoryview(b"[1]")) == [1]
    assert Serdes.Boolean().deserialize("t", memoryview(b"\x01")) is True


def test_json_is_compact_utf8():
    serde = Serdes.JSON()
    assert serde.serialize("t", {"a": [1, 2], "b": "é"}) == '{"a":[1,2],"b":"é"}'.encode()
    assert serde.deserialize("t", b'{"a":[1,2],"b":"\xc3\xa9"}') == {"a": [1, 2], "b": "é"}
    assert serde.serialize("t", "text") == b'"text"'
    assert serde.serialize("t", 0) == b"0"


def test_uuid_accepts_its_text_form():
    text = "123e4567-e89b-12d3-a456-426614174000"
    assert Serdes.UUID().serialize("t", text) == text.encode()


def test_void_only_carries_none():
    with pytest.raises(SerializationException) as info:
        Serdes.Void().serialize("t", 1)
    assert str(info.value) == "Serdes.Void() cannot serialize int 1 for topic 't': expected None"
    with pytest.raises(SerializationException) as info:
        Serdes.Void().deserialize("t", b"")
    assert str(info.value) == "Serdes.Void() cannot deserialize 0 bytes from topic 't': expected null"


# --- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("serde", "data", "message"), [
    (Serdes.Integer(), b"abc", "Serdes.Integer() cannot deserialize 3 bytes from topic 'x': expected 4"),
    (Serdes.Long(), b"\x00" * 4, "Serdes.Long() cannot deserialize 4 bytes from topic 'x': expected 8"),
    (Serdes.Short(), b"", "Serdes.Short() cannot deserialize 0 bytes from topic 'x': expected 2"),
    (Serdes.Float(), b"\x00", "Serdes.Float() cannot deserialize 1 bytes from topic 'x': expected 4"),
    (Serdes.Double(), b"\x00" * 9, "Serdes.Double() cannot deserialize 9 bytes from topic 'x': expected 8"),
    (Serdes.Boolean(), b"\x01\x00", "Serdes.Boolean() cannot deserialize 2 bytes from topic 'x': expected 1"),
    (Serdes.Boolean(), b"\x02",
     "Serdes.Boolean() cannot deserialize 1 bytes from topic 'x': unexpected byte 0x02, expected 0x00 or 0x01"),
    (Serdes.String(), b"\xff", "Serdes.String() cannot deserialize 1 bytes from topic 'x': invalid UTF-8 at byte 0"),
    (Serdes.UUID(), b"nope", "Serdes.UUID() cannot deserialize 4 bytes from topic 'x': not a UUID string"),
    (Serdes.Integer(), "abcd", "Serdes.Integer() cannot deserialize 4 bytes from topic 'x': expected bytes, got str"),
])
def test_deserialize_errors_name_serde_topic_and_problem(serde, data, message):
    with pytest.raises(SerializationException) as info:
        serde.deserialize("x", data)
    assert str(info.value) == message
    assert info.value.topic == "x"
    assert isinstance(info.value, StreamsError)


def test_deserialize_error_chains_the_cause():
    with pytest.raises(SerializationException) as info:
        Serdes.Integer().deserialize("x", b"abc")
    assert str(info.value.__cause__) == "unpack requires a buffer of 4 bytes"


def test_json_deserialize_error():
    with pytest.raises(SerializationException) as info:
        Serdes.JSON().deserialize("x", b"{")
    assert str(info.value).startswith(
        "Serdes.JSON() cannot deserialize 1 bytes from topic 'x': not valid JSON (")


@pytest.mark.parametrize(("serde", "value", "message"), [
    (Serdes.Integer(), "abc", "Serdes.Integer() cannot serialize str 'abc' for topic 'x': expected an int"),
    (Serdes.Integer(), 2**31,
     "Serdes.Integer() cannot serialize int 2147483648 for topic 'x': out of range for a 32-bit signed integer"),
    (Serdes.Short(), 40000,
     "Serdes.Short() cannot serialize int 40000 for topic 'x': out of range for a 16-bit signed integer"),
    (Serdes.Long(), 2**63,
     "Serdes.Long() cannot serialize int 9223372036854775808 for topic 'x': out of range for a 64-bit signed integer"),
    (Serdes.Long(), 1.5, "Serdes.Long() cannot serialize float 1.5 for topic 'x': expected an int"),
    (Serdes.Float(), 1e300, "Serdes.Float() cannot serialize float 1e+300 for topic 'x': out of range for a 32-bit float"),
    (Serdes.Double(), "1", "Serdes.Double() cannot serialize str '1' for topic 'x': expected a float"),
    (Serdes.String(), 5, "Serdes.String() cannot serialize int 5 for topic 'x': expected str"),
    (Serdes.String(), b"raw",
     "Serdes.String() cannot serialize bytes b'raw' for topic 'x': expected str (use Serdes.Bytes() for raw bytes)"),
    (Serdes.Bytes(), "text",
     "Serdes.Bytes() cannot serialize str 'text' for topic 'x': expected bytes, bytearray or memoryview"),
    (Serdes.Boolean(), 1, "Serdes.Boolean() cannot serialize int 1 for topic 'x': expected a bool"),
    (Serdes.UUID(), 7, "Serdes.UUID() cannot serialize int 7 for topic 'x': expected a uuid.UUID"),
    (Serdes.JSON(), {1, 2},
     "Serdes.JSON() cannot serialize set {1, 2} for topic 'x': not JSON-serializable "
     "(Object of type set is not JSON serializable)"),
])
def test_serialize_errors_name_serde_topic_and_problem(serde, value, message):
    with pytest.raises(SerializationException) as info:
        serde.serialize("x", value)
    assert str(info.value) == message
    assert info.value.__cause__ is not None or serde in (Serdes.Bytes(), Serdes.Boolean(), Serdes.UUID())


def test_long_values_are_truncated_in_messages():
    with pytest.raises(SerializationException) as info:
        Serdes.Integer().serialize("x", "y" * 100)
    assert str(info.value) == f"Serdes.Integer() cannot serialize str '{'y' * 56}... for topic 'x': expected an int"


def test_function_serde_wraps_errors_and_checks_the_result():
    serde = Serdes.from_functions(lambda v: v.encode(), lambda b: int(b))
    with pytest.raises(SerializationException) as info:
        serde.serialize("x", 5)
    assert str(info.value) == ("Serdes.from_functions(<lambda>, <lambda>) cannot serialize int 5 for topic "
                               "'x': AttributeError: 'int' object has no attribute 'encode'")
    assert isinstance(info.value.__cause__, AttributeError)
    with pytest.raises(SerializationException) as info:
        serde.deserialize("x", b"z")
    assert str(info.value) == ("Serdes.from_functions(<lambda>, <lambda>) cannot deserialize 1 bytes from "
                               "topic 'x': ValueError: invalid literal for int() with base 10: b'z'")
    bad = Serdes.from_functions(lambda v: v, lambda b: b)
    with pytest.raises(SerializationException) as info:
        bad.serialize("x", "s")
    assert str(info.value).endswith("the function returned str, not bytes")
    assert Serdes.from_functions(bytearray, bytes).serialize("x", b"ab") == b"ab"


# --- identity, repr, pickling ---------------------------------------------------------------

def test_builtins_compare_by_type_and_have_readable_reprs():
    assert Serdes.String() == Serdes.String()
    assert Serdes.String() == StringSerde()
    assert Serdes.String() != Serdes.Bytes()
    assert hash(StringSerde()) == hash(Serdes.String())
    assert repr(Serdes.String()) == "Serdes.String()"
    assert repr(Serdes.Long()) == "Serdes.Long()"
    assert repr(Serdes.JSON()) == "Serdes.JSON()"
    assert repr(Serdes.time_windowed(Serdes.String(), 1000)) == "Serdes.time_windowed(Serdes.String(), 1000)"
    assert repr(Serdes.session_windowed(Serdes.Long())) == "Serdes.session_windowed(Serdes.Long())"


def test_builtins_are_immutable():
    with pytest.raises(AttributeError):
        Serdes.String().x = 1
    with pytest.raises(AttributeError):
        Serdes.time_windowed("String", 10).window_size_ms = 20


def _enc(value):
    return value.encode()


def _dec(data):
    return data.decode()


@pytest.mark.parametrize("serde", [*ALL_BUILTINS[:-3], Serdes.from_functions(_enc, _dec),
                                   Serdes.time_windowed(Serdes.String(), 10),
                                   Serdes.session_windowed(Serdes.Long())], ids=repr)
def test_serdes_pickle(serde):
    copy = pickle.loads(pickle.dumps(serde))
    assert copy == serde
    assert type(copy) is type(serde)


def test_windowed_serdes_compare_by_parameters():
    assert Serdes.time_windowed(Serdes.String(), 10) == TimeWindowedSerde(Serdes.String(), 10)
    assert Serdes.time_windowed(Serdes.String(), 10) != Serdes.time_windowed(Serdes.String(), 20)
    assert Serdes.time_windowed(Serdes.String(), 10) != Serdes.time_windowed(Serdes.Long(), 10)
    assert Serdes.session_windowed("Long") == SessionWindowedSerde(Serdes.Long())


# --- windowed layouts (vectors from Kafka 4.4's TimeWindowed/SessionWindowedSerializer) -----

def test_time_windowed_layout_is_key_then_start():
    serde = Serdes.time_windowed(Serdes.String(), 500)
    data = serde.serialize("t", Windowed("a", TimeWindow(1000, 1500)))
    assert data == bytes.fromhex("6100000000000003e8")
    assert serde.deserialize("t", data) == Windowed("a", TimeWindow(1000, 1500))
    assert repr(serde.deserialize("t", data)) == "[a@1000/1500]"


def test_time_windowed_end_comes_from_the_window_size():
    serde = Serdes.time_windowed(Serdes.String(), timedelta(seconds=2))
    assert serde.window_size_ms == 2000
    data = Serdes.time_windowed(Serdes.String(), 500).serialize("t", Windowed("a", TimeWindow(1000, 1500)))
    assert serde.deserialize("t", data) == Windowed("a", TimeWindow(1000, 3000))


def test_time_windowed_end_is_capped_at_long_max():
    # Kafka's WindowedSerdesTest: Integer key, window size Long.MAX_VALUE.
    serde = Serdes.time_windowed(Serdes.Integer(), LONG_MAX)
    data = serde.serialize("t", Windowed(10, TimeWindow(5, LONG_MAX)))
    assert data == bytes.fromhex("0000000a0000000000000005")
    assert serde.deserialize("t", data) == Windowed(10, TimeWindow(5, LONG_MAX))


def test_session_windowed_layout_is_key_end_start():
    serde = Serdes.session_windowed(Serdes.String())
    data = serde.serialize("t", Windowed("key", SessionWindow(1000, 2500)))
    assert data == bytes.fromhex("6b6579" "00000000000009c4" "00000000000003e8")
    assert serde.deserialize("t", data) == Windowed("key", SessionWindow(1000, 2500))


def test_session_windowed_integer_key_matches_kafka():
    serde = Serdes.session_windowed(Serdes.Integer())
    data = serde.serialize("t", Windowed(10, SessionWindow(0, 1)))
    assert data == bytes.fromhex("0000000a" "0000000000000001" "0000000000000000")
    assert serde.deserialize("t", data) == Windowed(10, SessionWindow(0, 1))


def test_windowed_serdes_read_empty_bytes_as_none():
    assert Serdes.time_windowed(Serdes.String(), 5).deserialize("t", b"") is None
    assert Serdes.session_windowed(Serdes.String()).deserialize("t", b"") is None


def test_windowed_serdes_serialize_base_key():
    w = Windowed("a", TimeWindow(0, 5))
    assert Serdes.time_windowed(Serdes.String(), 5).serialize_base_key("t", w) == b"a"
    assert Serdes.session_windowed(Serdes.String()).serialize_base_key("t", w) == b"a"


def test_windowed_serde_errors():
    serde = Serdes.time_windowed(Serdes.String(), 5)
    with pytest.raises(SerializationException) as info:
        serde.deserialize("t", b"\x00\x01")
    assert str(info.value) == ("Serdes.time_windowed(Serdes.String(), 5) cannot deserialize 2 bytes from "
                               "topic 't': expected at least 8 (the window start)")
    with pytest.raises(SerializationException) as info:
        serde.deserialize("t", b"\xff" * 8)
    assert str(info.value) == ("Serdes.time_windowed(Serdes.String(), 5) cannot deserialize 8 bytes from "
                               "topic 't': Window start cannot be negative, got -1")
    with pytest.raises(SerializationException) as info:
        serde.serialize("t", "plain key")
    assert str(info.value) == ("Serdes.time_windowed(Serdes.String(), 5) cannot serialize str 'plain key' "
                               "for topic 't': expected a Windowed")
    with pytest.raises(SerializationException) as info:
        serde.serialize("t", Windowed(None, TimeWindow(0, 5)))
    assert str(info.value).endswith("the inner serde returned None for the key")
    session = Serdes.session_windowed(Serdes.String())
    with pytest.raises(SerializationException) as info:
        session.deserialize("t", b"\x00" * 15)
    assert str(info.value) == ("Serdes.session_windowed(Serdes.String()) cannot deserialize 15 bytes from "
                               "topic 't': expected at least 16 (window end and start)")


@pytest.mark.parametrize(("size", "error"), [(0, ValueError), (-5, ValueError), ("10", TypeError),
                                              (timedelta(0), ValueError)])
def test_time_windowed_needs_a_positive_size(size, error):
    with pytest.raises(error):
        Serdes.time_windowed(Serdes.String(), size)


# --- resolve_serde --------------------------------------------------------------------------

@pytest.mark.parametrize(("spec", "expected"), [
    ("String", Serdes.String()),
    ("string", Serdes.String()),
    ("Long", Serdes.Long()),
    ("JSON", Serdes.JSON()),
    ("Serdes.Integer()", Serdes.Integer()),
    ("ByteArray", Serdes.Bytes()),
    ("org.apache.kafka.common.serialization.Serdes$StringSerde", Serdes.String()),
    ("org.apache.kafka.common.serialization.Serdes$LongSerde", Serdes.Long()),
    ("org.apache.kafka.common.serialization.Serdes$ByteArraySerde", Serdes.Bytes()),
    ("Serdes$DoubleSerde", Serdes.Double()),
    ("UUIDSerde", Serdes.UUID()),
    ("raystreams.serde:LongSerde", Serdes.Long()),
    ("raystreams.serde.IntegerSerde", Serdes.Integer()),
    (LongSerde, Serdes.Long()),
    (IntegerSerde(), Serdes.Integer()),
])
def test_resolve_serde(spec, expected):
    assert resolve_serde(spec) == expected


def test_resolve_serde_returns_instances_unchanged():
    serde = Serdes.from_functions(_enc, _dec)
    assert resolve_serde(serde) is serde


def test_resolve_serde_accepts_duck_typed_serdes():
    class Upper:
        def serialize(self, topic, data):
            return None if data is None else data.upper().encode()

        def deserialize(self, topic, data):
            return None if data is None else data.decode()

    assert isinstance(resolve_serde(Upper), Upper)
    duck = Upper()
    assert resolve_serde(duck) is duck


def test_resolve_serde_unknown_name_suggests():
    with pytest.raises(ConfigException) as info:
        resolve_serde("Strng", key="default.key.serde")
    err = info.value
    assert err.key == "default.key.serde"
    assert err.suggestion == "String"
    assert str(err) == ("Unknown serde 'Strng' for 'default.key.serde'. Allowed values: String, Bytes, "
                        "ByteArray, ByteBuffer, Short, Integer, Long, Float, Double, Boolean, UUID, "
                        "Void, JSON. Did you mean 'String'?")


def test_resolve_serde_rejects_other_things():
    with pytest.raises(ConfigException) as info:
        resolve_serde(42)
    assert str(info.value).startswith(
        "Cannot use int 42 as the serde for 'serde': expected a Serde instance, a Serde class or a serde name.")
    with pytest.raises(ConfigException) as info:
        resolve_serde(dict)
    assert str(info.value) == ("Class dict given for 'serde' is not a serde: it needs serialize(topic, data) "
                               "and deserialize(topic, data).")
    with pytest.raises(ConfigException) as info:
        resolve_serde(TimeWindowedSerde)
    assert "cannot be created without arguments" in str(info.value)
    with pytest.raises(ConfigException) as info:
        resolve_serde("no.such.module:Serde")
    assert str(info.value).startswith(
        "Serde 'no.such.module:Serde' for 'serde' is neither a built-in serde nor an importable Python path "
        "(ModuleNotFoundError: No module named 'no')")


def test_user_subclass_of_serde():
    class Reverse(Serde[str]):
        def serialize(self, topic, data):
            return None if data is None else data[::-1].encode()

        def deserialize(self, topic, data):
            return None if data is None else data.decode()[::-1]

    serde = resolve_serde(Reverse)
    assert serde.serialize("t", "abc") == b"cba"
    assert serde.deserialize("t", b"cba") == "abc"
    assert isinstance(BytesSerde(), Serde)
