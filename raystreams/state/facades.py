"""Value-only read/write faces of timestamped stores (Kafka test-utils' ``KeyValueStoreFacade`` / ``WindowStoreFacade``).

``TopologyTestDriver.get_key_value_store`` on a timestamped store returns one of these: reads
drop the timestamps; writes wrap values as ``ValueAndTimestamp`` with Kafka's timestamps (-1,
``NO_TIMESTAMP``, for key-value puts; the window start for window puts).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from raystreams.state.readonly import ValueOnlyKeyValueView, ValueOnlyWindowView
from raystreams.state.types import ValueAndTimestamp

__all__ = ["KeyValueStoreFacade", "WindowStoreFacade"]

NO_TIMESTAMP = -1


class _Lifecycle:
    __slots__ = ()

    def flush(self) -> None:
        self._store.flush()  # type: ignore[attr-defined]

    def close(self) -> None:
        self._store.close()  # type: ignore[attr-defined]

    def persistent(self) -> bool:
        return self._store.persistent()  # type: ignore[attr-defined]

    def is_open(self) -> bool:
        return self._store.is_open()  # type: ignore[attr-defined]


class KeyValueStoreFacade(_Lifecycle, ValueOnlyKeyValueView):
    """A timestamped key-value store seen as a plain ``KeyValueStore``."""

    __slots__ = ()
    store_kind = "key_value"
    timestamped = False

    def put(self, key: Any, value: Any) -> None:
        self._check().put(key, ValueAndTimestamp.make(value, NO_TIMESTAMP))

    def put_if_absent(self, key: Any, value: Any) -> Any:
        old = self._check().put_if_absent(key, ValueAndTimestamp.make(value, NO_TIMESTAMP))
        return ValueAndTimestamp.get_value_or_null(old)

    def put_all(self, entries: Iterable[tuple[Any, Any]]) -> None:
        self._check().put_all([(k, ValueAndTimestamp.make(v, NO_TIMESTAMP)) for k, v in entries])

    def delete(self, key: Any) -> Any:
        return ValueAndTimestamp.get_value_or_null(self._check().delete(key))


class WindowStoreFacade(_Lifecycle, ValueOnlyWindowView):
    """A timestamped window store seen as a plain ``WindowStore``."""

    __slots__ = ()
    store_kind = "window"
    timestamped = False

    @property
    def window_size(self) -> int:
        return self._store.window_size

    @property
    def retention_period(self) -> int:
        return self._store.retention_period

    def put(self, key: Any, value: Any, window_start_timestamp: int) -> None:
        self._check().put(key, ValueAndTimestamp.make(value, window_start_timestamp), window_start_timestamp)
