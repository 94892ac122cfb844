"""Memo and KeyedCache: one call per key under 1,000 callers, errors not cached, cancellation, TTL, LRU."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from shoal.fanout import CacheStatistics, KeyedCache, Memo

from ._support import Blocker, steps


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def memo_and_cache() -> list[Any]:
    return [
        pytest.param(Memo, id="memo"),
        pytest.param(lambda: KeyedCache[Hashable, Any]("test", ttl=60, max_size=100), id="keyed-cache"),
    ]


class Fetcher:
    """Counts underlying calls; holds them until released so that callers pile up."""

    def __init__(self, value: Any = "v", error: Exception | None = None) -> None:
        self.calls = 0
        self.release = asyncio.Event()
        self.value = value
        self.error = error

    async def __call__(self) -> Any:
        self.calls += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return self.value


@pytest.mark.parametrize("make", memo_and_cache())
async def test_a_thousand_concurrent_callers_share_exactly_one_call(make: Callable[[], Any]) -> None:
    cache = make()
    fetch = Fetcher(value={"kind": "PodCliqueSet"})
    async with asyncio.TaskGroup() as group:
        callers = [group.create_task(cache.get(("pcs", "default", "a"), fetch)) for _ in range(1000)]
        await steps(2)
        assert cache.statistics().in_flight == 1
        fetch.release.set()
    assert fetch.calls == 1
    assert all(caller.result() is fetch.value for caller in callers)
    assert await cache.get(("pcs", "default", "a"), fetch) is fetch.value
    assert fetch.calls == 1
    stats: CacheStatistics = cache.statistics()
    assert (stats.misses, stats.joins, stats.hits, stats.size, stats.in_flight) == (1, 999, 1, 1, 0)


@pytest.mark.parametrize("make", memo_and_cache())
async def test_errors_reach_every_sharing_caller_and_are_not_cached(make: Callable[[], Any]) -> None:
    cache = make()
    failing = Fetcher(error=TimeoutError("git fetch"))
    outcomes = []

    async def caller() -> None:
        try:
            await cache.get("repo@main", failing)
        except TimeoutError as error:
            outcomes.append(error)

    async with asyncio.TaskGroup() as group:
        for _ in range(1000):
            group.create_task(caller())
        await steps(2)
        failing.release.set()
    assert failing.calls == 1
    assert len(outcomes) == 1000
    assert cache.statistics().errors == 1
    assert len(cache) == 0

    working = Fetcher(value="abc123")
    working.release.set()
    assert await cache.get("repo@main", working) == "abc123"
    assert working.calls == 1


@pytest.mark.parametrize("make", memo_and_cache())
async def test_a_cancelled_leader_hands_the_call_to_a_joiner(make: Callable[[], Any]) -> None:
    cache = make()
    fetch = Fetcher(value=7)
    leader = asyncio.create_task(cache.get("k", fetch))
    await steps(1)
    joiners = [asyncio.create_task(cache.get("k", fetch)) for _ in range(5)]
    await steps(1)
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    await steps(2)
    fetch.release.set()
    assert await asyncio.gather(*joiners) == [7] * 5
    assert fetch.calls == 2


@pytest.mark.parametrize("make", memo_and_cache())
async def test_a_cancelled_joiner_leaves_the_call_running(make: Callable[[], Any]) -> None:
    cache = make()
    fetch = Fetcher(value=1)
    leader = asyncio.create_task(cache.get("k", fetch))
    await steps(1)
    joiner = asyncio.create_task(cache.get("k", fetch))
    await steps(1)
    joiner.cancel()
    with pytest.raises(asyncio.CancelledError):
        await joiner
    fetch.release.set()
    assert await leader == 1
    assert fetch.calls == 1


@pytest.mark.parametrize("make", memo_and_cache())
async def test_keys_do_not_wait_for_each_other(make: Callable[[], Any]) -> None:
    cache = make()
    blocker = Blocker()

    async def quick() -> str:
        return "quick"

    slow = asyncio.create_task(cache.get("slow", lambda: blocker.wait_forever("slow")))
    await blocker.any_started.wait()
    assert await cache.get("other", quick) == "quick"
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow


async def test_keyed_cache_results_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache = KeyedCache[str, int]("git", ttl=180, max_size=10, clock=clock)
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        return calls

    assert await cache.get("repo@main", fetch) == 1
    clock.now += 179.9
    assert await cache.get("repo@main", fetch) == 1
    clock.now += 0.1
    assert await cache.get("repo@main", fetch) == 2
    stats = cache.statistics()
    assert (stats.hits, stats.misses, stats.expirations) == (1, 2, 1)


async def test_keyed_cache_drops_the_least_recently_used_beyond_max_size() -> None:
    cache = KeyedCache[str, str]("git", ttl=60, max_size=2)
    calls: list[str] = []

    def fetcher(key: str) -> Callable[[], Awaitable[str]]:
        async def fetch() -> str:
            calls.append(key)
            return key

        return fetch

    await cache.get("a", fetcher("a"))
    await cache.get("b", fetcher("b"))
    await cache.get("a", fetcher("a"))  # a is now the most recently used
    await cache.get("c", fetcher("c"))  # evicts b
    await cache.get("a", fetcher("a"))
    await cache.get("b", fetcher("b"))
    assert calls == ["a", "b", "c", "b"]
    assert cache.statistics().evictions == 2
    assert len(cache) == 2
    cache.invalidate("b")
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize(("ttl", "max_size"), [(0, 1), (-1, 1), (1, 0), (1, 1.5)])
def test_keyed_cache_rejects_bad_bounds(ttl: float, max_size: int) -> None:
    with pytest.raises(ValueError, match=r"ttl|max_size"):
        KeyedCache[str, str]("git", ttl=ttl, max_size=max_size)


async def test_memo_is_scoped_to_its_instance_and_can_forget_a_key() -> None:
    calls = 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        return calls

    first, second = Memo(), Memo()
    assert await first.get("pcs", fetch) == 1
    assert await first.get("pcs", fetch) == 1
    assert await second.get("pcs", fetch) == 2
    assert "pcs" in first
    first.invalidate("pcs")
    assert "pcs" not in first
    assert await first.get("pcs", fetch) == 3


async def test_keyed_cache_exports_hits_misses_and_joins_to_prometheus() -> None:
    registry = CollectorRegistry()
    cache = KeyedCache[str, str]("git-directories", ttl=60, max_size=10, registry=registry)
    fetch = Fetcher(value="apps/")
    async with asyncio.TaskGroup() as group:
        for _ in range(10):
            group.create_task(cache.get("repo@abc", fetch))
        await steps(2)
        fetch.release.set()
    await cache.get("repo@abc", fetch)

    def sample(result: str) -> float | None:
        labels = {"cache": "git-directories", "result": result}
        return registry.get_sample_value("shoal_keyed_cache_requests_total", labels)

    assert (sample("miss"), sample("join"), sample("hit")) == (1.0, 9.0, 1.0)
