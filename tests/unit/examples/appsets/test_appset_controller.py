"""The ApplicationSet controller against the simulator: convergence, deletion, git single-flight, priority."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CollectorRegistry

from shoal.api import ObjectKey
from shoal.client import Client
from shoal.controller import Manager, ManagerOptions
from shoal.examples.appsets import (
    APPLICATION_SETS,
    APPLICATIONS,
    AppSetReconciler,
    GitCache,
    ReconcileLog,
    RepoServer,
    add_appset_controller,
    application_set_object,
    install_appset_crds,
)
from shoal.sim import Simulator
from shoal.workqueue import Priority

REPO = "https://git.example.com/org/apps"
NS = "default"


@asynccontextmanager
async def running(client: Client, reconciler: AppSetReconciler, *, workers: int = 4) -> AsyncIterator[None]:
    manager = Manager(client, options=ManagerOptions(http_port=0, registry=CollectorRegistry()))
    add_appset_controller(manager, reconciler, max_concurrent_reconciles=workers)
    async with manager:
        yield


async def create_appset(client: Client, name: str, *, repo: str = REPO, requeue: float = 0.02) -> None:
    await client.create(
        APPLICATION_SETS,
        application_set_object(
            NS,
            name,
            repo_url=repo,
            directories=[f"{name}/*"],
            requeue_after_seconds=requeue,
            name_template=f"{name}-{{{{path.basename}}}}",
        ),
        namespace=NS,
    )


async def app_names(client: Client) -> dict[str, set[str]]:
    """Application names by the ApplicationSet that controls them."""
    apps = (await client.list(APPLICATIONS, namespace=NS))["items"]
    owned: dict[str, set[str]] = {}
    for app in apps:
        [owner] = app["metadata"]["ownerReferences"]
        owned.setdefault(owner["name"], set()).add(app["metadata"]["name"])
    return owned


def reconciled_at_least(names: list[str], times: int) -> Callable[[ReconcileLog], bool]:
    keys = [ObjectKey(NS, n) for n in names]
    return lambda log: all(log.counts[k] >= times for k in keys)


async def test_each_appset_gets_exactly_its_applications_and_a_removed_directory_removes_one() -> None:
    repo = RepoServer(latency=0.001)
    for team, services in {"red": ["a", "b"], "blue": ["c"], "green": ["d", "e", "f"]}.items():
        for service in services:
            repo.add_directory(REPO, f"{team}/{service}")
    repo.add_directory(REPO, "other/z")
    reconciler = AppSetReconciler(repo)
    async with Simulator() as sim:
        client = sim.client()
        await install_appset_crds(client)
        for team in ("red", "blue", "green"):
            await create_appset(client, team)
        async with running(client, reconciler):
            # A key is never reconciled twice at once, so a second reconcile means the first finished.
            await reconciler.log.wait_for(reconciled_at_least(["red", "blue", "green"], 2))
            assert await app_names(client) == {
                "red": {"red-a", "red-b"},
                "blue": {"blue-c"},
                "green": {"green-d", "green-e", "green-f"},
            }
            writes = sim.accounting.writes()
            await reconciler.log.wait_for(reconciled_at_least(["red", "blue", "green"], 4))
            assert sim.accounting.writes() == writes, "a steady-state reconcile writes nothing"

            repo.remove_directory(REPO, "green/e")
            done = reconciler.log.counts[ObjectKey(NS, "green")]
            await reconciler.log.wait_for(reconciled_at_least(["green"], done + 2))
            assert (await app_names(client))["green"] == {"green-d", "green-f"}
        status = (await client.get(APPLICATION_SETS, "green", namespace=NS))["status"]
        assert status["applications"] == 2


async def test_concurrent_reconciles_on_one_repo_and_revision_make_one_git_call() -> None:
    repo = RepoServer(latency=0.05, cache=False)
    names = [f"team{i}" for i in range(10)]
    for name in names:
        repo.add_directory(REPO, f"{name}/svc")
    git_cache = GitCache("git-directories", ttl=3600, max_size=64, registry=CollectorRegistry())
    reconciler = AppSetReconciler(repo, git_cache=git_cache, requeue_after=3600)
    async with Simulator() as sim:
        client = sim.client()
        await install_appset_crds(client)
        for name in names:
            await create_appset(client, name, requeue=3600)
        async with running(client, reconciler, workers=len(names)):
            await reconciler.log.wait_for(reconciled_at_least(names, 1))
            await _until_applications(client, len(names))
        assert repo.statistics.calls == 1
        stats = git_cache.statistics()
        assert stats.misses == 1
        assert stats.joins + stats.hits == len(names) - 1


async def _until_applications(client: Client, count: int) -> None:
    async for _ in _watch_until(client, lambda objs: len(objs) >= count):
        pass


async def _watch_until(client: Client, done: Callable[[dict[str, Any]], bool]) -> AsyncIterator[None]:
    listed = await client.list(APPLICATIONS, namespace=NS)
    objs = {a["metadata"]["name"]: a for a in listed["items"]}
    if done(objs):
        return
    rv = listed["metadata"]["resourceVersion"]
    async for event in client.watch(APPLICATIONS, namespace=NS, resource_version=rv):
        if event.type == "ADDED":
            objs[event.object["metadata"]["name"]] = event.object
        if done(objs):
            return
        yield


async def test_a_new_appset_is_reconciled_before_a_backlog_of_200_drains() -> None:
    backlog = [f"old{i:03d}" for i in range(200)]
    repo = RepoServer(latency=0.005, cache=False)
    for name in [*backlog, "new"]:
        repo.add_directory(REPO, f"{name}/svc")
    reconciler = AppSetReconciler(repo, requeue_after=3600)
    async with Simulator() as sim:
        client = sim.client()
        await install_appset_crds(client)
        for name in backlog:
            await create_appset(client, name, requeue=3600)
        async with running(client, reconciler, workers=1):
            await reconciler.log.wait_for(lambda log: len(log.order) >= 5)
            await create_appset(client, "new", requeue=3600)
            created_after = len(reconciler.log.order)
            await reconciler.log.wait_for(lambda log: log.counts[ObjectKey(NS, "new")] >= 1)
            position = reconciler.log.order.index(ObjectKey(NS, "new"))
        backlog_reconciles_in_between = position - created_after
        assert backlog_reconciles_in_between <= 3
        assert position < len(backlog) // 2, "the backlog had not drained"


@asynccontextmanager
async def one_appset_running(reconciler: AppSetReconciler) -> AsyncIterator[tuple[Simulator, Client]]:
    """ApplicationSet ``red`` over directories ``red/a`` and ``red/b``, its controller running."""
    reconciler.repo_server.add_directory(REPO, "red/a")
    reconciler.repo_server.add_directory(REPO, "red/b")
    async with Simulator() as sim:
        client = sim.client()
        await install_appset_crds(client)
        await create_appset(client, "red")
        async with running(client, reconciler):
            yield sim, client


async def test_an_unchanged_appset_stops_early_and_an_edited_application_is_repaired() -> None:
    reconciler = AppSetReconciler(RepoServer(latency=0.001))
    async with one_appset_running(reconciler) as (sim, client):
        await reconciler.log.wait_for(reconciled_at_least(["red"], 2))
        await reconciler.log.wait_for(lambda log: log.unchanged >= 2)
        revision = sim.store.revision
        edited = await client.patch(APPLICATIONS, "red-a", {"spec": {"project": "elsewhere"}}, namespace=NS)
        rv = edited["metadata"]["resourceVersion"]
        events = client.watch(APPLICATIONS, namespace=NS, resource_version=rv)
        async with contextlib.aclosing(events):
            async for event in events:
                if event.object["metadata"]["name"] == "red-a":
                    assert event.object["spec"]["project"] == "default"
                    break
        await reconciler.log.wait_for(lambda log: log.unchanged >= 4)
        # Counted in store changes, not requests: a reconcile that still sees the edit in its cache
        # may send the repair again, which changes nothing (a no-op patch, as on a real apiserver).
        assert sim.store.revision == revision + 2, "the edit, then one repair"


async def test_a_status_changed_by_someone_else_is_written_back() -> None:
    reconciler = AppSetReconciler(RepoServer(latency=0.001))
    async with one_appset_running(reconciler) as (_, client):
        await reconciler.log.wait_for(lambda log: log.unchanged >= 1)
        await client.patch_status(APPLICATION_SETS, "red", {"status": {"applications": 99}}, namespace=NS)
        done = reconciler.log.counts[ObjectKey(NS, "red")]
        for more in range(1, 50):  # a reconcile may still see the cache from before the patch
            await reconciler.log.wait_for(reconciled_at_least(["red"], done + more))
            status = (await client.get(APPLICATION_SETS, "red", namespace=NS))["status"]
            if status["applications"] == 2:
                break
        assert status["applications"] == 2


async def test_without_skip_unchanged_every_reconcile_renders() -> None:
    reconciler = AppSetReconciler(RepoServer(latency=0.001), skip_unchanged=False)
    async with one_appset_running(reconciler):
        await reconciler.log.wait_for(reconciled_at_least(["red"], 4))
    assert reconciler.log.unchanged == 0


async def _backlog_between(requeue_priority: int | None) -> int:
    """Reconciles of 60 requeued ApplicationSets (created after start) between a new one's creation and
    its reconcile, with one worker."""
    backlog = [f"old{i:03d}" for i in range(60)]
    repo = RepoServer(latency=0.001, cache=False)
    for name in [*backlog, "new", "warm"]:
        repo.add_directory(REPO, f"{name}/svc")
    reconciler = AppSetReconciler(repo, requeue_after=0.001, requeue_priority=requeue_priority)
    async with Simulator() as sim:
        client = sim.client()
        await install_appset_crds(client)
        async with running(client, reconciler, workers=1):
            # Once the informer has listed, the backlog's creations are real changes (high priority).
            await create_appset(client, "warm", requeue=3600)
            await reconciler.log.wait_for(reconciled_at_least(["warm"], 1))
            for name in backlog:
                await create_appset(client, name, requeue=0.001)
            await reconciler.log.wait_for(reconciled_at_least(backlog, 2))
            await create_appset(client, "new", requeue=3600)
            created_after = len(reconciler.log.order)
            await reconciler.log.wait_for(lambda log: log.counts[ObjectKey(NS, "new")] >= 1)
            return reconciler.log.order.index(ObjectKey(NS, "new")) - created_after


async def test_periodic_requeues_wait_behind_a_new_appset_at_low_priority() -> None:
    assert await _backlog_between(Priority.LOW) <= 3
    assert await _backlog_between(None) >= 30, "kept at the priority they were taken with, they go first"
