"""Run a handful of independent API calls at once, inside one TaskGroup, and get every result back.

A reconciler that creates two Secrets one after the other pays two round trips; the Secrets do not
depend on each other, so one round trip is the physical limit (Gitpod's env + token Secrets). The
hand-written fix — goroutines and a WaitGroup, or ``asyncio.gather`` — either leaks the second call when
the first fails or hides the second error. :func:`gather` is the structured version: every awaitable
runs inside one :class:`asyncio.TaskGroup`, nothing outlives the call, and the error policy is
chosen explicitly:

* ``"fail_fast"`` (default): the first error cancels the calls still running; the error arrives in an
  :class:`ExceptionGroup` (together with any other call that failed before the cancellation landed).
* ``"collect_all"``: nothing is cancelled; every call runs to its end and every error is reported in one
  :class:`ExceptionGroup`, in argument order.

Both modes raise :class:`ExceptionGroup`, so callers match errors with ``except*`` whatever the mode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any, Literal, TypeVar, overload

T = TypeVar("T")
T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")

GatherMode = Literal["fail_fast", "collect_all"]
"""How :func:`gather` treats an error: cancel the rest, or let everything finish and report all."""

_MODES: tuple[str, ...] = ("fail_fast", "collect_all")


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def _as_coroutine(awaitable: Awaitable[T]) -> Coroutine[Any, Any, T]:
    """A coroutine runs as a task as it is; anything else is awaited by a wrapper (one frame less)."""
    if asyncio.iscoroutine(awaitable):
        return awaitable
    return _await(awaitable)


class _Failure:
    """Marks a slot whose awaitable raised, in ``collect_all`` mode."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


async def _capture(awaitable: Awaitable[Any]) -> Any:
    try:
        return await awaitable
    except Exception as error:  # noqa: BLE001 - reported by gather in the ExceptionGroup
        return _Failure(error)


@overload
async def gather(aw1: Awaitable[T1], /, *, mode: GatherMode = ...) -> tuple[T1]: ...
@overload
async def gather(aw1: Awaitable[T1], aw2: Awaitable[T2], /, *, mode: GatherMode = ...) -> tuple[T1, T2]: ...
@overload
async def gather(
    aw1: Awaitable[T1], aw2: Awaitable[T2], aw3: Awaitable[T3], /, *, mode: GatherMode = ...
) -> tuple[T1, T2, T3]: ...
@overload
async def gather(
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    /,
    *,
    mode: GatherMode = ...,
) -> tuple[T1, T2, T3, T4]: ...
@overload
async def gather(
    aw1: Awaitable[T1],
    aw2: Awaitable[T2],
    aw3: Awaitable[T3],
    aw4: Awaitable[T4],
    aw5: Awaitable[T5],
    /,
    *,
    mode: GatherMode = ...,
) -> tuple[T1, T2, T3, T4, T5]: ...
@overload
async def gather(*awaitables: Awaitable[T], mode: GatherMode = ...) -> tuple[T, ...]: ...


async def gather(*awaitables: Awaitable[Any], mode: GatherMode = "fail_fast") -> tuple[Any, ...]:
    """Await every argument concurrently and return their results as a tuple, in argument order.

    Every awaitable but the last becomes a child task of one :class:`asyncio.TaskGroup`; the last runs
    in the caller's task, inside the group, after the others have started (so it sees and may set the
    caller's context variables; the children run in copies of them, as tasks do). When ``gather``
    returns or raises, every awaitable has finished. Cancelling the caller cancels every one of them.

    Args:
        awaitables: coroutines, tasks or futures; each is awaited exactly once.
        mode: ``"fail_fast"`` cancels the others at the first error; ``"collect_all"`` lets every
            awaitable finish and reports every error. Defaults to ``"fail_fast"``.

    Returns:
        The results, position ``i`` holding the result of argument ``i``. No arguments give ``()``.

    Raises:
        ExceptionGroup: with the error(s). In ``"collect_all"`` mode it holds every error, in argument
            order; in ``"fail_fast"`` mode the first error and any that happened before the others
            were cancelled.
        ValueError: for an unknown ``mode``, before anything is awaited.
    """
    if mode not in _MODES:
        for awaitable in awaitables:
            _discard(awaitable)
        raise ValueError(f"gather: mode must be 'fail_fast' or 'collect_all', got {mode!r}")
    if not awaitables:
        return ()
    *others, last = awaitables
    if mode == "fail_fast":
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_as_coroutine(aw)) for aw in others]
            final = await _await_last(last, tasks)
        return (*(task.result() for task in tasks), final)
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_capture(aw)) for aw in others]
        final = await _await_last(_capture(last), tasks)
    results = (*(task.result() for task in tasks), final)
    errors = [result.error for result in results if isinstance(result, _Failure)]
    if errors:
        raise ExceptionGroup(f"gather: {len(errors)} of {len(results)} failed", errors)
    return results


async def _await_last(last: Awaitable[T], children: list[asyncio.Task[Any]]) -> T:
    """Await the last argument in the caller's own task, then wait, still inside the group's body,
    until the TaskGroup has seen every child finish.

    A child task hands its result back to the caller two loop turns after it finishes; the caller's
    own task has it at once. Calls of equal latency finish in the order they started, so the one
    started last (after the children took their first step) is usually the last to finish, and then
    nothing is left to wait for.

    Waiting in the body, not in the TaskGroup's exit, matters on Python 3.11: a child that fails while
    its parent is already exiting the group leaves the parent's cancellation count raised for good
    (CPython gh-116720), which later ``asyncio.timeout`` and TaskGroup blocks in the same task would
    misread. In the body, the group's own cancellation of the parent is undone when the group exits.
    """
    if not children:
        return await last
    remaining = len(children)
    seen: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def seen_by_group(_: asyncio.Task[Any]) -> None:
        nonlocal remaining
        remaining -= 1
        if not remaining and not seen.done():
            seen.set_result(None)

    for child in children:
        child.add_done_callback(seen_by_group)  # runs after the TaskGroup's own callback for the child
    await asyncio.sleep(0)  # the children take their first step before the last call starts
    result = await last
    if remaining:
        await seen
    return result


def _discard(awaitable: Awaitable[Any]) -> None:
    """Close a coroutine that will never be awaited, so Python does not warn about it."""
    close = getattr(awaitable, "close", None)
    if asyncio.iscoroutine(awaitable) and close is not None:
        close()
