"""update_status_if_changed and create_or_patch against the in-process simulator: writes counted there."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shoal.api import ConflictError, GroupVersionResource, InvalidError
from shoal.fanout import (
    WriteOutcome,
    create_or_patch,
    reset_write_statistics,
    update_status_if_changed,
    write_statistics,
)
from shoal.sim import SimClient, Simulator

PODS = GroupVersionResource("", "v1", "pods")
CONFIGMAPS = GroupVersionResource("", "v1", "configmaps")


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator() as simulator:
        reset_write_statistics()
        yield simulator


async def _pod(client: SimClient) -> dict[str, Any]:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "worker-0", "namespace": "default"},
        "spec": {"containers": [{"name": "worker", "image": "busybox"}]},
    }
    await client.create(PODS, pod, namespace="default")
    return await client.patch_status(
        PODS, "worker-0", {"status": {"message": "starting", "conditions": []}}, namespace="default"
    )


async def test_an_unchanged_status_sends_nothing_and_a_change_sends_only_the_difference(
    sim: Simulator,
) -> None:
    client = sim.client()
    pod = await _pod(client)
    sim.accounting.reset()

    result = await update_status_if_changed(
        client, PODS, pod, lambda p: p["status"].update(message="starting")
    )
    assert result.outcome is WriteOutcome.UNCHANGED
    assert result.object is pod
    assert sim.accounting.writes() == 0

    def ready(p: dict[str, Any]) -> None:
        p["status"]["message"] = "ready"
        p["spec"]["containers"][0]["image"] = "ignored"  # only status is written

    result = await update_status_if_changed(client, PODS, pod, ready)
    assert result.outcome is WriteOutcome.PATCHED
    assert result.patch == {"status": {"message": "ready"}}
    assert sim.accounting.count(verb="patch", resource="pods/status") == 1
    assert sim.accounting.writes() == 1
    assert pod["status"]["message"] == "starting"  # the caller's (cached) object is untouched
    stored = await client.get(PODS, "worker-0", namespace="default")
    assert stored["status"]["message"] == "ready"
    assert stored["spec"]["containers"][0]["image"] == "busybox"
    assert write_statistics().sent == 1
    assert write_statistics().skipped == 1


async def test_optimistic_lock_turns_a_stale_object_into_a_conflict(sim: Simulator) -> None:
    client = sim.client()
    stale = await _pod(client)
    await client.patch_status(PODS, "worker-0", {"status": {"message": "moved on"}}, namespace="default")
    with pytest.raises(ConflictError):
        await update_status_if_changed(
            client, PODS, stale, lambda p: p["status"].update(message="old view"), optimistic_lock=True
        )


async def test_create_or_patch_creates_then_skips_then_patches_only_what_differs(sim: Simulator) -> None:
    client = sim.client()
    desired = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "podgang-0", "namespace": "default", "labels": {"app": "gang"}},
        "data": {"replicas": "2"},
    }
    created = await create_or_patch(client, CONFIGMAPS, desired)
    assert created.outcome is WriteOutcome.CREATED
    # another writer adds a field this controller does not own
    await client.patch(CONFIGMAPS, "podgang-0", {"data": {"owner": "other"}}, namespace="default")
    sim.accounting.reset()

    unchanged = await create_or_patch(client, CONFIGMAPS, desired)
    assert unchanged.outcome is WriteOutcome.UNCHANGED
    assert sim.accounting.writes() == 0

    current = unchanged.object
    sim.accounting.reset()
    desired["data"]["replicas"] = "3"
    patched = await create_or_patch(client, CONFIGMAPS, desired, current=current)
    assert patched.outcome is WriteOutcome.PATCHED
    assert patched.patch == {"data": {"replicas": "3"}}
    assert patched.object["data"] == {"replicas": "3", "owner": "other"}
    assert sim.accounting.count(verb="patch", resource="configmaps") == 1
    assert sim.accounting.count(verb="get", resource="configmaps") == 0  # current saved the GET
    assert write_statistics().sent == 2
    assert write_statistics().skipped == 1


async def test_an_object_without_a_name_is_rejected_naming_the_field(sim: Simulator) -> None:
    client = sim.client()
    with pytest.raises(InvalidError) as caught:
        await create_or_patch(client, CONFIGMAPS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})
    assert [cause.field for cause in caught.value.causes] == ["metadata.name"]
    assert sim.accounting.writes() == 0
