"""The import rules of docs/ARCHITECTURE.md, checked on every module's imports (ast).

The rule table is read from the document itself, so the page and the check cannot drift:
each raystreams module belongs to a unit (its package under ``raystreams/``, a top-level
module, or ``processor.api``), and every ``import`` it makes, at any depth, must name its own
unit or one the table allows (the Streamlit app under ``inspector/`` is checked too); the
third-party I/O libraries (``ray``, ``confluent_kafka``, ``rocksdict``, ``streamlit``) only
where the table lists them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "raystreams"
FENCED = {"ray", "confluent_kafka", "rocksdict", "streamlit"}


def _rules() -> dict[str, tuple[set[str] | None, set[str]]]:
    text = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    table = text.split("<!-- import-rules: begin -->")[1].split("<!-- import-rules: end -->")[0]
    rules: dict[str, tuple[set[str] | None, set[str]]] = {}
    for line in table.strip().splitlines()[2:]:
        unit, allowed, third = (cell.strip() for cell in line.strip().strip("|").split("|"))
        names = {n.strip() for n in allowed.split(",") if n.strip()}
        rules[unit] = (None if names == {"*"} else names,
                       {n.strip() for n in third.split(",") if n.strip()})
    return rules


RULES = _rules()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    """``raystreams.dsl.kstream`` → ``dsl``; ``raystreams.processor.api`` → ``processor.api``;
    ``raystreams`` → ``__init__``; any ``__main__`` → ``cli``."""
    if module.split(".")[0] == "inspector":  # the Streamlit app beside the package
        return "inspector"
    parts = module.split(".")[1:]
    if not parts:
        return "__init__"
    if parts[-1] == "__main__":  # ``python -m raystreams.x``: a launcher, as the CLI is
        return "cli"
    if parts[:2] == ["processor", "api"]:
        return "processor.api"
    return parts[0]


def _imports(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """Every module name ``source`` imports, with its line (relative imports resolved)."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name == "raystreams.processor" or (name == "raystreams" and node.level == 0):
                # `from raystreams.processor import api` names submodules: check each
                found.extend((node.lineno, f"{name}.{a.name}") for a in node.names)
            else:
                found.append((node.lineno, name))
    return sorted(found)


MODULES = sorted(PACKAGE.rglob("*.py")) + sorted((ROOT / "inspector").rglob("*.py"))


def test_the_rule_table_covers_every_unit():
    units = {_unit(_module_name(p)) for p in MODULES}
    assert units <= set(RULES), f"units without a row in docs/ARCHITECTURE.md: {units - set(RULES)}"
    for unit, (allowed, _) in RULES.items():
        assert allowed is None or allowed <= set(RULES), f"{unit} allows unknown units"


def _violations(source: str, module: str, is_package: bool = False) -> list[str]:
    unit = _unit(module)
    allowed, third_party = RULES[unit]
    broken = []
    for line, name in _imports(source, module, is_package):
        top = name.split(".")[0]
        if top == "raystreams":
            target = _unit(name) if name != "raystreams" else "__init__"
            if target != unit and allowed is not None and target not in allowed:
                broken.append(f"line {line}: {name} ({unit} may not import {target})")
        elif top in FENCED and top not in third_party:
            broken.append(f"line {line}: {name} ({unit} may not import {top})")
    return broken


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_follow_the_rules(path: Path):
    module = _module_name(path)
    broken = _violations(path.read_text(), module, path.name == "__init__.py")
    assert not broken, f"{module} breaks the import rules of docs/ARCHITECTURE.md:\n" + \
        "\n".join(broken)


def test_the_check_sees_violations():
    source = ("import ray\n"
              "def f():\n"
              "    from raystreams.runtime import task_actor\n"
              "    from ..dsl import kstream\n"
              "from raystreams.processor import api, stateless\n"
              "from raystreams.state.types import ValueAndTimestamp\n")
    assert _violations(source, "raystreams.engine.task") == [
        "line 1: ray (engine may not import ray)",
        "line 3: raystreams.runtime (engine may not import runtime)",
        "line 4: raystreams.dsl (engine may not import dsl)",
    ]
    assert _violations(source, "raystreams.processor.api") == [
        "line 1: ray (processor.api may not import ray)",
        "line 3: raystreams.runtime (processor.api may not import runtime)",
        "line 4: raystreams.dsl (processor.api may not import dsl)",
        "line 5: raystreams.processor.stateless (processor.api may not import processor)",
        "line 6: raystreams.state.types (processor.api may not import state)",
    ]
    assert _violations(source, "raystreams.runtime.supervisor") == [
        "line 4: raystreams.dsl (runtime may not import dsl)",
    ]
