"""Client-side request rate limiting: a token bucket with ``qps`` refill and ``burst`` capacity.

client-go throttles every request through such a bucket (5 QPS / burst 10 unless configured), and
controller-runtime used 20/30 until v0.21 turned it off by default in favour of the server's API
Priority and Fairness. Shoal follows the newer default (no limiter) but keeps the bucket so a
benchmark can reproduce a controller that runs with a limit (Grove: QPS 100, burst 150).

The bucket hands out *reservations*: a caller takes a token now even when the bucket is empty and
is told how long to wait, so concurrent callers queue up in arrival order without a lock, exactly
like ``golang.org/x/time/rate``'s ``Reserve``. The arithmetic is pure and takes the time as an
argument, so it is tested with a logical clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class TokenBucket:
    """``qps`` tokens per second, at most ``burst`` stored; starts full.

    Args:
        qps: refill rate, tokens per second (> 0).
        burst: bucket capacity (≥ 1); 0 picks ``max(1, int(qps))``.
        clock: monotonic seconds; injectable for tests.
    """

    def __init__(self, qps: float, burst: int = 0, *, clock: Callable[[], float] = time.monotonic) -> None:
        if qps <= 0:
            raise ValueError(f"qps must be positive, got {qps}")
        self.qps = float(qps)
        self.burst = burst if burst > 0 else max(1, int(qps))
        self._clock = clock
        self._tokens = float(self.burst)
        self._last = clock()
        self.throttled_seconds = 0.0
        """Sum of the waits handed out: the time callers spent queued behind the limiter."""

    def _advance(self, now: float) -> None:
        if now > self._last:
            self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
            self._last = now

    def tokens(self, now: float | None = None) -> float:
        """Tokens available at ``now`` (negative while reservations are outstanding)."""
        self._advance(self._clock() if now is None else now)
        return self._tokens

    def reserve(self, now: float | None = None) -> float:
        """Take one token and return how many seconds the caller must wait before using it."""
        self._advance(self._clock() if now is None else now)
        self._tokens -= 1.0
        wait = 0.0 if self._tokens >= 0 else -self._tokens / self.qps
        self.throttled_seconds += wait
        return wait

    async def acquire(self) -> float:
        """Wait for a token; returns the seconds waited (0 when a token was available)."""
        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
        return wait

    def __repr__(self) -> str:
        return f"TokenBucket(qps={self.qps}, burst={self.burst})"
