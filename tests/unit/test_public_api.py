"""The import paths DESIGN.md fixes as the public contract."""

from __future__ import annotations

import importlib

import raystreams

CONTRACT = ["StreamsBuilder", "Topology", "KafkaStreams", "StreamsConfig", "Serdes", "Consumed",
            "Produced", "Grouped", "Materialized", "Joined", "StreamJoined", "Named", "Branched",
            "TimeWindows", "SlidingWindows", "SessionWindows", "JoinWindows", "Suppressed",
            "BufferConfig", "Windowed", "Record", "Processor", "ProcessorContext",
            "PunctuationType", "Stores"]


def test_every_contract_name_is_exported():
    assert set(CONTRACT) <= set(raystreams.__all__)
    for name in CONTRACT:
        if name == "KafkaStreams" and importlib.util.find_spec(
                "raystreams.runtime.kafka_streams") is None:
            continue  # the runtime module is checked by the runtime tests
        assert getattr(raystreams, name) is not None, name


def test_every_export_resolves():
    for name in raystreams.__all__:
        module = raystreams._EXPORTS[name]
        if importlib.util.find_spec(module) is None:
            raise AssertionError(f"{name}: module {module} does not exist")
        assert getattr(raystreams, name).__name__ == name


def test_testing_module_names():
    from raystreams.testing import TestInputTopic, TestOutputTopic, TopologyTestDriver

    assert TopologyTestDriver and TestInputTopic and TestOutputTopic


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, raystreams; print('ray' in sys.modules, 'confluent_kafka' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_type_checking_imports_cover_every_export():
    """Type checkers see the lazy names through the ``if TYPE_CHECKING:`` block of
    ``raystreams/__init__.py``; it must import each exported name from its ``_EXPORTS`` module."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(raystreams.__file__).read_text())
    blocks = [node for node in tree.body if isinstance(node, ast.If)
              and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    assert len(blocks) == 1
    imported = {alias.asname or alias.name: node.module for node in blocks[0].body
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert imported == raystreams._EXPORTS
    assert sorted(imported) == raystreams.__all__
