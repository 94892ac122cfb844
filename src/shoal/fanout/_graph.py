"""Sync a parent object's components in dependency order, each one the moment its dependencies are done.

Grove's PodCliqueSet reconcile synced 12 kinds of component one after another, then in three fixed
groups run concurrently group by group. Fixed groups wait for the slowest member of a group before any
member of the next group starts, even a member that depends on nothing slow. :class:`ComponentGraph`
schedules on the dependency edges themselves: a component starts as soon as every component it
``depends_on`` has finished, so a sync takes the critical path of the graph — never longer than the
fixed groups (every group boundary is a superset of the real edges) and shorter whenever one member of a
group is slow. ``delete()`` runs the same graph in reverse: a component is deleted after everything that
depends on it.

A failure stops only what depends on the failed component; independent branches run to their end. The
result names each component's outcome, start and finish. Cycles are rejected when declared, with the
cycle spelled out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, overload

from ._results import ComponentResult, DependencyCycleError, GraphResult, Outcome

Action = Callable[[], Awaitable[object]]
"""What a component does on sync or delete: an async callable taking no arguments."""


class ComponentLike(Protocol):
    """Anything with a name, its dependencies and async ``sync``/``delete`` methods is a component."""

    @property
    def name(self) -> str: ...

    @property
    def depends_on(self) -> Sequence[str]: ...

    async def sync(self) -> object: ...

    async def delete(self) -> object: ...


@dataclass(frozen=True, slots=True)
class Component:
    """A component declared from functions: ``Component("role", sync_role, delete_role, ("sa",))``.

    ``delete`` may be ``None`` when the component has nothing to remove (owner references do it).
    """

    name: str
    sync_fn: Action
    delete_fn: Action | None = None
    depends_on: tuple[str, ...] = ()

    async def sync(self) -> object:
        return await self.sync_fn()

    async def delete(self) -> object:
        return None if self.delete_fn is None else await self.delete_fn()


class ComponentGraph:
    """Components with ``depends_on`` edges; :meth:`sync` and :meth:`delete` run them on the critical path.

    Declare once (per controller or per reconcile), run many times; each run is independent.
    """

    def __init__(self) -> None:
        self._components: dict[str, ComponentLike] = {}

    @overload
    def add(self, component: ComponentLike, /) -> None: ...
    @overload
    def add(
        self, name: str, sync: Action, delete: Action | None = None, /, *, depends_on: Sequence[str] = ()
    ) -> None: ...

    def add(
        self,
        component: ComponentLike | str,
        sync: Action | None = None,
        delete: Action | None = None,
        /,
        *,
        depends_on: Sequence[str] = (),
    ) -> None:
        """Declare a component, as an object or as ``(name, sync, delete, depends_on=...)``.

        Dependencies may be declared later (a forward reference); :meth:`sync` checks they all exist.

        Raises:
            ValueError: the name is empty or already declared, or ``sync`` is missing.
            DependencyCycleError: the new edges close a cycle; the graph is left unchanged.
        """
        if isinstance(component, str):
            if sync is None:
                raise ValueError(f"component {component!r}: a sync function is required")
            component = Component(component, sync, delete, tuple(depends_on))
        name = component.name
        if not name:
            raise ValueError("component name must not be empty")
        if name in self._components:
            raise ValueError(f"component {name!r} is already declared")
        self._components[name] = component
        cycle = self._cycle_through(name)
        if cycle:
            del self._components[name]
            raise DependencyCycleError(cycle)

    @property
    def names(self) -> tuple[str, ...]:
        """The declared component names, in declaration order."""
        return tuple(self._components)

    def _cycle_through(self, start: str) -> tuple[str, ...]:
        """A dependency path from ``start`` back to itself, or ``()``; only a new node can close one."""
        path: list[str] = [start]
        visited: set[str] = set()

        def visit(name: str) -> bool:
            for dep in self._components[name].depends_on:
                if dep == start:
                    path.append(dep)
                    return True
                if dep in visited or dep not in self._components:
                    continue
                visited.add(dep)
                path.append(dep)
                if visit(dep):
                    return True
                path.pop()
            return False

        return tuple(path) if visit(start) else ()

    def _check_complete(self) -> None:
        for component in self._components.values():
            missing = [dep for dep in component.depends_on if dep not in self._components]
            if missing:
                raise ValueError(
                    f"component {component.name!r} depends on undeclared component(s): {', '.join(missing)}"
                )

    async def sync(self, *, fail_fast: bool = False) -> GraphResult:
        """Sync every component, each as soon as all of its ``depends_on`` have succeeded.

        Args:
            fail_fast: cancel everything still running at the first failure (the others end as
                ``cancelled``). Defaults to ``False``: only the failed component's dependants are skipped.

        Returns:
            A :class:`GraphResult` with one :class:`ComponentResult` per component, in declaration order.
            Failures are reported there, not raised; call :meth:`GraphResult.raise_for_failures`.

        Raises:
            ValueError: a component depends on one never declared (nothing runs).
            asyncio.CancelledError: the caller was cancelled; every running component was cancelled too.
        """
        self._check_complete()
        prerequisites = {name: tuple(c.depends_on) for name, c in self._components.items()}
        return await self._run("sync", prerequisites, fail_fast)

    async def delete(self, *, fail_fast: bool = False) -> GraphResult:
        """Delete every component after everything that depends on it; the reverse of :meth:`sync`.

        A component whose dependant failed to delete is skipped (it may still be in use).
        """
        self._check_complete()
        prerequisites: dict[str, list[str]] = {name: [] for name in self._components}
        for name, component in self._components.items():
            for dep in component.depends_on:
                prerequisites[dep].append(name)
        return await self._run("delete", {k: tuple(v) for k, v in prerequisites.items()}, fail_fast)

    async def _run(
        self,
        operation: Literal["sync", "delete"],
        prerequisites: dict[str, tuple[str, ...]],
        fail_fast: bool,
    ) -> GraphResult:
        loop = asyncio.get_running_loop()
        origin = loop.time()
        followers: dict[str, list[str]] = {name: [] for name in prerequisites}
        for name, before in prerequisites.items():
            for prerequisite in before:
                followers[prerequisite].append(name)
        waiting = {name: len(before) for name, before in prerequisites.items()}
        results: dict[str, ComponentResult] = {}
        running: dict[str, asyncio.Task[None]] = {}
        aborting = False

        def skip_followers(failed: str) -> None:
            stack = list(followers[failed])
            while stack:
                name = stack.pop()
                if name not in results:
                    results[name] = ComponentResult(name, Outcome.SKIPPED, blocked_by=failed)
                    stack.extend(followers[name])

        async def run_one(name: str) -> None:
            nonlocal aborting
            component = self._components[name]
            action = component.sync if operation == "sync" else component.delete
            started = loop.time() - origin
            try:
                await action()
            except asyncio.CancelledError as cancelled:
                results[name] = ComponentResult(
                    name, Outcome.CANCELLED, started, loop.time() - origin, cancelled
                )
                skip_followers(name)
                current = asyncio.current_task()
                if not aborting and current is not None and current.cancelling():
                    raise
            except Exception as error:  # noqa: BLE001 - reported in the component's result
                results[name] = ComponentResult(name, Outcome.FAILED, started, loop.time() - origin, error)
                skip_followers(name)
                if fail_fast and not aborting:
                    aborting = True
                    for other, task in running.items():
                        if other != name:
                            task.cancel()
            else:
                results[name] = ComponentResult(name, Outcome.SUCCEEDED, started, loop.time() - origin)
                for follower in followers[name]:
                    waiting[follower] -= 1
                    if waiting[follower] == 0 and follower not in results and not aborting:
                        start(follower)
            finally:
                running.pop(name, None)

        async with asyncio.TaskGroup() as group:

            def start(name: str) -> None:
                running[name] = group.create_task(run_one(name), name=f"{operation} {name}")

            for name, count in waiting.items():
                if count == 0:
                    start(name)

        for name in prerequisites:
            if name not in results:  # fail_fast stopped the run before this one could start
                results[name] = ComponentResult(name, Outcome.CANCELLED)
        return GraphResult(
            operation=operation,
            components=tuple(results[name] for name in prerequisites),
            duration=loop.time() - origin,
        )
