"""Window and session store builders of windowed aggregations, made from a ``Materialized``.

Kafka Streams' ``WindowStoreMaterializer``, ``SlidingWindowStoreMaterializer`` and
``SessionStoreMaterializer``: the store is timestamped (window) or plain (session), persistent
unless the Materialized (or ``default.dsl.store``) says ``in_memory``; its retention is the
Materialized's retention if set, else the least the windows need; a retention below that
minimum is an error with Kafka's message. Caching and logging follow the Materialized
(sliding and session windows turn caching off under emit-on-window-close, as Kafka does).
"""

from __future__ import annotations

from typing import Any

from raystreams.config.keys import (
    DEFAULT_DSL_STORE_CONFIG,
    WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG,
)
from raystreams.dsl.windows import SessionWindows, SlidingWindows, duration_ms
from raystreams.errors import IllegalArgumentException

__all__ = ["session_store_builder", "sliding_window_store_builder", "window_store_builder",
           "store_type_of"]

ON_WINDOW_CLOSE = "ON_WINDOW_CLOSE"


def store_type_of(materialized: Any, builder: Any = None) -> str:
    """``"rocks_db"`` or ``"in_memory"``: the Materialized's choice, else the builder config's."""
    chosen = getattr(materialized, "store_type", None)
    if chosen:
        return chosen
    config = getattr(builder, "config", None)
    if config is not None:
        try:
            value = config.get(DEFAULT_DSL_STORE_CONFIG)
        except Exception:  # noqa: BLE001 - a config that cannot answer: the default
            value = None
        if value is not None and str(value).lower() in ("in_memory", "in-memory"):
            return "in_memory"
    return "rocks_db"


def _retention(materialized: Any, minimum: int) -> int:
    retention = getattr(materialized, "retention", None)
    if retention is None:
        return minimum
    return duration_ms(retention, "retention")


DEFAULT_ADDITIONAL_RETENTION_MS = 86_400_000


def _additional_retention(builder: Any) -> int:
    config = getattr(builder, "config", None)
    if config is not None:
        try:
            value = config.get(WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG)
        except Exception:  # noqa: BLE001 - a config that cannot answer: the default
            value = None
        if value is not None:
            return duration_ms(value, WINDOW_STORE_CHANGE_LOG_ADDITIONAL_RETENTION_MS_CONFIG)
    return DEFAULT_ADDITIONAL_RETENTION_MS


def _changelog_config(materialized: Any, retention: int, builder: Any) -> dict[str, str]:
    """Kafka's WindowedChangelogTopicConfig: compact+delete, retention plus the additional
    retention (``windowstore.changelog.additional.retention.ms``), unless the user set them."""
    configs = {"cleanup.policy": "compact,delete",
               "retention.ms": str(retention + _additional_retention(builder))}
    configs.update(materialized.topic_config)
    return configs


def _finish(store_builder: Any, materialized: Any, caching: bool, retention: int,
            builder: Any) -> Any:
    if materialized.logging_enabled:
        store_builder.with_logging_enabled(_changelog_config(materialized, retention, builder))
    else:
        store_builder.with_logging_disabled()
    if caching:
        store_builder.with_caching_enabled()
    else:
        store_builder.with_caching_disabled()
    return store_builder


def _is_emit_final(emit_strategy: Any) -> bool:
    return getattr(emit_strategy, "type", emit_strategy) == ON_WINDOW_CLOSE


