"""StatusBatcher: urgent changes at once, progress after the batch window, nothing when unchanged."""

from __future__ import annotations

from typing import Any

from shoal.client import Client
from shoal.examples.gangs import PODCLIQUES, StatusBatcher, install
from shoal.sim import Simulator

CLIQUE = {
    "apiVersion": "gangs.shoal.dev/v1alpha1",
    "kind": "PodClique",
    "metadata": {"name": "c", "namespace": "default"},
    "spec": {
        "replicas": 2,
        "minAvailable": 2,
        "podGang": "g",
        "podSpec": {"containers": [{"name": "main", "image": "busybox"}]},
    },
}


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def created_clique(sim: Simulator) -> tuple[Client, dict[str, Any]]:
    await install(sim.client())
    client = sim.client(user_agent="test")
    return client, await client.create(PODCLIQUES, CLIQUE, namespace="default")


def status_writes(sim: Simulator) -> int:
    return sim.accounting.count("patch", "podcliques/status", user_agent="test")


async def test_progress_waits_for_the_window_and_urgent_changes_do_not() -> None:
    async with Simulator() as sim:
        client, obj = await created_clique(sim)
        clock = Clock()
        batcher = StatusBatcher(PODCLIQUES, seconds=0.25, clock=clock)

        assert await batcher.write(client, obj, {"replicas": 2, "readyReplicas": 0}, urgent=False) == 0.25
        clock.now += 0.1
        waited = await batcher.write(client, obj, {"replicas": 2, "readyReplicas": 1}, urgent=False)
        assert waited is not None
        assert abs(waited - 0.15) < 1e-9  # counted from the first change
        assert status_writes(sim) == 0

        clock.now += 0.15
        assert await batcher.write(client, obj, {"replicas": 2, "readyReplicas": 1}, urgent=False) is None
        assert status_writes(sim) == 1
        obj = await client.get(PODCLIQUES, "c", namespace="default")
        assert obj["status"] == {"replicas": 2, "readyReplicas": 1}

        assert await batcher.write(client, obj, {"replicas": 2, "readyReplicas": 1}, urgent=False) is None
        assert status_writes(sim) == 1  # unchanged: nothing sent

        assert await batcher.write(client, obj, {"replicas": 2, "readyReplicas": 2}, urgent=True) is None
        assert status_writes(sim) == 2
        obj = await client.get(PODCLIQUES, "c", namespace="default")
        assert obj["status"] == {"replicas": 2, "readyReplicas": 2}


async def test_a_written_change_starts_a_fresh_window() -> None:
    async with Simulator() as sim:
        client, obj = await created_clique(sim)
        clock = Clock()
        batcher = StatusBatcher(PODCLIQUES, seconds=0.25, clock=clock)
        assert await batcher.write(client, obj, {"replicas": 1}, urgent=False) == 0.25
        obj = await client.patch_status(PODCLIQUES, "c", {"status": {"replicas": 1}}, namespace="default")
        assert await batcher.write(client, obj, {"replicas": 1}, urgent=False) is None  # caught up
        clock.now += 10.0
        assert await batcher.write(client, obj, {"replicas": 2}, urgent=False) == 0.25
        batcher.forget("default", "c")
        clock.now += 0.1
        assert await batcher.write(client, obj, {"replicas": 2}, urgent=False) == 0.25
        assert status_writes(sim) == 1  # only the direct patch above
