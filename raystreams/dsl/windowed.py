"""Windowed grouped streams: ``group_by_key().windowed_by(windows)`` and its aggregations.

Kafka Streams' ``TimeWindowedKStreamImpl``, ``SlidingWindowedKStreamImpl`` and
``SessionWindowedKStreamImpl`` (and the cogrouped variants). ``windowed_by`` with
``TimeWindows`` or ``SlidingWindows`` gives a ``TimeWindowedKStream``, with ``SessionWindows``
a ``SessionWindowedKStream``. ``count``, ``reduce`` and ``aggregate`` return a ``KTable`` keyed
by ``Windowed(key, window)``, backed by a window (or session) store, named as Kafka names them
(``KSTREAM-AGGREGATE-<n>``, store ``KSTREAM-AGGREGATE-STATE-STORE-<n>`` unless materialized
under a name).

Example:
    >>> from raystreams import StreamsBuilder, Serdes, Consumed, Materialized
    >>> from raystreams.dsl.windows import TimeWindows
    >>> b = StreamsBuilder()
    >>> counts = (b.stream("events", Consumed.with_(Serdes.String(), Serdes.String()))
    ...     .group_by_key()
    ...     .windowed_by(TimeWindows.of_size_with_no_grace(600_000))
    ...     .count(Materialized.as_("counts")))
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from raystreams.dsl.params import Materialized, Named
from raystreams.dsl.window_materialize import (
    session_store_builder,
    sliding_window_store_builder,
    window_store_builder,
)
from raystreams.dsl.windows import (
    EmitStrategy,
    SessionWindows,
    SlidingWindows,
    TimeWindows,
    UnlimitedWindows,
)
from raystreams.errors import IllegalArgumentException, TopologyException
from raystreams.processor.window_aggregate import (
    KStreamSessionWindowAggregate,
    KStreamSlidingWindowAggregate,
    KStreamWindowAggregate,
)
from raystreams.serde import Serdes, SessionWindowedSerde, TimeWindowedSerde

__all__ = [
    "SessionWindowedCogroupedKStream",
    "SessionWindowedKStream",
    "TimeWindowedCogroupedKStream",
    "TimeWindowedKStream",
    "cogrouped_windowed_by",
    "windowed_by",
]

AGGREGATE_NAME = "KSTREAM-AGGREGATE-"
REDUCE_NAME = "KSTREAM-REDUCE-"
COGROUP_AGGREGATE_NAME = "COGROUPKSTREAM-AGGREGATE-"


def windowed_by(grouped: Any, windows: Any) -> TimeWindowedKStream | SessionWindowedKStream:
    """``KGroupedStream.windowed_by``: a windowed view of a grouped stream.

    Raises:
        TopologyException: ``windows`` is not TimeWindows, SlidingWindows or SessionWindows.
    """
    if isinstance(windows, TimeWindows | SlidingWindows | UnlimitedWindows):
        return TimeWindowedKStream(grouped, windows)
    if isinstance(windows, SessionWindows):
        return SessionWindowedKStream(grouped, windows)
    raise TopologyException(f"windowed_by() takes TimeWindows, SlidingWindows, "
                            f"UnlimitedWindows or SessionWindows, got {windows!r}")


def cogrouped_windowed_by(cogrouped: Any, windows: Any) -> Any:
    """``CogroupedKStream.windowed_by``: windowed cogrouped aggregation."""
    if isinstance(windows, TimeWindows | SlidingWindows | UnlimitedWindows):
        return TimeWindowedCogroupedKStream(cogrouped, windows)
    if isinstance(windows, SessionWindows):
        return SessionWindowedCogroupedKStream(cogrouped, windows)
    raise TopologyException(f"windowed_by() takes TimeWindows, SlidingWindows, "
                            f"UnlimitedWindows or SessionWindows, got {windows!r}")


# ----------------------------------------------------------------------------- helpers
def _check_fn(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TopologyException(f"{what} must be callable, got {fn!r}")


def _options(args: tuple[Any, ...], named: Any, materialized: Any,
             method: str) -> tuple[str | None, Materialized | None]:
    """Sort Kafka's overloads (``Named``, ``Materialized``, both) out of positional args."""
    for arg in args:
        if isinstance(arg, Materialized):
            if materialized is not None:
                raise TopologyException(f"{method}() got two Materialized")
            materialized = arg
        elif isinstance(arg, Named | str):
            if named is not None:
                raise TopologyException(f"{method}() got two names")
            named = arg
        elif arg is not None:
            raise TopologyException(f"{method}() takes a Named and/or a Materialized, got {arg!r}")
    if named is not None and not isinstance(named, Named | str):
        raise TopologyException(f"named must be a Named or a string, got {named!r}")
    if materialized is not None and not isinstance(materialized, Materialized):
        raise TopologyException(f"materialized must be a Materialized, got {materialized!r}")
    name = Named(named).name if isinstance(named, str) else (named.name if named else None)
    return name, materialized


