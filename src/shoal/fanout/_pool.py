"""A streaming worker pool: apply an async function to many items with at most ``limit`` in flight.

Velero backs up hundreds of ItemBlocks; one at a time the backup takes N·d, with W workers about N·d/W.
Its fix is a channel, W goroutines, a results channel and a WaitGroup. :func:`bounded_map` is that pool
as one ``async for``:

* at most ``limit`` calls run at once, and the source is read lazily, so an endless or slow async
  iterator is fine and a slow consumer holds the pool back instead of piling up results (back-pressure);
* results stream out as calls finish (``ordered=False``) or in input order (``ordered=True``; the
  window of ``limit`` then counts finished results waiting for an earlier one);
* the first error cancels the calls in flight, waits for them, and is raised from the ``async for`` in
  an :class:`ExceptionGroup` (with any other error that happened before the cancellation landed);
* cancelling or leaving the loop cancels and awaits every call still in flight: no call outlives the
  iteration. ``break`` closes the pool when the iterator is closed; ``async with`` makes that
  immediate.

The calls are child tasks that the iterator owns and always awaits before it finishes; a TaskGroup is
not used across the ``yield`` because a TaskGroup cannot be suspended inside a generator safely.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any, Generic, TypeVar

from ._gather import _await

T = TypeVar("T")
R = TypeVar("R")


class BoundedMap(Generic[T, R]):
    """The results of ``fn`` over ``items``, computed with at most ``limit`` calls in flight.

    Iterate it once with ``async for``; or use ``async with bounded_map(...) as results:`` to be sure the
    calls still in flight are cancelled and awaited the moment the block ends (``break``, error).
    """

    def __init__(
        self,
        fn: Callable[[T], Awaitable[R]],
        items: Iterable[T] | AsyncIterable[T],
        *,
        limit: int,
        ordered: bool,
    ) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"bounded_map: limit must be a positive integer, got {limit!r}")
        self._fn = fn
        self._items = items
        self._limit = limit
        self._ordered = ordered
        self._iterator: AsyncGenerator[R, None] | None = None

    def __aiter__(self) -> AsyncIterator[R]:
        if self._iterator is not None:
            raise RuntimeError("bounded_map: the results can be iterated only once")
        self._iterator = self._run()
        return self._iterator

    async def __aenter__(self) -> AsyncIterator[R]:
        return self.__aiter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._iterator is not None:
            await self._iterator.aclose()

    async def collect(self) -> list[R]:
        """Every result, in the order iteration yields them (completion order unless ``ordered``)."""
        async with self as results:
            return [result async for result in results]

    async def _run(self) -> AsyncGenerator[R, None]:
        loop = asyncio.get_running_loop()
        limit, ordered, fn = self._limit, self._ordered, self._fn
        sync_items: Iterable[T] | None = None
        async_items: AsyncIterator[T] | None = None
        if isinstance(self._items, AsyncIterable):
            async_items = aiter(self._items)
        else:
            sync_items = self._items
        sync_iter = iter(sync_items) if sync_items is not None else None

        in_flight: dict[asyncio.Task[R], int] = {}
        finished: deque[asyncio.Task[R]] = deque()
        waiter: list[asyncio.Future[None] | None] = [None]
        buffered: dict[int, R] = {}
        issued = 0
        next_out = 0
        exhausted = False

        def on_done(task: asyncio.Task[R]) -> None:
            finished.append(task)
            wake = waiter[0]
            if wake is not None and not wake.done():
                wake.set_result(None)

        try:
            while True:
                # Start calls while the window allows; the window counts everything not yet yielded.
                while not exhausted and issued - next_out < limit:
                    try:
                        if sync_iter is not None:
                            item = next(sync_iter)
                        else:
                            assert async_items is not None
                            item = await anext(async_items)
                    except (StopIteration, StopAsyncIteration):
                        exhausted = True
                        break
                    except Exception as error:  # noqa: BLE001 - re-raised in an ExceptionGroup
                        raise ExceptionGroup("bounded_map: reading the items failed", [error]) from None
                    try:
                        awaitable = fn(item)
                    except Exception as error:  # noqa: BLE001 - re-raised in an ExceptionGroup
                        raise ExceptionGroup(
                            f"bounded_map: the call for item {issued} failed", [error]
                        ) from None
                    coro = awaitable if asyncio.iscoroutine(awaitable) else _await(awaitable)
                    task = loop.create_task(coro)
                    in_flight[task] = issued
                    issued += 1
                    task.add_done_callback(on_done)
                if ordered and next_out in buffered:
                    result = buffered.pop(next_out)
                    next_out += 1
                    yield result
                    continue
                if not in_flight and not finished:
                    return
                while not finished:
                    wake: asyncio.Future[None] = loop.create_future()
                    waiter[0] = wake
                    await wake
                    waiter[0] = None
                task = finished.popleft()
                index = in_flight.pop(task)
                if task.cancelled():
                    cancelled = RuntimeError(f"bounded_map: the call for item {index} cancelled itself")
                    raise ExceptionGroup("bounded_map: a call failed", [cancelled])
                failure = task.exception()
                if isinstance(failure, Exception):
                    raise ExceptionGroup(f"bounded_map: the call for item {index} failed", [failure])
                if failure is not None:
                    raise failure
                if ordered:
                    buffered[index] = task.result()
                    continue
                next_out += 1
                yield task.result()
        except BaseException as stopped:
            others = await _cancel_all(in_flight)
            if others and isinstance(stopped, ExceptionGroup):
                raise ExceptionGroup(stopped.message, [*stopped.exceptions, *others]) from None
            raise
        finally:
            await _cancel_all(in_flight)


async def _cancel_all(in_flight: dict[asyncio.Task[Any], int]) -> list[Exception]:
    """Cancel and await every task in flight; return the errors they raised other than cancellation."""
    if not in_flight:
        return []
    tasks = list(in_flight)
    in_flight.clear()
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks)
    return [
        error for task in tasks if not task.cancelled() and isinstance(error := task.exception(), Exception)
    ]


def bounded_map(
    fn: Callable[[T], Awaitable[R]],
    items: Iterable[T] | AsyncIterable[T],
    *,
    limit: int,
    ordered: bool = False,
) -> BoundedMap[T, R]:
    """Apply ``fn`` to every item with at most ``limit`` calls in flight; stream the results.

    ::

        async for backed_up in bounded_map(back_up_block, blocks, limit=16):
            progress.add(backed_up)

    Args:
        fn: the async function, called once per item.
        items: a list, any iterable or an async iterator; read lazily, never more than ``limit`` ahead
            of the results already taken.
        limit: the most calls running at once (1 gives sequential processing in input order).
        ordered: yield results in input order instead of completion order. Defaults to ``False``.

    Returns:
        A :class:`BoundedMap` to iterate once (``async for``), enter (``async with``) or ``collect()``.

    Raises:
        ValueError: ``limit`` is not a positive integer.
        ExceptionGroup: from the iteration, when ``fn`` or the source raises; the calls still in flight
            are cancelled and awaited first.
    """
    return BoundedMap(fn, items, limit=limit, ordered=ordered)
