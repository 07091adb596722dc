"""Reading a KTable's current value for a key from its own store
(Kafka's KTableMaterializedValueGetterSupplier); the computed getters live with their family.
"""

from __future__ import annotations

from typing import Any

from raystreams.state.types import ValueAndTimestamp


class MaterializedValueGetterSupplier:
    """Reads a table's value from its own store (Kafka's KTableMaterializedValueGetterSupplier).

    ``getter`` is the getter class for the store's kind: key-value by default; windowed and
    session tables pass theirs.
    """

    def __init__(self, store_name: str, getter: type | None = None) -> None:
        self.store_name = store_name
        self.getter = getter or MaterializedValueGetter

    def get(self) -> Any:
        return self.getter(self.store_name)

    def store_names(self) -> list[str]:
        return [self.store_name]


class MaterializedValueGetter:
    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store: Any = None

    def init(self, context: Any) -> None:
        self.store = context.get_state_store(self.store_name)

    def is_versioned(self) -> bool:
        return bool(getattr(self.store, "versioned", False))

    def get(self, key: Any, as_of_timestamp: int | None = None) -> ValueAndTimestamp[Any] | None:
        """The latest value, or (a versioned table only) the one valid at ``as_of_timestamp``."""
        store = self.store
        if not getattr(store, "versioned", False):
            return store.get(key)
        found = store.get(key, as_of_timestamp)
        return None if found is None else ValueAndTimestamp.make(found.value, found.timestamp)

    def close(self) -> None:
        pass
