"""The controller: a work queue fed by informer events and drained by N concurrent reconcile workers.

Why this shape (controller-runtime's): the queue guarantees one worker per key and collapses bursts of
events into one reconcile, so workers can run in parallel without locks. The default of 16 workers
(controller-runtime's is 1) is deliberate: every seed workload was bound by reconciling one object at
a time while the others waited.

Each worker takes a request, builds a fresh (lazily filled) :class:`ReconcileContext`, awaits the reconciler and files
the outcome exactly as controller-runtime's ``reconcileHandler`` does (see :mod:`._reconcile`), then
marks the request done. A raised exception is counted and retried with backoff; it never ends the
worker. Stopping lets in-flight reconciles finish and starts no new ones.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry

from shoal.api import ApiError, GroupVersionKind, GroupVersionResource
from shoal.cache import Cache
from shoal.client import Client
from shoal.metrics import ReconcileMetrics, controller_metrics
from shoal.workqueue import QueueShutDown, RateLimiter, WorkQueue

from ._handlers import EventRouter, Mapper, OwnerMapper, request_for_object
from ._reconcile import ReconcileContext, Reconciler, Request, Result, TerminalError
from ._recorder import EventRecorder

if TYPE_CHECKING:
    from ._builder import Builder
    from ._manager import Manager
    from ._predicates import Predicate

log = logging.getLogger("shoal.controller")

WORKER_SLICE = 0.0005
"""Seconds a controller's workers may reconcile before they let the event loop take a turn."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ControllerOptions:
    """How one controller runs.

    Attributes:
        max_concurrent_reconciles: workers reconciling at once (different keys only). Defaults to 16.
        cache_sync_timeout: seconds to wait for the watched informers' first lists. Defaults to 120.
        reconcile_timeout: cancel a reconcile after this many seconds and retry it (``None``: never).
        rate_limiter: the per-key retry policy; ``None`` is 5 ms doubling to 1000 s.
        aging_threshold: seconds a ready request may wait before it is served ahead of higher
            priorities on every second pick (see :mod:`shoal.workqueue`). Defaults to 5.
        need_leader_election: run only on the elected manager. Defaults to True.
    """

    max_concurrent_reconciles: int = 16
    cache_sync_timeout: float = 120.0
    reconcile_timeout: float | None = None
    rate_limiter: RateLimiter[Request] | None = None
    aging_threshold: float = 5.0
    need_leader_election: bool = True

    def __post_init__(self) -> None:
        if self.max_concurrent_reconciles < 1:
            raise ValueError("max_concurrent_reconciles must be at least 1")
        if self.aging_threshold <= 0:
            raise ValueError("aging_threshold must be positive")


@dataclass(frozen=True, slots=True)
class Watch:
    """One event source of a controller: a resource, how its objects map to requests, and filters.

    ``role`` is ``"for"`` (the object itself), ``"owns"`` (its controlling owner of the ``for`` kind)
    or ``"watches"`` (``mapper``).
    """

    resource: GroupVersionResource
    role: str
    predicates: tuple[Predicate, ...] = ()
    mapper: Mapper | None = None


