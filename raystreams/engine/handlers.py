"""The exception handlers a task consults on a bad record (Kafka 4.4's KIP-1033/KIP-1034).

Three handlers, each set by its Kafka Streams key:

- ``deserialization.exception.handler``: an input record's key or value cannot be
  deserialized (Kafka's ``DeserializationExceptionHandler``);
- ``processing.exception.handler``: a processor or a punctuator raised (Kafka's
  ``ProcessingExceptionHandler``; ``record`` is None for a punctuator);
- ``production.exception.handler``: a sink could not serialize a record, or the broker refused
  it (Kafka's ``ProductionExceptionHandler``, ``handle_error`` and
  ``handle_serialization_error``).

Each answers with a ``Response``: ``RESUME`` (skip the record, counted in the task's
``dropped-records-total``) or ``FAIL`` (the task fails), plus dead-letter records to produce.
The built-in handlers, as Kafka's, build one dead-letter record with Kafka's
``__streams.errors.*`` headers when ``errors.dead.letter.queue.topic.name`` is set.

Config values: Kafka's names (``log_and_fail``, ``log_and_continue``, ``default``, the Java
class names), a handler class or instance (with ``handle_error``), or a plain function
``handler(context, record, exception)`` answering a ``Response``, a ``Result`` or
``"continue"`` / ``"fail"``; for a function that answers without a ``Response`` the runtime
builds the dead-letter record as the built-in handlers do.
"""

from __future__ import annotations

import enum
import logging
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from raystreams.config.keys import ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG
from raystreams.engine.records import ProducedRecord
from raystreams.errors import ConfigException
from raystreams.processor.api import Headers

log = logging.getLogger(__name__)

# Kafka's ExceptionHandlerUtils header names
HEADER_ERRORS_EXCEPTION_NAME = "__streams.errors.exception"
HEADER_ERRORS_STACKTRACE_NAME = "__streams.errors.stacktrace"
HEADER_ERRORS_EXCEPTION_MESSAGE_NAME = "__streams.errors.message"
HEADER_ERRORS_TOPIC_NAME = "__streams.errors.topic"
HEADER_ERRORS_PARTITION_NAME = "__streams.errors.partition"
HEADER_ERRORS_OFFSET_NAME = "__streams.errors.offset"


class Result(enum.Enum):
    """What a handler decided (Kafka's ``*ExceptionHandler.Result``)."""

    RESUME = "RESUME"
    FAIL = "FAIL"
    RETRY = "RETRY"  # production handlers only; treated as FAIL (librdkafka already retried)


class SerializationExceptionOrigin(enum.Enum):
    """Whether the key or the value failed to serialize."""

    KEY = "KEY"
    VALUE = "VALUE"


@dataclass(slots=True)
class Response:
    """A handler's answer: the result and the dead-letter records to produce."""

    result: Result
    dead_letter_queue_records: list[ProducedRecord] = field(default_factory=list)

    @classmethod
    def resume(cls, dead_letter_queue_records: Sequence[ProducedRecord] = ()) -> Response:
        return cls(Result.RESUME, list(dead_letter_queue_records))

    @classmethod
    def fail(cls, dead_letter_queue_records: Sequence[ProducedRecord] = ()) -> Response:
        return cls(Result.FAIL, list(dead_letter_queue_records))

    @classmethod
    def retry(cls) -> Response:
        return cls(Result.RETRY)


@dataclass(frozen=True, slots=True)
class ErrorHandlerContext:
    """What a handler learns about the failed record (Kafka's ``ErrorHandlerContext``).

    ``topic``, ``partition``, ``offset``, ``headers`` and ``timestamp`` are the input record's
    being processed (``None`` / -1 in a punctuator); ``source_raw_key`` and
    ``source_raw_value`` its bytes as read from the source topic.
    """

    topic: str | None
    partition: int
    offset: int
    headers: Headers
    processor_node_id: str | None
    task_id: str | None
    timestamp: int
    source_raw_key: bytes | None = None
    source_raw_value: bytes | None = None


def exception_class_name(exc: BaseException) -> str:
    """The exception's qualified class name (Kafka writes Java's ``getClass().getName()``)."""
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def build_dead_letter_queue_record(topic: str, key: bytes | None, value: bytes | None,
                                   context: ErrorHandlerContext,
                                   exception: BaseException) -> ProducedRecord:
    """A dead-letter record (Kafka's ``ExceptionHandlerUtils.buildDeadLetterQueueRecord``):
    the failed record's bytes, its headers, then the exception class, message, stack trace,
    and the source topic, partition and offset."""
    headers = Headers(context.headers.to_list() if context.headers else None)
    trace = "".join(traceback.format_exception(type(exception), exception,
                                               exception.__traceback__))
    for name, text in ((HEADER_ERRORS_EXCEPTION_NAME, exception_class_name(exception)),
                       (HEADER_ERRORS_EXCEPTION_MESSAGE_NAME, str(exception)),
                       (HEADER_ERRORS_STACKTRACE_NAME, trace),
                       (HEADER_ERRORS_TOPIC_NAME, context.topic),
                       (HEADER_ERRORS_PARTITION_NAME, str(context.partition)),
                       (HEADER_ERRORS_OFFSET_NAME, str(context.offset))):
        headers.add(name, text.encode() if text is not None else None)
    return ProducedRecord(topic, None, key, value, context.timestamp, headers)


