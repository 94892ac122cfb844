"""The gang controllers on simulated nodes: deploy, a no-op steady state, delete."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from shoal.api import GroupVersionResource
from shoal.cache import DEBUG_ENV, CachedReader
from shoal.examples.gangs import (
    PCS_LABEL,
    PODCLIQUES,
    PODCLIQUESETS,
    PODGANGS,
    PODS,
    RECONCILE_TRIGGER,
    SCHEDULING_GATE,
    gang_manager,
    install,
    podcliqueset_object,
)
from shoal.sim import NodeOptions, Simulator

R = 3
NODES = NodeOptions(pod_ready_delay=0.001, pod_ready_jitter=0.002, seed=3)


async def until(check: Callable[[], bool]) -> None:
    for _ in range(6000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


def stored(sim: Simulator, storage: str) -> list[dict]:  # type: ignore[type-arg]
    return list(sim.store.objects(storage).values()) if sim.store.has_storage(storage) else []


def ready(pod: dict) -> bool:  # type: ignore[type-arg]
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in (pod.get("status") or {}).get("conditions") or ()
    )


def available(sim: Simulator) -> int:
    pcs = stored(sim, "podcliquesets.gangs.shoal.dev")
    return int((pcs[0].get("status") or {}).get("availableReplicas") or 0) if pcs else 0


async def quiet(sim: Simulator) -> None:
    """Wait until the controllers stop writing (no new revision for a while)."""
    last = -1
    while last != sim.store.revision:
        last = sim.store.revision
        await asyncio.sleep(0.2)


def record_reads(monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str, bool]]:
    """Record every cached read as ``(method, resource, copy)``."""
    reads: set[tuple[str, str, bool]] = set()
    get, list_ = CachedReader.get, CachedReader.list

    async def recorded_get(self: CachedReader, resource: GroupVersionResource, *args: Any, **kw: Any) -> Any:
        reads.add(("get", resource.resource, kw.get("copy", True)))
        return await get(self, resource, *args, **kw)

    async def recorded_list(self: CachedReader, resource: GroupVersionResource, **kw: Any) -> Any:
        reads.add(("list", resource.resource, kw.get("copy", True)))
        return await list_(self, resource, **kw)

    monkeypatch.setattr(CachedReader, "get", recorded_get)
    monkeypatch.setattr(CachedReader, "list", recorded_list)
    return reads


@pytest.mark.parametrize("seed_faithful", [False, True], ids=["shoal", "before"])
async def test_deploy_steady_state_and_delete(seed_faithful: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    reads = record_reads(monkeypatch)
    async with Simulator(nodes=4, node_options=NODES) as sim:
        client = sim.client(user_agent="gangs")
        await install(sim.client(user_agent="setup"))
        async with gang_manager(client, seed_faithful=seed_faithful):
            await sim.client(user_agent="setup").create(
                PODCLIQUESETS, podcliqueset_object("train", R), namespace="default"
            )
            await until(lambda: available(sim) == R)
            pods = stored(sim, "pods")
            assert len(pods) == 2 * R
            assert all(ready(p) and p["spec"].get("nodeName") for p in pods)
            assert not any(
                g["name"] == SCHEDULING_GATE for p in pods for g in p["spec"].get("schedulingGates") or ()
            )
            assert len(stored(sim, "podcliques.gangs.shoal.dev")) == R
            assert len(stored(sim, "podgangs.gangs.shoal.dev")) == R
            assert len(stored(sim, "services")) == R
            assert {p["metadata"]["labels"][PCS_LABEL] for p in pods} == {"train"}

            await quiet(sim)
            sim.accounting.reset()
            await sim.client(user_agent="setup").patch(
                PODCLIQUESETS,
                "train",
                {"metadata": {"annotations": {RECONCILE_TRIGGER: "1"}}},
                namespace="default",
            )
            await quiet(sim)
            steady_writes = sim.accounting.writes(user_agent="gangs")
            if seed_faithful:
                assert steady_writes >= 1  # the seed writes the status on every reconcile
            else:
                assert steady_writes == 0

            await sim.client(user_agent="setup").delete(PODCLIQUESETS, "train", namespace="default")
            await until(
                lambda: (
                    not stored(sim, "pods")
                    and not stored(sim, "podcliques.gangs.shoal.dev")
                    and not stored(sim, "podgangs.gangs.shoal.dev")
                    and not stored(sim, "podcliquesets.gangs.shoal.dev")
                )
            )
    # Shoal compares against the cache's shared dicts; the seed reads private copies.
    assert {(verb, resource) for verb, resource, _ in reads} >= {
        ("get", "podcliquesets"),
        ("get", "podcliques"),
        ("get", "podgangs"),
        ("get", "services"),
        ("list", "pods"),
        ("list", "podcliques"),
    }
    assert {copy for _, _, copy in reads} == {seed_faithful}


async def test_pods_stay_gated_until_their_gang_is_complete() -> None:
    async with Simulator(nodes=2, node_options=NODES) as sim:
        await install(sim.client())
        client = sim.client(user_agent="gangs")
        async with gang_manager(client):
            await client.create(PODCLIQUESETS, podcliqueset_object("g", 1, pods=3), namespace="default")
            await until(lambda: available(sim) == 1)
            gang = await client.get(PODGANGS, "g-0", namespace="default")
            refs = [r["name"] for r in gang["spec"]["podgroups"][0]["podReferences"]]
            assert refs == ["g-0-worker-0", "g-0-worker-1", "g-0-worker-2"]
            pclq = await client.get(PODCLIQUES, "g-0-worker", namespace="default")
            assert pclq["status"]["readyReplicas"] == 3
            assert pclq["status"]["scheduleGatedReplicas"] == 0
            pods = (await client.list(PODS, namespace="default"))["items"]
            assert sorted(p["metadata"]["name"] for p in pods) == refs


def podclique(name: str, replicas: int, cliques: list[str]) -> dict:  # type: ignore[type-arg]
    return {
        "apiVersion": "gangs.shoal.dev/v1alpha1",
        "kind": "PodClique",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "minAvailable": replicas,
            "podGang": "g",
            "gangCliques": cliques,
            "podSpec": {"containers": [{"name": "main", "image": "busybox"}]},
        },
    }


async def test_a_gang_spanning_two_cliques_waits_for_both() -> None:
    async with Simulator(nodes=2, node_options=NODES) as sim:
        await install(sim.client())
        client = sim.client(user_agent="gangs")
        gang = {
            "apiVersion": "gangs.shoal.dev/v1alpha1",
            "kind": "PodGang",
            "metadata": {"name": "g", "namespace": "default"},
            "spec": {
                "podgroups": [
                    {"name": "a", "minReplicas": 2, "podReferences": [{"name": "a-0"}, {"name": "a-1"}]},
                    {"name": "b", "minReplicas": 1, "podReferences": [{"name": "b-0"}]},
                ]
            },
        }
        async with gang_manager(client):
            await client.create(PODGANGS, gang, namespace="default")
            await client.create(PODCLIQUES, podclique("a", 2, ["a", "b"]), namespace="default")
            await until(lambda: len(stored(sim, "pods")) == 2)
            await quiet(sim)
            pods = stored(sim, "pods")
            assert all(p["spec"]["schedulingGates"] == [{"name": SCHEDULING_GATE}] for p in pods)
            assert not any(p["spec"].get("nodeName") for p in pods)

            await client.create(PODCLIQUES, podclique("b", 1, ["a", "b"]), namespace="default")
            await until(lambda: len(stored(sim, "pods")) == 3 and all(ready(p) for p in stored(sim, "pods")))
            assert not any(p["spec"].get("schedulingGates") for p in stored(sim, "pods"))
            await until(
                lambda: all(
                    (c.get("status") or {}).get("readyReplicas") == c["spec"]["replicas"]
                    for c in stored(sim, "podcliques.gangs.shoal.dev")
                )
            )


async def test_deploy_writes_each_object_once_and_each_status_on_availability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With a batch window longer than the deploy, only the writes a decision needs are sent: one create
    per object, one gate removal per pod, one status per clique (reaching minAvailable) and the set's
    status when it is first observed, first available and fully available. The cache's mutation check
    is on: the reconcilers read its shared dicts and must never change them."""
    monkeypatch.setenv(DEBUG_ENV, "1")
    async with Simulator(nodes=4, node_options=NODES) as sim:
        client = sim.client(user_agent="gangs")
        await install(sim.client(user_agent="setup"))
        async with gang_manager(client, status_batch_seconds=600.0):
            await sim.client(user_agent="setup").create(
                PODCLIQUESETS, podcliqueset_object("train", R), namespace="default"
            )
            await until(lambda: available(sim) == R)
            await quiet(sim)
        writes = {
            f"{verb} {resource}": stats.count
            for (verb, resource), stats in sim.accounting.snapshot(user_agent="gangs").items()
            if verb in ("create", "patch", "update", "delete")
        }
        set_status = writes.pop("patch podcliquesets/status")
        assert writes == {
            "create serviceaccounts": 1,
            "create secrets": 1,
            "create services": R,
            "create podcliques": R,
            "create podgangs": R,
            "create pods": 2 * R,
            "patch pods": 2 * R,
            "patch podcliques/status": R,
        }
        # observed (0 available), then ≥ 1, then R (may coincide with ≥ 1); the sync's first write and
        # the status controller's may both start from the set before either reached the cache
        assert 2 <= set_status <= 4
        for pclq in stored(sim, "podcliques.gangs.shoal.dev"):
            assert pclq["status"]["readyReplicas"] == 2
            assert pclq["status"]["scheduleGatedReplicas"] == 0
