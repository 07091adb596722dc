"""``KTable.map_values`` (Kafka's KTableMapValues).
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


class KTableMapValuesSupplier(DerivedTableSupplier):
    """``KTable.map_values`` (Kafka's KTableMapValues); the mapper is never called with None."""

    def __init__(self, parent: Any, mapper: Callable[..., Any], with_key: bool,
                 queryable_name: str | None) -> None:
        self._parent = parent
        self.mapper = mapper
        self.with_key = with_key
        self.queryable_name = queryable_name
        self.send_old_values = False

    def apply(self, key: Any, value: Any) -> Any:
        return self.mapper(key, value) if self.with_key else self.mapper(value)

    def compute(self, key: Any, value: Any) -> Any:
        return None if value is None else self.apply(key, value)

    def _getter(self) -> type:
        return _MapValuesGetter

    def __call__(self) -> KTableMapValuesProcessor:
        return KTableMapValuesProcessor(self)


class KTableMapValuesProcessor(MaterializingProcessor):
    def process(self, record: Record) -> None:
        s = self.supplier
        key, change = record.key, record.value
        self._emit(record, s.compute(key, change.new_value), self._old_value(key, change))



class _MapValuesGetter(DerivedGetter):
    def _derive(self, key: Any, vat: ValueAndTimestamp[Any]) -> ValueAndTimestamp[Any] | None:
        return ValueAndTimestamp.make(self.supplier.apply(key, vat.value), vat.timestamp)
