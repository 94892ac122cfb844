"""FakeClock moves only when told to; RealClock follows the event loop."""

from __future__ import annotations

import asyncio

import pytest

from shoal.workqueue import FakeClock, RealClock


async def test_fake_sleepers_wake_in_deadline_order() -> None:
    clock = FakeClock(start=100.0)
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    async with asyncio.TaskGroup() as tg:
        tg.create_task(sleeper("late", 5.0))
        tg.create_task(sleeper("early", 1.0))
        await asyncio.sleep(0)
        clock.advance(0.5)
        await asyncio.sleep(0)
        assert woke == []
        clock.advance(0.5)
        await asyncio.sleep(0)
        assert woke == [("early", 101.0)]
        clock.advance(10.0)
    assert woke == [("early", 101.0), ("late", 111.0)]  # resumed after advance() returned
    assert clock.pending_timers == 0


async def test_fake_sleep_until_the_past_returns_at_once() -> None:
    clock = FakeClock()
    clock.advance(3.0)
    await clock.sleep_until(1.0)
    assert clock.now() == 3.0


async def test_fake_callbacks_see_their_own_deadline() -> None:
    clock = FakeClock()
    seen: list[float] = []
    clock.call_at(2.0, lambda: seen.append(clock.now()))
    cancelled = clock.call_at(1.0, lambda: seen.append(-1.0))
    cancelled.cancel()
    clock.advance(5.0)
    assert seen == [2.0]
    assert clock.now() == 5.0


async def test_cancelled_fake_sleep_releases_its_timer() -> None:
    clock = FakeClock()
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(clock.sleep(10.0))
        await asyncio.sleep(0)
        task.cancel()
    assert clock.pending_timers == 0


def test_fake_clock_cannot_go_back() -> None:
    with pytest.raises(ValueError, match="back"):
        FakeClock().advance(-1.0)


async def test_real_clock_is_monotonic_and_runs_callbacks() -> None:
    clock = RealClock()
    before = clock.now()
    await clock.sleep(0)
    await clock.sleep_until(before)
    fired = asyncio.Event()
    clock.call_at(clock.now(), fired.set)
    async with asyncio.timeout(5):
        await fired.wait()
    assert clock.now() >= before
