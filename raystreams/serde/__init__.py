"""Serdes: turn keys and values into bytes and back (Kafka's ``Serde`` / ``Serdes``).

Every built-in serde maps ``None`` to ``None`` both ways, so tombstones pass through as in
Kafka. The byte formats of the primitive and windowed serdes are those of the Java client
and of Kafka Streams, so raystreams and Java applications read each other's topics.

Modules: ``base`` (the ``Serde`` protocol and the built-ins' common base), ``primitives``
(String, Bytes, Short, Integer, Long, Float, Double, Boolean, UUID, Void, JSON, functions),
``list`` (ListSerde), ``windowed`` (time- and session-windowed keys), ``names``
(``resolve_serde``: names and classes to serdes), ``serdes`` (the ``Serdes`` factories).
"""

from raystreams.serde.base import Serde
from raystreams.serde.list import ListSerde
from raystreams.serde.names import resolve_serde
from raystreams.serde.primitives import (
    BooleanSerde,
    BytesSerde,
    DoubleSerde,
    FloatSerde,
    FunctionSerde,
    IntegerSerde,
    JSONSerde,
    LongSerde,
    ShortSerde,
    StringSerde,
    UUIDSerde,
    VoidSerde,
)
from raystreams.serde.serdes import Serdes
from raystreams.serde.windowed import SessionWindowedSerde, TimeWindowedSerde

__all__ = [
    "BooleanSerde",
    "BytesSerde",
    "DoubleSerde",
    "FloatSerde",
    "FunctionSerde",
    "IntegerSerde",
    "JSONSerde",
    "ListSerde",
    "LongSerde",
    "Serde",
    "Serdes",
    "SessionWindowedSerde",
    "ShortSerde",
    "StringSerde",
    "TimeWindowedSerde",
    "UUIDSerde",
    "VoidSerde",
    "resolve_serde",
]
