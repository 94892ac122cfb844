"""Simulated nodes: Ready nodes with Leases, a binder that respects capacity, gates and selectors, and
kubelets that start bound pods and finish their graceful deletion."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from shoal.api import GVR, NotFoundError, Object
from shoal.sim import NodeOptions, Simulator, attach_nodes, serve

PODS = GVR("", "v1", "pods")
NODES = GVR("", "v1", "nodes")
LEASES = GVR("coordination.k8s.io", "v1", "leases")
FAST = NodeOptions(pod_ready_delay=0.001, pod_ready_jitter=0.002, seed=7)


def pod(name: str, *, cpu: str | None = None, **spec: Any) -> Object:
    container: dict[str, Any] = {"name": "main", "image": "busybox"}
    if cpu is not None:
        container["resources"] = {"requests": {"cpu": cpu}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"containers": [container], **spec},
    }


def pods(sim: Simulator) -> list[Object]:
    return list(sim.store.objects("pods").values())


def ready(p: Object) -> bool:
    conditions = (p.get("status") or {}).get("conditions") or ()
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


async def until(check: Callable[[], bool]) -> None:
    """Wait (up to about 20 s) until ``check()`` holds; fail otherwise."""
    for _ in range(4000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.005)


async def test_nodes_are_ready_with_capacity_and_leases() -> None:
    async with Simulator(nodes=5, node_options=NodeOptions(pods=7, cpu="4")) as sim:
        client = sim.client()
        nodes = (await client.list(NODES))["items"]
        assert [n["metadata"]["name"] for n in nodes] == [f"node-{i}" for i in range(5)]
        for node in nodes:
            assert node["status"]["capacity"] == {"cpu": "4", "memory": "256Gi", "pods": "7"}
            assert {"type": "Ready", "status": "True"}.items() <= node["status"]["conditions"][0].items()
        leases = (await client.list(LEASES, namespace="kube-node-lease"))["items"]
        assert sorted(lease["spec"]["holderIdentity"] for lease in leases) == [f"node-{i}" for i in range(5)]


async def test_fifty_pods_on_five_nodes_become_ready() -> None:
    async with Simulator(nodes=5, node_options=FAST) as sim:
        client = sim.client()
        for i in range(50):
            await client.create(PODS, pod(f"p{i}"), namespace="default")
        await until(lambda: sum(ready(p) for p in pods(sim)) == 50)
        placed: dict[str, int] = {}
        for p in pods(sim):
            assert p["status"]["phase"] == "Running"
            assert p["status"]["podIP"]
            assert p["status"]["hostIP"]
            placed[p["spec"]["nodeName"]] = placed.get(p["spec"]["nodeName"], 0) + 1
        assert placed == {f"node-{i}": 10 for i in range(5)}
        assert len({p["status"]["podIP"] for p in pods(sim)}) == 50


async def test_pods_wait_for_capacity_and_bind_when_it_is_released() -> None:
    async with Simulator(nodes=3, node_options=NodeOptions(pods=2, pod_ready_delay=0.001, seed=1)) as sim:
        client = sim.client()
        for i in range(8):
            await client.create(PODS, pod(f"p{i}"), namespace="default")
        await until(lambda: sum(ready(p) for p in pods(sim)) == 6)
        await settle()
        unbound = [p["metadata"]["name"] for p in pods(sim) if not p["spec"].get("nodeName")]
        assert len(unbound) == 2
        bound = next(p for p in pods(sim) if p["spec"].get("nodeName"))
        await client.delete(PODS, bound["metadata"]["name"], namespace="default")
        await until(lambda: sum(ready(p) for p in pods(sim)) == 6 and len(pods(sim)) == 7)
        await settle()
        assert sum(1 for p in pods(sim) if not p["spec"].get("nodeName")) == 1


async def test_cpu_requests_limit_pods_per_node() -> None:
    async with Simulator(nodes=2, node_options=NodeOptions(cpu="1", pod_ready_delay=0.001)) as sim:
        client = sim.client()
        for i in range(3):
            await client.create(PODS, pod(f"p{i}", cpu="600m"), namespace="default")
        await until(lambda: sum(ready(p) for p in pods(sim)) == 2)
        await settle()
        assert sorted(p["spec"].get("nodeName", "") for p in pods(sim)) == ["", "node-0", "node-1"]


async def test_scheduling_gates_hold_a_pod_until_removed() -> None:
    async with Simulator(nodes=2, node_options=FAST) as sim:
        client = sim.client()
        await client.create(PODS, pod("gated", schedulingGates=[{"name": "gang"}]), namespace="default")
        await settle()
        assert "nodeName" not in (await client.get(PODS, "gated", namespace="default"))["spec"]
        await client.patch(PODS, "gated", {"spec": {"schedulingGates": None}}, namespace="default")
        await until(lambda: all(ready(p) for p in pods(sim)))


async def test_node_selector_and_scheduler_name_are_respected() -> None:
    async with Simulator(nodes=2, node_options=FAST) as sim:
        client = sim.client()
        await client.create(PODS, pod("nowhere", nodeSelector={"zone": "moon"}), namespace="default")
        await client.create(PODS, pod("other", schedulerName="volcano"), namespace="default")
        await client.create(PODS, pod("here", nodeSelector={"type": "kwok"}), namespace="default")
        await until(lambda: any(ready(p) for p in pods(sim)))
        await settle()
        bound = {p["metadata"]["name"]: p["spec"].get("nodeName") for p in pods(sim)}
        assert bound["nowhere"] is None
        assert bound["other"] is None
        assert bound["here"]


async def test_graceful_deletion_of_a_running_pod_completes() -> None:
    async with Simulator(nodes=1, node_options=FAST, pod_grace_cap=600) as sim:
        client = sim.client()
        await client.create(PODS, pod("p"), namespace="default")
        await until(lambda: all(ready(p) for p in pods(sim)))
        deleting = await client.delete(PODS, "p", namespace="default")
        assert deleting["metadata"].get("deletionTimestamp")
        await until(lambda: not pods(sim))
        with pytest.raises(NotFoundError):
            await client.get(PODS, "p", namespace="default")


async def test_leases_are_renewed() -> None:
    options = NodeOptions(lease_interval=0.01)
    async with Simulator(nodes=2, node_options=options) as sim:
        client = sim.client()
        first = await client.get(LEASES, "node-0", namespace="kube-node-lease")
        await until(
            lambda: (
                (sim.store.get("leases.coordination.k8s.io", ("kube-node-lease", "node-0")) or {})
                .get("metadata", {})
                .get("resourceVersion")
                != first["metadata"]["resourceVersion"]
            )
        )


async def test_without_nodes_nothing_runs() -> None:
    async with Simulator() as sim:
        client = sim.client()
        await client.create(PODS, pod("p"), namespace="default")
        await settle()
        assert sim.nodes is None
        assert (await client.list(NODES))["items"] == []
        assert sim.store.watcher_count("pods") == 0
        assert (await client.get(PODS, "p", namespace="default"))["status"]["phase"] == "Pending"


def test_negative_node_count_is_refused() -> None:
    with pytest.raises(ValueError, match="nodes"):
        Simulator(nodes=-1)


async def test_nodes_attach_to_a_running_simulator_once() -> None:
    async with Simulator() as sim:
        actors = attach_nodes(sim, 2, FAST)
        assert actors.node_names == ["node-0", "node-1"]
        await sim.client().create(PODS, pod("p"), namespace="default")
        await until(lambda: all(ready(p) for p in pods(sim)))
        with pytest.raises(ValueError, match="already"):
            attach_nodes(sim, 1)


@pytest.mark.parametrize("kube_version", [None, "1.33.4"])
async def test_kubelets_report_the_version_the_server_reports(kube_version: str | None) -> None:
    options = {} if kube_version is None else {"kube_version": kube_version}
    async with Simulator(nodes=2, node_options=FAST, **options) as sim, serve(sim) as served:
        async with aiohttp.ClientSession() as http, http.get(f"{served.url}/version") as response:
            version = await response.json()
        for node in (await sim.client().list(NODES))["items"]:
            assert node["status"]["nodeInfo"]["kubeletVersion"] == version["gitVersion"]
            assert node["status"]["nodeInfo"]["kubeProxyVersion"] == version["gitVersion"]
    assert version["gitVersion"] == f"v{kube_version or '1.37.1'}"