def window_store_builder(materialized: Any, windows: Any, emit_strategy: Any,
                         key_serde: Any, value_serde: Any, builder: Any = None) -> Any:
    """The timestamped window store of a ``TimeWindows`` aggregation.

    Raises:
        IllegalArgumentException: The retention is smaller than window size plus grace.
    """
    from raystreams.state import Stores

    name = materialized.store_name
    size, grace = windows.size_ms, windows.grace_ms
    retention = _retention(materialized, size + grace)
    if size + grace > retention:
        raise IllegalArgumentException(
            f"The retention period of the window store {name} must be no smaller than its "
            f"window size plus the grace period. Got size=[{size}], grace=[{grace}], "
            f"retention=[{retention}]")
    supplier = materialized.store_supplier
    if supplier is None:
        if store_type_of(materialized, builder) == "in_memory":
            supplier = Stores.in_memory_window_store(name, retention, size, False)
        elif _is_emit_final(emit_strategy):
            # emit-on-window-close reads closed windows in time order (Kafka's choice)
            supplier = Stores.persistent_timestamped_time_ordered_window_store(
                name, retention, size, False)
        else:
            supplier = Stores.persistent_timestamped_window_store(name, retention, size, False)
    store_builder = Stores.timestamped_window_store_builder(supplier, key_serde, value_serde)
    return _finish(store_builder, materialized, materialized.caching_enabled, retention,
                   builder)


def sliding_window_store_builder(materialized: Any, windows: SlidingWindows, emit_strategy: Any,
                                 key_serde: Any, value_serde: Any, builder: Any = None) -> Any:
    """The timestamped window store of a ``SlidingWindows`` aggregation.

    Raises:
        IllegalArgumentException: The retention is smaller than 2 * time difference plus grace.
    """
    from raystreams.state import Stores

    name = materialized.store_name
    diff, grace = windows.time_difference_ms, windows.grace_ms
    retention = _retention(materialized, 2 * diff + grace)
    if 2 * diff + grace > retention:
        raise IllegalArgumentException(
            f"The retention period of the window store {name} must be no smaller than 2 * time "
            f"difference plus the grace period. Got time difference=[{diff}], grace=[{grace}], "
            f"retention=[{retention}]")
    supplier = materialized.store_supplier
    if supplier is None:
        if store_type_of(materialized, builder) == "in_memory":
            supplier = Stores.in_memory_window_store(name, retention, diff, False)
        elif _is_emit_final(emit_strategy):
            # sliding emit-final fetches one key's windows: the key index keeps that cheap
            supplier = Stores.persistent_timestamped_time_ordered_window_store(
                name, retention, diff, False, has_index=True)
        else:
            supplier = Stores.persistent_timestamped_window_store(name, retention, diff, False)
    store_builder = Stores.timestamped_window_store_builder(supplier, key_serde, value_serde)
    caching = materialized.caching_enabled and not _is_emit_final(emit_strategy)
    return _finish(store_builder, materialized, caching, retention, builder)


def session_store_builder(materialized: Any, windows: SessionWindows, emit_strategy: Any,
                          key_serde: Any, value_serde: Any, builder: Any = None) -> Any:
    """The session store of a ``SessionWindows`` aggregation.

    Raises:
        IllegalArgumentException: The retention is smaller than inactivity gap plus grace.
    """
    from raystreams.state import Stores

    name = materialized.store_name
    gap, grace = windows.gap_ms, windows.grace_ms
    retention = _retention(materialized, gap + grace)
    if gap + grace > retention:
        raise IllegalArgumentException(
            f"The retention period of the session store {name} must be no smaller than the "
            f"session inactivity gap plus the grace period. Got gap=[{gap}], grace=[{grace}], "
            f"retention=[{retention}]")
    supplier = materialized.store_supplier
    if supplier is None:
        if store_type_of(materialized, builder) == "in_memory":
            supplier = Stores.in_memory_session_store(name, retention)
        elif _is_emit_final(emit_strategy):
            supplier = Stores.persistent_time_ordered_session_store(name, retention)
        else:
            supplier = Stores.persistent_session_store(name, retention)
    store_builder = Stores.session_store_builder(supplier, key_serde, value_serde)
    caching = materialized.caching_enabled and not _is_emit_final(emit_strategy)
    return _finish(store_builder, materialized, caching, retention, builder)
