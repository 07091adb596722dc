"""Union-find over node names: nodes connected by edges or shared stores form one sub-topology."""

from __future__ import annotations


class NodeGrouper:
    """Kafka Streams' QuickUnion over node names."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}

    def add(self, name: str) -> None:
        self._ids[name] = name

    def root(self, name: str) -> str:
        current = name
        parent = self._ids[current]
        while parent != current:
            grand = self._ids[parent]
            self._ids[current] = grand  # path halving keeps later look-ups short
            current = parent
            parent = grand
        return current

    def unite(self, name: str, *others: str) -> None:
        for other in others:
            a, b = self.root(name), self.root(other)
            if a != b:
                self._ids[b] = a
