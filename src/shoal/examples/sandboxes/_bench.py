"""``shoal bench sandboxes``: allocation cost, CreateSandbox latency and the heartbeat sweep, with ideals.

Three parts, each against the seed's own behaviour in the same run:

* allocate: µs per successful allocation at 1,000 and 10,000 fastlets (pool and namespace matching,
  which the seed's benchmarks forgot: its 14.6 µs measured the reject path), for the indexed registry
  and for the seed's scan of every fastlet; the reject path too, for the comparison with Go.
* create: 100 CreateSandbox requests at concurrency 10 over HTTP to simulated fastlets whose create
  takes 50 ms (:mod:`._bench_create`: controller, fleet and load generator in three processes); p50 of
  fast mode against the ideal (the fastlet's latency) and against a measured floor, and of strong mode
  against fastlet + 2 writes (5 ms each on the simulator).
* pool scale-up (S-C4): 100 fastlet Pods at 5 ms a create, sequential (the seed) and 16 at a time,
  without a client rate limit (ideal ⌈D/K⌉ creates) and at 100 QPS (ideal D/QPS).
* heartbeat: one sweep over 1,000 fastlets (served by a :class:`FastletFleetProcess`) at 5 ms a probe,
  sequential (the seed) and with 100 probes in flight; the ideal is ⌈N/K⌉ probe times.

Prints a table and writes ``<out>/sandboxes.json`` and ``.md``. ``--quick`` shrinks every size.
"""

from __future__ import annotations

import asyncio
import gc
import math
import random
import statistics
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from shoal.bench import precise_event_loop, reduce_timer_slack
from shoal.client import Client, ThrottledClient, TokenBucket
from shoal.sim import LatencyProfile, LatencyRule, Simulator

from ._bench_create import FASTLET_CREATE, IMAGES, PROBE, WRITE, create_latencies
from ._fastlet_client import FastletClient
from ._fastlets import FastletLatency
from ._fleet_process import FastletFleetProcess
from ._heartbeat import HeartbeatSweep
from ._model import FastletSpec, SandboxRequest
from ._pool import scale_up
from ._registry import IMAGE_MISS_PENALTY, SandboxRegistry

if TYPE_CHECKING:
    from shoal.bench import BenchOptions

T = TypeVar("T")


@dataclass(slots=True)
class Line:
    part: str
    variant: str
    value: float
    unit: str
    ideal: float | None = None
    goal: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def cells(self) -> tuple[str, ...]:
        ratio = f"{self.value / self.ideal:.2f}" if self.ideal else ""
        met = "" if self.goal is None else ("yes" if self.value <= self.goal else "NO")
        goal = "" if self.goal is None else f"<= {self.goal:g}"
        ideal = "" if self.ideal is None else f"{self.ideal:.2f}"
        return (self.part, self.variant, f"{self.value:.2f} {self.unit}", ideal, ratio, goal, met)


# -- allocate ---------------------------------------------------------------------------------------


class _ScanSlot:
    __slots__ = ("allocated", "capacity", "images", "name", "namespace", "pool", "ports")

    def __init__(self, spec: FastletSpec) -> None:
        self.name, self.pool, self.namespace = spec.name, spec.pool, spec.namespace
        self.capacity, self.images = spec.capacity, spec.images
        self.allocated = 0
        self.ports: set[int] = set()


def _scan_allocate(slots: dict[str, _ScanSlot], request: SandboxRequest) -> _ScanSlot | None:
    """The seed's Allocate: copy every fastlet, filter, score, keep the lowest; then commit."""
    best: _ScanSlot | None = None
    best_score = math.inf
    for slot in list(slots.values()):
        if slot.pool != request.pool or slot.namespace != request.namespace:
            continue
        if slot.capacity > 0 and slot.allocated >= slot.capacity:
            continue
        if any(p in slot.ports for p in request.ports):
            continue
        score = slot.allocated + (0 if request.image in slot.images else IMAGE_MISS_PENALTY)
        if score < best_score:
            best, best_score = slot, score
    if best is not None:
        best.allocated += 1
        best.ports.update(request.ports)
    return best


def _specs(n: int) -> list[FastletSpec]:
    return [FastletSpec(f"fastlet-{i}", "default-pool", "default", 10, IMAGES) for i in range(n)]


def _requests(n: int, pool: str = "default-pool") -> list[SandboxRequest]:
    rng = random.Random(1)
    images = ("alpine", "nginx", "redis", "ubuntu")
    return [SandboxRequest(f"sb-{i}", "default", pool, rng.choice(images), (8080 + i % 4,)) for i in range(n)]


