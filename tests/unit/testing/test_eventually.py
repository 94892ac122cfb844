"""eventually returns the first truthy value of a sync or async condition, or fails naming the last."""

from __future__ import annotations

import pytest

from shoal.testing import eventually


async def test_returns_the_first_truthy_value_of_a_sync_condition() -> None:
    calls = iter([0, "", "ready", "later"])
    assert await eventually(lambda: next(calls), every=0) == "ready"


async def test_awaits_an_async_condition() -> None:
    seen: list[int] = []

    async def grows() -> list[int]:
        seen.append(1)
        return seen if len(seen) >= 3 else []

    assert await eventually(grows, every=0) == [1, 1, 1]


async def test_fails_with_the_last_value_when_time_runs_out() -> None:
    with pytest.raises(AssertionError, match="last value: 0"):
        await eventually(lambda: 0, within=0.02, every=0.005)
