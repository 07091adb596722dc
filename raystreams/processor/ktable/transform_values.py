"""``KTable.transform_values`` (Kafka's KTableTransformValues).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Headers, Record, RecordContext
from raystreams.processor.ktable.derived import (
    DerivedTableSupplier,
    MaterializingProcessor,
    is_versioned_getter,
    parent_get,
)
from raystreams.state.types import ValueAndTimestamp

UNKNOWN_TIMESTAMP = -1


def _new_transformer(supplier: Callable[[], Any]) -> Any:
    transformer = supplier()
    if callable(transformer) and not hasattr(transformer, "transform"):
        return _FunctionTransformer(transformer)
    if not callable(getattr(transformer, "transform", None)):
        raise StreamsException(f"transform_values() supplier returned {transformer!r}: expected "
                               f"an object with transform(key, value) (a ValueTransformerWithKey)")
    return transformer


class _FunctionTransformer:
    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self.fn = fn

    def init(self, context: Any) -> None:
        pass

    def transform(self, key: Any, value: Any) -> Any:
        return self.fn(key, value)

    def close(self) -> None:
        pass


class ForwardingDisabledContext:
    """The context a value transformer sees: everything but ``forward`` (Kafka's same-named)."""

    def __init__(self, context: Any) -> None:
        self._context = context

    def forward(self, *args: Any, **kwargs: Any) -> None:
        raise StreamsException("ValueTransformer.transform() must return the new value; "
                               "forward() is not allowed in transform_values()")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class KTableTransformValuesSupplier(DerivedTableSupplier):
    """``KTable.transform_values`` (Kafka's KTableTransformValues).

    ``transformer_supplier()`` returns an object with ``init(context)``, ``transform(key,
    value)`` and ``close()`` (or a plain ``(key, value)`` function). It is called with a
    None value too (tombstones), as Kafka does.
    """

    def __init__(self, parent: Any, transformer_supplier: Callable[[], Any],
                 queryable_name: str | None) -> None:
        self._parent = parent
        self.transformer_supplier = transformer_supplier
        self.queryable_name = queryable_name
        self.send_old_values = False

    def _getter(self) -> type:
        return _TransformValuesGetter

    def __call__(self) -> KTableTransformValuesProcessor:
        return KTableTransformValuesProcessor(self)


class KTableTransformValuesProcessor(MaterializingProcessor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.transformer = _new_transformer(self.supplier.transformer_supplier)
        self.transformer.init(ForwardingDisabledContext(context))

    def process(self, record: Record) -> None:
        key, change = record.key, record.value
        new = self.transformer.transform(key, change.new_value)
        if self.store is not None:
            old = ValueAndTimestamp.get_value_or_null(self.store.get(key)) if self.supplier.send_old_values else None
        else:
            old = self.transformer.transform(key, change.old_value) if self.supplier.send_old_values else None
        self._emit(record, new, old)

    def close(self) -> None:
        self.transformer.close()


class _TransformValuesGetter:
    def __init__(self, parent: Any, supplier: KTableTransformValuesSupplier) -> None:
        self.parent = parent
        self.transformer = _new_transformer(supplier.transformer_supplier)
        self.context: Any = None

    def init(self, context: Any) -> None:
        self.context = context
        self.parent.init(context)
        self.transformer.init(ForwardingDisabledContext(context))

    def is_versioned(self) -> bool:
        return is_versioned_getter(self.parent)

    def get(self, key: Any, as_of_timestamp: int | None = None) -> Any:
        vat = parent_get(self.parent, key, as_of_timestamp)
        ctx = self.context
        current = ctx.record_context
        ts = UNKNOWN_TIMESTAMP if vat is None else vat.timestamp
        ctx.record_context = RecordContext(ts, -1, -1, None, Headers())
        try:
            value = self.transformer.transform(key, ValueAndTimestamp.get_value_or_null(vat))
        finally:
            ctx.record_context = current
        return ValueAndTimestamp.make(value, ts)

    def close(self) -> None:
        self.parent.close()
        self.transformer.close()
