"""``shoal bench gangs``: Grove's scale test (deploy, no-op steady state, delete) on 100 simulated nodes.

research/seeds.md B: one PodCliqueSet of R replicas x one clique of 2 pods (R = 500: 1,000 pods; R = 100
with ``--quick``), every write 5 ms, reads from the informer cache, 100 KWOK-like nodes
whose kubelets start a pod 50-100 ms after binding. Rows:

* G-1 faithful: client QPS 100 / burst 150 (the seed's chart defaults). Ideal: the deploy's write floor
  through the token bucket, (8R + 5 - 150) / 100 s: the set, its ServiceAccount and token Secret; per
  replica a Service, a PodClique, a PodGang, 2 pods, 2 gate removals and the clique's status once it is
  available; the set's status when first observed and when available. Seed (PR #545): pods-ready
  42.8 s, delete 37.9 s.
* G-2 uncapped: no client limit. Ideal: the latency critical path, about 8 writes + the kubelet delay.
  With the seed's 20 PodClique workers the cliques alone need R / 20 rounds of 2 sequential writes.

The measured window (the sample, its calls and writes) is the deploy, until every replica is available;
milestones pods-created, pods-ready, pcs-available (availableReplicas ≥ 1, the seed's) and all-available.
After it, outside the window: the steady state (an annotation bump, then the seed's 30 s window scaled
x0.1; its writes are counted and reported in the notes) and the delete (until no pod or object is left,
recorded as the ``delete`` phase and the ``all-gone`` milestone).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

from shoal.bench import Row, Variant, VariantContext, run_bench
from shoal.client import Client, ThrottledClient, TokenBucket
from shoal.sim import LatencyProfile, LatencyRule, NodeOptions, attach_nodes

from ._crd import PODCLIQUESETS, PODS, RECONCILE_TRIGGER, install, podcliqueset_object
from ._manager import gang_manager

if TYPE_CHECKING:
    from shoal.bench import BenchOptions

W = 0.005
PROFILE = LatencyProfile(
    "writes-5ms", tuple(LatencyRule(verb, "*", W) for verb in ("create", "update", "patch", "delete"))
)
NODES, READY_DELAY, READY_JITTER = 100, 0.05, 0.05
QPS, BURST = 100.0, 150
FULL_R, QUICK_R = 500, 100
TINY_R = 10
STEADY_WINDOW = 30.0
TIME_SCALE = 0.1
NAME = "scale"
STEADY_WRITES: dict[tuple[str, str], int] = {}
"""(row key, variant) → writes counted in the steady-state window, for the report's notes."""


def _ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


async def _track_pods(ctx: VariantContext, total: int, version: str) -> None:
    """Watch pods, recording pods-created and pods-ready the moment their counts reach ``total``."""
    seen: set[str] = set()
    ready: set[str] = set()
    created = False
    async for event in ctx.client.watch(PODS, namespace="default", resource_version=version):
        name = (event.object.get("metadata") or {}).get("name", "")
        if event.type == "DELETED":
            seen.discard(name)
            ready.discard(name)
            continue
        seen.add(name)
        (ready.add if _ready(event.object) else ready.discard)(name)
        if not created and len(seen) >= total:
            created = True
            ctx.milestone("pods-created")
        if len(ready) >= total:
            ctx.milestone("pods-ready")
            return


def _available(at_least: int) -> Any:
    def check(objects: dict[tuple[str, str], dict[str, Any]]) -> bool:
        pcs = objects.get(("default", NAME))
        return pcs is not None and int((pcs.get("status") or {}).get("availableReplicas") or 0) >= at_least

    return check


