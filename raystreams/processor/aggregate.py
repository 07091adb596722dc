"""Aggregation processors: grouped streams and grouped tables (Kafka's KStreamAggregate, ...).

Each keeps its aggregate in a timestamped key-value store and forwards ``Change(new, old)``
(``old`` only once a downstream operation enabled old values), directly or on cache flush.
The supplier of each is also a KTable processor supplier: ``view()`` reads the store,
``enable_send_old_values`` turns old values on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Processor, Record
from raystreams.processor.change import Change
from raystreams.processor.dropped import skip_record
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.processor.ktable.getters import MaterializedValueGetterSupplier
from raystreams.state.types import ValueAndTimestamp

log = logging.getLogger(__name__)


class _AggSupplier:
    """What every aggregation supplier shares: store name, old values, the view."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.send_old_values = False

    def enable_send_old_values(self, force_materialization: bool = True) -> bool:
        self.send_old_values = True
        return True

    def view(self) -> MaterializedValueGetterSupplier:
        return MaterializedValueGetterSupplier(self.store_name)


class _AggProcessor(Processor):
    def __init__(self, supplier: _AggSupplier) -> None:
        self.supplier = supplier
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: Any) -> None:
        self.context = context
        self.store = context.get_state_store(self.supplier.store_name)
        self.forwarder = TupleForwarder(self.store, context, self.supplier.send_old_values)

    def _put_and_forward(self, record: Record, new_agg: Any, old_agg: Any, timestamp: int) -> None:
        self.store.put(record.key, ValueAndTimestamp.make(new_agg, timestamp))
        old = old_agg if self.supplier.send_old_values else None
        self.forwarder.maybe_forward(Record(record.key, Change(new_agg, old), timestamp,
                                            record.headers))

    def _skip(self) -> None:
        skip_record(log, self.context, "null key or value")


# ------------------------------------------------------------------------------------------
# grouped streams


class KStreamAggregateSupplier(_AggSupplier):
    """``KGroupedStream.aggregate``/``count`` (Kafka's KStreamAggregate).

    ``aggregator(key, value, aggregate)``; records with a None key or value are skipped.
    """

    def __init__(self, store_name: str, initializer: Callable[[], Any],
                 aggregator: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name)
        self.initializer = initializer
        self.aggregator = aggregator

    def __call__(self) -> KStreamAggregateProcessor:
        return KStreamAggregateProcessor(self)


class KStreamAggregateProcessor(_AggProcessor):
    def process(self, record: Record) -> None:
        key, value = record.key, record.value
        if key is None or value is None:
            self._skip()
            return
        old = self.store.get(key)
        old_agg = ValueAndTimestamp.get_value_or_null(old)
        if old_agg is None:
            old_agg = self.supplier.initializer()
            ts = record.timestamp
        else:
            ts = max(record.timestamp, old.timestamp)
        new_agg = self.supplier.aggregator(key, value, old_agg)
        self._put_and_forward(record, new_agg, old_agg, ts)


class KStreamReduceSupplier(_AggSupplier):
    """``KGroupedStream.reduce`` (Kafka's KStreamReduce): ``reducer(aggregate, value)``."""

    def __init__(self, store_name: str, reducer: Callable[[Any, Any], Any]) -> None:
        super().__init__(store_name)
        self.reducer = reducer

    def __call__(self) -> KStreamReduceProcessor:
        return KStreamReduceProcessor(self)


class KStreamReduceProcessor(_AggProcessor):
    def process(self, record: Record) -> None:
        key, value = record.key, record.value
        if key is None or value is None:
            self._skip()
            return
        old = self.store.get(key)
        old_agg = ValueAndTimestamp.get_value_or_null(old)
        if old_agg is None:
            new_agg, ts = value, record.timestamp
        else:
            new_agg = self.supplier.reducer(old_agg, value)
            ts = max(record.timestamp, old.timestamp)
        self._put_and_forward(record, new_agg, old_agg, ts)


COUNT_INITIALIZER = int  # () -> 0


def count_aggregator(key: Any, value: Any, aggregate: int) -> int:
    return aggregate + 1


def count_subtractor(key: Any, value: Any, aggregate: int) -> int:
    return aggregate - 1


def _zero() -> int:
    return 0


# ------------------------------------------------------------------------------------------
# grouped tables


def _null_key(store_name: str) -> StreamsException:
    return StreamsException(f"Record key for KTable aggregate operator with state {store_name} "
                            f"should not be null.")


class KTableAggregateSupplier(_AggSupplier):
    """``KGroupedTable.aggregate``/``count`` (Kafka's KTableAggregate): subtract old, add new."""

    def __init__(self, store_name: str, initializer: Callable[[], Any],
                 adder: Callable[[Any, Any, Any], Any], subtractor: Callable[[Any, Any, Any], Any],
                 change_serde: Any = None) -> None:
        super().__init__(store_name)
        self.initializer = initializer
        self.adder = adder
        self.subtractor = subtractor
        self.change_serde = change_serde

    def __call__(self) -> KTableAggregateProcessor:
        return KTableAggregateProcessor(self)


class KTableAggregateProcessor(_AggProcessor):
    def init(self, context: Any) -> None:
        super().init(context)
        if self.supplier.change_serde is not None:
            self.supplier.change_serde.set_if_unset_from(context)

    def process(self, record: Record) -> None:
        s = self.supplier
        key, change = record.key, record.value
        if key is None:
            raise _null_key(s.store_name)
        old = self.store.get(key)
        old_agg = ValueAndTimestamp.get_value_or_null(old)
        ts = record.timestamp
        if change.old_value is not None and old_agg is not None:
            inter = s.subtractor(key, change.old_value, old_agg)
            ts = max(record.timestamp, old.timestamp)
        else:
            inter = old_agg
        if change.new_value is not None:
            base = s.initializer() if inter is None else inter
            new_agg = s.adder(key, change.new_value, base)
            if old is not None:
                ts = max(record.timestamp, old.timestamp)
        else:
            new_agg = inter
        self._put_and_forward(record, new_agg, old_agg, ts)


class KTableReduceSupplier(_AggSupplier):
    """``KGroupedTable.reduce`` (Kafka's KTableReduce): ``adder(agg, v)``, ``subtractor(agg, v)``."""

    def __init__(self, store_name: str, adder: Callable[[Any, Any], Any],
                 subtractor: Callable[[Any, Any], Any], change_serde: Any = None) -> None:
        super().__init__(store_name)
        self.adder = adder
        self.subtractor = subtractor
        self.change_serde = change_serde

    def __call__(self) -> KTableReduceProcessor:
        return KTableReduceProcessor(self)


class KTableReduceProcessor(KTableAggregateProcessor):
    def process(self, record: Record) -> None:
        s = self.supplier
        key, change = record.key, record.value
        if key is None:
            raise _null_key(s.store_name)
        old = self.store.get(key)
        old_agg = ValueAndTimestamp.get_value_or_null(old)
        if change.old_value is not None and old_agg is not None:
            inter = s.subtractor(old_agg, change.old_value)
            ts = max(record.timestamp, old.timestamp)
        else:
            inter = old_agg
            ts = record.timestamp
        if change.new_value is not None:
            if inter is None:
                new_agg = change.new_value
            else:
                new_agg = s.adder(inter, change.new_value)
                ts = max(record.timestamp, old.timestamp)
        else:
            new_agg = inter
        self._put_and_forward(record, new_agg, old_agg, ts)
