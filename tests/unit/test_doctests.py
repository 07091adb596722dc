"""Docstring examples run: every ``>>>`` example in the raystreams package, one test per module.

Examples that need a broker or Ray are marked ``# doctest: +SKIP``; the rest run on the driver.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import raystreams


def _modules_with_examples() -> list[str]:
    names = []
    finder = doctest.DocTestFinder()
    for info in pkgutil.walk_packages(raystreams.__path__, "raystreams."):
        if info.name.endswith("__main__"):  # importing it runs the command line
            continue
        if any(test.examples for test in finder.find(importlib.import_module(info.name))):
            names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_examples_are_found():
    assert {"raystreams.dsl.builder", "raystreams.testing.driver", "raystreams.errors"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, out.getvalue()
