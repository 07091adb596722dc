"""Where the inspector reads from: the one place that picks its ``InspectionSource``.

The live source asks the cluster's supervisors (``RayInspectionSource`` in
``raystreams.runtime.ray_inspection``). Tests and demos name another factory in
``RAYSTREAMS_INSPECTOR_SOURCE`` (or ``--source``) as ``package.module:factory`` or
``path/to/file.py:factory``; the factory is called with the cluster address. This is
operator configuration read at start, never input from the page.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from raystreams.runtime.inspection import InspectionError, InspectionSource

SOURCE_ENV = "RAYSTREAMS_INSPECTOR_SOURCE"
ADDRESS_ENV = "RAYSTREAMS_INSPECTOR_ADDRESS"
APP_ENV = "RAYSTREAMS_INSPECTOR_APP"
TIMEOUT_ENV = "RAYSTREAMS_INSPECTOR_TIMEOUT"
#: seconds a page waits for the cluster before it shows what it has
DEFAULT_TIMEOUT_S = 5.0
DEFAULT_REFRESH_S = 2.0


@dataclass(frozen=True)
class Options:
    """What the inspector was started with (``streamlit run app.py -- --app wc``)."""

    address: str | None = None
    app: str | None = None
    source: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    refresh: float = DEFAULT_REFRESH_S


def parse_options(argv: Sequence[str], environ: dict[str, str] | None = None) -> Options:
    """Options from the script's arguments, falling back to the environment."""
    env = os.environ if environ is None else environ
    parser = argparse.ArgumentParser(prog="inspector/app.py", add_help=False)
    parser.add_argument("--address", default=env.get(ADDRESS_ENV))
    parser.add_argument("--app", default=env.get(APP_ENV))
    parser.add_argument("--source", default=env.get(SOURCE_ENV))
    parser.add_argument("--timeout", type=float,
                        default=float(env.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S))
    parser.add_argument("--refresh", type=float, default=DEFAULT_REFRESH_S)
    known, _ = parser.parse_known_args(list(argv))
    return Options(known.address, known.app, known.source, known.timeout, known.refresh)


def _load_factory(spec: str) -> Callable[..., Any]:
    module_name, sep, attr = spec.rpartition(":")
    if not sep or not module_name or not attr:
        raise InspectionError(f"{SOURCE_ENV} must be 'module:factory' or 'file.py:factory', "
                              f"not {spec!r}")
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        module_spec = importlib.util.spec_from_file_location(f"_inspector_source_{path.stem}",
                                                             path)
        if module_spec is None or module_spec.loader is None or not path.exists():
            raise InspectionError(f"inspection source file {path} not found")
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    try:
        return getattr(module, attr)
    except AttributeError:
        raise InspectionError(f"{module_name} has no {attr}") from None


def load_source(options: Options) -> InspectionSource:
    """The source ``options`` name, else the live one on the cluster at ``options.address``.

    Raises:
        InspectionError: the named factory cannot be loaded.
    """
    if options.source:
        return _load_factory(options.source)(options.address)
    from raystreams.runtime.ray_inspection import RayInspectionSource

    return RayInspectionSource(address=options.address)
