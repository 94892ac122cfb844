"""SandboxRegistry: placement by score, capacity and ports never over-committed, release, bad input."""

from __future__ import annotations

import asyncio
import random

import pytest
from hypothesis import given, settings, strategies as st

from shoal.api import AlreadyExistsError, InvalidError
from shoal.examples.sandboxes import (
    IMAGE_MISS_PENALTY,
    FastletSpec,
    InsufficientCapacityError,
    SandboxRegistry,
    SandboxRequest,
)

IMAGES = ("alpine", "nginx", "redis")


def fastlet(
    name: str, *, capacity: int = 10, images: tuple[str, ...] = IMAGES, pool: str = "p"
) -> FastletSpec:
    return FastletSpec(name, pool, "default", capacity, frozenset(images), f"http://x/{name}")


def sandbox(
    name: str, *, image: str = "alpine", ports: tuple[int, ...] = (), pool: str = "p"
) -> SandboxRequest:
    return SandboxRequest(name, "default", pool, image, ports)


def check_books(registry: SandboxRegistry) -> None:
    """Every fastlet within capacity, ports held by one sandbox each, books matching the allocations."""
    by_fastlet: dict[str, list[SandboxRequest]] = {}
    for allocation in registry.allocations():
        by_fastlet.setdefault(allocation.fastlet, []).append(allocation.request)
    for status in registry.fastlets():
        held = by_fastlet.get(status.spec.name, [])
        assert status.allocated == len(held)
        if status.spec.capacity > 0:
            assert status.allocated <= status.spec.capacity
        ports = [p for request in held for p in request.ports]
        assert len(ports) == len(set(ports)), f"port conflict on {status.spec.name}: {ports}"
        assert status.used_ports == frozenset(ports)


def best_score(registry: SandboxRegistry, request: SandboxRequest) -> int | None:
    """The seed's O(N) placement: the lowest score over every eligible fastlet."""
    scores = [
        s.allocated + (0 if request.image in s.spec.images else IMAGE_MISS_PENALTY)
        for s in registry.fastlets()
        if s.healthy
        and s.spec.pool == request.pool
        and s.spec.namespace == request.namespace
        and (s.spec.capacity == 0 or s.allocated < s.spec.capacity)
        and s.used_ports.isdisjoint(request.ports)
    ]
    return min(scores, default=None)


def test_lowest_score_wins_and_cached_image_beats_load() -> None:
    registry = SandboxRegistry()
    registry.register(fastlet("busy-cached", images=("alpine",)))
    registry.register(fastlet("idle-uncached", images=("nginx",)))
    for i in range(5):
        registry.allocate(sandbox(f"warm-{i}"))
    assert registry.fastlet("busy-cached").allocated == 5  # type: ignore[union-attr]
    placed = registry.allocate(sandbox("next"))
    assert (placed.fastlet, placed.score, placed.image_cached) == ("busy-cached", 5, True)
    placed = registry.allocate(sandbox("other-image", image="ubuntu"))
    assert (placed.fastlet, placed.score, placed.image_cached) == ("idle-uncached", IMAGE_MISS_PENALTY, False)


def test_least_allocated_wins_and_ties_are_random() -> None:
    registry = SandboxRegistry()
    for name in ("a", "b", "c"):
        registry.register(fastlet(name))
    first = {registry.allocate(sandbox(f"s{i}")).fastlet for i in range(3)}
    assert first == {"a", "b", "c"}, "each of the three goes to a different idle fastlet"
    chosen = set()
    for i in range(60):
        allocation = registry.allocate(sandbox(f"t{i}"))
        chosen.add(allocation.fastlet)
        registry.release("default", f"t{i}")
    assert chosen == {"a", "b", "c"}


def test_filters_pool_namespace_capacity_and_ports() -> None:
    registry = SandboxRegistry()
    registry.register(fastlet("other-pool", pool="q"))
    registry.register(FastletSpec("other-ns", "p", "elsewhere", 10, frozenset(IMAGES)))
    registry.register(fastlet("small", capacity=1))
    assert registry.allocate(sandbox("one", ports=(8080,))).fastlet == "small"
    with pytest.raises(InsufficientCapacityError) as caught:
        registry.allocate(sandbox("two"))
    assert caught.value.code == 503
    registry.register(fastlet("big", capacity=3))
    registry.allocate(sandbox("web", ports=(8080, 9090)))
    with pytest.raises(InsufficientCapacityError):
        registry.allocate(sandbox("web-2", ports=(9090,)))


def test_release_frees_capacity_and_ports() -> None:
    registry = SandboxRegistry()
    registry.register(fastlet("only", capacity=1))
    registry.allocate(sandbox("a", ports=(8080,)))
    with pytest.raises(InsufficientCapacityError):
        registry.allocate(sandbox("b", ports=(8080,)))
    released = registry.release("default", "a")
    assert released is not None
    assert released.fastlet == "only"
    assert registry.release("default", "a") is None
    status = registry.fastlet("only")
    assert status is not None
    assert status.allocated == 0
    assert not status.used_ports
    assert registry.allocate(sandbox("b", ports=(8080,))).fastlet == "only"


