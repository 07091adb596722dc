"""Materialized → store builder (Kafka's MaterializedInternal and KeyValueStoreMaterializer).

``MaterializedInternal`` settles the store name the way Kafka Streams does: a user's name
makes the store queryable; otherwise a name is generated from the builder's counter (which
burns an index) when a name provider is given. ``kv_store_builder`` turns it into the builder
of a timestamped key-value store (DSL stores are timestamped), with caching and logging as
asked.

The builder comes from ``raystreams.state.Stores`` (``timestamped_key_value_store_builder``
over a persistent or in-memory supplier, or the user's supplier). With ``PREFER_STATE_PACKAGE``
False, a small in-memory timestamped store defined here stands in (handy to test the DSL
apart from the state package): the same typed interface, a per-store record cache flushed on
commit with a flush listener (Kafka's caching semantics as the DSL sees them), a changelog in
Kafka's layout and a restore callback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from raystreams.dsl.params import Materialized
from raystreams.errors import IllegalArgumentException
from raystreams.state.types import KeyValue, KeyValueIterator, ValueAndTimestamp

if TYPE_CHECKING:
    from raystreams.dsl.builder import StreamsBuilder

log = logging.getLogger(__name__)

PREFER_STATE_PACKAGE = True
"""Build DSL stores with ``raystreams.state.Stores``; False uses the local stand-in store."""


class MaterializedInternal:
    """A resolved copy of a ``Materialized`` (Kafka's MaterializedInternal).

    Args:
        materialized: what the user gave (None: defaults).
        builder: name provider; with it, a missing store name is generated.
        prefix: prefix of a generated store name (``KSTREAM-AGGREGATE-``, ``<topic>-``).
        force_queryable: queryable even without a user name (global tables).
    """

    def __init__(self, materialized: Materialized | None, builder: StreamsBuilder | None = None,
                 prefix: str | None = None, force_queryable: bool = False) -> None:
        m = materialized if materialized is not None else Materialized()
        self.store_supplier = m.store_supplier
        name = m.store_name
        if self.store_supplier is not None:
            name = getattr(self.store_supplier, "name", name)
        self.queryable = force_queryable or name is not None
        if name is None and builder is not None:
            name = builder.new_store_name(prefix or "")
        self.store_name: str | None = name
        self.key_serde = m.key_serde
        self.value_serde = m.value_serde
        self.caching_enabled = m.caching_enabled
        self.logging_enabled = m.logging_enabled
        self.topic_config = dict(m.topic_config)
        self.retention = m.retention
        self.store_type = m.store_type

    @property
    def queryable_store_name(self) -> str | None:
        return self.store_name if self.queryable else None

    def with_key_serde(self, serde: Any) -> MaterializedInternal:
        self.key_serde = serde
        return self

    def with_value_serde(self, serde: Any) -> MaterializedInternal:
        self.value_serde = serde
        return self

    def with_logging_disabled(self) -> MaterializedInternal:
        self.logging_enabled = False
        self.topic_config = {}
        return self


def kv_store_builder(mi: MaterializedInternal, allow_versioned: bool = False) -> Any:
    """The builder of the timestamped key-value store ``mi`` describes (KeyValueStoreMaterializer).

    A versioned supplier makes a versioned store where ``allow_versioned`` (table sources,
    filter, map_values, transform_values); elsewhere it is refused, naming the store.
    """
    if getattr(mi.store_supplier, "history_retention_ms", None) is not None and not allow_versioned:
        from raystreams.errors import TopologyException

        raise TopologyException(
            f"store {mi.store_name} is versioned: raystreams materializes versioned stores for "
            f"table sources, filter, map_values and transform_values only, not for "
            f"aggregations or table-table joins")
    use_state = PREFER_STATE_PACKAGE or mi.store_supplier is not None  # a user's supplier wins
    builder = _state_package_builder(mi) if use_state else None
    if builder is None:
        builder = LocalTimestampedKVBuilder(mi.store_name, mi.key_serde, mi.value_serde)
    if mi.logging_enabled:
        builder.with_logging_enabled(dict(mi.topic_config))
    else:
        builder.with_logging_disabled()
    if getattr(builder, "versioned", False):
        if mi.caching_enabled:
            log.info("Not enabling caching for store '%s' as versioned stores do not support "
                     "caching.", mi.store_name)
    elif mi.caching_enabled:
        builder.with_caching_enabled()
    else:
        builder.with_caching_disabled()
    return builder


def _state_package_builder(mi: MaterializedInternal) -> Any:
    try:
        from raystreams.state import Stores  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        supplier = mi.store_supplier
        if getattr(supplier, "history_retention_ms", None) is not None:
            return Stores.versioned_key_value_store_builder(supplier, mi.key_serde, mi.value_serde)
        if supplier is None:
            if mi.store_type == "in_memory":
                supplier = Stores.in_memory_key_value_store(mi.store_name)
            else:
                supplier = Stores.persistent_timestamped_key_value_store(mi.store_name)
        return Stores.timestamped_key_value_store_builder(supplier, mi.key_serde, mi.value_serde)
    except AttributeError:
        return None


def changelog_topic_configs(builder: Any) -> dict[str, str]:
    """Kafka's changelog topic config for a key-value store: compacted, plus the user's."""
    configs = {"cleanup.policy": "compact"}
    configs.update(getattr(builder, "log_config", None) or getattr(builder, "topic_config", None) or {})
    return configs


# ------------------------------------------------------------------------------------------
# the stand-in store


class LocalTimestampedKVBuilder:
    """Builder of ``LocalTimestampedKVStore`` (the shape of Kafka's StoreBuilder)."""

    def __init__(self, name: str | None, key_serde: Any, value_serde: Any) -> None:
        if not name:
            raise IllegalArgumentException("a store needs a name")
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.caching_enabled = False
        self.logging_enabled = True
        self.log_config: dict[str, str] = {}

    def with_caching_enabled(self) -> LocalTimestampedKVBuilder:
        self.caching_enabled = True
        return self

    def with_caching_disabled(self) -> LocalTimestampedKVBuilder:
        self.caching_enabled = False
        return self

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> LocalTimestampedKVBuilder:
        self.logging_enabled = True
        self.log_config = dict(config or {})
        return self

    def with_logging_disabled(self) -> LocalTimestampedKVBuilder:
        self.logging_enabled = False
        self.log_config = {}
        return self

    def with_serdes_if_unset(self, key_serde: Any, value_serde: Any) -> None:
        if self.key_serde is None:
            self.key_serde = key_serde
        if self.value_serde is None:
            self.value_serde = value_serde

    def build(self) -> LocalTimestampedKVStore:
        from raystreams.serde import Serdes

        return LocalTimestampedKVStore(self.name, self.key_serde or Serdes.String(),
                                       self.value_serde or Serdes.String(),
                                       self.caching_enabled, self.logging_enabled)


class LocalTimestampedKVStore:
    """An in-memory ``TimestampedKeyValueStore`` with an optional record cache and changelog.

    Values are ``ValueAndTimestamp``. With caching, writes stay in a per-store cache until
    ``flush()``, which writes them down in the order of their last write and calls the flush
    listener with ``(key, new, old or None, record context)`` — skipping keys that are absent
    both before and after, as Kafka's caching store does.
    """

    store_kind = "key_value"
    timestamped = True

    def __init__(self, name: str, key_serde: Any, value_serde: Any, caching: bool,
                 logging: bool) -> None:
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._caching = caching
        self._logging = logging
        self._data: dict[bytes, tuple[Any, ValueAndTimestamp[Any]]] = {}
        self._cache: dict[bytes, tuple[Any, ValueAndTimestamp[Any] | None, Any]] = {}
        self._listener: Callable[..., None] | None = None
        self._send_old = False
        self._context: Any = None
        self._open = False
        self._topic = ""

    # ---------------------------------------------------------------- lifecycle
    def init(self, context: Any, root: Any = None) -> None:
        self._context = context
        self._open = True
        self._topic = f"{context.application_id}-{self.name}-changelog"
        register = getattr(context, "register", None)
        if register is not None:
            register(root if root is not None else self, self._restore)

    def _restore(self, records: Any) -> None:
        # Kafka's changelog of a timestamped store: the plain value, the timestamp on the record
        for rec in records:
            key_bytes, value_bytes, timestamp = rec[0], rec[1], rec[2]
            if value_bytes is None:
                self._data.pop(key_bytes, None)
                continue
            key = self.key_serde.deserialize(self._topic, key_bytes)
            value = self.value_serde.deserialize(self._topic, value_bytes)
            self._data[key_bytes] = (key, ValueAndTimestamp(value, timestamp))

    def set_flush_listener(self, listener: Callable[..., None] | None, send_old_values: bool = False) -> bool:
        self._listener = listener
        self._send_old = send_old_values
        return self._caching

    def persistent(self) -> bool:
        return False

    def is_open(self) -> bool:
        return self._open

    def flush(self) -> None:
        if not self._cache:
            return
        entries = self._cache
        self._cache = {}
        ctx = self._context
        previous = ctx.record_context if ctx is not None else None
        try:
            for kb, (key, new, rc) in entries.items():
                old_entry = self._data.get(kb)
                old = old_entry[1] if old_entry is not None else None
                if new is None and old is None:
                    continue
                self._write(kb, key, new, rc)
                if self._listener is not None:
                    if ctx is not None:
                        ctx.record_context = rc
                    self._listener(key, new, old if self._send_old else None, rc)
        finally:
            if ctx is not None:
                ctx.record_context = previous

    def close(self) -> None:
        if self._open:
            self.flush()
        self._open = False

    # ---------------------------------------------------------------- writes
    def _key_bytes(self, key: Any) -> bytes:
        if key is None:
            raise IllegalArgumentException(f"store {self.name}: key cannot be None")
        kb = self.key_serde.serialize(self._topic, key)
        return kb if kb is not None else b""

    def _write(self, kb: bytes, key: Any, vat: ValueAndTimestamp[Any] | None, rc: Any) -> None:
        if vat is None:
            self._data.pop(kb, None)
        else:
            self._data[kb] = (key, vat)
        if self._logging and self._context is not None:
            if vat is None:
                raw, ts = None, rc.timestamp if rc is not None else 0
            else:
                raw = self.value_serde.serialize(self._topic, vat.value)
                ts = vat.timestamp
            self._context.log_change(self.name, self._topic, kb, raw, ts, None)

    def put(self, key: Any, value: ValueAndTimestamp[Any] | None) -> None:
        kb = self._key_bytes(key)
        rc = self._context.record_context if self._context is not None else None
        if self._caching:
            self._cache.pop(kb, None)
            self._cache[kb] = (key, value, rc)
        else:
            self._write(kb, key, value, rc)

    def put_if_absent(self, key: Any, value: ValueAndTimestamp[Any] | None) -> Any:
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def put_all(self, entries: Any) -> None:
        for key, value in entries:
            self.put(key, value)

    def delete(self, key: Any) -> Any:
        old = self.get(key)
        self.put(key, None)
        return old

    # ---------------------------------------------------------------- reads
    def get(self, key: Any) -> ValueAndTimestamp[Any] | None:
        kb = self._key_bytes(key)
        cached = self._cache.get(kb)
        if cached is not None:
            return cached[1]
        entry = self._data.get(kb)
        return entry[1] if entry is not None else None

    def _merged(self) -> list[tuple[bytes, Any, Any]]:
        merged = {kb: (k, v) for kb, (k, v) in self._data.items()}
        for kb, (k, v, _rc) in self._cache.items():
            if v is None:
                merged.pop(kb, None)
            else:
                merged[kb] = (k, v)
        return sorted((kb, k, v) for kb, (k, v) in merged.items())

    def _iter(self, rows: list[tuple[bytes, Any, Any]]) -> KeyValueIterator[Any, Any]:
        return KeyValueIterator(iter([KeyValue(k, v) for _, k, v in rows]))

    def all(self) -> KeyValueIterator[Any, Any]:
        return self._iter(self._merged())

    def reverse_all(self) -> KeyValueIterator[Any, Any]:
        return self._iter(list(reversed(self._merged())))

    def range(self, key_from: Any, key_to: Any) -> KeyValueIterator[Any, Any]:
        lo = None if key_from is None else self._key_bytes(key_from)
        hi = None if key_to is None else self._key_bytes(key_to)
        rows = [r for r in self._merged() if (lo is None or r[0] >= lo) and (hi is None or r[0] <= hi)]
        return self._iter(rows)

    def reverse_range(self, key_from: Any, key_to: Any) -> KeyValueIterator[Any, Any]:
        return self._iter(list(reversed(list(self.range(key_from, key_to)))))

    def prefix_scan(self, prefix: Any, prefix_key_serde: Any) -> KeyValueIterator[Any, Any]:
        pb = prefix_key_serde.serialize(self._topic, prefix) or b""
        return self._iter([r for r in self._merged() if r[0].startswith(pb)])

    def approximate_num_entries(self) -> int:
        return len(self._merged())

    def plain_view(self) -> _PlainView:
        return _PlainView(self)

    def __repr__(self) -> str:
        return f"LocalTimestampedKVStore({self.name!r})"


class _PlainView:
    """The store seen as a plain key-value store (values without timestamps)."""

    store_kind = "key_value"
    timestamped = False

    def __init__(self, store: LocalTimestampedKVStore) -> None:
        self._store = store
        self.name = store.name

    def get(self, key: Any) -> Any:
        return ValueAndTimestamp.get_value_or_null(self._store.get(key))

    def _plain(self, it: Iterator[Any]) -> KeyValueIterator[Any, Any]:
        return KeyValueIterator(iter([KeyValue(kv.key, kv.value.value) for kv in it]))

    def all(self) -> KeyValueIterator[Any, Any]:
        return self._plain(self._store.all())

    def reverse_all(self) -> KeyValueIterator[Any, Any]:
        return self._plain(self._store.reverse_all())

    def range(self, key_from: Any, key_to: Any) -> KeyValueIterator[Any, Any]:
        return self._plain(self._store.range(key_from, key_to))

    def approximate_num_entries(self) -> int:
        return self._store.approximate_num_entries()

    def put(self, key: Any, value: Any) -> None:
        ts = self._store._context.record_context.timestamp if (
            self._store._context is not None and self._store._context.record_context is not None) else 0
        self._store.put(key, ValueAndTimestamp.make(value, ts))

    def delete(self, key: Any) -> Any:
        return ValueAndTimestamp.get_value_or_null(self._store.delete(key))
