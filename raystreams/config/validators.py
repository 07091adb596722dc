"""Config validators and value parsers: checks that name the key and the allowed values."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from raystreams.config.keys import (
    APPLICATION_ID_CONFIG,
    NO_OPTIMIZATION,
    OPTIMIZE,
    TOPOLOGY_OPTIMIZATIONS,
)
from raystreams.durations import millis
from raystreams.errors import ConfigException
from raystreams.serde import Serde, resolve_serde

_APPLICATION_ID_RE = re.compile(r"[a-zA-Z0-9._-]+")
_TOPIC_NAME_RE = re.compile(r"[a-zA-Z0-9._-]{1,249}")


# --- validators ----------------------------------------------------------------------------

def _bad_value(key: str, value: Any, why: str, allowed: list[str] | None = None) -> ConfigException:
    return ConfigException(key, f"Invalid value {value!r} for config '{key}': {why}.", allowed=allowed)


class _Choices:
    """A value from a fixed set; Java class names and other aliases map to the canonical choice."""

    def __init__(self, values: tuple[str, ...], *, case_insensitive: bool = False,
                 aliases: Mapping[str, str] | None = None, removed: Mapping[str, str] | None = None,
                 allow_callable: bool = False) -> None:
        self.values = values
        self.case_insensitive = case_insensitive
        self.aliases = dict(aliases or {})
        self.removed = dict(removed or {})
        self.allow_callable = allow_callable

    def __call__(self, key: str, value: Any) -> Any:
        if value is None and None in self.values:
            return None
        if isinstance(value, str):
            text = value.strip()
            if text in self.values:
                return text
            if text in self.aliases:
                return self.aliases[text]
            if self.case_insensitive:
                for choice in self.values:
                    if choice.lower() == text.lower():
                        return choice
            if text in self.removed:
                raise _bad_value(key, value, self.removed[text], self.allowed())
        elif self.allow_callable and (callable(value) or callable(getattr(value, "handle_error",
                                                                           None))):
            return value
        why = "not one of the allowed values"
        if self.allow_callable:
            why = "expected one of the allowed names or a callable / class"
        raise _bad_value(key, value, why, self.allowed())

    def allowed(self) -> list[str]:
        return [str(v) for v in self.values if v is not None]

    def describe(self) -> str:
        text = ", ".join(repr(v) if v is not None else "None" for v in self.values)
        return text + (", or a callable / class" if self.allow_callable else "")


class _Range:
    """A number within ``[low, high]``; either bound may be open (None)."""

    def __init__(self, low: float | None = None, high: float | None = None) -> None:
        self.low = low
        self.high = high

    def __call__(self, key: str, value: Any) -> Any:
        if value is None:
            return value
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise _bad_value(key, value, self._requirement())
        return value

    def _requirement(self) -> str:
        if self.high is None:
            return f"must be at least {self.low}"
        if self.low is None:
            return f"must be at most {self.high}"
        return f"must be between {self.low} and {self.high}"

    def describe(self) -> str:
        low = "..." if self.low is None else str(self.low)
        high = "..." if self.high is None else str(self.high)
        return f"[{low}, {high}]"


class _Check:
    """A predicate with a description; ``check`` returns an error text or None."""

    def __init__(self, check: Callable[[Any], str | None], description: str) -> None:
        self.check = check
        self.description = description

    def __call__(self, key: str, value: Any) -> Any:
        if value is None:
            return value
        why = self.check(value)
        if why:
            raise _bad_value(key, value, why)
        return value

    def describe(self) -> str:
        return self.description


def _check_config_setter(value: Any) -> str | None:
    if callable(value) or callable(getattr(value, "set_config", None)):
        return None
    return "must be a callable (store_name, options, config) or have set_config(...)"


def _check_application_id(value: str) -> str | None:
    if not value:
        return "must not be empty"
    if not _APPLICATION_ID_RE.fullmatch(value):
        bad = sorted(set(re.sub(r"[a-zA-Z0-9._-]", "", value)))
        return f"contains {''.join(bad)!r}; only ASCII letters, digits, '.', '_' and '-' are allowed"
    return None


def _check_host_port(value: str) -> str | None:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return f"{value!r} is not host:port"
    return None


def _check_servers(value: str) -> str | None:
    for server in value.split(","):
        why = _check_host_port(server)
        if why:
            return why
    return None


def _check_application_server(value: str) -> str | None:
    return None if value == "" else _check_host_port(value)


def _check_topic_name(value: str) -> str | None:
    if value in (".", "..") or not _TOPIC_NAME_RE.fullmatch(value):
        return "not a legal topic name (1-249 of ASCII letters, digits, '.', '_', '-')"
    return None


def _check_replication_factor(value: int) -> str | None:
    return None if value == -1 or value >= 1 else "must be -1 (the broker default) or at least 1"


def _check_not_empty(value: str) -> str | None:
    return None if value else "must not be empty"


def _normalize_optimization(key: str, value: Any) -> str:
    allowed = [NO_OPTIMIZATION, OPTIMIZE, *TOPOLOGY_OPTIMIZATIONS]
    if not isinstance(value, str):
        raise _bad_value(key, value, "expected a string", allowed)
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) == 1 and parts[0] in (NO_OPTIMIZATION, OPTIMIZE):
        return parts[0]
    if not parts:
        raise _bad_value(key, value, "must not be empty", allowed)
    for part in parts:
        if part in (NO_OPTIMIZATION, OPTIMIZE):
            raise _bad_value(key, value, f"'{part}' cannot be combined with other optimizations",
                             allowed)
        if part not in TOPOLOGY_OPTIMIZATIONS:
            raise _bad_value(key, value, f"unknown optimization {part!r}", allowed)
    return ",".join(dict.fromkeys(parts))


class _Optimization:
    def __call__(self, key: str, value: Any) -> Any:
        return _normalize_optimization(key, value)

    def describe(self) -> str:
        return "'none', 'all', or a comma-separated list of " + ", ".join(
            repr(o) for o in TOPOLOGY_OPTIMIZATIONS)


# --- types ---------------------------------------------------------------------------------

def _as_int(key: str, value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad_value(key, value, "expected an integer")


def _as_float(key: str, value: Any) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
    raise _bad_value(key, value, "expected a number")


def _as_bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _bad_value(key, value, "expected a boolean (True/False or 'true'/'false')")


def _as_duration(key: str, value: Any) -> int:
    ms = millis(value)
    if ms is not None:
        return ms
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _bad_value(key, value, "expected integer milliseconds or a datetime.timedelta")


def _as_string(key: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise _bad_value(key, value, "expected a string")


def _as_path(key: str, value: Any) -> str:
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    raise _bad_value(key, value, "expected a path (str or os.PathLike)")


def _as_servers(key: str, value: Any) -> str:
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise _bad_value(key, value, "expected 'host:port,host:port' or a list of 'host:port'")
    servers = [s.strip() for s in items if s.strip()]
    if not servers:
        raise _bad_value(key, value, "no servers given")
    return ",".join(servers)


def _as_serde(key: str, value: Any) -> Serde[Any]:
    return resolve_serde(value, key=key)


def _as_any(key: str, value: Any) -> Any:
    return value


_PARSERS: dict[str, Callable[[str, Any], Any]] = {
    "string": _as_string,
    "path": _as_path,
    "int": _as_int,
    "long": _as_int,
    "double": _as_float,
    "boolean": _as_bool,
    "duration": _as_duration,
    "servers": _as_servers,
    "serde": _as_serde,
    "handler": _as_any,  # its _Choices validator checks names and callables
}



def _missing(key: str) -> ConfigException:
    example = {APPLICATION_ID_CONFIG: "wordcount"} if key == APPLICATION_ID_CONFIG else {key: "..."}
    return ConfigException(key, f"Missing required config '{key}', which has no default: "
                                f"set it, e.g. {example!r}.")
