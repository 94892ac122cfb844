"""add_after and rate-limited adds, in virtual time."""

from __future__ import annotations

import asyncio

from shoal.workqueue import (
    FakeClock,
    ItemExponentialFailureRateLimiter,
    QueueShutDown,
    QueueStatistics,
    WorkQueue,
)


def make_queue(clock: FakeClock) -> WorkQueue[str]:
    return WorkQueue(clock=clock, rate_limiter=ItemExponentialFailureRateLimiter(1.0, 100.0))


async def test_add_after_becomes_ready_at_its_deadline() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add_after("a", 10.0)
    assert queue.statistics().waiting == 1
    clock.advance(9.999)
    assert len(queue) == 0
    clock.advance(0.001)
    assert len(queue) == 1
    assert queue.statistics().waiting == 0
    assert await queue.get() == "a"


async def test_earlier_deadline_wins() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add_after("a", 10.0)
    queue.add_after("a", 2.0)
    queue.add_after("a", 5.0)
    clock.advance(2.0)
    assert len(queue) == 1
    assert await queue.get() == "a"
    queue.done("a")
    clock.advance(20.0)
    assert len(queue) == 0
    assert clock.pending_timers == 0


async def test_deadlines_release_in_order() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add_after("late", 3.0)
    queue.add_after("early", 1.0)
    queue.add_after("middle", 2.0)
    clock.advance(5.0)
    assert [await queue.get() for _ in range(3)] == ["early", "middle", "late"]


async def test_add_after_zero_or_negative_adds_at_once_and_counts_a_retry() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add_after("a", 0)
    queue.add_after("b", -1)
    assert len(queue) == 2
    assert queue.statistics().retries == 2
    assert clock.pending_timers == 0


async def test_add_makes_a_waiting_item_ready_now() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add_after("a", 10.0)
    queue.add("a")
    assert len(queue) == 1
    assert queue.statistics().waiting == 0
    assert await queue.get() == "a"
    queue.done("a")
    clock.advance(10.0)
    assert len(queue) == 0


async def test_add_after_of_a_queued_item_does_not_delay_it() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add("a")
    queue.add_after("a", 10.0)
    assert len(queue) == 1
    assert queue.statistics().waiting == 0


async def test_add_after_during_processing_waits_then_defers() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add("a")
    await queue.get()
    queue.add_after("a", 1.0)
    clock.advance(1.0)
    assert queue.statistics().depth == 1  # deferred: "a" is still being processed
    queue.done("a")
    assert await queue.get() == "a"


async def test_getter_waits_for_the_delay() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    async with asyncio.TaskGroup() as tg:
        got = tg.create_task(queue.get())
        queue.add_after("a", 5.0)
        await asyncio.sleep(0)
        assert not got.done()
        clock.advance(5.0)
    assert got.result() == "a"


async def test_shutdown_drops_waiting_items_and_cancels_the_timer() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.add_after("a", 5.0)

    async def get_outcome() -> str:
        try:
            return await queue.get()
        except QueueShutDown:
            return "shut down"

    async with asyncio.TaskGroup() as tg:
        got = tg.create_task(get_outcome())
        await asyncio.sleep(0)
        queue.shutdown()
    assert got.result() == "shut down"
    assert clock.pending_timers == 0
    clock.advance(10.0)
    assert queue.statistics().waiting == 0
    assert len(queue) == 0


async def test_add_rate_limited_backs_off_until_forget() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    delays = []
    for _ in range(4):
        queue.add_rate_limited("a")
        start = clock.now()
        while not len(queue):
            clock.advance(0.5)
        delays.append(clock.now() - start)
        await queue.get()
        queue.done("a")
    assert delays == [1.0, 2.0, 4.0, 8.0]
    assert queue.num_requeues("a") == 4
    queue.forget("a")
    assert queue.num_requeues("a") == 0
    assert queue.statistics().retries == 4


async def test_real_clock_delay_elapses() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add_after("a", 0.001)
    async with asyncio.timeout(5):
        assert await queue.get() == "a"


async def test_adds_after_shutdown_are_ignored_and_not_counted() -> None:
    clock = FakeClock()
    queue = make_queue(clock)
    queue.shutdown()
    queue.add_after("a", 1.0)
    queue.add_rate_limited("b")
    clock.advance(100.0)
    assert queue.statistics() == QueueStatistics(depth=0, processing=0, waiting=0, adds=0, retries=0)
