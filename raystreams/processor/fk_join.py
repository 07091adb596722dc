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
wrappers never leave the app's own internal topics). They, their serdes, the hash and the
subscription store are in ``fk_join_wrappers``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from raystreams.processor.api import Processor, Record
from raystreams.processor.change import Change
from raystreams.processor.dropped import count_dropped, skip_out_of_order_version, skip_record
from raystreams.processor.fk_join_wrappers import (
    FkSerdes,
    Instruction,
    SubscriptionResponseWrapper,
    SubscriptionWrapper,
)
from raystreams.state.types import ValueAndTimestamp

log = logging.getLogger(__name__)

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
            skip_out_of_order_version(log, self.context)
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
            skip_out_of_order_version(log, self.context)
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
