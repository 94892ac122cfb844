"""Helpers for testing controllers against the simulator: waiting on conditions instead of sleeping.

A controller converges asynchronously, so a test waits for the state it expects rather than for a
guessed amount of time. :func:`eventually` is that wait, shared by Shoal's own tests and offered to
users' tests.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")

__all__ = ["eventually"]


@overload
async def eventually(
    condition: Callable[[], Awaitable[T]], *, within: float = ..., every: float = ...
) -> T: ...
@overload
async def eventually(condition: Callable[[], T], *, within: float = ..., every: float = ...) -> T: ...


async def eventually(condition: Callable[[], Any], *, within: float = 10.0, every: float = 0.005) -> Any:
    """Call ``condition`` (sync or async) until it returns something truthy, and return that.

    Raises:
        AssertionError: ``within`` seconds passed; the message carries the last value seen.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if loop.time() >= deadline:
            raise AssertionError(f"condition not met within {within}s; last value: {value!r}")
        await asyncio.sleep(every)
