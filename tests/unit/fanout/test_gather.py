"""gather: results in argument order, real concurrency, fail-fast cancellation, collect-all errors."""

from __future__ import annotations

import asyncio

import pytest

from shoal.fanout import gather

from ._support import Blocker, cancel_after_start, steps


async def test_results_come_back_in_argument_order_whatever_the_completion_order() -> None:
    second_done = asyncio.Event()

    async def first() -> str:
        await second_done.wait()
        return "first"

    async def second() -> int:
        second_done.set()
        return 2

    assert await gather(first(), second()) == ("first", 2)


async def test_every_awaitable_runs_concurrently() -> None:
    started = 0
    all_started = asyncio.Event()

    async def call(i: int) -> int:
        nonlocal started
        started += 1
        if started == 3:
            all_started.set()
        await all_started.wait()  # deadlocks (test timeout) if the calls ran one after another
        return i

    assert await gather(call(0), call(1), call(2)) == (0, 1, 2)


async def test_fail_fast_cancels_the_others_and_raises_an_exception_group() -> None:
    blocker = Blocker()

    async def failing() -> None:
        await steps(1)
        raise KeyError("env secret")

    with pytest.raises(ExceptionGroup) as caught:
        await gather(blocker.wait_forever("tokens"), failing())
    assert blocker.cancelled == ["tokens"]
    assert [type(e) for e in caught.value.exceptions] == [KeyError]


async def test_a_failure_cancels_the_last_call_too_and_the_caller_carries_on() -> None:
    """The last awaitable runs in the caller's own task: a sibling's error must cancel it, and the
    caller must come out of gather with its ExceptionGroup, not cancelled itself."""
    blocker = Blocker()

    async def failing() -> None:
        await steps(1)
        raise KeyError("env secret")

    with pytest.raises(ExceptionGroup) as caught:
        await gather(failing(), blocker.wait_forever("tokens"))
    assert blocker.cancelled == ["tokens"]
    assert [type(e) for e in caught.value.exceptions] == [KeyError]
    caller = asyncio.current_task()
    assert caller is not None
    assert caller.cancelling() == 0


@pytest.mark.parametrize("head_start", [-2, -1, 0, 1, 2, 3])
async def test_a_child_failing_around_the_last_calls_end_leaves_the_caller_uncancelled(
    head_start: int,
) -> None:
    """Whichever finishes first, the child failing or the last call (run by the caller itself), the
    caller gets the ExceptionGroup with a cancellation count of zero: on Python 3.11 a TaskGroup left
    while a child can still fail raises that count for good (CPython gh-116720)."""

    async def failing() -> None:
        await steps(3 + head_start)
        raise KeyError("env secret")

    async def last() -> str:
        await steps(3)
        return "tokens"

    caller = asyncio.current_task()
    assert caller is not None
    for _ in range(2):
        with pytest.raises(ExceptionGroup) as caught:
            await gather(failing(), last())
        assert [type(e) for e in caught.value.exceptions] == [KeyError]
        assert caller.cancelling() == 0


async def test_calls_start_in_argument_order() -> None:
    started: list[int] = []

    async def call(i: int) -> int:
        started.append(i)
        await steps(1)
        return i

    assert await gather(call(0), call(1), call(2)) == (0, 1, 2)
    assert started == [0, 1, 2]


async def test_collect_all_reports_every_error_in_argument_order_and_cancels_nothing() -> None:
    finished: list[str] = []

    async def fails(name: str, rounds: int) -> None:
        await steps(rounds)
        finished.append(name)
        raise ValueError(name)

    async def succeeds() -> str:
        await steps(5)
        finished.append("ok")
        return "ok"

    with pytest.raises(ExceptionGroup) as caught:
        await gather(fails("tokens", 3), succeeds(), fails("env", 1), mode="collect_all")
    assert [str(e) for e in caught.value.exceptions] == ["tokens", "env"]
    assert sorted(finished) == ["env", "ok", "tokens"]


async def test_collect_all_returns_results_when_nothing_fails() -> None:
    async def value(v: int) -> int:
        await steps(1)
        return v

    assert await gather(value(1), value(2), mode="collect_all") == (1, 2)


async def test_cancelling_the_caller_cancels_every_child() -> None:
    blocker = Blocker()
    task = asyncio.create_task(gather(blocker.wait_forever(0), blocker.wait_forever(1)))
    await cancel_after_start(task, blocker)
    assert sorted(blocker.cancelled) == [0, 1]


async def test_accepts_tasks_and_futures_and_empty_input() -> None:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()
    future.set_result("future")

    async def coro() -> str:
        return "task"

    task = asyncio.create_task(coro())
    assert await gather(task, future) == ("task", "future")
    assert await gather() == ()


async def test_unknown_mode_is_rejected_before_anything_runs() -> None:
    ran = False

    async def call() -> None:
        nonlocal ran
        ran = True

    with pytest.raises(ValueError, match="mode"):
        await gather(call(), mode="sometimes")  # type: ignore[call-overload]
    assert not ran
