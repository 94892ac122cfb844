"""HeartbeatSweep: every fastlet probed, an unreachable one marked unhealthy and skipped, then recovered."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from shoal.examples.sandboxes import (
    FastletClient,
    FastletFleet,
    FastletLatency,
    FastletSpec,
    HeartbeatSweep,
    InsufficientCapacityError,
    SandboxRegistry,
    SandboxRequest,
)


async def test_sweep_marks_an_unreachable_fastlet_unhealthy_and_allocation_skips_it() -> None:
    specs = [FastletSpec(f"f{i}", "pool", "default", 1, frozenset({"alpine"})) for i in range(30)]
    metrics = CollectorRegistry()
    async with FastletFleet(specs, latency=FastletLatency(status=0.001)) as fleet, FastletClient() as client:
        registry = SandboxRegistry()
        for spec in fleet.specs():
            registry.register(spec)
        sweep = HeartbeatSweep(registry, client, concurrency=8, probe_timeout=5, metrics_registry=metrics)
        fleet.set_reachable("f7", False)
        result = await sweep.sweep()
        assert (result.probed, result.healthy, result.unhealthy) == (30, 29, ("f7",))
        assert all(f.probes == 1 for name, f in fleet.fastlets.items() if name != "f7")
        status = registry.fastlet("f7")
        assert status is not None
        assert not status.healthy
        assert metrics.get_sample_value("fastlet_unhealthy") == 1
        assert metrics.get_sample_value("fastlet_heartbeat_sweep_duration_seconds_count") == 1

        placed = {
            registry.allocate(SandboxRequest(f"s{i}", "default", "pool", "alpine")).fastlet for i in range(29)
        }
        assert "f7" not in placed
        assert len(placed) == 29
        with pytest.raises(InsufficientCapacityError):
            registry.allocate(SandboxRequest("s-extra", "default", "pool", "alpine"))

        fleet.set_reachable("f7", True)
        result = await sweep.sweep()
        assert result.unhealthy == ()
        assert registry.allocate(SandboxRequest("s-extra", "default", "pool", "alpine")).fastlet == "f7"


async def test_a_fastlet_that_is_not_served_at_all_is_unhealthy() -> None:
    async with FastletFleet([], latency=FastletLatency(status=0.0)) as fleet, FastletClient() as client:
        registry = SandboxRegistry()
        registry.register(FastletSpec("ghost", "pool", "default", 1, frozenset(), fleet.address("ghost")))
        registry.register(FastletSpec("dead-node", "pool", "default", 1, frozenset(), "http://127.0.0.1:9"))
        result = await HeartbeatSweep(registry, client, probe_timeout=2).sweep()
        assert result.unhealthy == ("dead-node", "ghost")


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        HeartbeatSweep(SandboxRegistry(), FastletClient(), concurrency=0)
