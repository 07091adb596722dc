"""The built-in stateless processors the DSL compiles to (KStreamFilter, KStreamMap, ...).

Each one caches ``context.forward`` at init so the per-record path is one call deep.
User functions take ``(key, value)`` where Kafka's take a KeyValueMapper or Predicate and
``value`` where Kafka's take a ValueMapper.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from raystreams.errors import StreamsException
from raystreams.processor.api import Processor, ProcessorContext, Record, _record


class _Forwarding(Processor):
    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self._forward = context.forward


class FilterProcessor(_Forwarding):
    """Keeps records for which ``predicate(key, value)`` is true (false with ``negate``)."""

    def __init__(self, predicate: Callable[[Any, Any], bool], negate: bool = False) -> None:
        self.predicate = predicate
        self.negate = negate

    def process(self, record: Record) -> None:
        if bool(self.predicate(record.key, record.value)) != self.negate:
            self._forward(record)


def _key_value(result: Any, what: str) -> tuple[Any, Any]:
    if isinstance(result, tuple) and len(result) == 2:
        return result
    kv = getattr(result, "key", None), getattr(result, "value", None)
    if hasattr(result, "key") and hasattr(result, "value"):
        return kv
    raise StreamsException(f"{what} must return a (key, value) pair, got {result!r}")


class MapProcessor(_Forwarding):
    """``mapper(key, value) -> (new_key, new_value)``."""

    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        key, value = _key_value(self.mapper(record.key, record.value), "map()'s mapper")
        self._forward(_record(key, value, record.timestamp, record.headers))


class SelectKeyProcessor(_Forwarding):
    """``mapper(key, value) -> new_key``."""

    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        self._forward(_record(self.mapper(record.key, record.value), record.value,
                              record.timestamp, record.headers))


class MapValuesProcessor(_Forwarding):
    """``mapper(value)``, or ``mapper(key, value)`` with ``with_key``."""

    def __init__(self, mapper: Callable[..., Any], with_key: bool = False) -> None:
        self.mapper = mapper
        self.with_key = with_key

    def process(self, record: Record) -> None:
        value = (self.mapper(record.key, record.value) if self.with_key
                 else self.mapper(record.value))
        self._forward(_record(record.key, value, record.timestamp, record.headers))


def _iterable(result: Any, what: str) -> Iterable[Any]:
    if result is None or isinstance(result, str | bytes) or not hasattr(result, "__iter__"):
        raise StreamsException(f"{what} must return an iterable (e.g. a list), got {result!r}")
    return result


class FlatMapProcessor(_Forwarding):
    """``mapper(key, value) -> iterable of (key, value)``."""

    def __init__(self, mapper: Callable[[Any, Any], Iterable[Any]]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        ts, headers, fwd = record.timestamp, record.headers, self._forward
        for item in _iterable(self.mapper(record.key, record.value), "flat_map()'s mapper"):
            key, value = _key_value(item, "flat_map()'s mapper")
            fwd(_record(key, value, ts, headers))


class FlatMapValuesProcessor(_Forwarding):
    """``mapper(value) -> iterable of values`` (``mapper(key, value)`` with ``with_key``)."""

    def __init__(self, mapper: Callable[..., Iterable[Any]], with_key: bool = False) -> None:
        self.mapper = mapper
        self.with_key = with_key

    def process(self, record: Record) -> None:
        result = (self.mapper(record.key, record.value) if self.with_key
                  else self.mapper(record.value))
        key, ts, headers, fwd = record.key, record.timestamp, record.headers, self._forward
        for value in _iterable(result, "flat_map_values()'s mapper"):
            fwd(_record(key, value, ts, headers))


class PeekProcessor(_Forwarding):
    """Calls ``action(key, value)`` and forwards the record unchanged."""

    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def process(self, record: Record) -> None:
        self.action(record.key, record.value)
        self._forward(record)


class ForeachProcessor(Processor):
    """Calls ``action(key, value)``; a terminal node."""

    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def process(self, record: Record) -> None:
        self.action(record.key, record.value)


def _java_str(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class PrintProcessor(Processor):
    """Prints ``[label]: key, value`` per record (Kafka's KStreamPrint / Printed)."""

    def __init__(self, label: str, mapper: Callable[[Any, Any], str] | None = None,
                 stream: TextIO | None = None, path: str | None = None) -> None:
        self.label = label
        self.mapper = mapper
        self.stream = stream
        self.path = path
        self._file: TextIO | None = None

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        if self.path is not None:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())

    def process(self, record: Record) -> None:
        text = (self.mapper(record.key, record.value) if self.mapper is not None
                else f"{_java_str(record.key)}, {_java_str(record.value)}")
        out = self._file or self.stream or sys.stdout
        out.write(f"[{self.label}]: {text}\n")
        out.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class BranchProcessor(Processor):
    """Sends each record to the first child whose predicate matches (``split``/``branch``).

    ``default_child`` (if any) takes records no predicate matched.
    """

    def __init__(self, predicates: list[Callable[[Any, Any], bool]], children: list[str],
                 default_child: list[str | None] | None = None) -> None:
        # lists are shared with the DSL object, which appends branches after creation
        self.predicates = predicates
        self.child_names = children
        self.default_child = default_child if default_child is not None else [None]

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self._forward = context.forward
        self._pairs = list(zip(self.predicates, self.child_names, strict=False))

    def process(self, record: Record) -> None:
        key, value = record.key, record.value
        for predicate, child in self._pairs:
            if predicate(key, value):
                self._forward(record, child)
                return
        default = self.default_child[0]
        if default is not None:
            self._forward(record, default)


class PassThroughProcessor(_Forwarding):
    """Forwards every record (merge nodes, branch children)."""

    def process(self, record: Record) -> None:
        self._forward(record)


class ProcessValuesGuard(Processor):
    """Wraps a ``process_values`` processor: it may change values but never keys."""

    def __init__(self, inner: Processor) -> None:
        self.inner = inner

    def init(self, context: ProcessorContext) -> None:
        self.context = context
        self._key_context = _FixedKeyContext(context)
        self.inner.init(self._key_context)

    def process(self, record: Record) -> None:
        self._key_context.current_key = record.key
        self.inner.process(record)

    def close(self) -> None:
        self.inner.close()


class _FixedKeyContext:
    """A context that refuses a forwarded record whose key differs from the input's."""

    def __init__(self, inner: ProcessorContext) -> None:
        self._inner = inner
        self.current_key: Any = None

    def forward(self, record: Record, child: str | None = None) -> None:
        if record.key is not self.current_key and record.key != self.current_key:
            raise StreamsException(
                f"process_values() processors may not change the key "
                f"({self.current_key!r} -> {record.key!r}); use process() instead")
        self._inner.forward(record, child)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
