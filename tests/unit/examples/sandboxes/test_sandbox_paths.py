"""The fast and strong create paths over real HTTP, the simulator and the controller runtime."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest
from prometheus_client import CollectorRegistry

from shoal.api import NotFoundError, ObjectKey
from shoal.client import Client
from shoal.controller import Manager, ManagerOptions, ReconcileContext, Result
from shoal.examples.sandboxes import (
    FASTLET_ANNOTATION,
    SANDBOXES,
    FastletClient,
    FastletFleet,
    FastletLatency,
    FastletSpec,
    FastPathServer,
    SandboxReconciler,
    SandboxRegistry,
    SandboxWaiters,
    install_sandbox_crd,
    sandbox_controller,
    sandbox_object,
)
from shoal.sim import Simulator

IMAGES = frozenset({"alpine", "nginx"})


@dataclass
class Stack:
    client: Client
    fleet: FastletFleet
    registry: SandboxRegistry
    server: FastPathServer
    metrics: CollectorRegistry
    reconciler: CountingReconciler


class CountingReconciler(SandboxReconciler):
    """The real reconciler, counting the keys it is asked to reconcile."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.keys: list[str] = []

    async def reconcile(self, ctx: ReconcileContext, request: ObjectKey) -> Result | None:
        self.keys.append(request.name)
        return await super().reconcile(ctx, request)


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    specs = [FastletSpec(f"f{i}", "pool", "default", 3, IMAGES) for i in range(4)]
    metrics = CollectorRegistry()
    async with (
        Simulator() as sim,
        FastletFleet(specs, latency=FastletLatency(create=0.001, status=0.0)) as fleet,
    ):
        client = sim.client()
        await install_sandbox_crd(client)
        registry = SandboxRegistry()
        for spec in fleet.specs():
            registry.register(spec)
        waiters = SandboxWaiters()
        async with FastletClient() as fastlets:
            manager = Manager(client, options=ManagerOptions(http_port=0, graceful_shutdown_timeout=5))
            reconciler = CountingReconciler(registry, fastlets, waiters)
            sandbox_controller(manager, reconciler, max_concurrent_reconciles=8)
            async with (
                manager,
                FastPathServer(
                    registry,
                    fastlets,
                    client,
                    waiters=waiters,
                    metrics_registry=metrics,
                    write_backoff=(0.01,),
                ) as server,
            ):
                await server.serve()
                yield Stack(client, fleet, registry, server, metrics, reconciler)


async def post(stack: Stack, body: object, mode: str = "fast") -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{stack.server.url}/api/v1/sandboxes?mode={mode}", data=orjson.dumps(body)) as response,
    ):
        return response.status, orjson.loads(await response.read())


async def eventually_running(client: Client, name: str) -> dict[str, object]:
    for _ in range(500):
        with contextlib.suppress(NotFoundError):  # the fast path writes the object after its reply
            obj = await client.get(SANDBOXES, name, namespace="default")
            if (obj.get("status") or {}).get("phase") == "Running":
                return obj
        await asyncio.sleep(0.01)
    raise AssertionError(f"Sandbox {name} never became Running")


async def test_fast_path_replies_then_the_sandbox_object_exists(stack: Stack) -> None:
    code, reply = await post(
        stack, sandbox_object("default", "fast-1", pool="pool", image="alpine", ports=(8080,))
    )
    assert code == 201, reply
    fastlet = reply["fastlet"]
    assert stack.fleet.fastlets[str(fastlet)].sandboxes == {"default/fast-1": (8080,)}
    obj = await eventually_running(stack.client, "fast-1")
    assert obj["metadata"]["annotations"][FASTLET_ANNOTATION] == fastlet  # type: ignore[index]
    assert obj["status"]["fastlet"] == fastlet  # type: ignore[index]
    assert stack.fleet.fastlets[str(fastlet)].creates == 1, "the reconciler does not create it again"
    assert "fast-1" not in stack.reconciler.keys, "the fast path's writes are not queued"
    count = stack.metrics.get_sample_value(
        "fastpath_create_sandbox_duration_seconds_count", {"mode": "fast", "success": "true"}
    )
    assert count == 1


