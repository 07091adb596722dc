"""README.md's code blocks marked runnable, for the tests that run them.

A block is marked by an HTML comment on the line before its fence:

- ``<!-- runnable -->``: run as written (a ``bash`` block's commands, a ``python`` block as a
  script). Install steps (a virtualenv, ``pip install``) are not repeated: CI made the
  environment with exactly these steps (tests/unit/test_readme.py checks ``.ci/run`` has them),
  and the commands after them run in it;
- ``<!-- runnable: ci -->``: ``.ci/run`` runs this command, verbatim;
- ``<!-- runnable: terminals -->``: one command per terminal, each line's comment saying what
  it is; the first runs in the background until the last has read what it should.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
_BLOCK = re.compile(r"<!-- runnable(?::\s*(?P<kind>[a-z]+))? -->\n```(?P<lang>\w+)\n(?P<body>.*?)```",
                    re.S)
_INSTALL = (re.compile(r"^python3 -m venv \S+$"), re.compile(r"^\. \S+/bin/activate$"),
            re.compile(r"^(python3 -m )?pip install "))


@dataclass(frozen=True)
class Block:
    kind: str  # "run", "ci" or "terminals"
    lang: str
    body: str

    def commands(self) -> list[str]:
        """The shell commands, one per ``&&``-joined part of each line (comments dropped)."""
        out = []
        for line in self.body.splitlines():
            line = line.split("  #", 1)[0].strip()
            out.extend(part.strip() for part in line.split("&&") if part.strip())
        return out

    def install_steps(self) -> list[str]:
        return [c for c in self.commands() if any(p.match(c) for p in _INSTALL)]

    def run_steps(self) -> list[list[str]]:
        """The commands after the install steps, as argv lists."""
        return [shlex.split(c) for c in self.commands() if not any(p.match(c) for p in _INSTALL)]


def runnable_blocks(text: str | None = None) -> list[Block]:
    text = README.read_text() if text is None else text
    return [Block(m["kind"] or "run", m["lang"], m["body"]) for m in _BLOCK.finditer(text)]
