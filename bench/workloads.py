"""The benchmark's inputs, workloads and exact verification (bench/run.py).

Every system reads the same preloaded topics:

- ``lines``: N lines of ``words_per_line`` Zipf-distributed words (fixed seed), null keys,
  round-robin over the partitions; inputs of workloads (a), (b) and (c);
- ``events``: M records keyed by a Zipf word (value = the word), event time 1 ms apart,
  placed by murmur2 (the Java client's partitioner), then one *sentinel* record per distinct
  word far in the future (value ``~end``): it closes every earlier window in its partition
  (Kafka Streams' stream time) and of its key (Quix Streams closes windows per key);
  input of (d) and (e);
- ``dims``: the table of (e): one record per vocabulary word (value ``c<rank % 97>``),
  timestamped an hour before the events so a time-synchronised join sees the table first.

The words and keys are fixed by the seed; the event times end a minute before generation.

Each workload knows the truth it must produce, parses what a system wrote (raystreams and
Kafka Streams write Long counts, Quix Streams its own idiom, see bench/quix_app.py) and
says when the output is complete and exact.
"""

from __future__ import annotations

import collections
import dataclasses
import itertools
import random
import time
from collections.abc import Callable
from typing import Any

from _common import vocabulary

WINDOW_MS = 1000
EVENT_STEP_MS = 1
SENTINEL = "~end"


def zipf_words(n: int, vocab: list[str], seed: int, s: float = 1.0) -> list[str]:
    """``n`` words drawn with Zipf(``s``) weights over ``vocab`` (rank 1 = ``vocab[0]``)."""
    cum = list(itertools.accumulate(1.0 / (rank ** s) for rank in range(1, len(vocab) + 1)))
    return random.Random(seed).choices(vocab, cum_weights=cum, k=n)


def keep_line(line: str) -> bool:
    """The filter of (b) in every system: drop lines whose length is a multiple of 5."""
    return len(line) % 5 != 0


@dataclasses.dataclass
class Data:
    """The preloaded inputs (in the order produced) and their sizes."""

    lines: list[str]
    events: list[tuple[str, str, int]]  # (key, value, timestamp ms), sentinels last
    dims: list[tuple[str, str]]
    words_per_line: int

    @classmethod
    def generate(cls, n_lines: int, n_events: int, vocab_size: int, words_per_line: int,
                 seed: int = 16) -> Data:
        vocab = vocabulary(vocab_size)
        words = zipf_words(n_lines * words_per_line, vocab, seed)
        lines = [" ".join(words[i:i + words_per_line])
                 for i in range(0, len(words), words_per_line)]
        keys = zipf_words(n_events, vocab, seed + 1)
        # event time ends a minute ago: old timestamps would fall to the broker's retention
        # (7 days by default; Kafka deletes such segments ~30 s after it starts)
        base = int(time.time() * 1000) - 60_000 - n_events * EVENT_STEP_MS
        base -= base % WINDOW_MS
        events = [(k, k, base + i * EVENT_STEP_MS) for i, k in enumerate(keys)]
        end_ts = base + n_events * EVENT_STEP_MS + 2 * WINDOW_MS
        events += [(k, SENTINEL, end_ts) for k in sorted(set(keys))]
        dims = [(w, f"c{rank % 97}") for rank, w in enumerate(vocab)]
        return cls(lines, events, dims, words_per_line)

    @property
    def sentinel_window(self) -> int:
        ts = self.events[-1][2]
        return ts - ts % WINDOW_MS


def long_value(raw: bytes) -> int:
    return int.from_bytes(raw, "big", signed=True)


@dataclasses.dataclass
class Workload:
    """One workload: its input, how to read a system's output and the truth."""

    key: str            # "a" .. "e"
    name: str
    input: str          # "lines" or "events"
    truth: Callable[[Data], Any]
    #: Folds one output record into the state: (state, key bytes, value bytes, system).
    fold: Callable[[Any, bytes | None, bytes | None, str], None]
    new_state: Callable[[], Any]
    #: The number of records/entries the state must hold before it is compared.
    size: Callable[[Any], int]
    expected_size: Callable[[Any], int]
    finalize: Callable[[Any, Data], Any] = lambda state, data: state

    def input_records(self, data: Data) -> int:
        return len(data.lines) if self.input == "lines" else len(data.events)


