"""Stream-table joins: KStream-KTable and KStream-GlobalKTable (Kafka Streams'
``KStreamKTableJoin`` and ``KStreamGlobalKTableJoin``, with the versioned-table join buffer of
KIP-923)."""

from __future__ import annotations

import logging
import struct
from collections.abc import Callable
from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Processor, ProcessorContext, Record
from raystreams.processor.dropped import skip_record
from raystreams.processor.suppress_buffer import _BufferValue
from raystreams.state.types import ValueAndTimestamp

log = logging.getLogger(__name__)

_LONG = struct.Struct(">q")
_INT = struct.Struct(">i")


def value_or_none(vat: Any) -> Any:
    """The plain value of a ValueAndTimestamp (or of a bare value), ``None`` for ``None``."""
    if vat is None:
        return None
    if isinstance(vat, ValueAndTimestamp):
        return vat.value
    return getattr(vat, "value", vat)


class KStreamKTableJoinProcessor(Processor):
    """Joins each stream record with the table's value (KStreamKTableJoinProcessor).

    ``key_mapper(key, value)`` gives the table key: the identity for KStream-KTable joins, the
    user's selector for GlobalKTable joins. Records whose mapped key or value is ``None`` are
    dropped, except that a left join still forwards a ``None`` mapped key with a ``None``
    table value. ``joiner(key, stream_value, table_value)``.

    A versioned table is read as of the stream record's timestamp. With a grace period (a
    versioned table only), stream records wait in a buffer store until stream time has
    passed their timestamp by the grace, so that table updates up to then are seen; they
    are joined in timestamp order. A record already older than that is joined at once.
    """

    def __init__(self, value_getter_supplier: Any, key_mapper: Callable[[Any, Any], Any] | None,
                 joiner: Callable[[Any, Any], Any], left_join: bool,
                 grace_ms: int | None = None, buffer_name: str | None = None,
                 key_serde: Any = None, value_serde: Any = None) -> None:
        self.value_getter = value_getter_supplier.get()
        self.key_mapper = key_mapper
        self.joiner = joiner
        self.left_join = left_join
        self.grace_ms = grace_ms
        self.buffer_name = buffer_name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.versioned = False
        self.buffer: Any = None
        self.observed_stream_time = -1
        self._buffer_time = -1  # the largest timestamp buffered (the buffer store's stream time)
        self._seqnum = 0

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self.value_getter.init(context)
        check = getattr(self.value_getter, "is_versioned", None)
        self.versioned = bool(check()) if check is not None else False
        if self.grace_ms is not None:
            if not self.versioned:
                raise StreamsException("KTable must be versioned to use a grace period in a "
                                       "stream table join.")
            from raystreams.state.context import default_serdes

            self.buffer = context.get_state_store(self.buffer_name)
            default_key, default_value = default_serdes(context.config)
            self.key_serde = self.key_serde or default_key
            self.value_serde = self.value_serde or default_value
            with self.buffer.reverse_all() as it:  # resume the buffer's time after a restart
                for raw_key, _ in it:
                    self._buffer_time = _LONG.unpack_from(raw_key)[0]
                    break

    def _mapped(self, record: Record) -> Any:
        return record.key if self.key_mapper is None else self.key_mapper(record.key, record.value)

    def process(self, record: Record) -> None:
        if record.timestamp > self.observed_stream_time:
            self.observed_stream_time = record.timestamp
        mapped = self._mapped(record)
        keep_for_left = self.left_join and mapped is None and record.value is not None
        if not keep_for_left and (mapped is None or record.value is None):
            skip_record(log, self.context, "null join key or value")
            return
        if self.buffer is None or not self._buffer_put(record):
            self._join(record)
        else:
            self._evict()

    def _join(self, record: Record) -> None:
        mapped = self._mapped(record)  # Kafka calls the mapper again here
        if mapped is None:
            table_value = None
        elif self.versioned:
            table_value = value_or_none(self.value_getter.get(mapped, record.timestamp))
        else:
            table_value = value_or_none(self.value_getter.get(mapped))
        if self.left_join or table_value is not None:
            self.context.forward(record.with_value(self.joiner(record.key, record.value, table_value)))

    # -- the grace-period buffer (Kafka's RocksDBTimeOrderedKeyValueBuffer) ---------------------

    def _buffer_put(self, record: Record) -> bool:
        if self._buffer_time - self.grace_ms > record.timestamp:
            return False  # too late to wait: joined now
        topic = self.context.record_context.topic if self.context.record_context else None
        raw_key = self.key_serde.serialize(topic, record.key)
        raw_value = self.value_serde.serialize(topic, record.value)
        rc = self.context.record_context
        self._seqnum = (self._seqnum + 1) & 0x7FFFFFFF
        store_key = _LONG.pack(record.timestamp) + raw_key + _INT.pack(self._seqnum)
        self.buffer.put(store_key, _BufferValue(None, None, raw_value, rc, False).serialize(0))
        if record.timestamp > self._buffer_time:
            self._buffer_time = record.timestamp
        return True

    def _evict(self) -> None:
        limit = self._buffer_time - self.grace_ms
        due = []
        with self.buffer.all() as it:  # time first: timestamp, key bytes, sequence number
            for raw_key, raw_value in it:
                if _LONG.unpack_from(raw_key)[0] > limit:
                    break
                due.append((raw_key, raw_value))
        context = self.context
        for raw_key, raw_value in due:
            buffered, _ = _BufferValue.deserialize(raw_value)
            rc = buffered.context
            key = self.key_serde.deserialize(rc.topic, raw_key[8:-4])
            value = self.value_serde.deserialize(rc.topic, buffered.new)
            previous = context.record_context
            context.record_context = rc
            try:
                self._join(Record(key, value, rc.timestamp, rc.headers))
            finally:
                context.record_context = previous
            self.buffer.delete(raw_key)

    def close(self) -> None:
        self.value_getter.close()


class StreamTableJoinSupplier:
    """Supplier of KStreamKTableJoinProcessor (both KTable and GlobalKTable joins)."""

    def __init__(self, value_getter_supplier: Any, key_mapper: Callable[[Any, Any], Any] | None,
                 joiner: Callable[[Any, Any], Any], left_join: bool, *,
                 grace_ms: int | None = None, buffer_name: str | None = None,
                 key_serde: Any = None, value_serde: Any = None) -> None:
        self.value_getter_supplier = value_getter_supplier
        self.key_mapper = key_mapper
        self.joiner = joiner
        self.left_join = left_join
        self.grace_ms = grace_ms
        self.buffer_name = buffer_name
        self.key_serde = key_serde
        self.value_serde = value_serde

    def __call__(self) -> KStreamKTableJoinProcessor:
        return KStreamKTableJoinProcessor(self.value_getter_supplier, self.key_mapper,
                                          self.joiner, self.left_join, self.grace_ms,
                                          self.buffer_name, self.key_serde, self.value_serde)
