"""Single-flight: concurrent callers asking for the same key share one in-flight call.

Both the reconcile-scoped :class:`Memo` and the process-wide :class:`KeyedCache` need the same core:
the first caller for a key (the leader) runs the fetch; callers arriving while it runs join it and get
its result or its error; a finished result is stored by the subclass, an error never is. The rules that
are easy to get wrong live here once:

* a joining caller that is cancelled leaves the flight running for the others (``asyncio.shield``);
* a leader that is cancelled does not cancel the joiners: they start a new flight, one of them leading;
* an error reaches every caller of that flight, then the key is free again (errors are not cached).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheStatistics:
    """Counters of a :class:`Memo` or :class:`KeyedCache` since it was created."""

    hits: int
    """Calls answered from a stored result."""
    misses: int
    """Calls that ran the fetch themselves (each one underlying call)."""
    joins: int
    """Calls that waited for a fetch another caller had already started."""
    errors: int
    """Fetches that raised (their error went to every caller that shared them)."""
    evictions: int = 0
    """Results dropped to stay within ``max_size``."""
    expirations: int = 0
    """Results found older than ``ttl`` and fetched again."""
    size: int
    """Results stored now."""
    in_flight: int
    """Fetches running now."""


class _LeaderCancelledError(Exception):
    """The caller running a flight was cancelled; the callers that joined it start a new one."""


class SingleFlight(Generic[K, V]):
    """The shared core; subclasses decide how a result is stored (:meth:`_lookup`, :meth:`_store`)."""

    def __init__(self) -> None:
        self._flights: dict[K, asyncio.Future[V]] = {}
        self._hits = 0
        self._misses = 0
        self._joins = 0
        self._errors = 0

    def _lookup(self, key: K) -> tuple[bool, V | None]:
        """``(True, value)`` when a usable result is stored for ``key``."""
        raise NotImplementedError

    def _store(self, key: K, value: V) -> None:
        raise NotImplementedError

    def _record(self, result: str) -> None:
        """Called with ``"hit"``, ``"miss"`` or ``"join"`` for every call; subclasses export it."""

    async def _get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        while True:
            found, value = self._lookup(key)
            if found:
                self._hits += 1
                self._record("hit")
                return value  # type: ignore[return-value]
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, fetch)
            self._joins += 1
            self._record("join")
            try:
                return await asyncio.shield(flight)
            except _LeaderCancelledError:
                continue

    async def _lead(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        flight: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        self._misses += 1
        self._record("miss")
        try:
            value = await fetch()
        except Exception as error:
            self._errors += 1
            self._finish(key, flight)
            flight.set_exception(error)
            flight.exception()  # retrieved: no "never retrieved" report when nobody joined
            raise
        except BaseException:
            self._finish(key, flight)
            flight.set_exception(_LeaderCancelledError())
            flight.exception()
            raise
        self._store(key, value)
        self._finish(key, flight)
        flight.set_result(value)
        return value

    def _finish(self, key: K, flight: asyncio.Future[V]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]

    def _counts(self) -> dict[str, int]:
        return {
            "hits": self._hits,
            "misses": self._misses,
            "joins": self._joins,
            "errors": self._errors,
            "in_flight": len(self._flights),
        }
