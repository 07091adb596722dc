"""BranchedKStream: the result of ``KStream.split()`` (Kafka Streams' BranchedKStream)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from raystreams.dsl.graph import ProcessorGraphNode
from raystreams.dsl.params import Branched
from raystreams.errors import TopologyException
from raystreams.processor import stateless as sp

if TYPE_CHECKING:
    from raystreams.dsl.kstream import KStream

BRANCH_NAME = "KSTREAM-BRANCH-"


class BranchedKStream:
    """Adds named branches to a split; ``default_branch()``/``no_default_branch()`` end it.

    Both return a dict from branch name (split name + branch name or index) to KStream, for
    branches that were not consumed by a ``Branched.with_consumer``.
    """

    def __init__(self, source: KStream, name: str | None) -> None:
        from raystreams.dsl.kstream import _Supplier

        self._source = source
        self._builder = source.builder
        self._splitter_name = self._builder.name_or_generate(name, BRANCH_NAME)
        self._predicates: list[Callable[[Any, Any], bool]] = []
        self._children: list[str] = []
        self._default: list[str | None] = [None]
        self._outputs: dict[str, KStream] = {}
        self._ended = False
        self._node = ProcessorGraphNode(
            self._splitter_name,
            _Supplier(sp.BranchProcessor, self._predicates, self._children, self._default))
        self._builder.add_graph_node(source.graph_node, self._node)

    def branch(self, predicate: Callable[[Any, Any], bool],
               branched: Branched | None = None) -> BranchedKStream:
        """Records matching ``predicate`` (and no earlier one) go to this branch."""
        if self._ended:
            raise TopologyException("this split already ended with default_branch/no_default_branch")
        if not callable(predicate):
            raise TopologyException(f"split().branch() needs a predicate, got {predicate!r}")
        self._predicates.append(predicate)
        self._create(branched or Branched(), len(self._predicates))
        return self

    def default_branch(self, branched: Branched | None = None) -> dict[str, KStream]:
        """Records no predicate matched go to this branch; ends the split."""
        child = self._create(branched or Branched(), 0)
        self._default[0] = child
        self._ended = True
        return self._outputs

    def no_default_branch(self) -> dict[str, KStream]:
        """End the split; unmatched records are dropped."""
        self._ended = True
        return self._outputs

    def _create(self, branched: Branched, index: int) -> str:
        from raystreams.dsl.kstream import KStream, _Supplier

        child = self._splitter_name + (branched.name if branched.name is not None else str(index))
        if index != 0:
            self._children.append(child)
        self._builder.new_processor_name(child)  # burns an index, as Kafka does
        node = ProcessorGraphNode(child, _Supplier(sp.PassThroughProcessor))
        self._builder.add_graph_node(self._node, node)
        src = self._source
        stream = KStream(child, src.key_serde, src.value_serde, src.source_nodes,
                         src.repartition_required, node, self._builder)
        if branched.function is not None:
            result = branched.function(stream)
            if result is not None:
                self._outputs[child] = result
        elif branched.consumer is not None:
            branched.consumer(stream)
        else:
            self._outputs[child] = stream
        return child
