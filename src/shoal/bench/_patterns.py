"""``shoal bench patterns``: each seed's hand-written fix against its shoal.fanout one-liner.

Every row runs the seed's sequential "before" and the Shoal version in one invocation, on the in-process
simulator with a named latency profile (``gitpod-seed``: create 2 ms, get/list 0.5 ms, status update
0.5 ms) or, where the seed's slow step is not an API call (Velero's per-item plugin delay, Argo CD's git
fetch), on a modelled delay; and states the ideal the latency model allows. Figures are ratios, because
absolute times drift on shared machines.

Rows: gitpod (2 Secrets, sequential vs ``gather``), grove (12 components: sequential, the seed's three
fixed groups, ``ComponentGraph``; with no slow member, a slow member off the critical path, and one on
it), velero (items at d ms through ``bounded_map`` with W = 1..16), argo (1,000 callers of one git
fetch through ``KeyedCache``), overhead (µs per item of ``gather`` and ``bounded_map``), and the Grove
steady state (status and spec writes through ``update_status_if_changed`` and ``create_or_patch``).
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import orjson

from shoal.api import GroupVersionResource
from shoal.bench import BenchOptions
from shoal.client import Client
from shoal.fanout import (
    ComponentGraph,
    KeyedCache,
    Memo,
    bounded_map,
    create_or_patch,
    gather,
    update_status_if_changed,
)

from ._loop import SOLE_PROCESS_SPIN_SECONDS, precise_event_loop, reduce_timer_slack

SECRETS = GroupVersionResource("", "v1", "secrets")
CONFIGMAPS = GroupVersionResource("", "v1", "configmaps")
PODS = GroupVersionResource("", "v1", "pods")
PROFILE = "gitpod-seed"
WRITE_MS = 2.0
"""The create latency of the ``gitpod-seed`` profile: the unit ``w`` of the ideals below."""

GROVE_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "serviceaccount",
        "role",
        "rolebinding",
        "serviceaccount-token-secret",
        "headless-service",
        "hpa",
        "podcliqueset-replica",
        "computedomain",
        "resourceclaim",
    ),
    ("podclique",),
    ("podcliquescalinggroup", "podgang"),
)
"""Grove's ``getKindSyncGroups`` after PR 545: groups run one after another, members concurrently."""

_POD_PREREQUISITES = (
    "serviceaccount",
    "role",
    "rolebinding",
    "serviceaccount-token-secret",
    "headless-service",
    "resourceclaim",
)
GROVE_EDGES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(GROVE_GROUPS[0], ()),
    "podclique": _POD_PREREQUISITES,
    "podcliquescalinggroup": _POD_PREREQUISITES,
    "podgang": ("podclique", "podcliquescalinggroup"),
}
"""What each component needs before it can be synced. Every edge goes from an earlier group to a later
one, so the graph's critical path can never be longer than the groups' sum of slowest members: the
``hpa`` and ``podcliqueset-replica``, which nothing needs, stop holding the PodCliques back."""


def _p50(samples: list[float]) -> float:
    return statistics.median(samples)


async def _time(run: Callable[[int], Awaitable[object]], repeats: int) -> list[float]:
    samples = []
    for i in range(repeats):
        started = time.perf_counter()
        await run(i)
        samples.append(time.perf_counter() - started)
    return samples


