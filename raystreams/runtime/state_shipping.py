"""Ship a task's state directory to another Ray node through the object store (DESIGN decision 12).

On a planned move the old incarnation commits and closes cleanly, so its directory
(``state.dir/<application.id>/<task_id>``: each RocksDB store and the ``.checkpoint`` of changelog
offsets written at that commit) is consistent with the committed input offsets; under
exactly_once_v2 the transaction is committed before, so it holds no uncommitted write. The old
actor describes the directory as a ``StateManifest`` of chunks no larger than
``state.shipping.chunk.max.bytes``; the supervisor asks for each chunk (so it owns the objects,
which stay in the old node's object store) and hands the references to the new incarnation,
which writes them into its own node's state directory and restores only the changelog tail
after the checkpoint. Whatever fails, the changelog stays the source of truth: the receiver
leaves no partial directory behind, and the task restores from the changelog as after a crash.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Files never shipped: RocksDB's and the state manager's locks belong to the old process.
_NOT_SHIPPED = {"LOCK", ".lock"}


@dataclass(frozen=True)
class StateManifest:
    """What a shipped state directory holds.

    Attributes:
        files: ``(relative path, size)`` of every file, empty ones included.
        chunks: ``(relative path, offset, length)`` of every chunk, in order.
        total_bytes: the sum of the file sizes (what crosses the network).
    """

    files: tuple[tuple[str, int], ...]
    chunks: tuple[tuple[str, int, int], ...]
    total_bytes: int


def make_manifest(task_dir: Path, max_chunk_bytes: int) -> StateManifest | None:
    """Describe ``task_dir`` in chunks of at most ``max_chunk_bytes``; None when it has no state."""
    if max_chunk_bytes <= 0:
        raise ValueError(f"max_chunk_bytes must be positive, got {max_chunk_bytes}")
    if not task_dir.is_dir():
        return None
    files: list[tuple[str, int]] = []
    chunks: list[tuple[str, int, int]] = []
    for path in sorted(p for p in task_dir.rglob("*") if p.is_file()):
        if path.name in _NOT_SHIPPED:
            continue
        rel, size = path.relative_to(task_dir).as_posix(), path.stat().st_size
        files.append((rel, size))
        chunks.extend((rel, offset, min(max_chunk_bytes, size - offset))
                      for offset in range(0, size, max_chunk_bytes))
    if not files:
        return None
    return StateManifest(tuple(files), tuple(chunks), sum(size for _, size in files))


def read_chunk(task_dir: Path, manifest: StateManifest, index: int) -> bytes:
    """The bytes of chunk ``index`` of ``manifest``."""
    rel, offset, length = manifest.chunks[index]
    with open(task_dir / rel, "rb") as f:
        f.seek(offset)
        data = f.read(length)
    if len(data) != length:
        raise OSError(f"{task_dir / rel} changed while shipping: read {len(data)} of {length} "
                      f"bytes at {offset}")
    return data


def receive(task_dir: Path, manifest: StateManifest, fetch: Callable[[int], bytes]) -> int:
    """Write a shipped directory into ``task_dir`` (replacing what is there); the bytes written.

    Chunks are fetched one at a time (``fetch(index)``), so memory holds one chunk. The files go
    to a sibling directory first and replace ``task_dir`` only once complete; on any error that
    directory is removed and the error raised, leaving ``task_dir`` as it was.
    """
    staging = task_dir.with_name(f"{task_dir.name}.receiving")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for rel, _ in manifest.files:
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        written = 0
        for index, (rel, offset, length) in enumerate(manifest.chunks):
            data = fetch(index)
            if len(data) != length:
                raise OSError(f"chunk {index} of {rel} has {len(data)} bytes, expected {length}")
            with open(staging / rel, "r+b") as f:
                f.seek(offset)
                f.write(data)
            written += length
        for rel, size in manifest.files:
            if (staging / rel).stat().st_size != size:
                raise OSError(f"shipped {rel} is incomplete")
        shutil.rmtree(task_dir, ignore_errors=True)
        task_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, task_dir)
        return written
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
