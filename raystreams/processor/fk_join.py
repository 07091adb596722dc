"""Foreign-key KTable-KTable joins (Kafka Streams' ``kstream/internals/foreignkeyjoin``).

A row of the left table joins the row of the right table whose key its
``foreign_key_extractor(value)`` gives. The work is split as in Kafka Streams:

1. **subscription send** (left side): on each left change, send a ``SubscriptionWrapper``
   keyed by the foreign key to the *subscription-registration* topic: unsubscribe the old
   foreign key if it changed, subscribe the new one. The wrapper carries a 128-bit hash of
   the left value it was made from, the primary key and the primary partition;
2. **subscription receive** (right side, after the repartition): keep the subscription in the
   subscription store under ``CombinedKey(foreign key, primary key)`` (or delete it);
3. **subscription join**: look the foreign key up in the right table and answer on the
   *subscription-response* topic, according to the wrapper's instruction;
4. **foreign table join**: on each right change, prefix-scan the subscription store for that
   foreign key and answer every subscriber;
5. **response resolver** (left side again): drop answers whose hash no longer matches the
   current left value (stale), else forward ``joiner(left value, right value)``, or a
   tombstone (``None``) for an inner join without a right value (or a deleted left row).

The value hash is Kafka's: murmur3 x64-128 (seed 104729) of the serialized left value. The
wrapper layouts follow Kafka's field order but are not promised to be byte-identical (the
wrappers never leave the app's own internal topics).
"""

from __future__ import annotations

import enum
import logging
import struct
from collections.abc import Callable
from typing import Any

from raystreams.processor.api import Processor, Record
from raystreams.processor.change import Change
from raystreams.processor.dropped import count_dropped, skip_record
from raystreams.serde import Serde
from raystreams.state.types import ValueAndTimestamp

log = logging.getLogger(__name__)

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


# --------------------------------------------------------------------------- 1. send

class ForeignKeyExtractor:
    """Kafka's ForeignKeyExtractor: ``fn(value)``, or ``fn(key, value)`` with ``with_key``."""

    __slots__ = ("fn", "with_key")

    def __init__(self, fn: Callable[..., Any], with_key: bool = False) -> None:
        self.fn = fn
        self.with_key = with_key

    def __call__(self, key: Any, value: Any) -> Any:
        return self.fn(key, value) if self.with_key else self.fn(value)


