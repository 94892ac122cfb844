"""The reflector against the simulator: dropped watches and 410 Gone never leave the cache wrong."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from shoal.api import GroupVersionResource, NotFoundError
from shoal.cache import Cache, CacheOptions
from shoal.client import Client
from shoal.sim import Fault, Simulator
from shoal.testing import eventually

from .conftest import FAST

CMS = GroupVersionResource("", "v1", "configmaps")


def configmap(name: str, namespace: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"v": value}},
        "data": {"v": value},
    }


async def server_state(client: Client) -> dict[tuple[str, str], dict[str, Any]]:
    items = (await client.list(CMS))["items"]
    return {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in items}


def cache_state(cache: Cache) -> dict[tuple[str, str], dict[str, Any]]:
    return {(s.key.namespace, s.key.name): s.obj for s in cache.informer(CMS).snapshots()}


async def mutate(client: Client, rng: random.Random, step: int) -> None:
    namespace = rng.choice(["default", "kube-public"])
    name = f"cm-{rng.randrange(12)}"
    value = f"v{step}"
    try:
        current = await client.get(CMS, name, namespace=namespace)
    except NotFoundError:
        await client.create(CMS, configmap(name, namespace, value))
        return
    if rng.random() < 0.3:
        await client.delete(CMS, name, namespace=namespace)
    else:
        current["data"] = {"v": value}
        await client.update(CMS, current)


async def test_cache_equals_store_after_watch_drops_and_410s(
    sim: Simulator, client: Client, cache: Cache
) -> None:
    for i in range(20):
        await client.create(CMS, configmap(f"seed-{i}", "default", "0"))
    informer = cache.informer(CMS)
    await informer.wait_for_sync()
    assert len(list(informer.snapshots())) == 20

    sim.faults.add(Fault(verb="watch", resource="configmaps", drop_after=3))
    rng = random.Random(5)
    step = 0
    for burst in range(40):
        for _ in range(rng.randint(1, 8)):
            step += 1
            await mutate(client, rng, step)
        if burst % 4 == 3:
            sim.compact()  # the next watch from an older resourceVersion gets 410 Gone
        await eventually(lambda: informer.reflector.resource_version == str(sim.store.revision))

    await eventually(lambda: informer.reflector.resource_version == str(sim.store.revision))
    assert cache_state(cache) == await server_state(client)
    assert informer.reflector.lists >= 2, "a compaction was expected to force at least one relist"


async def test_list_errors_are_retried_until_the_cache_syncs(
    sim: Simulator, client: Client, cache: Cache
) -> None:
    await client.create(CMS, configmap("a", "default", "1"))
    sim.faults.add(Fault(verb="list", resource="configmaps", code=500, times=3))
    informer = cache.informer(CMS)
    await informer.wait_for_sync()
    assert sim.accounting.count(verb="list", resource="configmaps") >= 4
    assert cache_state(cache) == await server_state(client)


async def test_resync_replays_cached_objects_as_unchanged_updates(client: Client) -> None:
    resyncs: list[str] = []

    class Handler:
        def on_add(self, obj: dict[str, Any], is_in_initial_list: bool) -> None:
            pass

        def on_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
            if old["metadata"]["resourceVersion"] == new["metadata"]["resourceVersion"]:
                resyncs.append(new["metadata"]["name"])

        def on_delete(self, obj: dict[str, Any]) -> None:
            pass

    await client.create(CMS, configmap("a", "default", "1"))
    cache = Cache(client, options=CacheOptions(resync_period=0.02))
    cache.informer(CMS).add_handler(Handler())
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(cache.run())
        await eventually(lambda: resyncs.count("a") >= 2)
        task.cancel()


async def test_expired_continue_token_restarts_the_list_in_one_piece(sim: Simulator, client: Client) -> None:
    for i in range(20):
        await client.create(CMS, configmap(f"seed-{i}", "default", "0"))

    class CompactsAfterTheFirstPage:
        """The simulator's client, except that the server changes and compacts between pages."""

        def __init__(self) -> None:
            self.calls: list[tuple[int, str]] = []

        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

        async def list(self, resource: GroupVersionResource, **options: Any) -> dict[str, Any]:
            self.calls.append((options.get("limit", 0), options.get("continue_", "")))
            if len(self.calls) == 2:
                await client.delete(CMS, "seed-0", namespace="default")
                await client.create(CMS, configmap("late", "default", "1"))
                sim.compact()
            result: dict[str, Any] = await client.list(resource, **options)
            return result

    wrapped = CompactsAfterTheFirstPage()
    cache = Cache(wrapped, options=CacheOptions(reflector=FAST))  # type: ignore[arg-type]
    informer = cache.informer(CMS)
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(cache.run())
        await informer.wait_for_sync()
        task.cancel()
    assert wrapped.calls[0] == (7, "")
    assert (0, "") in wrapped.calls[2:], "the list restarted without pages"
    assert cache_state(cache) == await server_state(client)
    assert informer.reflector.lists == 1


async def test_the_next_page_is_requested_before_the_current_one_is_stored(client: Client) -> None:
    for i in range(10):
        await client.create(CMS, configmap(f"seed-{i}", "default", "0"))
    log: list[str] = []

    class LogsRequests:
        def __getattr__(self, name: str) -> Any:
            return getattr(client, name)

        async def list(self, resource: GroupVersionResource, **options: Any) -> dict[str, Any]:
            log.append("request page 2" if options.get("continue_") else "request page 1")
            result: dict[str, Any] = await client.list(resource, **options)
            return result

    class LogsAdds:
        def on_add(self, obj: dict[str, Any], is_in_initial_list: bool) -> None:
            log.append("stored")

        def on_update(self, old: dict[str, Any], new: dict[str, Any]) -> None:
            pass

        def on_delete(self, obj: dict[str, Any]) -> None:
            pass

    cache = Cache(LogsRequests(), options=CacheOptions(reflector=FAST))  # type: ignore[arg-type]
    informer = cache.informer(CMS)
    informer.add_handler(LogsAdds())
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(cache.run())
        await informer.wait_for_sync()
        task.cancel()
    assert log == ["request page 1", "request page 2", *["stored"] * 7, *["stored"] * 3]
