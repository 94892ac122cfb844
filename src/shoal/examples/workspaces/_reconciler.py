"""The Workspace reconciler: create the workspace's Pod, report its URL and owner token, clean up.

A Workspace gets one Pod; once the Pod exists, the status carries the workspace URL and the owner token
(read from the Pod, where it was set at creation), which is what the start call waits for. The Shoal
reconciler writes the status only when it changes, in the same reconcile that created the Pod, so a
start pays one status write after the Pod create. ``seed_faithful=True`` reproduces Gitpod's reconciler
before its fix for the benchmark's "before": a status update on every reconcile (changed or not), a
live server read per Pod creation (its ``GET /version``; here a live Namespace read of the same cost
class), a separate status patch counting Pod starts, and sequential Secret deletes at cleanup.
"""

from __future__ import annotations

import secrets
from typing import Any

from prometheus_client import CollectorRegistry

from shoal.api import AlreadyExistsError, NotFoundError, PatchType
from shoal.client import Client
from shoal.controller import (
    Controller,
    ControllerOptions,
    Manager,
    ManagerOptions,
    ReconcileContext,
    Request,
    Result,
)
from shoal.fanout import WriteOutcome, update_status_if_changed

from ._cleanup import clean_up
from ._crd import (
    GROUP,
    KIND,
    NAMESPACES,
    OWNER_TOKEN_ANNOTATION,
    PODS,
    VERSION,
    WORKSPACE_ID_LABEL,
    WORKSPACES,
    env_secret_name,
    pod_name,
)

URL_TEMPLATE = "https://{id}.ws.shoal.example"


def workspace_url(workspace_id: str) -> str:
    return URL_TEMPLATE.format(id=workspace_id)


