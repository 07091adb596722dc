"""Java-compatible key partitioning: Kafka's murmur2 and the default partition of a key.

Kafka Streams places a keyed record with ``BuiltInPartitioner.partitionForKey``:
``toPositive(Utils.murmur2(keyBytes)) % numPartitions``. librdkafka's ``murmur2_random``
partitioner computes the same number, so a Java producer, a confluent-kafka producer
configured with ``partitioner=murmur2_random`` and raystreams agree on which partition a
key lives in (co-partitioning, and routing an interactive query to the owning task).
"""

from __future__ import annotations

import struct

from raystreams.errors import IllegalArgumentException

__all__ = ["murmur2", "to_positive", "default_partition"]

_SEED = 0x9747B28C
_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


# Unpackers for keys of up to 252 bytes, made once: building the format per call costs
# more than hashing a short key.
_BLOCKS = [struct.Struct(f"<{n}I").unpack_from for n in range(64)]


def _murmur2_u32(data: bytes) -> int:
    # Unsigned 32-bit arithmetic, masked after multiplying, matches Java's wrapping int
    # arithmetic bit for bit; >> on a non-negative int is Java's >>>. Masking the xor of
    # two products equals xoring the masked products, which saves one mask per block.
    length = len(data)
    h = _SEED ^ length
    n4 = length >> 2
    if n4:
        m = _M
        mask = _MASK
        # Java reads the 4-byte blocks with a little-endian VarHandle.
        blocks = _BLOCKS[n4](data) if n4 < 64 else struct.unpack_from(f"<{n4}I", data)
        for k in blocks:
            k = (k * m) & mask
            h = ((h * m) ^ ((k ^ (k >> 24)) * m)) & mask
    rest = length & 3
    if rest:
        i = n4 << 2
        if rest == 3:
            h ^= data[i + 2] << 16
        if rest >= 2:
            h ^= data[i + 1] << 8
        h = ((h ^ data[i]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def murmur2(data: bytes) -> int:
    """Hash bytes exactly as Kafka's ``Utils.murmur2`` does.

    Args:
        data: The serialized key (any bytes-like object).

    Returns:
        The 32-bit hash as a signed int, the value Java returns.
    """
    h = _murmur2_u32(data)
    return h - 0x100000000 if h & 0x80000000 else h


def to_positive(number: int) -> int:
    """Clear the sign bit of a 32-bit int, as Kafka's ``Utils.toPositive``.

    Not ``abs``: ``to_positive(-2147483648)`` is 0 and ``to_positive(-1)`` is 2147483647.
    """
    return number & 0x7FFFFFFF


def default_partition(key_bytes: bytes | None, num_partitions: int) -> int | None:
    """The partition Kafka's default partitioner gives a serialized key.

    This is ``BuiltInPartitioner.partitionForKey`` (Java producer and Kafka Streams'
    ``DefaultStreamPartitioner``) and librdkafka's ``murmur2_random`` for a keyed record.

    A null key has no fixed partition: Kafka Streams' ``DefaultStreamPartitioner`` then
    returns no partition and lets the producer choose, and the Java producer's built-in
    partitioner sticks to one partition per batch (switching as batches fill, weighted
    by broker load), while librdkafka's ``murmur2_random`` picks a random partition. So
    for ``None`` this returns ``None``: leave the record's partition unset and let the
    producer place it.

    Args:
        key_bytes: The serialized key, or ``None`` for a null key.
        num_partitions: The topic's partition count (> 0).

    Returns:
        A partition in ``range(num_partitions)``, or ``None`` for a null key.

    Raises:
        IllegalArgumentException: If ``num_partitions`` is not positive.
    """
    if num_partitions <= 0:
        raise IllegalArgumentException(f"num_partitions must be positive, got {num_partitions}")
    if key_bytes is None:
        return None
    return (_murmur2_u32(key_bytes) & 0x7FFFFFFF) % num_partitions
