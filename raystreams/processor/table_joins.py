"""KTable-KTable joins on the primary key (Kafka's KTableKTable{Inner,Left,Right,Outer}Join).

A table-table join is two processors and a merge: each side's processor receives that
side's ``Change`` and looks the key up in the *other* side through its value getter, then
forwards ``Change(joined new, joined old)``; the merge (``KTableKTableJoinMerger``) forwards
both sides' results, storing them first when the join result is materialized.

Per side and kind (``joiner(left, right)``; the other side's processors use it reversed):

- inner: nothing when the other side has no value; else the joined new value (None for a
  delete) and, with old values on, the joined old value;
- left (this = left side): a missing right value joins as None; nothing only when both the
  change's values and the right value are None;
- right (the right side of a left join): nothing when the left value is missing; else the
  joined values, where a deleted right value joins as None;
- outer: a missing other value joins as None; nothing only when all three are None.

The result timestamp is the larger of the record's and the other value's timestamp.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from raystreams.processor.api import Processor, Record
from raystreams.processor.change import Change
from raystreams.processor.dropped import skip_out_of_order_version, skip_record
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.processor.ktable.getters import MaterializedValueGetterSupplier
from raystreams.state.types import ValueAndTimestamp

log = logging.getLogger(__name__)

UNKNOWN = -1
JoinKind = Literal["inner", "left", "right", "outer"]


_value = ValueAndTimestamp.get_value_or_null


class KTableKTableJoinSupplier:
    """One side of a table-table join; a KTable processor supplier.

    Args:
        kind: ``inner``, ``left``, ``right`` (the right side of a left join) or ``outer``.
        table1: this side's KTable (its view is the first getter of the join's view).
        table2: the other side's KTable, whose value getter this side's processor reads.
        joiner: ``joiner(this value, other value)``.
    """

    def __init__(self, kind: JoinKind, table1: Any, table2: Any,
                 joiner: Callable[[Any, Any], Any]) -> None:
        self.kind = kind
        self._tables: tuple[Any, Any] | None = (table1, table2)
        self.getter_supplier1 = table1.value_getter_supplier()
        self.getter_supplier2 = table2.value_getter_supplier()
        self.joiner = joiner
        self.send_old_values = False
        #: this side is a versioned table (or downstream of one): out-of-order updates are
        #: dropped (KIP-914)
        self.use_versioned_semantics = False

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_tables"] = None  # only the DSL needs the tables (enable_send_old_values)
        return state

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        # table-table joins always materialize their inputs to send old values
        if self._tables is not None:
            self._tables[0].enable_send_old_values(True)
            self._tables[1].enable_send_old_values(True)
        self.send_old_values = True
        return True

    def view(self) -> JoinValueGetterSupplier:
        return JoinValueGetterSupplier(self.kind, self.getter_supplier1, self.getter_supplier2,
                                       self.joiner)

    def __call__(self) -> KTableKTableJoinProcessor:
        processor = KTableKTableJoinProcessor(self.kind, self.getter_supplier2.get(), self.joiner,
                                              self.send_old_values)
        processor.use_versioned_semantics = self.use_versioned_semantics
        return processor


class KTableKTableJoinProcessor(Processor):
    """Joins one side's change with the other side's current value (see the module doc)."""

    def __init__(self, kind: JoinKind, getter: Any, joiner: Callable[[Any, Any], Any],
                 send_old_values: bool) -> None:
        self.kind = kind
        self.getter = getter
        self.joiner = joiner
        self.send_old_values = send_old_values
        self.use_versioned_semantics = False

    def init(self, context: Any) -> None:
        self.context = context
        self.getter.init(context)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            skip_record(log, self.context, "null key")
            return
        change = record.value
        if self.use_versioned_semantics and not change.is_latest:
            skip_out_of_order_version(log, self.context)
            return
        new, old = change.new_value, change.old_value
        other_vat = self.getter.get(key)
        other = _value(other_vat)
        kind = self.kind
        joiner = self.joiner
        new_out = old_out = None
        if kind == "inner" or kind == "right":
            if other is None:
                return
            ts = max(record.timestamp, other_vat.timestamp)
            if kind == "inner":
                if new is not None:
                    new_out = joiner(new, other)
                if self.send_old_values and old is not None:
                    old_out = joiner(old, other)
            else:  # the right side of a left join: a deleted right value joins as None
                new_out = joiner(new, other)
                if self.send_old_values:
                    old_out = joiner(old, other)
        elif kind == "left":
            if other is None:
                if new is None and old is None:
                    return
                ts = max(record.timestamp, UNKNOWN)
            else:
                ts = max(record.timestamp, other_vat.timestamp)
            if new is not None:
                new_out = joiner(new, other)
            if self.send_old_values and old is not None:
                old_out = joiner(old, other)
        else:  # outer
            if other is None:
                if new is None and old is None:
                    return
                ts = record.timestamp
            else:
                ts = max(record.timestamp, other_vat.timestamp)
            if other is not None or new is not None:
                new_out = joiner(new, other)
            if self.send_old_values and (other is not None or old is not None):
                old_out = joiner(old, other)
        self.context.forward(record.with_value(Change(new_out, old_out, change.is_latest))
                             .with_timestamp(ts))

    def close(self) -> None:
        self.getter.close()


class JoinValueGetterSupplier:
    """The join result computed on demand from both sides' getters (for downstream joins)."""

    def __init__(self, kind: JoinKind, supplier1: Any, supplier2: Any,
                 joiner: Callable[[Any, Any], Any]) -> None:
        self.kind = kind
        self.supplier1 = supplier1
        self.supplier2 = supplier2
        self.joiner = joiner

    def get(self) -> JoinValueGetter:
        return JoinValueGetter(self.kind, self.supplier1.get(), self.supplier2.get(), self.joiner)

    def store_names(self) -> list[str]:
        names = list(self.supplier1.store_names())
        names.extend(n for n in self.supplier2.store_names() if n not in names)
        return names


