"""A process-wide single-flight cache with a TTL and a size bound, for slow I/O many reconciles share.

Argo CD's ApplicationSet controller fetched the same git repository for every ApplicationSet that
pointed at it, once per reconcile: with hundreds of ApplicationSets and a 3 s fetch, one worker was
busy for half an hour. The fix moved the fetch behind a cache keyed by (repository, revision). A
:class:`KeyedCache` is that cache for any slow shared call: one fetch per key however many reconciles
ask at once (the others join it), results kept for ``ttl`` seconds, the least recently used dropped
beyond ``max_size``, errors never kept, and counters for hits, misses and joins (also exported as
``shoal_keyed_cache_requests_total{cache,result}``).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from prometheus_client import CollectorRegistry, Counter

from ._flight import CacheStatistics, SingleFlight
from ._metrics import CACHE_RESULTS, fanout_metrics

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class KeyedCache(Generic[K, V]):
    """Results of a slow async call per key, shared by every caller in the process.

    ::

        directories = KeyedCache[tuple[str, str], list[str]]("git-directories", ttl=180, max_size=1024)
        paths = await directories.get((repo, revision), lambda: repo_server.directories(repo, revision))

    Args:
        name: names the cache in metrics (label ``cache``).
        ttl: seconds a result stays usable, counted from when its fetch finished.
        max_size: the most results kept; the least recently used goes first.
        clock: monotonic seconds; inject a fake one in tests. Defaults to :func:`time.monotonic`.
        registry: the Prometheus registry; ``None`` is Shoal's default registry.
    """

    def __init__(
        self,
        name: str,
        *,
        ttl: float,
        max_size: int,
        clock: Callable[[], float] = time.monotonic,
        registry: CollectorRegistry | None = None,
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"KeyedCache {name!r}: ttl must be a positive number of seconds, got {ttl!r}")
        if isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1:
            raise ValueError(f"KeyedCache {name!r}: max_size must be a positive integer, got {max_size!r}")
        self.name = name
        family = fanout_metrics(registry).keyed_cache_requests_total
        counters = {result: family.labels(name, result) for result in CACHE_RESULTS}
        self._flights = _Flights[K, V](ttl, max_size, clock, counters)

    async def get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The result of ``fetch()`` for ``key``: stored and fresh, in flight (joined), or fetched now.

        Raises:
            Exception: whatever ``fetch`` raised, to every caller sharing that call; nothing is stored.
        """
        return await self._flights._get(key, fetch)

    def invalidate(self, key: K) -> None:
        """Drop the stored result for ``key``; the next call fetches again."""
        self._flights.values.pop(key, None)

    def clear(self) -> None:
        """Drop every stored result (fetches in flight still finish and store theirs)."""
        self._flights.values.clear()

    def __len__(self) -> int:
        return len(self._flights.values)

    def statistics(self) -> CacheStatistics:
        """Hits, misses (underlying calls), joins, errors, evictions and expirations so far."""
        flights = self._flights
        return CacheStatistics(
            size=len(flights.values),
            evictions=flights.evictions,
            expirations=flights.expirations,
            **flights._counts(),
        )


class _Flights(SingleFlight[K, V]):
    """The single-flight core of one KeyedCache, storing ``(value, expires_at)`` in LRU order."""

    def __init__(
        self, ttl: float, max_size: int, clock: Callable[[], float], counters: dict[str, Counter]
    ) -> None:
        super().__init__()
        self.ttl = ttl
        self.max_size = max_size
        self.clock = clock
        self.counters = counters
        self.values: OrderedDict[K, tuple[V, float]] = OrderedDict()
        self.evictions = 0
        self.expirations = 0

    def _record(self, result: str) -> None:
        self.counters[result].inc()

    def _lookup(self, key: K) -> tuple[bool, V | None]:
        stored = self.values.get(key)
        if stored is None:
            return False, None
        value, expires_at = stored
        if self.clock() >= expires_at:
            del self.values[key]
            self.expirations += 1
            return False, None
        self.values.move_to_end(key)
        return True, value

    def _store(self, key: K, value: V) -> None:
        self.values[key] = (value, self.clock() + self.ttl)
        self.values.move_to_end(key)
        while len(self.values) > self.max_size:
            self.values.popitem(last=False)
            self.evictions += 1
