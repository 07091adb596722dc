"""``KTable.suppress``: hold back a table's updates (Kafka Streams' ``Suppressed``, KIP-328).

``Suppressed.until_window_closes(BufferConfig.unbounded())`` emits each window's final result
once stream time passes the window's end plus its grace period; ``Suppressed.until_time_limit(
duration, buffer_config)`` emits a key's latest value ``duration`` after its first buffered
update. The buffer's bounds (``BufferConfig.max_records(n)``, ``max_bytes(n)``) and what
happens when they are exceeded (``emit_early_when_full()``, ``shut_down_when_full()``) follow
Kafka. The processor is ``KTABLE-SUPPRESS-<n>`` with the buffer store
``KTABLE-SUPPRESS-STATE-STORE-<n>``, or ``<name>`` and ``<name>-store`` with ``with_name``.

Example:
    >>> from raystreams.dsl.suppressed import Suppressed, BufferConfig
    >>> s = Suppressed.until_window_closes(BufferConfig.unbounded()).with_name("final")
    >>> s.name
    'final'
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from raystreams.dsl.graph import RootNode
from raystreams.dsl.params import validate_name
from raystreams.dsl.windows import duration_ms
from raystreams.errors import TopologyException
from raystreams.processor.suppress import (
    RECORD_TIME,
    WINDOW_END_TIME,
    KTableSuppressProcessorSupplier,
    SuppressBufferBuilder,
)

__all__ = ["BufferConfig", "Suppressed", "find_and_verify_window_grace", "suppress"]

SUPPRESS_NAME = "KTABLE-SUPPRESS-"
LONG_MAX = (1 << 63) - 1


class BufferConfig:
    """How much a suppression buffer holds and what happens when it is full.

    ``strict`` (``shut_down_when_full``) buffers never emit early: exceeding a bound fails
    the task. ``eager`` ones (``emit_early_when_full``) emit their oldest entries instead.
    """

    __slots__ = ("max_records_limit", "max_bytes_limit", "strict", "log_config")

    def __init__(self, max_records: int = LONG_MAX, max_bytes: int = LONG_MAX, *,
                 strict: bool = True, log_config: dict[str, str] | None = None) -> None:
        for what, value in (("max_records", max_records), ("max_bytes", max_bytes)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TopologyException(f"BufferConfig: {what} must be an int, got {value!r}")
        self.max_records_limit = max_records
        self.max_bytes_limit = max_bytes
        self.strict = strict
        self.log_config = log_config  # None: logging disabled

    @classmethod
    def unbounded(cls) -> BufferConfig:
        """No bound on records or bytes (a strict buffer: it never emits early)."""
        return cls(strict=True, log_config={})

    @classmethod
    def max_records(cls, record_limit: int) -> BufferConfig:
        """At most ``record_limit`` records; emits the oldest early when exceeded."""
        return cls(record_limit, LONG_MAX, strict=False, log_config={})

    @classmethod
    def max_bytes(cls, byte_limit: int) -> BufferConfig:
        """At most ``byte_limit`` bytes (Kafka's estimate); emits the oldest early when exceeded."""
        return cls(LONG_MAX, byte_limit, strict=False, log_config={})

    def with_max_records(self, record_limit: int) -> BufferConfig:
        return BufferConfig(record_limit, self.max_bytes_limit, strict=self.strict,
                            log_config=self.log_config)

    def with_max_bytes(self, byte_limit: int) -> BufferConfig:
        return BufferConfig(self.max_records_limit, byte_limit, strict=self.strict,
                            log_config=self.log_config)

    def with_no_bound(self) -> BufferConfig:
        """Kafka's ``withNoBound()``: unbounded and strict."""
        return BufferConfig(LONG_MAX, LONG_MAX, strict=True, log_config=self.log_config)

    def emit_early_when_full(self) -> BufferConfig:
        """When a bound is exceeded, emit the oldest entries before their time."""
        return BufferConfig(self.max_records_limit, self.max_bytes_limit, strict=False,
                            log_config=self.log_config)

    def shut_down_when_full(self) -> BufferConfig:
        """When a bound is exceeded, fail the task rather than emit early."""
        return BufferConfig(self.max_records_limit, self.max_bytes_limit, strict=True,
                            log_config=self.log_config)

    def with_logging_disabled(self) -> BufferConfig:
        return BufferConfig(self.max_records_limit, self.max_bytes_limit, strict=self.strict,
                            log_config=None)

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> BufferConfig:
        return BufferConfig(self.max_records_limit, self.max_bytes_limit, strict=self.strict,
                            log_config=dict(config or {}))

    @property
    def logging_enabled(self) -> bool:
        return self.log_config is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BufferConfig):
            return NotImplemented
        return (self.max_records_limit, self.max_bytes_limit, self.strict,
                self.log_config or {}) == (other.max_records_limit, other.max_bytes_limit,
                                           other.strict, other.log_config or {})

    def __hash__(self) -> int:
        return hash((self.max_records_limit, self.max_bytes_limit, self.strict))

    def __repr__(self) -> str:
        kind = "Strict" if self.strict else "Eager"
        return (f"{kind}BufferConfig(max_records={self.max_records_limit}, "
                f"max_bytes={self.max_bytes_limit}, logging={self.logging_enabled})")


