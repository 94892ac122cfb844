"""The data structures that let allocation skip most fastlets instead of scoring every one.

The seed copies every fastlet pointer and scores each one, so an allocation costs O(N). Here each
(pool, namespace) keeps its eligible fastlets (healthy, not full) in buckets by allocated count, once
for the whole pool and once per cached image. The lowest score is then found in the first non-empty
bucket, and a random member of a bucket is an O(1) pick, which is how ties go to a random fastlet.

Port conflicts are the one filter a bucket cannot answer; :meth:`Levels.pick` draws a few random
members and, only if they all conflict, scans the bucket from a random offset. Every fastlet in a
bucket that conflicts holds one of the requested ports, so the scan is bounded by the number of holders
of those ports (``Pool.port_users``), not by the pool.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable
from random import random
from typing import Generic, TypeVar

T = TypeVar("T")

PROBES = 4
"""Random draws from a bucket before falling back to a scan."""


class IndexedSet(Generic[T]):
    """A set with O(1) add, remove and uniform random choice (a list plus positions)."""

    __slots__ = ("items", "positions")

    def __init__(self) -> None:
        self.items: list[T] = []
        self.positions: dict[T, int] = {}

    def __len__(self) -> int:
        return len(self.items)

    def __contains__(self, item: object) -> bool:
        return item in self.positions

    def add(self, item: T) -> None:
        if item not in self.positions:
            self.positions[item] = len(self.items)
            self.items.append(item)

    def remove(self, item: T) -> None:
        """Remove ``item`` (KeyError when absent): the last item takes its slot."""
        index = self.positions.pop(item)
        last = self.items.pop()
        if index < len(self.items):
            self.items[index] = last
            self.positions[last] = index

    def choice(self) -> T:
        return self.items[int(random() * len(self.items))]


class Levels(Generic[T]):
    """Members bucketed by an integer level (a fastlet's allocated count), lowest level first."""

    __slots__ = ("buckets", "keys")

    def __init__(self) -> None:
        self.buckets: dict[int, IndexedSet[T]] = {}
        self.keys: list[int] = []

    def __len__(self) -> int:
        return sum(len(b) for b in self.buckets.values())

    def add(self, level: int, item: T) -> None:
        bucket = self.buckets.get(level)
        if bucket is None:
            bucket = self.buckets[level] = IndexedSet()
            insort(self.keys, level)
        bucket.add(item)

    def remove(self, level: int, item: T) -> None:
        bucket = self.buckets[level]
        bucket.remove(item)
        if not bucket.items:
            del self.buckets[level]
            del self.keys[bisect_left(self.keys, level)]

    def pick(self, accept: Callable[[T], bool] | None, below: int) -> tuple[int, T] | None:
        """The lowest level under ``below`` with a member ``accept`` takes, and a random such member.

        ``accept`` None takes every member (the common case: no ports, or nobody holds them).
        """
        for level in self.keys:
            if level >= below:
                return None
            bucket = self.buckets[level]
            if accept is None:
                return level, bucket.choice()
            found = pick_from(bucket, accept)
            if found is not None:
                return level, found
        return None


def pick_from(bucket: IndexedSet[T], accept: Callable[[T], bool]) -> T | None:
    """A random member of ``bucket`` that ``accept`` takes, or None when no member qualifies."""
    items = bucket.items
    size = len(items)
    for _ in range(min(PROBES, size)):
        item = items[int(random() * size)]
        if accept(item):
            return item
    start = int(random() * size)
    for i in range(size):
        item = items[(start + i) % size]
        if accept(item):
            return item
    return None
