"""The demo's five workloads: each reference controller, its sample objects and its convergence test.

``shoal demo`` runs every reference controller in one manager; each :class:`Workload` knows what its
controller needs installed (CRDs, namespaces, side services such as fastlets or a repo server), how to
add the controller to the manager, the sample objects to apply, and how many of them have converged,
read from the API. Every workload lives in namespaces of its own, so API writes can be told apart.
"""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from shoal.api import CRDS, GVR, AlreadyExistsError
from shoal.client import Client
from shoal.controller import Manager
from shoal.examples import appsets, backups, gangs, sandboxes, workspaces

NAMESPACES = GVR("", "v1", "namespaces")
GANG_NAMESPACE = "gangs"
SANDBOX_NAMESPACE = "sandboxes"
BACKUP_NAMESPACE = "backups"
APPSET_NAMESPACE = "appsets"
REPO = "https://git.example.com/demo/apps"
SANDBOX_IMAGES = frozenset({"alpine", "python"})


@dataclass(frozen=True, slots=True)
class DemoTiming:
    """How long the simulated world takes: kubelets, fastlets, item backups, git listings (seconds)."""

    pod_ready_delay: float = 2.0
    pod_ready_jitter: float = 8.0
    fastlet_create: float = 0.5
    backup_item_delay: float = 0.5
    repo_latency: float = 3.0


QUICK = DemoTiming(
    pod_ready_delay=0.01,
    pod_ready_jitter=0.02,
    fastlet_create=0.001,
    backup_item_delay=0.0,
    repo_latency=0.01,
)
"""Timing for tests: everything as fast as the machine goes."""


async def ensure_namespace(client: Client, name: str) -> None:
    with contextlib.suppress(AlreadyExistsError):
        await client.create(NAMESPACES, {"metadata": {"name": name}})


class Workload:
    """One controller's part of the demo. Subclasses fill in the four steps."""

    name = ""
    controllers: tuple[str, ...] = ()
    """Names the controllers register under (their metrics' ``controller`` label)."""
    namespaces: tuple[str, ...] = ()
    """Namespaces its controller writes in (API writes are counted by them)."""
    expected = 0
    what = ""

    async def install(self, client: Client) -> None:
        """Create what must exist before the controller starts (CRDs, namespaces, inventory)."""

    async def attach(self, manager: Manager, client: Client, stack: AsyncExitStack) -> None:
        """Add the controller to ``manager``; side services are entered on ``stack``."""

    async def apply(self, client: Client) -> None:
        """Create the sample objects (the manager runs)."""

    async def converged(self, client: Client) -> int:
        """How many of the ``expected`` objects have converged."""
        return 0


class WorkspaceWorkload(Workload):
    name, controllers, expected = "workspaces", ("workspace",), 5
    namespaces = (workspaces.NAMESPACE, workspaces.SECRETS_NAMESPACE)
    what = "5 Workspaces → Pod, URL and owner token, Running"

    async def install(self, client: Client) -> None:
        await ensure_namespace(client, workspaces.NAMESPACE)
        await workspaces.install(client)

    async def attach(self, manager: Manager, client: Client, stack: AsyncExitStack) -> None:
        workspaces.add_workspace_controller(manager)

    async def apply(self, client: Client) -> None:
        async def start(workspace_id: str) -> None:
            await workspaces.create_workspace_secrets(client, workspace_id)
            obj = workspaces.workspace_object(workspace_id, image="workspace-full:latest", owner="demo")
            await client.create(workspaces.WORKSPACES, obj, namespace=workspaces.NAMESPACE)

        async with asyncio.TaskGroup() as tg:
            for i in range(self.expected):
                tg.create_task(start(f"ws-{i}"))

    async def converged(self, client: Client) -> int:
        items = (await client.list(workspaces.WORKSPACES, namespace=workspaces.NAMESPACE))["items"]
        return sum(
            1 for w in items if workspaces.is_started(w) and (w.get("status") or {}).get("phase") == "Running"
        )