def maybe_build_dead_letter_queue_records(topic: str | None, key: bytes | None,
                                          value: bytes | None, context: ErrorHandlerContext,
                                          exception: BaseException) -> list[ProducedRecord]:
    """One dead-letter record when ``topic`` is set, else none."""
    if topic is None:
        return []
    return [build_dead_letter_queue_record(topic, key, value, context, exception)]


class _DeadLetterQueueAware:
    """Reads ``errors.dead.letter.queue.topic.name`` in ``configure``, as Kafka's handlers do."""

    dead_letter_queue_topic: str | None = None

    def configure(self, configs: Mapping[str, Any]) -> None:
        topic = configs.get(ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)
        self.dead_letter_queue_topic = str(topic) if topic is not None else None

    def _dlq(self, context: ErrorHandlerContext, exception: BaseException) -> list[ProducedRecord]:
        return maybe_build_dead_letter_queue_records(
            self.dead_letter_queue_topic, context.source_raw_key, context.source_raw_value,
            context, exception)


class DeserializationExceptionHandler(_DeadLetterQueueAware):
    """Base of deserialization handlers: ``handle_error(context, record, exception)``."""

    def handle_error(self, context: ErrorHandlerContext, record: Any,
                     exception: Exception) -> Response:
        raise NotImplementedError


class LogAndFailExceptionHandler(DeserializationExceptionHandler):
    """Fail the task (the default)."""

    def handle_error(self, context: ErrorHandlerContext, record: Any,
                     exception: Exception) -> Response:
        log.error("Exception caught during Deserialization, taskId: %s, topic: %s, partition: "
                  "%s, offset: %s: %s", context.task_id, context.topic, context.partition,
                  context.offset, exception)
        return Response.fail(self._dlq(context, exception))


class LogAndContinueExceptionHandler(DeserializationExceptionHandler):
    """Skip the record and go on."""

    def handle_error(self, context: ErrorHandlerContext, record: Any,
                     exception: Exception) -> Response:
        log.warning("Exception caught during Deserialization, taskId: %s, topic: %s, partition: "
                    "%s, offset: %s: %s", context.task_id, context.topic, context.partition,
                    context.offset, exception)
        return Response.resume(self._dlq(context, exception))


class ProcessingExceptionHandler(_DeadLetterQueueAware):
    """Base of processing handlers: ``handle_error(context, record, exception)``; ``record``
    is None when a punctuator raised."""

    def handle_error(self, context: ErrorHandlerContext, record: Any,
                     exception: Exception) -> Response:
        raise NotImplementedError


class LogAndFailProcessingExceptionHandler(ProcessingExceptionHandler):
    """Fail the task (the default)."""

    def handle_error(self, context: ErrorHandlerContext, record: Any,
                     exception: Exception) -> Response:
        log.error("Exception caught during message processing, processor node: %s, taskId: %s, "
                  "source topic: %s, source partition: %s, source offset: %s: %r",
                  context.processor_node_id, context.task_id, context.topic, context.partition,
                  context.offset, exception)
        return Response.fail(self._dlq(context, exception))


class LogAndContinueProcessingExceptionHandler(ProcessingExceptionHandler):
    """Skip the record (or the punctuation) and go on."""

    def handle_error(self, context: ErrorHandlerContext, record: Any,
                     exception: Exception) -> Response:
        log.warning("Exception caught during message processing, processor node: %s, taskId: "
                    "%s, source topic: %s, source partition: %s, source offset: %s: %r",
                    context.processor_node_id, context.task_id, context.topic,
                    context.partition, context.offset, exception)
        return Response.resume(self._dlq(context, exception))


class ProductionExceptionHandler(_DeadLetterQueueAware):
    """Base of production handlers: ``handle_error`` for a record the broker refused,
    ``handle_serialization_error`` for one a sink could not serialize."""

    def handle_error(self, context: ErrorHandlerContext, record: ProducedRecord,
                     exception: Exception) -> Response:
        raise NotImplementedError

    def handle_serialization_error(self, context: ErrorHandlerContext, record: ProducedRecord,
                                   exception: Exception,
                                   origin: SerializationExceptionOrigin) -> Response:
        return Response.fail(self._dlq(context, exception))


class DefaultProductionExceptionHandler(ProductionExceptionHandler):
    """Fail the task (Kafka's default)."""

    def handle_error(self, context: ErrorHandlerContext, record: ProducedRecord,
                     exception: Exception) -> Response:
        return Response.fail(self._dlq(context, exception))


