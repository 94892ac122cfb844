"""Garbage collection through ownerReferences (background, foreground, orphan) and namespace deletion."""

from __future__ import annotations

from shoal.api import Object
from shoal.client import Client
from shoal.testing import eventually

from ._support import (
    CONFIGMAPS,
    HOLD,
    NAMESPACES,
    PODS,
    SECRETS,
    configmap,
    custom,
    is_gone,
    names,
    owner_reference,
    pod,
    register_crd,
)


async def _family(client: Client, ns: str, *, block: bool = False, held: bool = False) -> Object:
    owner = await client.create(CONFIGMAPS, configmap("owner", ns))
    ref = owner_reference(owner, block=block)
    extra = {"finalizers": [HOLD]} if held else {}
    for name in ("child-1", "child-2"):
        await client.create(CONFIGMAPS, configmap(name, ns, ownerReferences=[ref], **extra))
    return owner


async def test_background_deletion_removes_the_owner_then_its_dependents(client: Client, ns: str) -> None:
    await _family(client, ns)
    await client.delete(CONFIGMAPS, "owner", namespace=ns)
    assert await is_gone(client, CONFIGMAPS, "owner", ns)

    async def dependents_gone() -> bool:
        return await names(client, CONFIGMAPS, ns) == set()

    assert await eventually(dependents_gone)


async def test_explicit_background_policy(client: Client, ns: str) -> None:
    await _family(client, ns)
    await client.delete(CONFIGMAPS, "owner", namespace=ns, propagation_policy="Background")
    assert await is_gone(client, CONFIGMAPS, "owner", ns)
    assert await eventually(lambda: is_gone(client, CONFIGMAPS, "child-2", ns))


async def test_foreground_deletion_keeps_the_owner_until_blocking_dependents_are_gone(
    client: Client, ns: str
) -> None:
    await _family(client, ns, block=True, held=True)
    answer = await client.delete(CONFIGMAPS, "owner", namespace=ns, propagation_policy="Foreground")
    assert answer["metadata"]["deletionTimestamp"]
    assert "foregroundDeletion" in answer["metadata"]["finalizers"]

    async def dependents_deleting() -> bool:
        children = [await client.get(CONFIGMAPS, n, namespace=ns) for n in ("child-1", "child-2")]
        return all(c["metadata"].get("deletionTimestamp") for c in children)

    assert await eventually(dependents_deleting)
    owner = await client.get(CONFIGMAPS, "owner", namespace=ns)
    assert "foregroundDeletion" in owner["metadata"]["finalizers"]

    await client.patch(CONFIGMAPS, "child-1", {"metadata": {"finalizers": None}}, namespace=ns)
    assert await is_gone(client, CONFIGMAPS, "child-1", ns)
    assert not await is_gone(client, CONFIGMAPS, "owner", ns)
    await client.patch(CONFIGMAPS, "child-2", {"metadata": {"finalizers": None}}, namespace=ns)
    assert await eventually(lambda: is_gone(client, CONFIGMAPS, "owner", ns))


async def test_foreground_deletion_without_blockers_removes_everything(client: Client, ns: str) -> None:
    await _family(client, ns, block=True)
    await client.delete(CONFIGMAPS, "owner", namespace=ns, propagation_policy="Foreground")

    async def all_gone() -> bool:
        return await names(client, CONFIGMAPS, ns) == set()

    assert await eventually(all_gone)


async def test_orphan_deletion_keeps_dependents_and_strips_the_reference(client: Client, ns: str) -> None:
    owner = await _family(client, ns)
    uid = owner["metadata"]["uid"]
    answer = await client.delete(CONFIGMAPS, "owner", namespace=ns, propagation_policy="Orphan")
    assert answer["metadata"]["uid"] == uid
    assert await eventually(lambda: is_gone(client, CONFIGMAPS, "owner", ns))
    for name in ("child-1", "child-2"):
        child = await client.get(CONFIGMAPS, name, namespace=ns)
        refs = child["metadata"].get("ownerReferences") or []
        assert uid not in [r["uid"] for r in refs]


async def test_dependent_of_a_missing_owner_is_collected(client: Client, ns: str) -> None:
    ghost = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "ghost",
        "uid": "00000000-0000-4000-8000-000000000000",
    }
    await client.create(CONFIGMAPS, configmap("orphan", ns, ownerReferences=[ghost]))
    assert await eventually(lambda: is_gone(client, CONFIGMAPS, "orphan", ns))


async def test_dependent_with_a_surviving_owner_stays(client: Client, ns: str) -> None:
    first = await client.create(CONFIGMAPS, configmap("first", ns))
    second = await client.create(CONFIGMAPS, configmap("second", ns))
    refs = [owner_reference(first), owner_reference(second)]
    await client.create(CONFIGMAPS, configmap("shared", ns, ownerReferences=refs))
    await client.create(CONFIGMAPS, configmap("only-first", ns, ownerReferences=[owner_reference(first)]))
    await client.delete(CONFIGMAPS, "first", namespace=ns)
    assert await eventually(lambda: is_gone(client, CONFIGMAPS, "only-first", ns))
    shared = await client.get(CONFIGMAPS, "shared", namespace=ns)
    assert second["metadata"]["uid"] in [r["uid"] for r in shared["metadata"]["ownerReferences"]]


async def test_cascade_crosses_kinds(client: Client, ns: str) -> None:
    owner = await client.create(CONFIGMAPS, configmap("owner", ns))
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": ns, "ownerReferences": [owner_reference(owner)]},
        "stringData": {"k": "v"},
    }
    await client.create(SECRETS, secret)
    await client.delete(CONFIGMAPS, "owner", namespace=ns)
    assert await eventually(lambda: is_gone(client, SECRETS, "s", ns))


async def test_namespace_deletion_removes_everything_inside(client: Client) -> None:
    await client.create(NAMESPACES, {"metadata": {"name": "doomed"}})
    await client.create(NAMESPACES, {"metadata": {"name": "spared"}})
    widgets = await register_crd(client, "widgets", "Widget")
    for namespace in ("doomed", "spared"):
        await client.create(CONFIGMAPS, configmap("cm", namespace))
        await client.create(
            SECRETS, {"metadata": {"name": "s", "namespace": namespace}, "stringData": {"k": "v"}}
        )
        await client.create(PODS, pod("p", namespace))
        await client.create(widgets, custom("Widget", "w", namespace))
    answer = await client.delete(NAMESPACES, "doomed")
    assert answer["metadata"]["deletionTimestamp"]
    assert answer["status"]["phase"] == "Terminating"
    assert await eventually(lambda: is_gone(client, NAMESPACES, "doomed"))
    for resource in (CONFIGMAPS, SECRETS, PODS, widgets):
        assert await names(client, resource, "doomed") == set()
        assert await names(client, resource, "spared") != set()
