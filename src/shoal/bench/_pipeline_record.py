"""Reconcile records of ``shoal bench pipeline``: when each key was first reconciled, and waiting on them.

Both controllers under test only report keys: Shoal's reconciler calls :meth:`Reconciles.record` in
process, kopf's handler writes lines to a Unix socket that :func:`serve_records` feeds into the same
object. Milestones are reached when a count is recorded (a future resolved by the record itself),
never by sleeping and checking. Times are ``time.monotonic()`` seconds, one clock for every process.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from shoal.controller import ReconcileContext, Request

from ._pipeline_server import prefix_of


class Reconciles:
    """First reconcile time of each key; :meth:`wait` resolves when a name prefix reaches a count."""

    def __init__(self) -> None:
        self.first: dict[str, float] = {}
        self.total = 0
        self.by_prefix: Counter[str] = Counter()
        self._waits: dict[str, list[tuple[int, asyncio.Future[None]]]] = {}
        self._firsts: dict[str, threading.Event] = {}

    def record(self, name: str, at: float) -> None:
        self.total += 1
        if name in self.first:
            return
        self.first[name] = at
        prefix = prefix_of(name)
        self.by_prefix[prefix] += 1
        count = self.by_prefix[prefix]
        if count == 1 and prefix in self._firsts:
            self._firsts[prefix].set()
        for target, future in self._waits.get(prefix, ()):
            if count >= target and not future.done():
                future.set_result(None)

    async def wait(self, prefix: str, count: int, bound: float) -> None:
        """Return once ``count`` keys named ``<prefix>-…`` were reconciled; TimeoutError after ``bound`` seconds."""
        if self.by_prefix[prefix] >= count:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (count, future)
        self._waits.setdefault(prefix, []).append(entry)
        try:
            async with asyncio.timeout(bound):
                await future
        finally:
            self._waits[prefix].remove(entry)

    def first_of(self, prefix: str) -> threading.Event:
        """A thread-safe flag set by the first record of ``prefix``: a thread can act on it even while
        the event loop that records is busy (a reconciler that never awaits holds the loop)."""
        flag = self._firsts.setdefault(prefix, threading.Event())
        if self.by_prefix[prefix]:
            flag.set()
        return flag

    def times(self, prefix: str) -> list[float]:
        return sorted(t for name, t in self.first.items() if prefix_of(name) == prefix)

    def last(self, prefix: str) -> float:
        return max(self.times(prefix))


class RecordingReconciler:
    """Shoal's no-op reconciler: records the key and the time, and returns.

    With ``yields``, it first awaits once (``asyncio.sleep(0)``), as any reconciler that does I/O does.
    """

    def __init__(self, reconciles: Reconciles, *, yields: bool = False) -> None:
        self.reconciles = reconciles
        self.yields = yields

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> None:
        if self.yields:
            await asyncio.sleep(0)
        self.reconciles.record(request.name, time.monotonic())


@asynccontextmanager
async def serve_records(path: Path, current: Callable[[], Reconciles]) -> AsyncIterator[None]:
    """Accept ``<name> <monotonic>`` lines on the Unix socket ``path`` into ``current()``."""

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async for line in reader:
                name, _, at = line.decode().partition(" ")
                current().record(name, float(at))
        finally:
            writer.close()

    server = await asyncio.start_unix_server(connection, path=str(path))
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


def lags_ms(created: dict[str, float], reconciles: Reconciles) -> list[float]:
    """Create-to-first-reconcile lag of each created key that was reconciled, in milliseconds."""
    return [(reconciles.first[n] - t) * 1000 for n, t in created.items() if n in reconciles.first]


def percentile(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def peak_rss_of(pid: int) -> int:
    """``VmHWM`` of another process, in bytes (0 when unreadable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
