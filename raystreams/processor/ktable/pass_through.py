"""The merge node of a cogroup (Kafka's KTablePassThrough).
"""

from __future__ import annotations

from typing import Any

from raystreams.processor.api import Processor, Record
from raystreams.processor.ktable.getters import MaterializedValueGetterSupplier


class KTablePassThroughSupplier:
    """The merge node of a cogroup: forwards; reads from the shared aggregate store."""

    def __init__(self, parents: list[Any], store_name: str) -> None:
        self.parents = parents
        self.store_name = store_name

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        for parent in self.parents:
            parent.enable_send_old_values(force_materialization)
        return True

    def view(self) -> MaterializedValueGetterSupplier:
        return MaterializedValueGetterSupplier(self.store_name)

    def __call__(self) -> KTablePassThroughProcessor:
        return KTablePassThroughProcessor()


class KTablePassThroughProcessor(Processor):
    def init(self, context: Any) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        self.context.forward(record)
