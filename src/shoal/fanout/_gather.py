"""Run a handful of independent API calls at once, inside one TaskGroup, and get every result back.

A reconciler that creates two Secrets one after the other pays two round trips; the Secrets do not
depend on each other, so one round trip is the physical limit (Gitpod's env + token Secrets). The
hand-written fix — goroutines and a WaitGroup, or ``asyncio.gather`` — either leaks the second call when
the first fails or hides the second error. :func:`gather` is the structured version: every awaitable
runs as a child of one :class:`asyncio.TaskGroup`, nothing outlives the call, and the error policy is
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

    Each awaitable becomes a child task of one :class:`asyncio.TaskGroup`, so when ``gather`` returns or
    raises, every child has finished. Cancelling the caller cancels every child.

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
    if mode == "fail_fast":
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_as_coroutine(aw)) for aw in awaitables]
        return tuple(task.result() for task in tasks)
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(_capture(aw)) for aw in awaitables]
    results = tuple(task.result() for task in tasks)
    errors = [result.error for result in results if isinstance(result, _Failure)]
    if errors:
        raise ExceptionGroup(f"gather: {len(errors)} of {len(results)} failed", errors)
    return results


def _discard(awaitable: Awaitable[Any]) -> None:
    """Close a coroutine that will never be awaited, so Python does not warn about it."""
    close = getattr(awaitable, "close", None)
    if asyncio.iscoroutine(awaitable) and close is not None:
        close()