class JoinValueGetter:
    def __init__(self, kind: JoinKind, getter1: Any, getter2: Any,
                 joiner: Callable[[Any, Any], Any]) -> None:
        self.kind = kind
        self.getter1 = getter1
        self.getter2 = getter2
        self.joiner = joiner

    def init(self, context: Any) -> None:
        self.getter1.init(context)
        self.getter2.init(context)

    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
        kind = self.kind
        if kind == "right":
            # getter1 is the right table, getter2 the left; the left value must exist
            vat2 = self.getter2.get(key)
            if _value(vat2) is None:
                return None
            vat1 = self.getter1.get(key)
            ts = vat2.timestamp if vat1 is None else max(vat1.timestamp, vat2.timestamp)
            return ValueAndTimestamp.make(self.joiner(_value(vat1), vat2.value), ts)
        vat1 = self.getter1.get(key)
        v1 = _value(vat1)
        if kind == "outer":
            vat2 = self.getter2.get(key)
            v2 = _value(vat2)
            t1 = UNKNOWN if vat1 is None else vat1.timestamp
            t2 = UNKNOWN if vat2 is None else vat2.timestamp
            new = self.joiner(v1, v2) if v1 is not None or v2 is not None else None
            return ValueAndTimestamp.make(new, max(t1, t2))
        if v1 is None:
            return None
        vat2 = self.getter2.get(key)
        v2 = _value(vat2)
        if kind == "inner":
            if v2 is None:
                return None
            return ValueAndTimestamp.make(self.joiner(v1, v2), max(vat1.timestamp, vat2.timestamp))
        ts = vat1.timestamp if vat2 is None else max(vat1.timestamp, vat2.timestamp)
        return ValueAndTimestamp.make(self.joiner(v1, v2), ts)

    def close(self) -> None:
        self.getter1.close()
        self.getter2.close()


# --------------------------------------------------------------------------- merger

class KTableKTableJoinMergerSupplier:
    """The merge of a table-table join (Kafka's KTableKTableJoinMerger); a KTable supplier.

    With ``queryable_name`` the result is stored there (and forwarded through the store's
    cache when caching is on); otherwise both sides' results pass through.
    """

    def __init__(self, parent1: KTableKTableJoinSupplier | Any, parent2: Any,
                 queryable_name: str | None) -> None:
        self.parent1 = parent1
        self.parent2 = parent2
        self.queryable_name = queryable_name
        self.send_old_values = False

    def view(self) -> Any:
        if self.queryable_name is not None:
            return MaterializedValueGetterSupplier(self.queryable_name)
        return _MergerView(self.parent1, self.parent2)

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        self.parent1.enable_send_old_values(True)
        self.parent2.enable_send_old_values(True)
        self.send_old_values = True
        return True

    def __call__(self) -> KTableKTableJoinMergeProcessor:
        return KTableKTableJoinMergeProcessor(self.queryable_name, self.send_old_values)


class _MergerView:
    def __init__(self, parent1: Any, parent2: Any) -> None:
        self.parent1 = parent1
        self.parent2 = parent2

    def get(self) -> Any:
        return self.parent1.view().get()

    def store_names(self) -> list[str]:
        names = list(self.parent1.view().store_names())
        names.extend(n for n in self.parent2.view().store_names() if n not in names)
        return names


class KTableKTableJoinMergeProcessor(Processor):
    def __init__(self, queryable_name: str | None, send_old_values: bool) -> None:
        self.queryable_name = queryable_name
        self.send_old_values = send_old_values
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: Any) -> None:
        self.context = context
        if self.queryable_name is not None:
            self.store = context.get_state_store(self.queryable_name)
            self.forwarder = TupleForwarder(self.store, context, self.send_old_values)

    def process(self, record: Record) -> None:
        change = record.value
        if self.store is not None:
            self.store.put(record.key, ValueAndTimestamp.make(change.new_value, record.timestamp))
            self.forwarder.maybe_forward(record)
        elif self.send_old_values:
            self.context.forward(record)
        else:
            self.context.forward(record.with_value(Change(change.new_value, None,
                                                          change.is_latest)))
