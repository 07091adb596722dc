"""KStream's joins with a KStream, a KTable or a GlobalKTable (a mixin of KStream)."""

from __future__ import annotations


class KStreamJoinsMixin:
    """Filled by the joins work: ``join``, ``left_join``, ``outer_join``."""
