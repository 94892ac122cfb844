"""The scenario harness: rows of variants, each run on a fresh simulator and measured the same way.

A benchmark claim is only as good as its comparison: the seed's "before" and Shoal's version must run
in one process, on the same latency profile, measured by the same code, next to the ideal the latency
model allows. Scenario authors declare :class:`Row` objects (variants plus the ideal) and call
:func:`run_bench`; the harness gives every variant a fresh :class:`~shoal.sim.Simulator`, measures wall
time, CPU, peak RSS and API calls, shows a progress bar on stderr, and writes the report::

    async def shoal(ctx: VariantContext) -> None:
        await install(ctx.client)                    # not measured
        for _ in range(ctx.repeats):
            async with ctx.measure():                # one sample: wall, CPU, API calls
                await start(ctx.client)

    row = Row(key="S-A1", title="2 Secret creates", profile="gitpod-seed", ideal_seconds=0.002,
              variants=(Variant("before", before), Variant("shoal", shoal)))
    run_bench("workspaces", "…", [row], options)

Milestones are conditions observed by watch (:meth:`VariantContext.wait_until`), never by sleeping.
"""

from __future__ import annotations

import asyncio
import cProfile
import resource as _resource
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._loop import SOLE_PROCESS_SPIN_SECONDS, precise_event_loop, reduce_timer_slack, short_polling
from ._measure import Measurement, Recorder, watch_until

if TYPE_CHECKING:
    from shoal.api import GroupVersionResource
    from shoal.client import Client
    from shoal.sim import LatencyProfile, Simulator

    from . import BenchOptions
    from ._report import Report

VariantRun = Callable[["VariantContext"], Awaitable[None]]
"""The body of a variant: sets up (unmeasured), then does its work inside ``ctx.measure()`` blocks."""


@dataclass(frozen=True, slots=True)
class Variant:
    """One way of doing a row's work: ``before`` (the seed's), ``shoal``, ``kopf``."""

    name: str
    run: VariantRun


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    """One measured claim: its variants, the latency profile they share, and the ideal.

    Attributes:
        key: short identifier, e.g. ``"S-A1"``.
        title: what the row does, for the table.
        variants: run in this order, each on a fresh simulator.
        ideal_seconds: the physical limit of one sample under ``profile`` (critical path of the latency
            model); the report divides each variant's median sample by it.
        profile: the simulator latency profile (a name or a :class:`~shoal.sim.LatencyProfile`).
        repeats: how many samples a variant should take (``ctx.repeats``).
        goal_seconds: the target for the ``shoal`` variant's median, if the issue sets one.
        seed: the seed's own figure, as text (``"2.203 ms"``).
        time_scale: set when the row runs time-scaled (``0.01``: seed durations x0.01); the report says so.
        note: one line of context for the report.
    """

    key: str
    title: str
    variants: tuple[Variant, ...]
    ideal_seconds: float
    profile: str | LatencyProfile = "none"
    repeats: int = 1
    goal_seconds: float | None = None
    seed: str = ""
    time_scale: float | None = None
    note: str = ""

    @property
    def profile_name(self) -> str:
        return self.profile if isinstance(self.profile, str) else self.profile.name


class VariantContext:
    """What a variant gets: a fresh simulator and its client, and the recording calls of the harness.

    Attributes:
        sim: the variant's own simulator (fresh, on the row's profile).
        client: an in-process client of ``sim``, accounted as the variant's name.
        row: the row being run.
        variant: the variant's name.
        repeats: samples the row asks for.
        quick: the run uses tiny sizes (the test suite's mode).
        scale: the ``--scale`` factor for sizes.
    """

    def __init__(self, sim: Simulator, row: Row, variant: str, *, quick: bool, scale: float) -> None:
        self.sim = sim
        self.client: Client = sim.client(user_agent=variant)
        self.row = row
        self.variant = variant
        self.repeats = row.repeats
        self.quick = quick
        self.scale = scale
        self._recorder = Recorder(sim.accounting)

    @asynccontextmanager
    async def measure(self) -> AsyncIterator[None]:
        """A measured window: its wall time is one sample; its CPU and API calls are added up.

        Windows must not overlap; for concurrent operations use one window and :meth:`sample`. A variant
        that never opens a window is measured whole.
        """
        with self._recorder.window():
            yield

    def sample(self, seconds: float) -> None:
        """Record one latency sample explicitly (e.g. each of many concurrent starts in one window)."""
        self._recorder.samples.append(seconds)

    def milestone(self, name: str) -> None:
        """Record that ``name`` was reached now (seconds since the first measured window opened)."""
        self._recorder.milestone(name)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Record the duration of the enclosed block as phase ``name`` (e.g. deploy, steady, delete)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self._recorder.phases[name] = self._recorder.phases.get(name, 0.0) + time.perf_counter() - started

    async def wait_until(
        self,
        resource: GroupVersionResource,
        condition: Callable[[dict[tuple[str, str], dict[str, Any]]], bool],
        *,
        namespace: str | None = None,
        milestone: str | None = None,
    ) -> None:
        """Watch ``resource`` until ``condition(objects by (namespace, name))`` holds; record ``milestone``.

        Bound it with ``asyncio.timeout``: a milestone that is never reached is a failure.
        """
        await watch_until(self.client, resource, condition, namespace=namespace)
        if milestone is not None:
            self.milestone(milestone)

    def result(self) -> Measurement:
        return self._recorder.result(self.variant)


