"""``StreamsConfig``: the validated application config (Kafka's ``StreamsConfig``) and the
per-client configs it derives for the consumers, the producer, the admin client and topics."""

from __future__ import annotations

import difflib
import logging
from collections.abc import Mapping
from typing import Any

from raystreams.config.definitions import _ALIASES, _BY_NAME, _DEFINITIONS, ConfigKey
from raystreams.config.keys import (
    ADMIN_CLIENT_PREFIX,
    APPLICATION_ID_CONFIG,
    AUTO_OFFSET_RESET_CONFIG,
    BOOTSTRAP_SERVERS_CONFIG,
    CLIENT_ID_CONFIG,
    COMMIT_INTERVAL_MS_CONFIG,
    CONSUMER_PREFIX,
    DEFAULT_KEY_SERDE_CLASS_CONFIG,
    DEFAULT_VALUE_SERDE_CLASS_CONFIG,
    EOS_DEFAULT_COMMIT_INTERVAL_MS,
    EXACTLY_ONCE_V2,
    GLOBAL_CONSUMER_PREFIX,
    MAIN_CONSUMER_PREFIX,
    PROCESSING_GUARANTEE_CONFIG,
    PRODUCER_PREFIX,
    RESTORE_CONSUMER_PREFIX,
    SECURITY_PROTOCOL_CONFIG,
    TOPIC_PREFIX,
    ConsumerKind,
)
from raystreams.config.validators import _missing
from raystreams.errors import ConfigException, IllegalArgumentException
from raystreams.serde import Serde

logger = logging.getLogger(__name__)

_SHARED_CLIENT_PREFIXES = ("sasl.", "ssl.")
_CLIENT_PREFIXES = (MAIN_CONSUMER_PREFIX, RESTORE_CONSUMER_PREFIX, GLOBAL_CONSUMER_PREFIX,
                    CONSUMER_PREFIX, PRODUCER_PREFIX, ADMIN_CLIENT_PREFIX, TOPIC_PREFIX,
                    *_SHARED_CLIENT_PREFIXES)

# Client settings people put at the top level out of Java habit; we point them at a prefix.
_CONSUMER_ONLY_KEYS = frozenset({
    "auto.commit.interval.ms", "enable.auto.commit", "fetch.max.bytes", "fetch.min.bytes",
    "fetch.wait.max.ms", "fetch.max.wait.ms", "group.id", "group.instance.id", "heartbeat.interval.ms",
    "isolation.level", "max.partition.fetch.bytes", "max.poll.interval.ms", "max.poll.records",
    "session.timeout.ms", "fetch.queue.backoff.ms", "queued.min.messages",
})
_PRODUCER_ONLY_KEYS = frozenset({
    "acks", "batch.size", "batch.num.messages", "compression.type", "delivery.timeout.ms",
    "enable.idempotence", "linger.ms", "max.in.flight.requests.per.connection", "message.timeout.ms",
    "queue.buffering.max.messages", "queue.buffering.max.ms", "retries", "transaction.timeout.ms",
    "transactional.id", "compression.codec", "partitioner",
})
_CLIENT_KEYS = _CONSUMER_ONLY_KEYS | _PRODUCER_ONLY_KEYS | {
    "request.timeout.ms", "retry.backoff.ms", "reconnect.backoff.ms", "reconnect.backoff.max.ms",
    "metadata.max.age.ms", "socket.timeout.ms", "receive.buffer.bytes", "send.buffer.bytes",
    "connections.max.idle.ms", "debug", "statistics.interval.ms", "broker.address.family",
}

_SECRET_MARKERS = ("password", "secret", "jaas", "token")


def _prefix_of(key: str) -> str | None:
    for prefix in _CLIENT_PREFIXES:
        if key.startswith(prefix):
            return prefix
    return None


