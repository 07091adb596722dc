"""Which store ``KafkaStreams.store()`` reads, and how (Kafka's ``StoreQueryParameters``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from raystreams.state.readonly import QueryableStoreType

__all__ = ["StoreQueryParameters"]


@dataclass(frozen=True)
class StoreQueryParameters:
    """A store name, the query type to read it as, optionally one partition, and whether a
    restoring task may answer (Kafka's ``StoreQueryParameters``).

    Example:
        >>> from raystreams.state import QueryableStoreTypes
        >>> params = StoreQueryParameters.from_store_name_and_type(
        ...     "counts", QueryableStoreTypes.key_value_store()).with_partition(1)
        >>> params.store_name, params.partition, params.stale_stores_enabled
        ('counts', 1, False)
    """

    store_name: str
    query_type: QueryableStoreType
    partition: int | None = None
    stale_stores_enabled: bool = False

    @staticmethod
    def from_store_name_and_type(store_name: str,
                                 query_type: QueryableStoreType) -> StoreQueryParameters:
        if not isinstance(query_type, QueryableStoreType):
            raise TypeError(f"the query type must be one of QueryableStoreTypes' (e.g. "
                            f"QueryableStoreTypes.key_value_store()), got {query_type!r}")
        return StoreQueryParameters(store_name, query_type)

    def with_partition(self, partition: int | None) -> StoreQueryParameters:
        """Read only this partition (Kafka's ``withPartition``)."""
        return replace(self, partition=partition)

    def enable_stale_stores(self) -> StoreQueryParameters:
        """Let a restoring task answer: values may lag the changelog (Kafka's
        ``enableStaleStores``, which also admits standbys)."""
        return replace(self, stale_stores_enabled=True)

    def store_type(self) -> QueryableStoreType:
        """Kafka's ``queryableStoreType()``."""
        return self.query_type
