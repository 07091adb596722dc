"""The processors a KTable compiles to, and their value getters: one module per family.

A KTable processor receives and forwards ``Change(new, old)`` values. Its supplier is a
**KTable processor supplier**: calling it makes a new Processor; ``view()`` gives a
``KTableValueGetterSupplier`` (read the table's current value for a key, from the processor's
own store or computed through its parent's getter); ``enable_send_old_values(force)`` asks it
to fill ``Change.old_value`` (and returns whether it can).

When a processor writes to a store with caching on, it does not forward by itself: the store
calls the flush listener on commit, which forwards as if the processor were running
(``forwarder``: Kafka's TimestampedTupleForwarder + TimestampedCacheFlushListener).

Modules (Kafka's class in brackets): ``source`` (KTableSource), ``filter`` (KTableFilter),
``map_values`` (KTableMapValues), ``transform_values`` (KTableTransformValues), ``to_stream``,
``repartition_map`` (KTableRepartitionMap), ``pass_through`` (KTablePassThrough); what they
share: ``derived``, ``getters`` (KTableMaterializedValueGetterSupplier), ``store_wrapper``
(KeyValueStoreWrapper), ``forwarder``.
"""

from raystreams.processor.ktable.filter import KTableFilterProcessor, KTableFilterSupplier
from raystreams.processor.ktable.forwarder import TupleForwarder
from raystreams.processor.ktable.getters import (
    MaterializedValueGetter,
    MaterializedValueGetterSupplier,
)
from raystreams.processor.ktable.map_values import KTableMapValuesProcessor, KTableMapValuesSupplier
from raystreams.processor.ktable.pass_through import (
    KTablePassThroughProcessor,
    KTablePassThroughSupplier,
)
from raystreams.processor.ktable.repartition_map import (
    KTableRepartitionMapProcessor,
    KTableRepartitionMapSupplier,
)
from raystreams.processor.ktable.source import KTableSourceProcessor, KTableSourceSupplier
from raystreams.processor.ktable.store_wrapper import KeyValueStoreWrapper
from raystreams.processor.ktable.to_stream import KTableToStreamProcessor
from raystreams.processor.ktable.transform_values import (
    ForwardingDisabledContext,
    KTableTransformValuesProcessor,
    KTableTransformValuesSupplier,
)

__all__ = [
    "ForwardingDisabledContext",
    "KTableFilterProcessor",
    "KTableFilterSupplier",
    "KTableMapValuesProcessor",
    "KTableMapValuesSupplier",
    "KTablePassThroughProcessor",
    "KTablePassThroughSupplier",
    "KTableRepartitionMapProcessor",
    "KTableRepartitionMapSupplier",
    "KTableSourceProcessor",
    "KTableSourceSupplier",
    "KTableToStreamProcessor",
    "KTableTransformValuesProcessor",
    "KTableTransformValuesSupplier",
    "KeyValueStoreWrapper",
    "MaterializedValueGetter",
    "MaterializedValueGetterSupplier",
    "TupleForwarder",
]
