"""The persistent key-value bytes store on rocksdict (Kafka's ``RocksDBStore``)."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from weakref import WeakSet

from rocksdict import Rdict

from raystreams.errors import InvalidStateStoreException, ProcessorStateException
from raystreams.state.base.bytes_store import BytesIterator, DirtyEntry, invalid_range
from raystreams.state.rocksdb.options import make_options, make_write_options
from raystreams.state.rocksdb.rdict_map import RdictMap

if TYPE_CHECKING:
    from raystreams.state.context import StateStore, StateStoreContext

__all__ = ["RocksDBKeyValueStore", "close_iterators"]

_LONG = struct.Struct(">q")


def close_iterators(iterators: WeakSet) -> None:
    """End every open iterator, releasing its hold on the database."""
    for it in list(iterators):
        it.close()
    iterators.clear()


class RocksDBKeyValueStore:
    """A RocksDB database under ``task_dir/<name>``, keys and values stored as given.

    Writes go straight to the memtable (WAL off, as in Kafka Streams); ``put_batch`` and
    restores use one write batch. ``flush()`` has nothing to write down; ``persist()`` flushes
    the memtable (if anything was written since) and is called before a checkpoint is written,
    so the checkpointed offsets never run ahead of what is on disk.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._db: Rdict | None = None
        self._map: RdictMap | None = None
        self._iterators: WeakSet = WeakSet()
        self._dirty = False
        self.path: Path | None = None
        self.timestamped = False

    @property
    def name(self) -> str:
        return self._name

    def init(self, context: StateStoreContext, root: StateStore) -> None:
        path = Path(context.task_dir) / self._name
        path.mkdir(parents=True, exist_ok=True)
        try:
            db = Rdict(str(path), make_options(self._name, context.config))
        except Exception as e:
            raise ProcessorStateException(
                f"Error opening store {self._name} at location {path}: {e}") from e
        self.path = path
        self._db = db
        self._map = RdictMap(db, db, None, make_write_options(), self._iterators)
        context.register(root, self.restore_batch)

    def persistent(self) -> bool:
        return True

    def is_open(self) -> bool:
        return self._map is not None

    def _m(self) -> RdictMap:
        m = self._map
        if m is None:
            raise InvalidStateStoreException(f"Store {self._name} is currently closed.")
        return m

    def flush(self) -> None:
        pass  # writes are applied at once; durability is persist()'s job

    def persist(self) -> None:
        """Flush the memtable to disk if anything was written since the last time."""
        if self._map is not None and self._dirty:
            self._map.flush()
            self._dirty = False

    def close(self) -> None:
        if self._map is None:
            return
        close_iterators(self._iterators)
        db = self._db
        self.persist()
        self._map = None
        self._db = None
        db.close()

    def restore_batch(self, records: Sequence[Sequence]) -> None:
        """Write raw changelog records into the database in one write batch."""
        if self.timestamped:
            pack = _LONG.pack
            entries = [(r[0], None if r[1] is None else pack(r[2]) + r[1]) for r in records]
        else:
            entries = [(r[0], r[1]) for r in records]
        self._m().write(entries)
        self._dirty = True

    def get(self, key: bytes) -> bytes | None:
        return self._m().db.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        self._m().put(key, value)
        self._dirty = True

    def put_if_absent(self, key: bytes, value: bytes | None) -> bytes | None:
        m = self._m()
        old = m.db.get(key)
        if old is None:
            m.put(key, value)
            self._dirty = True
        return old

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        self._m().write(list(entries))
        self._dirty = True

    def put_batch(self, entries: Sequence[DirtyEntry]) -> None:
        self._m().write([(e[0], e[1]) for e in entries])
        self._dirty = True

    def delete(self, key: bytes) -> bytes | None:
        m = self._m()
        old = m.db.get(key)
        m.db.delete(key)
        self._dirty = True
        return old

    def range(self, key_from: bytes | None, key_to: bytes | None, forward: bool = True) -> BytesIterator:
        m = self._m()
        if invalid_range(key_from, key_to):
            return iter(())
        return m.range(key_from, key_to, forward)

    def all(self, forward: bool = True) -> BytesIterator:
        return self._m().range(None, None, forward)

    def prefix_scan(self, prefix: bytes) -> BytesIterator:
        return self._m().prefix(prefix)

    def approximate_num_entries(self) -> int:
        return self._m().estimate_num_keys()

    def __repr__(self) -> str:
        return f"RocksDBKeyValueStore({self._name!r})"
