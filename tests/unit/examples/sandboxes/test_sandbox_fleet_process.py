"""FastletFleetProcess: the fleet in a child process, reached over HTTP, controlled over its pipe, stopped on exit."""

from __future__ import annotations

import multiprocessing

from shoal.examples.sandboxes import (
    FastletClient,
    FastletFleetProcess,
    FastletLatency,
    FastletSpec,
    HeartbeatSweep,
    SandboxRegistry,
    SandboxRequest,
)


async def test_a_sweep_and_a_create_reach_the_child_and_it_stops_with_the_block() -> None:
    specs = [FastletSpec(f"f{i}", "pool", "default", 1, frozenset({"alpine"})) for i in range(12)]
    async with (
        FastletFleetProcess(specs, latency=FastletLatency(create=0.0, status=0.0)) as fleet,
        FastletClient(probe_connections=4) as client,
    ):
        assert fleet.base_url.startswith("http://127.0.0.1:")
        children = multiprocessing.active_children()
        assert [p.name for p in children].count("shoal-fastlet-fleet") == 1
        registry = SandboxRegistry()
        for spec in fleet.specs():
            registry.register(spec)
        await fleet.set_reachable("f3", False)
        sweep = HeartbeatSweep(registry, client, concurrency=4)
        result = await sweep.sweep()
        assert (result.probed, result.unhealthy) == (12, ("f3",))

        allocation = registry.allocate(SandboxRequest("s1", "default", "pool", "alpine", (8080,)))
        await client.create(allocation)
        books = await fleet.books()
        assert books[allocation.fastlet]["sandboxes"] == {"default/s1": [8080]}
        assert books["f3"]["reachable"] is False
        assert sum(b["probes"] for b in books.values()) == 11

        await fleet.set_reachable("f3", True)
        assert (await sweep.sweep()).unhealthy == ()
    assert "shoal-fastlet-fleet" not in [p.name for p in multiprocessing.active_children()]
    assert fleet.base_url == ""
