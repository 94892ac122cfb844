"""Fixtures of the cache tests: a fresh simulator, its in-process client, a running cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from shoal.cache import Cache, CacheOptions, ReflectorOptions
from shoal.client import Client
from shoal.sim import Simulator

FAST = ReflectorOptions(backoff_initial=0.01, backoff_max=0.05, page_size=7)
"""Quick retries, and pages small enough that every list in these tests is paged."""


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
def client(sim: Simulator) -> Client:
    return sim.client()


@pytest.fixture
async def cache(client: Client) -> AsyncIterator[Cache]:
    cache = Cache(client, options=CacheOptions(reflector=FAST, debug=True))
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(cache.run())
        yield cache
        task.cancel()