def _resolve(materialized: Materialized | None, builder: Any, prefix: str) -> tuple[Materialized, str | None]:
    """A private copy with a store name; also the queryable name (Kafka's MaterializedInternal)."""
    m = copy.copy(materialized) if materialized is not None else Materialized()
    m.topic_config = dict(m.topic_config)
    if m.store_supplier is not None:
        m.store_name = getattr(m.store_supplier, "name", m.store_name)
    queryable = m.store_name
    if m.store_name is None:
        m.store_name = builder.new_store_name(prefix)
    return m, queryable


def _count_initializer() -> int:
    return 0


def _count_aggregator(key: Any, value: Any, aggregate: int) -> int:
    return aggregate + 1


def _count_merger(key: Any, agg_one: int, agg_two: int) -> int:
    return agg_one + agg_two


def _reduce_initializer() -> None:
    return None


class _ReduceAggregator:
    """``reducer`` as an aggregator: the first value starts the aggregate."""

    __slots__ = ("reducer",)

    def __init__(self, reducer: Callable[[Any, Any], Any]) -> None:
        self.reducer = reducer

    def __call__(self, key: Any, value: Any, aggregate: Any) -> Any:
        return value if aggregate is None else self.reducer(aggregate, value)


class _MergerFromAggregator:
    """Kafka's session reduce merger: ``aggregator(key, agg_two, agg_one)``."""

    __slots__ = ("aggregator",)

    def __init__(self, aggregator: Callable[[Any, Any, Any], Any]) -> None:
        self.aggregator = aggregator

    def __call__(self, key: Any, agg_one: Any, agg_two: Any) -> Any:
        return self.aggregator(key, agg_two, agg_one)


class _WindowedStreamBase:
    """What the windowed grouped streams share: the grouped stream, windows, emit strategy."""

    def __init__(self, grouped: Any, windows: Any) -> None:
        self.grouped = grouped
        self.windows = windows
        self.builder = grouped.builder
        self.name = grouped.name
        self.key_serde = grouped.key_serde
        self.value_serde = grouped.value_serde
        self.source_nodes = grouped.source_nodes
        self.graph_node = grouped.graph_node
        self._emit_strategy = EmitStrategy.on_window_update()

    def emit_strategy(self, strategy: EmitStrategy) -> Any:
        """When results are emitted: every update (default) or once per window after it closes."""
        if not isinstance(strategy, EmitStrategy):
            raise TopologyException(f"emit_strategy() takes an EmitStrategy, got {strategy!r}")
        self._emit_strategy = strategy
        return self

    def _build(self, function_name: str, store_builder: Any, supplier: Any, queryable: str | None,
               key_serde: Any, value_serde: Any, grace_ms: int) -> Any:
        table = self.grouped.build_aggregate(function_name, store_builder, supplier, queryable,
                                             key_serde, value_serde)
        # Kafka's GracePeriodGraphNode: suppress(until_window_closes) looks for it upstream.
        table.graph_node.grace_period_ms = grace_ms
        return table


