"""custom_resource_definition builds CRDs the simulator accepts, with the scope and subresources asked for."""

from __future__ import annotations

import pytest

from shoal.api import CRDS, GroupVersionResource, NotFoundError, custom_resource_definition
from shoal.sim import Simulator


async def test_built_crd_serves_namespaced_kind_with_status_subresource() -> None:
    crd = custom_resource_definition(
        "demo.shoal.dev",
        "Widget",
        "widgets",
        short_names=["wd"],
        printer_columns=[{"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
    )
    assert crd["metadata"]["name"] == "widgets.demo.shoal.dev"
    widgets = GroupVersionResource("demo.shoal.dev", "v1", "widgets")
    async with Simulator() as sim:
        client = sim.client()
        await client.create(CRDS, crd)
        info = sim.resources.lookup(widgets)
        assert info is not None
        assert (info.namespaced, info.has_status, info.short_names) == (True, True, ("wd",))
        obj = {
            "apiVersion": "demo.shoal.dev/v1",
            "kind": "Widget",
            "metadata": {"name": "w"},
            "spec": {"size": 1},
        }
        created = await client.create(widgets, obj, namespace="default")
        created["status"] = {"ready": True}
        created["spec"]["size"] = 2
        after = await client.update_status(widgets, created, namespace="default")
        assert after["status"] == {"ready": True}
        assert after["spec"]["size"] == 1


async def test_built_crd_cluster_scope_without_status_subresource() -> None:
    crd = custom_resource_definition(
        "demo.shoal.dev", "Gizmo", "gizmos", namespaced=False, status_subresource=False
    )
    gizmos = GroupVersionResource("demo.shoal.dev", "v1", "gizmos")
    async with Simulator() as sim:
        client = sim.client()
        await client.create(CRDS, crd)
        info = sim.resources.lookup(gizmos)
        assert info is not None
        assert (info.namespaced, info.has_status) == (False, False)
        obj = {
            "apiVersion": "demo.shoal.dev/v1",
            "kind": "Gizmo",
            "metadata": {"name": "g"},
            "status": {"x": 1},
        }
        created = await client.create(gizmos, obj)
        assert created["status"] == {"x": 1}
        with pytest.raises(NotFoundError):
            await client.update_status(gizmos, created)
