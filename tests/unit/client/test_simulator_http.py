"""HttpClient against the simulator's HTTP door: CRUD, watch, 410 after compaction, resume after a
dropped watch, discovery-based kind → resource mapping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry

from shoal.api import GVK, GVR, ConflictError, GoneError, InvalidError, NotFoundError, PatchType, WatchEvent
from shoal.client import HttpClient, TransportError, resource_for, rest_mapper, watch_forever
from shoal.sim import Fault, Simulator
from shoal.sim._serve import serve

# aiohttp 3.14 deprecates TCPSite(shutdown_timeout=...), which shoal.sim.serve still passes.
pytestmark = pytest.mark.filterwarnings(
    "ignore:shutdown_timeout should be set on BaseRunner:DeprecationWarning"
)

CONFIGMAPS = GVR("", "v1", "configmaps")
CRDS = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[HttpClient]:
    async with serve(sim) as served, HttpClient.from_url(served.url, registry=CollectorRegistry()) as http:
        yield http


def configmap(name: str, **data: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": data,
    }


async def test_crud_round_trip(client: HttpClient) -> None:
    created = await client.create(CONFIGMAPS, configmap("a", x="1"))
    assert created["metadata"]["uid"]
    got = await client.get(CONFIGMAPS, "a", namespace="default")
    assert got["data"] == {"x": "1"}
    got["data"]["y"] = "2"
    updated = await client.update(CONFIGMAPS, got)
    assert updated["data"] == {"x": "1", "y": "2"}
    with pytest.raises(ConflictError):
        await client.update(CONFIGMAPS, got)  # stale resourceVersion
    patched = await client.patch(CONFIGMAPS, "a", {"data": {"x": None}}, namespace="default")
    assert patched["data"] == {"y": "2"}
    patched = await client.patch(
        CONFIGMAPS,
        "a",
        [{"op": "add", "path": "/data/z", "value": "3"}],
        patch_type=PatchType.JSON,
        namespace="default",
    )
    assert patched["data"] == {"y": "2", "z": "3"}
    dry = await client.create(CONFIGMAPS, configmap("dry"), dry_run=True)
    assert dry["metadata"]["name"] == "dry"
    with pytest.raises(NotFoundError):
        await client.get(CONFIGMAPS, "dry", namespace="default")
    with pytest.raises(InvalidError) as bad:
        await client.create(CONFIGMAPS, configmap("Not_A_Name"))
    assert "metadata.name" in bad.value.fields
    page = await client.list(CONFIGMAPS, namespace="default", limit=1)
    assert [i["metadata"]["name"] for i in page["items"]] == ["a"]
    await client.delete(CONFIGMAPS, "a", namespace="default")
    with pytest.raises(NotFoundError):
        await client.get(CONFIGMAPS, "a", namespace="default")
    stats = client.statistics()
    assert stats.count("create", "configmaps") == 3
    assert stats.errors == 4  # conflict, two not-found reads, invalid name


async def test_watch_replays_from_resource_version(client: HttpClient) -> None:
    start = (await client.list(CONFIGMAPS, namespace="default"))["metadata"]["resourceVersion"]
    await client.create(CONFIGMAPS, configmap("w", v="1"))
    await client.patch(CONFIGMAPS, "w", {"data": {"v": "2"}}, namespace="default")
    await client.delete(CONFIGMAPS, "w", namespace="default")
    seen: list[tuple[str, str]] = []
    async with asyncio.timeout(10):
        async for event in client.watch(CONFIGMAPS, namespace="default", resource_version=start):
            seen.append((event.type, event.object["data"]["v"]))
            if event.type == "DELETED":
                break
    assert seen == [("ADDED", "1"), ("MODIFIED", "2"), ("DELETED", "2")]


async def test_watch_from_compacted_revision_raises_gone(sim: Simulator, client: HttpClient) -> None:
    start = (await client.list(CONFIGMAPS, namespace="default"))["metadata"]["resourceVersion"]
    await client.create(CONFIGMAPS, configmap("c1"))
    await client.create(CONFIGMAPS, configmap("c2"))
    sim.compact()

    async def drain() -> None:
        async with asyncio.timeout(10):
            async for _ in client.watch(CONFIGMAPS, namespace="default", resource_version=start):
                pass

    with pytest.raises(GoneError):
        await drain()


async def test_watch_forever_resumes_after_injected_drops(sim: Simulator, client: HttpClient) -> None:
    sim.faults.add(Fault(verb="watch", resource="configmaps", drop_after=3))
    start = (await client.list(CONFIGMAPS, namespace="default"))["metadata"]["resourceVersion"]
    names = [f"r{i}" for i in range(10)]
    for name in names:
        await client.create(CONFIGMAPS, configmap(name))
    received: list[WatchEvent] = []
    async with asyncio.timeout(20):
        async for event in watch_forever(client, CONFIGMAPS, namespace="default", resource_version=start):
            if event.type != "BOOKMARK":
                received.append(event)
            if len(received) == len(names):
                break
    assert [e.object["metadata"]["name"] for e in received] == names  # each exactly once, in order
    assert client.statistics().count("watch", "configmaps") >= 4


async def test_resource_for_uses_discovery_and_sees_new_crds(client: HttpClient) -> None:
    assert await resource_for(client, GVK("", "v1", "ConfigMap")) == CONFIGMAPS
    assert await resource_for(client, GVK("apps", "v1", "Deployment")) == GVR("apps", "v1", "deployments")
    mapping = await rest_mapper(client).mapping(GVK("", "v1", "Pod"))
    assert mapping.namespaced
    assert "status" in mapping.subresources
    with pytest.raises(NotFoundError, match="no matches for kind"):
        await resource_for(client, GVK("example.com", "v1", "Gizmo"))
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "gizmos.example.com"},
        "spec": {
            "group": "example.com",
            "scope": "Cluster",
            "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
            ],
        },
    }
    await client.create(CRDS, crd)
    assert await resource_for(client, GVK("example.com", "v1", "Gizmo")) == GVR("example.com", "v1", "gizmos")
    assert not (await rest_mapper(client).mapping(GVK("example.com", "v1", "Gizmo"))).namespaced


async def test_reading_a_watch_after_the_client_closed_raises_transport_error(sim: Simulator) -> None:
    async with serve(sim) as served:
        http = HttpClient.from_url(served.url, registry=CollectorRegistry())
        async with http:
            await http.create(CONFIGMAPS, configmap("a"), namespace="default")
            events = http.watch(CONFIGMAPS, namespace="default")
            async for _ in events:
                break
        with pytest.raises(TransportError, match="the client is closed"):
            await events.__anext__()
