"""scale_up: creates exactly the Pods a pool lacks, labelled with it, and is idempotent."""

from __future__ import annotations

import pytest

from shoal.examples.sandboxes import PODS, POOL_LABEL, fastlet_pod, scale_up
from shoal.sim import Simulator


async def test_scale_up_creates_only_the_missing_pods() -> None:
    async with Simulator() as sim:
        client = sim.client()
        await client.create(PODS, fastlet_pod("pool-a", "default", 2), namespace="default")
        await client.create(PODS, fastlet_pod("pool-b", "default", 0), namespace="default")

        created = await scale_up(client, "pool-a", "default", want=5, concurrency=3)
        assert created == [f"pool-a-fastlet-{i}" for i in (0, 1, 3, 4)]
        listed = await client.list(PODS, namespace="default", label_selector=f"{POOL_LABEL}=pool-a")
        assert sorted(p["metadata"]["name"] for p in listed["items"]) == [
            f"pool-a-fastlet-{i}" for i in range(5)
        ]

        assert await scale_up(client, "pool-a", "default", want=5) == []
        assert await scale_up(client, "pool-a", "default", want=3) == []
        assert await scale_up(client, "pool-b", "default", want=2, concurrency=1) == ["pool-b-fastlet-1"]


async def test_concurrency_must_be_positive() -> None:
    async with Simulator() as sim:
        with pytest.raises(ValueError, match="concurrency"):
            await scale_up(sim.client(), "pool", "default", want=1, concurrency=0)
