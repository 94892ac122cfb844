"""Deletion cascades in the order a real cluster shows them: ownerReferences, namespaces, CRDs, pods."""

from __future__ import annotations

import asyncio

import pytest

from shoal.api import ForbiddenError, MethodNotAllowedError, NotFoundError
from shoal.sim import Simulator

from ._helpers import (
    CONFIGMAPS,
    CRDS,
    NAMESPACES,
    PODS,
    WIDGETS,
    configmap,
    owner_ref,
    record,
    recorded,
    widget_crd,
)


async def _family(sim: Simulator, *, block: bool = False) -> None:
    client = sim.client()
    owner = await client.create(CONFIGMAPS, configmap("owner"))
    child = await client.create(
        CONFIGMAPS, configmap("child", ownerReferences=[owner_ref(owner, block=block)])
    )
    await client.create(CONFIGMAPS, configmap("grandchild", ownerReferences=[owner_ref(child, block=block)]))


async def test_background_removes_the_owner_first() -> None:
    sim = Simulator()
    await _family(sim)
    watchers = record(sim, "configmaps")
    await sim.client().delete(CONFIGMAPS, "owner", namespace="default")
    assert recorded(watchers) == [
        ("DELETED", "ConfigMap", "owner"),
        ("DELETED", "ConfigMap", "child"),
        ("DELETED", "ConfigMap", "grandchild"),
    ]


async def test_foreground_removes_blocking_dependents_first() -> None:
    sim = Simulator()
    await _family(sim, block=True)
    watchers = record(sim, "configmaps")
    answer = await sim.client().delete(
        CONFIGMAPS, "owner", namespace="default", propagation_policy="Foreground"
    )
    assert answer["metadata"]["finalizers"] == ["foregroundDeletion"]
    assert answer["metadata"]["deletionTimestamp"]
    assert recorded(watchers) == [
        ("MODIFIED", "ConfigMap", "owner"),
        ("MODIFIED", "ConfigMap", "child"),
        ("DELETED", "ConfigMap", "grandchild"),
        ("DELETED", "ConfigMap", "child"),
        ("DELETED", "ConfigMap", "owner"),
    ]


async def test_foreground_waits_for_a_blocking_dependent_with_a_finalizer() -> None:
    sim = Simulator()
    client = sim.client()
    owner = await client.create(CONFIGMAPS, configmap("owner"))
    await client.create(
        CONFIGMAPS,
        configmap("held", ownerReferences=[owner_ref(owner, block=True)], finalizers=["unit/hold"]),
    )
    await client.delete(CONFIGMAPS, "owner", namespace="default", propagation_policy="Foreground")
    assert (await client.get(CONFIGMAPS, "held", namespace="default"))["metadata"]["deletionTimestamp"]
    assert (await client.get(CONFIGMAPS, "owner", namespace="default"))["metadata"]["deletionTimestamp"]
    await client.patch(CONFIGMAPS, "held", {"metadata": {"finalizers": None}}, namespace="default")
    for name in ("held", "owner"):
        with pytest.raises(NotFoundError):
            await client.get(CONFIGMAPS, name, namespace="default")


async def test_orphan_strips_references_then_removes_the_owner() -> None:
    sim = Simulator()
    await _family(sim)
    watchers = record(sim, "configmaps")
    client = sim.client()
    await client.delete(CONFIGMAPS, "owner", namespace="default", propagation_policy="Orphan")
    assert recorded(watchers) == [
        ("MODIFIED", "ConfigMap", "owner"),
        ("MODIFIED", "ConfigMap", "child"),
        ("DELETED", "ConfigMap", "owner"),
    ]
    child = await client.get(CONFIGMAPS, "child", namespace="default")
    assert "ownerReferences" not in child["metadata"]
    assert await client.get(CONFIGMAPS, "grandchild", namespace="default")


