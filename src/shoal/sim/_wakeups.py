"""Shared wake-ups of watch streams under load: one loop timer for every watcher due at the same moment.

Under a burst of writes a watcher wakes its stream at most once per batch interval, so every change
after a wake-up waits for a timer. With ten watchers on a resource that is ten timers, ten callbacks
and ten heap entries per interval for what is one moment. Due times are rounded up to a quarter of
the interval, so watchers that fell due together share one timer and, woken together, stay in step.
"""

from __future__ import annotations

import asyncio
import math

Due = tuple[asyncio.AbstractEventLoop, float]


class WakeSchedule:
    """Waiters to wake at a loop time, one timer per loop and time (a store may serve several loops)."""

    __slots__ = ("_due",)

    def __init__(self) -> None:
        self._due: dict[Due, list[asyncio.Future[None]]] = {}

    @staticmethod
    def slot(after: float, interval: float) -> float:
        """The first shared due time at or after ``after`` (a quarter of ``interval`` apart)."""
        step = interval / 4
        return math.ceil(after / step) * step

    def wake_at(self, when: float, waiter: asyncio.Future[None]) -> None:
        """Complete ``waiter`` at loop time ``when`` (unless it is done by then)."""
        loop = waiter.get_loop()
        key = (loop, when)
        waiters = self._due.get(key)
        if waiters is None:
            self._due[key] = [waiter]
            loop.call_at(when, self._release, key)
        else:
            waiters.append(waiter)

    @property
    def timers(self) -> int:
        """Loop timers pending."""
        return len(self._due)

    def _release(self, key: Due) -> None:
        for waiter in self._due.pop(key, ()):
            if not waiter.done():
                waiter.set_result(None)
