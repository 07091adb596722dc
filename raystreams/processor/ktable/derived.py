"""What the KTables computed from a parent share (filter, map_values, transform_values):
the supplier's materialize-or-compute rule, the optional own store, the getter through the parent.
"""

from __future__ import annotations

from typing import Any

from raystreams.processor.api import Processor, Record
from raystreams.processor.change import Change
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.processor.ktable.getters import MaterializedValueGetterSupplier
from raystreams.processor.ktable.store_wrapper import (
    PUT_RETURN_CODE_IS_LATEST,
    PUT_RETURN_CODE_NOT_PUT,
    KeyValueStoreWrapper,
)
from raystreams.state.types import ValueAndTimestamp


class NoPickleParent:
    """Suppliers keep their parent KTable for ``enable_send_old_values``; not for pickling."""

    _parent: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_parent"] = None
        return state



class ComputedGetterSupplier:
    """A getter computed from the parent's getter (filter, map_values, transform_values)."""

    def __init__(self, parent: Any, getter_cls: Any, supplier: Any) -> None:
        self.parent = parent
        self.getter_cls = getter_cls
        self.supplier = supplier

    def get(self) -> Any:
        return self.getter_cls(self.parent.get(), self.supplier)

    def store_names(self) -> list[str]:
        return self.parent.store_names()


def is_versioned_getter(getter: Any) -> bool:
    check = getattr(getter, "is_versioned", None)
    return bool(check()) if check is not None else False


def parent_get(parent: Any, key: Any, as_of_timestamp: int | None) -> Any:
    if as_of_timestamp is None:
        return parent.get(key)
    return parent.get(key, as_of_timestamp)


class DerivedGetter:
    """A getter computed through the parent table's getter (filter, map_values): versioned
    when the parent is, reading it as of a time when asked."""

    def __init__(self, parent: Any, supplier: Any) -> None:
        self.parent = parent
        self.supplier = supplier

    def init(self, context: Any) -> None:
        self.parent.init(context)

    def is_versioned(self) -> bool:
        return is_versioned_getter(self.parent)

    def get(self, key: Any, as_of_timestamp: int | None = None) -> Any:
        vat = parent_get(self.parent, key, as_of_timestamp)
        return None if vat is None else self._derive(key, vat)

    def _derive(self, key: Any, vat: ValueAndTimestamp[Any]) -> ValueAndTimestamp[Any] | None:
        raise NotImplementedError

    def close(self) -> None:
        self.parent.close()



class MaterializingProcessor(Processor):
    """Shared by filter/map_values/transform_values: optional own store and forwarder."""

    def __init__(self, supplier: Any) -> None:
        self.supplier = supplier
        self.store: Any = None
        self.forwarder: TupleForwarder | None = None

    def init(self, context: Any) -> None:
        self.context = context
        name = self.supplier.queryable_name
        if name is not None:
            raw = context.get_state_store(name)
            self.store = KeyValueStoreWrapper(raw)
            self.forwarder = TupleForwarder(raw, context, self.supplier.send_old_values)

    def _old_value(self, key: Any, change: Change) -> Any:
        """The old value to send with an update: this table's stored one when materialized,
        else the parent's old value computed through this table; None without old values."""
        if not self.supplier.send_old_values:
            return None
        if self.store is not None:
            return ValueAndTimestamp.get_value_or_null(self.store.get(key))
        return self.supplier.compute(key, change.old_value)

    def _emit(self, record: Record, new: Any, old: Any) -> None:
        if self.store is not None:
            code = self.store.put(record.key, new, record.timestamp)
            if code != PUT_RETURN_CODE_NOT_PUT:
                self.forwarder.maybe_forward(record.with_value(
                    Change(new, old, code == PUT_RETURN_CODE_IS_LATEST)))
        else:
            self.context.forward(record.with_value(Change(new, old, record.value.is_latest)))


class DerivedTableSupplier(NoPickleParent):
    """A KTable computed from its parent (filter, map_values, transform_values).

    Materialized (``queryable_name``), it reads its own store and always sends old values;
    otherwise its value getter computes through the parent's, and it sends old values only
    when the parent can.
    """

    queryable_name: str | None
    send_old_values: bool

    def _getter(self) -> type:
        raise NotImplementedError

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        if self.queryable_name is not None:
            self.send_old_values = True
            return True
        if self._parent is not None and self._parent.enable_send_old_values(force_materialization):
            self.send_old_values = True
        return self.send_old_values

    def view(self) -> Any:
        if self.queryable_name is not None:
            return MaterializedValueGetterSupplier(self.queryable_name)
        return ComputedGetterSupplier(self._parent.value_getter_supplier(), self._getter(),
                                       self)
