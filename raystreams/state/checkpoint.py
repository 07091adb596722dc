"""The local checkpoint file of changelog offsets (Kafka's ``OffsetCheckpoint``).

Kafka's text format, so its tools read it: a version line (``0``), a count line, then one
``<topic> <partition> <offset>`` line per changelog partition. Writes go to ``<file>.tmp``,
are fsynced, and replace the file by rename, so a crash leaves the old or the new file, never
half of one.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from raystreams.errors import ProcessorStateException

__all__ = ["CHECKPOINT_FILE_NAME", "OFFSET_UNKNOWN", "OffsetCheckpoint"]

log = logging.getLogger(__name__)

CHECKPOINT_FILE_NAME = ".checkpoint"
OFFSET_UNKNOWN = -4
"""Kafka's sentinel for a partition whose offset is not known (kept, unlike other negatives)."""

_VERSION = 0

TopicPartition = tuple[str, int]


def _valid(offset: int) -> bool:
    return offset >= 0 or offset == OFFSET_UNKNOWN


class OffsetCheckpoint:
    """Reads and atomically writes one checkpoint file.

    Args:
        path: The file, usually ``task_dir/.checkpoint``.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def write(self, offsets: Mapping[TopicPartition, int]) -> None:
        """Replace the file with ``offsets``; no offsets deletes the file.

        Raises:
            ProcessorStateException: An offset is negative (other than ``OFFSET_UNKNOWN``), or
                the file cannot be written.
        """
        if not offsets:
            self.delete()
            return
        lines = [str(_VERSION), str(len(offsets))]
        for (topic, partition), offset in offsets.items():
            if not _valid(offset):
                raise ProcessorStateException(
                    f"Attempted to write a negative offset {offset} for {topic}-{partition} "
                    f"to the checkpoint file {self.path}")
            if any(c.isspace() for c in topic):
                raise ProcessorStateException(f"Topic name {topic!r} cannot be written to a checkpoint file")
            lines.append(f"{topic} {partition} {offset}")
        data = ("\n".join(lines) + "\n").encode()
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            _fsync_dir(self.path.parent)
        except OSError as e:
            raise ProcessorStateException(f"Failed to write checkpoint file {self.path}: {e}") from e

    def read(self) -> dict[TopicPartition, int]:
        """The offsets in the file; empty if there is none. Negative offsets are skipped.

        Raises:
            ProcessorStateException: The file is malformed or of an unknown version.
        """
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as e:
            raise ProcessorStateException(f"Failed to read checkpoint file {self.path}: {e}") from e
        lines = text.splitlines()
        try:
            version = int(lines[0])
        except (IndexError, ValueError) as e:
            raise ProcessorStateException(f"Checkpoint file {self.path} ended prematurely or is malformed") from e
        if version != _VERSION:
            raise ProcessorStateException(f"Unknown offset checkpoint version {version} in {self.path}")
        try:
            expected = int(lines[1])
        except (IndexError, ValueError) as e:
            raise ProcessorStateException(f"Checkpoint file {self.path} ended prematurely or is malformed") from e
        offsets: dict[TopicPartition, int] = {}
        for line in lines[2:]:
            if not line.strip():
                continue
            pieces = line.split()
            if len(pieces) != 3:
                raise ProcessorStateException(f"Malformed line in offset checkpoint file: '{line}'.")
            try:
                topic, partition, offset = pieces[0], int(pieces[1]), int(pieces[2])
            except ValueError as e:
                raise ProcessorStateException(f"Malformed line in offset checkpoint file: '{line}'.") from e
            if _valid(offset):
                offsets[(topic, partition)] = offset
            else:
                log.warning("Read offset=%s from checkpoint file %s for %s-%s", offset, self.path, topic, partition)
                expected -= 1
        if len(offsets) != expected:
            raise ProcessorStateException(
                f"Expected {expected} entries in checkpoint file {self.path} but found only {len(offsets)}")
        return offsets

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def exists(self) -> bool:
        return self.path.exists()

    def __repr__(self) -> str:
        return f"OffsetCheckpoint({str(self.path)!r})"


def _fsync_dir(directory: Path) -> None:
    # make the rename itself durable
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
