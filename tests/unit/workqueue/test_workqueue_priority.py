"""Priorities: fresh changes skip a startup backlog, and aging keeps low items from starving."""

from __future__ import annotations

import pytest

from shoal.workqueue import FakeClock, Priority, WorkQueue


async def test_fresh_high_item_is_picked_before_a_10000_item_low_backlog() -> None:
    clock = FakeClock()
    queue: WorkQueue[int] = WorkQueue(clock=clock, aging_threshold=5.0)
    for item in range(10_000):
        queue.add(item, Priority.LOW)
    clock.advance(1.0)
    for item in range(10):
        assert await queue.get() == item
        queue.done(item)
    queue.add(-1, Priority.HIGH)
    assert await queue.get_with_priority() == (-1, Priority.HIGH)
    assert await queue.get_with_priority() == (10, Priority.LOW)


async def test_fresh_item_stays_near_the_front_once_the_backlog_is_overdue() -> None:
    clock = FakeClock()
    queue: WorkQueue[int] = WorkQueue(clock=clock, aging_threshold=5.0)
    for item in range(10_000):
        queue.add(item, Priority.LOW)
    clock.advance(60.0)  # the whole backlog is overdue
    queue.add(-1, Priority.HIGH)
    first_two = [await queue.get(), await queue.get()]
    assert -1 in first_two


async def test_low_item_is_served_under_a_continuous_stream_of_high_adds() -> None:
    clock = FakeClock()
    threshold = 2.0
    queue: WorkQueue[str] = WorkQueue(clock=clock, aging_threshold=threshold)
    queue.add("low", Priority.LOW)
    served_at = None
    for step in range(1000):
        # Two new high-priority items per pick: more than one worker can finish.
        queue.add(f"high-{step}-a")
        queue.add(f"high-{step}-b")
        item = await queue.get()
        queue.done(item)
        if item == "low":
            served_at = clock.now()
            break
        clock.advance(0.01)
    assert served_at is not None, "the low-priority item starved"
    assert threshold <= served_at <= threshold + 0.02


async def test_higher_priority_is_served_first_and_fifo_within_a_priority() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("low-1", Priority.LOW)
    queue.add("high-1")
    queue.add("urgent", 10)
    queue.add("low-2", Priority.LOW)
    queue.add("high-2")
    got = [await queue.get() for _ in range(5)]
    assert got == ["urgent", "high-1", "high-2", "low-1", "low-2"]


async def test_re_add_with_higher_priority_moves_the_item_to_the_back_of_its_new_level() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for item in ("a", "b", "c"):
        queue.add(item, Priority.LOW)
    queue.add("x", Priority.HIGH)
    queue.add("c", Priority.HIGH)
    queue.add("a", Priority.LOW)  # a lower re-add changes nothing
    assert len(queue) == 4
    got = [await queue.get_with_priority() for _ in range(4)]
    assert got == [("x", 0), ("c", 0), ("a", -100), ("b", -100)]


async def test_deferred_item_keeps_the_highest_priority_it_was_added_with() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a", Priority.LOW)
    await queue.get()
    queue.add("a", Priority.LOW)
    queue.add("a", Priority.HIGH)
    queue.add("a", Priority.LOW)
    queue.add("b", Priority.LOW)
    queue.done("a")
    assert await queue.get_with_priority() == ("a", Priority.HIGH)


async def test_waiting_item_takes_the_highest_priority_and_an_add_merges_it() -> None:
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(clock=clock)
    queue.add_after("a", 5.0, 10)
    queue.add_after("a", 1.0, Priority.LOW)
    queue.add("b")
    clock.advance(1.0)
    assert await queue.get_with_priority() == ("a", 10)
    queue.add_after("c", 5.0, 10)
    queue.add("c", Priority.LOW)  # ready now, keeping priority 10
    assert await queue.get_with_priority() == ("c", 10)


def test_aging_threshold_must_be_positive() -> None:
    with pytest.raises(ValueError, match="aging_threshold"):
        WorkQueue[str](aging_threshold=0)
