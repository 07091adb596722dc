"""The metadata committed with each input offset, in Kafka Streams' format. The strings were
printed by Kafka Streams 4.4's own ``TopicPartitionMetadata.encode()`` for the same values."""

from __future__ import annotations

import pytest

from raystreams.engine.commit_metadata import UNKNOWN, ProcessorMetadata, decode, encode

VECTORS = [
    (10, {}, "AgAAAAAAAAAK"),
    (-1, {}, "Av//////////"),
    (1234567890123, {"KSTREAM-AGGREGATE-STATE-STORE-0000000001": 1000},
     "AgAAAR9x+wTLAAAAAQAAAChLU1RSRUFNLUFHR1JFR0FURS1TVEFURS1TVE9SRS0wMDAwMDAwMDAxAAAAAAAAA+g="),
    # three keys: serialized in java.util.HashMap order (a, counts, windowed-counts)
    (7, {"counts": 5, "windowed-counts": 99, "a": -3},
     "AgAAAAAAAAAHAAAAAwAAAAFh//////////0AAAAGY291bnRzAAAAAAAAAAUAAAAPd2luZG93ZWQtY291bnRzAAAAAAAAAGM="),
]


@pytest.mark.parametrize(("partition_time", "values", "text"), VECTORS)
def test_encoded_as_kafka_streams_encodes(partition_time, values, text):
    assert encode(partition_time, ProcessorMetadata(values)) == text
    assert decode(text) == (partition_time, ProcessorMetadata(values))


def test_version_1_carries_the_partition_time_only():
    assert decode("AQAAAAAAAAAF") == (5, ProcessorMetadata())


@pytest.mark.parametrize("text", ["", None, "not base64!", "CQAAAAAAAAAF", "Ag=="])
def test_missing_or_unreadable_metadata_means_unknown_time(text):
    assert decode(text) == (UNKNOWN, ProcessorMetadata())


def test_metadata_of_several_partitions_merges_to_the_largest_value():
    merged = ProcessorMetadata({"a": 5, "b": 1})
    merged.update(ProcessorMetadata({"a": 3, "b": 4, "c": 0}))
    assert merged.to_dict() == {"a": 5, "b": 4, "c": 0}
    assert not merged.needs_commit  # merging what was committed needs no new commit
    merged.put("a", 6)
    assert merged.needs_commit
