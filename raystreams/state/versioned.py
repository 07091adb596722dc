"""Versioned key-value stores (Kafka's ``VersionedKeyValueStore``, KIP-889).

A versioned store keeps, per key, every value it had with the timestamp it became valid, for
``history_retention`` ms of stream time, and answers "the value as of time t". Puts arrive out
of order and land at their place in the history; a put older than the retention (relative to
the largest timestamp put so far, the store's observed stream time) is refused. ``None`` is a
delete: a version without a value.

The layout is this store's own: one entry per key in a plain key-value bytes store (RocksDB or
in memory), holding the key's versions in time order. The changelog is Kafka's: each put is a
record ``(key, value, timestamp = the version's timestamp)``, and restoring replays the puts.
Versioned stores have no record cache (Kafka's neither).
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from typing import Any

from raystreams.errors import IllegalArgumentException, ProcessorStateException
from raystreams.state.builders import StoreBuilder
from raystreams.state.memory.kv import InMemoryKeyValueStore
from raystreams.state.metered.base import MeteredStore, null_key
from raystreams.state.names import validate_store_name
from raystreams.state.rocksdb.kv import RocksDBKeyValueStore

__all__ = ["PUT_RETURN_CODE_NOT_PUT", "PUT_RETURN_CODE_VALID_TO_UNDEFINED",
           "VersionedBytesStoreSupplier", "VersionedKeyValueStore",
           "VersionedKeyValueStoreBuilder", "VersionedRecord", "is_versioned"]

log = logging.getLogger(__name__)

PUT_RETURN_CODE_VALID_TO_UNDEFINED = -1
"""``put`` returns this when the new version is the key's latest."""
PUT_RETURN_CODE_NOT_PUT = -(1 << 63)
"""``put`` returns this when the version is older than the history retention."""

#: Kafka keeps versioned changelog records this much longer than the history retention
CHANGELOG_ADDITIONAL_HISTORY_RETENTION_MS = 24 * 60 * 60 * 1000

_TOMBSTONE = -1


class VersionedRecord:
    """One version of a key's value: ``value``, the ``timestamp`` it became valid, and
    ``valid_to`` (the next version's timestamp; None while it is the latest)."""

    __slots__ = ("value", "timestamp", "valid_to")

    def __init__(self, value: Any, timestamp: int, valid_to: int | None = None) -> None:
        if value is None:
            raise IllegalArgumentException("a VersionedRecord's value cannot be None")
        self.value = value
        self.timestamp = timestamp
        self.valid_to = valid_to

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VersionedRecord):
            return NotImplemented
        return (self.value, self.timestamp, self.valid_to) == (other.value, other.timestamp,
                                                               other.valid_to)

    def __hash__(self) -> int:
        return hash((self.value, self.timestamp, self.valid_to))

    def __repr__(self) -> str:
        return (f"VersionedRecord(value={self.value!r}, timestamp={self.timestamp}, "
                f"valid_to={self.valid_to})")


