"""``KTable.to_stream()``: each update's new value as a stream record
(Kafka's toStream: a KStreamMapValues over the Change).
"""

from __future__ import annotations

from typing import Any

from raystreams.processor.api import Processor, Record, _record
from raystreams.processor.change import Change


class KTableToStreamProcessor(Processor):
    """``KTable.to_stream()``: forwards each update's new value (None for a delete)."""

    def init(self, context: Any) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        change = record.value
        self.context.forward(_record(record.key, change.new_value if isinstance(change, Change)
                                     else change, record.timestamp, record.headers))