class ContinueProductionExceptionHandler(ProductionExceptionHandler):
    """Skip the record and go on (raystreams' ``continue``; Kafka ships no such class)."""

    def handle_error(self, context: ErrorHandlerContext, record: ProducedRecord,
                     exception: Exception) -> Response:
        return Response.resume(self._dlq(context, exception))

    def handle_serialization_error(self, context: ErrorHandlerContext, record: ProducedRecord,
                                   exception: Exception,
                                   origin: SerializationExceptionOrigin) -> Response:
        return Response.resume(self._dlq(context, exception))


class _FunctionHandler(ProductionExceptionHandler, DeserializationExceptionHandler,
                       ProcessingExceptionHandler):
    """A user function ``(context, record, exception) -> Response | Result | str`` as a handler.

    An answer that is not a ``Response`` gets the dead-letter record the built-in handlers
    would build.
    """

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn

    def handle_error(self, context: ErrorHandlerContext, record: Any,
                     exception: Exception) -> Response:
        return self._answer(self.fn(context, record, exception), context, exception)

    def handle_serialization_error(self, context: ErrorHandlerContext, record: Any,
                                   exception: Exception,
                                   origin: SerializationExceptionOrigin) -> Response:
        return self.handle_error(context, record, exception)

    def _answer(self, answer: Any, context: ErrorHandlerContext,
                exception: Exception) -> Response:
        if isinstance(answer, Response):
            return answer
        result = to_result(answer)
        return Response(result, self._dlq(context, exception))


def to_result(answer: Any) -> Result:
    """A ``Result`` from a handler's answer: a Result, or ``continue``/``resume``/``fail``."""
    if isinstance(answer, Result):
        return answer
    text = str(getattr(answer, "name", answer)).lower()
    if text in ("continue", "resume"):
        return Result.RESUME
    if text == "fail":
        return Result.FAIL
    if text == "retry":
        return Result.RETRY
    raise ConfigException("exception handler", f"an exception handler returned {answer!r}",
                          allowed=["Response", "Result", "continue", "fail"])


_NAMED: dict[str, type] = {
    "log_and_fail": LogAndFailExceptionHandler,
    "logandfailexceptionhandler": LogAndFailExceptionHandler,
    "log_and_continue": LogAndContinueExceptionHandler,
    "logandcontinueexceptionhandler": LogAndContinueExceptionHandler,
}
_NAMED_PROCESSING: dict[str, type] = {
    "log_and_fail": LogAndFailProcessingExceptionHandler,
    "logandfailprocessingexceptionhandler": LogAndFailProcessingExceptionHandler,
    "log_and_continue": LogAndContinueProcessingExceptionHandler,
    "logandcontinueprocessingexceptionhandler": LogAndContinueProcessingExceptionHandler,
}
_NAMED_PRODUCTION: dict[str, type] = {
    "default": DefaultProductionExceptionHandler,
    "fail": DefaultProductionExceptionHandler,
    "defaultproductionexceptionhandler": DefaultProductionExceptionHandler,
    "continue": ContinueProductionExceptionHandler,
}
_DEFAULTS = {"deserialization": "log_and_fail", "processing": "log_and_fail",
             "production": "default"}
_TABLES = {"deserialization": _NAMED, "processing": _NAMED_PROCESSING,
           "production": _NAMED_PRODUCTION}


def resolve_handler(kind: str, key: str, value: Any, configs: Mapping[str, Any]) -> Any:
    """The configured handler of ``kind`` (``deserialization``, ``processing`` or
    ``production``) for config ``key``, configured with ``configs`` (Kafka's ``configure``).

    ``value`` is a name, a handler class or instance (with ``handle_error``), or a function.
    """
    if value is None:
        value = _DEFAULTS[kind]
    if isinstance(value, str):
        cls = _TABLES[kind].get(value.rsplit(".", 1)[-1].lower())
        if cls is None:
            raise ConfigException(key, f"Invalid value {value!r} for configuration {key}.",
                                  allowed=[_DEFAULTS[kind], "log_and_continue" if kind !=
                                           "production" else "continue", "a callable"])
        handler = cls()
    elif isinstance(value, type):
        handler = value()
    elif callable(getattr(value, "handle_error", None)):
        handler = value
    elif callable(getattr(value, "handle", None)):
        handler = _FunctionHandler(value.handle)
    elif callable(value):
        handler = _FunctionHandler(value)
    else:
        raise ConfigException(key, f"Invalid value {value!r} for configuration {key}.",
                              allowed=[_DEFAULTS[kind], "a handler class", "a callable"])
    if not callable(getattr(handler, "handle_error", None)):
        handler = _FunctionHandler(getattr(handler, "handle", handler))
    configure = getattr(handler, "configure", None)
    if callable(configure):
        configure(configs)
    return handler


def result_of(response: Any) -> Result:
    """The Result of a handler's return value, checked (Kafka: "Invalid ... response")."""
    if isinstance(response, Response):
        return response.result
    if response is None:
        raise ConfigException("exception handler", "Invalid exception handler response: None",
                              allowed=["Response.resume()", "Response.fail()"])
    return to_result(response)


def dead_letters_of(response: Any) -> list[ProducedRecord]:
    return list(response.dead_letter_queue_records) if isinstance(response, Response) else []