class Suppressed:
    """A suppression: until windows close, or until a time limit (Kafka's ``Suppressed``)."""

    __slots__ = ("name", "buffer_config", "time_limit_ms", "final_results")

    def __init__(self, name: str | None, buffer_config: BufferConfig, time_limit_ms: int | None,
                 final_results: bool) -> None:
        self.name = validate_name(name) if name is not None else None
        self.buffer_config = buffer_config
        self.time_limit_ms = time_limit_ms
        self.final_results = final_results

    @classmethod
    def until_window_closes(cls, buffer_config: BufferConfig) -> Suppressed:
        """Emit only each window's final result, once stream time passes its end plus grace.

        Raises:
            TopologyException: ``buffer_config`` may emit early (final results need a strict one).
        """
        if not isinstance(buffer_config, BufferConfig):
            raise TopologyException(f"until_window_closes() takes a BufferConfig, got "
                                    f"{buffer_config!r}")
        if not buffer_config.strict:
            raise TopologyException(
                "until_window_closes() needs a strict buffer config (BufferConfig.unbounded() "
                "or ....shut_down_when_full()): emitting early would break final results")
        return cls(None, buffer_config, None, True)

    @classmethod
    def until_time_limit(cls, time_to_wait_for_more_events: timedelta | int,
                         buffer_config: BufferConfig) -> Suppressed:
        """Emit a key's latest value once ``time_to_wait_for_more_events`` passed since its first update."""
        if not isinstance(buffer_config, BufferConfig):
            raise TopologyException(f"until_time_limit() takes a BufferConfig, got "
                                    f"{buffer_config!r}")
        ms = duration_ms(time_to_wait_for_more_events, "timeToWaitForMoreEvents")
        return cls(None, buffer_config, ms, False)

    def with_name(self, name: str) -> Suppressed:
        """Name the processor ``name`` and its buffer store ``<name>-store``."""
        return Suppressed(name, self.buffer_config, self.time_limit_ms, self.final_results)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Suppressed):
            return NotImplemented
        return (self.name, self.buffer_config, self.time_limit_ms, self.final_results) == (
            other.name, other.buffer_config, other.time_limit_ms, other.final_results)

    def __hash__(self) -> int:
        return hash((self.name, self.time_limit_ms, self.final_results))

    def __repr__(self) -> str:
        if self.final_results:
            return f"Suppressed.until_window_closes({self.buffer_config!r}, name={self.name!r})"
        return (f"Suppressed.until_time_limit({self.time_limit_ms}, {self.buffer_config!r}, "
                f"name={self.name!r})")


def find_and_verify_window_grace(node: Any, chain: str = "") -> int:
    """The grace period of the windowed aggregation upstream of ``node`` (Kafka's GraphGraceSearchUtil).

    Raises:
        TopologyException: No windowed aggregation is upstream.
    """
    if node is None:
        raise TopologyException(
            f"Window close time is only defined for windowed computations. Got [{chain}].")
    grace = getattr(node, "grace_period_ms", None)
    if grace is not None:
        return grace
    name = "root" if isinstance(node, RootNode) else node.name  # Kafka's root is "root"
    new_chain = name if not chain else f"{name}->{chain}"
    parents = node.parents
    if not parents:
        raise TopologyException(
            f"Window close time is only defined for windowed computations. Got [{new_chain}].")
    return max(find_and_verify_window_grace(p, new_chain) for p in parents)


def suppress(ktable: Any, suppressed: Suppressed) -> Any:
    """``KTable.suppress(suppressed)``: a KTable whose updates are held back as configured."""
    from raystreams.dsl.ktable import KTable, StoreProcessorGraphNode

    if not isinstance(suppressed, Suppressed):
        raise TopologyException(f"suppress() takes a Suppressed, got {suppressed!r}")
    versioned = getattr(ktable, "output_versioned", None)
    if versioned is not None and versioned():
        raise TopologyException("suppress() is only supported for non-versioned KTables "
                                "(note that version semantics might be inherited from upstream)")
    builder = ktable.builder
    name = suppressed.name if suppressed.name is not None else \
        builder.new_processor_name(SUPPRESS_NAME)
    if suppressed.final_results:
        suppress_ms = find_and_verify_window_grace(ktable.graph_node)
        time_definition = WINDOW_END_TIME
    else:
        suppress_ms = suppressed.time_limit_ms
        time_definition = RECORD_TIME
    store_name = f"{suppressed.name}-store" if suppressed.name is not None else \
        builder.new_store_name(SUPPRESS_NAME)
    config = suppressed.buffer_config
    store_builder = SuppressBufferBuilder(store_name, ktable.key_serde, ktable.value_serde)
    if config.logging_enabled:
        store_builder.with_logging_enabled(config.log_config)
    else:
        store_builder.with_logging_disabled()
    supplier = KTableSuppressProcessorSupplier(
        store_name, suppress_ms, time_definition, config.max_records_limit,
        config.max_bytes_limit, config.strict, suppressed.final_results, ktable)
    node = StoreProcessorGraphNode(name, supplier)  # also declares the buffer's changelog
    node.store_builders.append(store_builder)
    builder.add_graph_node(ktable.graph_node, node)
    return KTable(name, ktable.key_serde, ktable.value_serde, {ktable.name}, None, supplier, node,
                  builder)
