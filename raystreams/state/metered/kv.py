"""Typed key-value stores (Kafka's ``MeteredKeyValueStore`` / ``MeteredTimestampedKeyValueStore``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from raystreams.state.metered.base import MeteredStore, close_quietly, null_key
from raystreams.state.types import KeyValue, KeyValueIterator, ValueAndTimestamp

__all__ = ["MeteredKeyValueStore", "MeteredTimestampedKeyValueStore"]

K = TypeVar("K")
V = TypeVar("V")


def _typed(it: Iterator[tuple[bytes, bytes]], kd: Callable[[str, Any], Any], vd: Callable[[str, Any], Any],
           topic: str) -> Iterator[KeyValue[Any, Any]]:
    try:
        for k, v in it:
            yield KeyValue(kd(topic, k), vd(topic, v))
    finally:
        close_quietly(it)


class MeteredKeyValueStore(MeteredStore, Generic[K, V]):
    """The typed face of a key-value store stack; implements ``KeyValueStore``.

    A ``None`` value (or a value the serde turns into ``None``) deletes the key.
    """

    store_kind = "key_value"

    def get(self, key: K) -> V | None:
        if key is None:
            raise null_key()
        self.gets += 1
        topic = self._topic
        raw = self._down.get(self._ks(topic, key))
        return None if raw is None else self._vd(topic, raw)

    def put(self, key: K, value: V | None) -> None:
        if key is None:
            raise null_key()
        self.puts += 1
        topic = self._topic
        self._down.put(self._ks(topic, key), None if value is None else self._vs(topic, value))

    def put_if_absent(self, key: K, value: V | None) -> V | None:
        if key is None:
            raise null_key()
        self.puts += 1
        topic = self._topic
        raw = self._down.put_if_absent(self._ks(topic, key), None if value is None else self._vs(topic, value))
        return None if raw is None else self._vd(topic, raw)

    def put_all(self, entries: Iterable[tuple[K, V | None]]) -> None:
        topic, ks, vs = self._topic, self._ks, self._vs
        raw = []
        for key, value in entries:
            if key is None:
                raise null_key()
            raw.append((ks(topic, key), None if value is None else vs(topic, value)))
        self.puts += len(raw)
        self._down.put_all(raw)

    def delete(self, key: K) -> V | None:
        if key is None:
            raise null_key()
        self.deletes += 1
        topic = self._topic
        raw = self._down.delete(self._ks(topic, key))
        return None if raw is None else self._vd(topic, raw)

    def _iter(self, it: Iterator[tuple[bytes, bytes]]) -> KeyValueIterator[K, V]:
        self.range_queries += 1
        return KeyValueIterator(_typed(it, self._kd, self._vd, self._topic))

    def _bound(self, key: K | None) -> bytes | None:
        return None if key is None else self._ks(self._topic, key)

    def range(self, key_from: K | None, key_to: K | None) -> KeyValueIterator[K, V]:
        """Entries with ``key_from <= key <= key_to`` in ascending key-byte order; ``None`` opens an end."""
        return self._iter(self._down.range(self._bound(key_from), self._bound(key_to), True))

    def reverse_range(self, key_from: K | None, key_to: K | None) -> KeyValueIterator[K, V]:
        """As ``range``, in descending order."""
        return self._iter(self._down.range(self._bound(key_from), self._bound(key_to), False))

    def all(self) -> KeyValueIterator[K, V]:
        return self._iter(self._down.all(True))

    def reverse_all(self) -> KeyValueIterator[K, V]:
        return self._iter(self._down.all(False))

    def prefix_scan(self, prefix: Any, prefix_key_serde: Any) -> KeyValueIterator[K, V]:
        """Entries whose key bytes start with ``prefix_key_serde.serialize(topic, prefix)``."""
        if prefix is None:
            raise null_key("prefix")
        raw = prefix_key_serde.serialize(self._topic, prefix)
        return self._iter(self._down.prefix_scan(raw))

    def approximate_num_entries(self) -> int:
        return self._down.approximate_num_entries()


class MeteredTimestampedKeyValueStore(MeteredKeyValueStore[K, ValueAndTimestamp[V]]):
    """A typed key-value store of ``ValueAndTimestamp`` values; implements ``TimestampedKeyValueStore``."""

    def __init__(self, inner: Any, key_serde: Any, value_serde: Any, **kwargs: Any) -> None:
        kwargs["timestamped"] = True
        super().__init__(inner, key_serde, value_serde, **kwargs)

    def plain_view(self) -> Any:
        """This store without timestamps (read and write), as Kafka's test driver hands it out."""
        from raystreams.state.facades import KeyValueStoreFacade
        return KeyValueStoreFacade(self)
