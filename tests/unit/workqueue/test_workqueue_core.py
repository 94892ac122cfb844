"""The client-go guarantees: dedup, deferral during processing, one worker per item, shutdown."""

from __future__ import annotations

import asyncio

import pytest

from shoal.workqueue import QueueShutDown, WorkQueue


async def test_get_returns_items_in_fifo_order() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for item in ("a", "b", "c"):
        queue.add(item)
    assert [await queue.get() for _ in range(3)] == ["a", "b", "c"]


async def test_repeated_adds_before_get_are_processed_once() -> None:
    queue: WorkQueue[str] = WorkQueue()
    for _ in range(5):
        queue.add("a")
    queue.add("b")
    assert len(queue) == 2
    assert await queue.get() == "a"
    assert await queue.get() == "b"
    assert len(queue) == 0
    assert queue.statistics().adds == 2


async def test_add_during_processing_is_deferred_until_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    assert await queue.get() == "a"
    queue.add("a")
    queue.add("a")
    # Parked: no second worker may get "a" while the first holds it.
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await queue.get()
    assert len(queue) == 1
    queue.done("a")
    assert await queue.get() == "a"
    queue.done("a")
    assert queue.statistics() == queue.statistics().__class__(
        depth=0, processing=0, waiting=0, adds=2, retries=0
    )


async def test_waiting_getter_is_woken_by_add() -> None:
    queue: WorkQueue[int] = WorkQueue()
    async with asyncio.TaskGroup() as tg:
        got = tg.create_task(queue.get())
        await asyncio.sleep(0)
        assert not got.done()
        queue.add(7)
    assert got.result() == 7


async def test_add_all_wakes_one_getter_per_new_item() -> None:
    queue: WorkQueue[str] = WorkQueue()
    async with asyncio.TaskGroup() as tg:
        getters = [tg.create_task(queue.get()) for _ in range(3)]
        await asyncio.sleep(0)
        queue.add_all(["a", "b", "a"])
        await asyncio.sleep(0)
        assert sorted(g.result() for g in getters if g.done()) == ["a", "b"]
        assert queue.statistics().adds == 2
        queue.add_all(["a", "c"])  # "a" is being processed: deferred, and no getter is owed it
        await asyncio.sleep(0)
        assert [g.result() for g in getters if g.done()].count("c") == 1
        assert len(queue) == 1
    queue.done("a")
    assert await queue.get() == "a"


async def test_done_of_unknown_item_is_an_error() -> None:
    queue: WorkQueue[str] = WorkQueue()
    with pytest.raises(ValueError, match="not being processed"):
        queue.done("x")


async def test_shutdown_hands_out_remaining_items_then_raises() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    queue.shutdown()
    queue.add("b")  # ignored
    assert await queue.get() == "a"
    with pytest.raises(QueueShutDown):
        await queue.get()


async def test_shutdown_wakes_every_waiting_getter() -> None:
    queue: WorkQueue[str] = WorkQueue()

    async def worker() -> str:
        try:
            await queue.get()
        except QueueShutDown:
            return "stopped"
        return "got"

    async with asyncio.TaskGroup() as tg:
        workers = [tg.create_task(worker()) for _ in range(3)]
        await asyncio.sleep(0)
        queue.shutdown()
    assert [w.result() for w in workers] == ["stopped"] * 3


async def test_deferred_item_is_still_handed_out_after_shutdown() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    await queue.get()
    queue.add("a")
    queue.shutdown()
    queue.done("a")
    assert await queue.get() == "a"


async def test_cancelled_getter_passes_its_wake_up_on() -> None:
    queue: WorkQueue[str] = WorkQueue()
    async with asyncio.TaskGroup() as tg:
        first = tg.create_task(queue.get())
        second = tg.create_task(queue.get())
        await asyncio.sleep(0)
        queue.add("a")  # wakes `first` ...
        first.cancel()  # ... which is cancelled before it runs
    assert first.cancelled()
    assert second.result() == "a"


async def test_shutdown_with_drain_waits_for_done() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    item = await queue.get()
    async with asyncio.TaskGroup() as tg:
        drain = tg.create_task(queue.shutdown_with_drain())
        for _ in range(5):
            await asyncio.sleep(0)
        assert not drain.done()
        queue.done(item)
    assert drain.done()


async def test_shutdown_ends_a_pending_drain() -> None:
    queue: WorkQueue[str] = WorkQueue()
    queue.add("a")
    await queue.get()
    async with asyncio.TaskGroup() as tg:
        drain = tg.create_task(queue.shutdown_with_drain())
        await asyncio.sleep(0)
        assert not drain.done()
        queue.shutdown()
    assert queue.statistics().processing == 1


async def test_shutdown_with_drain_returns_at_once_when_idle() -> None:
    queue: WorkQueue[str] = WorkQueue()
    await queue.shutdown_with_drain()
    assert queue.shutting_down


async def test_context_manager_shuts_down_on_exit() -> None:
    async with WorkQueue[str]() as queue:
        queue.add("a")
    assert queue.shutting_down
    assert await queue.get() == "a"
    with pytest.raises(QueueShutDown):
        await queue.get()


async def test_workers_never_share_an_item() -> None:
    queue: WorkQueue[int] = WorkQueue()
    holding: set[int] = set()
    processed: list[int] = []

    async def worker() -> None:
        while True:
            try:
                item = await queue.get()
            except QueueShutDown:
                return
            assert item not in holding
            holding.add(item)
            await asyncio.sleep(0)
            if len(processed) < 200:
                queue.add(item)  # re-add while processing
            processed.append(item)
            holding.discard(item)
            queue.done(item)
            stats = queue.statistics()
            if len(processed) >= 200 and stats.depth == 0 and stats.processing == 0:
                queue.shutdown()

    for item in range(5):
        queue.add(item)
    async with asyncio.TaskGroup() as tg:
        for _ in range(8):
            tg.create_task(worker())
    assert set(processed) == set(range(5))
