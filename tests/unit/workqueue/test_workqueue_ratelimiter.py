"""Rate limiter arithmetic."""

from __future__ import annotations

import pytest

from shoal.workqueue import (
    BucketRateLimiter,
    FakeClock,
    ItemExponentialFailureRateLimiter,
    ItemFastSlowRateLimiter,
    MaxOfRateLimiter,
    WithMaxWaitRateLimiter,
    default_controller_rate_limiter,
)


def test_default_doubles_from_5ms_and_caps_at_1000s() -> None:
    limiter = default_controller_rate_limiter()
    delays = [limiter.when("a") for _ in range(25)]
    assert delays[:4] == [0.005, 0.01, 0.02, 0.04]
    assert delays[17] == pytest.approx(0.005 * 2**17)  # 655.36 s, the last step under the cap
    assert delays[18:] == [1000.0] * 7
    assert limiter.num_requeues("a") == 25
    assert limiter.when("b") == 0.005  # per item


def test_exponential_is_overflow_safe() -> None:
    limiter: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(0.005, 1000.0)
    for _ in range(3000):
        delay = limiter.when("a")
    assert delay == 1000.0


def test_forget_resets_the_backoff() -> None:
    limiter = default_controller_rate_limiter()
    for _ in range(10):
        limiter.when("a")
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0
    assert limiter.when("a") == 0.005


def test_fast_slow() -> None:
    limiter: ItemFastSlowRateLimiter[str] = ItemFastSlowRateLimiter(0.1, 10.0, 3)
    assert [limiter.when("a") for _ in range(5)] == [0.1, 0.1, 0.1, 10.0, 10.0]
    assert limiter.num_requeues("a") == 5
    limiter.forget("a")
    assert limiter.when("a") == 0.1


def test_bucket_allows_burst_then_spaces_at_qps() -> None:
    clock = FakeClock()
    limiter: BucketRateLimiter[str] = BucketRateLimiter(10.0, 3, clock=clock)
    assert [limiter.when("x") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.when("x") == pytest.approx(0.1)
    assert limiter.when("y") == pytest.approx(0.2)
    clock.advance(10.0)  # refills to the burst, not beyond
    assert [limiter.when("x") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.when("x") == pytest.approx(0.1)
    assert limiter.num_requeues("x") == 0


def test_max_of_takes_the_strictest_and_forgets_everywhere() -> None:
    clock = FakeClock()
    exponential: ItemExponentialFailureRateLimiter[str] = ItemExponentialFailureRateLimiter(0.001, 1.0)
    bucket: BucketRateLimiter[str] = BucketRateLimiter(1.0, 1, clock=clock)
    limiter = MaxOfRateLimiter(exponential, bucket)
    assert limiter.when("a") == 0.001
    assert limiter.when("a") == pytest.approx(1.0)  # the bucket is empty now
    assert limiter.num_requeues("a") == 2
    limiter.forget("a")
    assert exponential.num_requeues("a") == 0


def test_with_max_wait_clamps() -> None:
    limiter = WithMaxWaitRateLimiter(ItemExponentialFailureRateLimiter[str](1.0, 100.0), 3.0)
    assert [limiter.when("a") for _ in range(4)] == [1.0, 2.0, 3.0, 3.0]
    limiter.forget("a")
    assert limiter.num_requeues("a") == 0


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="negative"):
        ItemExponentialFailureRateLimiter(-1.0, 1.0)
    with pytest.raises(ValueError, match="qps"):
        BucketRateLimiter(0, 1)
    with pytest.raises(ValueError, match="at least one"):
        MaxOfRateLimiter()
