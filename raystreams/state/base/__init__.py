"""Backend-independent parts of the stores: bytes-store protocols, key schemas, segments.

Like Quix Streams' ``state/base``: ``state/rocksdb`` and ``state/memory`` implement what is
declared here.
"""
