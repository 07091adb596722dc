"""Store builders: stack metered → caching → change-logging → backend (Kafka's ``*StoreBuilder``).

``build()`` makes a new, unopened stack each call (one per task). Logging is on and caching
off unless changed, as in Kafka. Serdes may be left ``None``: ``with_serdes_if_unset`` (or the
config defaults at ``init``) fills them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Generic, Literal, TypeVar

from raystreams.errors import IllegalArgumentException
from raystreams.state.cache.caching_kv import CachingKeyValueStore
from raystreams.state.cache.caching_segmented import CachingSegmentedStore
from raystreams.state.changelog.logging_layer import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingSegmentedBytesStore,
)
from raystreams.state.metered.kv import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from raystreams.state.metered.session import MeteredSessionStore
from raystreams.state.metered.window import MeteredTimestampedWindowStore, MeteredWindowStore
from raystreams.state.suppliers import (
    KeyValueBytesStoreSupplier,
    SessionBytesStoreSupplier,
    WindowBytesStoreSupplier,
)

__all__ = [
    "KeyValueStoreBuilder",
    "SessionStoreBuilder",
    "StoreBuilder",
    "TimestampedKeyValueStoreBuilder",
    "TimestampedWindowStoreBuilder",
    "WindowStoreBuilder",
]

log = logging.getLogger(__name__)

S = TypeVar("S")

StoreKind = Literal["key_value", "window", "session"]


class StoreBuilder(Generic[S]):
    """What all builders share (Kafka's ``StoreBuilder`` / ``AbstractStoreBuilder``)."""

    kind: StoreKind = "key_value"
    timestamped = False

    def __init__(self, supplier: Any, key_serde: Any, value_serde: Any) -> None:
        if supplier is None:
            raise IllegalArgumentException("supplier cannot be None")
        self.supplier = supplier
        self._key_serde = key_serde
        self._value_serde = value_serde
        self._caching = False
        self._logging = True
        self._log_config: dict[str, str] = {}

    @property
    def name(self) -> str:
        return self.supplier.name

    @property
    def logging_enabled(self) -> bool:
        return self._logging

    @property
    def log_config(self) -> dict[str, str]:
        """Topic configs for the changelog topic (a copy)."""
        return dict(self._log_config)

    @property
    def caching_enabled(self) -> bool:
        return self._caching

    @property
    def key_serde(self) -> Any:
        return self._key_serde

    @property
    def value_serde(self) -> Any:
        return self._value_serde

    def persistent(self) -> bool:
        return self.supplier.persistent()

    def with_caching_enabled(self) -> StoreBuilder[S]:
        self._caching = True
        return self

    def with_caching_disabled(self) -> StoreBuilder[S]:
        self._caching = False
        return self

    def with_logging_enabled(self, config: Mapping[str, str] | None = None) -> StoreBuilder[S]:
        """Log changes; ``config`` holds topic configs of the changelog topic (replacing earlier ones)."""
        self._logging = True
        self._log_config = {str(k): str(v) for k, v in (config or {}).items()}
        return self

    def with_logging_disabled(self) -> StoreBuilder[S]:
        self._logging = False
        self._log_config = {}
        return self

    def with_serdes_if_unset(self, key_serde: Any, value_serde: Any) -> StoreBuilder[S]:
        """Fill the serdes left ``None`` (the engine passes the config's default serdes)."""
        if self._key_serde is None:
            self._key_serde = key_serde
        if self._value_serde is None:
            self._value_serde = value_serde
        return self

    def _layer_flags(self) -> dict[str, Any]:
        return {"logging_enabled": self._logging, "log_config": self._log_config,
                "caching_enabled": self._caching}

    def build(self) -> S:
        raise NotImplementedError

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.name!r}, caching={self._caching}, logging={self._logging}, "
                f"supplier={self.supplier!r})")