class _History:
    """One key's versions in Kafka's model: the latest value (never a delete) and older
    records ``(valid_from, valid_to, value or None)`` in time order. A delete is no record of
    its own: it ends the record before it, or (with nothing valid before it) leaves an empty
    record ``[t, t)`` behind, so that a version put before it later still ends there."""

    __slots__ = ("latest", "records")

    _HEAD = struct.Struct(">qi")
    _RECORD = struct.Struct(">qqi")

    def __init__(self, latest: tuple[int, bytes] | None = None,
                 records: list[tuple[int, int, bytes | None]] | None = None) -> None:
        self.latest = latest
        self.records = records or []

    def encode(self) -> bytes:
        parts = [self._HEAD.pack(*(self.latest[0], len(self.latest[1])) if self.latest
                                 else (0, _TOMBSTONE))]
        if self.latest:
            parts.append(self.latest[1])
        for valid_from, valid_to, value in self.records:
            parts.append(self._RECORD.pack(valid_from, valid_to,
                                           _TOMBSTONE if value is None else len(value)))
            if value is not None:
                parts.append(value)
        return b"".join(parts)

    @classmethod
    def decode(cls, data: bytes | None) -> _History:
        if not data:
            return cls()
        ts, size = cls._HEAD.unpack_from(data)
        pos = cls._HEAD.size
        latest = None
        if size != _TOMBSTONE:
            latest = (ts, data[pos:pos + size])
            pos += size
        records = []
        while pos < len(data):
            valid_from, valid_to, size = cls._RECORD.unpack_from(data, pos)
            pos += cls._RECORD.size
            value = None
            if size != _TOMBSTONE:
                value = data[pos:pos + size]
                pos += size
            records.append((valid_from, valid_to, value))
        return cls(latest, records)

    def put(self, value: bytes | None, ts: int) -> int:
        """Kafka's RocksDBVersionedStore.doPut; returns the new version's valid-to (-1: it is
        the latest)."""
        found = None  # the earliest valid-from seen after ts
        if self.latest is not None:
            latest_ts, latest_value = self.latest
            if ts >= latest_ts:
                if ts > latest_ts:
                    self.records.append((latest_ts, ts, latest_value))
                self.latest = None if value is None else (ts, value)
                return PUT_RETURN_CODE_VALID_TO_UNDEFINED
            found = latest_ts
        records = self.records
        for i in range(len(records) - 1, -1, -1):
            valid_from, valid_to, old = records[i]
            if valid_to <= ts:
                break  # ts comes after this record: the search is over
            if valid_from <= ts:  # the record holds ts: replace its value or split it
                if valid_from == ts:
                    records[i] = (ts, valid_to, value)
                else:
                    records[i:i + 1] = [(valid_from, ts, old), (ts, valid_to, value)]
                return valid_to
            found = valid_from
        if found is None:
            if value is not None:
                self.latest = (ts, value)
            elif not records or records[-1][1] != ts:
                records.append((ts, ts, None))
            return PUT_RETURN_CODE_VALID_TO_UNDEFINED
        at = len(records)
        while at > 0 and records[at - 1][0] >= found:
            at -= 1
        records.insert(at, (ts, found, value))
        return found

    def get(self, as_of: int | None, horizon: int) -> tuple[int, bytes, int | None] | None:
        """``(valid_from, value, valid_to)`` as of ``as_of`` (None: the latest)."""
        latest = self.latest
        if latest is not None and (as_of is None or latest[0] <= as_of):
            return latest[0], latest[1], None
        if as_of is None or as_of < horizon:
            return None
        for valid_from, valid_to, value in reversed(self.records):
            if valid_from <= as_of < valid_to:
                return None if value is None else (valid_from, value, valid_to)
            if valid_to <= as_of:
                return None
        return None

    def prune(self, horizon: int) -> bool:
        """Forget records that ended before the history retention; True if nothing is left."""
        if self.records and self.records[0][1] < horizon:
            self.records = [r for r in self.records if r[1] >= horizon]
        return self.latest is None and not self.records


class VersionedBytesStoreSupplier:
    """Makes the bytes store under a versioned store (Kafka's ``VersionedBytesStoreSupplier``).

    Attributes:
        name: Store name.
        history_retention_ms: How long (in stream time) old versions stay queryable.
        segment_interval_ms: Kafka's segment size; kept for API parity (this layout has none).
    """

    metrics_scope = "rocksdb-versioned"

    def __init__(self, name: str, history_retention_ms: int, segment_interval_ms: int | None = None,
                 persistent: bool = True) -> None:
        self.name = validate_store_name(name)
        if history_retention_ms < 0:
            raise IllegalArgumentException("historyRetention cannot be negative")
        self.history_retention_ms = history_retention_ms
        self.segment_interval_ms = (segment_interval_ms if segment_interval_ms is not None
                                    else _default_segment_interval(history_retention_ms))
        if self.segment_interval_ms <= 0:
            raise IllegalArgumentException("segmentInterval must be strictly positive")
        self._persistent = persistent

    def get(self) -> Any:
        return RocksDBKeyValueStore(self.name) if self._persistent else InMemoryKeyValueStore(self.name)

    def persistent(self) -> bool:
        return self._persistent

    def __repr__(self) -> str:
        return (f"VersionedBytesStoreSupplier({self.name!r}, history_retention_ms="
                f"{self.history_retention_ms})")


