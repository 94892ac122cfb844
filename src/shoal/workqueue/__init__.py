"""The work queue: client-go semantics, delays, rate limiters, priorities that cannot starve, a clock."""

from ._clock import Clock as Clock, FakeClock as FakeClock, RealClock as RealClock, Timer as Timer
from ._queue import (
    Priority as Priority,
    QueueShutDown as QueueShutDown,
    QueueStatistics as QueueStatistics,
    WorkQueue as WorkQueue,
)
from ._ratelimiter import (
    BucketRateLimiter as BucketRateLimiter,
    ItemExponentialFailureRateLimiter as ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter as ItemFastSlowRateLimiter,
    MaxOfRateLimiter as MaxOfRateLimiter,
    RateLimiter as RateLimiter,
    WithMaxWaitRateLimiter as WithMaxWaitRateLimiter,
    default_controller_rate_limiter as default_controller_rate_limiter,
)

__all__ = [
    "BucketRateLimiter",
    "Clock",
    "FakeClock",
    "ItemExponentialFailureRateLimiter",
    "ItemFastSlowRateLimiter",
    "MaxOfRateLimiter",
    "Priority",
    "QueueShutDown",
    "QueueStatistics",
    "RateLimiter",
    "RealClock",
    "Timer",
    "WithMaxWaitRateLimiter",
    "WorkQueue",
    "default_controller_rate_limiter",
]
