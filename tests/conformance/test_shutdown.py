"""Shutdown: closing the simulator does not wait for the watches its clients left open."""

from __future__ import annotations

import asyncio

from ._support import CONFIGMAPS, configmap
from .conftest import simulated_client


async def test_a_watch_left_with_break_does_not_hold_the_simulator_open(door: str) -> None:
    async with asyncio.timeout(10):  # a guard against hanging, not a measure of speed
        async with simulated_client(door) as (sim, client):
            await client.create(CONFIGMAPS, configmap("a", "default"))
            await client.create(CONFIGMAPS, configmap("b", "default"))
            events = client.watch(CONFIGMAPS, namespace="default")
            async for event in events:
                assert event.type == "ADDED"
                break
    assert sim.store.watcher_count("configmaps") == 0


async def test_an_abandoned_in_process_watch_ends_when_the_simulator_closes() -> None:
    async with simulated_client("inprocess") as (_, client):
        await client.create(CONFIGMAPS, configmap("a", "default"))
        await client.create(CONFIGMAPS, configmap("b", "default"))
        events = client.watch(CONFIGMAPS, namespace="default")
        async for _ in events:
            break
    async with asyncio.timeout(10):  # a guard against hanging, not a measure of speed
        rest = [event async for event in events]
    assert {event.type for event in rest} <= {"ADDED"}
