"""``shoal bench workspaces``: Gitpod ws-manager's start, cleanup and content paths, before and Shoal.

Rows (research/seeds.md A, "Proposed reproducible benchmark"), each with the seed's sequential "before",
Shoal's version and the ideal of the ``gitpod-seed`` latency model (create 2 ms, get/list 0.5 ms,
status writes 0.5 ms, the rest 0):

* S-A1: the env and token Secrets of one start (2 creates). Ideal w = 2 ms; seed 4.375 → 2.203 ms.
* S-A2: cleanup of both Secrets, each Get + Delete, with delete = 2 ms added to the profile (the seed's
  benchmark charged deletes nothing). Ideal 2.5 ms; no seed figure.
* S-A3: one start end to end with the Workspace controller running: List, Secrets, Workspace, the
  reconciler's Pod and status, the wait. Before: the seed's reconciler and its 100 ms poll; Shoal: the
  Shoal reconciler and a watch. Ideal 0.5 + 2 + 2 + 2 + 0.5 = 7 ms; seed ≈ 105 ms.
* S-A4: 100 starts arriving as the seed's loadgen (800 ms + U[0, 300) ms, time-scaled x0.01), then 100
  deletes; the median start latency, and milestones (all started, all deleted) observed by watch.
* S-A5: three signed download URLs (backup, snapshot, prebuild) at 20 ms of storage round trip each.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from shoal.bench import BenchOptions, Row, Variant, VariantContext, run_bench
from shoal.sim import PROFILES, LatencyProfile, LatencyRule

from ._cleanup import delete_workspace_secrets
from ._content import CONTENT_SOURCES, SimulatedStorage, collect_remote_content
from ._crd import NAMESPACE, WORKSPACES, install
from ._reconciler import workspace_manager
from ._start import StartOptions, create_workspace_secrets, start_workspace

SEED = PROFILES["gitpod-seed"]
W, R, S = SEED.seconds("create", "secrets"), SEED.seconds("get", "secrets"), 0.0005
"""The seed's write (create), read (get/list) and status-write latencies."""
CLEANUP = LatencyProfile("gitpod-seed+delete", (LatencyRule("delete", "*", 0.002), *SEED.rules))
"""``gitpod-seed`` with deletes at 2 ms, so the cleanup has something to overlap."""
SIGN_SECONDS = 0.020
START_IDEAL = R + W + W + W + S
"""List, both Secrets at once, the Workspace, the Pod, the status write: the start's critical path."""


def _secrets(concurrent: bool) -> Variant:
    async def run(ctx: VariantContext) -> None:
        await install(ctx.client)
        for i in range(ctx.repeats):
            async with ctx.measure():
                await create_workspace_secrets(ctx.client, f"ws-{i}", concurrent=concurrent)

    return Variant("shoal" if concurrent else "before", run)


def _cleanup(concurrent: bool) -> Variant:
    async def run(ctx: VariantContext) -> None:
        await install(ctx.client)
        for i in range(ctx.repeats):
            await create_workspace_secrets(ctx.client, f"ws-{i}")
        for i in range(ctx.repeats):
            async with ctx.measure():
                deleted = await delete_workspace_secrets(ctx.client, f"ws-{i}", concurrent=concurrent)
            if deleted != 2:
                raise RuntimeError(f"cleanup of ws-{i} deleted {deleted} Secrets, not 2")

    return Variant("shoal" if concurrent else "before", run)


def _start(seed: bool) -> Variant:
    options = StartOptions.seed() if seed else StartOptions()

    async def run(ctx: VariantContext) -> None:
        await install(ctx.client)
        async with workspace_manager(ctx.client, seed_faithful=seed):
            await start_workspace(ctx.client, "warm-up", options=options)
            for i in range(ctx.repeats):
                async with ctx.measure():
                    await start_workspace(ctx.client, f"ws-{i}", options=options)

    return Variant("before" if seed else "shoal", run)


