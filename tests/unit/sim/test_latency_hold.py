"""A write with injected latency commits within its delay, but watchers get it with its reply."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from shoal.api import AlreadyExistsError
from shoal.sim import LatencyProfile, LatencyRule, Simulator

from ._helpers import CONFIGMAPS, SECRETS, configmap, record, recorded

SLOW_CREATE = LatencyProfile("slow-create", (LatencyRule("create", "*", 0.2),))


async def _committed(sim: Simulator, name: str) -> None:
    """Yield to the loop until ``name`` is in the store (the slow create did its store work)."""
    for _ in range(1000):
        if sim.store.get("configmaps", ("default", name)) is not None:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{name} was never committed")


async def _created_at_once(sim: Simulator, name: str) -> dict[str, Any]:
    """``name`` created without latency (the profile is back to slow creates afterwards)."""
    sim.set_profile("none")
    created = await sim.client().create(CONFIGMAPS, configmap(name))
    sim.set_profile(SLOW_CREATE)
    return created


async def test_watchers_get_a_slow_create_with_its_reply_not_before() -> None:
    async with Simulator(profile=SLOW_CREATE) as sim:
        watchers = record(sim, "configmaps")
        client = sim.client()
        create = asyncio.create_task(client.create(CONFIGMAPS, configmap("a")))
        await _committed(sim, "a")
        assert not create.done()
        assert not watchers[0].pending
        assert sim.store.watched_revision == sim.store.revision - 1
        created = await create
        assert recorded(watchers) == [("ADDED", "ConfigMap", "a")]
        assert sim.store.watched_revision == sim.store.revision == int(created["metadata"]["resourceVersion"])


async def test_a_fast_write_behind_a_held_one_reaches_watchers_after_it() -> None:
    async with Simulator(profile=SLOW_CREATE) as sim:
        client = sim.client()
        b = await _created_at_once(sim, "b")
        watchers = record(sim, "configmaps")
        create = asyncio.create_task(client.create(CONFIGMAPS, configmap("a")))
        await _committed(sim, "a")
        b["data"] = {"k": "changed"}
        await client.update(CONFIGMAPS, b)  # no latency for updates in this profile
        assert not watchers[0].pending
        await create
        assert recorded(watchers) == [("ADDED", "ConfigMap", "a"), ("MODIFIED", "ConfigMap", "b")]


async def test_a_watch_from_a_list_taken_during_a_hold_sees_the_held_change_once() -> None:
    async with Simulator(profile=SLOW_CREATE) as sim:
        client = sim.client()
        b = await _created_at_once(sim, "b")
        create = asyncio.create_task(client.create(CONFIGMAPS, configmap("a")))
        await _committed(sim, "a")
        listed = await client.list(CONFIGMAPS, namespace="default")
        assert sorted(o["metadata"]["name"] for o in listed["items"]) == ["a", "b"]
        stream = client.watch(
            CONFIGMAPS, namespace="default", resource_version=listed["metadata"]["resourceVersion"]
        )
        await create
        b["data"] = {"k": "changed"}
        await client.update(CONFIGMAPS, b)
        async with contextlib.aclosing(stream):
            async with asyncio.timeout(5):
                event = await anext(stream)
        assert (event.type, event.object["metadata"]["name"]) == ("MODIFIED", "b")


async def test_a_rejected_slow_write_still_fails() -> None:
    async with Simulator(profile=SLOW_CREATE) as sim:
        watchers = record(sim, "configmaps")
        await _created_at_once(sim, "a")
        watchers[0].take()
        with pytest.raises(AlreadyExistsError):
            await sim.client().create(CONFIGMAPS, configmap("a"))
        assert not sim.store.held
        assert not watchers[0].pending


async def test_a_cancelled_slow_create_still_reaches_watchers() -> None:
    async with Simulator(profile=SLOW_CREATE) as sim:
        watchers = record(sim, "configmaps")
        create: asyncio.Task[Any] = asyncio.create_task(sim.client().create(CONFIGMAPS, configmap("a")))
        await _committed(sim, "a")
        create.cancel()
        with pytest.raises(asyncio.CancelledError):
            await create
        for _ in range(200):
            if watchers[0].pending:
                break
            await asyncio.sleep(0.01)
        assert recorded(watchers) == [("ADDED", "ConfigMap", "a")]


async def test_a_held_change_does_not_hold_back_another_resource() -> None:
    slow_configmaps = LatencyProfile("slow-configmaps", (LatencyRule("create", "configmaps", 0.2),))
    async with Simulator(profile=slow_configmaps) as sim:
        configmaps, secrets = record(sim, "configmaps", "secrets")
        client = sim.client()
        create = asyncio.create_task(client.create(CONFIGMAPS, configmap("a")))
        await _committed(sim, "a")
        await client.create(SECRETS, {"metadata": {"name": "s", "namespace": "default"}})
        assert recorded([secrets]) == [("ADDED", "Secret", "s")]
        assert not configmaps.pending
        await create
        assert recorded([configmaps]) == [("ADDED", "ConfigMap", "a")]


def test_a_reply_releases_its_change_even_when_the_loop_wakes_early() -> None:
    """uvloop rounds timers down, so a sleep until the deadline may return just before it: the reply
    must still release the change to watchers (else it waits for some later write)."""
    uvloop = pytest.importorskip("uvloop")
    profile = LatencyProfile("odd-create", (LatencyRule("create", "*", 0.0053),))

    async def main() -> list[int]:
        unreleased = []
        async with Simulator(profile=profile) as sim:
            client = sim.client()
            for i in range(40):
                await client.create(CONFIGMAPS, configmap(f"c{i}"))
                if sim.store.watched_revision != sim.store.revision:
                    unreleased.append(i)
        return unreleased

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(main()) == []
