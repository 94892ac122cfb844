"""Time as a dependency, so delays, rate limiters and aging can be tested in virtual time.

Everything in the runtime that waits or measures (the delaying part of the work queue, the token
bucket, cache resyncs, controller requeues) takes a :class:`Clock`. Production code uses
:class:`RealClock` (``time.monotonic`` plus the running event loop's timers); tests use
:class:`FakeClock`, whose time only moves when the test calls :meth:`FakeClock.advance`, so a
1000-second backoff is checked without waiting for it.

A clock also schedules plain callbacks (:meth:`Clock.call_at`), which is how the work queue runs its
delays without owning a background task.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from typing import Protocol


class Timer(Protocol):
    """A scheduled callback that can still be called off."""

    def cancel(self) -> None:
        """Prevent the callback from running; a no-op once it ran."""
        ...


class Clock(Protocol):
    """Monotonic time in seconds, sleeping, and callbacks at a deadline."""

    def now(self) -> float:
        """The current monotonic time in seconds (an arbitrary origin; only differences matter)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Suspend for ``seconds`` (at once when ``seconds <= 0``, still yielding to the loop)."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Suspend until ``now() >= deadline``."""
        ...

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` on the running event loop once ``now() >= deadline``."""
        ...


class RealClock:
    """The wall of the process: ``time.monotonic`` and the running event loop's timers."""

    __slots__ = ()

    #: ``time.monotonic`` itself: the work queue reads the clock on every add and get.
    now = staticmethod(time.monotonic)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))

    async def sleep_until(self, deadline: float) -> None:
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        loop = asyncio.get_running_loop()
        return loop.call_later(max(0.0, deadline - time.monotonic()), callback)


class _FakeTimer:
    __slots__ = ("callback", "cancelled", "deadline")

    def __init__(self, deadline: float, callback: Callable[[], None]) -> None:
        self.deadline = deadline
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class FakeClock:
    """Virtual time for tests: it stands still until :meth:`advance` moves it.

    ``advance`` runs due callbacks synchronously in deadline order, setting ``now()`` to each
    callback's deadline while it runs. Sleepers are woken through such callbacks, so they resume the
    next time the test yields to the event loop (``await asyncio.sleep(0)``).
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._timers: list[tuple[float, int, _FakeTimer]] = []
        self._sequence = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self._now + seconds)

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def wake() -> None:
            if not woken.done():
                woken.set_result(None)

        timer = self.call_at(deadline, wake)
        try:
            await woken
        finally:
            timer.cancel()

    def call_at(self, deadline: float, callback: Callable[[], None]) -> Timer:
        timer = _FakeTimer(deadline, callback)
        heapq.heappush(self._timers, (deadline, next(self._sequence), timer))
        return timer

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, running every callback that falls due on the way."""
        if seconds < 0:
            raise ValueError("a monotonic clock cannot go back")
        target = self._now + seconds
        while self._timers and self._timers[0][0] <= target:
            deadline, _, timer = heapq.heappop(self._timers)
            if timer.cancelled:
                continue
            self._now = max(self._now, deadline)
            timer.cancelled = True
            timer.callback()
        self._now = target

    @property
    def pending_timers(self) -> int:
        """How many callbacks are scheduled and not cancelled (to assert nothing leaks)."""
        return sum(1 for _, _, timer in self._timers if not timer.cancelled)
