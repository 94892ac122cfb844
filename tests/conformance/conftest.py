"""Fixtures of the conformance suite: one fresh simulator per test, reached through each door.

A *door* is a way into the simulator that yields a :class:`shoal.client.Client`. Every test that takes
``client`` runs once per door in :data:`DOORS`; tests may use ``sim`` for simulator controls (faults,
compaction, accounting) but act only through ``client``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from prometheus_client import CollectorRegistry

from shoal.client import Client, HttpClient
from shoal.sim import Simulator, serve

from ._support import NAMESPACES

Door = Callable[[Simulator], AbstractAsyncContextManager[Client]]


@asynccontextmanager
async def inprocess_door(sim: Simulator) -> AsyncIterator[Client]:
    """The in-process client: straight against the store, paying injected latency and faults."""
    yield sim.client()


@asynccontextmanager
async def http_door(sim: Simulator) -> AsyncIterator[Client]:
    """The HTTP door: the simulator served on 127.0.0.1, reached through Shoal's HttpClient."""
    async with serve(sim) as served, HttpClient.from_url(served.url, registry=CollectorRegistry()) as client:
        yield client


DOORS: dict[str, Door] = {
    "inprocess": inprocess_door,
    "http": http_door,
}
"""Every door the suite runs through, by name."""


@asynccontextmanager
async def simulated_client(door: str) -> AsyncIterator[tuple[Simulator, Client]]:
    """A fresh simulator and a client through ``door``, for tests that need several per run."""
    async with Simulator() as sim, DOORS[door](sim) as client:
        yield sim, client


SimulatedClient = Callable[[], AbstractAsyncContextManager[tuple[Simulator, Client]]]


@pytest.fixture(params=sorted(DOORS))
def door(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator, door: str) -> AsyncIterator[Client]:
    async with DOORS[door](sim) as opened:
        yield opened


@pytest.fixture
def fresh(door: str) -> SimulatedClient:
    """A factory of fresh simulators behind ``door`` (for hypothesis tests: one per example)."""
    return lambda: simulated_client(door)


@pytest.fixture
async def ns(client: Client) -> str:
    """A namespace of its own for the test."""
    created = await client.create(
        NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "conformance"}}
    )
    name: str = created["metadata"]["name"]
    return name
