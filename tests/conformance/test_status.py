"""The status subresource and generation: status and spec are written through separate doors."""

from __future__ import annotations

import pytest

from shoal.api import ConflictError, NotFoundError
from shoal.client import Client

from ._support import DEPLOYMENTS, PODS, custom, deployment, pod, register_crd, rv


async def test_deployment_update_ignores_status(client: Client, ns: str) -> None:
    made = await client.create(DEPLOYMENTS, {**deployment("web", ns), "status": {"replicas": 7}})
    assert made.get("status", {}).get("replicas") != 7
    body = {**made, "spec": {**made["spec"], "replicas": 3}, "status": {"replicas": 9}}
    changed = await client.update(DEPLOYMENTS, body)
    assert changed["spec"]["replicas"] == 3
    assert changed.get("status", {}).get("replicas") != 9
    patched = await client.patch(DEPLOYMENTS, "web", {"status": {"replicas": 5}}, namespace=ns)
    assert patched.get("status", {}).get("replicas") != 5


async def test_deployment_status_write_changes_only_status(client: Client, ns: str) -> None:
    made = await client.create(DEPLOYMENTS, deployment("web", ns, replicas=1))
    body = {
        **made,
        "spec": {**made["spec"], "replicas": 4},
        "status": {"replicas": 2, "observedGeneration": 1},
    }
    written = await client.update_status(DEPLOYMENTS, body)
    assert written["status"]["replicas"] == 2
    assert written["spec"]["replicas"] == 1
    assert rv(written) > rv(made)
    patched = await client.patch_status(
        DEPLOYMENTS, "web", {"status": {"readyReplicas": 1}, "spec": {"replicas": 8}}, namespace=ns
    )
    assert patched["status"]["readyReplicas"] == 1
    assert patched["status"]["replicas"] == 2
    assert patched["spec"]["replicas"] == 1
    stored = await client.get(DEPLOYMENTS, "web", namespace=ns)
    assert (stored["spec"]["replicas"], stored["status"]["replicas"]) == (1, 2)


async def test_deployment_generation_moves_on_spec_only(client: Client, ns: str) -> None:
    made = await client.create(DEPLOYMENTS, deployment("web", ns))
    assert made["metadata"]["generation"] == 1
    labelled = await client.patch(DEPLOYMENTS, "web", {"metadata": {"labels": {"x": "y"}}}, namespace=ns)
    assert labelled["metadata"]["generation"] == 1
    status = await client.patch_status(DEPLOYMENTS, "web", {"status": {"replicas": 1}}, namespace=ns)
    assert status["metadata"]["generation"] == 1
    scaled = await client.patch(DEPLOYMENTS, "web", {"spec": {"replicas": 5}}, namespace=ns)
    assert scaled["metadata"]["generation"] == 2
    again = await client.update(DEPLOYMENTS, {**scaled, "spec": {**scaled["spec"], "replicas": 6}})
    assert again["metadata"]["generation"] == 3


async def test_custom_resource_with_status_subresource_splits_spec_and_status(
    client: Client, ns: str
) -> None:
    widgets = await register_crd(client, "widgets", "Widget", status=True)
    body = {**custom("Widget", "w", ns, spec={"size": 1}), "status": {"ready": True}}
    made = await client.create(widgets, body)
    assert "ready" not in made.get("status", {})
    main = await client.update(widgets, {**made, "spec": {"size": 2}, "status": {"ready": True}})
    assert main["spec"] == {"size": 2}
    assert "ready" not in main.get("status", {})
    status = await client.update_status(widgets, {**main, "spec": {"size": 99}, "status": {"ready": True}})
    assert status["status"] == {"ready": True}
    assert status["spec"] == {"size": 2}
    patched = await client.patch_status(widgets, "w", {"status": {"phase": "Up"}}, namespace=ns)
    assert patched["status"] == {"ready": True, "phase": "Up"}
    stored = await client.get(widgets, "w", namespace=ns)
    assert (stored["spec"], stored["status"]) == ({"size": 2}, {"ready": True, "phase": "Up"})


async def test_custom_resource_generation_moves_on_spec_only(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget", status=True)
    made = await client.create(widgets, custom("Widget", "w", ns, spec={"size": 1}))
    assert made["metadata"]["generation"] == 1
    labelled = await client.patch(widgets, "w", {"metadata": {"labels": {"x": "y"}}}, namespace=ns)
    status = await client.patch_status(widgets, "w", {"status": {"ready": True}}, namespace=ns)
    assert (labelled["metadata"]["generation"], status["metadata"]["generation"]) == (1, 1)
    changed = await client.patch(widgets, "w", {"spec": {"size": 2}}, namespace=ns)
    assert changed["metadata"]["generation"] == 2


async def test_custom_resource_without_status_subresource_keeps_status_in_the_main_resource(
    client: Client, ns: str
) -> None:
    gadgets = await register_crd(client, "gadgets", "Gadget", status=False)
    body = {**custom("Gadget", "g", ns, spec={"size": 1}), "status": {"ready": False}}
    made = await client.create(gadgets, body)
    assert made["status"] == {"ready": False}
    changed = await client.update(gadgets, {**made, "status": {"ready": True}})
    assert changed["status"] == {"ready": True}
    assert changed["metadata"]["generation"] == 2
    with pytest.raises(NotFoundError):
        await client.update_status(gadgets, changed)
    with pytest.raises(NotFoundError):
        await client.patch_status(gadgets, "g", {"status": {"ready": False}}, namespace=ns)
    assert (await client.get(gadgets, "g", namespace=ns))["status"] == {"ready": True}


async def test_status_write_with_stale_resource_version_is_conflict(client: Client, ns: str) -> None:
    made = await client.create(DEPLOYMENTS, deployment("web", ns))
    await client.patch(DEPLOYMENTS, "web", {"metadata": {"labels": {"x": "1"}}}, namespace=ns)
    with pytest.raises(ConflictError):
        await client.update_status(DEPLOYMENTS, {**made, "status": {"replicas": 3}})
    assert (await client.get(DEPLOYMENTS, "web", namespace=ns)).get("status", {}).get("replicas") != 3


async def test_pod_status_is_written_only_through_the_subresource(client: Client, ns: str) -> None:
    await client.create(PODS, pod("p", ns, node_name="node-1"))
    ignored = await client.patch(PODS, "p", {"status": {"phase": "Running"}}, namespace=ns)
    assert ignored["status"]["phase"] == "Pending"
    written = await client.patch_status(PODS, "p", {"status": {"phase": "Running"}}, namespace=ns)
    assert written["status"]["phase"] == "Running"
    assert (await client.get(PODS, "p", namespace=ns))["status"]["phase"] == "Running"
