"""``shoal bench sim-store``: the simulator store's own speed, the base of every other benchmark.

In-process, profile ``none``: one writer creates ``objects`` ConfigMaps and then updates each once
(with its resourceVersion, as a controller does), while ``watchers`` watch streams on configmaps
consume every event, checking that each carries the next revision (every write, once, in order).
Reported: writes/s through the in-process client (copies, validation, accounting included), the same
without watchers, and watch events delivered per second across all watchers. The goal is 20,000 writes/s with 10 watchers on a 2-core machine.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson

from shoal.api import GroupVersionResource
from shoal.bench import BenchOptions
from shoal.sim import SimClient, Simulator

CONFIGMAPS = GroupVersionResource("", "v1", "configmaps")
NAMESPACE = "default"
GOAL_WRITES_PER_SECOND = 20_000.0


def _configmap(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"bench-{i}", "namespace": NAMESPACE, "labels": {"app": "bench"}},
        "data": {"index": str(i)},
    }


async def _write(client: SimClient, objects: int) -> float:
    """Create then update every object; seconds taken."""
    began = time.perf_counter()
    created = [await client.create(CONFIGMAPS, _configmap(i)) for i in range(objects)]
    for obj in created:
        obj["data"]["updated"] = "yes"
        await client.update(CONFIGMAPS, obj)
    return time.perf_counter() - began


async def _consume(
    client: SimClient,
    resource_version: str,
    revisions: list[str],
    seen: list[int],
    in_order: list[bool],
    slot: int,
) -> None:
    """Count the events of one watch; ``in_order[slot]`` stays true while event number ``n`` carries
    ``revisions[n]`` (the writer is the only one, so each write is the next revision: none skipped or
    repeated)."""
    async for event in client.watch(CONFIGMAPS, namespace=NAMESPACE, resource_version=resource_version):
        n = seen[slot]
        if event.object["metadata"]["resourceVersion"] != revisions[n]:
            in_order[slot] = False
        seen[slot] = n = n + 1
        if n >= len(revisions):
            return


async def _run(objects: int, watchers: int) -> dict[str, Any]:
    writes = 2 * objects
    async with Simulator(profile="none", watch_queue_size=writes + 100) as sim:
        client = sim.client(user_agent="shoal-bench-sim-store")
        start = sim.store.revision
        revisions = [str(start + i) for i in range(1, writes + 1)]
        seen = [0] * watchers
        in_order = [True] * watchers
        async with asyncio.TaskGroup() as tasks:
            for slot in range(watchers):
                tasks.create_task(_consume(client, str(start), revisions, seen, in_order, slot))
            await asyncio.sleep(0.05)
            began = time.perf_counter()
            write_seconds = await _write(client, objects)
        delivery_seconds = time.perf_counter() - began
        counted = sim.accounting.writes()
    async with Simulator(profile="none") as bare:
        bare_seconds = await _write(bare.client(), objects)
    return {
        "objects": objects,
        "writes": writes,
        "watchers": watchers,
        "writes_per_second": round(writes / write_seconds, 1),
        "writes_per_second_without_watchers": round(writes / bare_seconds, 1),
        "watch_events_delivered": sum(seen),
        "watch_events_per_second": round(sum(seen) / delivery_seconds, 1),
        "every_watcher_saw_every_write": all(n == writes for n in seen),
        "every_watcher_saw_them_in_order": all(in_order),
        "server_counted_writes": counted,
        "goal_writes_per_second": GOAL_WRITES_PER_SECOND,
        "goal_met": writes / write_seconds >= GOAL_WRITES_PER_SECOND,
    }


def _table(figures: dict[str, Any]) -> str:
    width = max(map(len, figures))
    lines = [f"| {'measure':<{width}} | value |", f"|{'-' * (width + 2)}|-------|"]
    lines += [f"| {k:<{width}} | {v} |" for k, v in figures.items()]
    return "\n".join(lines)


def run(options: BenchOptions) -> int:
    """Run the scenario, print the table, write ``sim-store.json`` and ``sim-store.md``."""
    objects = 500 if options.quick else max(100, int(10_000 * options.scale))
    figures = asyncio.run(_run(objects, 2 if options.quick else 10))
    figures["quick"] = options.quick
    table = _table(figures)
    print(table)
    options.out_dir.mkdir(parents=True, exist_ok=True)
    (options.out_dir / "sim-store.json").write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
    (options.out_dir / "sim-store.md").write_text(f"# shoal bench sim-store\n\n{table}\n")
    ok = (
        figures["every_watcher_saw_every_write"]
        and figures["every_watcher_saw_them_in_order"]
        and figures["server_counted_writes"] == figures["writes"]
    )
    return 0 if ok else 1