def _secret(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": "default"}}


def _configmap(name: str, data: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": data or {"k": "v"},
    }


async def bench_gitpod(client: Client, repeats: int) -> dict[str, Any]:
    """S-A1: the env and token Secrets of one workspace, one after the other vs ``gather``.

    The variants take turns, one sample each per round, so a slow minute of the machine weighs on all
    of them alike. Two reference points frame the figure: one create alone, and the loop's own floor,
    ``asyncio.gather`` of two bare sleeps of the create latency (no client, no simulator).
    """

    async def sequential(i: int) -> None:
        await client.create(SECRETS, _secret(f"ws-{i}-env-seq"), namespace="default")
        await client.create(SECRETS, _secret(f"ws-{i}-tokens-seq"), namespace="default")

    async def shoal(i: int) -> None:
        await gather(
            client.create(SECRETS, _secret(f"ws-{i}-env"), namespace="default"),
            client.create(SECRETS, _secret(f"ws-{i}-tokens"), namespace="default"),
        )

    async def one(i: int) -> None:
        await client.create(SECRETS, _secret(f"ws-{i}-single"), namespace="default")

    async def floor(i: int) -> None:
        await asyncio.gather(asyncio.sleep(WRITE_MS / 1000), asyncio.sleep(WRITE_MS / 1000))

    variants = {"before": sequential, "shoal": shoal, "one": one, "floor": floor}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for i in range(repeats):
        for name, run in variants.items():
            started = time.perf_counter()
            await run(i)
            samples[name].append(time.perf_counter() - started)
    before, after, single, bare = (_p50(samples[name]) * 1000 for name in variants)
    ideal = WRITE_MS
    return {
        "repeats": repeats,
        "one_create_ms": single,
        "shoal_over_one_create": after / single,
        "floor_ms": bare,
        "shoal_over_floor_us": (after - bare) * 1000,
        "before_ms": before,
        "shoal_ms": after,
        "ideal_ms": ideal,
        "before_over_shoal": before / after,
        "shoal_over_ideal": after / ideal,
        "seed_pr_ms": 2.203,
    }


async def bench_memo(client: Client, repeats: int) -> dict[str, Any]:
    """Grove's PodClique reconcile: four helpers each need the PodCliqueSet (here a ConfigMap)."""
    await client.create(CONFIGMAPS, _configmap("pcs"), namespace="default")

    def read() -> Awaitable[dict[str, Any]]:
        return client.get(CONFIGMAPS, "pcs", namespace="default")

    async def before(i: int) -> None:
        for _ in range(4):
            await read()

    gets = 0

    async def shoal(i: int) -> None:
        nonlocal gets
        memo = Memo()  # one per reconcile, as the controller puts it on the context
        for _ in range(4):
            await memo.get(("podcliquesets", "default", "pcs"), read)
        gets += memo.statistics().misses

    before_ms = _p50(await _time(before, repeats)) * 1000
    shoal_ms = _p50(await _time(shoal, repeats)) * 1000
    return {"before_gets": 4, "shoal_gets": gets / repeats, "before_ms": before_ms, "shoal_ms": shoal_ms}


def _grove_action(client: Client, name: str, creates: int, run: str) -> Callable[[], Awaitable[None]]:
    async def sync() -> None:
        for n in range(creates):
            await client.create(CONFIGMAPS, _configmap(f"{run}-{name}-{n}"), namespace="default")

    return sync


async def bench_grove(client: Client, repeats: int) -> dict[str, Any]:
    """12 components, one create each (w); a slow member makes 4 creates. Sequential, groups, graph."""
    cases = {"no-slow-member": None, "slow-off-critical-path": "hpa", "slow-on-critical-path": "role"}
    rows: dict[str, Any] = {}
    for case, slow in cases.items():
        creates = {name: (4 if name == slow else 1) for name in GROVE_EDGES}

        async def sequential(i: int, creates: dict[str, int] = creates, case: str = case) -> None:
            for group in GROVE_GROUPS:
                for name in group:
                    await _grove_action(client, name, creates[name], f"{case}-seq-{i}")()

        async def groups(i: int, creates: dict[str, int] = creates, case: str = case) -> None:
            for group in GROVE_GROUPS:
                await gather(*(_grove_action(client, n, creates[n], f"{case}-grp-{i}")() for n in group))

        async def graph(i: int, creates: dict[str, int] = creates, case: str = case) -> None:
            components = ComponentGraph()
            for name, deps in GROVE_EDGES.items():
                components.add(
                    name, _grove_action(client, name, creates[name], f"{case}-dag-{i}"), depends_on=deps
                )
            (await components.sync()).raise_for_failures()

        seq = _p50(await _time(sequential, repeats)) * 1000
        grp = _p50(await _time(groups, repeats)) * 1000
        dag = _p50(await _time(graph, repeats)) * 1000
        rows[case] = {
            "sequential_ms": seq,
            "groups_ms": grp,
            "graph_ms": dag,
            "groups_ideal_ms": _groups_ideal(creates),
            "graph_ideal_ms": _critical_path(creates),
            "groups_over_graph": grp / dag,
        }
    return rows


def _groups_ideal(creates: dict[str, int]) -> float:
    return sum(max(creates[name] for name in group) for group in GROVE_GROUPS) * WRITE_MS


def _critical_path(creates: dict[str, int]) -> float:
    finish: dict[str, float] = {}

    def end(name: str) -> float:
        if name not in finish:
            start = max((end(dep) for dep in GROVE_EDGES[name]), default=0.0)
            finish[name] = start + creates[name] * WRITE_MS
        return finish[name]

    return max(end(name) for name in GROVE_EDGES)


async def bench_velero(items: int, delay_ms: float) -> dict[str, Any]:
    """Velero's ItemBlocks: a per-item plugin delay d, W workers; ideal ceil(N/W)·d."""

    async def back_up(item: int) -> int:
        await asyncio.sleep(delay_ms / 1000)
        return item

    started = time.perf_counter()
    for item in range(items):
        await back_up(item)
    sequential = (time.perf_counter() - started) * 1000
    rows: dict[str, Any] = {"items": items, "delay_ms": delay_ms, "sequential_ms": sequential}
    for workers in (1, 2, 4, 8, 16):
        started = time.perf_counter()
        done = await bounded_map(back_up, range(items), limit=workers).collect()
        elapsed = (time.perf_counter() - started) * 1000
        assert len(done) == items
        ideal = math.ceil(items / workers) * delay_ms
        rows[f"W={workers}"] = {"ms": elapsed, "ideal_ms": ideal, "shoal_over_ideal": elapsed / ideal}
    return rows


async def bench_argo(callers: int, fetch_ms: float) -> dict[str, Any]:
    """Argo CD's git generator: ``callers`` reconciles want the same (repo, revision) at once."""
    calls = 0

    async def fetch() -> list[str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(fetch_ms / 1000)
        return ["apps/a", "apps/b"]

    started = time.perf_counter()
    await gather(*(fetch() for _ in range(callers)))
    before_ms = (time.perf_counter() - started) * 1000
    before_calls, calls = calls, 0
    cache = KeyedCache[tuple[str, str], list[str]]("bench-git", ttl=180, max_size=16)
    started = time.perf_counter()
    await gather(*(cache.get(("repo", "main"), fetch) for _ in range(callers)))
    shoal_ms = (time.perf_counter() - started) * 1000
    return {
        "callers": callers,
        "fetch_ms": fetch_ms,
        "before_calls": before_calls,
        "shoal_calls": calls,
        "before_ms": before_ms,
        "shoal_ms": shoal_ms,
        "joins": cache.statistics().joins,
    }


async def bench_overhead(items: int) -> dict[str, float]:
    """Microseconds per item that gather and bounded_map add over awaiting the coroutine directly."""

    async def noop(i: int = 0) -> int:
        return i

    started = time.perf_counter()
    for i in range(items):
        await noop(i)
    direct = (time.perf_counter() - started) / items
    started = time.perf_counter()
    await gather(*(noop(i) for i in range(items)))
    gathered = (time.perf_counter() - started) / items
    started = time.perf_counter()
    await bounded_map(noop, range(items), limit=16).collect()
    pooled = (time.perf_counter() - started) / items
    return {
        "items": items,
        "gather_us_per_item": (gathered - direct) * 1e6,
        "bounded_map_us_per_item": (pooled - direct) * 1e6,
    }


async def bench_steady_state(client: Client, accounting: Any, objects: int) -> dict[str, Any]:
    """Grove's steady state: a no-op reconcile of ``objects`` Pods (status) and ConfigMaps (spec).

    Both variants read from what they already hold (an informer cache in a controller); the before
    writes every object back, Shoal writes only differences. Writes are counted by the simulator.
    """
    names = [f"steady-{i}" for i in range(objects)]
    await bounded_map(
        lambda n: client.create(CONFIGMAPS, _configmap(n, {"replicas": "2"}), namespace="default"),
        names,
        limit=32,
    ).collect()
    pods = await bounded_map(
        lambda n: client.create(
            PODS,
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": n, "namespace": "default"},
                "spec": {"containers": [{"name": "worker", "image": "busybox"}]},
                "status": {},
            },
            namespace="default",
        ),
        names,
        limit=32,
    ).collect()
    pods = [
        await client.patch_status(
            PODS, pod["metadata"]["name"], {"status": {"message": "ready"}}, namespace="default"
        )
        for pod in pods
    ]
    configmaps = [await client.get(CONFIGMAPS, n, namespace="default") for n in names]

    def set_message(obj: dict[str, Any]) -> None:
        obj.setdefault("status", {})["message"] = "ready"

    accounting.reset()
    started = time.perf_counter()
    for pod in pods:  # the seed's "before": patch status on every reconcile
        await client.patch_status(
            PODS, pod["metadata"]["name"], {"status": {"message": "ready"}}, namespace="default"
        )
    for configmap in configmaps:  # and write the spec back whether or not it changed
        await client.update(CONFIGMAPS, configmap)
    before_ms = (time.perf_counter() - started) * 1000
    before_writes = accounting.writes()
    accounting.reset()
    started = time.perf_counter()
    for pod in pods:
        await update_status_if_changed(client, PODS, pod, set_message)
    for configmap in configmaps:
        desired = _configmap(configmap["metadata"]["name"], {"replicas": "2"})
        await create_or_patch(client, CONFIGMAPS, desired, current=configmap)
    shoal_ms = (time.perf_counter() - started) * 1000
    return {
        "objects": objects,
        "before_writes": before_writes,
        "shoal_writes": accounting.writes(),
        "before_ms": before_ms,
        "shoal_ms": shoal_ms,
    }


async def run_patterns(*, quick: bool = False) -> dict[str, Any]:
    """Every row of the scenario; ``quick`` uses tiny sizes (checks the scenario still works)."""
    from shoal.sim import Simulator  # the simulator is a benchmark dependency, not a runtime one

    repeats = 5 if quick else 50
    results: dict[str, Any] = {"profile": PROFILE, "quick": quick}
    async with Simulator(profile=PROFILE) as sim:
        client = sim.client(user_agent="shoal-bench-patterns")
        results["gitpod"] = await bench_gitpod(client, repeats * 4)
        results["grove"] = await bench_grove(client, max(3, repeats // 5))
        results["memo"] = await bench_memo(client, repeats)
        results["steady_state"] = await bench_steady_state(client, sim.accounting, 20 if quick else 200)
    results["velero"] = await bench_velero(16 if quick else 64, 5.0)
    results["argo"] = await bench_argo(1000, 22.0)
    results["overhead"] = await bench_overhead(2000 if quick else 20000)
    return results


def render(results: dict[str, Any]) -> str:
    """The results as a Markdown table: one line per row of the scenario."""
    g, a, o, s, m = (results[k] for k in ("gitpod", "argo", "overhead", "steady_state", "memo"))
    lines = [
        f"profile `{results['profile']}`{' (quick sizes)' if results['quick'] else ''}",
        "",
        "| row | before | shoal | ideal | figure |",
        "|---|---|---|---|---|",
        f"| gitpod: 2 Secret creates | {g['before_ms']:.3f} ms | {g['shoal_ms']:.3f} ms | "
        f"{g['ideal_ms']:.1f} ms | shoal/ideal {g['shoal_over_ideal']:.3f}, "
        f"before/shoal {g['before_over_shoal']:.2f}, shoal/one create ({g['one_create_ms']:.3f} ms) "
        f"{g['shoal_over_one_create']:.3f}, loop floor {g['floor_ms']:.3f} ms (+{g['shoal_over_floor_us']:.0f} us) |",
    ]
    for case, row in results["grove"].items():
        lines.append(
            f"| grove 12 components, {case} | seq {row['sequential_ms']:.1f} ms, groups "
            f"{row['groups_ms']:.1f} ms | graph {row['graph_ms']:.1f} ms | groups "
            f"{row['groups_ideal_ms']:.0f} / graph {row['graph_ideal_ms']:.0f} ms | "
            f"groups/graph {row['groups_over_graph']:.2f} |"
        )
    lines.append(
        f"| grove memo: 4 reads of one PodCliqueSet | {m['before_gets']} gets, {m['before_ms']:.2f} ms | "
        f"{m['shoal_gets']:.0f} get, {m['shoal_ms']:.2f} ms | 1 get | per reconcile |"
    )
    velero = results["velero"]
    for workers in (1, 2, 4, 8, 16):
        row = velero[f"W={workers}"]
        lines.append(
            f"| velero {velero['items']} items x {velero['delay_ms']:.0f} ms, W={workers} | "
            f"{velero['sequential_ms']:.0f} ms | {row['ms']:.1f} ms | {row['ideal_ms']:.0f} ms | "
            f"shoal/ideal {row['shoal_over_ideal']:.3f} |"
        )
    lines += [
        f"| argo: {a['callers']} callers, one {a['fetch_ms']:.0f} ms fetch | {a['before_calls']} calls | "
        f"{a['shoal_calls']} call | 1 call | {a['joins']} joins, {a['shoal_ms']:.1f} ms |",
        f"| overhead per item | - | gather {o['gather_us_per_item']:.2f} us, bounded_map "
        f"{o['bounded_map_us_per_item']:.2f} us | < 20 us | {o['items']} no-op items |",
        f"| grove steady state, {s['objects']} Pods + {s['objects']} ConfigMaps | "
        f"{s['before_writes']} writes, {s['before_ms']:.1f} ms | {s['shoal_writes']} writes, "
        f"{s['shoal_ms']:.1f} ms | 0 writes | no-op reconcile |",
    ]
    return "\n".join(lines)


GATHER_GOAL_MS = WRITE_MS * 1.05
"""Two parallel creates within 5 % of one create's latency."""
OVERHEAD_GOAL_US = 20.0
"""What ``gather`` and ``bounded_map`` may add per item."""


def missed_goals(results: dict[str, Any]) -> list[str]:
    """The goals of the scenario that ``results`` miss, named as in the table."""
    missed = []
    if results["gitpod"]["shoal_ms"] > GATHER_GOAL_MS:
        missed.append("gitpod: 2 Secret creates")
    overhead = results["overhead"]
    if max(overhead["gather_us_per_item"], overhead["bounded_map_us_per_item"]) >= OVERHEAD_GOAL_US:
        missed.append("overhead per item")
    if results["argo"]["shoal_calls"] != 1:
        missed.append("argo: single-flight")
    return missed


def run(options: BenchOptions) -> int:
    """Run the scenario, print the table, write ``patterns.json`` and ``patterns.md`` to the output
    directory; exit status 1 when a goal is missed at full size."""
    out_dir = options.out_dir
    reduce_timer_slack()
    # One process, the simulator in it: the loop may poll through every wait of the profile.
    with asyncio.Runner(loop_factory=partial(precise_event_loop, SOLE_PROCESS_SPIN_SECONDS)) as runner:
        results = runner.run(run_patterns(quick=options.quick))
    table = render(results)
    print(table)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "patterns.json").write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    (out_dir / "patterns.md").write_text(f"# shoal bench patterns\n\n{table}\n")
    missed = missed_goals(results)
    if missed and not options.quick:
        print(f"goals missed: {', '.join(missed)}")
        return 1
    return 0
