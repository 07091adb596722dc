"""Kafka's murmur2 and default partitioner, checked against Kafka's own test vectors."""

from __future__ import annotations

import numpy as np
import pytest

from raystreams.kafka.partitioner import default_partition, murmur2, to_positive

# UtilsTest.testMurmur2 (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java)
MURMUR2_CASES = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    bytes([ord("a"), ord("b"), ord("c")]): 479470107,
}


@pytest.mark.parametrize(("data", "expected"), list(MURMUR2_CASES.items()))
def test_murmur2_matches_kafka_utils_test(data: bytes, expected: int) -> None:
    assert murmur2(data) == expected


def test_murmur2_accepts_bytes_like() -> None:
    assert murmur2(bytearray(b"foobar")) == -790332482
    assert murmur2(memoryview(b"xfoobar")[1:]) == -790332482


def _splittable_random_longs(count: int, seed: int = 0) -> np.ndarray:
    """The first ``count`` ``nextLong()`` values of Java's ``new SplittableRandom(seed)``.

    SplittableRandom adds the golden gamma to its seed per draw and returns mix64(seed)
    (Stafford's variant 13); uint64 numpy arithmetic wraps exactly like Java's long.
    """
    gamma = np.uint64(0x9E3779B97F4A7C15)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + np.arange(1, count + 1, dtype=np.uint64) * gamma
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def test_murmur2_checksum_matches_kafka_utils_test() -> None:
    # UtilsTest.testMurmur2Checksum: 100 random arrays of every length 0..1000 from
    # SplittableRandom(0).nextBytes, summing the unsigned hashes. nextBytes fills 8 bytes
    # per nextLong (little-endian) and draws one more long for a shorter tail.
    trials, max_len = 100, 1000
    draws = [(n + 7) // 8 for n in range(max_len + 1)]
    stream = _splittable_random_longs(trials * sum(draws)).astype("<u8").tobytes()
    checksum = 0
    pos = 0
    for n, longs in enumerate(draws):
        step = longs * 8
        for _ in range(trials):
            checksum += murmur2(stream[pos:pos + n]) & 0xFFFFFFFF
            pos += step
    assert checksum == 0xC3B8CF7C99FC


@pytest.mark.parametrize(("number", "expected"), [
    (0, 0), (1, 1), (2147483647, 2147483647), (-1, 2147483647),
    (-2147483648, 0), (-973932308, 1173551340),
])
def test_to_positive_clears_the_sign_bit(number: int, expected: int) -> None:
    assert to_positive(number) == expected


def test_default_partition_is_positive_hash_modulo() -> None:
    # toPositive(murmur2(..)): "foobar" 1357151166, "21" 1173551340, "abc" 479470107,
    # "" 275646681 (murmur2(b"") == 275646681).
    assert default_partition(b"foobar", 1) == 0
    assert default_partition(b"foobar", 10) == 6
    assert default_partition(b"foobar", 16) == 14
    assert default_partition(b"21", 7) == 3
    assert default_partition(b"21", 16) == 12
    assert default_partition(b"abc", 13) == 12
    assert default_partition(b"", 12) == 9
    assert murmur2(b"") == 275646681


def test_default_partition_null_key_is_left_to_the_producer() -> None:
    assert default_partition(None, 4) is None


@pytest.mark.parametrize("bad", [0, -3])
def test_default_partition_rejects_non_positive_counts(bad: int) -> None:
    with pytest.raises(ValueError, match=f"num_partitions must be positive, got {bad}"):
        default_partition(b"k", bad)
