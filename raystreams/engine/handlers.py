"""Exception handlers a task consults: deserialization, processing and production errors.

Config values are Kafka Streams' names (``log_and_fail``, ``log_and_continue``, ``default``,
``continue``) or a callable ``handler(context, record, exception) -> "continue" | "fail"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from raystreams.errors import ConfigException

log = logging.getLogger(__name__)

CONTINUE = "continue"
FAIL = "fail"

Handler = Callable[[Any, Any, Exception], str]


def _log_and_fail(context: Any, record: Any, exc: Exception) -> str:
    return FAIL


def _log_and_continue(context: Any, record: Any, exc: Exception) -> str:
    return CONTINUE


_NAMED: dict[str, Handler] = {
    "log_and_fail": _log_and_fail,
    "logandfailexceptionhandler": _log_and_fail,
    "logandfailprocessingexceptionhandler": _log_and_fail,
    "fail": _log_and_fail,
    "default": _log_and_fail,
    "defaultproductionexceptionhandler": _log_and_fail,
    "log_and_continue": _log_and_continue,
    "logandcontinueexceptionhandler": _log_and_continue,
    "logandcontinueprocessingexceptionhandler": _log_and_continue,
    "continue": _log_and_continue,
}


def resolve_handler(key: str, value: Any) -> Handler:
    """A handler function for config ``key`` from a name, a class with ``handle`` or a callable."""
    if value is None:
        return _log_and_fail
    if isinstance(value, str):
        fn = _NAMED.get(value.rsplit(".", 1)[-1].lower())
        if fn is None:
            raise ConfigException(key, f"Invalid value {value!r} for configuration {key}.",
                                  allowed=["log_and_fail", "log_and_continue", "a callable"])
        return fn
    if isinstance(value, type):
        value = value()
    handle = getattr(value, "handle", None)
    if callable(handle):
        return _normalize(handle)
    if callable(value):
        return _normalize(value)
    raise ConfigException(key, f"Invalid value {value!r} for configuration {key}.",
                          allowed=["log_and_fail", "log_and_continue", "a callable"])


def _normalize(fn: Callable[..., Any]) -> Handler:
    def handler(context: Any, record: Any, exc: Exception) -> str:
        answer = fn(context, record, exc)
        text = str(getattr(answer, "value", answer)).lower()
        if text not in (CONTINUE, FAIL):
            raise ConfigException("exception handler",
                                  f"an exception handler returned {answer!r}",
                                  allowed=[CONTINUE, FAIL])
        return text
    return handler
