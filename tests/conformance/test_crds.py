"""CustomResourceDefinitions: registering serves the resource at once; deleting removes it and its objects."""

from __future__ import annotations

import pytest

from shoal.api import GVR, AlreadyExistsError, MethodNotAllowedError, NotFoundError
from shoal.client import Client
from shoal.testing import eventually

from ._support import CRDS, GROUP, HOLD, custom, is_gone, names, register_crd


async def test_crd_is_established(client: Client) -> None:
    await register_crd(client, "widgets", "Widget")
    stored = await client.get(CRDS, f"widgets.{GROUP}")
    conditions = {c["type"]: c["status"] for c in stored["status"]["conditions"]}
    assert conditions.get("Established") == "True"
    assert conditions.get("NamesAccepted") == "True"
    assert stored["status"]["acceptedNames"]["kind"] == "Widget"


async def test_unregistered_resource_is_not_found(client: Client, ns: str) -> None:
    widgets = GVR(GROUP, "v1", "widgets")
    with pytest.raises(NotFoundError):
        await client.list(widgets, namespace=ns)
    with pytest.raises(NotFoundError):
        await client.create(widgets, custom("Widget", "w", ns))


@pytest.mark.parametrize("status", [True, False], ids=["status", "no-status"])
async def test_namespaced_custom_resource_is_served_at_once(client: Client, ns: str, status: bool) -> None:
    widgets = await register_crd(client, "widgets", "Widget", status=status)
    made = await client.create(widgets, custom("Widget", "w", ns, spec={"size": 1}))
    assert (made["apiVersion"], made["kind"]) == (f"{GROUP}/v1", "Widget")
    assert made["metadata"]["namespace"] == ns
    assert made["metadata"]["uid"]
    listing = await client.list(widgets, namespace=ns)
    assert listing["kind"] == "WidgetList"
    assert [i["metadata"]["name"] for i in listing["items"]] == ["w"]
    assert (await client.get(widgets, "w", namespace=ns))["spec"] == {"size": 1}
    with pytest.raises(NotFoundError):
        await client.create(widgets, custom("Widget", "w", "nowhere"))


@pytest.mark.parametrize("status", [True, False], ids=["status", "no-status"])
async def test_cluster_scoped_custom_resource_is_served_at_once(client: Client, status: bool) -> None:
    clusters = await register_crd(client, "clusterwidgets", "ClusterWidget", scope="Cluster", status=status)
    made = await client.create(clusters, custom("ClusterWidget", "c", spec={"size": 1}))
    assert "namespace" not in made["metadata"]
    assert await names(client, clusters) == {"c"}
    assert (await client.get(clusters, "c"))["spec"] == {"size": 1}


async def test_duplicate_crd_is_already_exists(client: Client) -> None:
    await register_crd(client, "widgets", "Widget")
    with pytest.raises(AlreadyExistsError):
        await register_crd(client, "widgets", "Widget")


async def test_deleting_a_crd_removes_its_objects_and_the_resource(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget")
    await client.create(widgets, custom("Widget", "a", ns))
    await client.create(widgets, custom("Widget", "b", "default"))
    await client.delete(CRDS, f"widgets.{GROUP}")
    assert await eventually(lambda: is_gone(client, CRDS, f"widgets.{GROUP}"))

    async def resource_gone() -> bool:
        try:
            await client.list(widgets)
        except NotFoundError:
            return True
        return False

    assert await eventually(resource_gone)
    with pytest.raises(NotFoundError):
        await client.get(widgets, "a", namespace=ns)

    await register_crd(client, "widgets", "Widget")
    assert await names(client, widgets) == set()


async def test_other_crds_are_unaffected_by_a_deletion(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget")
    gadgets = await register_crd(client, "gadgets", "Gadget")
    await client.create(widgets, custom("Widget", "w", ns))
    await client.create(gadgets, custom("Gadget", "g", ns))
    await client.delete(CRDS, f"widgets.{GROUP}")
    assert await eventually(lambda: is_gone(client, CRDS, f"widgets.{GROUP}"))
    assert await names(client, gadgets, ns) == {"g"}


async def test_crd_deletion_waits_for_held_objects_and_refuses_new_ones(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget")
    held = custom("Widget", "held", ns)
    held["metadata"]["finalizers"] = [HOLD]
    await client.create(widgets, held)
    answer = await client.delete(CRDS, f"widgets.{GROUP}")
    assert answer["metadata"]["deletionTimestamp"]

    async def instance_deleting() -> bool:
        instance = await client.get(widgets, "held", namespace=ns)
        return bool(instance["metadata"].get("deletionTimestamp"))

    assert await eventually(instance_deleting)
    assert not await is_gone(client, CRDS, f"widgets.{GROUP}")
    with pytest.raises(MethodNotAllowedError):
        await client.create(widgets, custom("Widget", "late", ns))

    await client.patch(widgets, "held", {"metadata": {"finalizers": None}}, namespace=ns)
    assert await eventually(lambda: is_gone(client, CRDS, f"widgets.{GROUP}"))