def test_unhealthy_fastlets_get_nothing_until_they_recover() -> None:
    registry = SandboxRegistry()
    registry.register(fastlet("sick"))
    registry.set_health("sick", False)
    with pytest.raises(InsufficientCapacityError):
        registry.allocate(sandbox("a"))
    registry.set_health("sick", True)
    assert registry.allocate(sandbox("a")).fastlet == "sick"


def test_reregistering_keeps_what_a_fastlet_holds() -> None:
    registry = SandboxRegistry()
    registry.register(fastlet("f", capacity=2))
    registry.allocate(sandbox("a", ports=(80,)))
    registry.register(fastlet("f", capacity=2, images=("nginx",)))
    status = registry.fastlet("f")
    assert status is not None
    assert status.allocated == 1
    assert status.used_ports == {80}
    registry.allocate(sandbox("b"))
    with pytest.raises(InsufficientCapacityError):
        registry.allocate(sandbox("c"))


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (sandbox("bad", ports=(0,)), "spec.exposedPorts[0]"),
        (sandbox("bad", ports=(80, 65536)), "spec.exposedPorts[1]"),
        (sandbox("bad", ports=(80, 80)), "spec.exposedPorts[1]"),
        (sandbox("bad", image=""), "spec.image"),
        (sandbox("bad", pool=""), "spec.poolRef"),
        (sandbox(""), "metadata.name"),
    ],
)
def test_bad_requests_name_the_field_and_take_nothing(request_: SandboxRequest, field: str) -> None:
    registry = SandboxRegistry()
    registry.register(fastlet("f"))
    with pytest.raises(InvalidError) as caught:
        registry.allocate(request_)
    assert field in caught.value.fields
    assert registry.fastlet("f").allocated == 0  # type: ignore[union-attr]


def test_a_sandbox_is_allocated_once() -> None:
    registry = SandboxRegistry()
    registry.register(fastlet("f"))
    registry.allocate(sandbox("a"))
    with pytest.raises(AlreadyExistsError):
        registry.allocate(sandbox("a"))
    assert registry.fastlet("f").allocated == 1  # type: ignore[union-attr]


async def test_thousands_of_concurrent_allocations_never_over_commit() -> None:
    registry = SandboxRegistry()
    for i in range(200):
        registry.register(fastlet(f"f{i}", capacity=10, images=IMAGES[: i % 3 + 1]))
    rng = random.Random(7)
    requests = [
        sandbox(f"s{i}", image=rng.choice((*IMAGES, "ubuntu")), ports=tuple(rng.sample(range(8000, 8004), 2)))
        for i in range(3000)
    ]

    async def allocate(request: SandboxRequest) -> bool:
        await asyncio.sleep(0)
        try:
            registry.allocate(request)
        except InsufficientCapacityError:
            return False
        await asyncio.sleep(0)
        return True

    async with asyncio.TaskGroup() as tg:
        tasks = [tg.create_task(allocate(r)) for r in requests]
    placed = sum(t.result() for t in tasks)
    check_books(registry)
    assert placed == len(registry.allocations())
    assert placed <= 200 * 2, "two ports of four per sandbox: at most two sandboxes per fastlet"


_ops = st.lists(
    st.one_of(
        st.tuples(
            st.just("allocate"),
            st.sampled_from(("p", "q")),
            st.sampled_from((*IMAGES, "ubuntu")),
            st.lists(st.integers(80, 84), max_size=2, unique=True),
        ),
        st.tuples(st.just("release"), st.integers(0, 40)),
        st.tuples(st.just("health"), st.integers(0, 7), st.booleans()),
    ),
    max_size=60,
)
_fleets = st.lists(
    st.tuples(
        st.sampled_from(("p", "q")),
        st.integers(0, 4),
        st.frozensets(st.sampled_from(IMAGES), max_size=3),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(fleet=_fleets, ops=_ops)
def test_allocation_matches_a_full_scan_and_keeps_the_books(
    fleet: list[tuple[str, int, frozenset[str]]], ops: list[tuple[object, ...]]
) -> None:
    registry = SandboxRegistry()
    for i, (pool, capacity, images) in enumerate(fleet):
        registry.register(FastletSpec(f"f{i}", pool, "default", capacity, images))
    made: list[str] = []
    for n, op in enumerate(ops):
        if op[0] == "allocate":
            _, pool, image, ports = op
            request = SandboxRequest(f"s{n}", "default", str(pool), str(image), tuple(ports))  # type: ignore[arg-type]
            expected = best_score(registry, request)
            try:
                allocation = registry.allocate(request)
            except InsufficientCapacityError:
                assert expected is None
            else:
                assert allocation.score == expected
                made.append(request.name)
        elif op[0] == "release" and made:
            registry.release("default", made.pop(int(op[1]) % len(made)))  # type: ignore[call-overload]
        elif op[0] == "health":
            registry.set_health(f"f{int(op[1]) % len(fleet)}", bool(op[2]))  # type: ignore[call-overload]
        check_books(registry)
