"""RocksDB options for raystreams stores (Kafka's ``RocksDBStore`` defaults, adapted).

The write-ahead log is off, as in Kafka Streams: the changelog is the durable copy, and a
store's ``flush()`` persists memtables before the task writes its checkpoint. A block cache is
shared by all stores of the process so that many small stores do not each reserve one.
A ``rocksdb.config.setter`` config value (a callable ``(store_name, options, config)`` or an
object with ``set_config``, as Kafka's ``RocksDBConfigSetter``) may change the options further.
"""

from __future__ import annotations

from typing import Any

from rocksdict import BlockBasedOptions, Cache, DBCompressionType, Options, WriteOptions

from raystreams.config.keys import ROCKSDB_CONFIG_SETTER_CLASS_CONFIG
from raystreams.state.context import config_value

__all__ = ["BLOCK_CACHE_BYTES", "make_options", "make_write_options"]

BLOCK_CACHE_BYTES = 64 * 1024 * 1024

_block_cache: Cache | None = None


def _shared_block_cache() -> Cache:
    global _block_cache
    if _block_cache is None:
        _block_cache = Cache(BLOCK_CACHE_BYTES)
    return _block_cache


def make_options(store_name: str, config: Any = None) -> Options:
    """Options for the database (or a column family) of store ``store_name``."""
    opts = Options(raw_mode=True)
    opts.create_if_missing(True)
    opts.create_missing_column_families(True)
    opts.set_write_buffer_size(16 * 1024 * 1024)
    opts.set_max_write_buffer_number(3)
    opts.set_max_background_jobs(2)
    opts.set_compression_type(DBCompressionType.lz4())
    opts.set_keep_log_file_num(2)
    opts.set_max_log_file_size(1024 * 1024)
    table = BlockBasedOptions()
    table.set_block_size(16 * 1024)
    table.set_bloom_filter(10, False)
    table.set_cache_index_and_filter_blocks(True)
    table.set_block_cache(_shared_block_cache())
    opts.set_block_based_table_factory(table)
    setter = config_value(config, ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)
    if setter is not None:
        apply = getattr(setter, "set_config", setter)
        apply(store_name, opts, config)
    return opts


def make_write_options() -> WriteOptions:
    wo = WriteOptions()
    wo.disable_wal = True
    return wo