def _fold_multiset(state: collections.Counter, key: bytes | None, value: bytes | None,
                   system: str) -> None:
    state[(key or b"", value or b"")] += 1


def _truth_copy(data: Data) -> collections.Counter:
    return collections.Counter((b"", line.encode()) for line in data.lines)


def _truth_stateless(data: Data) -> collections.Counter:
    return collections.Counter((b"", line.upper().encode()) for line in data.lines
                               if keep_line(line))


def _truth_wordcount(data: Data) -> dict[bytes, int]:
    counts = collections.Counter(w for line in data.lines for w in line.split(" "))
    return {w.encode(): n for w, n in counts.items()}


def _fold_last_count(state: dict, key: bytes | None, value: bytes | None, system: str) -> None:
    state[key] = int(value) if system == "quix" else long_value(value)


def _truth_windows(data: Data) -> dict[str, int]:
    counts = collections.Counter(f"{k}@{ts - ts % WINDOW_MS}" for k, v, ts in data.events
                                 if v != SENTINEL)
    return dict(counts)


def _fold_windows(state: collections.Counter, key: bytes | None, value: bytes | None,
                  system: str) -> None:
    # every (word, window) must come exactly once: keep a list of the values it came with
    if system == "quix":  # value "<word>@<start>=<count>"
        k, _, n = value.decode().rpartition("=")
        state.setdefault(k, []).append(int(n))
    else:
        state.setdefault(key.decode(), []).append(long_value(value))


def _finalize_windows(state: dict[str, list[int]], data: Data) -> dict[str, Any]:
    sentinel = f"@{data.sentinel_window}"
    return {k: (v[0] if len(v) == 1 else v) for k, v in state.items()
            if not k.endswith(sentinel)}


def _truth_join(data: Data) -> collections.Counter:
    dims = dict(data.dims)
    return collections.Counter((k.encode(), f"{v}|{dims[k]}".encode()) for k, v, _ in data.events)


WORKLOADS: dict[str, Workload] = {w.key: w for w in [
    Workload("a", "raw consume→produce (confluent-kafka)", "lines", _truth_copy,
             _fold_multiset, collections.Counter, lambda s: s.total(), lambda t: t.total()),
    Workload("b", "stateless filter + map_values", "lines", _truth_stateless,
             _fold_multiset, collections.Counter, lambda s: s.total(), lambda t: t.total()),
    Workload("c", "word count", "lines", _truth_wordcount,
             _fold_last_count, dict, lambda s: sum(s.values()), lambda t: sum(t.values())),
    Workload("d", "tumbling-window count + suppress", "events", _truth_windows,
             _fold_windows, dict, len, len, _finalize_windows),
    Workload("e", "stream-table join", "events", _truth_join,
             _fold_multiset, collections.Counter, lambda s: s.total(), lambda t: t.total()),
]}


def describe_difference(got: Any, want: Any, limit: int = 5) -> str:
    """A short account of how an output differs from the truth."""
    if isinstance(want, collections.Counter):
        missing, extra = want - got, got - want
        return (f"{missing.total()} missing (e.g. {list(missing.items())[:limit]}), "
                f"{extra.total()} unexpected (e.g. {list(extra.items())[:limit]})")
    keys = set(got) | set(want)
    wrong = [(k, got.get(k), want.get(k)) for k in itertools.islice(
        (k for k in keys if got.get(k) != want.get(k)), limit)]
    n_wrong = sum(1 for k in keys if got.get(k) != want.get(k))
    return f"{n_wrong} of {len(want)} keys differ (key, got, want): {wrong}"


def check(workload: Workload, state: Any, truth: Any, data: Data) -> bool:
    return workload.finalize(state, data) == truth
