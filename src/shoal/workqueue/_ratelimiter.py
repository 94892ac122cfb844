"""Rate limiters: how long a failed item waits before its next attempt.

They follow client-go's ``TypedRateLimiter`` contract (``When``/``Forget``/``NumRequeues``) so every
backoff policy a Go controller can express fits here, and any of them can be swapped into a
:class:`~shoal.workqueue.WorkQueue`.

Shoal's default, :func:`default_controller_rate_limiter`, is the per-item exponential backoff alone
(5 ms doubling to 1000 s). client-go's default also takes the maximum with a 10 qps / burst 100
token bucket shared by every item of the queue; that bucket turns a burst of retries into a queue-wide
delay of N/10 seconds (a frequently reported throughput bug), so controller-runtime with its priority
queue and Argo CD both dropped it. Use :class:`MaxOfRateLimiter` with a :class:`BucketRateLimiter`
to get the client-go behaviour back.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, Protocol, TypeVar

from ._clock import Clock, RealClock

T = TypeVar("T", bound=Hashable)
T_contra = TypeVar("T_contra", bound=Hashable, contravariant=True)


class RateLimiter(Protocol[T_contra]):
    """A retry policy, per item."""

    def when(self, item: T_contra) -> float:
        """Seconds to wait before ``item``'s next attempt; counts the attempt."""
        ...

    def forget(self, item: T_contra) -> None:
        """Stop tracking ``item`` (it succeeded, or gave up); its next failure starts from scratch."""
        ...

    def num_requeues(self, item: T_contra) -> int:
        """How many times ``item`` has been rate-limited since it was last forgotten."""
        ...


class ItemExponentialFailureRateLimiter(Generic[T]):
    """``base_delay * 2**failures``, capped at ``max_delay``, counted per item."""

    def __init__(self, base_delay: float = 0.005, max_delay: float = 1000.0) -> None:
        if base_delay < 0 or max_delay < 0:
            raise ValueError("delays must not be negative")
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._failures: dict[T, int] = {}

    def when(self, item: T) -> float:
        exponent = self._failures.get(item, 0)
        self._failures[item] = exponent + 1
        # 2.0**1024 overflows a float; any exponent that large is far past every sane cap.
        if exponent >= 1000:
            return self.max_delay
        return min(self.base_delay * 2.0**exponent, self.max_delay)

    def forget(self, item: T) -> None:
        self._failures.pop(item, None)

    def num_requeues(self, item: T) -> int:
        return self._failures.get(item, 0)


class ItemFastSlowRateLimiter(Generic[T]):
    """``fast_delay`` for the first ``max_fast_attempts`` attempts of an item, ``slow_delay`` after."""

    def __init__(self, fast_delay: float, slow_delay: float, max_fast_attempts: int) -> None:
        self.fast_delay = fast_delay
        self.slow_delay = slow_delay
        self.max_fast_attempts = max_fast_attempts
        self._attempts: dict[T, int] = {}

    def when(self, item: T) -> float:
        attempts = self._attempts.get(item, 0) + 1
        self._attempts[item] = attempts
        return self.fast_delay if attempts <= self.max_fast_attempts else self.slow_delay

    def forget(self, item: T) -> None:
        self._attempts.pop(item, None)

    def num_requeues(self, item: T) -> int:
        return self._attempts.get(item, 0)


class BucketRateLimiter(Generic[T]):
    """A token bucket shared by all items: ``qps`` tokens a second, at most ``burst`` saved up.

    Each :meth:`when` reserves one token and returns how long until it is available (0 while the
    bucket is not empty). It does not track items: ``num_requeues`` is 0 and ``forget`` does nothing.
    """

    def __init__(self, qps: float, burst: int, *, clock: Clock | None = None) -> None:
        if qps <= 0 or burst < 1:
            raise ValueError("qps must be positive and burst at least 1")
        self.qps = qps
        self.burst = burst
        self._clock = clock or RealClock()
        self._tokens = float(burst)
        self._last = self._clock.now()

    def when(self, item: T) -> float:
        now = self._clock.now()
        self._tokens = min(float(self.burst), self._tokens + (now - self._last) * self.qps)
        self._last = now
        self._tokens -= 1.0
        return 0.0 if self._tokens >= 0 else -self._tokens / self.qps

    def forget(self, item: T) -> None:
        return None

    def num_requeues(self, item: T) -> int:
        return 0


class MaxOfRateLimiter(Generic[T]):
    """The strictest of several limiters: every limiter is consulted (and charged) on each attempt."""

    def __init__(self, *limiters: RateLimiter[T]) -> None:
        if not limiters:
            raise ValueError("MaxOfRateLimiter needs at least one limiter")
        self.limiters = limiters

    def when(self, item: T) -> float:
        return max([limiter.when(item) for limiter in self.limiters])

    def forget(self, item: T) -> None:
        for limiter in self.limiters:
            limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return max(limiter.num_requeues(item) for limiter in self.limiters)


class WithMaxWaitRateLimiter(Generic[T]):
    """Another limiter's delay, clamped to at most ``max_delay``."""

    def __init__(self, limiter: RateLimiter[T], max_delay: float) -> None:
        self.limiter = limiter
        self.max_delay = max_delay

    def when(self, item: T) -> float:
        return min(self.limiter.when(item), self.max_delay)

    def forget(self, item: T) -> None:
        self.limiter.forget(item)

    def num_requeues(self, item: T) -> int:
        return self.limiter.num_requeues(item)


def default_controller_rate_limiter() -> ItemExponentialFailureRateLimiter[T]:
    """Shoal's default retry policy: per item, 5 ms doubling to 1000 s, and no queue-wide bucket."""
    return ItemExponentialFailureRateLimiter(0.005, 1000.0)
