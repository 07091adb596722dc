"""Segments of a persistent window or session store: column families of one rocksdict database.

Kafka keeps one RocksDB instance per segment (``<store>.<segment start>``); raystreams keeps one
database per store under ``task_dir/<store>`` with one column family per segment, named as
Kafka names its segment directories. Dropping an expired segment drops its column family.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any
from weakref import WeakSet

from rocksdict import Rdict

from raystreams.errors import ProcessorStateException
from raystreams.state.rocksdb.kv import close_iterators
from raystreams.state.rocksdb.options import make_options, make_write_options
from raystreams.state.rocksdb.rdict_map import RdictMap

if TYPE_CHECKING:
    from raystreams.state.base.segmented import Segment
    from raystreams.state.context import StateStoreContext

__all__ = ["RocksDBSegmentProvider"]


class RocksDBSegmentProvider:
    """Creates, reopens and drops column-family segments of one store database."""

    def __init__(self) -> None:
        self._db: Rdict | None = None
        self._name = ""
        self._interval = 1
        self._config: Any = None
        self._segments: dict[int, RdictMap] = {}
        self._iterators: WeakSet = WeakSet()
        self._wo = make_write_options()
        self._dirty: set[int] = set()

    def _cf_name(self, segment_id: int) -> str:
        return f"{self._name}.{segment_id * self._interval}"

    def open(self, context: StateStoreContext, store_name: str, segment_interval: int) -> dict[int, Segment]:
        self._name, self._interval, self._config = store_name, segment_interval, context.config
        path = Path(context.task_dir) / store_name
        path.mkdir(parents=True, exist_ok=True)
        existing: list[str] = []
        if (path / "CURRENT").exists():
            existing = [n for n in Rdict.list_cf(str(path)) if n != "default"]
        try:
            db = Rdict(str(path), make_options(store_name, context.config),
                       column_families={n: make_options(store_name, context.config) for n in existing})
        except Exception as e:
            raise ProcessorStateException(f"Error opening store {store_name} at location {path}: {e}") from e
        self._db = db
        prefix = store_name + "."
        for cf_name in existing:
            if not cf_name.startswith(prefix):
                continue
            try:
                segment_id = int(cf_name[len(prefix):]) // segment_interval
            except ValueError as e:
                raise ProcessorStateException(
                    f"Unable to parse segment id from segment name {cf_name} of store {store_name}") from e
            self._segments[segment_id] = self._attach(cf_name)
        return {sid: _DirtyTracking(m, sid, self._dirty) for sid, m in self._segments.items()}

    def _attach(self, cf_name: str) -> RdictMap:
        db = self._db
        return RdictMap(db.get_column_family(cf_name), db, db.get_column_family_handle(cf_name),
                        self._wo, self._iterators)

    def create(self, segment_id: int) -> Segment:
        cf_name = self._cf_name(segment_id)
        self._db.create_column_family(cf_name, make_options(self._name, self._config))
        segment = self._segments[segment_id] = self._attach(cf_name)
        return _DirtyTracking(segment, segment_id, self._dirty)

    def drop(self, segment_id: int, segment: Segment) -> None:
        self._segments.pop(segment_id, None)
        self._dirty.discard(segment_id)
        self._db.drop_column_family(self._cf_name(segment_id))

    def flush(self) -> None:
        pass  # writes are applied at once

    def persist(self) -> None:
        """Flush the memtables of the segments written since the last time."""
        for segment_id in list(self._dirty):
            segment = self._segments.get(segment_id)
            if segment is not None:
                segment.flush()
        self._dirty.clear()

    def close(self) -> None:
        db = self._db
        if db is None:
            return
        close_iterators(self._iterators)
        self.persist()
        # every handle must go before the database really closes and frees its lock
        self._segments = {}
        self._dirty.clear()
        self._db = None
        db.close()

    def persistent(self) -> bool:
        return True


class _DirtyTracking:
    """A segment that remembers it was written, so ``flush`` persists only written segments."""

    __slots__ = ("_m", "_id", "_dirty", "get", "range")

    def __init__(self, m: RdictMap, segment_id: int, dirty: set[int]) -> None:
        self._m = m
        self._id = segment_id
        self._dirty = dirty
        self.get = m.get
        self.range = m.range

    def put(self, key: bytes, value: bytes | None) -> None:
        self._m.put(key, value)
        self._dirty.add(self._id)

    def write(self, entries: Any) -> None:
        self._m.write(entries)
        self._dirty.add(self._id)
