"""The simulator of ``shoal bench pipeline`` in a process of its own, creating objects on command.

Shoal's controller and kopf are compared as clients of one HTTP door. Serving from the benchmark's own
event loop would let the Shoal controller (which runs in that loop) starve the server, and spare kopf
(which runs in its own process) the same tax; so the server always gets its own process and both
controllers pay the same price. Objects are created inside that process through the in-process client,
so creation costs no HTTP and its timestamps are taken next to the store: each create reports
``time.monotonic()`` right after the store committed it. ``CLOCK_MONOTONIC`` is one clock for the whole
machine on Linux, so those timestamps compare directly with the reconcile times other processes record.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, TypeVar

from shoal.api import CRDS, OPEN_OBJECT, GroupVersionResource, Object, custom_resource_definition

GROUP, VERSION, PLURAL, KIND = "bench.shoal.dev", "v1", "probes", "Probe"
PROBES = GroupVersionResource(GROUP, VERSION, PLURAL)
NAMESPACE = "default"
CREATE_CONCURRENCY = 32
CREATE_WHEN_BOUND = 600.0
T = TypeVar("T")

PROBE_CRD: Object = custom_resource_definition(GROUP, KIND, PLURAL, version=VERSION, schema=OPEN_OBJECT)


def probe_name(prefix: str, index: int) -> str:
    return f"{prefix}-{index:06d}"


def prefix_of(name: str) -> str:
    return name.rsplit("-", 1)[0]


def probe(name: str) -> Object:
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "metadata": {"name": name}, "spec": {"size": 1}}


def run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when installed (kopf's CLI does the same), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


@dataclass(frozen=True, slots=True)
class CreateOrder:
    """Create ``count`` probes named ``<prefix>-NNNNNN``; ``rate`` per second, or as fast as possible."""

    prefix: str
    count: int
    rate: float | None = None


async def _create(client: Any, order: CreateOrder) -> dict[str, float]:
    created: dict[str, float] = {}
    if order.rate is None:
        names = iter([probe_name(order.prefix, i) for i in range(order.count)])

        async def creator() -> None:
            for name in names:
                await client.create(PROBES, probe(name), namespace=NAMESPACE)
                created[name] = time.monotonic()

        async with asyncio.TaskGroup() as tg:
            for _ in range(min(CREATE_CONCURRENCY, order.count)):
                tg.create_task(creator())
        return created
    began = time.monotonic()
    for i in range(order.count):
        delay = began + i / order.rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        name = probe_name(order.prefix, i)
        await client.create(PROBES, probe(name), namespace=NAMESPACE)
        created[name] = time.monotonic()
    return created


async def _serve(conn: Connection, history: int) -> None:
    from shoal.sim import Simulator, serve

    async with Simulator(history=history, watch_queue_size=history) as sim, serve(sim) as served:
        client = sim.client(user_agent="bench-creator")
        await client.create(CRDS, PROBE_CRD)
        conn.send(("ready", served.url))
        loop = asyncio.get_running_loop()
        while True:
            message = await loop.run_in_executor(None, conn.recv)
            if not isinstance(message, CreateOrder):
                return
            conn.send(("created", await _create(client, message)))


def _main(conn: Connection, history: int) -> None:
    try:
        run_loop(_serve(conn, history))
    except (EOFError, KeyboardInterrupt):
        pass
    finally:
        conn.close()


class SimulatorProcess:
    """``async with SimulatorProcess() as sim:`` a served simulator with the probe CRD installed.

    ``sim.url`` is its HTTP door; :meth:`create` makes probes there and returns name → creation time.
    """

    def __init__(self, *, history: int = 100_000) -> None:
        self.history = history
        self.url = ""
        self._conn: Connection | None = None
        self._process: multiprocessing.process.BaseProcess | None = None

    async def __aenter__(self) -> SimulatorProcess:
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._process = context.Process(target=_main, args=(theirs, self.history), name="shoal-bench-sim")
        self._process.start()
        theirs.close()
        self._conn = ours
        status, self.url = await self._receive()
        assert status == "ready", status
        return self

    async def create(self, order: CreateOrder) -> dict[str, float]:
        assert self._conn is not None
        self._conn.send(order)
        status, created = await self._receive()
        assert status == "created", status
        return dict(created)

    async def create_when(self, flag: threading.Event, order: CreateOrder) -> dict[str, float]:
        """Create ``order`` from a thread as soon as ``flag`` is set, whatever this event loop is doing."""
        conn = self._conn
        assert conn is not None

        def blocking() -> Any:
            flag.wait(CREATE_WHEN_BOUND)
            conn.send(order)
            return conn.recv()

        status, created = await asyncio.get_running_loop().run_in_executor(None, blocking)
        assert status == "created", status
        return dict(created)

    async def _receive(self) -> Any:
        assert self._conn is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(None, self._conn.recv)
        except EOFError:
            raise RuntimeError("the simulator process exited") from None

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, process = self._conn, self._process
        self._conn = self._process = None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.send(None)
            conn.close()
        if process is not None:
            await asyncio.get_running_loop().run_in_executor(None, process.join, 10)
            if process.is_alive():
                process.kill()
                process.join()