class SubscriptionSendProcessor(Processor):
    """Left changes -> subscriptions keyed by foreign key (Kafka's SubscriptionSendProcessorSupplier).

    ``extractor(key, value)`` (a ForeignKeyExtractor) gives the foreign key.
    """

    def __init__(self, extractor: Callable[[Any, Any], Any], serdes: FkSerdes,
                 left_join: bool, use_versioned_semantics: bool = False) -> None:
        self.extractor = extractor
        self.serdes = serdes
        self.left_join = left_join
        self.use_versioned_semantics = use_versioned_semantics

    def init(self, context: Any) -> None:
        self.context = context
        self.serdes.resolve(context)

    def process(self, record: Record) -> None:
        change = record.value
        if self.use_versioned_semantics and not change.is_latest:
            log.info("Skipping out-of-order record from versioned table while performing "
                     "table-table join.")
            count_dropped(self.context)
            return
        self._hash: bytes | None = None
        self._hashed = False
        old, new = change.old_value, change.new_value
        if self.left_join:
            if old is None and new is None:
                return
            old_fk = None if old is None else self.extractor(record.key, old)
            new_fk = None if new is None else self.extractor(record.key, new)
            if old_fk is not None and self._changed(new_fk, old_fk):
                self._forward(record, old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
            self._forward(record, new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
            return
        old_fk = None if old is None else self.extractor(record.key, old)
        unsubscribe = old_fk is not None
        if new is not None:
            new_fk = self.extractor(record.key, new)
            if new_fk is None:
                skip_record(log, self.context, "null foreign key")
                if unsubscribe:
                    self._forward(record, old_fk, Instruction.DELETE_KEY_AND_PROPAGATE)
            elif unsubscribe and self._changed(new_fk, old_fk):
                self._forward(record, old_fk, Instruction.DELETE_KEY_NO_PROPAGATE)
                self._forward(record, new_fk, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE)
            else:
                self._forward(record, new_fk, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)
        elif unsubscribe:
            self._forward(record, old_fk, Instruction.DELETE_KEY_AND_PROPAGATE)

    def _changed(self, new_fk: Any, old_fk: Any) -> bool:
        new_b = None if new_fk is None else self.serdes.ser_fk(new_fk)
        return new_b != self.serdes.ser_fk(old_fk)

    def _forward(self, record: Record, fk: Any, instruction: Instruction) -> None:
        if not self._hashed:
            self._hash = self.serdes.hash_value(record.value.new_value)
            self._hashed = True
        rc = self.context.record_context
        partition = rc.partition if rc is not None and rc.partition is not None else \
            self.context.partition
        wrapper = SubscriptionWrapper(self._hash, instruction, record.key, partition)
        self.context.forward(Record(fk, wrapper, record.timestamp, record.headers))


class SubscriptionSendSupplier:
    def __init__(self, extractor: Callable[[Any, Any], Any], serdes: FkSerdes,
                 left_join: bool) -> None:
        self.extractor = extractor
        self.serdes = serdes
        self.left_join = left_join
        self.use_versioned_semantics = False

    def __call__(self) -> SubscriptionSendProcessor:
        return SubscriptionSendProcessor(self.extractor, self.serdes, self.left_join,
                                         self.use_versioned_semantics)


# --------------------------------------------------------------------------- 2. receive

class SubscriptionReceiveProcessor(Processor):
    """Keeps subscriptions in the subscription store (Kafka's SubscriptionReceiveProcessorSupplier).

    Forwards ``(CombinedKey bytes-decoded as (fk, pk), Change(new, old))`` of
    ``ValueAndTimestamp(SubscriptionWrapper)``.
    """

    def __init__(self, store_name: str, serdes: FkSerdes) -> None:
        self.store_name = store_name
        self.serdes = serdes

    def init(self, context: Any) -> None:
        self.context = context
        self.serdes.resolve(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        fk, wrapper = record.key, record.value
        if fk is None and wrapper.instruction != Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:
            skip_record(log, self.context, "null foreign key")
            return
        new = ValueAndTimestamp(wrapper, record.timestamp)
        if fk is None:
            change = Change(new, None)
        else:
            key = self.serdes.combined_key(fk, wrapper.primary_key)
            old = self.store.get(key)
            if wrapper.instruction in (Instruction.DELETE_KEY_AND_PROPAGATE,
                                       Instruction.DELETE_KEY_NO_PROPAGATE):
                self.store.delete(key)
            else:
                self.store.put(key, new)
            change = Change(new, old)
        self.context.forward(Record((fk, wrapper.primary_key), change, record.timestamp,
                                    record.headers))


class SubscriptionReceiveSupplier:
    def __init__(self, store_name: str, serdes: FkSerdes) -> None:
        self.store_name = store_name
        self.serdes = serdes

    def __call__(self) -> SubscriptionReceiveProcessor:
        return SubscriptionReceiveProcessor(self.store_name, self.serdes)


# --------------------------------------------------------------------------- 3. join

class SubscriptionJoinProcessor(Processor):
    """Answers a subscription from the right table (Kafka's SubscriptionJoinProcessorSupplier)."""

    def __init__(self, getter_supplier: Any) -> None:
        self.getter = getter_supplier.get()

    def init(self, context: Any) -> None:
        self.context = context
        self.getter.init(context)

    def process(self, record: Record) -> None:
        fk, pk = record.key
        vat = record.value.new_value
        wrapper: SubscriptionWrapper = vat.value
        foreign = None if fk is None else self.getter.get(fk)
        ts = vat.timestamp if foreign is None else max(vat.timestamp, foreign.timestamp)
        instruction = wrapper.instruction
        if instruction == Instruction.DELETE_KEY_AND_PROPAGATE:
            value: Any = SubscriptionResponseWrapper(wrapper.hash, None, wrapper.primary_partition)
        elif instruction == Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE:
            value = SubscriptionResponseWrapper(
                wrapper.hash, None if foreign is None else foreign.value,
                wrapper.primary_partition)
        elif instruction == Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE:
            if foreign is None:
                return
            value = SubscriptionResponseWrapper(wrapper.hash, foreign.value,
                                                wrapper.primary_partition)
        else:  # DELETE_KEY_NO_PROPAGATE
            return
        self.context.forward(Record(pk, value, ts, record.headers))

    def close(self) -> None:
        self.getter.close()


class SubscriptionJoinSupplier:
    def __init__(self, getter_supplier: Any) -> None:
        self.getter_supplier = getter_supplier

    def __call__(self) -> SubscriptionJoinProcessor:
        return SubscriptionJoinProcessor(self.getter_supplier)


# --------------------------------------------------------------------------- 4. foreign table

class ForeignTableJoinProcessor(Processor):
    """Right changes -> answers to every subscriber (Kafka's ForeignTableJoinProcessorSupplier)."""

    def __init__(self, store_name: str, serdes: FkSerdes,
                 use_versioned_semantics: bool = False) -> None:
        self.store_name = store_name
        self.serdes = serdes
        self.use_versioned_semantics = use_versioned_semantics

    def init(self, context: Any) -> None:
        self.context = context
        self.serdes.resolve(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        if record.key is None:
            skip_record(log, self.context, "null key")
            return
        if self.use_versioned_semantics and not record.value.is_latest:
            log.info("Skipping out-of-order record from versioned table while performing "
                     "table-table join.")
            count_dropped(self.context)
            return
        prefix = self.serdes.prefix(record.key)
        new_value = record.value.new_value
        for key, vat in _prefix_scan(self.store, prefix):
            wrapper: SubscriptionWrapper = vat.value
            _, pk = self.serdes.split_combined(key)
            self.context.forward(Record(pk, SubscriptionResponseWrapper(
                wrapper.hash, new_value, wrapper.primary_partition), record.timestamp,
                record.headers))


def _prefix_scan(store: Any, prefix: bytes) -> list[tuple[bytes, Any]]:
    upper = _increment(prefix)
    it = store.range(prefix, upper) if upper is not None else store.range(prefix, None)
    try:
        return [(bytes(k), v) for k, v in it if bytes(k).startswith(prefix)]
    finally:
        close = getattr(it, "close", None)
        if close is not None:
            close()


def _increment(data: bytes) -> bytes | None:
    buf = bytearray(data)
    for i in range(len(buf) - 1, -1, -1):
        if buf[i] != 0xFF:
            buf[i] += 1
            return bytes(buf[:i + 1])
    return None


class ForeignTableJoinSupplier:
    def __init__(self, store_name: str, serdes: FkSerdes) -> None:
        self.store_name = store_name
        self.serdes = serdes
        self.use_versioned_semantics = False

    def __call__(self) -> ForeignTableJoinProcessor:
        return ForeignTableJoinProcessor(self.store_name, self.serdes,
                                         self.use_versioned_semantics)


# --------------------------------------------------------------------------- 5. resolve

class ResponseJoinProcessor(Processor):
    """Checks an answer against the current left value and joins (ResponseJoinProcessorSupplier)."""

    def __init__(self, getter_supplier: Any, serdes: FkSerdes,
                 joiner: Callable[[Any, Any], Any], left_join: bool) -> None:
        self.getter = getter_supplier.get()
        self.serdes = serdes
        self.joiner = joiner
        self.left_join = left_join

    def init(self, context: Any) -> None:
        self.context = context
        self.serdes.resolve(context)
        self.getter.init(context)

    def process(self, record: Record) -> None:
        response: SubscriptionResponseWrapper = record.value
        current = self.getter.get(record.key)
        current_hash = None if current is None else self.serdes.hash_value(current.value)
        if response.original_hash != current_hash:
            log.debug("Dropping FK-join response due to hash mismatch")
            count_dropped(self.context)
            return
        if response.foreign_value is None and (not self.left_join or current is None):
            result = None
        else:
            result = self.joiner(None if current is None else current.value,
                                 response.foreign_value)
        self.context.forward(record.with_value(result))

    def close(self) -> None:
        self.getter.close()


class ResponseJoinSupplier:
    def __init__(self, getter_supplier: Any, serdes: FkSerdes, joiner: Callable[[Any, Any], Any],
                 left_join: bool) -> None:
        self.getter_supplier = getter_supplier
        self.serdes = serdes
        self.joiner = joiner
        self.left_join = left_join

    def __call__(self) -> ResponseJoinProcessor:
        return ResponseJoinProcessor(self.getter_supplier, self.serdes, self.joiner,
                                     self.left_join)


# --------------------------------------------------------------------------- store

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
