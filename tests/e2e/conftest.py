"""Shared fixtures of the end-to-end suites: a simulator served over HTTP from a background thread.

Real clients in these suites block (kubectl is a subprocess, the official client is synchronous), so the
simulator runs in a thread with its own event loop and the tests talk to it over 127.0.0.1 like any
other cluster. One server per session (``served``) is shared by every suite; a suite that needs another
reported Kubernetes version or a token starts its own with :func:`background_simulator`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from shoal.sim import Simulator
from shoal.sim._serve import ServedSimulator, serve

T = TypeVar("T")


class BackgroundSimulator:
    """A :class:`Simulator` and its HTTP door, running in their own thread and event loop."""

    def __init__(self, served: ServedSimulator, sim: Simulator, loop: asyncio.AbstractEventLoop) -> None:
        self.served = served
        self.sim = sim
        self.loop = loop

    @property
    def url(self) -> str:
        return self.served.url

    def run(self, work: Callable[[Simulator], Awaitable[T]], timeout: float = 30.0) -> T:
        """Run ``work(sim)`` on the simulator's loop and return its result (for set-up and checks)."""

        async def call() -> T:
            return await work(self.sim)

        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    def write_kubeconfig(self, path: Path) -> Path:
        return self.served.write_kubeconfig(path)


@contextmanager
def background_simulator(
    *, kube_version: str | None = None, token: str | None = None, **sim_options: Any
) -> Iterator[BackgroundSimulator]:
    """Start a simulator served on 127.0.0.1 in a daemon thread; stop it (and its loop) on exit.
    ``kube_version``: what /version and the nodes report (default: the simulator's own)."""
    ready: concurrent.futures.Future[BackgroundSimulator] = concurrent.futures.Future()
    stopping: asyncio.Event | None = None
    loop = asyncio.new_event_loop()

    async def main() -> None:
        nonlocal stopping
        stopping = asyncio.Event()
        try:
            async with (
                Simulator(
                    **({} if kube_version is None else {"kube_version": kube_version}), **sim_options
                ) as sim,
                serve(sim, token=token) as served,
            ):
                ready.set_result(BackgroundSimulator(served, sim, loop))
                await stopping.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), name="shoal-sim", daemon=True)
    thread.start()
    try:
        yield ready.result(timeout=30)
    finally:
        if stopping is not None:
            loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture(scope="session")
def served() -> Iterator[BackgroundSimulator]:
    """The session's simulator, served over HTTP (reports Kubernetes 1.37.1, no token)."""
    with background_simulator() as server:
        yield server


@pytest.fixture(scope="session")
def server_url(served: BackgroundSimulator) -> str:
    """``http://127.0.0.1:<port>`` of the session's simulator."""
    return served.url


@pytest.fixture(scope="session")
def kubeconfig_path(served: BackgroundSimulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig file pointing at the session's simulator (context ``shoal``, namespace ``default``)."""
    return served.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