async def run_variant(row: Row, variant: Variant, *, quick: bool, scale: float) -> Measurement:
    """Run one variant on a fresh simulator; a variant that opened no window is measured whole."""
    from shoal.sim import Simulator  # the simulator is a benchmark dependency, not a runtime one

    async with Simulator(profile=row.profile) as sim:
        ctx = VariantContext(sim, row, variant.name, quick=quick, scale=scale)
        reset_peak_rss()
        with ctx._recorder.implicit_window():
            await variant.run(ctx)
        measurement = ctx.result()
    measurement.peak_rss_bytes = peak_rss_bytes()
    return measurement


async def run_rows(
    rows: Sequence[Row],
    *,
    quick: bool = False,
    scale: float = 1.0,
    progress: bool = True,
    profiler: cProfile.Profile | None = None,
) -> list[tuple[Row, list[Measurement]]]:
    """Run every variant of every row in order; with ``profiler``, run each ``shoal`` variant once more
    under it (so the reported figures carry no profiler overhead)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    results: list[tuple[Row, list[Measurement]]] = []
    total = sum(len(row.variants) for row in rows)
    columns = (TextColumn("{task.description:<32}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    console = Console(stderr=True)
    with Progress(*columns, console=console, transient=True, disable=not progress) as bar:
        task = bar.add_task("starting", total=total)
        for row in rows:
            measured: list[Measurement] = []
            for variant in row.variants:
                bar.update(task, description=f"{row.key} {variant.name}")
                measured.append(await run_variant(row, variant, quick=quick, scale=scale))
                if profiler is not None and variant.name == "shoal":
                    with short_polling():
                        profiler.enable()
                        try:
                            await run_variant(row, variant, quick=quick, scale=scale)
                        finally:
                            profiler.disable()
                bar.advance(task)
            results.append((row, measured))
    return results


def run_bench(scenario: str, description: str, rows: Sequence[Row], options: BenchOptions) -> Report:
    """Run ``rows``, print the table, write ``<out>/<scenario>.json|.md|.png`` (and ``.prof`` with
    ``options.profile``); returns the report."""
    from ._report import Report

    profiler = cProfile.Profile() if options.profile else None
    reduce_timer_slack()
    # The rows run in this one process, with the simulator in-process: nothing else needs the CPU.
    with asyncio.Runner(loop_factory=partial(precise_event_loop, SOLE_PROCESS_SPIN_SECONDS)) as runner:
        results = runner.run(
            run_rows(
                rows,
                quick=options.quick,
                scale=options.scale,
                progress=sys.stderr.isatty(),
                profiler=profiler,
            )
        )
    report = Report.from_results(scenario, description, results, quick=options.quick, scale=options.scale)
    report.print_table()
    if report.exit_status():
        print(f"goals missed: {', '.join(report.missed_goals)}")
    report.write(options.out_dir)
    if profiler is not None:
        options.out_dir.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(str(Path(options.out_dir) / f"{scenario}.prof"))
    return report


_CLEAR_REFS = Path("/proc/self/clear_refs")
_STATUS = Path("/proc/self/status")


def reset_peak_rss() -> None:
    """Reset the kernel's RSS high-water mark (Linux ``clear_refs`` 5), so each variant gets its own peak."""
    with suppress(OSError):
        _CLEAR_REFS.write_text("5")


def peak_rss_bytes() -> int:
    """Peak RSS since :func:`reset_peak_rss` (``VmHWM``); elsewhere the process's ``ru_maxrss``."""
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss * 1024
