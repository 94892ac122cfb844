"""Token bucket arithmetic on a logical clock (no wall-clock assertions)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from shoal.client import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_burst_is_free_then_requests_are_spaced_by_one_over_qps() -> None:
    clock = Clock()
    bucket = TokenBucket(qps=10, burst=3, clock=clock)
    waits = [bucket.reserve() for _ in range(6)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3:] == pytest.approx([0.1, 0.2, 0.3])
    assert bucket.throttled_seconds == pytest.approx(0.6)


def test_refill_is_capped_at_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(qps=100, burst=150, clock=clock)
    for _ in range(150):
        assert bucket.reserve() == 0.0
    clock.now = 1000.0  # a long idle period refills only up to the burst
    assert bucket.tokens() == pytest.approx(150)
    waits = [bucket.reserve() for _ in range(151)]
    assert waits[-1] == pytest.approx(0.01)


def test_partial_refill_after_time_passes() -> None:
    clock = Clock()
    bucket = TokenBucket(qps=2, burst=1, clock=clock)
    assert bucket.reserve() == 0.0
    clock.now = 0.25
    assert bucket.reserve() == pytest.approx(0.25)  # half a token had accrued, half more is needed


def test_burst_defaults_to_qps_and_qps_must_be_positive() -> None:
    assert TokenBucket(qps=20).burst == 20
    assert TokenBucket(qps=0.5).burst == 1
    with pytest.raises(ValueError, match="qps"):
        TokenBucket(qps=0)


@given(
    qps=st.floats(min_value=0.5, max_value=1000),
    burst=st.integers(min_value=1, max_value=200),
    n=st.integers(min_value=1, max_value=400),
)
def test_kth_simultaneous_request_waits_for_the_tokens_before_it(qps: float, burst: int, n: int) -> None:
    clock = Clock()
    bucket = TokenBucket(qps=qps, burst=burst, clock=clock)
    waits = [bucket.reserve() for _ in range(n)]
    for k, wait in enumerate(waits, start=1):
        assert wait == pytest.approx(max(0.0, (k - burst) / qps))
    # Admitted rate over the window never exceeds burst + qps * elapsed.
    assert n <= burst + qps * waits[-1] + 1e-6


@given(gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=50))
def test_waits_never_admit_more_than_the_budget(gaps: list[float]) -> None:
    clock = Clock()
    bucket = TokenBucket(qps=5, burst=2, clock=clock)
    admitted: list[float] = []
    for gap in gaps:
        clock.now += gap
        admitted.append(clock.now + bucket.reserve())
    # In any window [a, b] of admission times, count <= burst + qps * (b - a).
    admitted.sort()
    for i in range(len(admitted)):
        for j in range(i, len(admitted)):
            assert j - i + 1 <= 2 + 5 * (admitted[j] - admitted[i]) + 1e-6


async def test_throttled_client_takes_a_token_per_request() -> None:
    from shoal.api import GVR
    from shoal.client import ThrottledClient
    from shoal.sim import Simulator

    configmaps = GVR("", "v1", "configmaps")
    bucket = TokenBucket(qps=1000, burst=2, clock=Clock())  # the logical clock never advances
    async with Simulator() as sim:
        client = ThrottledClient(sim.client(), bucket)
        for i in range(4):
            body = {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"c{i}", "namespace": "default"},
            }
            await client.create(configmaps, body)
        listed = await client.list(configmaps, namespace="default")
        assert len(listed["items"]) == 4
        async for event in client.watch(configmaps, namespace="default", resource_version="0"):
            assert event.type == "ADDED"
            break
    # Six requests against a burst of two: the 3rd..6th waited 1, 2, 3, 4 ms of logical time.
    assert bucket.throttled_seconds == pytest.approx(0.010)
    assert bucket.tokens() == pytest.approx(-4)