async def test_namespace_termination_honours_finalizers() -> None:
    sim = Simulator()
    client = sim.client()
    await client.create(NAMESPACES, {"metadata": {"name": "doomed"}})
    await client.create(CONFIGMAPS, configmap("plain", "doomed"))
    await client.create(CONFIGMAPS, configmap("held", "doomed", finalizers=["unit/hold"]))
    answer = await client.delete(NAMESPACES, "doomed")
    assert answer["status"]["phase"] == "Terminating"
    assert answer["spec"]["finalizers"] == ["kubernetes"]
    with pytest.raises(NotFoundError):
        await client.get(CONFIGMAPS, "plain", namespace="doomed")
    with pytest.raises(ForbiddenError, match="because it is being terminated"):
        await client.create(CONFIGMAPS, configmap("late", "doomed"))
    assert (await client.get(NAMESPACES, "doomed"))["metadata"]["deletionTimestamp"]
    await client.patch(CONFIGMAPS, "held", {"metadata": {"finalizers": []}}, namespace="doomed")
    with pytest.raises(NotFoundError):
        await client.get(NAMESPACES, "doomed")
    assert sim.store.population("doomed") == 0


async def test_crd_registration_and_cleanup() -> None:
    sim = Simulator()
    client = sim.client()
    revision = sim.resources.revision
    crd = await client.create(CRDS, widget_crd())
    conditions = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": "True", "Established": "True"}
    info = sim.resources.lookup(WIDGETS)
    assert info is not None
    assert info.is_crd
    assert info.has_status
    assert info.short_names == ("wd",)
    assert sim.resources.revision > revision
    await client.create(
        WIDGETS,
        {
            "apiVersion": "unit.shoal.dev/v1",
            "kind": "Widget",
            "metadata": {"name": "w", "namespace": "default"},
        },
    )
    await client.create(
        WIDGETS,
        {
            "apiVersion": "unit.shoal.dev/v1",
            "kind": "Widget",
            "metadata": {"name": "held", "namespace": "default", "finalizers": ["unit/hold"]},
        },
    )
    answer = await client.delete(CRDS, "widgets.unit.shoal.dev")
    assert "customresourcecleanup.apiextensions.k8s.io" in answer["metadata"]["finalizers"]
    assert "Terminating" in {c["type"] for c in answer["status"]["conditions"]}
    with pytest.raises(MethodNotAllowedError):
        await client.create(WIDGETS, {"metadata": {"name": "new", "namespace": "default"}})
    await client.patch(WIDGETS, "held", {"metadata": {"finalizers": None}}, namespace="default")
    with pytest.raises(NotFoundError):
        await client.get(CRDS, "widgets.unit.shoal.dev")
    assert sim.resources.lookup(WIDGETS) is None
    with pytest.raises(NotFoundError, match="could not find the requested resource"):
        await client.list(WIDGETS)
    # Recreated, it starts empty.
    await client.create(CRDS, widget_crd(scope="Cluster"))
    assert (await client.list(WIDGETS))["items"] == []
    assert sim.resources.lookup(WIDGETS).namespaced is False  # type: ignore[union-attr]


async def test_bound_pod_is_removed_by_the_simulator_after_its_capped_grace() -> None:
    sim = Simulator(pod_grace_cap=0.01)
    client = sim.client()
    pod = {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
    }
    await client.create(PODS, pod)
    answer = await client.delete(PODS, "p", namespace="default")
    assert answer["metadata"]["deletionGracePeriodSeconds"] == 30
    for _ in range(200):
        try:
            await client.get(PODS, "p", namespace="default")
        except NotFoundError:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError("pod was not removed")
    await sim.aclose()


async def test_without_graceful_delete_the_pod_waits_for_a_kubelet() -> None:
    sim = Simulator(pod_graceful_delete=False)
    client = sim.client()
    pod = {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {"nodeName": "n1", "containers": [{"name": "c", "image": "i"}]},
    }
    await client.create(PODS, pod)
    await client.delete(PODS, "p", namespace="default")
    await asyncio.sleep(0.02)
    assert (await client.get(PODS, "p", namespace="default"))["metadata"]["deletionTimestamp"]
    await client.delete(PODS, "p", namespace="default", grace_period_seconds=0)
    with pytest.raises(NotFoundError):
        await client.get(PODS, "p", namespace="default")