def _per_op(fn: Callable[[SandboxRequest], object], requests: list[SandboxRequest]) -> float:
    """Microseconds per call. The garbage left by the set-up is collected first, so the full
    collection it would set off is not charged to the few milliseconds being timed."""
    gc.collect()
    started = time.perf_counter()
    for request in requests:
        fn(request)
    return (time.perf_counter() - started) / len(requests) * 1e6


def _reject(registry: SandboxRegistry) -> Callable[[SandboxRequest], object]:
    def attempt(request: SandboxRequest) -> object:
        try:
            return registry.allocate(request)
        except Exception:  # noqa: BLE001 - the reject path is what is timed
            return None

    return attempt


def _releaser(registry: SandboxRegistry) -> Callable[[SandboxRequest], object]:
    return lambda r: registry.release(r.namespace, r.name)


def _scanner(slots: dict[str, _ScanSlot]) -> Callable[[SandboxRequest], object]:
    return lambda r: _scan_allocate(slots, r)


def allocate_lines(sizes: tuple[int, ...], ops: int) -> list[Line]:
    lines: list[Line] = []
    for n, goal in zip(sizes, (15.0, 20.0), strict=False):
        registry = SandboxRegistry()
        scan = {s.name: _ScanSlot(s) for s in _specs(n)}
        for spec in _specs(n):
            registry.register(spec)
        count = min(ops, n * 2)
        requests = _requests(count)
        success = _per_op(registry.allocate, requests)
        release = _per_op(_releaser(registry), requests)
        before = _per_op(_scanner(scan), requests)
        rejected = _per_op(_reject(registry), _requests(count, pool="other-pool"))
        lines += [
            Line("allocate", f"shoal indexed, N={n}", success, "us", goal=goal),
            Line("allocate", f"seed scan, N={n}", before, "us", extra={"before/shoal": before / success}),
            Line("allocate", f"shoal reject path, N={n}", rejected, "us"),
            Line("release", f"shoal, N={n}", release, "us"),
        ]
    return lines


# -- create -----------------------------------------------------------------------------------------


async def create_lines(requests: int, concurrency: int) -> list[Line]:
    times = await create_latencies(requests, concurrency)
    ms = 1000.0
    ideal_fast = FASTLET_CREATE * ms
    ideal_strong = (FASTLET_CREATE + 2 * WRITE) * ms
    fast, floor, strong = (statistics.median(times[p]) * ms for p in ("fast", "floor", "strong"))
    return [
        Line("create p50", "fast", fast, "ms", ideal_fast, ideal_fast + 1.0, {"over floor ms": fast - floor}),
        Line("create p95", "fast", _p95(times["fast"]) * ms, "ms", ideal_fast),
        Line("create p50", "floor: HTTP in, fastlet create, HTTP out", floor, "ms", ideal_fast),
        Line("create p50", "strong", strong, "ms", ideal_strong, ideal_strong + 2.0),
        Line("create p95", "strong", _p95(times["strong"]) * ms, "ms", ideal_strong),
    ]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


SWEEPS = 5
"""Sweeps timed per run; the report gives their median (min and max in the JSON)."""

# -- heartbeat --------------------------------------------------------------------------------------


async def heartbeat_lines(n: int, concurrency: int, sequential: bool) -> list[Line]:
    specs = [FastletSpec(f"fastlet-{i}", "default-pool", "default", 10, IMAGES) for i in range(n)]
    async with (
        FastletFleetProcess(specs, latency=FastletLatency(status=PROBE)) as fleet,
        FastletClient(probe_connections=concurrency) as client,
    ):
        registry = SandboxRegistry()
        for spec in fleet.specs():
            registry.register(spec)
        sweep = HeartbeatSweep(registry, client, concurrency=concurrency)
        await sweep.sweep()  # open connections
        results = [await sweep.sweep() for _ in range(SWEEPS)]
        ms = sorted(r.seconds * 1000 for r in results)
        lines = [
            Line(
                "heartbeat sweep",
                f"shoal K={concurrency}, N={n}, median of {SWEEPS}",
                statistics.median(ms),
                "ms",
                math.ceil(n / concurrency) * PROBE * 1000,
                60.0 if n >= 1000 else None,
                {"min ms": ms[0], "max ms": ms[-1], "unhealthy": max(len(r.unhealthy) for r in results)},
            )
        ]
        if sequential:
            seed = await HeartbeatSweep(registry, client, concurrency=1).sweep()
            lines.append(
                Line(
                    "heartbeat sweep", f"seed sequential, N={n}", seed.seconds * 1000, "ms", n * PROBE * 1000
                )
            )
    return lines


