"""What a task commits with each input offset: its partition time and its processor metadata
(Kafka's ``TopicPartitionMetadata`` and ``ProcessorMetadata``), in Kafka's format.

A restarted task reads them back from the committed offsets, so its stream time goes on from
where it was, and processors find what they stored (the emit-on-window-close aggregations
keep the close time of their last emit there, so a restart does not emit closed windows again).
The string is Kafka Streams' own (base64 of magic byte 2, the partition time as a long, then the
metadata map), so either can read what the other committed.
"""

from __future__ import annotations

import base64
import logging
import struct

from raystreams.topology.java_order import java_hash_order

log = logging.getLogger(__name__)

UNKNOWN = -1  # Kafka's RecordQueue.UNKNOWN: no partition time yet
LATEST_MAGIC_BYTE = 2


class ProcessorMetadata:
    """String keys to longs that processors commit with the task's offsets."""

    __slots__ = ("_values", "needs_commit")

    def __init__(self, values: dict[str, int] | None = None) -> None:
        self._values: dict[str, int] = dict(values or {})
        self.needs_commit = False

    def put(self, key: str, value: int) -> None:
        self._values[key] = int(value)
        self.needs_commit = True

    def get(self, key: str) -> int | None:
        return self._values.get(key)

    def update(self, other: ProcessorMetadata) -> None:
        """Take each of ``other``'s values that is new or larger (Kafka's merge across the
        metadata committed with a task's partitions)."""
        for key, value in other._values.items():
            mine = self._values.get(key)
            if mine is None or mine < value:
                self._values[key] = value

    def to_dict(self) -> dict[str, int]:
        return dict(self._values)

    def serialize(self) -> bytes:
        if not self._values:
            return b""
        parts = [struct.pack(">i", len(self._values))]
        for key in java_hash_order(self._values):  # a java.util.HashMap's order
            raw = key.encode("utf-8")
            parts.append(struct.pack(">i", len(raw)) + raw + struct.pack(">q", self._values[key]))
        return b"".join(parts)

    @classmethod
    def deserialize(cls, data: bytes) -> ProcessorMetadata:
        if not data:
            return cls()
        (count,) = struct.unpack_from(">i", data)
        pos = 4
        if count < 0 or count > (len(data) - pos) // 12:
            raise ValueError(f"processor metadata claims {count} entries in {len(data)} bytes")
        values = {}
        for _ in range(count):
            (size,) = struct.unpack_from(">i", data, pos)
            pos += 4
            if size < 0 or size > len(data) - pos:
                raise ValueError(f"processor metadata key of {size} bytes overruns the data")
            key = data[pos:pos + size].decode("utf-8")
            pos += size
            (values[key],) = struct.unpack_from(">q", data, pos)
            pos += 8
        return cls(values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProcessorMetadata) and self._values == other._values

    def __repr__(self) -> str:
        return f"ProcessorMetadata({self._values!r})"


def encode(partition_time: int, metadata: ProcessorMetadata) -> str:
    """The offset-commit metadata string of one input partition."""
    raw = struct.pack(">bq", LATEST_MAGIC_BYTE, partition_time) + metadata.serialize()
    return base64.b64encode(raw).decode("ascii")


def decode(text: str | None) -> tuple[int, ProcessorMetadata]:
    """``(partition_time, metadata)`` of a committed metadata string; ``UNKNOWN`` and empty
    metadata for an empty or unreadable one (Kafka logs and goes on, and so does this)."""
    if not text:
        return UNKNOWN, ProcessorMetadata()
    try:
        raw = base64.b64decode(text, validate=True)
        version = raw[0]
        if version == 1:
            return struct.unpack_from(">q", raw, 1)[0], ProcessorMetadata()
        if version == LATEST_MAGIC_BYTE:
            return struct.unpack_from(">q", raw, 1)[0], ProcessorMetadata.deserialize(raw[9:])
        log.warning("unsupported offset metadata version %d (supported: <= %d)", version,
                    LATEST_MAGIC_BYTE)
    except Exception:
        log.warning("unsupported offset metadata found: %r", text[:80])
    return UNKNOWN, ProcessorMetadata()


__all__ = ["LATEST_MAGIC_BYTE", "UNKNOWN", "ProcessorMetadata", "decode", "encode"]
