"""ComponentGraph: dependency order, critical-path starts, failure isolation, reverse delete, cycles."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from hypothesis import given, settings, strategies as st

from shoal.fanout import Component, ComponentGraph, DependencyCycleError, Outcome

from ._support import Blocker, cancel_after_start, steps


class Recorder:
    """Builds actions that log ``(event, name)`` and take a few scheduler rounds."""

    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def action(self, name: str, rounds: int = 1, *, fail: bool = False) -> Component:
        def make(verb: str) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                self.log.append((f"{verb}-start", name))
                await steps(rounds)
                if fail:
                    raise RuntimeError(f"{name} broke")
                self.log.append((f"{verb}-end", name))

            return run

        return Component(name, make("sync"), make("delete"))

    def index(self, event: str, name: str) -> int:
        return self.log.index((event, name))


def declare(graph: ComponentGraph, recorder: Recorder, name: str, deps: tuple[str, ...], **kw: int) -> None:
    component = recorder.action(name, **kw)  # type: ignore[arg-type]
    graph.add(name, component.sync_fn, component.delete_fn, depends_on=deps)


@st.composite
def dags(draw: st.DrawFn) -> list[tuple[str, tuple[str, ...], int]]:
    size = draw(st.integers(min_value=1, max_value=12))
    nodes = []
    for i in range(size):
        deps = draw(st.sets(st.integers(min_value=0, max_value=i - 1), max_size=3)) if i else set()
        nodes.append((f"c{i}", tuple(f"c{d}" for d in sorted(deps)), draw(st.integers(0, 4))))
    return nodes


@settings(max_examples=60, deadline=None)
@given(nodes=dags())
def test_every_component_starts_only_after_its_dependencies_and_deletes_in_reverse(
    nodes: list[tuple[str, tuple[str, ...], int]],
) -> None:
    graph = ComponentGraph()
    recorder = Recorder()
    for name, deps, rounds in reversed(nodes):  # forward references are allowed
        declare(graph, recorder, name, deps, rounds=rounds)

    result = asyncio.run(graph.sync())
    assert result.ok
    for name, deps, _ in nodes:
        for dep in deps:
            assert recorder.index("sync-end", dep) < recorder.index("sync-start", name)
            assert result[dep].finished <= result[name].started  # type: ignore[operator]

    recorder.log.clear()
    result = asyncio.run(graph.delete())
    assert result.ok
    for name, deps, _ in nodes:
        for dep in deps:
            assert recorder.index("delete-end", name) < recorder.index("delete-start", dep)


async def test_a_component_starts_while_a_slow_unrelated_component_is_still_running() -> None:
    # Fixed groups would hold "podclique" until the slow "hpa" of the first group finished; here
    # "podgang" (two levels down) releases "hpa", so the run completes only if scheduling follows edges.
    hpa_released = asyncio.Event()
    order: list[str] = []

    async def hpa() -> None:
        await hpa_released.wait()
        order.append("hpa")

    async def quick(name: str) -> None:
        await steps(1)
        order.append(name)

    async def podgang() -> None:
        order.append("podgang")
        hpa_released.set()

    graph = ComponentGraph()
    graph.add("serviceaccount", lambda: quick("serviceaccount"))
    graph.add("hpa", hpa)
    graph.add("podclique", lambda: quick("podclique"), depends_on=["serviceaccount"])
    graph.add("podgang", podgang, depends_on=["podclique"])
    result = await graph.sync()
    assert result.ok
    assert order == ["serviceaccount", "podclique", "podgang", "hpa"]
    assert result["podgang"].finished <= result["hpa"].finished  # type: ignore[operator]


async def test_a_failure_skips_only_its_dependants() -> None:
    graph = ComponentGraph()
    recorder = Recorder()
    declare(graph, recorder, "role", ())
    declare(graph, recorder, "rolebinding", ("role",), fail=True)
    declare(graph, recorder, "podclique", ("rolebinding",))
    declare(graph, recorder, "podgang", ("podclique", "role"))
    declare(graph, recorder, "service", (), rounds=5)
    declare(graph, recorder, "hpa", ("service",))

    result = await graph.sync()
    assert not result.ok
    assert result.by_outcome(Outcome.SUCCEEDED) == ("role", "service", "hpa")
    assert result.by_outcome(Outcome.FAILED) == ("rolebinding",)
    assert result["podclique"].outcome is Outcome.SKIPPED
    assert result["podclique"].blocked_by == "rolebinding"
    assert result["podgang"].blocked_by == "rolebinding"
    assert result["podgang"].started is None
    assert result["podgang"].duration is None
    assert isinstance(result["rolebinding"].error, RuntimeError)
    with pytest.raises(ExceptionGroup, match="rolebinding") as caught:
        result.raise_for_failures()
    assert [str(e) for e in caught.value.exceptions] == ["rolebinding broke"]


async def test_fail_fast_cancels_running_components_and_never_starts_the_rest() -> None:
    blocker = Blocker()
    graph = ComponentGraph()
    recorder = Recorder()
    graph.add("slow", lambda: blocker.wait_forever("slow"))
    declare(graph, recorder, "broken", (), rounds=2, fail=True)
    declare(graph, recorder, "after-slow", ("slow",))

    result = await graph.sync(fail_fast=True)
    assert blocker.cancelled == ["slow"]
    assert result["slow"].outcome is Outcome.CANCELLED
    assert result["broken"].outcome is Outcome.FAILED
    assert result["after-slow"].outcome is Outcome.SKIPPED
    assert result["after-slow"].blocked_by == "slow"


async def test_delete_failure_keeps_what_the_failed_component_depends_on() -> None:
    graph = ComponentGraph()
    recorder = Recorder()
    declare(graph, recorder, "serviceaccount", ())
    declare(graph, recorder, "pods", ("serviceaccount",), fail=True)
    declare(graph, recorder, "service", ())
    result = await graph.delete()
    assert result.operation == "delete"
    assert result["pods"].outcome is Outcome.FAILED
    assert result["serviceaccount"].outcome is Outcome.SKIPPED
    assert result["service"].outcome is Outcome.SUCCEEDED


async def test_components_can_be_objects_and_delete_may_be_absent() -> None:
    class Secret:
        name = "secret"
        depends_on = ("serviceaccount",)

        def __init__(self) -> None:
            self.calls: list[str] = []

        async def sync(self) -> None:
            self.calls.append("sync")

        async def delete(self) -> None:
            self.calls.append("delete")

    async def nothing() -> None:
        return None

    secret = Secret()
    graph = ComponentGraph()
    graph.add(secret)
    graph.add("serviceaccount", nothing)
    assert graph.names == ("secret", "serviceaccount")
    assert (await graph.sync()).ok
    assert (await graph.delete()).ok
    assert secret.calls == ["sync", "delete"]


@pytest.mark.parametrize(
    ("edges", "cycle"),
    [
        ([("a", ("b",)), ("b", ("c",)), ("c", ("a",))], ("c", "a", "b", "c")),
        ([("a", ("a",))], ("a", "a")),
        ([("a", ()), ("b", ("a", "c")), ("c", ("b",))], ("c", "b", "c")),
    ],
)
def test_a_cycle_is_rejected_when_declared_and_named(
    edges: list[tuple[str, tuple[str, ...]]], cycle: tuple[str, ...]
) -> None:
    async def nothing() -> None:
        return None

    graph = ComponentGraph()
    *head, (last, last_deps) = edges
    for name, deps in head:
        graph.add(name, nothing, depends_on=deps)
    with pytest.raises(DependencyCycleError) as caught:
        graph.add(last, nothing, depends_on=last_deps)
    assert caught.value.cycle == cycle
    assert " -> ".join(cycle) in str(caught.value)
    assert last not in graph.names


async def test_undeclared_dependencies_and_duplicates_are_rejected_before_anything_runs() -> None:
    graph = ComponentGraph()
    recorder = Recorder()
    declare(graph, recorder, "podgang", ("podclique",))
    with pytest.raises(ValueError, match="podclique"):
        await graph.sync()
    assert recorder.log == []
    with pytest.raises(ValueError, match="already declared"):
        declare(graph, recorder, "podgang", ())


async def test_cancelling_the_caller_cancels_the_running_components() -> None:
    blocker = Blocker()
    graph = ComponentGraph()
    graph.add("a", lambda: blocker.wait_forever("a"))
    graph.add("b", lambda: blocker.wait_forever("b"))
    task = asyncio.create_task(graph.sync())
    await cancel_after_start(task, blocker)
    assert sorted(blocker.cancelled) == ["a", "b"]