def _default_segment_interval(history_retention_ms: int) -> int:
    # Kafka's default (RocksDbVersionedKeyValueBytesStoreSupplier), by the retention's size
    if history_retention_ms <= 60_000:
        return max(history_retention_ms // 3, 2_000)
    if history_retention_ms <= 300_000:
        return max(history_retention_ms // 5, 20_000)
    if history_retention_ms <= 3_600_000:
        return max(history_retention_ms // 12, 60_000)
    return max(history_retention_ms // 24, 300_000)


class _RegisterAs:
    """The store context, as the bytes store below sees it: its restore callback is replaced
    by the versioned store's (the changelog holds puts, not the bytes layout)."""

    def __init__(self, context: Any, restore: Any) -> None:
        self._context = context
        self._restore = restore

    def register(self, store: Any, restore_callback: Any) -> None:
        self._context.register(store, self._restore)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


class VersionedKeyValueStore(MeteredStore):
    """The typed versioned store: ``put(key, value, timestamp)``, ``get(key)``,
    ``get(key, as_of_timestamp)``, ``delete(key, timestamp)``.

    Args:
        inner: The bytes store the versions live in.
        history_retention_ms: How far behind the observed stream time a version may be put
            or read.
        key_serde, value_serde: Serdes; ``None`` takes the config's defaults at ``init``.
        logging_enabled: Send every put to ``<application.id>-<store>-changelog``.
        log_config: Topic configs of the changelog topic.
    """

    store_kind = "versioned"
    versioned = True

    def __init__(self, inner: Any, history_retention_ms: int, key_serde: Any, value_serde: Any, *,
                 logging_enabled: bool = True, log_config: dict[str, str] | None = None) -> None:
        super().__init__(inner, key_serde, value_serde, logging_enabled=logging_enabled,
                         log_config=log_config)
        self.history_retention_ms = history_retention_ms
        self.observed_stream_time = -(1 << 63)
        self.expired_puts = 0

    def init(self, context: Any, root: Any = None) -> None:
        # the bytes store below registers this store's restore (the changelog holds puts)
        super().init(_RegisterAs(context, self._restore), root)

    # -- the history ----------------------------------------------------------------------------

    def _expired(self, timestamp: int) -> bool:
        return timestamp < self.observed_stream_time - self.history_retention_ms

    def _put_bytes(self, key: bytes, value: bytes | None, timestamp: int) -> int:
        """Put one version (the caller checked it is not expired); returns its valid-to."""
        if timestamp > self.observed_stream_time:
            self.observed_stream_time = timestamp
        history = _History.decode(self.inner.get(key))
        valid_to = history.put(value, timestamp)
        if history.prune(self.observed_stream_time - self.history_retention_ms):
            self.inner.delete(key)
        else:
            self.inner.put(key, history.encode())
        return valid_to

    def _restore(self, records: Sequence[Sequence[Any]]) -> None:
        """Replay changelog records (``key, value, timestamp, ...``): the puts, in order."""
        for record in records:
            key, value, timestamp = record[0], record[1], record[2]
            if not self._expired(timestamp):
                self._put_bytes(key, value, timestamp)

    def _log(self, key: bytes, value: bytes | None, timestamp: int) -> None:
        if self.logging_enabled:
            self._context.log_change(self._name, self._topic, key, value, timestamp, None)

    def put(self, key: Any, value: Any, timestamp: int) -> int:
        """Add a version; returns its valid-to timestamp, ``PUT_RETURN_CODE_VALID_TO_UNDEFINED``
        (-1) if it is the latest, or ``PUT_RETURN_CODE_NOT_PUT`` if it is too old."""
        if key is None:
            raise null_key()
        self.puts += 1
        if self._expired(timestamp):
            self.expired_puts += 1
            log.warning("Skipping record for expired put (store %s, timestamp %d).", self._name,
                        timestamp)
            return PUT_RETURN_CODE_NOT_PUT
        topic = self._topic
        raw_key = self._ks(topic, key)
        raw_value = None if value is None else self._vs(topic, value)
        valid_to = self._put_bytes(raw_key, raw_value, timestamp)
        self._log(raw_key, raw_value, timestamp)
        return valid_to

    def delete(self, key: Any, timestamp: int) -> VersionedRecord | None:
        """Put a delete at ``timestamp``; returns the record valid at that time, if any."""
        if key is None:
            raise null_key()
        self.deletes += 1
        if self._expired(timestamp):
            log.warning("Skipping record for expired delete (store %s).", self._name)
            return None
        existing = self.get(key, timestamp)
        self.put(key, None, timestamp)
        return existing

    def get(self, key: Any, as_of_timestamp: int | None = None) -> VersionedRecord | None:
        """The latest record of ``key``, or the one valid at ``as_of_timestamp``; None if
        there is none (or the time is older than the history retention and the latest
        version is not valid then)."""
        if key is None:
            raise null_key()
        self.gets += 1
        topic = self._topic
        history = _History.decode(self.inner.get(self._ks(topic, key)))
        found = history.get(as_of_timestamp, self.observed_stream_time - self.history_retention_ms)
        if found is None:
            return None
        valid_from, raw, valid_to = found
        return VersionedRecord(self._vd(topic, raw), valid_from, valid_to)

    def metrics(self) -> dict[str, int]:
        return {**super().metrics(), "expired_put": self.expired_puts}


class VersionedKeyValueStoreBuilder(StoreBuilder[VersionedKeyValueStore]):
    """Builds versioned stores (Kafka's ``VersionedKeyValueStoreBuilder``): logged unless
    disabled, never cached."""

    versioned = True

    def __init__(self, supplier: VersionedBytesStoreSupplier, key_serde: Any = None,
                 value_serde: Any = None) -> None:
        if not isinstance(supplier, VersionedBytesStoreSupplier):
            raise ValueError(f"a versioned store builder needs a VersionedBytesStoreSupplier, "
                             f"got {supplier!r}")
        super().__init__(supplier, key_serde, value_serde)

    @property
    def history_retention_ms(self) -> int:
        return self.supplier.history_retention_ms

    @property
    def log_config(self) -> dict[str, str]:
        """The changelog's topic configs: compacted, but not before the history retention
        (plus a day) has passed (Kafka's ``VersionedChangelogTopicConfig``)."""
        config = {"min.compaction.lag.ms": str(self.supplier.history_retention_ms
                                               + CHANGELOG_ADDITIONAL_HISTORY_RETENTION_MS)}
        config.update(self._log_config)
        return config

    def with_caching_enabled(self) -> VersionedKeyValueStoreBuilder:
        raise ProcessorStateException(f"Versioned store {self.name} does not support caching")

    def build(self) -> VersionedKeyValueStore:
        return VersionedKeyValueStore(self.supplier.get(), self.supplier.history_retention_ms,
                                      self._key_serde, self._value_serde,
                                      logging_enabled=self._logging, log_config=self.log_config)


def is_versioned(store_or_builder: Any) -> bool:
    """Whether a store (or its builder) is versioned."""
    return bool(getattr(store_or_builder, "versioned", False))
