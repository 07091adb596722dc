"""What the metered (outermost, typed) layers share: serdes, lifecycle, counters, flush listener.

The metered layer is Kafka's ``MeteredKeyValueStore`` & co.: the only layer that sees Python
objects. It serializes keys and values with the store's serdes (for the topic
``<application.id>-<store>-changelog``, as Kafka's ``StateSerdes`` do), counts operations, and
adapts typed flush listeners to the caching layer's bytes. Serdes left ``None`` at build time
are filled from the config's defaults at ``init``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from raystreams.errors import IllegalArgumentException, ProcessorStateException
from raystreams.state.context import default_serdes
from raystreams.state.names import changelog_topic
from raystreams.state.serdes import ValueAndTimestampSerde

if TYPE_CHECKING:
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = ["MeteredStore", "close_quietly", "null_key"]


def null_key(what: str = "key") -> IllegalArgumentException:
    return IllegalArgumentException(f"{what} cannot be None")


def close_quietly(it: Iterator[Any]) -> None:
    close = getattr(it, "close", None)
    if close is not None:
        close()


class MeteredStore:
    """Base of the metered layers.

    Args:
        inner: The layer below (caching, change-logging or a backend), bytes only.
        key_serde: Serde of keys; ``None``: the config's default at ``init``.
        value_serde: Serde of values; ``None``: the config's default at ``init``.
        logging_enabled: Whether a change-logging layer is part of the stack.
        log_config: Topic configs for the changelog topic (for whoever creates it).
        caching_enabled: Whether a caching layer is part of the stack.
        timestamped: Values are ``ValueAndTimestamp`` of ``value_serde`` values.
    """

    def __init__(self, inner: Any, key_serde: Any, value_serde: Any, *, logging_enabled: bool = False,
                 log_config: dict[str, str] | None = None, caching_enabled: bool = False,
                 timestamped: bool = False) -> None:
        self.inner = inner
        self._key_serde = key_serde
        self._value_serde = value_serde
        self.logging_enabled = logging_enabled
        self.log_config = dict(log_config or {})
        self.caching_enabled = caching_enabled
        self.timestamped = timestamped
        self._name = inner.name
        self._context: StateStoreContext | None = None
        self._down: Any = inner
        self._topic = ""
        self._ks: Callable[[str, Any], Any] = _uninitialised
        self._kd: Callable[[str, Any], Any] = _uninitialised
        self._vs: Callable[[str, Any], Any] = _uninitialised
        self._vd: Callable[[str, Any], Any] = _uninitialised
        self.puts = self.gets = self.deletes = self.range_queries = self.flushes = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def key_serde(self) -> Any:
        return self._key_serde

    @property
    def value_serde(self) -> Any:
        """The serde of stored values (``ValueAndTimestampSerde`` for timestamped stores, after init)."""
        return self._value_serde

    @property
    def changelog_topic(self) -> str | None:
        """The changelog topic, once initialised, if the store is logged."""
        return self._topic if self.logging_enabled and self._topic else None

    def serialize_key(self, key: Any) -> bytes:
        """``key`` as the store holds it (its key serde, for its changelog topic); after init."""
        return self._ks(self._topic, key)

    def serialize_value(self, value: Any) -> bytes | None:
        """``value`` as the changelog carries it; a plain value of a timestamped store through
        the inner value serde (what a value-only query returned)."""
        if value is None:
            return None
        serde = self._value_serde
        if isinstance(serde, ValueAndTimestampSerde) and type(value).__name__ != "ValueAndTimestamp":
            return serde.inner.serialize(self._topic, value)
        return self._vs(self._topic, value)

    def with_serdes_if_unset(self, key_serde: Any, value_serde: Any) -> None:
        """Fill serdes left ``None`` (the engine's defaults); only before ``init``."""
        if self._key_serde is None:
            self._key_serde = key_serde
        if self._value_serde is None:
            self._value_serde = value_serde

    def init(self, context: StateStoreContext, root: StateStore | None = None) -> None:
        if self._context is not None and self.is_open():
            raise ProcessorStateException(f"Store {self._name} is already initialised")
        if self._key_serde is None or self._value_serde is None:
            key_default, value_default = default_serdes(context.config)
            self.with_serdes_if_unset(key_default, value_default)
        if self.timestamped and not isinstance(self._value_serde, ValueAndTimestampSerde):
            self._value_serde = ValueAndTimestampSerde(self._value_serde)
        self._context = context
        self._topic = changelog_topic(context.application_id, self._name)
        self._ks, self._kd = self._key_serde.serialize, self._key_serde.deserialize
        self._vs, self._vd = self._value_serde.serialize, self._value_serde.deserialize
        self.inner.init(context, self if root is None else root)
        active = getattr(self.inner, "active_layer", None)
        self._down = self.inner if active is None else active()

    def persistent(self) -> bool:
        return self.inner.persistent()

    def is_open(self) -> bool:
        return self.inner.is_open()

    def flush(self) -> None:
        """Flush the cache (forwarding its dirty entries), then persist what is below."""
        self.flushes += 1
        self.inner.flush()

    def persist(self) -> None:
        """Make the backend durable (RocksDB memtables to disk); before a checkpoint is written."""
        persist = getattr(self.inner, "persist", None)
        if persist is not None:
            persist()

    def flush_cache(self) -> None:
        """Flush only the record cache, if there is one (Kafka's ``flushCache``)."""
        layer = self._caching_layer()
        if layer is not None:
            layer.flush_cache()

    def close(self) -> None:
        self.inner.close()

    def _caching_layer(self) -> Any:
        inner = self.inner
        return inner if hasattr(inner, "set_flush_listener") else None

    def set_flush_listener(self, listener: Any, send_old_values: bool = False) -> bool:
        """Install a typed flush listener on the caching layer (Kafka's ``setFlushListener``).

        Returns True if the listener will be called, i.e. the store caches (caching enabled at
        build time and a task cache of more than 0 bytes). When False, the processor must
        forward its results itself. Call after ``init``.

        Args:
            listener: A ``CacheFlushListener``: ``(key, new_value, old_value, record_context)``.
            send_old_values: Also read and pass the value the store held before.
        """
        layer = self._caching_layer()
        if layer is None:
            return False
        return layer.set_flush_listener(None if listener is None else self._typed_listener(listener),
                                        send_old_values)

    def _typed_listener(self, listener: Any) -> Callable[[bytes, Any, Any, Any], None]:
        decode_key = self._decode_key
        vd = self._vd
        topic = self._topic

        def on_flush(key: bytes, new: bytes | None, old: bytes | None, rc: Any) -> None:
            listener(decode_key(key),
                     None if new is None else vd(topic, new),
                     None if old is None else vd(topic, old),
                     rc)
        return on_flush

    def _decode_key(self, key: bytes) -> Any:
        return self._kd(self._topic, key)

    def metrics(self) -> dict[str, int]:
        """Operation counts since creation (Kafka's metered sensors, as plain counters)."""
        return {"put": self.puts, "get": self.gets, "delete": self.deletes,
                "range": self.range_queries, "flush": self.flushes}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name!r}, {self.inner!r})"


def _uninitialised(topic: str, data: Any) -> Any:
    raise ProcessorStateException("store used before init()")
