"""Sliding-window aggregation (Kafka's ``KStreamSlidingWindowAggregate``): each record
creates its left and right windows and updates every window it falls into, reading the store
forwards or in reverse (``reverse_possible``), as Kafka's processor does."""

from __future__ import annotations

from typing import Any

from raystreams.errors import StreamsException
from raystreams.processor.api import Record
from raystreams.processor.window_aggregate_base import (
    NO_TIMESTAMP,
    TimeWindowProcessorBase,
    log_expired,
    log_null_key,
)
from raystreams.state.types import ValueAndTimestamp
from raystreams.windowed import TimeWindow


class SlidingWindowAggregateProcessor(TimeWindowProcessorBase):
    """Sliding windows (Kafka's ``KStreamSlidingWindowAggregateProcessor``)."""

    reverse_possible: bool | None = None

    def process(self, record: Record) -> None:
        if record.key is None or record.value is None:
            log_null_key(self.context, "null key or value")
            return
        timestamp = record.timestamp
        if timestamp > self.observed_stream_time:
            self.observed_stream_time = timestamp
        close_time = self.observed_stream_time - self.windows.grace_ms
        diff = self.windows.time_difference_ms
        if timestamp + diff < close_time:
            log_expired(self.context, timestamp, f"[{timestamp},{timestamp + diff}]", close_time,
                         self.observed_stream_time)
            return
        if timestamp < diff:
            self._process_early(record, close_time)
            return
        if self.reverse_possible is None:
            self.reverse_possible = callable(getattr(self.store, "backward_fetch", None))
        if self.reverse_possible:
            self._process_reverse(record, close_time)
        else:
            self._process_in_order(record, close_time)
        self._maybe_forward_final(record, close_time)

    def _process_in_order(self, record: Record, close_time: int) -> None:
        """For stores without backward iteration (Kafka's processInOrder)."""
        key, timestamp = record.key, record.timestamp
        diff = self.windows.time_difference_ms
        starts: set[int] = set()
        left_agg = right_agg = None
        left_created = right_created = False
        previous_ts: int | None = None
        with self.store.fetch(key, key, max(0, timestamp - 2 * diff), timestamp + 1) as it:
            for wkey, vat in it:
                start = wkey.window.start
                starts.add(start)
                end = start + diff
                max_ts = vat.timestamp
                if end < timestamp:
                    left_agg = vat
                    previous_ts = max_ts
                elif end == timestamp:
                    left_created = True
                    if max_ts < timestamp:
                        previous_ts = max_ts
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif end > timestamp and start <= timestamp:
                    right_agg = vat
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif start == timestamp + 1:
                    right_created = True
                else:
                    raise StreamsException("Unexpected window found when processing sliding windows",
                                           processor=self.context.current_node_name)
        self._create_windows(record, close_time, starts, right_agg, left_agg, left_created,
                             right_created, previous_ts)

    def _process_reverse(self, record: Record, close_time: int) -> None:
        key, timestamp = record.key, record.timestamp
        diff = self.windows.time_difference_ms
        starts: set[int] = set()
        left_agg = right_agg = None
        left_created = right_created = False
        previous_ts: int | None = None
        with self.store.backward_fetch(key, key, max(0, timestamp - 2 * diff),
                                       timestamp + 1) as it:
            for wkey, vat in it:
                start = wkey.window.start
                starts.add(start)
                end = start + diff
                max_ts = vat.timestamp
                if start == timestamp + 1:
                    right_created = True
                elif end > timestamp:
                    if right_agg is None:
                        right_agg = vat
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif end == timestamp:
                    left_created = True
                    self._update_and_forward(wkey.window, vat, record, close_time)
                    if max_ts < timestamp:
                        previous_ts = max_ts
                    else:
                        return  # the record's windows all exist already
                else:  # end < timestamp
                    left_agg = vat
                    previous_ts = max_ts
                    break
        self._create_windows(record, close_time, starts, right_agg, left_agg, left_created,
                             right_created, previous_ts)

    def _process_early(self, record: Record, close_time: int) -> None:
        key, timestamp = record.key, record.timestamp
        diff = self.windows.time_difference_ms
        combined = None
        right_agg = None
        right_created = False
        starts: set[int] = set()
        previous_ts: int | None = None
        with self.store.fetch(key, key, 0, timestamp + 1) as it:
            for wkey, vat in it:
                start = wkey.window.start
                starts.add(start)
                if start == 0:
                    combined = (wkey, vat)
                    if vat.timestamp < timestamp:
                        previous_ts = vat.timestamp
                elif start <= timestamp:
                    right_agg = vat
                    self._update_and_forward(wkey.window, vat, record, close_time)
                elif start == timestamp + 1:
                    right_created = True
                else:
                    raise StreamsException("Unexpected window found when processing sliding windows",
                                           processor=self.context.current_node_name)
        if right_agg is None and combined is not None and combined[1].timestamp > timestamp:
            right_agg = combined[1]
        if not right_created and self._right_not_empty(right_agg, timestamp):
            self._create_current_right(timestamp, right_agg, record)
        if previous_ts is not None and previous_ts + 1 not in starts:
            self._create_previous_right(previous_ts + 1, record, close_time)
        if combined is None:
            self._update_and_forward(TimeWindow(0, diff),
                                     ValueAndTimestamp(self.initializer(), timestamp), record,
                                     close_time)
        else:
            self._update_and_forward(combined[0].window, combined[1], record, close_time)

    def _create_windows(self, record: Record, close_time: int, starts: set[int], right_agg: Any,
                        left_agg: Any, left_created: bool, right_created: bool,
                        previous_ts: int | None) -> None:
        timestamp = record.timestamp
        diff = self.windows.time_difference_ms
        if previous_ts is not None:
            previous_right_start = previous_ts + 1
            if previous_right_start not in starts and previous_right_start + diff >= timestamp:
                self._create_previous_right(previous_right_start, record, close_time)
        if not left_created:
            if previous_ts is not None and timestamp - diff <= previous_ts:
                vat = ValueAndTimestamp(left_agg.value, timestamp)
            else:
                vat = ValueAndTimestamp(self.initializer(), timestamp)
            self._update_and_forward(TimeWindow(timestamp - diff, timestamp), vat, record,
                                     close_time)
        if not right_created and self._right_not_empty(right_agg, timestamp):
            self._create_current_right(timestamp, right_agg, record)

    @staticmethod
    def _right_not_empty(right_agg: Any, timestamp: int) -> bool:
        return right_agg is not None and right_agg.timestamp > timestamp

    def _create_current_right(self, timestamp: int, right_agg: Any, record: Record) -> None:
        diff = self.windows.time_difference_ms
        window = TimeWindow(timestamp + 1, timestamp + 1 + diff)
        self.store.put(record.key, right_agg, window.start)
        self._forward_update(record, window, None, right_agg.value, right_agg.timestamp)

    def _create_previous_right(self, start: int, record: Record, close_time: int) -> None:
        window = TimeWindow(start, start + self.windows.time_difference_ms)
        self._update_and_forward(window, ValueAndTimestamp(self.initializer(), record.timestamp),
                                 record, close_time)

    def _update_and_forward(self, window: Any, vat: Any, record: Record, close_time: int) -> None:
        start, end = window.start, window.end
        if end >= close_time:
            old_agg = None if vat is None else vat.value
            new_agg = self.aggregator(record.key, record.value, old_agg)
            new_ts = record.timestamp if old_agg is None else max(record.timestamp, vat.timestamp)
            self.store.put(record.key, ValueAndTimestamp.make(new_agg, new_ts), start)
            self._forward_update(record, window, old_agg, new_agg, new_ts)
        else:
            log_expired(self.context, record.timestamp, f"[{start},{end}]", close_time,
                         self.observed_stream_time)

    def _emit_lower(self, window_close_time: int) -> int:
        if self.last_emit_window_close_time == NO_TIMESTAMP:
            return 0
        return max(0, self.last_emit_window_close_time - self.windows.time_difference_ms)

    def _emit_upper(self, window_close_time: int) -> int:
        return window_close_time - self.windows.time_difference_ms - 1