def _variant(replicas: int, *, seed_faithful: bool, capped: bool, row: str) -> Variant:
    async def run(ctx: VariantContext) -> None:
        attach_nodes(ctx.sim, NODES, NodeOptions(pod_ready_delay=READY_DELAY, pod_ready_jitter=READY_JITTER))
        setup = ctx.sim.client(user_agent="setup")
        await install(setup)
        client: Client = ThrottledClient(ctx.client, TokenBucket(QPS, BURST)) if capped else ctx.client
        window = STEADY_WINDOW * TIME_SCALE * (0.2 if ctx.quick else 1.0)
        async with gang_manager(client, seed_faithful=seed_faithful), asyncio.timeout(900):
            version = (await setup.list(PODS, namespace="default"))["metadata"]["resourceVersion"]
            async with ctx.measure():
                with ctx.phase("deploy"):
                    async with asyncio.TaskGroup() as group:
                        group.create_task(_track_pods(ctx, 2 * replicas, version))
                        await ctx.client.create(
                            PODCLIQUESETS, podcliqueset_object(NAME, replicas), namespace="default"
                        )
                        await ctx.wait_until(PODCLIQUESETS, _available(1), milestone="pcs-available")
                    await ctx.wait_until(PODCLIQUESETS, _available(replicas), milestone="all-available")
            with ctx.phase("steady"):
                before = ctx.sim.accounting.writes(user_agent=ctx.variant)
                await setup.patch(
                    PODCLIQUESETS,
                    NAME,
                    {"metadata": {"annotations": {RECONCILE_TRIGGER: "1"}}},
                    namespace="default",
                )
                await asyncio.sleep(window)
                STEADY_WRITES[(row, ctx.variant)] = ctx.sim.accounting.writes(user_agent=ctx.variant) - before
            with ctx.phase("delete"):
                await setup.delete(PODCLIQUESETS, NAME, namespace="default")
                await ctx.wait_until(PODS, lambda objects: not objects, namespace="default")
                await ctx.wait_until(PODCLIQUESETS, lambda objects: not objects, milestone="all-gone")

    return Variant("before" if seed_faithful else "shoal", run)


def rows(replicas: int) -> list[Row]:
    floor_writes = 8 * replicas + 5
    critical_path = 8 * W + READY_DELAY + READY_JITTER
    shape = f"R={replicas}: {replicas} PodCliques, {2 * replicas} pods, {replicas} PodGangs, {NODES} nodes"
    return [
        Row(
            key="G-1",
            title=f"deploy, faithful (QPS {QPS:g}/{BURST}), {shape}",
            variants=tuple(
                _variant(replicas, seed_faithful=s, capped=True, row="G-1") for s in (True, False)
            ),
            ideal_seconds=max(critical_path, (floor_writes - BURST) / QPS),
            profile=PROFILE,
            seed="R=500: pods-ready 42.8 s, delete 37.9 s, ≈4,500 writes",
            note=f"ideal: ({floor_writes} writes - burst {BURST}) / {QPS:g} QPS; writes 5 ms",
        ),
        Row(
            key="G-2",
            title=f"deploy, uncapped, {shape}",
            variants=tuple(
                _variant(replicas, seed_faithful=s, capped=False, row="G-2") for s in (True, False)
            ),
            ideal_seconds=critical_path,
            goal_seconds=1.5 * critical_path,
            profile=PROFILE,
            note=(
                "ideal: ~8 sequential writes of 5 ms + kubelet start 50-100 ms; 20 PodClique workers add "
                f"{replicas} / 20 x 2 x 5 ms = {replicas / 20 * 2 * W:.2f} s"
            ),
        ),
    ]


def run(options: BenchOptions) -> int:
    logging.getLogger("shoal").setLevel(logging.ERROR)
    replicas = QUICK_R if options.quick else int(FULL_R * options.scale)
    if options.quick and options.scale < 1.0:
        replicas = TINY_R
    report = run_bench(
        "gangs", "Grove PodCliqueSet scale test: deploy, steady state, delete", rows(replicas), options
    )
    report.notes.append(
        f"steady state: writes in a {STEADY_WINDOW:g} s window scaled x{TIME_SCALE:g} after a no-op "
        "annotation bump: "
        + ", ".join(f"{row} {variant} {count}" for (row, variant), count in sorted(STEADY_WRITES.items()))
    )
    report.write(options.out_dir)
    sys.stdout.write(report.notes[-1] + "\n")
    return report.exit_status()
