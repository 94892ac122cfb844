"""The sandbox registry: which fastlet runs each sandbox, decided without scanning the pool.

Placement follows the seed (filter by pool, namespace, capacity and port conflicts; score = allocated
count + 1000 when the image is not cached; lowest wins, ties random), but reads the answer from the
buckets of :mod:`._index` instead of scoring every fastlet, so an allocation costs about the same at
10,000 fastlets as at 100.

Concurrency: the registry is used from one asyncio event loop, and :meth:`SandboxRegistry.allocate`
and :meth:`SandboxRegistry.release` are synchronous: nothing awaits between choosing a fastlet and
recording the capacity and ports it takes, so no other coroutine can run in between. That is the whole
of the locking: two allocations can never both see the last free slot or the same free port, however
many requests are in flight. (The seed's Go version needs a registry lock, a per-fastlet lock and a
re-check; calling this registry from several threads would need a lock around these two methods.)
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from random import random

from shoal.api import AlreadyExistsError

from ._index import Levels
from ._model import Allocation, FastletSpec, FastletStatus, InsufficientCapacityError, SandboxRequest

IMAGE_MISS_PENALTY = 1000
"""Added to the score of a fastlet that does not have the sandbox's image cached."""


class _Slot:
    """A fastlet's books: mutable, private to the registry."""

    __slots__ = ("allocated", "healthy", "last_heartbeat", "level", "ports", "spec")

    def __init__(self, spec: FastletSpec) -> None:
        self.spec = spec
        self.allocated = 0
        self.ports: set[int] = set()
        self.healthy = True
        self.last_heartbeat: float | None = None
        self.level: int | None = None
        """The bucket this slot is filed under; None while it is not eligible (full or unhealthy)."""

    def status(self) -> FastletStatus:
        return FastletStatus(
            self.spec, self.allocated, frozenset(self.ports), self.healthy, self.last_heartbeat
        )


class _Pool:
    """The eligible fastlets of one (pool, namespace), bucketed by allocated count, overall and per image."""

    __slots__ = ("by_image", "everyone", "port_users")

    def __init__(self) -> None:
        self.everyone: Levels[_Slot] = Levels()
        self.by_image: dict[str, Levels[_Slot]] = {}
        self.port_users: dict[int, set[_Slot]] = {}

    def index(self, slot: _Slot) -> None:
        capacity = slot.spec.capacity
        if not slot.healthy or (capacity > 0 and slot.allocated >= capacity):
            return
        level = slot.level = slot.allocated
        self.everyone.add(level, slot)
        for image in slot.spec.images:
            levels = self.by_image.get(image)
            if levels is None:
                levels = self.by_image[image] = Levels()
            levels.add(level, slot)

    def unindex(self, slot: _Slot) -> None:
        level = slot.level
        if level is None:
            return
        slot.level = None
        self.everyone.remove(level, slot)
        for image in slot.spec.images:
            self.by_image[image].remove(level, slot)

    def hold_ports(self, slot: _Slot, ports: tuple[int, ...]) -> None:
        for port in ports:
            slot.ports.add(port)
            users = self.port_users.get(port)
            if users is None:
                users = self.port_users[port] = set()
            users.add(slot)

    def free_ports(self, slot: _Slot, ports: tuple[int, ...]) -> None:
        for port in ports:
            slot.ports.discard(port)
            users = self.port_users.get(port)
            if users is not None:
                users.discard(slot)
                if not users:
                    del self.port_users[port]

    def select(self, request: SandboxRequest) -> tuple[_Slot, int, bool] | None:
        """The lowest-scoring eligible fastlet without a port conflict: (slot, score, image cached)."""
        ports = request.ports
        accept: Callable[[_Slot], bool] | None = None
        if ports and any(p in self.port_users for p in ports):

            def accept(slot: _Slot) -> bool:
                return slot.ports.isdisjoint(ports)

        image = request.image
        cached_levels = self.by_image.get(image)
        hit = cached_levels.pick(accept, sys.maxsize) if cached_levels is not None else None
        if hit is not None and hit[0] < IMAGE_MISS_PENALTY:
            return hit[1], hit[0], True  # no fastlet without the image can score this low
        if hit is None:
            # No eligible fastlet with the image is free of conflicts: any acceptable one lacks it.
            miss = self.everyone.pick(accept, sys.maxsize)
        else:

            def lacks_image(slot: _Slot) -> bool:
                return image not in slot.spec.images and (accept is None or accept(slot))

            miss = self.everyone.pick(lacks_image, hit[0] - IMAGE_MISS_PENALTY + 1)
        if miss is None:
            return None if hit is None else (hit[1], hit[0], True)
        miss_score = miss[0] + IMAGE_MISS_PENALTY
        if hit is None or miss_score < hit[0] or (miss_score == hit[0] and random() < 0.5):
            return miss[1], miss_score, False
        return hit[1], hit[0], True


