"""What the foreign-key join sends through its internal topics and keeps in its subscription
store (Kafka's ``SubscriptionWrapper``, ``SubscriptionResponseWrapper`` and their serdes,
``CombinedKey``, the murmur3 value hash, ``SubscriptionStoreFactory``,
``DefaultForeignResponseSinkPartitioner``)."""

from __future__ import annotations

import enum
import struct
from typing import Any

from raystreams.serde import Serde

VERSION = 1


class Instruction(enum.IntEnum):
    """What the right side does with a subscription (Kafka's SubscriptionWrapper.Instruction)."""

    DELETE_KEY_NO_PROPAGATE = 0
    DELETE_KEY_AND_PROPAGATE = 1
    PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE = 2
    PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE = 3


_M64 = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F
MURMUR3_SEED = 104729  # Kafka's Murmur3.DEFAULT_SEED


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _M64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _M64
    h ^= h >> 33
    return h


def _signed(x: int) -> int:
    return x - (1 << 64) if x >= 1 << 63 else x


def murmur3_hash128(data: bytes, seed: int = MURMUR3_SEED) -> tuple[int, int]:
    """Kafka's ``Murmur3.hash128`` (x64, 128 bit): two signed 64-bit ints, as Java returns them."""
    h1 = h2 = seed & _M64
    length = len(data)
    nblocks = length >> 4
    for i in range(nblocks):
        k1, k2 = struct.unpack_from("<QQ", data, i << 4)
        k1 = (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
        h1 ^= k1
        h1 = (_rotl(h1, 27) + h2) & _M64
        h1 = (h1 * 5 + 0x52DCE729) & _M64
        k2 = (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
        h2 ^= k2
        h2 = (_rotl(h2, 31) + h1) & _M64
        h2 = (h2 * 5 + 0x38495AB5) & _M64
    tail = data[nblocks << 4:]
    k1 = k2 = 0
    n = len(tail)
    if n > 8:
        k2 = int.from_bytes(tail[8:], "little")
        k2 = (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
        h2 ^= k2
    if n > 0:
        k1 = int.from_bytes(tail[:8], "little")
        k1 = (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
        h1 ^= k1
    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    h1 = _fmix64(h1)
    h2 = _fmix64(h2)
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    return _signed(h1), _signed(h2)


def value_hash(data: bytes | None) -> bytes | None:
    """Kafka's value hash of a serialized left value: murmur3-128, as 16 big-endian bytes."""
    if data is None:
        return None
    h1, h2 = murmur3_hash128(data)
    return struct.pack(">qq", h1, h2)


class FkSerdes:
    """The serdes one FK join shares between its processors and wrapper serdes.

    Any of them may be None at build time; ``resolve(context)`` fills them from the app's
    default serdes when a processor starts (Kafka's ``setIfUnset``).
    """

    def __init__(self, primary_key: Any, primary_value: Any, foreign_key: Any,
                 foreign_value: Any, topic: str) -> None:
        self.primary_key = primary_key
        self.primary_value = primary_value
        self.foreign_key = foreign_key
        self.foreign_value = foreign_value
        self.topic = topic  # the registration topic, base of the pseudo topics

    def resolve(self, context: Any) -> FkSerdes:
        if None in (self.primary_key, self.primary_value, self.foreign_key, self.foreign_value):
            from raystreams.state.context import default_serdes

            key_default, value_default = default_serdes(getattr(context, "config", None))
            self.primary_key = self.primary_key or key_default
            self.primary_value = self.primary_value or value_default
            self.foreign_key = self.foreign_key or key_default
            self.foreign_value = self.foreign_value or value_default
        return self

    # pseudo topics, as Kafka names them for serde calls
    def ser_fk(self, fk: Any) -> bytes:
        return self.foreign_key.serialize(self.topic + "-fk", fk) or b""

    def ser_pk(self, pk: Any) -> bytes:
        return self.primary_key.serialize(self.topic + "-pk", pk) or b""

    def de_pk(self, data: bytes) -> Any:
        return self.primary_key.deserialize(self.topic + "-pk", data)

    def de_fk(self, data: bytes) -> Any:
        return self.foreign_key.deserialize(self.topic + "-fk", data)

    def hash_value(self, value: Any) -> bytes | None:
        if value is None:
            return None
        return value_hash(self.primary_value.serialize(self.topic + "-vh", value))

    # CombinedKey(foreign key, primary key) <-> bytes: <4-byte fk length><fk><pk>
    def combined_key(self, fk: Any, pk: Any) -> bytes:
        fkb = self.ser_fk(fk)
        return struct.pack(">i", len(fkb)) + fkb + self.ser_pk(pk)

    def prefix(self, fk: Any) -> bytes:
        fkb = self.ser_fk(fk)
        return struct.pack(">i", len(fkb)) + fkb

    def split_combined(self, data: bytes) -> tuple[Any, Any]:
        (n,) = struct.unpack_from(">i", data)
        return self.de_fk(data[4:4 + n]), self.de_pk(data[4 + n:])


class SubscriptionWrapper:
    """A subscription: value hash, instruction, primary key and its partition."""

    __slots__ = ("hash", "instruction", "primary_key", "primary_partition")

    def __init__(self, hash: bytes | None, instruction: Instruction, primary_key: Any,
                 primary_partition: int) -> None:
        self.hash = hash
        self.instruction = instruction
        self.primary_key = primary_key
        self.primary_partition = primary_partition

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SubscriptionWrapper) and (
            self.hash, self.instruction, self.primary_key, self.primary_partition) == (
            other.hash, other.instruction, other.primary_key, other.primary_partition)

    def __repr__(self) -> str:
        h = self.hash.hex() if self.hash is not None else None
        return (f"SubscriptionWrapper(hash={h}, instruction={self.instruction.name}, "
                f"primaryKey={self.primary_key}, primaryPartition={self.primary_partition})")


class SubscriptionResponseWrapper:
    """An answer to a subscription: the original hash, the right value, the primary partition."""

    __slots__ = ("original_hash", "foreign_value", "primary_partition")

    def __init__(self, original_hash: bytes | None, foreign_value: Any,
                 primary_partition: int | None) -> None:
        self.original_hash = original_hash
        self.foreign_value = foreign_value
        self.primary_partition = primary_partition

    def __repr__(self) -> str:
        h = self.original_hash.hex() if self.original_hash is not None else None
        return (f"SubscriptionResponseWrapper(hash={h}, foreignValue={self.foreign_value!r}, "
                f"primaryPartition={self.primary_partition})")


class SubscriptionWrapperSerde(Serde[SubscriptionWrapper]):
    """``{1 bit hash-is-null}{7 bits version}{instruction}{16-byte hash?}{int partition}{pk}``."""

    def __init__(self, serdes: FkSerdes) -> None:
        self.serdes = serdes

    def serialize(self, topic: str, data: SubscriptionWrapper | None) -> bytes | None:
        if data is None:
            return None
        head = VERSION | (0x80 if data.hash is None else 0)
        out = bytes([head, int(data.instruction)])
        if data.hash is not None:
            out += data.hash
        return out + struct.pack(">i", data.primary_partition) + self.serdes.ser_pk(
            data.primary_key)

    def deserialize(self, topic: str, data: bytes | None) -> SubscriptionWrapper | None:
        if data is None:
            return None
        head, instruction = data[0], data[1]
        pos = 2
        digest = None
        if not head & 0x80:
            digest, pos = bytes(data[2:18]), 18
        (partition,) = struct.unpack_from(">i", data, pos)
        pk = self.serdes.de_pk(bytes(data[pos + 4:]))
        return SubscriptionWrapper(digest, Instruction(instruction), pk, partition)


class SubscriptionResponseWrapperSerde(Serde[SubscriptionResponseWrapper]):
    """``{bit7 hash-is-null}{bit6 value-is-null}{version}{16-byte hash?}{int partition}{value?}``."""

    def __init__(self, serdes: FkSerdes) -> None:
        self.serdes = serdes

    def serialize(self, topic: str, data: SubscriptionResponseWrapper | None) -> bytes | None:
        if data is None:
            return None
        value = None if data.foreign_value is None else \
            self.serdes.foreign_value.serialize(topic, data.foreign_value)
        head = VERSION | (0x80 if data.original_hash is None else 0) | \
            (0x40 if value is None else 0)
        out = bytes([head])
        if data.original_hash is not None:
            out += data.original_hash
        partition = -1 if data.primary_partition is None else data.primary_partition
        out += struct.pack(">i", partition)
        return out + (value or b"")

    def deserialize(self, topic: str, data: bytes | None) -> SubscriptionResponseWrapper | None:
        if data is None:
            return None
        head = data[0]
        pos = 1
        digest = None
        if not head & 0x80:
            digest, pos = bytes(data[1:17]), 17
        (partition,) = struct.unpack_from(">i", data, pos)
        pos += 4
        value = None if head & 0x40 else self.serdes.foreign_value.deserialize(
            topic, bytes(data[pos:]))
        return SubscriptionResponseWrapper(digest, value, None if partition < 0 else partition)


def response_partitioner(topic: str, key: Any, value: SubscriptionResponseWrapper,
                         num_partitions: int) -> int | None:
    """Answers go back to the partition of the left row (Kafka's DefaultForeignResponseSinkPartitioner)."""
    return value.primary_partition


def subscription_store_builder(name: str, serdes: FkSerdes, logging_enabled: bool = True,
                               topic_config: dict[str, str] | None = None) -> Any:
    """The subscription store: timestamped key-value, CombinedKey bytes -> SubscriptionWrapper.

    Persistent (RocksDB), changelogged, never cached (Kafka's SubscriptionStoreFactory).
    """
    from raystreams.serde import Serdes
    from raystreams.state import Stores

    builder = Stores.timestamped_key_value_store_builder(
        Stores.persistent_timestamped_key_value_store(name), Serdes.Bytes(), SubscriptionWrapperSerde(serdes))
    if logging_enabled:
        builder.with_logging_enabled(dict(topic_config or {}))
    else:
        builder.with_logging_disabled()
    builder.with_caching_disabled()
    return builder
