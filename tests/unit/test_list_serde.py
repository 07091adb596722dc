"""Serdes.ListSerde: the bytes Kafka's own ListSerializer (clients 4.4) wrote for the same lists."""

from __future__ import annotations

import uuid

import pytest

from raystreams import Serdes
from raystreams.errors import SerializationException

VECTORS = [
    (Serdes.String(), ["a", None, "bcd", ""],
     "01000000040000000161ffffffff0000000362636400000000"),
    (Serdes.Integer(), [1, None, -2], "0000000001000000010000000300000001fffffffe"),
    (Serdes.Long(), [], "000000000000000000"),
    (Serdes.Long(), [5], "0000000000000000010000000000000005"),
    (Serdes.UUID(), [uuid.UUID("123e4567-e89b-12d3-a456-426614174000")],
     "00000000000000000131323365343536372d653839622d313264332d613435362d343236363134313734303030"),
    (Serdes.Double(), [1.5, None], "000000000100000001000000023ff8000000000000"),
    (Serdes.Boolean(), [True, False], "010000000200000001010000000100"),  # not a fixed-size one
]


@pytest.mark.parametrize(("inner", "entries", "hex_bytes"), VECTORS)
def test_bytes_as_kafka_writes_them(inner, entries, hex_bytes):
    serde = Serdes.ListSerde(inner)
    assert serde.serialize("t", entries).hex() == hex_bytes
    assert serde.deserialize("t", bytes.fromhex(hex_bytes)) == entries


def test_none_is_a_tombstone_and_serdes_compare_by_inner():
    serde = Serdes.ListSerde(Serdes.String())
    assert serde.serialize("t", None) is None and serde.deserialize("t", None) is None
    assert serde == Serdes.ListSerde("string") and serde != Serdes.ListSerde(Serdes.Long())
    assert repr(serde) == "Serdes.ListSerde(Serdes.String())"


@pytest.mark.parametrize(("inner", "data", "why"), [
    (Serdes.String(), "01" "00000002" "00000001" "61", "ends inside the list"),
    (Serdes.String(), "07" "00000000", "unknown list strategy flag 7"),
    (Serdes.String(), "00" "00000000" "00000001" "0000", "not a fixed-size one"),
    (Serdes.Long(), "00" "00000000" "00000001" "00000000", "ends inside entry 0 of 1"),
])
def test_corrupted_bytes_name_the_problem(inner, data, why):
    with pytest.raises(SerializationException, match=f"from topic 'orders': .*{why}"):
        Serdes.ListSerde(inner).deserialize("orders", bytes.fromhex(data))


def test_a_value_that_is_not_a_list_is_refused():
    with pytest.raises(SerializationException, match="expected a list"):
        Serdes.ListSerde(Serdes.String()).serialize("t", "abc")
