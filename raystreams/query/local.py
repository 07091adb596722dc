"""The store provider of one process's tasks (what ``TopologyTestDriver`` queries through).

Kafka's driver runs every partition as partition 0 of one task, so every store here has one
partition, answered by one ``StoreQueryServer``.
"""

from __future__ import annotations

from typing import Any

from raystreams.errors import InvalidStateStorePartitionException, UnknownStateStoreException
from raystreams.query.server import ScanPage, StoreQueryServer, TaskAnswer
from raystreams.state.readonly import QueryableStoreType

__all__ = ["LocalStoreProvider"]


class LocalStoreProvider:
    """A ``StoreProvider`` over one local ``StoreQueryServer`` (partition 0)."""

    def __init__(self, server: StoreQueryServer) -> None:
        self.server = server

    def partitions(self, store_name: str) -> list[int]:
        stores = self.server._stores() or {}
        if store_name not in stores:
            raise UnknownStateStoreException(
                f"Cannot get state store {store_name} because no such store is registered in "
                f"the topology (stores: {', '.join(sorted(stores)) or 'none'})")
        return [0]

    def partition_for_key(self, store_name: str, key: Any) -> int:
        return 0

    def _check(self, partition: int) -> None:
        if partition != 0:
            raise InvalidStateStorePartitionException(
                f"the driver runs one task: partition {partition} does not exist")

    def call(self, store_name: str, partition: int, qtype: QueryableStoreType, method: str,
             args: tuple[Any, ...], *, stale_ok: bool, raw: bool = False) -> TaskAnswer:
        self._check(partition)
        return self.server.call(store_name, qtype, method, args, stale_ok=stale_ok, raw=raw)

    def page(self, store_name: str, partition: int, qtype: QueryableStoreType | None, method: str,
             args: tuple[Any, ...], *, cursor: str | None, limit: int, stale_ok: bool,
             raw: bool = False) -> ScanPage:
        self._check(partition)
        return self.server.page(store_name, qtype, method, args, cursor=cursor, limit=limit,
                                stale_ok=stale_ok, raw=raw)

    def close_cursor(self, store_name: str, partition: int, cursor: str) -> None:
        self.server.close_cursor(cursor)
