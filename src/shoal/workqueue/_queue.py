"""The work queue between event handlers and reconcile workers, with client-go's guarantees.

It exists because a controller's correctness rests on three promises, kept exactly as client-go's
``workqueue`` keeps them:

* *Stingy*: an item added many times before a worker takes it is processed once.
* *One worker per item*: an item handed to a worker is not handed out again until ``done``; an add
  during processing is parked and handed out after ``done`` — deferred, never dropped.
* *Shutdown*: after ``shutdown`` adds are ignored, workers still receive what is queued, and then
  ``get`` raises :class:`QueueShutDown`.

On top: priorities with aging (see :mod:`shoal.workqueue._ready`), ``add_after`` through one
deadline heap and one clock timer (no task per item, no background task at all), rate-limited adds,
Prometheus metrics for named queues, and :meth:`WorkQueue.statistics`.

Each item is in at most one of three states besides *processing*: *ready* (a worker may take it),
*deferred* (added while processing; ready again at ``done``) or *waiting* (ready at a deadline).
Merging follows controller-runtime's priority queue: the higher priority and the sooner readiness win,
so ``add`` of a waiting item makes it ready now.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry

from shoal.api import ShoalError
from shoal.metrics import QueueMetrics, workqueue_metrics

from ._clock import Clock, RealClock, Timer
from ._ratelimiter import RateLimiter, default_controller_rate_limiter
from ._ready import ReadyItems
from ._waiting import WaitingItems

T = TypeVar("T", bound=Hashable)


class Priority(enum.IntEnum):
    """Conventional priorities; any int works, higher is served sooner."""

    #: Initial-list and resync events: nothing changed, so they may wait behind real changes.
    LOW = -100
    #: Real changes (and the default).
    HIGH = 0


class QueueShutDown(ShoalError):  # noqa: N818 - named like asyncio.QueueShutDown (Python 3.13)
    """Raised by ``get`` once the queue is shut down and holds no ready item."""


@dataclass(frozen=True, slots=True)
class QueueStatistics:
    """A snapshot of a queue. ``depth`` counts items awaiting a worker (ready or deferred until
    ``done``), ``waiting`` items due later; ``adds`` and ``retries`` are totals since creation."""

    depth: int
    processing: int
    waiting: int
    adds: int
    retries: int


class WorkQueue(Generic[T]):
    """An asyncio work queue of hashable items with priorities, delays and rate-limited retries.

    ``add``, ``add_all``, ``add_after``, ``add_rate_limited``, ``done`` and ``shutdown`` never block;
    ``get`` awaits an item and raises :class:`QueueShutDown` when the queue is shut down and empty. Use
    it from one event loop. Metrics are recorded only for a queue with a ``name``.

    ``async with WorkQueue(...) as queue:`` shuts the queue down (without draining) on exit. The queue
    owns no task: delays run on one clock timer, cancelled by shutdown.
    """

    def __init__(
        self,
        *,
        name: str = "",
        controller: str | None = None,
        rate_limiter: RateLimiter[T] | None = None,
        clock: Clock | None = None,
        aging_threshold: float = 5.0,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.name = name
        self.rate_limiter: RateLimiter[T] = rate_limiter or default_controller_rate_limiter()
        self.clock: Clock = clock or RealClock()
        self._ready: ReadyItems[T] = ReadyItems(aging_threshold)
        self._deferred: dict[T, int] = {}
        self._waiting: WaitingItems[T] = WaitingItems()
        self._processing: set[T] = set()
        self._getters: deque[asyncio.Future[None]] = deque()
        self._drained: asyncio.Future[None] | None = None
        self._timer: Timer | None = None
        self._timer_deadline = 0.0
        self._shutting_down = False
        self._adds = 0
        self._retries = 0
        self._metrics: QueueMetrics | None = None
        if name:
            self._metrics = workqueue_metrics(registry).for_queue(name, controller or name, self.clock.now)

    async def __aenter__(self) -> WorkQueue[T]:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.shutdown()

    def __len__(self) -> int:
        return len(self._ready) + len(self._deferred)

    @property
    def shutting_down(self) -> bool:
        return self._shutting_down

    @property
    def aging_threshold(self) -> float:
        """Seconds a ready item waits before the aging rule serves it ahead of higher priorities."""
        return self._ready.aging_threshold

    def add(self, item: T, priority: int = Priority.HIGH) -> None:
        """Queue ``item`` now. A queued item keeps one entry and takes the higher priority."""
        if self._shutting_down:
            return
        if self._add(item, priority, self.clock.now()):
            self._wake_one()

    def add_all(self, items: Iterable[T], priority: int = Priority.HIGH) -> None:
        """:meth:`add` each of ``items`` in order, reading the clock once (an informer's list page)."""
        if self._shutting_down:
            return
        now = self.clock.now()
        fresh = 0
        waiting, ready, processing = self._waiting, self._ready, self._processing
        push, metrics = ready.push, self._metrics
        for item in items:
            if item in waiting or item in ready or item in processing:
                fresh += self._add(item, priority, now)
                continue
            self._adds += 1
            if metrics is not None:
                metrics.add(item, priority, now)
            push(item, priority, now)
            fresh += 1
        while fresh and self._getters:
            self._wake_one()
            fresh -= 1

    def _add(self, item: T, priority: int, now: float) -> bool:
        """The add of one item at ``now``; True when it became ready (a getter should be woken)."""
        waited = self._waiting.remove(item)
        if waited is not None and waited > priority:
            priority = waited
        ready = self._ready.priority(item)
        if ready is not None:
            if self._ready.raise_priority(item, priority) and self._metrics is not None:
                self._metrics.reprioritize(ready, priority)
            return False
        if item in self._processing:
            deferred = self._deferred.get(item)
            if deferred is None:
                self._count_add(item, priority, now)
                self._deferred[item] = priority
            elif priority > deferred:
                self._deferred[item] = priority
                if self._metrics is not None:
                    self._metrics.reprioritize(deferred, priority)
            return False
        self._count_add(item, priority, now)
        self._ready.push(item, priority, now)
        return True

    def add_after(self, item: T, delay: float, priority: int = Priority.HIGH) -> None:
        """Queue ``item`` after ``delay`` seconds (at once when ``delay <= 0``). Counted as a retry.

        An item already queued stays queued (it only takes the higher priority); an item already
        waiting keeps the sooner deadline.
        """
        if self._shutting_down:
            return
        self._retries += 1
        if self._metrics is not None:
            self._metrics.retry()
        if delay <= 0:
            self.add(item, priority)
            return
        if item in self._ready or item in self._deferred:
            self.add(item, priority)
            return
        self._waiting.put(item, priority, self.clock.now() + delay)
        self._arm_timer()

    def add_rate_limited(self, item: T, priority: int = Priority.HIGH) -> None:
        """Queue ``item`` after the delay its rate limiter gives (its next backoff step)."""
        self.add_after(item, self.rate_limiter.when(item), priority)

    def forget(self, item: T) -> None:
        """Reset ``item``'s backoff. Call it on success (or when giving up); ``done`` is still due."""
        self.rate_limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        """How many rate-limited adds ``item`` had since it was last forgotten."""
        return self.rate_limiter.num_requeues(item)

    async def get(self) -> T:
        """Await the next item; the caller must call ``done(item)`` when finished with it."""
        item, _ = await self.get_with_priority()
        return item

    async def get_with_priority(self) -> tuple[T, int]:
        """Like :meth:`get`, also returning the priority the item was queued with."""
        while not self._ready:
            if self._shutting_down:
                raise QueueShutDown(f"work queue {self.name!r} is shut down")
            getter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                if getter in self._getters:
                    self._getters.remove(getter)
                elif self._ready:
                    # We were woken for an item we no longer take: pass the wake-up on.
                    self._wake_one()
                raise
        now = self.clock.now()
        item, priority = self._ready.pop(now)
        self._processing.add(item)
        if self._metrics is not None:
            self._metrics.get(item, priority, now)
        return item, priority

    def done(self, item: T) -> None:
        """Mark ``item`` finished; if it was added meanwhile, it is ready again now."""
        try:
            self._processing.remove(item)
        except KeyError:
            raise ValueError(f"done({item!r}) for an item that is not being processed") from None
        if self._metrics is not None:
            self._metrics.done(item)
        priority = self._deferred.pop(item, None)
        if priority is not None:
            self._ready.push(item, priority, self.clock.now())
            self._wake_one()
        elif not self._processing and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def shutdown(self) -> None:
        """Stop accepting adds and drop waiting items; ``get`` raises once the queue is empty.

        Also ends a pending :meth:`shutdown_with_drain` without waiting further.
        """
        self._begin_shutdown()
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    async def shutdown_with_drain(self) -> None:
        """Shut down like :meth:`shutdown`, then wait until no item is being processed.

        Workers must call ``done`` for every item they got, or this waits for ever; a later
        ``shutdown()`` ends the wait.
        """
        self._begin_shutdown()
        if not self._processing:
            return
        if self._drained is None or self._drained.done():
            self._drained = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._drained)

    def statistics(self) -> QueueStatistics:
        """Counts of the queue right now."""
        return QueueStatistics(
            depth=len(self),
            processing=len(self._processing),
            waiting=len(self._waiting),
            adds=self._adds,
            retries=self._retries,
        )

    def _count_add(self, item: T, priority: int, now: float) -> None:
        self._adds += 1
        if self._metrics is not None:
            self._metrics.add(item, priority, now)

    def _wake_one(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.popleft()
            if not getter.done():
                getter.set_result(None)
                return

    def _begin_shutdown(self) -> None:
        self._shutting_down = True
        self._waiting.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._getters:
            getter = self._getters.popleft()
            if not getter.done():
                getter.set_result(None)

    def _arm_timer(self) -> None:
        deadline = self._waiting.next_deadline()
        if self._timer is not None:
            if deadline is not None and deadline >= self._timer_deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None:
            self._timer_deadline = deadline
            self._timer = self.clock.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        for item, priority in self._waiting.pop_due(self.clock.now()):
            self.add(item, priority)
        self._arm_timer()
