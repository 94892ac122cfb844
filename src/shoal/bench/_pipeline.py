"""``shoal bench pipeline``: the event pipeline (list, watch, queue, reconcile) of Shoal next to kopf's.

Both run a reconciler that does nothing but record its key, against one simulator served over HTTP
from a process of its own (see :mod:`._pipeline_server`); Shoal's controller runs in this process over
:class:`~shoal.client.HttpClient`, kopf runs unmodified as ``python -m kopf run --standalone -A`` with
an ``@kopf.on.event`` handler, posting off and ``worker_limit`` unset. Three phases per controller:

* start-up: ``backlog`` probes exist before the controller starts; seconds until each was reconciled
  once, and peak RSS of the controller's process;
* priority: a fresh controller starts over the same backlog; the moment it reconciles its first
  backlog key, one new probe is created (by a thread, so a busy event loop cannot delay the create);
  lag until the new probe is reconciled, and how much of the backlog went first (Shoal queues the
  initial list at low priority, a new object at high). Shoal runs this twice: with the no-op
  reconciler, which never awaits, and with one that awaits once, as any reconciler doing I/O does;
* churn: probes are created at a fixed rate while the controller runs; create-to-reconcile lag.

Shoal also runs in-process (the simulator's client, no HTTP) for the raw reconciles/s of the pipeline.
"""

from __future__ import annotations

import asyncio
import cProfile
import os
import pstats
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from shoal.api import CRDS
from shoal.bench import BenchOptions
from shoal.client import Client, HttpClient
from shoal.controller import Controller, Manager, ManagerOptions

from ._harness import peak_rss_bytes, reset_peak_rss
from ._pipeline_record import (
    Reconciles,
    RecordingReconciler,
    lags_ms,
    peak_rss_of,
    percentile,
    serve_records,
)
from ._pipeline_report import Sizes, report
from ._pipeline_server import (
    GROUP,
    KIND,
    PLURAL,
    PROBE_CRD,
    PROBES,
    VERSION,
    CreateOrder,
    SimulatorProcess,
    probe_name,
    run_loop,
)

KOPF_OPERATOR = Path(__file__).with_name("_pipeline_kopf.py")
KOPF_STARTUP_BOUND = 600.0


@asynccontextmanager
async def shoal_manager(
    client: Client, reconciles: Reconciles, *, yields: bool = False
) -> AsyncIterator[Manager]:
    """A manager with one controller for probes, no HTTP endpoints, metrics in a private registry."""
    options = ManagerOptions(http_port=0, registry=CollectorRegistry(), graceful_shutdown_timeout=5.0)
    manager = Manager(client, options=options)
    Controller.build(manager).for_(PROBES, kind=KIND).named("probes").complete(
        RecordingReconciler(reconciles, yields=yields)
    )
    async with manager:
        yield manager


@dataclass(slots=True)
class Figures:
    """One controller's figures over HTTP (``None`` where not measured)."""

    startup_seconds: float = 0.0
    startup_from_spawn_seconds: float | None = None
    startup_reconciled: int = 0
    startup_extrapolated: bool = False
    peak_rss_bytes: int = 0
    priority_lag_ms: float = 0.0
    priority_backlog_before: int = 0
    churn_created: int = 0
    churn_reconciled: int = 0
    churn_lag_ms_p50: float = 0.0
    churn_lag_ms_p99: float = 0.0
    churn_lag_ms_max: float = 0.0
    priority_yielding_lag_ms: float | None = None
    priority_yielding_backlog_before: int | None = None


async def _priority(
    sim: SimulatorProcess, reconciles: Reconciles, sizes: Sizes, figures: Figures, *, prefix: str = "fresh"
) -> None:
    created = await sim.create_when(reconciles.first_of("backlog"), CreateOrder(prefix, 1))
    await reconciles.wait(prefix, 1, sizes.bound)
    fresh = probe_name(prefix, 0)
    figures.priority_lag_ms = lags_ms(created, reconciles)[0]
    at = reconciles.first[fresh]
    figures.priority_backlog_before = sum(1 for t in reconciles.times("backlog") if t < at)
    await reconciles.wait("backlog", sizes.backlog, sizes.bound)


async def _churn(sim: SimulatorProcess, reconciles: Reconciles, sizes: Sizes, figures: Figures) -> None:
    created = await sim.create(CreateOrder("churn", sizes.churn, sizes.churn_rate))
    await reconciles.wait("churn", sizes.churn, sizes.bound)
    lags = lags_ms(created, reconciles)
    figures.churn_created, figures.churn_reconciled = len(created), len(lags)
    figures.churn_lag_ms_p50 = percentile(lags, 0.50)
    figures.churn_lag_ms_p99 = percentile(lags, 0.99)
    figures.churn_lag_ms_max = max(lags)


async def run_shoal_http(sizes: Sizes) -> Figures:
    figures = Figures()
    async with SimulatorProcess() as sim:
        await sim.create(CreateOrder("backlog", sizes.backlog))
        reconciles = Reconciles()
        reset_peak_rss()
        began = time.monotonic()
        async with HttpClient.from_url(
            sim.url, registry=CollectorRegistry(), user_agent="shoal-bench"
        ) as client:
            async with shoal_manager(client, reconciles):
                await reconciles.wait("backlog", sizes.backlog, sizes.bound)
            figures.startup_seconds = reconciles.last("backlog") - began
            figures.startup_reconciled = reconciles.by_prefix["backlog"]
            figures.peak_rss_bytes = peak_rss_bytes()
            reconciles = Reconciles()
            async with shoal_manager(client, reconciles):
                await _priority(sim, reconciles, sizes, figures)
                await _churn(sim, reconciles, sizes, figures)
            yielding, reconciles = Figures(), Reconciles()
            async with shoal_manager(client, reconciles, yields=True):
                await _priority(sim, reconciles, sizes, yielding, prefix="fresh-yielding")
            figures.priority_yielding_lag_ms = yielding.priority_lag_ms
            figures.priority_yielding_backlog_before = yielding.priority_backlog_before
    return figures


