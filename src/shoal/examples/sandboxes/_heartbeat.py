"""The heartbeat sweep: probe every fastlet's status with bounded concurrency, mark the dead unhealthy.

The seed probes fastlets one after another every 2 s with a 4 s budget: at 1,000 fastlets and 5 ms a
probe a sweep takes 5 s, overruns, and healthy fastlets age past the 15 s stale threshold. With
``concurrency`` K probers sharing one list, each taking the next fastlet as soon as its probe ends, the
sweep takes about ⌈N/K⌉ probe times (50 ms for N = 1,000, K = 100), so the budget holds with room to
spare. K long-lived probers rather than a task per fastlet keep the sweep's own cost per probe low.

A fastlet whose probe fails (error, 503, timeout) is marked unhealthy at once and gets no new
sandboxes; a later successful probe makes it eligible again. Sweeps never overlap: :meth:`run` starts
the next one only after the previous has finished, and on a fixed period when it can.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from shoal.api import ApiError

from ._fastlet_client import FastletClient
from ._metrics import sandbox_metrics
from ._model import FastletStatus
from ._registry import SandboxRegistry

INTERVAL = 2.0
"""The seed's sweep period, in seconds."""
PROBE_TIMEOUT = 5.0
"""The seed's per-probe timeout, in seconds."""


@dataclass(frozen=True, slots=True)
class SweepResult:
    """What one sweep found: probed fastlets, healthy ones, the names of failed ones, seconds taken."""

    probed: int
    healthy: int
    unhealthy: tuple[str, ...]
    seconds: float


class HeartbeatSweep:
    """Probes all fastlets of ``registry`` with at most ``concurrency`` probes in flight."""

    def __init__(
        self,
        registry: SandboxRegistry,
        fastlets: FastletClient,
        *,
        concurrency: int = 100,
        probe_timeout: float = PROBE_TIMEOUT,
        metrics_registry: CollectorRegistry | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.registry = registry
        self.fastlets = fastlets
        self.concurrency = concurrency
        self.probe_timeout = probe_timeout
        self.metrics = sandbox_metrics(metrics_registry)

    async def _probe(self, fastlet: FastletStatus) -> tuple[str, bool]:
        try:
            await self.fastlets.status(fastlet.spec.address, seconds=self.probe_timeout)
        except ApiError:
            return fastlet.spec.name, False
        return fastlet.spec.name, True

    async def sweep(self) -> SweepResult:
        """Probe every registered fastlet once and record the results in the registry."""
        started = time.perf_counter()
        targets = self.registry.fastlets()
        pending = iter(targets)
        failed: list[str] = []

        async def prober() -> None:
            # The workers share one iterator: each takes the next fastlet the moment its probe ends.
            for fastlet in pending:
                name, ok = await self._probe(fastlet)
                self.registry.set_health(name, ok)
                if not ok:
                    failed.append(name)

        async with asyncio.TaskGroup() as probers:
            for _ in range(min(self.concurrency, len(targets))):
                probers.create_task(prober())
        seconds = time.perf_counter() - started
        self.metrics.sweep_duration.observe(seconds)
        self.metrics.unhealthy.set(len(failed))
        return SweepResult(len(targets), len(targets) - len(failed), tuple(sorted(failed)), seconds)

    async def run(self, interval: float = INTERVAL) -> None:
        """Sweep every ``interval`` seconds until cancelled; a slow sweep delays the next, never overlaps."""
        while True:
            result = await self.sweep()
            await asyncio.sleep(max(0.0, interval - result.seconds))
