"""Test helpers for the fanout tests: calls that block until cancelled, and scheduler steps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest


class Blocker:
    """Calls that wait until cancelled, recording which started and which were cancelled."""

    def __init__(self) -> None:
        self.started: list[Any] = []
        self.cancelled: list[Any] = []
        self.any_started = asyncio.Event()

    async def wait_forever(self, key: Any) -> Any:
        self.started.append(key)
        self.any_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append(key)
            raise
        return key


async def steps(n: int) -> None:
    """Let the event loop run ``n`` rounds (ordering without wall-clock time)."""
    for _ in range(n):
        await asyncio.sleep(0)


async def cancel_after_start(task: asyncio.Task[Any], blocker: Blocker) -> None:
    """Cancel ``task`` once one blocking call has started; expect the cancellation to propagate."""
    await blocker.any_started.wait()
    await steps(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
