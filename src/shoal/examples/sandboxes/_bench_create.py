"""The CreateSandbox load of ``shoal bench sandboxes``: three processes, as in the seed's load test.

The seed measures its fast path with a separate load generator (``test/performance/create_load``)
against a controller whose fastlets run on other machines. Here too: the controller (fast-path server,
registry, simulator, manager) runs in the benchmark's process; the fastlets in a
:class:`FastletFleetProcess`; the load generator (an aiohttp client, ``concurrency`` requests in
flight on keep-alive connections) in a spawned process of its own, which times each request.

Besides fast and strong mode the load also times a *floor*: an endpoint on the controller's process
that does only what no CreateSandbox can avoid (read the request, one fastlet create, write the reply),
so the report can say how much of the fast path's time is the controller's and how much the
machine's (process wake-ups, loopback TCP, the fleet's timer).
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager

import aiohttp
import orjson
from aiohttp import web

from shoal.controller import Manager, ManagerOptions
from shoal.sim import LatencyProfile, LatencyRule, Simulator

from ._crd import install_sandbox_crd, sandbox_object
from ._fastlet_client import FastletClient
from ._fastlets import FastletLatency
from ._fastpath import FastPathServer
from ._fleet_process import FastletFleetProcess
from ._model import Allocation, FastletSpec, SandboxRequest
from ._reconciler import SandboxReconciler, SandboxWaiters, sandbox_controller
from ._registry import SandboxRegistry

IMAGES = frozenset({"alpine", "nginx", "redis"})
FASTLET_CREATE = 0.050
PROBE = 0.005
WRITE = 0.005
WRITES = LatencyProfile(
    "sandboxes-w5",
    (
        LatencyRule("create", "*", WRITE),
        LatencyRule("patch", "*/status", WRITE),
        LatencyRule("update", "*/status", WRITE),
    ),
)
PHASES = ("fast", "floor", "strong")


@asynccontextmanager
async def controller(fastlets: int) -> AsyncIterator[str]:
    """The controller with ``fastlets`` fastlets in a child process; yields the fast-path server's URL."""
    specs = [FastletSpec(f"fastlet-{i}", "default-pool", "default", 10, IMAGES) for i in range(fastlets)]
    latency = FastletLatency(create=FASTLET_CREATE, status=PROBE)
    async with (
        Simulator(profile=WRITES) as sim,
        FastletFleetProcess(specs, latency=latency) as fleet,
        FastletClient() as client,
    ):
        api = sim.client()
        await install_sandbox_crd(api)
        registry = SandboxRegistry()
        for spec in fleet.specs():
            registry.register(spec)
        waiters = SandboxWaiters()
        manager = Manager(api, options=ManagerOptions(http_port=0, graceful_shutdown_timeout=10))
        sandbox_controller(manager, SandboxReconciler(registry, client, waiters))
        async with manager, FastPathServer(registry, client, api, waiters=waiters) as server:
            app = server.app()
            app.router.add_post("/floor", _floor(fleet.specs(), client))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            try:
                yield f"http://{host}:{port}"
            finally:
                await runner.cleanup()


def _floor(
    specs: list[FastletSpec], client: FastletClient
) -> Callable[[web.Request], Awaitable[web.Response]]:
    targets = itertools.cycle(specs)

    async def floor(http: web.Request) -> web.Response:
        body = orjson.loads(await http.read())
        spec = next(targets)
        request = SandboxRequest(body["metadata"]["name"], "default", spec.pool, body["spec"]["image"])
        reply = await client.create(Allocation(request, spec.name, spec.address, 0))
        return web.Response(body=orjson.dumps(reply), status=201, content_type="application/json")

    return floor


async def _phase(
    session: aiohttp.ClientSession, url: str, bodies: list[bytes], concurrency: int
) -> list[float]:
    latencies: list[float] = []

    async def worker() -> None:
        while bodies:
            body = bodies.pop()
            started = time.perf_counter()
            async with session.post(url, data=body) as reply:
                await reply.read()
                if reply.status != 201:
                    raise RuntimeError(f"{url} failed with HTTP {reply.status}")
            latencies.append(time.perf_counter() - started)

    async with asyncio.TaskGroup() as tg:
        for _ in range(concurrency):
            tg.create_task(worker())
    return latencies


async def _load(url: str, requests: int, concurrency: int) -> dict[str, list[float]]:
    """Warm up, then time ``requests`` creates of each phase with ``concurrency`` in flight."""
    rng = random.Random(2)
    times: dict[str, list[float]] = {}
    async with aiohttp.ClientSession() as session:
        for phase, count in (("warm", concurrency), *((p, requests) for p in PHASES)):
            mode = "strong" if phase == "strong" else "fast"
            path = "/floor" if phase == "floor" else f"/api/v1/sandboxes?mode={mode}"
            image = ("alpine" if rng.random() < 0.9 else "ubuntu" for _ in range(count))
            bodies = [
                orjson.dumps(
                    sandbox_object("default", f"{phase}-{i}", pool="default-pool", image=next(image))
                )
                for i in range(count)
            ]
            times[phase] = await _phase(session, url + path, bodies, concurrency)
    return times


def _load_process(url: str, requests: int, concurrency: int) -> dict[str, list[float]]:
    return asyncio.run(_load(url, requests, concurrency))


async def create_latencies(requests: int, concurrency: int) -> dict[str, list[float]]:
    """Seconds per request of each phase (``fast``, ``floor``, ``strong``), timed by a load process."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as load:
        async with controller(100) as url:
            return await loop.run_in_executor(load, _load_process, url, requests, concurrency)