class SandboxRegistry:
    """Fastlets by name, their eligibility index per (pool, namespace), and the allocations made."""

    def __init__(self) -> None:
        self._slots: dict[str, _Slot] = {}
        self._pools: dict[tuple[str, str], _Pool] = {}
        self._allocations: dict[tuple[str, str], Allocation] = {}

    def __len__(self) -> int:
        return len(self._slots)

    def _pool(self, spec: FastletSpec) -> _Pool:
        key = (spec.pool, spec.namespace)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool()
        return pool

    def register(self, spec: FastletSpec) -> None:
        """Add a fastlet, or update its pool, capacity and images keeping what it already holds."""
        slot = self._slots.get(spec.name)
        if slot is None:
            slot = self._slots[spec.name] = _Slot(spec)
            self._pool(spec).index(slot)
            return
        old = self._pool(slot.spec)
        old.unindex(slot)
        held = tuple(slot.ports)
        old.free_ports(slot, held)
        slot.spec = spec
        new = self._pool(spec)
        new.hold_ports(slot, held)
        new.index(slot)

    def remove(self, name: str) -> None:
        """Forget a fastlet. Its allocations stay recorded until released."""
        slot = self._slots.pop(name, None)
        if slot is not None:
            pool = self._pool(slot.spec)
            pool.unindex(slot)
            pool.free_ports(slot, tuple(slot.ports))

    def set_health(self, name: str, healthy: bool, *, at: float | None = None) -> None:
        """Record a heartbeat result: an unhealthy fastlet gets no new sandboxes until it is healthy again."""
        slot = self._slots.get(name)
        if slot is None:
            return
        if healthy:
            slot.last_heartbeat = time.monotonic() if at is None else at
        if slot.healthy != healthy:
            pool = self._pool(slot.spec)
            pool.unindex(slot)
            slot.healthy = healthy
            pool.index(slot)

    def allocate(self, request: SandboxRequest) -> Allocation:
        """Place ``request`` on the lowest-scoring fastlet and take its capacity and ports.

        Synchronous on purpose (see the module docstring). Raises InvalidError for a bad request,
        AlreadyExistsError when the sandbox is already allocated, InsufficientCapacityError (503) when
        no fastlet qualifies.
        """
        request.validate()
        key = request.key
        if key in self._allocations:
            raise AlreadyExistsError(
                f'sandbox "{request.name}" is already allocated', name=request.name, kind="sandboxes"
            )
        pool = self._pools.get((request.pool, request.namespace))
        found = pool.select(request) if pool is not None else None
        if found is None or pool is None:
            raise InsufficientCapacityError(request)
        slot, score, cached = found
        pool.unindex(slot)
        slot.allocated += 1
        pool.hold_ports(slot, request.ports)
        pool.index(slot)
        allocation = Allocation(request, slot.spec.name, slot.spec.address, score, cached)
        self._allocations[key] = allocation
        return allocation

    def release(self, namespace: str, name: str) -> Allocation | None:
        """Give back the capacity and ports of a sandbox; None when it held none."""
        allocation = self._allocations.pop((namespace, name), None)
        if allocation is None:
            return None
        slot = self._slots.get(allocation.fastlet)
        if slot is not None:
            pool = self._pool(slot.spec)
            pool.unindex(slot)
            slot.allocated -= 1
            pool.free_ports(slot, allocation.request.ports)
            pool.index(slot)
        return allocation

    def allocation(self, namespace: str, name: str) -> Allocation | None:
        return self._allocations.get((namespace, name))

    def allocations(self) -> list[Allocation]:
        return list(self._allocations.values())

    def fastlet(self, name: str) -> FastletStatus | None:
        slot = self._slots.get(name)
        return slot.status() if slot is not None else None

    def fastlets(self) -> list[FastletStatus]:
        return [slot.status() for slot in self._slots.values()]
