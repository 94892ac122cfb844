"""``shoal bench nodes``: how fast the simulated cluster itself brings pods to Ready.

The controller benchmarks lean on the simulated nodes (binder and kubelets); their cost must be small
next to what is measured. This scenario has no controller: it creates the pods (100 nodes and 10,000
pods, KWOK CI's pod count) and watches until every pod is Ready. Milestones: pods-created (the last
create returned) and pods-ready (observed by watch). The ideal is the kubelet's own start delay.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from shoal.api import GroupVersionResource

from ._harness import Row, Variant, VariantContext, run_bench

if TYPE_CHECKING:
    from . import BenchOptions

PODS = GroupVersionResource("", "v1", "pods")
NODES, PODS_TOTAL = 100, 10_000
QUICK_NODES, QUICK_PODS = 10, 200
READY_DELAY, READY_JITTER = 0.05, 0.05
CREATE_CONCURRENCY = 64
GOAL_SECONDS = 10.0


def _pod(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"load-{index:05d}", "namespace": "default", "labels": {"app": "load"}},
        "spec": {"containers": [{"name": "main", "image": "registry.example/load:1"}]},
    }


def _is_ready(obj: dict[str, Any]) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


async def wait_all_ready(ctx: VariantContext, count: int, version: str) -> None:
    """Watch pods from ``version`` until ``count`` are Ready (counted incrementally, not rescanned)."""
    ready: set[str] = set()
    async for event in ctx.client.watch(PODS, namespace="default", resource_version=version):
        name = (event.object.get("metadata") or {}).get("name", "")
        if event.type != "DELETED" and _is_ready(event.object):
            ready.add(name)
        else:
            ready.discard(name)
        if len(ready) >= count:
            return
    raise RuntimeError("the pod watch ended before every pod was Ready")


async def _cluster(ctx: VariantContext) -> None:
    from shoal.sim import NodeOptions, attach_nodes

    nodes, total = (QUICK_NODES, QUICK_PODS) if ctx.quick else (NODES, int(PODS_TOTAL * ctx.scale))
    attach_nodes(ctx.sim, nodes, NodeOptions(pod_ready_delay=READY_DELAY, pod_ready_jitter=READY_JITTER))
    version = (await ctx.client.list(PODS, namespace="default"))["metadata"]["resourceVersion"]
    queue = iter(range(total))

    async def creator() -> None:
        for index in queue:
            await ctx.client.create(PODS, _pod(index), namespace="default")

    async with ctx.measure(), asyncio.timeout(600):
        async with asyncio.TaskGroup() as group:
            group.create_task(wait_all_ready(ctx, total, version))
            async with asyncio.TaskGroup() as creators:
                for _ in range(CREATE_CONCURRENCY):
                    creators.create_task(creator())
            ctx.milestone("pods-created")
        ctx.milestone("pods-ready")


def rows(quick: bool) -> list[Row]:
    nodes, total = (QUICK_NODES, QUICK_PODS) if quick else (NODES, PODS_TOTAL)
    return [
        Row(
            key="N-1",
            title=f"{nodes} nodes, {total:,} pods to Ready (simulator alone)",
            variants=(Variant("shoal", _cluster),),
            ideal_seconds=READY_DELAY + READY_JITTER,
            goal_seconds=GOAL_SECONDS,
            seed="KWOK CI: 10,000 pods Running within 60 s (real apiserver + etcd)",
            note=f"kubelet start delay {READY_DELAY * 1000:.0f} ms + up to {READY_JITTER * 1000:.0f} ms jitter; "
            f"{CREATE_CONCURRENCY} concurrent creates; Ready observed by watch",
        )
    ]


def run(options: BenchOptions) -> int:
    report = run_bench(
        "nodes", "simulated nodes: pods to Ready without a controller", rows(options.quick), options
    )
    return report.exit_status()
