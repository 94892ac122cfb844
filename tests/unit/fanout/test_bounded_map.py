"""bounded_map: the limit holds, results stream, order on request, errors cancel, back-pressure holds."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings, strategies as st

from shoal.fanout import bounded_map

from ._support import Blocker, cancel_after_start, steps


class Tracker:
    """Counts calls in flight and the most seen at once."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0
        self.calls: list[int] = []

    async def call(self, item: int, rounds: int = 0) -> int:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        self.calls.append(item)
        try:
            await steps(rounds)
        finally:
            self.in_flight -= 1
        return item * 10


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(min_value=1, max_value=8),
    rounds=st.lists(st.integers(min_value=0, max_value=6), max_size=40),
    ordered=st.booleans(),
)
def test_limit_holds_every_item_runs_once_and_order_is_kept_on_request(
    limit: int, rounds: list[int], ordered: bool
) -> None:
    async def scenario() -> list[int]:
        tracker = Tracker()

        async def call(i: int) -> int:
            return await tracker.call(i, rounds[i])

        results = await bounded_map(call, range(len(rounds)), limit=limit, ordered=ordered).collect()
        assert tracker.peak <= limit
        assert sorted(tracker.calls) == list(range(len(rounds)))
        return results

    results = asyncio.run(scenario())
    expected = [i * 10 for i in range(len(rounds))]
    if ordered:
        assert results == expected
    else:
        assert sorted(results) == expected


async def test_the_pool_fills_up_to_the_limit() -> None:
    waiting = 0
    full = asyncio.Event()

    async def call(i: int) -> int:
        nonlocal waiting
        waiting += 1
        if waiting % 4 == 0:
            full.set()
        await full.wait()  # deadlocks (test timeout) unless four calls are in flight at once
        return i

    assert sorted(await bounded_map(call, range(8), limit=4).collect()) == list(range(8))


async def test_unordered_results_stream_as_they_finish() -> None:
    release_first = asyncio.Event()

    async def call(i: int) -> int:
        if i == 0:
            await release_first.wait()
        return i

    seen: list[int] = []
    async with bounded_map(call, range(4), limit=4) as results:
        async for result in results:
            seen.append(result)
            if len(seen) == 3:
                release_first.set()
    assert seen == [1, 2, 3, 0]


async def test_ordered_results_wait_for_the_earlier_item() -> None:
    release_first = asyncio.Event()

    async def call(i: int) -> int:
        if i == 0:
            await release_first.wait()
        return i

    async def release_soon() -> None:
        await steps(10)
        release_first.set()

    async with asyncio.TaskGroup() as group:
        group.create_task(release_soon())
        results = await bounded_map(call, range(4), limit=4, ordered=True).collect()
    assert results == [0, 1, 2, 3]


async def test_an_error_cancels_the_calls_in_flight_and_raises_an_exception_group() -> None:
    blocker = Blocker()

    async def call(i: int) -> int:
        if i == 3:
            raise LookupError("block 3")
        return int(await blocker.wait_forever(i))

    with pytest.raises(ExceptionGroup) as caught:
        await bounded_map(call, range(100), limit=4).collect()
    assert [type(e) for e in caught.value.exceptions] == [LookupError]
    assert sorted(blocker.cancelled) == [0, 1, 2]
    assert sorted(blocker.started) == [0, 1, 2]
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_leaving_the_loop_cancels_and_awaits_the_calls_in_flight() -> None:
    blocker = Blocker()

    async def call(i: int) -> int:
        if i == 0:
            return i
        return int(await blocker.wait_forever(i))

    async with bounded_map(call, range(10), limit=3) as results:
        async for result in results:
            assert result == 0
            break
    assert sorted(blocker.started) == sorted(blocker.cancelled)
    assert set(blocker.started) >= {1, 2}
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_cancelling_the_consumer_cancels_the_calls() -> None:
    blocker = Blocker()
    consumer = asyncio.create_task(bounded_map(blocker.wait_forever, range(10), limit=2).collect())
    await cancel_after_start(consumer, blocker)
    assert sorted(blocker.cancelled) == [0, 1]


async def test_an_async_source_is_read_no_further_ahead_than_the_limit() -> None:
    read = 0

    async def source() -> AsyncIterator[int]:
        nonlocal read
        for i in range(1000):
            read += 1
            yield i

    async def call(i: int) -> int:
        await steps(1)
        return i

    taken = 0
    async with bounded_map(call, source(), limit=5) as results:
        async for _ in results:
            taken += 1
            assert read <= taken + 5
            await steps(random.randint(0, 3))  # a slow consumer must not let the source run ahead
            if taken == 50:
                break
    assert read <= 55


async def test_a_failing_source_raises_in_an_exception_group() -> None:
    def source() -> object:
        yield 1
        raise OSError("listing failed")

    async def call(i: object) -> object:
        return i

    with pytest.raises(ExceptionGroup) as caught:
        await bounded_map(call, source(), limit=2).collect()  # type: ignore[arg-type]
    assert [type(e) for e in caught.value.exceptions] == [OSError]


async def test_limit_one_is_sequential_in_input_order() -> None:
    tracker = Tracker()
    results = await bounded_map(lambda i: tracker.call(i, 2), range(6), limit=1).collect()
    assert results == [0, 10, 20, 30, 40, 50]
    assert tracker.calls == list(range(6))
    assert tracker.peak == 1


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_bad_limit_is_rejected(limit: object) -> None:
    async def call(i: int) -> int:
        return i

    with pytest.raises(ValueError, match="limit"):
        bounded_map(call, [1], limit=limit)  # type: ignore[arg-type]


async def test_results_can_be_iterated_only_once() -> None:
    async def call(i: int) -> int:
        return i

    results = bounded_map(call, [1, 2], limit=2)
    assert sorted(await results.collect()) == [1, 2]
    with pytest.raises(RuntimeError, match="once"):
        aiter(results)
