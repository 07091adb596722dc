"""The context a task gives its processors and stores (Kafka's ProcessorContextImpl)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from raystreams.durations import millis
from raystreams.engine.punctuation import Cancellable, PunctuationSchedule
from raystreams.errors import StreamsException
from raystreams.processor.api import (
    Headers,
    PunctuationType,
    Record,
    RecordContext,
    RecordMetadata,
)

if TYPE_CHECKING:
    from raystreams.engine.nodes import ProcessorNode
    from raystreams.engine.task import StreamTask

log = logging.getLogger(__name__)


def to_millis(value: timedelta | int | float, what: str) -> int:
    """Milliseconds from a ``timedelta`` or a number of ms."""
    ms = millis(value, floats=True)
    if ms is None:
        raise StreamsException(f"{what} must be a timedelta or milliseconds, got {value!r}")
    return ms


class TaskContext:
    """ProcessorContext for the processors of one task, and StateStoreContext for its stores."""

    def __init__(self, task: StreamTask) -> None:
        self.task = task
        self.current_node: ProcessorNode | None = None
        self.record_context: RecordContext | None = None
        self.collector = task.collector
        self.cache = None

    # ------------------------------------------------------------ identity
    @property
    def application_id(self) -> str:
        return self.task.application_id

    @property
    def task_id(self) -> str:
        return self.task.task_id

    @property
    def partition(self) -> int:
        return self.task.partition

    @property
    def task_dir(self) -> Any:
        return self.task.task_dir

    @property
    def config(self) -> Any:
        return self.task.config

    @property
    def app_configs(self) -> dict[str, Any]:
        originals = getattr(self.task.config, "originals", None)
        return dict(originals()) if callable(originals) else dict(self.task.config)

    @property
    def current_node_name(self) -> str | None:
        return self.current_node.name if self.current_node is not None else None

    # ------------------------------------------------------------ processing
    def forward(self, record: Record, child: str | None = None) -> None:
        node = self.current_node
        assert node is not None, "forward() called outside of processing"
        if child is None:
            children = node.children
        else:
            found = node.children_by_name.get(child)
            if found is None:
                raise StreamsException(
                    f"Unknown downstream node: {child} either does not exist or is not connected "
                    f"to this processor (children: {', '.join(node.children_by_name) or 'none'})",
                    task_id=self.task.task_id, processor=node.name)
            children = [found]
        for c in children:
            self.current_node = c
            c.records += 1
            try:
                c.process(record)
            except StreamsException as exc:
                self.current_node = node
                if exc.processor is not None:
                    raise  # already names the processor that failed, deeper down
                self.task.on_processing_error(c, record, exc)
            except Exception as exc:
                self.current_node = node
                self.task.on_processing_error(c, record, exc)
        self.current_node = node

    def forward_from(self, node: ProcessorNode, record_context: RecordContext | None,
                     record: Record) -> None:
        """Forward ``record`` as if ``node`` were processing it (cache flushes, punctuation)."""
        prev_node, prev_rc = self.current_node, self.record_context
        self.current_node = node
        if record_context is not None:
            self.record_context = record_context
        try:
            self.forward(record)
        finally:
            self.current_node, self.record_context = prev_node, prev_rc

    def schedule(self, interval: timedelta | int, type: PunctuationType,
                 callback: Any) -> Cancellable:
        ms = to_millis(interval, "punctuation interval")
        if ms < 1:
            raise StreamsException(f"The minimum supported scheduling interval is 1 millisecond, "
                                   f"got {ms}", processor=self.current_node_name)
        node = self.current_node
        if node is None:
            raise StreamsException("schedule() must be called from a processor")
        handle = Cancellable()
        if type == PunctuationType.STREAM_TIME:
            # aligned to 0: fires as soon as stream time is known
            sched = PunctuationSchedule(node, 0, ms, callback, handle)
            return self.task.stream_time_punctuations.schedule(sched)
        if type == PunctuationType.WALL_CLOCK_TIME:
            sched = PunctuationSchedule(node, self.task.clock() + ms, ms, callback, handle)
            return self.task.wall_clock_punctuations.schedule(sched)
        raise StreamsException(f"Unrecognized PunctuationType: {type!r}")

    def get_state_store(self, name: str) -> Any:
        node = self.current_node
        store = self.task.global_stores.get(name)
        if store is not None:
            return store
        store = self.task.stores.get(name)
        if store is None:
            raise StreamsException(f"Processor {self.current_node_name} has no access to "
                                   f"StateStore {name}: no such store in task {self.task_id}",
                                   processor=self.current_node_name)
        if node is not None and name not in node.stores:
            raise StreamsException(
                f"Processor {node.name} has no access to StateStore {name} as the store is not "
                f"connected to the processor. Pass the store name to process() or "
                f"connect_processor_and_state_stores().", processor=node.name)
        return store

    def commit(self) -> None:
        self.task.commit_requested = True

    def record_metadata(self) -> RecordMetadata | None:
        rc = self.record_context
        if rc is None or rc.topic is None:
            return None
        return RecordMetadata(rc.topic, rc.partition, rc.offset)

    @property
    def topic(self) -> str | None:
        rc = self.record_context
        return rc.topic if rc else None

    @property
    def offset(self) -> int:
        rc = self.record_context
        return rc.offset if rc else -1

    @property
    def timestamp(self) -> int:
        rc = self.record_context
        return rc.timestamp if rc else -1

    @property
    def headers(self) -> Headers:
        rc = self.record_context
        return rc.headers if rc else Headers()

    def processor_metadata_for_key(self, key: str) -> int | None:
        """A value a processor committed with the task's offsets (survives restarts)."""
        return self.task.processor_metadata.get(key)

    def add_processor_metadata_key_value(self, key: str, value: int) -> None:
        """Commit ``value`` under ``key`` with the task's next offsets."""
        self.task.processor_metadata.put(key, value)

    def current_stream_time_ms(self) -> int:
        return self.task.stream_time

    def current_system_time_ms(self) -> int:
        return self.task.clock()

    def resolve_topic(self, topic: str) -> str:
        return self.task.topology.resolve_topic(topic, self.task.application_id)

    # ------------------------------------------------------------ stores
    def log_change(self, store_name: str, topic: str, key: bytes, value: bytes | None,
                   timestamp: int, headers: Headers | None = None) -> None:
        self.collector.send(topic, key, value, timestamp, headers, self.task.partition)

    def register(self, store: Any, restore_callback: Any = None) -> None:
        self.task.register_store(store, restore_callback)


__all__ = ["TaskContext", "to_millis"]
