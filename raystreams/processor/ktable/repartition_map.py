"""``KTable.group_by``'s selector (Kafka's KTableRepartitionMap).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Processor, Record, _record
from raystreams.processor.change import Change
from raystreams.processor.ktable.derived import NoPickleParent
from raystreams.state.types import ValueAndTimestamp


class KTableRepartitionMapSupplier(NoPickleParent):
    """``KTable.group_by``'s selector (Kafka's KTableRepartitionMap).

    Maps the new and the old value to ``(key, value)`` pairs; when both land on the same key,
    one ``Change(new, old)`` goes out, otherwise the old pair as ``Change(None, old)`` and
    then the new pair as ``Change(new, None)``. Pairs with a None key or value are dropped.
    """

    def __init__(self, parent: Any, mapper: Callable[[Any, Any], Any],
                 change_serde: Any = None) -> None:
        self._parent = parent
        self.mapper = mapper
        self.change_serde = change_serde
        self.use_versioned_semantics = False

    def enable_send_old_values(self, force_materialization: bool) -> bool:
        raise StreamsException("KTableRepartitionMap should always require sending old values.")

    def view(self) -> Any:
        return _RepartitionMapView(self._parent.value_getter_supplier(), self.mapper)

    def __call__(self) -> KTableRepartitionMapProcessor:
        processor = KTableRepartitionMapProcessor(self.mapper, self.change_serde)
        processor.use_versioned_semantics = self.use_versioned_semantics
        return processor


def _pair(result: Any) -> tuple[Any, Any] | None:
    if result is None:
        return None
    try:
        key, value = result
    except (TypeError, ValueError):
        raise StreamsException(f"group_by()'s selector must return a (key, value) pair, "
                               f"got {result!r}") from None
    return key, value


class KTableRepartitionMapProcessor(Processor):
    def __init__(self, mapper: Callable[[Any, Any], Any], change_serde: Any) -> None:
        self.mapper = mapper
        self.change_serde = change_serde
        self.use_versioned_semantics = False

    def init(self, context: Any) -> None:
        self.context = context
        if self.change_serde is not None:
            self.change_serde.set_if_unset_from(context)

    def process(self, record: Record) -> None:
        key = record.key
        if key is None:
            raise StreamsException("Record key for the grouping KTable should not be null.")
        change = record.value
        if self.use_versioned_semantics and not change.is_latest:
            # an aggregate of a versioned table counts its latest versions only
            return
        new_pair = None if change.new_value is None else _pair(self.mapper(key, change.new_value))
        old_pair = None if change.old_value is None else _pair(self.mapper(key, change.old_value))
        old_ok = old_pair is not None and old_pair[0] is not None and old_pair[1] is not None
        new_ok = new_pair is not None and new_pair[0] is not None and new_pair[1] is not None
        forward = self.context.forward
        ts, headers = record.timestamp, record.headers
        if old_ok and new_ok and old_pair[0] == new_pair[0]:
            forward(_record(old_pair[0], Change(new_pair[1], old_pair[1]), ts, headers))
            return
        if old_ok:
            forward(_record(old_pair[0], Change(None, old_pair[1]), ts, headers))
        if new_ok:
            forward(_record(new_pair[0], Change(new_pair[1], None), ts, headers))


class _RepartitionMapView:
    def __init__(self, parent: Any, mapper: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.mapper = mapper

    def get(self) -> Any:
        return _RepartitionMapGetter(self.parent.get(), self.mapper)

    def store_names(self) -> list[str]:
        raise StreamsException("Underlying state store not accessible due to repartitioning.")


class _RepartitionMapGetter:
    def __init__(self, parent: Any, mapper: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.mapper = mapper
        self.context: Any = None

    def init(self, context: Any) -> None:
        self.context = context
        self.parent.init(context)

    def get(self, key: Any) -> Any:
        vat = self.parent.get(key)
        ts = vat.timestamp if vat is not None else self.context.record_context.timestamp
        return ValueAndTimestamp.make(self.mapper(key, ValueAndTimestamp.get_value_or_null(vat)), ts)

    def close(self) -> None:
        self.parent.close()
