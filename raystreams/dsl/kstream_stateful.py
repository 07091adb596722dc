"""KStream's stateful operations: group_by, group_by_key, to_table (a mixin of KStream)."""

from __future__ import annotations


class KStreamStatefulMixin:
    """Filled by the stateful DSL: ``group_by``, ``group_by_key``, ``to_table``."""
