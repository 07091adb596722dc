"""Serde name resolution: a serde, a serde class, a built-in's name, a Java class name or an
importable Python path, made into a serde instance (what serde config keys accept).
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from raystreams.errors import ConfigException
from raystreams.serde.base import Serde, _show
from raystreams.serde.primitives import (
    _BOOLEAN,
    _BYTES,
    _DOUBLE_SERDE,
    _FLOAT_SERDE,
    _INTEGER,
    _JSON,
    _LONG_SERDE,
    _SHORT_SERDE,
    _STRING,
    _UUID,
    _VOID,
)

_BY_NAME: dict[str, Serde[Any]] = {
    "string": _STRING,
    "bytes": _BYTES,
    "bytearray": _BYTES,
    "bytebuffer": _BYTES,
    "short": _SHORT_SERDE,
    "integer": _INTEGER,
    "long": _LONG_SERDE,
    "float": _FLOAT_SERDE,
    "double": _DOUBLE_SERDE,
    "boolean": _BOOLEAN,
    "uuid": _UUID,
    "void": _VOID,
    "json": _JSON,
}
_CANONICAL_NAMES = ["String", "Bytes", "ByteArray", "ByteBuffer", "Short", "Integer", "Long",
                    "Float", "Double", "Boolean", "UUID", "Void", "JSON"]
_JAVA_PREFIXES = ("org.apache.kafka.common.serialization.serdes$",
                  "org.apache.kafka.common.serialization.serdes.",
                  "serdes$", "serdes.")


def _looks_like_serde(obj: Any) -> bool:
    return callable(getattr(obj, "serialize", None)) and callable(getattr(obj, "deserialize", None))


def _builtin_by_name(name: str) -> Serde[Any] | None:
    text = name.strip()
    if text.endswith("()"):
        text = text[:-2]
    lowered = text.lower()
    for prefix in _JAVA_PREFIXES:
        if lowered.startswith(prefix):
            lowered = lowered[len(prefix):]
            break
    if lowered in _BY_NAME:
        return _BY_NAME[lowered]
    if lowered.endswith("serde") and lowered[:-5] in _BY_NAME:
        return _BY_NAME[lowered[:-5]]
    return None


def _import_object(path: str) -> Any:
    if ":" in path:
        module_name, _, attr = path.partition(":")
    else:
        module_name, _, attr = path.rpartition(".")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def resolve_serde(spec: Any, *, key: str = "serde") -> Serde[Any]:
    """Turn a serde, a serde class or a serde name into a serde instance.

    Names are the built-ins' (``"String"``, ``"Long"``, ``"JSON"``, ``"Serdes.Long()"``), Kafka's
    Java class names (``"org.apache.kafka.common.serialization.Serdes$StringSerde"``), or an
    importable Python path (``"package.module:MySerde"``).

    Args:
        spec: What to resolve.
        key: The config key or argument being resolved, named in errors.

    Raises:
        ConfigException: ``spec`` names no serde or cannot be made into one.
    """
    if isinstance(spec, Serde):
        return spec
    if isinstance(spec, type):
        if issubclass(spec, Serde) or _looks_like_serde(spec):
            try:
                return spec()
            except TypeError as e:
                raise ConfigException(
                    key, f"Serde class {spec.__qualname__} for '{key}' cannot be created without "
                         f"arguments ({e}); pass an instance instead.") from e
        raise ConfigException(key, f"Class {spec.__qualname__} given for '{key}' is not a serde: "
                                   "it needs serialize(topic, data) and deserialize(topic, data).")
    if isinstance(spec, str):
        found = _builtin_by_name(spec)
        if found is not None:
            return found
        if "." in spec or ":" in spec:
            try:
                obj = _import_object(spec.strip())
            except (ImportError, AttributeError, ValueError) as e:
                raise ConfigException(
                    key, f"Serde {spec!r} for '{key}' is neither a built-in serde nor an importable "
                         f"Python path ({type(e).__name__}: {e}).", allowed=_CANONICAL_NAMES) from e
            if isinstance(obj, str):
                raise ConfigException(key, f"Serde path {spec!r} for '{key}' names a string, not a serde.")
            return resolve_serde(obj, key=key)
        close = difflib.get_close_matches(spec.strip(), _CANONICAL_NAMES, n=1, cutoff=0.6)
        raise ConfigException(key, f"Unknown serde {spec!r} for '{key}'.", allowed=_CANONICAL_NAMES,
                              suggestion=close[0] if close else None)
    if _looks_like_serde(spec):
        return spec
    raise ConfigException(key, f"Cannot use {_show(spec)} as the serde for '{key}': expected a Serde "
                               "instance, a Serde class or a serde name.", allowed=_CANONICAL_NAMES)