def pod_object(workspace: dict[str, Any]) -> dict[str, Any]:
    """The workspace's Pod: owned by the Workspace, reading its env Secret, with a fresh owner token."""
    meta = workspace["metadata"]
    workspace_id = meta["name"]
    owner = {"apiVersion": f"{GROUP}/{VERSION}", "kind": KIND, "name": workspace_id, "uid": meta["uid"]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": pod_name(workspace_id),
            "namespace": meta["namespace"],
            "labels": {WORKSPACE_ID_LABEL: workspace_id},
            "annotations": {OWNER_TOKEN_ANNOTATION: secrets.token_urlsafe(16)},
            "ownerReferences": [{**owner, "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {
            "containers": [
                {
                    "name": "workspace",
                    "image": workspace["spec"]["image"],
                    "envFrom": [{"secretRef": {"name": env_secret_name(workspace_id)}}],
                }
            ]
        },
    }


def desired_status(workspace: dict[str, Any], pods: list[dict[str, Any]]) -> dict[str, Any]:
    """The status the Pods imply: URL and owner token only once a Pod exists."""
    status = dict(workspace.get("status") or {})
    if not pods:
        status["phase"] = "Pending"
        return status
    pod = pods[0]
    running = (pod.get("status") or {}).get("phase") == "Running"
    status["phase"] = "Running" if running else "Creating"
    status["url"] = workspace_url(workspace["metadata"]["name"])
    token = (pod["metadata"].get("annotations") or {}).get(OWNER_TOKEN_ANNOTATION)
    if token:
        status["ownerToken"] = token
    return status


class WorkspaceReconciler:
    """Reconciles Workspaces (and their Pods, through ``owns``). See the module docstring."""

    def __init__(self, *, seed_faithful: bool = False) -> None:
        self.seed_faithful = seed_faithful
        self._written: dict[Request, tuple[str, dict[str, Any]]] = {}
        """Per Workspace: the resourceVersion our last status write was based on, and what it wrote."""
        self._finalized: dict[Request, str] = {}
        """Workspaces (by uid) whose cleanup finished, until the cache sees them gone."""

    def _with_own_write(self, request: Request, workspace: dict[str, Any]) -> dict[str, Any]:
        """The Workspace with the status of our last write, if the cached copy predates that write.

        The Pod's ADDED event usually reaches the controller before the status write's MODIFIED event,
        so the next reconcile reads the Workspace as it was before that write; comparing against it
        would send the same status again (a wasted, if harmless, write).
        """
        last = self._written.get(request)
        if last is None or last[0] != workspace["metadata"].get("resourceVersion"):
            return workspace
        return {**workspace, "status": last[1]}

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        try:
            workspace = await ctx.reader.get(WORKSPACES, request.name, namespace=request.namespace)
        except NotFoundError:
            self._finalized.pop(request, None)
            return None
        meta = workspace["metadata"]
        if meta.get("deletionTimestamp"):
            self._written.pop(request, None)
            if self._finalized.get(request) == meta.get("uid"):
                return None  # the cache still shows the Workspace our finalizer removal has released
            await self._delete_pod(ctx, workspace)
            await clean_up(ctx.client, workspace, reader=ctx.reader, concurrent=not self.seed_faithful)
            if not self.seed_faithful:
                self._finalized[request] = meta.get("uid", "")
            return None
        selector = f"{WORKSPACE_ID_LABEL}={request.name}"
        pods = await ctx.reader.list(PODS, namespace=request.namespace, label_selector=selector)
        if self.seed_faithful:
            await self._reconcile_seed(ctx, workspace, pods)
            return None
        workspace = self._with_own_write(request, workspace)
        created = False
        if not pods:
            pod, created = await self._create_pod(ctx, workspace)
            pods = [pod]
        status = desired_status(workspace, pods)
        if created:
            status["podStarts"] = int(status.get("podStarts") or 0) + 1

        def mutate(obj: dict[str, Any]) -> None:
            obj["status"] = status

        result = await update_status_if_changed(ctx.client, WORKSPACES, workspace, mutate)
        if result.outcome is WriteOutcome.PATCHED:
            self._written[request] = (workspace["metadata"].get("resourceVersion", ""), status)
        return None

    async def _reconcile_seed(
        self, ctx: ReconcileContext, workspace: dict[str, Any], pods: list[dict[str, Any]]
    ) -> None:
        """Gitpod's order: unconditional status update, then (no Pod) version read, create, status patch."""
        namespace = workspace["metadata"]["namespace"]
        workspace["status"] = desired_status(workspace, pods)
        updated = await ctx.client.update_status(WORKSPACES, workspace, namespace=namespace)
        if pods:
            return
        await ctx.client.get(NAMESPACES, namespace)
        await self._create_pod(ctx, workspace)
        starts = int((updated.get("status") or {}).get("podStarts") or 0) + 1
        await ctx.client.patch_status(
            WORKSPACES,
            workspace["metadata"]["name"],
            {"status": {"podStarts": starts}},
            patch_type=PatchType.MERGE,
            namespace=namespace,
        )

    async def _create_pod(
        self, ctx: ReconcileContext, workspace: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """Create the Pod and say so; one that exists already (the cache lagged) is read back instead."""
        namespace = workspace["metadata"]["namespace"]
        try:
            return await ctx.client.create(PODS, pod_object(workspace), namespace=namespace), True
        except AlreadyExistsError:
            return await ctx.client.get(
                PODS, pod_name(workspace["metadata"]["name"]), namespace=namespace
            ), False

    async def _delete_pod(self, ctx: ReconcileContext, workspace: dict[str, Any]) -> None:
        meta = workspace["metadata"]
        try:
            await ctx.reader.get(PODS, pod_name(meta["name"]), namespace=meta["namespace"])
            await ctx.client.delete(
                PODS, pod_name(meta["name"]), namespace=meta["namespace"], grace_period_seconds=0
            )
        except NotFoundError:
            pass


def add_workspace_controller(
    manager: Manager, *, seed_faithful: bool = False, max_concurrent_reconciles: int = 25
) -> Controller:
    """Add the Workspace controller (Workspaces, and the Pods they own) to ``manager``.

    25 workers, as Gitpod's installer configures (``WorkspaceMaxConcurrentReconciles``).
    """
    options = ControllerOptions(
        max_concurrent_reconciles=max_concurrent_reconciles, need_leader_election=False
    )
    return (
        Controller.build(manager)
        .for_(WORKSPACES, kind=KIND)
        .owns(PODS)
        .named("workspace-seed" if seed_faithful else "workspace")
        .with_options(options)
        .complete(WorkspaceReconciler(seed_faithful=seed_faithful))
    )


def workspace_manager(client: Client, *, seed_faithful: bool = False) -> Manager:
    """A manager running only the Workspace controller: no HTTP endpoints, its own metrics registry."""
    manager = Manager(client, options=ManagerOptions(http_port=0, registry=CollectorRegistry()))
    add_workspace_controller(manager, seed_faithful=seed_faithful)
    return manager