def _load(seed: bool, workspaces: int) -> Variant:
    options = StartOptions.seed() if seed else StartOptions()

    async def run(ctx: VariantContext) -> None:
        arrivals = random.Random(7)
        await install(ctx.client)

        async def one(i: int) -> None:
            started = time.perf_counter()
            await start_workspace(ctx.client, f"ws-{i}", options=options)
            ctx.sample(time.perf_counter() - started)

        async with workspace_manager(ctx.client, seed_faithful=seed), asyncio.timeout(120):
            await start_workspace(ctx.client, "warm-up", options=options)
            async with ctx.measure():
                with ctx.phase("deploy"):
                    async with asyncio.TaskGroup() as tg:
                        for i in range(workspaces):
                            tg.create_task(one(i))
                            await asyncio.sleep(0.008 + arrivals.uniform(0.0, 0.003))
                ctx.milestone("all started")
                with ctx.phase("delete"):
                    for i in range(workspaces):
                        await ctx.client.delete(WORKSPACES, f"ws-{i}", namespace=NAMESPACE)
                    await ctx.wait_until(
                        WORKSPACES, _only_warm_up, namespace=NAMESPACE, milestone="all deleted"
                    )

    return Variant("before" if seed else "shoal", run)


def _only_warm_up(objects: dict[tuple[str, str], dict[str, object]]) -> bool:
    return set(objects) == {(NAMESPACE, "warm-up")}


def _content(concurrent: bool) -> Variant:
    async def run(ctx: VariantContext) -> None:
        storage = SimulatedStorage(SIGN_SECONDS)
        for i in range(ctx.repeats):
            storage.objects.update(f"ws-{i}/{source}" for source in CONTENT_SOURCES)
            async with ctx.measure():
                urls = await collect_remote_content(storage, f"ws-{i}", concurrent=concurrent)
            if len(urls) != len(CONTENT_SOURCES):
                raise RuntimeError(f"signed {len(urls)} URLs, not {len(CONTENT_SOURCES)}")

    return Variant("shoal" if concurrent else "before", run)


def rows(*, quick: bool = False, scale: float = 1.0) -> list[Row]:
    """The scenario's rows; ``quick`` takes few samples and 10 load workspaces instead of 100."""
    micro = 5 if quick else 200
    starts = 3 if quick else 30
    load = max(2, round((10 if quick else 100) * scale))
    return [
        Row(
            key="S-A1",
            title="2 Secret creates",
            profile="gitpod-seed",
            variants=(_secrets(False), _secrets(True)),
            ideal_seconds=W,
            repeats=micro,
            goal_seconds=0.0021,
            seed="4.375 -> 2.203 ms",
        ),
        Row(
            key="S-A2",
            title="2 Secret deletes (get+delete)",
            profile=CLEANUP,
            variants=(_cleanup(False), _cleanup(True)),
            ideal_seconds=R + 0.002,
            repeats=micro,
            goal_seconds=0.0026,
            note="deletes cost 2 ms here; the seed's benchmark charged them 0 and measured no cleanup.",
        ),
        Row(
            key="S-A3",
            title="start end to end",
            profile="gitpod-seed",
            variants=(_start(True), _start(False)),
            ideal_seconds=START_IDEAL,
            repeats=starts,
            goal_seconds=0.010,
            seed="~105 ms",
            note="before: sequential Secrets, the seed's reconciler, 100 ms poll; shoal: gather, watch.",
        ),
        Row(
            key="S-A4",
            title=f"{load} starts, loadgen arrivals",
            profile="gitpod-seed",
            variants=(_load(True, load), _load(False, load)),
            ideal_seconds=START_IDEAL,
            time_scale=0.01,
            note="arrivals 8 ms + U[0,3) ms (the loadgen's 800 + U[0,300) ms x0.01), API latencies unscaled; "
            "median/p99 over start latencies; milestones: all started, all deleted.",
        ),
        Row(
            key="S-A5",
            title="3 signed URLs, 20 ms each",
            profile="none",
            variants=(_content(False), _content(True)),
            ideal_seconds=SIGN_SECONDS,
            repeats=3 if quick else 20,
            goal_seconds=SIGN_SECONDS + 0.001,
            note="storage round trips simulated; no seed figure (the seed's benchmarks did not cover this path).",
        ),
    ]


DESCRIPTION = (
    "Gitpod ws-manager-mk2 (PR 21421) on the in-process simulator: the seed's sequential 'before' and "
    "Shoal's version of each path, against the ideal of the latency model."
)


def run(options: BenchOptions) -> int:
    """Run every row, print the table, write ``workspaces.json|.md|.png`` (``.prof`` with --profile)."""
    controller_log = logging.getLogger("shoal.controller")
    level = controller_log.level
    controller_log.setLevel(logging.ERROR)  # the seed's reconciler conflicts and retries by design
    try:
        report = run_bench("workspaces", DESCRIPTION, rows(quick=options.quick, scale=options.scale), options)
    finally:
        controller_log.setLevel(level)
    return report.exit_status()
