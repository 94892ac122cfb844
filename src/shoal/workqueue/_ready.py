"""The order in which ready items reach workers: priority first, with aging so nothing starves.

Why: controller-runtime's priority queue puts initial-list and resync events at priority -100 so fresh
changes skip a startup backlog, but its order is strictly by priority, so a steady stream of priority-0
events starves the -100 items for ever (controller-runtime issue #3496). Shoal keeps the fast lane and
bounds the slow one.

The rule:

* Normally the next item is the one with the highest priority; within a priority, the one that became
  ready first (FIFO). Raising the priority of a ready item moves it to the back of its new priority
  level, as controller-runtime does.
* An item that has been ready for at least ``aging_threshold`` seconds (its priority raised or not) is
  *overdue*. While overdue items exist, every second pick goes to the overdue item that became ready
  first, whatever its priority; the other picks keep the priority order.

Consequences. A fresh high-priority item is never behind more than one overdue pick per normal pick,
so it is served next even behind a 10,000-item low-priority backlog (before the threshold it is simply
first; after it, second at worst). An item that waits past the threshold gets at least half of the
workers' picks shared among the overdue items older than it, so under any stream of high-priority adds
it is served after a bounded number of picks: every item finishes.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class _Ready(Generic[T]):
    __slots__ = ("item", "priority", "ready_at")

    def __init__(self, item: T, priority: int, ready_at: float) -> None:
        self.item = item
        self.priority = priority
        self.ready_at = ready_at


class ReadyItems(Generic[T]):
    """Items ready for a worker, each with its priority; ``pop`` applies the aging rule above.

    One FIFO per priority level (a level is where an entry joined or was raised to; its copy in a
    lower level is then stale), plus one FIFO of every entry in the order it became ready. Stale
    copies are dropped when they reach the front, so every operation is O(1) amortised, plus a
    binary search when a new priority level appears.
    """

    def __init__(self, aging_threshold: float) -> None:
        if aging_threshold <= 0:
            raise ValueError("aging_threshold must be positive")
        self.aging_threshold = aging_threshold
        self._entries: dict[T, _Ready[T]] = {}
        self._levels: dict[int, deque[_Ready[T]]] = {}
        # The priorities of ``_levels``, negated and sorted: the highest priority first.
        self._order: list[int] = []
        # Entries in the order they became ready (ready_at never decreases); stale when they left.
        self._by_age: deque[_Ready[T]] = deque()
        self._overdue_turn = True

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, item: object) -> bool:
        return item in self._entries

    def priority(self, item: T) -> int | None:
        """The priority of a ready item, or None when it is not ready."""
        entry = self._entries.get(item)
        return None if entry is None else entry.priority

    def push(self, item: T, priority: int, now: float) -> None:
        """Make a not-yet-ready ``item`` ready at ``now``."""
        entry = _Ready(item, priority, now)
        self._entries[item] = entry
        self._level(priority).append(entry)
        self._by_age.append(entry)

    def raise_priority(self, item: T, priority: int) -> bool:
        """Move a ready item up to ``priority`` (never down); True when it moved."""
        entry = self._entries[item]
        if priority <= entry.priority:
            return False
        entry.priority = priority
        self._level(priority).append(entry)
        return True

    def pop(self, now: float) -> tuple[T, int]:
        """Take the next item (see the module rule) with its priority. The set must not be empty."""
        entries, by_age = self._entries, self._by_age
        oldest = by_age[0]
        while entries.get(oldest.item) is not oldest:  # drop entries that left
            by_age.popleft()
            oldest = by_age[0]
        if self._overdue_turn and now - oldest.ready_at >= self.aging_threshold:
            self._overdue_turn = False
            entry = oldest
        else:
            self._overdue_turn = True
            entry = self._highest()
        del entries[entry.item]
        return entry.item, entry.priority

    def _level(self, priority: int) -> deque[_Ready[T]]:
        level = self._levels.get(priority)
        if level is None:
            level = self._levels[priority] = deque()
            bisect.insort(self._order, -priority)
        return level

    def _highest(self) -> _Ready[T]:
        entries, levels, order = self._entries, self._levels, self._order
        while True:
            priority = -order[0]
            level = levels[priority]
            while level:
                entry = level.popleft()
                if entry.priority == priority and entries.get(entry.item) is entry:
                    return entry
            del levels[priority], order[0]
