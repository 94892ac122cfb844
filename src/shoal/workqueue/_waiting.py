"""Items that become ready later (``add_after`` and rate-limited retries), ordered by deadline.

One min-heap keyed by ready time plus a map for deduplication, as client-go's delaying queue: adding an
item that is already waiting keeps the earlier deadline and the higher priority. The heap is lazy
(superseded entries are skipped when they surface), so every operation is O(log n) and no item needs a
task or a timer of its own; the work queue arms a single clock timer for the earliest deadline.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Hashable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class _Waiting(Generic[T]):
    __slots__ = ("item", "priority", "ready_at")

    def __init__(self, item: T, priority: int, ready_at: float) -> None:
        self.item = item
        self.priority = priority
        self.ready_at = ready_at


class WaitingItems(Generic[T]):
    """A deadline-ordered set of items, each with the priority it will be added with."""

    def __init__(self) -> None:
        self._entries: dict[T, _Waiting[T]] = {}
        self._heap: list[tuple[float, int, _Waiting[T]]] = []
        self._sequence = itertools.count()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item: object) -> bool:
        return item in self._entries

    def put(self, item: T, priority: int, ready_at: float) -> None:
        """Wait for ``item`` until ``ready_at``; an existing entry keeps the sooner deadline and the
        higher priority."""
        entry = self._entries.get(item)
        if entry is None:
            entry = _Waiting(item, priority, ready_at)
            self._entries[item] = entry
        else:
            entry.priority = max(entry.priority, priority)
            if ready_at >= entry.ready_at:
                return
            entry = _Waiting(item, entry.priority, ready_at)
            self._entries[item] = entry
        heapq.heappush(self._heap, (ready_at, next(self._sequence), entry))

    def remove(self, item: T) -> int | None:
        """Stop waiting for ``item``; return its priority, or None when it was not waiting."""
        entry = self._entries.pop(item, None)
        return None if entry is None else entry.priority

    def next_deadline(self) -> float | None:
        """The earliest deadline of a waiting item, or None when nothing waits."""
        heap, entries = self._heap, self._entries
        while heap:
            entry = heap[0][2]
            if entries.get(entry.item) is entry:
                return entry.ready_at
            heapq.heappop(heap)
        return None

    def pop_due(self, now: float) -> Iterator[tuple[T, int]]:
        """Remove and yield ``(item, priority)`` for every item whose deadline is ``<= now``, soonest
        first."""
        heap, entries = self._heap, self._entries
        while heap and heap[0][0] <= now:
            entry = heapq.heappop(heap)[2]
            if entries.get(entry.item) is entry:
                del entries[entry.item]
                yield entry.item, entry.priority

    def clear(self) -> None:
        self._entries.clear()
        self._heap.clear()
