"""Update (PUT): optimistic concurrency, unconditional updates, no-op updates, dry run."""

from __future__ import annotations

import asyncio

import pytest

from shoal.api import ConflictError, InvalidError, NotFoundError, PatchType
from shoal.client import Client

from ._support import (
    CONFIGMAPS,
    DEPLOYMENTS,
    PODS,
    configmap,
    custom,
    deployment,
    events_before_marker,
    pod,
    register_crd,
    rv,
    summary,
    watching,
)


async def test_update_changes_the_object_and_its_resource_version(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    changed = await client.update(CONFIGMAPS, {**made, "data": {"v": "2"}})
    assert changed["data"] == {"v": "2"}
    assert rv(changed) > rv(made)
    assert changed["metadata"]["uid"] == made["metadata"]["uid"]
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["data"] == {"v": "2"}


async def test_stale_resource_version_is_conflict_and_leaves_the_object(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    winner = await client.update(CONFIGMAPS, {**made, "data": {"v": "winner"}})
    with pytest.raises(ConflictError) as caught:
        await client.update(CONFIGMAPS, {**made, "data": {"v": "loser"}})
    err = caught.value
    assert (err.code, err.reason) == (409, "Conflict")
    assert err.message.startswith(
        'Operation cannot be fulfilled on configmaps "a": the object has been modified'
    )
    assert (err.name, err.kind) == ("a", "configmaps")
    now = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert now["data"] == {"v": "winner"}
    assert now["metadata"]["resourceVersion"] == winner["metadata"]["resourceVersion"]


async def test_built_in_update_without_resource_version_is_unconditional(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    changed = await client.update(CONFIGMAPS, configmap("a", ns, data={"v": "2"}))
    assert changed["data"] == {"v": "2"}


async def test_custom_resource_update_without_resource_version_is_invalid(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget")
    made = await client.create(widgets, custom("Widget", "w", ns, spec={"size": 1}))
    with pytest.raises(InvalidError) as caught:
        await client.update(widgets, custom("Widget", "w", ns, spec={"size": 2}))
    assert caught.value.code == 422
    assert "metadata.resourceVersion" in caught.value.fields
    now = await client.get(widgets, "w", namespace=ns)
    assert now["spec"] == {"size": 1}
    assert now["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_custom_resource_stale_update_is_conflict(client: Client, ns: str) -> None:
    widgets = await register_crd(client, "widgets", "Widget")
    made = await client.create(widgets, custom("Widget", "w", ns, spec={"size": 1}))
    await client.update(widgets, {**made, "spec": {"size": 2}})
    with pytest.raises(ConflictError) as caught:
        await client.update(widgets, {**made, "spec": {"size": 3}})
    assert caught.value.message.startswith(f'Operation cannot be fulfilled on widgets.{widgets.group} "w"')
    assert (await client.get(widgets, "w", namespace=ns))["spec"] == {"size": 2}


async def test_no_op_update_keeps_resource_version_and_sends_no_event(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    async with watching(
        client, CONFIGMAPS, namespace=ns, resource_version=made["metadata"]["resourceVersion"]
    ) as w:
        same = await client.update(CONFIGMAPS, made)
        assert same["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]
        assert summary(await events_before_marker(client, w, ns)) == []


async def test_update_keeps_uid_and_creation_timestamp_the_body_leaves_out(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns))
    body = configmap("a", ns, data={"v": "2"}, resourceVersion=made["metadata"]["resourceVersion"])
    changed = await client.update(CONFIGMAPS, body)
    assert changed["metadata"]["uid"] == made["metadata"]["uid"]
    assert changed["metadata"]["creationTimestamp"] == made["metadata"]["creationTimestamp"]


async def test_update_of_missing_object_is_not_found(client: Client, ns: str) -> None:
    with pytest.raises(NotFoundError):
        await client.update(CONFIGMAPS, configmap("missing", ns, resourceVersion="1"))


async def test_dry_run_update_persists_nothing(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    answered = await client.update(CONFIGMAPS, {**made, "data": {"v": "2"}}, dry_run=True)
    assert answered["data"] == {"v": "2"}
    now = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert now["data"] == {"v": "1"}
    assert now["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]


async def test_concurrent_read_modify_write_loses_no_update(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("counter", ns, data={"n": "0"}))
    conflicts = 0

    async def increment() -> None:
        nonlocal conflicts
        while True:
            current = await client.get(CONFIGMAPS, "counter", namespace=ns)
            current["data"]["n"] = str(int(current["data"]["n"]) + 1)
            try:
                await client.update(CONFIGMAPS, current)
            except ConflictError:
                conflicts += 1
                continue
            return

    async with asyncio.TaskGroup() as group:
        for _ in range(20):
            group.create_task(increment())
    final = await client.get(CONFIGMAPS, "counter", namespace=ns)
    assert final["data"]["n"] == "20"


async def test_update_status_of_missing_object_is_not_found(client: Client, ns: str) -> None:
    with pytest.raises(NotFoundError):
        await client.update_status(DEPLOYMENTS, deployment("missing", ns))


async def test_update_with_another_uid_is_conflict(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"v": "1"}))
    body = {**made, "metadata": {**made["metadata"], "uid": "6f1c3b8e-0000-4000-8000-000000000000"}}
    with pytest.raises(ConflictError):
        await client.update(CONFIGMAPS, {**body, "data": {"v": "2"}})
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["data"] == {"v": "1"}


async def test_immutable_configmap_rejects_data_changes(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, {**configmap("a", ns, data={"v": "1"}), "immutable": True})
    with pytest.raises(InvalidError) as caught:
        await client.patch(CONFIGMAPS, "a", {"data": {"v": "2"}}, namespace=ns)
    assert "data" in caught.value.fields
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["data"] == {"v": "1"}


async def test_deployment_selector_is_immutable(client: Client, ns: str) -> None:
    await client.create(DEPLOYMENTS, deployment("web", ns))
    relabel = {
        "spec": {
            "selector": {"matchLabels": {"app": "other"}},
            "template": {"metadata": {"labels": {"app": "other"}}},
        }
    }
    with pytest.raises(InvalidError) as caught:
        await client.patch(DEPLOYMENTS, "web", relabel, namespace=ns)
    assert "spec.selector" in caught.value.fields
    stored = await client.get(DEPLOYMENTS, "web", namespace=ns)
    assert stored["spec"]["selector"] == {"matchLabels": {"app": "web"}}


async def test_pod_spec_is_immutable_except_images(client: Client, ns: str) -> None:
    await client.create(PODS, pod("p", ns))
    with pytest.raises(InvalidError) as caught:
        await client.patch(PODS, "p", {"spec": {"restartPolicy": "Never"}}, namespace=ns)
    assert "spec" in caught.value.fields
    image = {"spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.11"}]}}
    changed = await client.patch(PODS, "p", image, patch_type=PatchType.STRATEGIC, namespace=ns)
    assert changed["spec"]["containers"][0]["image"] == "registry.k8s.io/pause:3.11"