class KopfRunner:
    """Starts kopf against the simulator and routes its records to the current :class:`Reconciles`."""

    def __init__(self, url: str, workdir: Path) -> None:
        from shoal.sim import write_kubeconfig

        self.workdir = workdir
        self.socket = workdir / "records.sock"
        self.reconciles = Reconciles()
        self.env = {
            **os.environ,
            "KUBECONFIG": str(write_kubeconfig(workdir / "kubeconfig", url)),
            "HOME": str(workdir),
            "SHOAL_BENCH_RECORD_SOCKET": str(self.socket),
            "SHOAL_BENCH_RESOURCE": f"{GROUP}/{VERSION}/{PLURAL}",
        }
        self.launches = 0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[asyncio.subprocess.Process]:
        """kopf running with fresh records (``self.reconciles``); stopped with SIGTERM on exit."""
        self.reconciles = Reconciles()
        self.launches += 1
        with (self.workdir / f"kopf-{self.launches}.log").open("wb") as log:
            args = ("-m", "kopf", "run", "--standalone", "-A", str(KOPF_OPERATOR))
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *args, stdout=log, stderr=asyncio.subprocess.STDOUT, env=self.env
            )
            try:
                yield proc
            finally:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
                    try:
                        await asyncio.wait_for(proc.wait(), 15)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()


async def _kopf_startup(kopf: KopfRunner, sizes: Sizes, figures: Figures) -> None:
    spawned = time.monotonic()
    async with kopf.running() as proc:
        reconciles = kopf.reconciles
        await reconciles.wait("startup", 1, sizes.bound)
        began = reconciles.first["startup"]
        try:
            await reconciles.wait("backlog", sizes.backlog, KOPF_STARTUP_BOUND * max(sizes.scale, 0.1))
        except TimeoutError:
            done = reconciles.by_prefix["backlog"]
            rate = done / (time.monotonic() - began)
            figures.startup_extrapolated = True
            figures.startup_seconds = sizes.backlog / rate if rate else float("inf")
        else:
            figures.startup_seconds = reconciles.last("backlog") - began
            figures.startup_from_spawn_seconds = reconciles.last("backlog") - spawned
        figures.startup_reconciled = reconciles.by_prefix["backlog"]
        figures.peak_rss_bytes = peak_rss_of(proc.pid)


async def run_kopf(sizes: Sizes) -> Figures:
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="shoal-bench-kopf-") as tmp:
        async with SimulatorProcess() as sim:
            kopf = KopfRunner(sim.url, Path(tmp))
            async with serve_records(kopf.socket, lambda: kopf.reconciles):
                await sim.create(CreateOrder("backlog", sizes.backlog))
                await _kopf_startup(kopf, sizes, figures)
                if figures.startup_extrapolated:
                    return figures
                async with kopf.running():
                    await _priority(sim, kopf.reconciles, sizes, figures)
                    await _churn(sim, kopf.reconciles, sizes, figures)
    return figures


async def run_inprocess(sizes: Sizes) -> dict[str, Any]:
    """Shoal over the simulator's in-process client: reconciles/s from start and while draining."""
    from shoal.sim import Simulator

    async with Simulator(history=sizes.inprocess + 1000) as sim:
        client = sim.client(user_agent="shoal-bench")
        await client.create(CRDS, PROBE_CRD)
        for i in range(sizes.inprocess):
            await client.create(PROBES, _probe_body(i), namespace="default")
        reconciles = Reconciles()
        began = time.monotonic()
        async with shoal_manager(client, reconciles):
            await reconciles.wait("backlog", sizes.inprocess, sizes.bound)
        times = reconciles.times("backlog")
    drain = times[-1] - times[0]
    return {
        "objects": sizes.inprocess,
        "reconciled": len(times),
        "seconds_from_start": times[-1] - began,
        "reconciles_per_second_from_start": len(times) / (times[-1] - began),
        "reconciles_per_second_draining": len(times) / drain if drain > 0 else float("inf"),
    }


def _probe_body(i: int) -> dict[str, Any]:
    from ._pipeline_server import probe

    return probe(probe_name("backlog", i))


def _profile_inprocess(sizes: Sizes, out_dir: Path) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        run_loop(run_inprocess(sizes))
    finally:
        profiler.disable()
    out_dir.mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(out_dir / "pipeline.prof"))
    stream = open(out_dir / "pipeline-profile.txt", "w")  # noqa: SIM115 - closed below
    try:
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(30)
    finally:
        stream.close()
    return str(out_dir / "pipeline-profile.txt")


def run(options: BenchOptions) -> int:
    """Run every phase for Shoal and kopf, print the table, write ``pipeline.json`` and ``pipeline.md``."""
    sizes = Sizes.of(options)
    shoal = run_loop(run_shoal_http(sizes))
    kopf = run_loop(run_kopf(sizes))
    inprocess = run_loop(run_inprocess(sizes))
    profile = _profile_inprocess(sizes, options.out_dir) if options.profile else None
    return report(sizes, shoal, kopf, inprocess, options, profile=profile)
