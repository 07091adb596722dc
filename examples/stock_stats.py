"""Stock statistics: per ticker, min, max, average price and trade count in 5-second hopping
windows that advance every second (the stock statistics example of "Kafka: The Definitive
Guide", chapter 14).

Trades arrive on ``stock_trades`` keyed by ticker, JSON values ``{"ticker", "price", "size"}``
timed when they happened. Each trade falls into the five windows ``[start, start + 5 s)``
whose start is a multiple of 1 s in ``(t - 5 s, t]``. The aggregate is a :class:`TradeStats`
kept in a window store through a custom serde (:class:`TradeStatsSerde`, JSON). Windows have
no grace period, and ``suppress(until_window_closes)`` emits each window once, final, when
stream time passes its end: ``{"ticker", "window_start", "window_end", "count", "min",
"max", "avg"}`` on ``stock_stats``, keyed by ticker.

Run, feed and watch (embedded default; three terminals)::

    raystreams run examples/stock_stats.py
    python examples/stock_stats.py --feed --count 200     # seeded random trades, 250 ms apart
    raystreams consume stock_stats --from-beginning --print-key

The last windows of each ticker stay open (and silent) until a later trade of that ticker
moves its task's stream time past their end.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from raystreams import (
    BufferConfig,
    Consumed,
    Grouped,
    Materialized,
    Produced,
    Serde,
    Serdes,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
    Topology,
)

INPUT_TOPIC = "stock_trades"
OUTPUT_TOPIC = "stock_stats"
STORE = "trade-stats"
WINDOW_SIZE_MS = 5_000
ADVANCE_MS = 1_000
TICKERS = {"AAPL": 190.0, "MSFT": 410.0, "NVDA": 120.0}


@dataclass(frozen=True)
class TradeStats:
    """The aggregate of one window: trade count, price sum, min and max."""

    count: int = 0
    total: float = 0.0
    min: float | None = None
    max: float | None = None

    def add(self, price: float) -> TradeStats:
        return TradeStats(self.count + 1, self.total + price,
                          price if self.min is None else min(self.min, price),
                          price if self.max is None else max(self.max, price))

    @property
    def avg(self) -> float:
        return round(self.total / self.count, 4) if self.count else 0.0


class TradeStatsSerde(Serde[TradeStats]):
    """A custom serde for the window store: TradeStats as JSON (Kafka's Serde<T>)."""

    def serialize(self, topic: str, data: TradeStats | None) -> bytes | None:
        if data is None:
            return None
        return json.dumps([data.count, data.total, data.min, data.max]).encode()

    def deserialize(self, topic: str, data: bytes | None) -> TradeStats | None:
        if data is None:
            return None
        count, total, low, high = json.loads(data)
        return TradeStats(count, total, low, high)


def add_trade(ticker: str, trade: dict[str, Any], stats: TradeStats) -> TradeStats:
    """The Aggregator: fold one trade's price into its window's stats."""
    return stats.add(float(trade["price"]))


def window_stats(windowed: Any, stats: TradeStats) -> tuple[str, dict[str, Any]]:
    """A closed window's record: keyed by ticker, with the window bounds in the value."""
    return windowed.key, {"ticker": windowed.key, "window_start": windowed.window.start,
                          "window_end": windowed.window.end, "count": stats.count,
                          "min": stats.min, "max": stats.max, "avg": stats.avg}


def build_topology(input_topic: str = INPUT_TOPIC, output_topic: str = OUTPUT_TOPIC) -> Topology:
    builder = StreamsBuilder()
    (builder.stream(input_topic, Consumed.with_(Serdes.String(), Serdes.JSON()))
        .group_by_key(Grouped.with_(Serdes.String(), Serdes.JSON()))
        .windowed_by(TimeWindows.of_size_with_no_grace(WINDOW_SIZE_MS).advance_by(ADVANCE_MS))
        .aggregate(TradeStats, add_trade,
                   materialized=Materialized.as_(STORE).with_value_serde(TradeStatsSerde()))
        .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
        .to_stream()
        .map(window_stats)
        .to(output_topic, Produced.with_(Serdes.String(), Serdes.JSON())))
    return builder.build()


def app() -> tuple[Topology, dict[str, Any]]:
    """The ``raystreams run`` entry point: the topology and its config."""
    return build_topology(), {"application.id": "stock-stats"}


def generate(count: int, seed: int = 14, start_ms: int = 0,
             spacing_ms: int = 250) -> list[tuple[str, dict[str, Any], int]]:
    """``count`` trades ``(ticker, trade, timestamp_ms)``, ``spacing_ms`` apart: a seeded
    random walk per ticker (the same ``seed`` gives the same trades)."""
    rng = random.Random(seed)
    prices = dict(TICKERS)
    trades = []
    for i in range(count):
        ticker = rng.choice(sorted(prices))
        prices[ticker] = round(max(1.0, prices[ticker] * (1 + rng.gauss(0, 0.002))), 2)
        trades.append((ticker, {"ticker": ticker, "price": prices[ticker],
                                "size": rng.choice((10, 50, 100, 500))},
                       start_ms + spacing_ms * i))
    return trades


def feed(bootstrap: str | None = None, count: int = 120) -> int:
    """Send ``count`` generated trades, timed from now on, 250 ms apart."""
    from _feed import base_time, produce

    batch = [(INPUT_TOPIC, ticker, trade, ts)
             for ticker, trade, ts in generate(count, start_ms=base_time(1_000))]
    return produce([batch], bootstrap, partitions={INPUT_TOPIC: 3, OUTPUT_TOPIC: 3})


if __name__ == "__main__":
    from _feed import main

    raise SystemExit(main(feed, __doc__))