class TimeWindowedKStream(_WindowedStreamBase):
    """A grouped stream over time windows (tumbling, hopping) or sliding windows.

    Kafka Streams' ``TimeWindowedKStream``.
    """

    @property
    def _sliding(self) -> bool:
        return isinstance(self.windows, SlidingWindows)

    def _window_size(self) -> int:
        w = self.windows
        return w.time_difference_ms if self._sliding else w.size_ms

    def _windowed_serde(self, key_serde: Any) -> Any:
        return None if key_serde is None else TimeWindowedSerde(key_serde, self._window_size())

    def _store(self, m: Materialized) -> Any:
        if self._sliding:
            return sliding_window_store_builder(m, self.windows, self._emit_strategy, m.key_serde,
                                                m.value_serde, self.builder)
        return window_store_builder(m, self.windows, self._emit_strategy, m.key_serde,
                                    m.value_serde, self.builder)

    def _supplier(self, store_name: str, initializer: Any, aggregator: Any) -> Any:
        if self._sliding:
            return KStreamSlidingWindowAggregate(store_name, self.windows, self._emit_strategy,
                                                 initializer, aggregator)
        supplier = KStreamWindowAggregate(store_name, self.windows, self._emit_strategy,
                                          initializer, aggregator)
        if supplier.emit_final and not hasattr(self.windows, "advance_ms"):
            raise IllegalArgumentException("ON_WINDOW_CLOSE strategy is only supported for "
                                           "TimeWindows and SlidingWindows for TimeWindowedKStream")
        return supplier

    def _finish(self, prefix: str, named: str | None, m: Materialized, queryable: str | None,
                initializer: Any, aggregator: Any) -> Any:
        function_name = self.builder.name_or_generate(named, prefix)
        store_builder = self._store(m)
        supplier = self._supplier(m.store_name, initializer, aggregator)
        return self._build(function_name, store_builder, supplier, queryable,
                           self._windowed_serde(m.key_serde), m.value_serde,
                           self.windows.grace_ms)

    def count(self, *args: Any, named: Named | str | None = None,
              materialized: Materialized | None = None) -> Any:
        """Count the records of each key and window: a ``KTable[Windowed[K], int]``.

        Takes Kafka's overloads: ``count()``, ``count(Named)``, ``count(Materialized)``,
        ``count(Named, Materialized)`` (or the keywords).
        """
        name, materialized = _options(args, named, materialized, "count")
        if materialized is not None and materialized.store_name is None \
                and materialized.store_supplier is None and not self._sliding:
            # Kafka burns a store name here, for topology compatibility.
            self.builder.new_store_name(AGGREGATE_NAME)
        m, queryable = _resolve(materialized, self.builder, AGGREGATE_NAME)
        if m.key_serde is None:
            m.key_serde = self.key_serde
        if m.value_serde is None:
            m.value_serde = Serdes.Long()
        return self._finish(AGGREGATE_NAME, name, m, queryable, _count_initializer,
                            _count_aggregator)

    def reduce(self, reducer: Callable[[Any, Any], Any], *args: Any,
               named: Named | str | None = None, materialized: Materialized | None = None) -> Any:
        """Combine each key's values per window with ``reducer(aggregate, value)``."""
        _check_fn(reducer, "reduce()'s reducer")
        name, materialized = _options(args, named, materialized, "reduce")
        m, queryable = _resolve(materialized, self.builder, REDUCE_NAME)
        if m.key_serde is None:
            m.key_serde = self.key_serde
        if m.value_serde is None:
            m.value_serde = self.value_serde
        return self._finish(REDUCE_NAME, name, m, queryable, _reduce_initializer,
                            _ReduceAggregator(reducer))

    def aggregate(self, initializer: Callable[[], Any],
                  aggregator: Callable[[Any, Any, Any], Any], *args: Any,
                  named: Named | str | None = None,
                  materialized: Materialized | None = None) -> Any:
        """Fold each key's values per window: ``aggregator(key, value, aggregate)``, from ``initializer()``."""
        _check_fn(initializer, "aggregate()'s initializer")
        _check_fn(aggregator, "aggregate()'s aggregator")
        name, materialized = _options(args, named, materialized, "aggregate")
        m, queryable = _resolve(materialized, self.builder, AGGREGATE_NAME)
        if m.key_serde is None:
            m.key_serde = self.key_serde
        return self._finish(AGGREGATE_NAME, name, m, queryable, initializer, aggregator)


