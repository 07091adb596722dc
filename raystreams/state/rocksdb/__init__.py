"""rocksdict (RocksDB) backends: the key-value store and column-family segments.

Everything runs in raw mode: keys and values are bytes as the serdes made them, never pickled,
so a store's bytes match its changelog's.
"""