async def test_a_busy_server_still_writes_the_fast_paths_objects(stack: Stack) -> None:
    """Background writes wait for a quiet moment, but a stream of requests cannot hold them back."""
    served = 0
    busy, written = asyncio.Event(), asyncio.Event()

    async def keep_busy(session: aiohttp.ClientSession) -> None:
        nonlocal served
        while not written.is_set():
            async with session.post(f"{stack.server.url}/api/v1/sandboxes?mode=bogus", data=b"{}") as reply:
                assert reply.status == 400
                served += 1
                if served == 20:
                    busy.set()

    async def create_while_busy() -> None:
        await busy.wait()
        code, _ = await post(stack, sandbox_object("default", "busy-1", pool="pool", image="alpine"))
        assert code == 201
        for _ in range(1000):
            with contextlib.suppress(NotFoundError):
                await stack.client.get(SANDBOXES, "busy-1", namespace="default")
                written.set()
                return
            await asyncio.sleep(0.005)
        written.set()
        raise AssertionError("the Sandbox object was never written while requests kept coming")

    async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as tg:
        for _ in range(4):
            tg.create_task(keep_busy(session))
        tg.create_task(create_while_busy())


async def test_strong_path_writes_the_object_first_and_replies_with_its_status(stack: Stack) -> None:
    code, reply = await post(
        stack, sandbox_object("default", "strong-1", pool="pool", image="nginx"), "strong"
    )
    assert code == 201, reply
    obj = await stack.client.get(SANDBOXES, "strong-1", namespace="default")
    assert obj["status"]["phase"] == "Running"
    assert obj["status"]["fastlet"] == reply["fastlet"]
    assert FASTLET_ANNOTATION not in (obj["metadata"].get("annotations") or {})
    assert stack.registry.allocation("default", "strong-1") is not None
    count = stack.metrics.get_sample_value(
        "fastpath_create_sandbox_duration_seconds_count", {"mode": "strong", "success": "true"}
    )
    assert count == 1


async def test_deleting_a_sandbox_releases_it(stack: Stack) -> None:
    code, reply = await post(stack, sandbox_object("default", "gone", pool="pool", image="alpine"), "strong")
    assert code == 201, reply
    await stack.client.delete(SANDBOXES, "gone", namespace="default")
    for _ in range(500):
        if stack.registry.allocation("default", "gone") is None:
            break
        await asyncio.sleep(0.01)
    assert stack.registry.allocation("default", "gone") is None
    assert stack.fleet.fastlets[str(reply["fastlet"])].sandboxes == {}


async def test_bad_input_and_no_capacity_are_status_replies(stack: Stack) -> None:
    code, status = await post(
        stack, sandbox_object("default", "bad", pool="pool", image="alpine", ports=(70000,))
    )
    assert (code, status["reason"]) == (422, "Invalid")
    assert "spec.exposedPorts[0]" in orjson.dumps(status).decode()
    code, status = await post(stack, sandbox_object("default", "x", pool="nowhere", image="alpine"))
    assert (code, status["reason"]) == (503, "ServiceUnavailable")
    code, status = await post(stack, [1, 2])
    assert code == 400
    code, status = await post(stack, sandbox_object("default", "y", pool="pool", image="alpine"), "slow")
    assert code == 400
    failed = stack.metrics.get_sample_value(
        "fastpath_create_sandbox_duration_seconds_count", {"mode": "fast", "success": "false"}
    )
    assert failed == 1
    assert not stack.registry.allocations()


async def test_concurrent_fast_creates_fill_the_pool_exactly(stack: Stack) -> None:
    """4 fastlets of capacity 3 and two ports per fastlet: the fleet's own books refuse any over-commit."""
    bodies = [
        sandbox_object("default", f"c{i}", pool="pool", image="alpine", ports=(9000 + i % 2,))
        for i in range(40)
    ]
    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(post(stack, body)) for body in bodies]
    codes = sorted(t.result()[0] for t in tasks)
    assert codes.count(201) == 8, "two sandboxes per fastlet: ports 9000 and 9001 once each"
    assert codes.count(503) == 32
    assert sum(f.rejected for f in stack.fleet.fastlets.values()) == 0
    for fastlet in stack.fleet.fastlets.values():
        assert sorted(p for ports in fastlet.sandboxes.values() for p in ports) == [9000, 9001]


async def test_strong_path_with_no_room_deletes_the_sandbox_and_replies_503(stack: Stack) -> None:
    code, status = await post(
        stack, sandbox_object("default", "nowhere", pool="other", image="alpine"), "strong"
    )
    assert (code, status["reason"]) == (503, "ServiceUnavailable")
    with pytest.raises(NotFoundError):
        await stack.client.get(SANDBOXES, "nowhere", namespace="default")
    assert stack.registry.allocation("default", "nowhere") is None
    assert "nowhere" in stack.reconciler.keys
