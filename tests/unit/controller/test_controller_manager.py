"""The manager: HTTP endpoints, graceful drain of in-flight reconciles, leader election hand-over."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from shoal.client import Client
from shoal.controller import (
    Controller,
    LeaderElectionOptions,
    Manager,
    ReconcileContext,
    Request,
    Result,
)
from shoal.controller._leader import LEASES
from shoal.testing import eventually

from .conftest import CMS, configmap, options


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Noop:
    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        return None


async def test_metrics_health_and_readiness_endpoints(client: Client) -> None:
    port = free_port()
    manager = Manager(client, options=options(http_host="127.0.0.1", http_port=port))
    Controller.build(manager).for_(CMS).named("served").complete(Noop())
    await client.create(CMS, configmap("a"))
    async with manager, aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{port}"
        await eventually(lambda: manager.ready)
        async with http.get(f"{base}/healthz") as resp:
            assert (resp.status, await resp.text()) == (200, "ok")
        async with http.get(f"{base}/readyz") as resp:
            assert resp.status == 200

        async def reconciled() -> bool:
            async with http.get(f"{base}/metrics") as resp:
                text = await resp.text()
            return 'controller_runtime_reconcile_total{controller="served",result="success"} 1.0' in text

        await eventually(reconciled)
        async with http.get(f"{base}/metrics") as resp:
            text = await resp.text()
        for name in (
            "controller_runtime_reconcile_errors_total",
            "controller_runtime_terminal_reconcile_errors_total",
            "controller_runtime_reconcile_panics_total",
            "controller_runtime_reconcile_time_seconds_bucket",
            "controller_runtime_max_concurrent_reconciles",
            "controller_runtime_active_workers",
            "workqueue_adds_total",
            "workqueue_depth",
        ):
            assert name in text


class Slow:
    """Holds each reconcile until released; records whether it ran to the end."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.finished = 0
        self.cancelled = 0

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        self.started.set()
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        obj = await ctx.client.get(CMS, request.name, namespace=request.namespace)
        obj["data"] = {"finished": "yes"}
        await ctx.client.update(CMS, obj)
        self.finished += 1
        return None


async def test_graceful_shutdown_drains_in_flight_reconciles(client: Client, manager: Manager) -> None:
    reconciler = Slow()
    Controller.build(manager).for_(CMS).complete(reconciler)
    await client.create(CMS, configmap("a"))
    async with asyncio.TaskGroup() as tg:
        run = tg.create_task(manager.run())
        await reconciler.started.wait()
        manager.stop()
        await asyncio.sleep(0.05)
        assert not run.done(), "the manager waits for the reconcile in flight"
        reconciler.release.set()
    assert (reconciler.finished, reconciler.cancelled) == (1, 0)
    assert (await client.get(CMS, "a", namespace="default"))["data"] == {"finished": "yes"}


async def test_shutdown_cancels_reconciles_that_outlive_the_timeout(client: Client) -> None:
    manager = Manager(client, options=options(graceful_shutdown_timeout=0.05))
    reconciler = Slow()
    Controller.build(manager).for_(CMS).complete(reconciler)
    await client.create(CMS, configmap("a"))
    async with manager:
        await reconciler.started.wait()
    assert (reconciler.finished, reconciler.cancelled) == (0, 1)


def election(identity: str) -> LeaderElectionOptions:
    return LeaderElectionOptions(
        name="shoal-test",
        namespace="default",
        identity=identity,
        lease_duration=60.0,  # expiry cannot explain a hand-over within the test: only a release can
        renew_deadline=40.0,
        retry_period=0.05,
    )


async def test_second_manager_takes_over_when_the_first_stops(client: Client) -> None:
    first_seen: list[Request] = []
    second_seen: list[Request] = []

    class Record:
        def __init__(self, into: list[Request]) -> None:
            self.into = into

        async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
            self.into.append(request)
            return None

    await client.create(CMS, configmap("a"))
    first = Manager(client, options=options(leader_election=election("first")))
    second = Manager(client, options=options(leader_election=election("second")))
    Controller.build(first).for_(CMS).complete(Record(first_seen))
    Controller.build(second).for_(CMS).complete(Record(second_seen))

    async with asyncio.TaskGroup() as tg:
        first_run = tg.create_task(first.run())
        await first.elected.wait()
        second_run = tg.create_task(second.run())
        await eventually(lambda: first_seen == [Request("default", "a")])
        lease = await client.get(LEASES, "shoal-test", namespace="default")
        assert lease["spec"]["holderIdentity"] == "first"
        await asyncio.sleep(0.3)  # several retry periods: the standby must not take a held lease
        assert not second.elected.is_set()
        assert second_seen == []

        first.stop()
        await first_run
        async with asyncio.timeout(10.0):
            await second.elected.wait()
        await eventually(lambda: second_seen == [Request("default", "a")])
        lease = await client.get(LEASES, "shoal-test", namespace="default")
        assert lease["spec"]["holderIdentity"] == "second"
        assert lease["spec"]["leaseTransitions"] == 1
        second.stop()
        await second_run


def test_leader_election_options_are_validated() -> None:
    with pytest.raises(ValueError, match="lease_duration"):
        LeaderElectionOptions(name="x", lease_duration=5, renew_deadline=5)
    with pytest.raises(ValueError, match="retry_period"):
        LeaderElectionOptions(name="x", renew_deadline=2, retry_period=2)
    defaults = LeaderElectionOptions(name="x")
    assert (defaults.lease_duration, defaults.renew_deadline, defaults.retry_period) == (15.0, 10.0, 2.0)
