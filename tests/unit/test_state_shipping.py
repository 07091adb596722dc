"""Shipping a task's state directory in chunks (``runtime/state_shipping``), on real RocksDB files:
the copy opens with the same contents, no chunk exceeds the bound, and a failed transfer leaves
the target as it was (the task then restores from the changelog)."""

from __future__ import annotations

import pytest
from rocksdict import Rdict

from raystreams.runtime.state_shipping import make_manifest, read_chunk, receive


def _rocksdb_task_dir(root, n: int = 2000):
    task_dir = root / "app" / "0_1"
    db = Rdict(str(task_dir / "counts"))
    for i in range(n):
        db[f"key-{i}".encode()] = (f"value-{i}" * 10).encode()
    db.close()
    (task_dir / ".checkpoint").write_text("0\n1\nchangelog 1 1999\n")
    (task_dir / ".lock").write_text("")
    return task_dir


def test_a_shipped_directory_opens_with_the_same_state(tmp_path):
    source = _rocksdb_task_dir(tmp_path / "node-a")
    manifest = make_manifest(source, max_chunk_bytes=4096)
    assert manifest is not None
    assert all(length <= 4096 for _, _, length in manifest.chunks)
    assert len(manifest.chunks) > len(manifest.files)  # some file was split
    names = {rel for rel, _ in manifest.files}
    assert ".checkpoint" in names and ".lock" not in names and "counts/LOCK" not in names
    target = tmp_path / "node-b" / "app" / "0_1"
    target.mkdir(parents=True)
    (target / "stale").write_text("left by an older incarnation")
    fetched: list[int] = []

    def fetch(i: int) -> bytes:
        fetched.append(i)
        return read_chunk(source, manifest, i)

    written = receive(target, manifest, fetch)
    assert written == manifest.total_bytes == sum(size for _, size in manifest.files)
    assert fetched == list(range(len(manifest.chunks)))
    assert not (target / "stale").exists()
    assert (target / ".checkpoint").read_text() == (source / ".checkpoint").read_text()
    db = Rdict(str(target / "counts"))
    try:
        assert db[b"key-1999"] == ("value-1999" * 10).encode()
        assert sum(1 for _ in db.items()) == 2000
    finally:
        db.close()


def test_a_failed_transfer_leaves_the_target_as_it_was(tmp_path):
    source = _rocksdb_task_dir(tmp_path / "node-a", n=200)
    manifest = make_manifest(source, max_chunk_bytes=1024)
    target = tmp_path / "node-b" / "app" / "0_1"
    target.mkdir(parents=True)
    (target / "kept").write_text("x")

    def fetch(i: int) -> bytes:
        if i == len(manifest.chunks) - 1:
            raise ConnectionError("the old node is gone")
        return read_chunk(source, manifest, i)

    with pytest.raises(ConnectionError):
        receive(target, manifest, fetch)
    assert [p.name for p in target.parent.iterdir()] == ["0_1"]  # no staging directory left
    assert [p.name for p in target.iterdir()] == ["kept"]


def test_nothing_to_ship(tmp_path):
    assert make_manifest(tmp_path / "missing", 1024) is None
    (tmp_path / "empty").mkdir()
    assert make_manifest(tmp_path / "empty", 1024) is None
    with pytest.raises(ValueError):
        make_manifest(tmp_path, 0)
