"""The cached reader: selectors and indices answer like the server, and results are the caller's own."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from shoal.api import BadRequestError, GroupVersionResource, NotFoundError
from shoal.cache import INDEX_OWNER_UID, Cache, CacheNotRunningError, label_index
from shoal.client import Client
from shoal.testing import eventually

CMS = GroupVersionResource("", "v1", "configmaps")
SECRETS = GroupVersionResource("", "v1", "secrets")


def configmap(name: str, namespace: str = "default", **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
    }


async def test_get_and_list_with_selectors(client: Client, cache: Cache) -> None:
    await client.create(CMS, configmap("a", app="web", tier="front"))
    await client.create(CMS, configmap("b", app="web"))
    await client.create(CMS, configmap("c", "kube-public", app="db"))
    reader = cache.reader

    got = await reader.get(CMS, "a", namespace="default")
    assert got["metadata"]["labels"] == {"app": "web", "tier": "front"}
    with pytest.raises(NotFoundError, match='configmaps "zzz" not found'):
        await reader.get(CMS, "zzz", namespace="default")

    names = [o["metadata"]["name"] for o in await reader.list(CMS, label_selector="app=web")]
    assert names == ["a", "b"]
    names = [o["metadata"]["name"] for o in await reader.list(CMS, namespace="kube-public")]
    assert names == ["c"]
    names = [o["metadata"]["name"] for o in await reader.list(CMS, label_selector="app in (web,db),!tier")]
    assert names == ["b", "c"]
    names = [o["metadata"]["name"] for o in await reader.list(CMS, field_selector="metadata.name=b")]
    assert names == ["b"]
    with pytest.raises(BadRequestError):
        await reader.list(CMS, label_selector="app in (")


async def test_returned_objects_are_private_copies(client: Client, cache: Cache) -> None:
    await client.create(CMS, configmap("a", app="web"))
    reader = cache.reader
    first = await reader.get(CMS, "a", namespace="default")
    first["metadata"]["labels"]["app"] = "changed by the caller"
    (listed,) = await reader.list(CMS)
    listed["metadata"]["labels"].clear()
    again = await reader.get(CMS, "a", namespace="default")
    assert again["metadata"]["labels"] == {"app": "web"}
    # The debug-mode cache verifies every read: nothing above reached the shared objects.
    cache.informer(CMS).get(next(iter(cache.informer(CMS).indexer.list_keys())))


async def test_owner_and_custom_indices(client: Client, cache: Cache) -> None:
    owner = await client.create(CMS, configmap("owner"))
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["metadata"]["uid"]}
    for name in ("x", "y"):
        obj = configmap(name, team="blue")
        obj["metadata"]["ownerReferences"] = [ref]
        await client.create(CMS, obj)
    cache.informer(CMS).add_index("team", label_index("team"))
    reader = cache.reader
    owned = await reader.list(CMS, index=(INDEX_OWNER_UID, owner["metadata"]["uid"]))
    assert [o["metadata"]["name"] for o in owned] == ["x", "y"]
    blue = await reader.list(CMS, index=("team", "blue"), namespace="default")
    assert [o["metadata"]["name"] for o in blue] == ["x", "y"]


async def test_one_informer_per_resource_and_reads_follow_changes(client: Client, cache: Cache) -> None:
    assert cache.informer(SECRETS) is cache.informer(SECRETS)
    reader = cache.reader
    assert await reader.list(SECRETS) == []  # starts the informer and waits for its first list
    await client.create(
        SECRETS, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}}
    )

    async def has_secret() -> bool:
        return len(await reader.list(SECRETS)) == 1

    await eventually(has_secret)


async def test_reading_an_unstarted_cache_says_so(client: Client) -> None:
    cache = Cache(client)
    with pytest.raises(CacheNotRunningError, match="not running"):
        await cache.reader.list(CMS)
    await asyncio.sleep(0)