def _unknown_key(key: str) -> ConfigException:
    if key in _CLIENT_KEYS:
        prefix = "producer." if key in _PRODUCER_ONLY_KEYS else "consumer."
        return ConfigException(
            key, f"Unknown config '{key}': it is a Kafka client setting; give it a client prefix "
                 "('consumer.', 'producer.', 'admin.', 'main.consumer.', 'restore.consumer.', "
                 "'global.consumer.').", suggestion=prefix + key)
    candidates = list(_BY_NAME)
    close = difflib.get_close_matches(key, candidates, n=1, cutoff=0.6)
    return ConfigException(key, f"Unknown config '{key}'.", suggestion=close[0] if close else None)


def _mask(key: str, value: Any) -> Any:
    return "***" if any(m in key.lower() for m in _SECRET_MARKERS) else value


def _librdkafka_offset_reset(value: str) -> str:
    # librdkafka spells Java's "none" (raise when there is no offset) as "error".
    return "error" if value == "none" else value


class StreamsConfig:
    """The validated config of a raystreams application (Kafka Streams' ``StreamsConfig``).

    Built from a dict with Kafka Streams' key names. ``config[key]`` gives the effective value
    (the set value, else the default); durations are int ms. Keys under ``consumer.``,
    ``producer.``, ``admin.``, ``main.consumer.``, ``restore.consumer.``, ``global.consumer.``
    and ``topic.`` pass through to the Kafka clients (and internal topics) untouched.

    Args:
        props: The settings, or another StreamsConfig to copy.

    Raises:
        ConfigException: A key is unknown, a value is not allowed, or application.id is missing.

    Example:
        >>> config = StreamsConfig({"application.id": "wordcount", "processing.guarantee": "exactly_once_v2"})
        >>> config["commit.interval.ms"]
        100
    """

    __slots__ = ("_originals", "_values", "_passthrough")


    def __init__(self, props: Mapping[str, Any] | StreamsConfig) -> None:
        if isinstance(props, StreamsConfig):
            originals: dict[str, Any] = props.originals()
        elif isinstance(props, Mapping):
            originals = dict(props)
        else:
            raise TypeError(f"StreamsConfig needs a mapping of config keys, got {type(props).__name__}")
        values: dict[str, Any] = {}
        passthrough: dict[str, Any] = {}
        for key, raw in originals.items():
            if not isinstance(key, str):
                raise ConfigException(str(key), f"Config keys must be strings, got {key!r}.")
            definition = _BY_NAME.get(key)
            if definition is not None:
                values[key] = definition.parse(raw)
                continue
            prefix = _prefix_of(key)
            if prefix is None:
                raise _unknown_key(key)
            if key == prefix:
                raise ConfigException(key, f"Config '{key}' names no client setting after the prefix.")
            passthrough[key] = raw
        for definition in _DEFINITIONS:
            if definition.required and values.get(definition.name) is None:
                raise _missing(definition.name)
        self._resolve_aliases(values)
        effective = {d.name: d.default for d in _DEFINITIONS}
        effective.update(values)
        for new, olds in _ALIASES.items():
            for old in olds:
                effective[old] = effective[new]
        if (effective[PROCESSING_GUARANTEE_CONFIG] == EXACTLY_ONCE_V2
                and COMMIT_INTERVAL_MS_CONFIG not in values):
            effective[COMMIT_INTERVAL_MS_CONFIG] = EOS_DEFAULT_COMMIT_INTERVAL_MS
        self._originals = originals
        self._values = effective
        self._passthrough = passthrough

    @staticmethod
    def _resolve_aliases(values: dict[str, Any]) -> None:
        for new, olds in _ALIASES.items():
            for old in olds:
                if old not in values:
                    continue
                if new in values:
                    if values[new] != values[old]:
                        logger.warning("Both '%s' and its deprecated name '%s' are set; using '%s'.",
                                       new, old, new)
                else:
                    logger.warning("Config '%s' is deprecated; use '%s' instead.", old, new)
                    values[new] = values[old]

    # --- construction ----------------------------------------------------------------------

    @classmethod
    def of(cls, config: Mapping[str, Any] | StreamsConfig) -> StreamsConfig:
        """Return ``config`` itself if it is a StreamsConfig, else a new one built from it."""
        if isinstance(config, StreamsConfig):
            return config
        return cls(config)

    def with_overrides(self, overrides: Mapping[str, Any] | None = None, /,
                       **kwargs: Any) -> StreamsConfig:
        """A new, validated config with some keys replaced.

        Keyword names may use ``_`` for ``.``: ``with_overrides(commit_interval_ms=0)``.
        """
        merged = dict(self._originals)
        if overrides:
            merged.update(overrides)
        for name, value in kwargs.items():
            key = name if name in _BY_NAME or "." in name else name.replace("_", ".")
            merged[key] = value
        return StreamsConfig(merged)

    # --- reading ---------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        if key in self._values:
            return self._values[key]
        if key in self._passthrough:
            return self._passthrough[key]
        if _prefix_of(key) is not None:
            raise KeyError(key)
        raise _unknown_key(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The effective value of a defined key; for a client key, its value or ``default``."""
        if key in self._values:
            return self._values[key]
        if _prefix_of(key) is not None:
            return self._passthrough.get(key, default)
        raise _unknown_key(key)

    def __contains__(self, key: object) -> bool:
        return key in self._values or key in self._passthrough

    def originals(self) -> dict[str, Any]:
        """The settings as the user gave them (a copy)."""
        return dict(self._originals)

    def is_set(self, key: str) -> bool:
        """Whether the user set ``key`` (or a deprecated name of the same setting)."""
        if key in self._originals:
            return True
        definition = _BY_NAME.get(key)
        if definition is None:
            if _prefix_of(key) is None:
                raise _unknown_key(key)
            return False
        new = definition.alias_of or key
        return new in self._originals or any(o in self._originals for o in _ALIASES.get(new, ()))

    def to_dict(self) -> dict[str, Any]:
        """Every defined key's effective value, plus the client keys that were set."""
        return {**self._values, **self._passthrough}

    @property
    def application_id(self) -> str:
        """The ``application.id``."""
        return self._values[APPLICATION_ID_CONFIG]

    @property
    def exactly_once(self) -> bool:
        """Whether ``processing.guarantee`` is ``exactly_once_v2``."""
        return self._values[PROCESSING_GUARANTEE_CONFIG] == EXACTLY_ONCE_V2

    def default_key_serde(self) -> Serde[Any]:
        """The serde of ``default.key.serde`` (Kafka's ``defaultKeySerde()``)."""
        return self._values[DEFAULT_KEY_SERDE_CLASS_CONFIG]

    def default_value_serde(self) -> Serde[Any]:
        """The serde of ``default.value.serde`` (Kafka's ``defaultValueSerde()``)."""
        return self._values[DEFAULT_VALUE_SERDE_CLASS_CONFIG]

    # --- client configs --------------------------------------------------------------------

    def _client_id(self, client_id: str | None) -> str:
        return client_id or self._values[CLIENT_ID_CONFIG] or self._values[APPLICATION_ID_CONFIG]

    def _with_prefix(self, prefix: str) -> dict[str, Any]:
        n = len(prefix)
        return {k[n:]: v for k, v in self._passthrough.items() if k.startswith(prefix)}

    def _shared_client_configs(self) -> dict[str, Any]:
        shared: dict[str, Any] = {SECURITY_PROTOCOL_CONFIG: self._values[SECURITY_PROTOCOL_CONFIG]}
        for key, value in self._passthrough.items():
            if key.startswith(_SHARED_CLIENT_PREFIXES):
                shared[key] = value
        return shared

    def _force(self, props: dict[str, Any], key: str, value: Any, why: str) -> None:
        if key in props and props[key] != value:
            logger.warning("Ignoring client config %s=%r: %s; using %r.", key, props[key], why, value)
        props[key] = value

    def _add_bootstrap(self, props: dict[str, Any]) -> None:
        servers = self._values[BOOTSTRAP_SERVERS_CONFIG]
        if servers is not None:
            props[BOOTSTRAP_SERVERS_CONFIG] = servers

    def consumer_configs(self, kind: ConsumerKind = "main", *,
                         client_id: str | None = None) -> dict[str, Any]:
        """The confluent-kafka config of a consumer (Kafka's ``getMainConsumerConfigs`` etc.).

        Precedence, lowest first: Kafka Streams' consumer defaults, shared client settings
        (``security.protocol``, ``sasl.*``, ``ssl.*``), ``consumer.*``, then
        ``main.consumer.*`` / ``restore.consumer.*`` / ``global.consumer.*``. ``group.id`` is
        the application.id for the main consumer (offsets are committed there); restore and
        global consumers get a group of their own that never commits, and fail on a missing
        offset instead of resetting. ``bootstrap.servers`` is included when set.

        Args:
            kind: Which consumer: ``"main"``, ``"restore"`` or ``"global"``.
            client_id: Base of the client.id; default client.id or else application.id.
        """
        specific = {"main": MAIN_CONSUMER_PREFIX, "restore": RESTORE_CONSUMER_PREFIX,
                    "global": GLOBAL_CONSUMER_PREFIX}
        if kind not in specific:
            raise IllegalArgumentException(
                f"consumer kind must be one of {', '.join(specific)}, got {kind!r}")
        eos = self.exactly_once
        props: dict[str, Any] = {
            "enable.auto.commit": False,
            "auto.offset.reset": _librdkafka_offset_reset(self._values[AUTO_OFFSET_RESET_CONFIG]),
            # Java's consumer default; librdkafka's own default is read_committed.
            "isolation.level": "read_committed" if eos else "read_uncommitted",
        }
        props.update(self._shared_client_configs())
        props.update(self._with_prefix(CONSUMER_PREFIX))
        props.update(self._with_prefix(specific[kind]))
        if "auto.offset.reset" in props and isinstance(props["auto.offset.reset"], str):
            props["auto.offset.reset"] = _librdkafka_offset_reset(props["auto.offset.reset"])
        self._force(props, "enable.auto.commit", False, "Kafka Streams commits offsets itself")
        if eos:
            self._force(props, "isolation.level", "read_committed",
                        "exactly_once_v2 reads only committed records")
        base = self._client_id(client_id)
        app = self._values[APPLICATION_ID_CONFIG]
        if kind == "main":
            self._force(props, "group.id", app, "offsets are committed under the application.id")
            props["client.id"] = f"{base}-consumer"
        else:
            # confluent-kafka needs a group.id even for assign()-only consumers.
            props["group.id"] = f"{app}-{kind}-consumer"
            props["client.id"] = f"{base}-{kind}-consumer"
            props["auto.offset.reset"] = "error"
        self._add_bootstrap(props)
        return props

    def producer_configs(self, *, client_id: str | None = None,
                         transactional_id: str | None = None) -> dict[str, Any]:
        """The confluent-kafka config of a producer (Kafka's ``getProducerConfigs``).

        Precedence, lowest first: Kafka Streams' producer defaults (``linger.ms`` 100; under
        exactly_once_v2 also idempotence and ``transaction.timeout.ms`` 10000), shared client
        settings, then ``producer.*``. Under exactly_once_v2 idempotence is forced on.

        Args:
            client_id: Base of the client.id; default client.id or else application.id.
            transactional_id: The task's ``transactional.id`` (``<application.id>-<task_id>``);
                only allowed under exactly_once_v2.
        """
        eos = self.exactly_once
        props: dict[str, Any] = {"linger.ms": 100}
        if eos:
            props.update({"enable.idempotence": True, "transaction.timeout.ms": 10_000})
        props.update(self._shared_client_configs())
        props.update(self._with_prefix(PRODUCER_PREFIX))
        if eos:
            self._force(props, "enable.idempotence", True, "exactly_once_v2 needs idempotence")
        if transactional_id is not None:
            if not eos:
                raise IllegalArgumentException(
                    "a transactional.id is only used under processing.guarantee=exactly_once_v2, "
                    f"but it is {self._values[PROCESSING_GUARANTEE_CONFIG]!r}")
            props["transactional.id"] = transactional_id
        else:
            props.pop("transactional.id", None)
        props["client.id"] = f"{self._client_id(client_id)}-producer"
        self._add_bootstrap(props)
        return props

    def admin_configs(self, *, client_id: str | None = None) -> dict[str, Any]:
        """The confluent-kafka config of an admin client (Kafka's ``getAdminConfigs``).

        Precedence, lowest first: shared client settings, then ``admin.*``.
        """
        props = self._shared_client_configs()
        props.update(self._with_prefix(ADMIN_CLIENT_PREFIX))
        props["client.id"] = f"{self._client_id(client_id)}-admin"
        self._add_bootstrap(props)
        return props

    def topic_configs(self) -> dict[str, Any]:
        """The ``topic.*`` settings, prefix stripped, for creating internal topics."""
        return self._with_prefix(TOPIC_PREFIX)

    # --- prefixes (Kafka's consumerPrefix() etc.) ------------------------------------------

    @staticmethod
    def consumer_prefix(name: str) -> str:
        """``"consumer." + name``."""
        return CONSUMER_PREFIX + name

    @staticmethod
    def main_consumer_prefix(name: str) -> str:
        """``"main.consumer." + name``."""
        return MAIN_CONSUMER_PREFIX + name

    @staticmethod
    def restore_consumer_prefix(name: str) -> str:
        """``"restore.consumer." + name``."""
        return RESTORE_CONSUMER_PREFIX + name

    @staticmethod
    def global_consumer_prefix(name: str) -> str:
        """``"global.consumer." + name``."""
        return GLOBAL_CONSUMER_PREFIX + name

    @staticmethod
    def producer_prefix(name: str) -> str:
        """``"producer." + name``."""
        return PRODUCER_PREFIX + name

    @staticmethod
    def admin_client_prefix(name: str) -> str:
        """``"admin." + name``."""
        return ADMIN_CLIENT_PREFIX + name

    @staticmethod
    def topic_prefix(name: str) -> str:
        """``"topic." + name``."""
        return TOPIC_PREFIX + name

    # --- definitions -----------------------------------------------------------------------

    @staticmethod
    def keys() -> tuple[ConfigKey, ...]:
        """The definitions of every key, in definition order."""
        return _DEFINITIONS

    @staticmethod
    def describe_keys() -> str:
        """A Markdown table of every key: name, type, default, valid values, importance, doc."""
        order = {"high": 0, "medium": 1, "low": 2}
        rows = ["| Key | Type | Default | Valid values | Importance | Description |",
                "|---|---|---|---|---|---|"]
        for d in sorted(_DEFINITIONS, key=lambda d: (order[d.importance], d.name)):
            default = "(required)" if d.required else repr(d.default)
            cells = [f"`{d.name}`", d.type, default, d.describe_valid_values(), d.importance, d.doc]
            rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        return "\n".join(rows) + "\n"

    # --- dunder ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if isinstance(other, StreamsConfig):
            return self._originals == other._originals
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = {k: _mask(k, v) for k, v in self._originals.items()}
        return f"StreamsConfig({shown!r})"

    def __getstate__(self) -> dict[str, Any]:
        return {"_originals": self._originals, "_values": self._values,
                "_passthrough": self._passthrough}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Restore without validating again, so deprecation warnings are not logged per actor.
        self._originals = state["_originals"]
        self._values = state["_values"]
        self._passthrough = state["_passthrough"]
