"""Punctuation schedules and their queue (Kafka's PunctuationSchedule and PunctuationQueue)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from raystreams.engine.java_heap import JavaPriorityQueue

_MAX_LONG = (1 << 63) - 1


class PunctuationSchedule:
    """One scheduled punctuator; ``next`` skips missed intervals instead of firing a burst."""

    __slots__ = ("node", "timestamp", "interval", "punctuator", "handle")

    def __init__(self, node: Any, timestamp: int, interval: int,
                 punctuator: Callable[[int], None], handle: Cancellable) -> None:
        self.node = node
        self.timestamp = timestamp
        self.interval = interval
        self.punctuator = punctuator
        self.handle = handle

    def next(self, current: int) -> PunctuationSchedule:
        nxt = self.timestamp + self.interval
        if current >= nxt:
            missed = (current - self.timestamp) // self.interval
            nxt = min(self.timestamp + (missed + 1) * self.interval, _MAX_LONG)
        return PunctuationSchedule(self.node, nxt, self.interval, self.punctuator, self.handle)


class Cancellable:
    """Handle ``ProcessorContext.schedule`` returns; ``cancel()`` stops the punctuator."""

    __slots__ = ("cancelled",)

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class PunctuationQueue:
    """Schedules ordered by due time; ``maybe_punctuate`` fires every one due at ``now``."""

    def __init__(self) -> None:
        self._pq: JavaPriorityQueue[PunctuationSchedule] = JavaPriorityQueue(
            lambda a, b: (a.timestamp > b.timestamp) - (a.timestamp < b.timestamp))

    def schedule(self, sched: PunctuationSchedule) -> Cancellable:
        self._pq.offer(sched)
        return sched.handle

    def __len__(self) -> int:
        return len(self._pq)

    def maybe_punctuate(self, now: int, fire: Callable[[PunctuationSchedule, int], None]) -> bool:
        punctuated = False
        top = self._pq.peek()
        while top is not None and top.timestamp <= now:
            sched = self._pq.poll()
            assert sched is not None
            if not sched.handle.cancelled:
                fire(sched, now)
                if not sched.handle.cancelled:
                    nxt = sched.next(now)
                    if nxt.timestamp > now:
                        self._pq.offer(nxt)
                punctuated = True
            top = self._pq.peek()
        return punctuated