class SessionWindowedKStream(_WindowedStreamBase):
    """A grouped stream over session windows (Kafka Streams' ``SessionWindowedKStream``)."""

    def _finish(self, prefix: str, named: str | None, m: Materialized, queryable: str | None,
                initializer: Any, aggregator: Any, merger: Any) -> Any:
        function_name = self.builder.name_or_generate(named, prefix)
        store_builder = session_store_builder(m, self.windows, self._emit_strategy, m.key_serde,
                                              m.value_serde, self.builder)
        supplier = KStreamSessionWindowAggregate(m.store_name, self.windows, self._emit_strategy,
                                                 initializer, aggregator, merger)
        key_serde = None if m.key_serde is None else SessionWindowedSerde(m.key_serde)
        return self._build(function_name, store_builder, supplier, queryable, key_serde,
                           m.value_serde, self.windows.grace_ms + self.windows.gap_ms)

    def count(self, *args: Any, named: Named | str | None = None,
              materialized: Materialized | None = None) -> Any:
        """Count the records of each key and session: a ``KTable[Windowed[K], int]``."""
        name, materialized = _options(args, named, materialized, "count")
        if materialized is not None and materialized.store_name is None \
                and materialized.store_supplier is None:
            self.builder.new_store_name(AGGREGATE_NAME)  # Kafka burns one, for compatibility
        m, queryable = _resolve(materialized, self.builder, AGGREGATE_NAME)
        if m.key_serde is None:
            m.key_serde = self.key_serde
        if m.value_serde is None:
            m.value_serde = Serdes.Long()
        return self._finish(AGGREGATE_NAME, name, m, queryable, _count_initializer,
                            _count_aggregator, _count_merger)

    def reduce(self, reducer: Callable[[Any, Any], Any], *args: Any,
               named: Named | str | None = None, materialized: Materialized | None = None) -> Any:
        """Combine each key's values per session with ``reducer(aggregate, value)``."""
        _check_fn(reducer, "reduce()'s reducer")
        name, materialized = _options(args, named, materialized, "reduce")
        m, queryable = _resolve(materialized, self.builder, REDUCE_NAME)
        if m.key_serde is None:
            m.key_serde = self.key_serde
        if m.value_serde is None:
            m.value_serde = self.value_serde
        aggregator = _ReduceAggregator(reducer)
        return self._finish(REDUCE_NAME, name, m, queryable, _reduce_initializer, aggregator,
                            _MergerFromAggregator(aggregator))

    def aggregate(self, initializer: Callable[[], Any],
                  aggregator: Callable[[Any, Any, Any], Any],
                  merger: Callable[[Any, Any, Any], Any], *args: Any,
                  named: Named | str | None = None,
                  materialized: Materialized | None = None) -> Any:
        """Fold each key's values per session; ``merger(key, agg1, agg2)`` joins merged sessions."""
        _check_fn(initializer, "aggregate()'s initializer")
        _check_fn(aggregator, "aggregate()'s aggregator")
        _check_fn(merger, "aggregate()'s session merger")
        name, materialized = _options(args, named, materialized, "aggregate")
        m, queryable = _resolve(materialized, self.builder, AGGREGATE_NAME)
        if m.key_serde is None:
            m.key_serde = self.key_serde
        return self._finish(AGGREGATE_NAME, name, m, queryable, initializer, aggregator, merger)


# ----------------------------------------------------------------------------- cogrouped
class _GraceNodeFactory:
    """Makes each cogroup aggregate's graph node: owns the shared store, carries the grace."""

    def __init__(self, store_builder: Any, grace_ms: int) -> None:
        self.store_builder = store_builder
        self.grace_ms = grace_ms

    def __call__(self, name: str, supplier: Any) -> Any:
        from raystreams.dsl.ktable import StoreProcessorGraphNode

        node = StoreProcessorGraphNode(name, supplier)
        node.store_builders.append(self.store_builder)
        node.grace_period_ms = self.grace_ms
        return node


