"""Reconcile-scoped memoisation: one read per key per reconcile, however many helpers ask for it.

Grove's PodClique reconcile fetched the same PodCliqueSet four times, from four helper functions that
each needed it; the fix threaded a cache through the context by hand. :class:`Memo` is that cache as a
value with a lifetime: the controller creates one per reconcile and puts it on the reconcile context,
so nothing leaks from one reconcile into the next and stale reads cannot outlive the reconcile that made
them. Concurrent helpers asking for the same key share one call (single-flight); a failed call is not
remembered, so the next ask tries again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar, cast

from ._flight import CacheStatistics, SingleFlight

V = TypeVar("V")


class Memo(SingleFlight[Hashable, Any]):
    """Results of async calls for the lifetime of one reconcile, keyed by any hashable value.

    ::

        pcs = await ctx.memo.get(("podcliquesets", namespace, name), lambda: reader.get(PCS, name, ...))

    There is no expiry and no size limit: a Memo lives for one reconcile and is then dropped. Use
    :class:`KeyedCache` for results shared across reconciles.
    """

    def __init__(self) -> None:
        super().__init__()
        self._values: dict[Hashable, Any] = {}

    async def get(self, key: Hashable, fetch: Callable[[], Awaitable[V]]) -> V:
        """The result of ``fetch()`` for ``key``: stored, in flight (joined), or fetched now.

        Raises:
            Exception: whatever ``fetch`` raised, to every caller sharing that call; nothing is stored.
        """
        return cast("V", await self._get(key, fetch))

    def invalidate(self, key: Hashable) -> None:
        """Forget ``key`` (after this reconcile wrote the object, say); a call in flight is unaffected."""
        self._values.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def statistics(self) -> CacheStatistics:
        """Hits, misses (underlying calls), joins and errors so far."""
        return CacheStatistics(size=len(self._values), **self._counts())

    def _lookup(self, key: Hashable) -> tuple[bool, Any]:
        if key in self._values:
            return True, self._values[key]
        return False, None

    def _store(self, key: Hashable, value: Any) -> None:
        self._values[key] = value
