"""In-memory segments for window and session stores."""

from __future__ import annotations

from typing import TYPE_CHECKING

from raystreams.state.memory.sorted_map import SortedBytesMap

if TYPE_CHECKING:
    from raystreams.state.base.segmented import Segment
    from raystreams.state.context import StateStoreContext

__all__ = ["MemorySegmentProvider"]


class MemorySegmentProvider:
    """Each segment a ``SortedBytesMap``; nothing survives ``close``."""

    def __init__(self) -> None:
        self._segments: list[SortedBytesMap] = []

    def open(self, context: StateStoreContext, store_name: str, segment_interval: int) -> dict[int, Segment]:
        return {}

    def create(self, segment_id: int) -> Segment:
        segment = SortedBytesMap()
        self._segments.append(segment)
        return segment

    def drop(self, segment_id: int, segment: Segment) -> None:
        segment.clear()  # type: ignore[attr-defined]
        self._segments = [s for s in self._segments if s is not segment]

    def flush(self) -> None:
        pass

    def persist(self) -> None:
        pass

    def close(self) -> None:
        # Clearing ends open iterators: they find no values any more.
        for segment in self._segments:
            segment.clear()
        self._segments = []

    def persistent(self) -> bool:
        return False