class _SupplierFactory:
    __slots__ = ("cls", "args", "extra")

    def __init__(self, cls: Any, *args: Any, extra: tuple[Any, ...] = ()) -> None:
        self.cls = cls
        self.args = args
        self.extra = extra

    def __call__(self, aggregator: Any) -> Any:
        return self.cls(*self.args, aggregator, *self.extra)


class _CogroupedWindowedBase:
    def __init__(self, cogrouped: Any, windows: Any) -> None:
        self.cogrouped = cogrouped
        self.windows = windows
        self.builder = cogrouped.builder

    def _resolve(self, args: tuple[Any, ...], named: Any, materialized: Any
                 ) -> tuple[str | None, Materialized, str | None]:
        name, materialized = _options(args, named, materialized, "aggregate")
        m, queryable = _resolve(materialized, self.builder, COGROUP_AGGREGATE_NAME)
        return name, m, queryable


class TimeWindowedCogroupedKStream(_CogroupedWindowedBase):
    """Cogrouped streams over time or sliding windows (Kafka's ``TimeWindowedCogroupedKStream``)."""

    def aggregate(self, initializer: Callable[[], Any], *args: Any,
                  named: Named | str | None = None,
                  materialized: Materialized | None = None) -> Any:
        """Fold every cogrouped stream into one windowed aggregate, from ``initializer()``."""
        _check_fn(initializer, "aggregate()'s initializer")
        name, m, queryable = self._resolve(args, named, materialized)
        update = EmitStrategy.on_window_update()
        w = self.windows
        if isinstance(w, SlidingWindows):
            store_builder = sliding_window_store_builder(m, w, update, m.key_serde,
                                                         m.value_serde, self.builder)
            make = _SupplierFactory(KStreamSlidingWindowAggregate, m.store_name, w, update,
                                    initializer)
            size = w.time_difference_ms
        else:
            store_builder = window_store_builder(m, w, update, m.key_serde, m.value_serde,
                                                 self.builder)
            make = _SupplierFactory(KStreamWindowAggregate, m.store_name, w, update, initializer)
            size = w.size_ms
        key_serde = None if m.key_serde is None else TimeWindowedSerde(m.key_serde, size)
        return self.cogrouped.build(make, store_builder, name, queryable, key_serde,
                                    m.value_serde,
                                    node_factory=_GraceNodeFactory(store_builder, w.grace_ms))


class SessionWindowedCogroupedKStream(_CogroupedWindowedBase):
    """Cogrouped streams over session windows (Kafka's ``SessionWindowedCogroupedKStream``)."""

    def aggregate(self, initializer: Callable[[], Any],
                  session_merger: Callable[[Any, Any, Any], Any], *args: Any,
                  named: Named | str | None = None,
                  materialized: Materialized | None = None) -> Any:
        """Fold every cogrouped stream into one session aggregate; merged sessions use
        ``session_merger(key, agg1, agg2)``."""
        _check_fn(initializer, "aggregate()'s initializer")
        _check_fn(session_merger, "aggregate()'s session merger")
        name, m, queryable = self._resolve(args, named, materialized)
        update = EmitStrategy.on_window_update()
        w = self.windows
        store_builder = session_store_builder(m, w, update, m.key_serde, m.value_serde,
                                              self.builder)
        make = _SupplierFactory(KStreamSessionWindowAggregate, m.store_name, w, update,
                                initializer, extra=(session_merger,))
        key_serde = None if m.key_serde is None else SessionWindowedSerde(m.key_serde)
        return self.cogrouped.build(make, store_builder, name, queryable, key_serde,
                                    m.value_serde,
                                    node_factory=_GraceNodeFactory(store_builder,
                                                                   w.grace_ms + w.gap_ms))
