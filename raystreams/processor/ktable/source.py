"""``builder.table()``'s processor (Kafka's KTableSource).
"""

from __future__ import annotations

import logging
from typing import Any

from raystreams.processor.api import Processor, Record
from raystreams.processor.change import Change
from raystreams.processor.dropped import skip_record, task_prefix, where
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.processor.ktable.getters import MaterializedValueGetterSupplier
from raystreams.processor.ktable.store_wrapper import (
    PUT_RETURN_CODE_IS_LATEST,
    PUT_RETURN_CODE_NOT_PUT,
    KeyValueStoreWrapper,
)
from raystreams.state.types import ValueAndTimestamp

log = logging.getLogger(__name__)


class KTableSourceSupplier:
    """``builder.table()``'s processor: puts each update in the store (if materialized), forwards it.

    Materialized when the user named the store, or when a later operation needs it (a value
    getter, old values); decided when the topology is written, as in Kafka.
    """

    def __init__(self, store_name: str, queryable_name: str | None) -> None:
        self.store_name = store_name
        self.queryable_name = queryable_name
        self.send_old_values = False

    @property
    def materialized(self) -> bool:
        return self.queryable_name is not None

    def materialize(self) -> None:
        self.queryable_name = self.store_name

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        if not force_materialization and not self.materialized:
            return False
        self.send_old_values = True
        self.queryable_name = self.store_name
        return True

    def view(self) -> MaterializedValueGetterSupplier:
        self.materialize()
        return MaterializedValueGetterSupplier(self.store_name)

    def __call__(self) -> KTableSourceProcessor:
        return KTableSourceProcessor(self.queryable_name, self.send_old_values)


class KTableSourceProcessor(Processor):
    def __init__(self, queryable_name: str | None, send_old_values: bool) -> None:
        self.queryable_name = queryable_name
        self.send_old_values = send_old_values
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: Any) -> None:
        self.context = context
        if self.queryable_name is not None:
            raw = context.get_state_store(self.queryable_name)
            self.store = KeyValueStoreWrapper(raw)
            self.forwarder = TupleForwarder(raw, context, self.send_old_values)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            skip_record(log, self.context, "null key")
            return
        if self.store is None:
            self.context.forward(record.with_value(Change(record.value, None)))
            return
        old = self.store.get(key)
        if old is not None and record.timestamp < old.timestamp:
            log.warning("%sDetected out-of-order KTable update for %s, old timestamp=[%s] new "
                        "timestamp=[%s]. %s", task_prefix(self.context), self.queryable_name,
                        old.timestamp, record.timestamp, where(self.context))
        code = self.store.put(key, record.value, record.timestamp)
        if code != PUT_RETURN_CODE_NOT_PUT:  # a version too old for a versioned table: dropped
            self.forwarder.maybe_forward(record.with_value(
                Change(record.value, ValueAndTimestamp.get_value_or_null(old), code == PUT_RETURN_CODE_IS_LATEST)))
