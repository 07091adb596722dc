"""``KTable.filter`` and ``filter_not`` (Kafka's KTableFilter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raystreams.processor.api import Record
from raystreams.processor.ktable.derived import (
    DerivedGetter,
    DerivedTableSupplier,
    MaterializingProcessor,
)
from raystreams.state.types import ValueAndTimestamp


class KTableFilterSupplier(DerivedTableSupplier):
    """``KTable.filter``/``filter_not`` (Kafka's KTableFilter).

    A value that stops passing becomes a tombstone downstream; with old values on, an update
    where neither the new nor the old value passes is not forwarded at all.
    """

    def __init__(self, parent: Any, predicate: Callable[[Any, Any], bool], filter_not: bool,
                 queryable_name: str | None, send_old_values: bool) -> None:
        self._parent = parent
        self.predicate = predicate
        self.filter_not = filter_not
        self.queryable_name = queryable_name
        #: downstream of a versioned table every update goes on, even a delete of nothing
        self.use_versioned_semantics = False
        self.send_old_values = send_old_values

    def passes(self, key: Any, value: Any) -> bool:
        return self.filter_not ^ bool(self.predicate(key, value))

    def compute(self, key: Any, value: Any) -> Any:
        if value is not None and self.passes(key, value):
            return value
        return None

    def _getter(self) -> type:
        return _FilterGetter

    def __call__(self) -> KTableFilterProcessor:
        return KTableFilterProcessor(self)


class KTableFilterProcessor(MaterializingProcessor):
    def process(self, record: Record) -> None:
        s = self.supplier
        key, change = record.key, record.value
        new = s.compute(key, change.new_value)
        old = self._old_value(key, change)
        if s.send_old_values and old is None and new is None and not s.use_versioned_semantics:
            return
        self._emit(record, new, old)



class _FilterGetter(DerivedGetter):
    def _derive(self, key: Any, vat: ValueAndTimestamp[Any]) -> ValueAndTimestamp[Any] | None:
        return vat if self.supplier.passes(key, vat.value) else None