class Controller:
    """Runs one reconciler over the requests its watches produce. Build it with :meth:`build`."""

    def __init__(
        self,
        name: str,
        reconciler: Reconciler,
        watches: list[Watch],
        *,
        for_kind: GroupVersionKind | None = None,
        options: ControllerOptions | None = None,
    ) -> None:
        if not any(w.role == "for" for w in watches) and any(w.role == "owns" for w in watches):
            raise ValueError(f"controller {name!r}: owns() needs for_() to know the owner kind")
        self.name = name
        self.reconciler = reconciler
        self.watches = list(watches)
        self.for_kind = for_kind
        self.options = options or ControllerOptions()
        self.queue: WorkQueue[Request] | None = None
        self._stopping = False
        self._slice = 0
        self._turn_over = False
        self._slice_end = 0.0
        self._metrics: ReconcileMetrics | None = None

    @staticmethod
    def build(manager: Manager) -> Builder:
        """Start a builder: ``Controller.build(mgr).for_(...).owns(...).complete(reconciler)``."""
        from ._builder import Builder

        return Builder(manager)

    @property
    def for_resource(self) -> GroupVersionResource | None:
        return next((w.resource for w in self.watches if w.role == "for"), None)

    async def run(self, client: Client, cache: Cache, *, registry: CollectorRegistry | None = None) -> None:
        """Watch, wait for the caches, and reconcile until :meth:`stop` (or cancellation)."""
        queue: WorkQueue[Request] = WorkQueue(
            name=self.name,
            rate_limiter=self.options.rate_limiter,
            aging_threshold=self.options.aging_threshold,
            registry=registry,
        )
        self.queue = queue
        if self._stopping:
            queue.shutdown()
        metrics = controller_metrics(registry).for_controller(self.name)
        self._metrics = metrics
        async with asyncio.timeout(self.options.cache_sync_timeout):
            await self._register(queue, cache)
        metrics.max_concurrent_reconciles.set(self.options.max_concurrent_reconciles)
        recorder = EventRecorder(client, self.name)
        log.info("controller %s: starting %d workers", self.name, self.options.max_concurrent_reconciles)
        async with asyncio.TaskGroup() as tg:
            for i in range(self.options.max_concurrent_reconciles):
                tg.create_task(self._worker(queue, client, cache, recorder), name=f"{self.name} worker {i}")

    def stop(self) -> None:
        """Take no new requests; workers finish the reconcile they are in, then return."""
        self._stopping = True
        if self.queue is not None:
            self.queue.shutdown()

    async def _register(self, queue: WorkQueue[Request], cache: Cache) -> None:
        for_watch = next((w for w in self.watches if w.role == "for"), None)
        if for_watch is not None:
            informer = cache.informer(for_watch.resource)
            informer.add_handler(EventRouter(queue, request_for_object, for_watch.predicates))
            if self.for_kind is None:
                await informer.wait_for_sync()
                self.for_kind = informer.kind
        for watch in self.watches:
            if watch.role == "for":
                continue
            mapper = watch.mapper
            if watch.role == "owns":
                assert for_watch is not None
                if self.for_kind is None:
                    raise ValueError(f"controller {self.name!r}: the kind of {for_watch.resource} is unknown")
                mapper = OwnerMapper(self.for_kind, cache.informer(for_watch.resource))
            assert mapper is not None
            cache.informer(watch.resource).add_handler(EventRouter(queue, mapper, watch.predicates))
        for watch in self.watches:
            await cache.informer(watch.resource).wait_for_sync()

    async def _worker(
        self, queue: WorkQueue[Request], client: Client, cache: Cache, recorder: EventRecorder
    ) -> None:
        while not self._stopping:
            try:
                request, priority = await queue.get_with_priority()
            except QueueShutDown:
                return
            try:
                await self._reconcile(queue, request, priority, client, cache, recorder)
            finally:
                queue.done(request)
            if self._turn_over or time.monotonic() >= self._slice_end:
                await self._next_turn()

    async def _next_turn(self) -> None:
        """Give the event loop a turn: every worker yields once its current reconcile is over.

        Reconciles that never await (a cache read, a no-op) would otherwise let the workers drain the
        whole queue without the loop reading a watch event: a new object could not overtake the
        backlog, and lease renewals would stall. Yielding after every reconcile cost as much as the
        rest of the work queue's bookkeeping; the workers of a controller therefore share a slice of
        :data:`WORKER_SLICE` seconds per loop turn, and the first of them to run in the next turn
        starts the next slice.
        """
        ended = self._slice
        self._turn_over = True
        await asyncio.sleep(0)
        if self._slice == ended:
            self._slice += 1
            self._turn_over = False
            self._slice_end = time.monotonic() + WORKER_SLICE

    async def _reconcile(
        self,
        queue: WorkQueue[Request],
        request: Request,
        priority: int,
        client: Client,
        cache: Cache,
        recorder: EventRecorder,
    ) -> None:
        metrics = self._metrics
        assert metrics is not None
        ctx = ReconcileContext(
            client=client,
            reader=cache.reader,
            recorder=recorder,
            controller=self.name,
            request=request,
            priority=priority,
        )
        active = metrics.active_workers
        active.value += 1
        started = time.monotonic()
        deadline = self.options.reconcile_timeout
        timeout = None if deadline is None else asyncio.timeout(deadline)
        try:
            if timeout is None:
                result = await self.reconciler.reconcile(ctx, request)
            else:
                async with timeout:
                    result = await self.reconciler.reconcile(ctx, request)
        except TerminalError as exc:
            metrics.observe("error", time.monotonic() - started, terminal=True)
            queue.forget(request)
            ctx.log.error("terminal error, not retrying: %s", exc)
        except Exception as exc:
            metrics.observe("error", time.monotonic() - started)
            if timeout is not None and timeout.expired():
                metrics.reconcile_timeouts.inc()
                ctx.log.error("reconcile timed out after %s s; retrying", deadline)
            elif isinstance(exc, ApiError):
                ctx.log.error("reconcile failed; retrying: %s", exc)
            else:
                metrics.reconcile_panics.inc()
                ctx.log.exception("reconcile raised; retrying")
            queue.add_rate_limited(request, priority)
        else:
            self._file_result(queue, request, priority, result, metrics, time.monotonic() - started)
        finally:
            active.value -= 1

    @staticmethod
    def _file_result(
        queue: WorkQueue[Request],
        request: Request,
        priority: int,
        result: Result | None,
        metrics: ReconcileMetrics,
        seconds: float,
    ) -> None:
        queue.forget(request)
        if result is not None and result.requeue_after is not None:
            again = priority if result.priority is None else result.priority
            queue.add_after(request, result.requeue_after, again)
            metrics.observe("requeue_after", seconds)
        else:
            metrics.observe("success", seconds)
