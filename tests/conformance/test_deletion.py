"""Deletion: finalizers hold objects with a deletionTimestamp; pods bound to a node terminate gracefully."""

from __future__ import annotations

import pytest

from shoal.api import ConflictError, InvalidError, NotFoundError, PatchType, Preconditions
from shoal.client import Client
from shoal.testing import eventually

from ._support import (
    CONFIGMAPS,
    HOLD,
    PODS,
    configmap,
    events_before_marker,
    is_gone,
    names,
    pod,
    summary,
    watching,
)


async def test_delete_without_finalizers_removes_at_once_and_returns_the_object(
    client: Client, ns: str
) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, data={"k": "v"}))
    answer = await client.delete(CONFIGMAPS, "a", namespace=ns)
    if answer.get("kind") == "ConfigMap":
        assert answer["metadata"]["uid"] == made["metadata"]["uid"]
    else:
        assert (answer["kind"], answer["status"]) == ("Status", "Success")
    assert await is_gone(client, CONFIGMAPS, "a", ns)


async def test_delete_missing_is_not_found(client: Client, ns: str) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.delete(CONFIGMAPS, "missing", namespace=ns)
    assert caught.value.message == 'configmaps "missing" not found'


async def test_finalizer_holds_the_object_until_removed_then_deleted_event(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns, finalizers=[HOLD, "example.com/other"]))
    start = made["metadata"]["resourceVersion"]
    async with watching(client, CONFIGMAPS, namespace=ns, resource_version=start) as w:
        answer = await client.delete(CONFIGMAPS, "a", namespace=ns)
        assert answer["metadata"]["deletionTimestamp"]
        assert answer["metadata"]["finalizers"] == [HOLD, "example.com/other"]
        held = await client.get(CONFIGMAPS, "a", namespace=ns)
        assert held["metadata"]["deletionTimestamp"] == answer["metadata"]["deletionTimestamp"]
        assert held["metadata"]["deletionGracePeriodSeconds"] == 0

        # Deleting again changes nothing but still answers with the object.
        again = await client.delete(CONFIGMAPS, "a", namespace=ns)
        assert again["metadata"]["deletionTimestamp"] == answer["metadata"]["deletionTimestamp"]

        await client.patch(
            CONFIGMAPS,
            "a",
            [{"op": "remove", "path": "/metadata/finalizers/1"}],
            patch_type=PatchType.JSON,
            namespace=ns,
        )
        assert not await is_gone(client, CONFIGMAPS, "a", ns)
        await client.patch(CONFIGMAPS, "a", {"metadata": {"finalizers": []}}, namespace=ns)
        assert await is_gone(client, CONFIGMAPS, "a", ns)

        events = await events_before_marker(client, w, ns)
    assert summary(events) == [("MODIFIED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    assert events[0].object["metadata"]["deletionTimestamp"]
    assert events[1].object["metadata"]["finalizers"] == [HOLD]


async def test_no_new_finalizers_once_deleting(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("a", ns, finalizers=[HOLD]))
    await client.delete(CONFIGMAPS, "a", namespace=ns)
    with pytest.raises(InvalidError) as caught:
        await client.patch(
            CONFIGMAPS, "a", {"metadata": {"finalizers": [HOLD, "example.com/late"]}}, namespace=ns
        )
    assert "metadata.finalizers" in caught.value.fields
    assert (await client.get(CONFIGMAPS, "a", namespace=ns))["metadata"]["finalizers"] == [HOLD]
    await client.patch(CONFIGMAPS, "a", {"metadata": {"finalizers": None}}, namespace=ns)
    assert await is_gone(client, CONFIGMAPS, "a", ns)


async def test_delete_preconditions(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns))
    with pytest.raises(ConflictError):
        await client.delete(CONFIGMAPS, "a", namespace=ns, preconditions=Preconditions(uid="not-the-uid"))
    with pytest.raises(ConflictError):
        await client.delete(CONFIGMAPS, "a", namespace=ns, preconditions=Preconditions(resource_version="1"))
    assert not await is_gone(client, CONFIGMAPS, "a", ns)
    meta = made["metadata"]
    exact = Preconditions(uid=meta["uid"], resource_version=meta["resourceVersion"])
    await client.delete(CONFIGMAPS, "a", namespace=ns, preconditions=exact)
    assert await is_gone(client, CONFIGMAPS, "a", ns)


async def test_dry_run_delete_persists_nothing(client: Client, ns: str) -> None:
    made = await client.create(CONFIGMAPS, configmap("a", ns))
    await client.delete(CONFIGMAPS, "a", namespace=ns, dry_run=True)
    still = await client.get(CONFIGMAPS, "a", namespace=ns)
    assert still["metadata"]["resourceVersion"] == made["metadata"]["resourceVersion"]
    assert "deletionTimestamp" not in still["metadata"]


async def test_unbound_pod_is_deleted_at_once(client: Client, ns: str) -> None:
    await client.create(PODS, pod("p", ns, grace_seconds=30))
    await client.delete(PODS, "p", namespace=ns)
    assert await is_gone(client, PODS, "p", ns)


async def test_bound_pod_terminates_gracefully(client: Client, ns: str) -> None:
    await client.create(PODS, pod("p", ns, node_name="node-1"))
    answer = await client.delete(PODS, "p", namespace=ns)
    assert answer["kind"] == "Pod"
    assert answer["metadata"]["deletionTimestamp"]
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 30


async def test_bound_pod_grace_period_comes_from_the_request_or_the_spec(client: Client, ns: str) -> None:
    await client.create(PODS, pod("from-spec", ns, node_name="node-1", grace_seconds=1))
    await client.create(PODS, pod("from-request", ns, node_name="node-1"))
    from_spec = await client.delete(PODS, "from-spec", namespace=ns)
    from_request = await client.delete(PODS, "from-request", namespace=ns, grace_period_seconds=1)
    assert from_spec["metadata"]["deletionGracePeriodSeconds"] == 1
    assert from_request["metadata"]["deletionGracePeriodSeconds"] == 1
    assert await eventually(lambda: is_gone(client, PODS, "from-spec", ns), within=10)
    assert await eventually(lambda: is_gone(client, PODS, "from-request", ns), within=10)


async def test_bound_pod_with_zero_grace_goes_at_once(client: Client, ns: str) -> None:
    await client.create(PODS, pod("p", ns, node_name="node-1"))
    await client.delete(PODS, "p", namespace=ns, grace_period_seconds=0)
    assert await is_gone(client, PODS, "p", ns)


async def test_delete_collection_deletes_what_the_selectors_match(client: Client, ns: str) -> None:
    await client.create(CONFIGMAPS, configmap("web-1", ns, labels={"app": "web"}))
    await client.create(CONFIGMAPS, configmap("web-2", ns, labels={"app": "web"}, finalizers=[HOLD]))
    await client.create(CONFIGMAPS, configmap("db", ns, labels={"app": "db"}))
    await client.create(CONFIGMAPS, configmap("web-elsewhere", "default", labels={"app": "web"}))
    answer = await client.delete_collection(CONFIGMAPS, namespace=ns, label_selector="app=web")
    if answer["kind"] == "ConfigMapList":
        assert sorted(i["metadata"]["name"] for i in answer["items"]) == ["web-1", "web-2"]
    assert await names(client, CONFIGMAPS, ns) == {"web-2", "db"}
    held = await client.get(CONFIGMAPS, "web-2", namespace=ns)
    assert held["metadata"]["deletionTimestamp"]
    assert not await is_gone(client, CONFIGMAPS, "web-elsewhere", "default")
    await client.delete_collection(CONFIGMAPS, namespace=ns, field_selector="metadata.name=db")
    assert await names(client, CONFIGMAPS, ns) == {"web-2"}


async def test_graceful_pod_deletion_is_seen_as_modified_then_deleted(client: Client, ns: str) -> None:
    made = await client.create(PODS, pod("p", ns, node_name="node-1", grace_seconds=1))
    async with watching(
        client, PODS, namespace=ns, resource_version=made["metadata"]["resourceVersion"]
    ) as w:
        await client.delete(PODS, "p", namespace=ns)
        events = await w.take(2, within=10)
    assert summary(events) == [("MODIFIED", "p"), ("DELETED", "p")]
    assert events[0].object["metadata"]["deletionTimestamp"]


async def test_new_pod_is_pending(client: Client, ns: str) -> None:
    made = await client.create(PODS, pod("p", ns))
    assert made["status"]["phase"] == "Pending"


async def test_finished_pod_is_deleted_at_once_even_when_bound(client: Client, ns: str) -> None:
    await client.create(PODS, pod("done", ns, node_name="node-1"))
    await client.patch_status(PODS, "done", {"status": {"phase": "Succeeded"}}, namespace=ns)
    await client.delete(PODS, "done", namespace=ns)
    assert await is_gone(client, PODS, "done", ns)