class KeyValueStoreBuilder(StoreBuilder[MeteredKeyValueStore]):
    """Builds ``KeyValueStore`` stacks (Kafka's ``KeyValueStoreBuilder``)."""

    def __init__(self, supplier: KeyValueBytesStoreSupplier, key_serde: Any, value_serde: Any) -> None:
        super().__init__(supplier, key_serde, value_serde)

    def _stack(self) -> Any:
        store = self.supplier.get()
        store.timestamped = self.timestamped
        if self._logging:
            store = ChangeLoggingKeyValueBytesStore(store, timestamped=self.timestamped)
        if self._caching:
            store = CachingKeyValueStore(store)
        return store

    def build(self) -> MeteredKeyValueStore:
        return MeteredKeyValueStore(self._stack(), self._key_serde, self._value_serde, **self._layer_flags())


class TimestampedKeyValueStoreBuilder(KeyValueStoreBuilder):
    """Builds ``TimestampedKeyValueStore`` stacks (Kafka's ``TimestampedKeyValueStoreBuilder``).

    Any key-value supplier works; its store keeps ``[timestamp][value]`` bytes.
    """

    timestamped = True

    def build(self) -> MeteredTimestampedKeyValueStore:
        return MeteredTimestampedKeyValueStore(self._stack(), self._key_serde, self._value_serde,
                                               **self._layer_flags())


class WindowStoreBuilder(StoreBuilder[MeteredWindowStore]):
    """Builds ``WindowStore`` stacks (Kafka's ``WindowStoreBuilder``).

    A store that retains duplicates is never cached (Kafka disables it with a warning) and its
    changelog uses ``cleanup.policy=delete``.
    """

    kind: StoreKind = "window"

    def __init__(self, supplier: WindowBytesStoreSupplier, key_serde: Any, value_serde: Any) -> None:
        super().__init__(supplier, key_serde, value_serde)
        if supplier.retain_duplicates:
            self._log_config["cleanup.policy"] = "delete"

    @property
    def retention_period(self) -> int:
        return self.supplier.retention_period

    def with_logging_enabled(self, config: Mapping[str, str] | None = None) -> WindowStoreBuilder:
        super().with_logging_enabled(config)
        if self.supplier.retain_duplicates:
            self._log_config.setdefault("cleanup.policy", "delete")
        return self

    def _stack(self) -> Any:
        supplier = self.supplier
        if supplier.retain_duplicates and self._caching:
            log.warning("Disabling caching for %s since store was configured to retain duplicates", self.name)
            self._caching = False
        store = supplier.get()
        store.timestamped = self.timestamped
        if self._logging:
            store = ChangeLoggingSegmentedBytesStore(store, timestamped=self.timestamped)
        if self._caching:
            store = CachingSegmentedStore(store)
        return store

    def build(self) -> MeteredWindowStore:
        stack = self._stack()
        cls = MeteredTimestampedWindowStore if self.timestamped else MeteredWindowStore
        return cls(stack, self.supplier.window_size, self.supplier.retain_duplicates, self._key_serde,
                   self._value_serde, **self._layer_flags())


class TimestampedWindowStoreBuilder(WindowStoreBuilder):
    """Builds ``TimestampedWindowStore`` stacks (Kafka's ``TimestampedWindowStoreBuilder``)."""

    timestamped = True


class SessionStoreBuilder(StoreBuilder[MeteredSessionStore]):
    """Builds ``SessionStore`` stacks (Kafka's ``SessionStoreBuilder``)."""

    kind: StoreKind = "session"

    def __init__(self, supplier: SessionBytesStoreSupplier, key_serde: Any, value_serde: Any) -> None:
        super().__init__(supplier, key_serde, value_serde)

    @property
    def retention_period(self) -> int:
        return self.supplier.retention_period

    def build(self) -> MeteredSessionStore:
        store = self.supplier.get()
        if self._logging:
            store = ChangeLoggingSegmentedBytesStore(store)
        if self._caching:
            store = CachingSegmentedStore(store)
        return MeteredSessionStore(store, self._key_serde, self._value_serde, **self._layer_flags())
