"""Reads, writes and range scans on one rocksdict handle (a database or a column family)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from weakref import WeakSet

from rocksdict import Rdict, ReadOptions, WriteBatch

from raystreams.state.base.bytes_store import increment

__all__ = ["RdictMap"]


class RdictMap:
    """A sorted bytes map over a rocksdict handle, with write batches and tracked iterators.

    Every iterator it hands out is registered in ``iterators`` so the owner can end them all
    before closing the database (a live rocksdict iterator keeps the database open and locked).

    Args:
        db: Handle to read and write (the database, or a column-family view of it).
        root: The database, which applies write batches.
        column_family: Column-family handle for write batches; ``None`` for the default one.
        write_options: Applied to every write (the WAL is off).
        iterators: Where open iterators are tracked.
    """

    __slots__ = ("db", "_root", "_cf", "_wo", "iterators")

    def __init__(self, db: Rdict, root: Rdict, column_family: Any, write_options: Any,
                 iterators: WeakSet) -> None:
        self.db = db
        self._root = root
        self._cf = column_family
        self._wo = write_options
        self.iterators = iterators
        db.set_write_options(write_options)

    def get(self, key: bytes) -> bytes | None:
        return self.db.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.db.delete(key)
        else:
            self.db.put(key, value)

    def write(self, entries: Sequence[tuple[bytes, bytes | None]]) -> None:
        """Apply all entries in one write batch."""
        if not entries:
            return
        batch = WriteBatch(raw_mode=True)
        if self._cf is not None:
            batch.set_default_column_family(self._cf)
        put, delete = batch.put, batch.delete
        for key, value in entries:
            if value is None:
                delete(key)
            else:
                put(key, value)
        self._root.write(batch, self._wo)

    def flush(self) -> None:
        self.db.flush(True)

    def range(self, lo: bytes | None, hi: bytes | None, forward: bool = True,
              hi_inclusive: bool = True) -> Iterator[tuple[bytes, bytes]]:
        it = _scan(self.db, lo, hi, forward, hi_inclusive)
        self.iterators.add(it)
        return it

    def prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        end = increment(prefix)
        it = _scan(self.db, prefix, end, True, False) if end is not None else _scan_prefix(self.db, prefix)
        self.iterators.add(it)
        return it

    def estimate_num_keys(self) -> int:
        return int(self.db.property_int_value("rocksdb.estimate-num-keys") or 0)


def _scan(db: Rdict, lo: bytes | None, hi: bytes | None, forward: bool,
          hi_inclusive: bool) -> Iterator[tuple[bytes, bytes]]:
    # rocksdict 0.3's ReadOptions.set_iterate_lower_bound sets the upper bound, so only the
    # upper bound is given to RocksDB and the lower end of a reverse scan is checked here.
    if forward:
        if hi is None:
            items = db.items(from_key=lo)
        else:
            ro = ReadOptions()
            ro.set_iterate_upper_bound(hi + b"\x00" if hi_inclusive else hi)
            items = db.items(from_key=lo, read_opt=ro)
        yield from items
        return
    if hi is None:
        items = db.items(backwards=True)
    elif hi_inclusive:
        items = db.items(backwards=True, from_key=hi)
    else:
        ro = ReadOptions()
        ro.set_iterate_upper_bound(hi)
        items = db.items(backwards=True, read_opt=ro)
    if lo is None:
        yield from items
        return
    for kv in items:
        if kv[0] < lo:
            return
        yield kv


def _scan_prefix(db: Rdict, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
    for kv in db.items(from_key=prefix):
        if not kv[0].startswith(prefix):
            return
        yield kv