# -- pool scale-up ----------------------------------------------------------------------------------

POD_CREATE = 0.005
POOL_QPS = 100.0
SCALE_UP_EPSILON = 0.050
"""The ε of S-C4's goal, in seconds."""


async def _scale_up_seconds(pods: int, concurrency: int, qps: float | None) -> float:
    profile = LatencyProfile("sandboxes-pods-w5", (LatencyRule("create", "pods", POD_CREATE),))
    async with Simulator(profile=profile) as sim:
        client: Client = sim.client()
        if qps is not None:
            client = ThrottledClient(client, TokenBucket(qps, 1))
        started = time.perf_counter()
        created = await scale_up(client, "default-pool", "default", want=pods, concurrency=concurrency)
        seconds = time.perf_counter() - started
    if len(created) != pods:
        raise RuntimeError(f"scale-up created {len(created)} Pods, not {pods}")
    return seconds


async def scale_up_lines(pods: int, concurrency: int) -> list[Line]:
    """S-C4: ``pods`` fastlet Pods at 5 ms a create, without a rate limit and at 100 QPS."""
    lines: list[Line] = []
    for qps in (None, POOL_QPS):
        limit = "" if qps is None else f", QPS {qps:g}"
        seed = await _scale_up_seconds(pods, 1, qps)
        shoal = await _scale_up_seconds(pods, concurrency, qps)
        waves = math.ceil(pods / concurrency) * POD_CREATE
        ideal = (waves if qps is None else max(pods / qps, POD_CREATE)) * 1000
        goal = None if qps is None else ideal + SCALE_UP_EPSILON * 1000  # S-C4: max(D/QPS, w) + ε
        lines += [
            Line(
                "pool scale-up",
                f"shoal K={concurrency}, D={pods}{limit}",
                shoal * 1000,
                "ms",
                ideal,
                goal,
                {"before/shoal": seed / shoal},
            ),
            Line(
                "pool scale-up",
                f"seed sequential, D={pods}{limit}",
                seed * 1000,
                "ms",
                max(pods * POD_CREATE, pods / qps if qps else 0.0) * 1000,
            ),
        ]
    return lines


# -- the scenario -----------------------------------------------------------------------------------

HEADER = ("part", "variant", "value", "ideal", "x ideal", "goal", "met")


def run(options: BenchOptions) -> int:
    """Run every part, print the table, write ``sandboxes.json`` and ``.md``; 1 when a goal is missed."""
    quick = options.quick
    sizes = (50, 200) if quick else (1000, 10000)
    started = time.perf_counter()
    lines = allocate_lines(sizes, 200 if quick else 5000)
    # The create part runs on the harness's precise loop: the simulator's 5 ms writes and the held watch
    # events they release are timers, which uvloop may fire early and epoll rounds up to a millisecond.
    reduce_timer_slack()
    with asyncio.Runner(loop_factory=precise_event_loop) as runner:
        lines += runner.run(create_lines(10 if quick else 100, 10 if not quick else 5))
    lines += _run_loop(heartbeat_lines(20 if quick else 1000, 100, sequential=True))
    lines += asyncio.run(scale_up_lines(10 if quick else 100, 16))
    rows = [line.cells() for line in lines]
    _print(rows)
    report = {
        "scenario": "sandboxes",
        "quick": quick,
        "seconds": time.perf_counter() - started,
        "lines": [
            {
                "part": x.part,
                "variant": x.variant,
                "value": x.value,
                "unit": x.unit,
                "ideal": x.ideal,
                "goal": x.goal,
                "goal_met": None if x.goal is None else x.value <= x.goal,
                **x.extra,
            }
            for x in lines
        ],
    }
    options.out_dir.mkdir(parents=True, exist_ok=True)
    (options.out_dir / "sandboxes.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    markdown = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    markdown += ["| " + " | ".join(row) + " |" for row in rows]
    (options.out_dir / "sandboxes.md").write_text("\n".join(markdown) + "\n")
    missed = [x for x in lines if x.goal is not None and x.value > x.goal]
    return 1 if missed and not quick else 0


def _run_loop(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` on uvloop when installed (as ``shoal sim`` does), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _print(rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(r[i]) for r in (HEADER, *rows)) for i in range(len(HEADER))]
    for row in (HEADER, *rows):
        text = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        print(text)  # noqa: T201 - the scenario's table
