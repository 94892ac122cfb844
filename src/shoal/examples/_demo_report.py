"""What the demo measures and shows: API writes per namespace, controller metrics, the timeline.

The controllers share one manager and one HTTP client, so their API writes are told apart by namespace
(each workload has its own); reconciles and queue depth come from the manager's ``controller_runtime_*``
and ``workqueue_*`` metrics. Samples taken while the workloads converge become the live progress bars,
the summary table and a PNG timeline (matplotlib's Agg backend, no display needed).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from shoal.api import Object
from shoal.client import HttpClient

from ._demo_workloads import Workload


class WriteTallyClient(HttpClient):
    """An :class:`HttpClient` that counts its successful writes by namespace ("" for cluster scope)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writes: Counter[str] = Counter()

    def _count(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        namespace = kwargs.get("namespace")
        if namespace is None and len(args) > 1 and isinstance(args[1], dict):
            namespace = (args[1].get("metadata") or {}).get("namespace")
        self.writes[namespace or ""] += 1

    async def create(self, *args: Any, **kwargs: Any) -> Object:
        result = await super().create(*args, **kwargs)
        self._count(args, kwargs)
        return result

    async def update(self, *args: Any, **kwargs: Any) -> Object:
        result = await super().update(*args, **kwargs)
        self._count(args, kwargs)
        return result

    async def update_status(self, *args: Any, **kwargs: Any) -> Object:
        result = await super().update_status(*args, **kwargs)
        self._count(args, kwargs)
        return result

    async def patch(self, *args: Any, **kwargs: Any) -> Object:
        result = await super().patch(*args, **kwargs)
        self._count(args, kwargs)
        return result

    async def patch_status(self, *args: Any, **kwargs: Any) -> Object:
        result = await super().patch_status(*args, **kwargs)
        self._count(args, kwargs)
        return result

    async def delete(self, *args: Any, **kwargs: Any) -> Object:
        result = await super().delete(*args, **kwargs)
        self._count(args, kwargs)
        return result


def controller_counters(registry: CollectorRegistry) -> tuple[Counter[str], Counter[str]]:
    """Reconciles so far and items queued now, by controller name."""
    reconciles: Counter[str] = Counter()
    depth: Counter[str] = Counter()
    for family in registry.collect():
        for sample in family.samples:
            controller = sample.labels.get("controller", "")
            if sample.name == "controller_runtime_reconcile_total":
                reconciles[controller] += int(sample.value)
            elif sample.name == "workqueue_depth":
                depth[controller] += int(sample.value)
    return reconciles, depth


@dataclass
class WorkloadRecord:
    """One workload's samples: (seconds since start, converged, reconciles so far)."""

    workload: Workload
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    converged_at: float | None = None

    @property
    def converged(self) -> int:
        return self.samples[-1][1] if self.samples else 0

    @property
    def reconciles(self) -> int:
        return self.samples[-1][2] if self.samples else 0

    def rate(self) -> float:
        """Reconciles per second over the last second of samples."""
        if len(self.samples) < 2:
            return 0.0
        now = self.samples[-1][0]
        earlier = next(s for s in self.samples if s[0] >= now - 1.0)
        if now - earlier[0] <= 0:
            return 0.0
        return (self.samples[-1][2] - earlier[2]) / (now - earlier[0])


class DemoProgress:
    """Live progress bars (converged out of expected, reconciles/s, queue depth) and the samples."""

    def __init__(self, workloads: list[Workload], registry: CollectorRegistry) -> None:
        self.registry = registry
        self.records = [WorkloadRecord(w) for w in workloads]
        self.started = time.perf_counter()
        self.progress = Progress(
            TextColumn("[bold]{task.description:<11}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>7.1f} reconciles/s"),
            TextColumn("queue {task.fields[depth]:>3}"),
            TimeElapsedColumn(),
        )
        self._tasks: list[TaskID] = [
            self.progress.add_task(w.name, total=w.expected, rate=0.0, depth=0) for w in workloads
        ]

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def record(self, converged: list[int]) -> None:
        """Add one sample per workload (``converged`` in workload order) and update the bars."""
        now = self.elapsed()
        reconciles, depth = controller_counters(self.registry)
        for record, task, count in zip(self.records, self._tasks, converged, strict=True):
            names = record.workload.controllers
            record.samples.append((now, count, sum(reconciles[n] for n in names)))
            if count >= record.workload.expected and record.converged_at is None:
                record.converged_at = now
            queued = sum(depth[n] for n in names)
            self.progress.update(task, completed=count, rate=record.rate(), depth=queued)

    @property
    def done(self) -> bool:
        return all(r.converged_at is not None for r in self.records)


def summary_table(records: list[WorkloadRecord], writes: Counter[str]) -> Table:
    """Per controller: objects, converged, reconciles, API writes, time to converge."""
    table = Table(title="shoal demo: five reference controllers, one manager, one simulated cluster")
    table.add_column("controller")
    for column in ("objects", "converged", "reconciles", "API writes"):
        table.add_column(column, justify="right")
    table.add_column("converged after", justify="right")
    for r in records:
        w = r.workload
        api_writes = sum(writes[n] for n in w.namespaces)
        took = f"{r.converged_at:.1f} s" if r.converged_at is not None else "not converged"
        table.add_row(w.name, str(w.expected), str(r.converged), str(r.reconciles), str(api_writes), took)
    return table


def write_timeline(records: list[WorkloadRecord], path: Path) -> Path:
    """A PNG: the share of each workload converged over time, and reconciles per second."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    for r in records:
        times = [s[0] for s in r.samples]
        top.step(
            times, [100 * s[1] / r.workload.expected for s in r.samples], where="post", label=r.workload.name
        )
        rates = [0.0] + [
            (b[2] - a[2]) / (b[0] - a[0]) if b[0] > a[0] else 0.0
            for a, b in zip(r.samples, r.samples[1:], strict=False)
        ]
        bottom.plot(times, rates, label=r.workload.name)
    top.set_ylabel("converged (%)")
    top.set_ylim(0, 105)
    top.legend(loc="lower right")
    top.set_title("shoal demo: objects converging per controller")
    bottom.set_ylabel("reconciles/s")
    bottom.set_xlabel("seconds since the workloads were applied")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
