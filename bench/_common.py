"""Helpers shared by the benchmark scripts (run by hand; see BENCHMARKS.md)."""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time

VOCABULARY_SIZE = 1000
WORDS_PER_LINE = 10


def vocabulary(size: int = VOCABULARY_SIZE) -> list[str]:
    """``size`` distinct lowercase words (no "the", which word count drops)."""
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words: set[str] = set()
    while len(words) < size:
        w = "".join(rng.choice(letters) for _ in range(rng.randint(3, 9)))
        if w != "the":
            words.add(w)
    return sorted(words)


def lines(n: int, words_per_line: int = WORDS_PER_LINE, seed: int = 1) -> list[str]:
    """``n`` lines of ``words_per_line`` words drawn from the vocabulary (seeded)."""
    vocab = vocabulary()
    rng = random.Random(seed)
    return [" ".join(rng.choices(vocab, k=words_per_line)) for _ in range(n)]


def words(n: int, seed: int = 1) -> list[str]:
    """``n`` words drawn from the vocabulary (seeded)."""
    vocab = vocabulary()
    rng = random.Random(seed)
    return rng.choices(vocab, k=n)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def report(name: str, records: int, seconds: float, extra: str = "") -> None:
    rate = records / seconds if seconds > 0 else float("inf")
    print(f"{name:<44} {records:>9} records {seconds:8.2f} s {rate:>11,.0f} records/s "
          f"peak RSS {peak_rss_mb():7.1f} MiB{(' ' + extra) if extra else ''}", flush=True)


def run_each_in_subprocess(script: str, scenarios: list[str], argv: list[str]) -> int:
    """Run every scenario in a fresh interpreter, so each one's peak RSS is its own."""
    rc = 0
    for scenario in scenarios:
        rc |= subprocess.call([sys.executable, script, "--scenario", scenario, *argv])
    return rc


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
