"""The benchmarks' event loop: timers that fire on time, and the CPU spent making them do so.

A latency model of 0.5 or 2 ms is only measured faithfully if the loop wakes for its timers when they
are due. The default loop cannot (``epoll_wait`` takes whole milliseconds), and on a virtual machine
even a microsecond timeout wakes 50 to 150 µs late. :func:`precise_event_loop` polls through the end
of each timed wait instead; the CPU that polling burns is counted (:func:`polling_seconds`) so that a
benchmark's CPU figure can leave it out.
"""

from __future__ import annotations

import asyncio
import ctypes
import select
import selectors
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

SPIN_SECONDS = 0.0003
"""How much of each timed wait :func:`precise_event_loop` polls instead of sleeping, by default: enough
to absorb the late wake-up, little enough to leave the CPU to other processes of the same benchmark."""

SOLE_PROCESS_SPIN_SECONDS = 0.005
"""The polled tail for a benchmark that is the machine's only busy process: every wait of up to 5 ms
(the simulator's latency profiles, the seeds' scaled delays) is polled whole, so the CPU never halts
between a request and its reply. On a virtual machine a halted CPU comes back with cold caches, and
the first few hundred microseconds of Python after it run 20 to 40 µs slower than the same code warm."""

_polled = [0.0]
_spin_cap: list[float | None] = [None]


def polling_seconds() -> float:
    """Seconds this process's precise loops have spent polling so far (CPU that measures nothing)."""
    return _polled[0]


def precise_event_loop(spin_seconds: float = SPIN_SECONDS) -> asyncio.AbstractEventLoop:
    """asyncio's selector loop, waking for its timers within a few microseconds of their deadline.

    The default loop waits in ``epoll_wait``, whose timeout is whole milliseconds (rounded up), so an
    injected 0.5 ms latency would cost about 1.1 ms and the latency model would not be the one measured.
    (uvloop's timers are milliseconds too, rounded down: 0.5 ms would cost nothing.) This loop keeps
    epoll for readiness but makes its timed waits with ``select(2)`` on the epoll descriptor, whose
    timeout has microsecond resolution, and polls through the last :data:`SPIN_SECONDS` of each timed
    wait (``spin_seconds``; :data:`SOLE_PROCESS_SPIN_SECONDS` for a benchmark alone on the machine),
    because a virtual machine's wake-up from a timed wait arrives 50 to 150 µs late and a benchmark would
    count that lateness as the code's overhead. Every other turn of the loop costs one ``epoll_wait``
    with a zero timeout, as on the default loop.
    """
    if spin_seconds < 0:
        raise ValueError(f"precise_event_loop: spin_seconds must be >= 0, got {spin_seconds}")
    return asyncio.SelectorEventLoop(_PreciseSelector(spin_seconds))


class _PreciseSelector(selectors.DefaultSelector):
    """epoll (kqueue on macOS) that sleeps until ``spin_seconds`` before a timed wait's deadline, then
    polls to it."""

    def __init__(self, spin_seconds: float) -> None:
        super().__init__()
        self._spin = spin_seconds

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None or timeout <= 0:
            return super().select(timeout)
        deadline = time.monotonic() + timeout
        cap = _spin_cap[0]
        spin = self._spin if cap is None else min(self._spin, cap)
        if timeout > spin:
            # The epoll (kqueue) descriptor is readable as soon as a registered descriptor is ready.
            readable, _, _ = select.select([self.fileno()], [], [], timeout - spin)
            if readable:
                return super().select(0)
        polling = time.monotonic()
        try:
            while True:
                ready = super().select(0)
                if ready or time.monotonic() >= deadline:
                    return ready
        finally:
            _polled[0] += time.monotonic() - polling


@contextmanager
def short_polling() -> Iterator[None]:
    """Within the block, precise loops poll no more than the last :data:`SPIN_SECONDS` of a wait:
    a profiled pass, whose times are not reported, then profiles the code rather than the polling."""
    previous, _spin_cap[0] = _spin_cap[0], SPIN_SECONDS
    try:
        yield
    finally:
        _spin_cap[0] = previous


def reduce_timer_slack() -> None:
    """Ask Linux for 1 ns timer slack (``prctl(PR_SET_TIMERSLACK)``; the default 50 µs delays every
    wake-up from a timed wait). A no-op elsewhere."""
    if not sys.platform.startswith("linux"):
        return
    with suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_TIMERSLACK, 1, 0, 0, 0)


_PR_SET_TIMERSLACK = 29
