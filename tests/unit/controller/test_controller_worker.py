"""The worker loop: results are filed as controller-runtime files them, and workers never die."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from shoal.api import ConflictError
from shoal.client import Client
from shoal.controller import (
    Controller,
    ControllerOptions,
    Manager,
    ReconcileContext,
    Request,
    Result,
    TerminalError,
)
from shoal.testing import eventually
from shoal.workqueue import ItemExponentialFailureRateLimiter

from .conftest import CMS, configmap, sample


class Flaky:
    """Fails ``failures`` times per request (with an API error, then a bug), then marks the object done."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.attempts: Counter[Request] = Counter()

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.attempts[request] += 1
        n = self.attempts[request]
        if n <= self.failures:
            if n % 2:
                raise ConflictError("simulated conflict")
            raise KeyError("simulated bug")
        obj = await ctx.reader.get(CMS, request.name, namespace=request.namespace)
        if "done" in obj.get("data", {}):
            return None
        obj.setdefault("data", {})["done"] = str(n)
        await ctx.client.update(CMS, obj)
        return None


FAST_RETRIES = ControllerOptions(rate_limiter=ItemExponentialFailureRateLimiter(0.001, 0.01))


async def test_failing_reconcile_backs_off_then_succeeds(client: Client, manager: Manager) -> None:
    reconciler = Flaky(failures=3)
    Controller.build(manager).for_(CMS).with_options(FAST_RETRIES).named("flaky").complete(reconciler)
    await client.create(CMS, configmap("a"))
    async with manager:

        async def done() -> bool:
            return (await client.get(CMS, "a", namespace="default")).get("data", {}).get("done") == "4"

        await eventually(done)
        reg = manager.registry
        await eventually(
            lambda: (
                sample(reg, "controller_runtime_reconcile_total", controller="flaky", result="success") >= 1
            )
        )
        assert sample(reg, "controller_runtime_reconcile_errors_total", controller="flaky") == 3
        assert sample(reg, "controller_runtime_reconcile_total", controller="flaky", result="error") == 3
        assert sample(reg, "controller_runtime_reconcile_panics_total", controller="flaky") == 1
        assert sample(reg, "controller_runtime_max_concurrent_reconciles", controller="flaky") == 16
        assert sample(reg, "workqueue_retries_total", name="flaky", controller="flaky") >= 3


class Terminal:
    def __init__(self) -> None:
        self.attempts = 0

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.attempts += 1
        raise TerminalError("spec can never work")


async def test_terminal_error_is_counted_and_not_retried(client: Client, manager: Manager) -> None:
    reconciler = Terminal()
    controller = Controller.build(manager).for_(CMS).with_options(FAST_RETRIES).complete(reconciler)
    await client.create(CMS, configmap("a"))
    async with manager:
        reg = manager.registry
        await eventually(lambda: reconciler.attempts == 1)
        await eventually(
            lambda: controller.queue is not None and controller.queue.statistics().processing == 0
        )
        assert controller.queue is not None
        stats = controller.queue.statistics()
        assert (stats.depth, stats.waiting) == (0, 0), "nothing may be queued for a retry"
        assert sample(reg, "controller_runtime_terminal_reconcile_errors_total", controller="configmaps") == 1
        assert sample(reg, "controller_runtime_reconcile_errors_total", controller="configmaps") == 1
        assert controller.queue.num_requeues(Request("default", "a")) == 0

        obj = await client.get(CMS, "a", namespace="default")
        obj["data"] = {"k": "changed"}
        await client.update(CMS, obj)  # a new change reconciles again
        await eventually(lambda: reconciler.attempts == 2)


class Periodic:
    def __init__(self) -> None:
        self.attempts = 0

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.attempts += 1
        return Result(requeue_after=0.01) if self.attempts < 3 else None


async def test_requeue_after_reconciles_again(client: Client, manager: Manager) -> None:
    reconciler = Periodic()
    Controller.build(manager).for_(CMS).complete(reconciler)
    await client.create(CMS, configmap("a"))
    async with manager:
        await eventually(lambda: reconciler.attempts == 3)
        reg = manager.registry
        assert (
            sample(reg, "controller_runtime_reconcile_total", controller="configmaps", result="requeue_after")
            == 2
        )


class Concurrency:
    """Blocks every reconcile until released, recording overlap per key and overall."""

    def __init__(self) -> None:
        self.running: set[Request] = set()
        self.peak = 0
        self.overlap_same_key = False
        self.gate = asyncio.Event()
        self.seen: Counter[Request] = Counter()

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        if request in self.running:
            self.overlap_same_key = True
        self.running.add(request)
        self.peak = max(self.peak, len(self.running))
        try:
            await self.gate.wait()
        finally:
            self.running.discard(request)
        self.seen[request] += 1
        return None


async def test_workers_run_concurrently_but_never_on_the_same_key(client: Client, manager: Manager) -> None:
    reconciler = Concurrency()
    Controller.build(manager).for_(CMS).with_options(ControllerOptions(max_concurrent_reconciles=4)).complete(
        reconciler
    )
    for i in range(8):
        await client.create(CMS, configmap(f"cm-{i}"))
    async with manager:
        await eventually(lambda: len(reconciler.running) == 4)
        # Changes to an object being reconciled are deferred, not run alongside.
        for name in sorted(r.name for r in reconciler.running):
            obj = await client.get(CMS, name, namespace="default")
            obj["data"] = {"k": "again"}
            await client.update(CMS, obj)
        await asyncio.sleep(0.05)
        assert reconciler.peak == 4
        reconciler.gate.set()
        await eventually(lambda: len(reconciler.seen) == 8 and sum(reconciler.seen.values()) == 12)
    assert not reconciler.overlap_same_key


async def test_a_new_object_overtakes_a_backlog_whose_reconciles_never_await(
    client: Client, manager: Manager
) -> None:
    backlog = 1500
    order: list[str] = []
    first = asyncio.Event()

    class NeverAwaits:
        async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
            order.append(request.name)
            first.set()
            deadline = time.perf_counter() + 0.00002  # a little CPU work, and no await
            while time.perf_counter() < deadline:
                pass
            return None

    Controller.build(manager).for_(CMS).complete(NeverAwaits())
    for i in range(backlog):
        await client.create(CMS, configmap(f"backlog-{i:05d}"))

    async def create_fresh() -> None:
        await first.wait()
        await client.create(CMS, configmap("fresh"))

    async with manager, asyncio.TaskGroup() as tg:
        tg.create_task(create_fresh())
        await eventually(lambda: "fresh" in order and len(order) > backlog, within=30)
    assert order.index("fresh") < backlog, "the new object waited for the whole backlog"
