"""``shoal bench appsets``: how long a new ApplicationSet waits behind 808 others (Argo CD issue 10952).

The seed: one controller worker, a 2.2 s git fetch per reconcile, 807 ApplicationSets x 2 Applications,
each requeued every 3 minutes; the 808th waited about 30 minutes for its Applications (9 sharded
replicas: about 1 minute). Everything here runs time-scaled x0.01: git fetch L = 22 ms (a repo-server
cache hit 1% of it), requeue period T = 1.8 s, API writes 0.05 ms.

Each row is one setting of W (concurrent reconciles) and the git cache (off: every reconcile pays L, as
in the seed; on: a KeyedCache per (repo, revision) with a 1.8 s TTL in front of a repo server that keeps
its answers). One variant run: N ApplicationSets exist, the controller starts and reconciles each once
(the full-cycle time, milestone ``full cycle``); once a quarter of the second cycle is done, a new
ApplicationSet is created and the sample is the time until both its Applications are seen by watch.
The queue depth is sampled every 10 ms and written to ``appsets-queue.json``.

The ``before`` variant (row W=1, cache off) is the seed: one worker, no cache, and no priority: its
ApplicationSets are created after the controller started, so they enter the queue as real changes, at
the new one's priority, and their requeues keep it (plain FIFO); every reconcile renders and compares.
Shoal's variants start over existing ApplicationSets, whose initial-list events are low priority and
whose requeues go back at low priority, so the new one goes first; a periodic reconcile that finds its
inputs as it left them stops early, so the second cycle costs the event loop little.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from prometheus_client import CollectorRegistry

from shoal.api import GroupVersionResource
from shoal.bench import BenchOptions, Row, Variant, VariantContext, run_bench
from shoal.client import Client
from shoal.controller import Controller, Manager, ManagerOptions
from shoal.sim import LatencyProfile, LatencyRule
from shoal.workqueue import Priority

from ._controller import add_appset_controller
from ._crd import APPLICATION_SETS, APPLICATIONS, application_set_object, install_appset_crds
from ._reconciler import AppSetReconciler, GitCache
from ._repo_server import RepoServer

SCALE = 0.01
GIT_SECONDS = 2.2 * SCALE
REQUEUE_SECONDS = 180 * SCALE
WRITE_SECONDS = 0.005 * SCALE
APPSETS_PER_REPO = 8
NAMESPACE = "argocd"
PROFILE = LatencyProfile(
    "argo-seed-x0.01",
    tuple(LatencyRule(verb, "*", WRITE_SECONDS) for verb in ("create", "update", "patch", "delete")),
)
"""Writes 5 ms x0.01; reads come from the informer cache and cost nothing."""
SAMPLE_EVERY = 0.01
NAMESPACES = GroupVersionResource("", "v1", "namespaces")

DepthSeries = dict[str, list[tuple[float, int]]]


def _repo(i: int, n: int) -> str:
    return f"https://git.example.com/org/repo-{i % max(1, n // APPSETS_PER_REPO)}"


def _appset(i: int, n: int) -> dict[str, Any]:
    name = f"appset-{i:04d}"
    return application_set_object(
        NAMESPACE,
        name,
        repo_url=_repo(i, n),
        directories=[f"{name}/*"],
        name_template=f"{name}-{{{{path.basename}}}}",
    )


async def _create_all(client: Client, objects: list[dict[str, Any]]) -> None:
    semaphore = asyncio.Semaphore(64)

    async def create(obj: dict[str, Any]) -> None:
        async with semaphore:
            await client.create(APPLICATION_SETS, obj, namespace=NAMESPACE)

    async with asyncio.TaskGroup() as tg:
        for obj in objects:
            tg.create_task(create(obj))


async def _sample_depth(controller: Controller, started: float, series: list[tuple[float, int]]) -> None:
    while True:
        queue = controller.queue
        series.append((round(time.perf_counter() - started, 4), len(queue) if queue is not None else 0))
        await asyncio.sleep(SAMPLE_EVERY)


async def _new_appset_latency(client: Client, obj: dict[str, Any], count: int) -> float:
    """Seconds from creating ``obj`` until ``count`` of its Applications are seen (by watch)."""
    selector = f"app.kubernetes.io/part-of={obj['metadata']['name']}"
    listed = await client.list(APPLICATIONS, namespace=NAMESPACE, label_selector=selector)
    rv = listed["metadata"]["resourceVersion"]
    started = time.perf_counter()
    await client.create(APPLICATION_SETS, obj, namespace=NAMESPACE)
    seen: set[str] = set()
    async for event in client.watch(
        APPLICATIONS, namespace=NAMESPACE, label_selector=selector, resource_version=rv
    ):
        if event.type == "ADDED":
            seen.add(event.object["metadata"]["name"])
        if len(seen) >= count:
            break
    return time.perf_counter() - started


def _variant(name: str, n: int, workers: int, cache: bool, depths: DepthSeries, key: str) -> Variant:
    fifo = name == "before"

    async def run(ctx: VariantContext) -> None:
        repo = RepoServer(latency=GIT_SECONDS, cache=cache)
        for i in range(n + 1):
            for leaf in ("a", "b"):
                repo.add_directory(_repo(i, n), f"appset-{i:04d}/{leaf}")
        git_cache = (
            GitCache("git-directories", ttl=REQUEUE_SECONDS, max_size=4096, registry=CollectorRegistry())
            if cache
            else None
        )
        reconciler = AppSetReconciler(
            repo,
            git_cache=git_cache,
            application_concurrency=1 if fifo else 16,
            requeue_after=REQUEUE_SECONDS,
            requeue_priority=None if fifo else Priority.LOW,
            skip_unchanged=not fifo,
        )
        await install_appset_crds(ctx.client)
        await ctx.client.create(
            NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        )
        objects = [_appset(i, n) for i in range(n)]
        if not fifo:
            await _create_all(ctx.client, objects)
        manager = Manager(ctx.client, options=ManagerOptions(http_port=0, registry=CollectorRegistry()))
        controller = add_appset_controller(manager, reconciler, max_concurrent_reconciles=workers)
        series = depths.setdefault(f"{key} {name}", [])
        async with ctx.measure(), asyncio.TaskGroup() as tg:
            sampler = tg.create_task(_sample_depth(controller, time.perf_counter(), series))
            async with manager:
                if fifo:
                    await _create_all(ctx.client, objects)
                log = reconciler.log
                await log.wait_for(lambda log: len(log.counts) >= n)
                ctx.milestone("full cycle")
                await log.wait_for(lambda log: len(log.order) >= n + n // 4)
                ctx.milestone("new appset created")
                ctx.sample(await _new_appset_latency(ctx.client, _appset(n, n), 2))
                ctx.milestone("new appset ready")
            sampler.cancel()

    return Variant(name, run)


def _rows(n: int, worker_counts: tuple[int, ...], depths: DepthSeries) -> list[Row]:
    rows = []
    for cache in (False, True):
        for workers in worker_counts:
            key = f"E-{'cache' if cache else 'nocache'}-W{workers}"
            variants = [_variant("shoal", n, workers, cache, depths, key)]
            if workers == 1 and not cache:
                variants.insert(0, _variant("before", n, 1, False, depths, key))
            git = GIT_SECONDS * (0.01 if cache else 1.0)
            rows.append(
                Row(
                    key=key,
                    title=f"{n} appsets x 2 apps, new appset, W={workers}, git cache {'on' if cache else 'off'}",
                    variants=tuple(variants),
                    ideal_seconds=git + WRITE_SECONDS,
                    profile=PROFILE,
                    goal_seconds=0.005 if cache else 0.05,
                    seed="30 min (W=1) = 18 s scaled; 9 replicas 60 s = 0.6 s scaled"
                    if key == "E-nocache-W1"
                    else "",
                    time_scale=SCALE,
                    note=f"rho = N*L/(W*T) = {n * git / (workers * REQUEUE_SECONDS):.2f}",
                )
            )
    return rows


def _depth_summary(depths: DepthSeries) -> list[str]:
    lines = []
    for name, series in depths.items():
        values = [d for _, d in series]
        if values:
            mean = sum(values) / len(values)
            lines.append(
                f"{name:<24} queue depth: max {max(values):>4}, mean {mean:7.1f}, samples {len(values)}"
            )
    return lines


def run(options: BenchOptions) -> int:
    """Run the rows (N = 808, W in 1, 10, 20, 50; ``--quick``: N = 50, W in 1, 10), print, write."""
    n = 50 if options.quick else max(1, round(808 * options.scale))
    worker_counts = (1, 10) if options.quick else (1, 10, 20, 50)
    depths: DepthSeries = {}
    report = run_bench(
        "appsets",
        f"Argo CD ApplicationSet: a new appset behind {n} others (time-scaled x{SCALE:g})",
        _rows(n, worker_counts, depths),
        options,
    )
    for line in _depth_summary(depths):
        sys.stdout.write(line + "\n")
    out = Path(options.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "appsets-queue.json").write_bytes(
        orjson.dumps({"sample_every_seconds": SAMPLE_EVERY, "time_scale": SCALE, "series": depths})
    )
    return report.exit_status()
