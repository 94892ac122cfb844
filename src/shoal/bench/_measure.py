"""What one variant measured, and the recording and watching the harness does to measure it.

Kept apart from the runner so the figures' definitions are in one place: a sample is the wall time of one
measured window (or an explicit latency); CPU is ``time.process_time`` over the windows (the whole
process, simulator included, the same for every variant) less the precise loop's polling; API calls come from the simulator's request
accounting over the windows; peak RSS is the kernel's high-water mark over the variant's whole run.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._loop import polling_seconds

if TYPE_CHECKING:
    from shoal.api import GroupVersionResource, WatchEvent
    from shoal.client import Client
    from shoal.sim import RequestAccounting

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(slots=True, kw_only=True)
class Measurement:
    """The figures of one variant of one row.

    Attributes:
        variant: its name.
        samples: seconds, one per measured window or explicit sample.
        windows: how many measured windows were opened (API calls are reported per window).
        wall_seconds: summed wall time of the windows.
        cpu_seconds: summed process CPU time of the windows.
        calls: API calls during the windows, by ``"verb resource"``.
        milestones: seconds from the first window's start to each milestone.
        phases: seconds spent in each phase.
        peak_rss_bytes: the process's peak resident set size during the variant.
    """

    variant: str
    samples: list[float]
    windows: int
    wall_seconds: float
    cpu_seconds: float
    calls: dict[str, int]
    milestones: dict[str, float] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)
    peak_rss_bytes: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else self.wall_seconds

    @property
    def p99(self) -> float:
        if len(self.samples) < 2:
            return self.median
        return statistics.quantiles(self.samples, n=100, method="inclusive")[98]

    def calls_by_verb(self) -> dict[str, float]:
        """API calls per window, summed over resources: ``{"create": 2.0, "get": 1.0}``."""
        verbs: Counter[str] = Counter()
        for key, count in self.calls.items():
            verbs[key.split(" ", 1)[0]] += count
        per = max(self.windows, 1)
        return {verb: verbs[verb] / per for verb in sorted(verbs)}

    @property
    def writes(self) -> float:
        """Write calls per window."""
        total = sum(n for key, n in self.calls.items() if key.split(" ", 1)[0] in WRITE_VERBS)
        return total / max(self.windows, 1)


def _cpu() -> float:
    """Process CPU seconds, less what the precise loop spent polling for its timers."""
    return time.process_time() - polling_seconds()


class Recorder:
    """Collects windows, samples, milestones and phases for one variant run."""

    def __init__(self, accounting: RequestAccounting) -> None:
        self._accounting = accounting
        self.samples: list[float] = []
        self.windows = 0
        self.wall = 0.0
        self.cpu = 0.0
        self.calls: Counter[str] = Counter()
        self.milestones: dict[str, float] = {}
        self.phases: dict[str, float] = {}
        self._origin: float | None = None
        self._implicit_start = time.perf_counter()
        self._open = False

    def _counts(self) -> Counter[str]:
        return Counter(
            {f"{verb} {res}": stats.count for (verb, res), stats in self._accounting.snapshot().items()}
        )

    @contextmanager
    def window(self) -> Iterator[None]:
        if self._open:
            raise RuntimeError("measured windows must not overlap; use sample() for concurrent operations")
        self._open = True
        explicit = len(self.samples)
        calls = self._counts()
        cpu = _cpu()
        started = time.perf_counter()
        if self._origin is None:
            self._origin = started
        try:
            yield
        finally:
            wall = time.perf_counter() - started
            self.cpu += _cpu() - cpu
            self.calls.update(self._counts() - calls)
            self.wall += wall
            self.windows += 1
            if len(self.samples) == explicit:
                self.samples.append(wall)
            self._open = False

    @contextmanager
    def implicit_window(self) -> Iterator[None]:
        """Around a whole variant: counts as its one window if the variant opened none itself."""
        calls = self._counts()
        cpu = _cpu()
        started = self._implicit_start = time.perf_counter()
        yield
        if self.windows == 0:
            self.wall = time.perf_counter() - started
            self.cpu = _cpu() - cpu
            self.calls = self._counts() - calls
            self.windows = 1
            if not self.samples:
                self.samples.append(self.wall)

    def milestone(self, name: str) -> None:
        """Seconds since the first measured window opened (since the variant began, before any window)."""
        origin = self._implicit_start if self._origin is None else self._origin
        self.milestones[name] = time.perf_counter() - origin

    def result(self, variant: str) -> Measurement:
        return Measurement(
            variant=variant,
            samples=list(self.samples),
            windows=self.windows,
            wall_seconds=self.wall,
            cpu_seconds=self.cpu,
            calls=dict(self.calls),
            milestones=dict(self.milestones),
            phases=dict(self.phases),
        )


async def watch_until(
    client: Client,
    resource: GroupVersionResource,
    condition: Callable[[dict[tuple[str, str], dict[str, Any]]], bool],
    *,
    namespace: str | None = None,
) -> dict[tuple[str, str], dict[str, Any]]:
    """List ``resource``, then watch from that list's resourceVersion until ``condition`` holds over the
    objects (keyed by ``(namespace, name)``); returns them. Bound it with ``asyncio.timeout``."""
    listed = await client.list(resource, namespace=namespace)
    objects = {_key(o): o for o in listed.get("items") or []}
    if condition(objects):
        return objects
    version = (listed.get("metadata") or {}).get("resourceVersion")
    stream = client.watch(resource, namespace=namespace, resource_version=version)
    try:
        async for event in stream:
            _apply(objects, event)
            if condition(objects):
                return objects
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    raise RuntimeError(f"the watch of {resource.resource} ended before the condition held")


def _key(obj: dict[str, Any]) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace") or "", meta.get("name") or ""


def _apply(objects: dict[tuple[str, str], dict[str, Any]], event: WatchEvent) -> None:
    if event.type == "DELETED":
        objects.pop(_key(event.object), None)
    elif event.type in ("ADDED", "MODIFIED"):
        objects[_key(event.object)] = event.object