def pod_ready(pod: dict[str, Any]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


class GangWorkload(Workload):
    name, controllers, expected = "gangs", ("podcliqueset", "podclique"), 20
    namespaces = (GANG_NAMESPACE,)
    what = "a PodCliqueSet gang of 20 pods → all Ready on the nodes"

    async def install(self, client: Client) -> None:
        await ensure_namespace(client, GANG_NAMESPACE)
        await gangs.install(client)

    async def attach(self, manager: Manager, client: Client, stack: AsyncExitStack) -> None:
        gangs.add_gang_controllers(manager)

    async def apply(self, client: Client) -> None:
        obj = gangs.podcliqueset_object("training", 1, namespace=GANG_NAMESPACE, pods=self.expected)
        await client.create(gangs.PODCLIQUESETS, obj, namespace=GANG_NAMESPACE)

    async def converged(self, client: Client) -> int:
        pods = (await client.list(gangs.PODS, namespace=GANG_NAMESPACE))["items"]
        return sum(1 for p in pods if pod_ready(p))


class SandboxWorkload(Workload):
    name, controllers, expected = "sandboxes", ("sandbox",), 8
    namespaces = (SANDBOX_NAMESPACE,)
    what = "4 sandboxes on the fast path, 4 on the strong path → Running"

    def __init__(self, timing: DemoTiming) -> None:
        self.timing = timing
        self.server: sandboxes.FastPathServer | None = None

    async def install(self, client: Client) -> None:
        await ensure_namespace(client, SANDBOX_NAMESPACE)
        await sandboxes.install_sandbox_crd(client)

    async def attach(self, manager: Manager, client: Client, stack: AsyncExitStack) -> None:
        specs = [
            sandboxes.FastletSpec(f"fastlet-{i}", "demo", SANDBOX_NAMESPACE, 8, SANDBOX_IMAGES)
            for i in range(4)
        ]
        latency = sandboxes.FastletLatency(create=self.timing.fastlet_create, status=0.0)
        fleet = await stack.enter_async_context(sandboxes.FastletFleet(specs, latency=latency))
        registry = sandboxes.SandboxRegistry()
        for spec in fleet.specs():
            registry.register(spec)
        fastlets = await stack.enter_async_context(sandboxes.FastletClient())
        waiters = sandboxes.SandboxWaiters()
        reconciler = sandboxes.SandboxReconciler(registry, fastlets, waiters)
        sandboxes.sandbox_controller(manager, reconciler, max_concurrent_reconciles=8)
        server = sandboxes.FastPathServer(registry, fastlets, client, waiters=waiters, write_backoff=(0.1,))
        self.server = await stack.enter_async_context(server)

    async def apply(self, client: Client) -> None:
        server = self.server
        assert server is not None, "attach() runs before apply()"
        half = self.expected // 2
        async with asyncio.TaskGroup() as tg:
            for i in range(self.expected):
                mode: Literal["fast", "strong"] = "fast" if i < half else "strong"
                request = sandboxes.SandboxRequest(f"{mode}-{i}", SANDBOX_NAMESPACE, "demo", "python")
                tg.create_task(server.create(request, mode))

    async def converged(self, client: Client) -> int:
        items = (await client.list(sandboxes.SANDBOXES, namespace=SANDBOX_NAMESPACE))["items"]
        return sum(1 for s in items if (s.get("status") or {}).get("phase") == "Running")


class BackupWorkload(Workload):
    name, controllers, expected = "backups", ("backups",), 1
    namespaces = (BACKUP_NAMESPACE,)
    what = "a Backup of two namespaces (77 items) → Completed, archive written"

    def __init__(self, archive_dir: Path, timing: DemoTiming) -> None:
        self.archive_dir = archive_dir
        self.timing = timing
        self.inventory = backups.seed_inventory()

    async def install(self, client: Client) -> None:
        await ensure_namespace(client, BACKUP_NAMESPACE)
        await backups.install(client, self.inventory)
        await client.create(CRDS, backups.backup_crd())

    async def attach(self, manager: Manager, client: Client, stack: AsyncExitStack) -> None:
        options = backups.BackupOptions(
            workers=4,
            item_delay=self.timing.backup_item_delay,
            archive_dir=self.archive_dir,
            resource_types=self.inventory.resource_types,
        )
        backups.add_backup_controller(manager, options)

    async def apply(self, client: Client) -> None:
        obj = backups.backup("nightly", list(self.inventory.namespaces), namespace=BACKUP_NAMESPACE)
        await client.create(backups.BACKUPS, obj, namespace=BACKUP_NAMESPACE)

    async def converged(self, client: Client) -> int:
        items = (await client.list(backups.BACKUPS, namespace=BACKUP_NAMESPACE))["items"]
        return sum(1 for b in items if (b.get("status") or {}).get("phase") == backups.PHASE_COMPLETED)


class AppSetWorkload(Workload):
    name, controllers, expected = "appsets", (appsets.CONTROLLER_NAME,), 12
    namespaces = (APPSET_NAMESPACE,)
    what = "12 ApplicationSets over a git repo → 3 Applications each"
    services = ("api", "web", "worker")

    def __init__(self, timing: DemoTiming) -> None:
        self.timing = timing

    async def install(self, client: Client) -> None:
        await ensure_namespace(client, APPSET_NAMESPACE)
        await appsets.install_appset_crds(client)

    async def attach(self, manager: Manager, client: Client, stack: AsyncExitStack) -> None:
        repo = appsets.RepoServer(latency=self.timing.repo_latency)
        for i in range(self.expected):
            for service in self.services:
                repo.add_directory(REPO, f"team-{i}/{service}")
        appsets.add_appset_controller(manager, appsets.AppSetReconciler(repo))

    async def apply(self, client: Client) -> None:
        async with asyncio.TaskGroup() as tg:
            for i in range(self.expected):
                name = f"team-{i}"
                obj = appsets.application_set_object(
                    APPSET_NAMESPACE,
                    name,
                    repo_url=REPO,
                    directories=[f"{name}/*"],
                    requeue_after_seconds=30,
                    name_template=f"{name}-{{{{path.basename}}}}",
                )
                tg.create_task(client.create(appsets.APPLICATION_SETS, obj, namespace=APPSET_NAMESPACE))

    async def converged(self, client: Client) -> int:
        apps = (await client.list(appsets.APPLICATIONS, namespace=APPSET_NAMESPACE))["items"]
        owned: dict[str, int] = {}
        for app in apps:
            for owner in app["metadata"].get("ownerReferences") or ():
                owned[owner["name"]] = owned.get(owner["name"], 0) + 1
        return sum(1 for count in owned.values() if count == len(self.services))


def all_workloads(archive_dir: Path, timing: DemoTiming) -> list[Workload]:
    """The five reference controllers' workloads, in the order the demo shows them."""
    return [
        WorkspaceWorkload(),
        GangWorkload(),
        SandboxWorkload(timing),
        BackupWorkload(archive_dir, timing),
        AppSetWorkload(timing),
    ]
