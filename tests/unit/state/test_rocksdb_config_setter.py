"""``rocksdb.config.setter`` (Kafka's RocksDBConfigSetter): a StreamsConfig key that tunes every
persistent store's RocksDB options when the task opens it."""

from __future__ import annotations

import pytest

from raystreams import Materialized, StreamsBuilder, StreamsConfig
from raystreams.errors import ConfigException
from raystreams.testing import TopologyTestDriver


class RecordingSetter:
    """Kafka's ``RocksDBConfigSetter.setConfig(storeName, options, configs)``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def set_config(self, store_name: str, options: object, config: object) -> None:
        options.increase_parallelism(2)  # a real Options call: the object is rocksdict's Options
        self.calls.append((store_name, config))


def test_setter_is_applied_to_each_persistent_store(tmp_path) -> None:
    builder = StreamsBuilder()
    builder.stream("words").group_by_key().count(Materialized.as_("counts")).to_stream().to("out")
    setter = RecordingSetter()
    config = {"application.id": "setter", "state.dir": str(tmp_path),
              "rocksdb.config.setter": setter}
    with TopologyTestDriver(builder.build(), config) as driver:
        driver.create_input_topic("words").pipe_input("a", "x")
        assert driver.get_key_value_store("counts").get("a") == 1
    assert [name for name, _ in setter.calls] == ["counts"]
    assert setter.calls[0][1].get("application.id") == "setter"


def test_a_plain_callable_is_a_setter_too() -> None:
    seen: list[str] = []
    config = StreamsConfig({"application.id": "x",
                            "rocksdb.config.setter": lambda name, opts, cfg: seen.append(name)})
    assert callable(config.get("rocksdb.config.setter"))


def test_a_setter_that_is_neither_callable_nor_has_set_config_is_refused() -> None:
    with pytest.raises(ConfigException, match="rocksdb.config.setter"):
        StreamsConfig({"application.id": "x", "rocksdb.config.setter": 5})
