"""The PodClique reconciler: create the clique's pods gated, ungate them once their gang is complete.

Grove's PodClique controller creates pods with a scheduling gate and removes the gate only after the
pod is listed in a PodGang the PodCliqueSet controller marked Initialized, so a gang is never
half-scheduled. Pods are created and ungated concurrently (Grove slow-starts them), the pod list is
read once per reconcile through the reconcile-scoped memo (an owner-UID index lookup, not a label scan
of the namespace), and the status is written only when it changes. ``seed_faithful`` writes the status
on every reconcile, as Grove did before PR #545.
"""

from __future__ import annotations

import contextlib
from typing import Any

from shoal.api import AlreadyExistsError, NotFoundError, Object
from shoal.cache import INDEX_OWNER_UID
from shoal.controller import ReconcileContext, Request, Result
from shoal.fanout import gather, update_status_if_changed

from ._crd import (
    GANG_CLIQUES_ANNOTATION,
    INITIALIZED,
    PCLQ_LABEL,
    PCS_LABEL,
    PODCLIQUES,
    PODGANG_LABEL,
    PODGANGS,
    PODS,
    REPLICA_LABEL,
    SCHEDULING_GATE,
    condition_true,
    owner_reference,
    pod_names,
)


def pod_object(pclq: Object, name: str) -> Object:
    """One pod of ``pclq``: owned by it, labelled with its set, replica, clique and gang, gated."""
    m = pclq["metadata"]
    labels = {k: v for k, v in (m.get("labels") or {}).items() if k in (PCS_LABEL, REPLICA_LABEL)}
    labels[PCLQ_LABEL] = m["name"]
    labels[PODGANG_LABEL] = pclq["spec"]["podGang"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": m["namespace"],
            "labels": labels,
            "annotations": {
                GANG_CLIQUES_ANNOTATION: ",".join(pclq["spec"].get("gangCliques") or [m["name"]])
            },
            "ownerReferences": [owner_reference(pclq)],
        },
        "spec": {**pclq["spec"]["podSpec"], "schedulingGates": [{"name": SCHEDULING_GATE}]},
    }


def gated(pod: Object) -> bool:
    gates = (pod.get("spec") or {}).get("schedulingGates") or ()
    return any(g.get("name") == SCHEDULING_GATE for g in gates)


def ready(pod: Object) -> bool:
    return condition_true(pod, "Ready")


def clique_status(pclq: Object, pods: list[Object]) -> dict[str, Any]:
    """What the pods say: how many exist, are ready, are still gated."""
    live = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
    return {
        **(pclq.get("status") or {}),
        "replicas": len(live),
        "readyReplicas": sum(1 for p in live if ready(p)),
        "scheduleGatedReplicas": sum(1 for p in live if gated(p)),
        "observedGeneration": pclq["metadata"].get("generation"),
    }


async def clique_pods(ctx: ReconcileContext, pclq: Object) -> list[Object]:
    """The pods owned by ``pclq``, read once per reconcile (memoised by the PodClique's UID)."""
    uid = pclq["metadata"]["uid"]

    async def fetch() -> list[Object]:
        namespace = pclq["metadata"]["namespace"]
        return await ctx.reader.list(PODS, namespace=namespace, index=(INDEX_OWNER_UID, uid))

    pods: list[Object] = await ctx.memo.get(("pclq-pods", uid), fetch)
    return pods


async def podclique(ctx: ReconcileContext, name: str, namespace: str) -> Object:
    """A PodClique from the cache, read once per reconcile."""

    async def fetch() -> Object:
        return await ctx.reader.get(PODCLIQUES, name, namespace=namespace)

    pclq: Object = await ctx.memo.get(("pclq", namespace, name), fetch)
    return pclq


async def gang_complete(ctx: ReconcileContext, gang: Object) -> bool:
    """Whether every pod the gang lists exists (read through the memoised clique pod lists)."""
    namespace = gang["metadata"]["namespace"]
    for group in gang["spec"]["podgroups"]:
        try:
            pclq = await podclique(ctx, group["name"], namespace)
        except NotFoundError:
            return False
        names = {p["metadata"]["name"] for p in await clique_pods(ctx, pclq)}
        if any(ref["name"] not in names for ref in group["podReferences"]):
            return False
    return True


class PodCliqueReconciler:
    """Reconciles PodCliques; ``seed_faithful`` writes status unconditionally (the "before")."""

    def __init__(self, *, seed_faithful: bool = False) -> None:
        self.seed_faithful = seed_faithful

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        try:
            pclq = await ctx.reader.get(PODCLIQUES, request.name, namespace=request.namespace)
        except NotFoundError:
            return None
        if pclq["metadata"].get("deletionTimestamp"):
            return None
        pods = await clique_pods(ctx, pclq)
        await self._create_missing(ctx, pclq, pods)
        await self._ungate(ctx, pclq, pods)
        await self._write_status(ctx, pclq, pods)
        return None

    async def _create_missing(self, ctx: ReconcileContext, pclq: Object, pods: list[Object]) -> None:
        existing = {p["metadata"]["name"] for p in pods}
        wanted = pod_names(pclq["metadata"]["name"], int(pclq["spec"]["replicas"]))
        missing = [name for name in wanted if name not in existing]
        namespace = pclq["metadata"]["namespace"]

        async def create(name: str) -> None:
            with contextlib.suppress(AlreadyExistsError):
                pods.append(await ctx.client.create(PODS, pod_object(pclq, name), namespace=namespace))

        await gather(*(create(name) for name in missing))

    async def _ungate(self, ctx: ReconcileContext, pclq: Object, pods: list[Object]) -> None:
        """Remove the gate from every listed pod once the gang is complete: every pod its PodGang lists
        exists in the cache (the seed waited for the PodGang's Initialized condition instead)."""
        waiting = [p for p in pods if gated(p)]
        if not waiting:
            return
        namespace = pclq["metadata"]["namespace"]
        try:
            gang = await ctx.reader.get(PODGANGS, pclq["spec"]["podGang"], namespace=namespace)
        except NotFoundError:
            return
        complete = condition_true(gang, INITIALIZED) if self.seed_faithful else await gang_complete(ctx, gang)
        if not complete:
            return
        listed = {
            ref.get("name")
            for group in (gang.get("spec") or {}).get("podgroups") or ()
            for ref in group.get("podReferences") or ()
        }

        async def ungate(pod: Object) -> None:
            gates = [g for g in pod["spec"].get("schedulingGates") or () if g.get("name") != SCHEDULING_GATE]
            patch = {"spec": {"schedulingGates": gates or None}}
            try:
                updated = await ctx.client.patch(PODS, pod["metadata"]["name"], patch, namespace=namespace)
            except NotFoundError:
                return
            pod["spec"] = updated["spec"]

        await gather(*(ungate(p) for p in waiting if p["metadata"]["name"] in listed))

    async def _write_status(self, ctx: ReconcileContext, pclq: Object, pods: list[Object]) -> None:
        status = clique_status(pclq, pods)
        if self.seed_faithful:
            name, namespace = pclq["metadata"]["name"], pclq["metadata"]["namespace"]
            await ctx.client.patch_status(PODCLIQUES, name, {"status": status}, namespace=namespace)
            return

        def mutate(obj: Object) -> None:
            obj["status"] = status

        await update_status_if_changed(ctx.client, PODCLIQUES, pclq, mutate)
