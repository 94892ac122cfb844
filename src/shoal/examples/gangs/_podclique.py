"""The PodClique reconciler: create the clique's pods gated, ungate them once their gang is complete.

Grove's PodClique controller creates pods with a scheduling gate and removes the gate only after the
pod is listed in a PodGang the PodCliqueSet controller marked Initialized, so a gang is never
half-scheduled. Pods are created and ungated concurrently (Grove slow-starts them), the pod list is
read once per reconcile through the reconcile-scoped memo (an owner-UID index lookup, not a label scan
of the namespace) as the informer's shared dicts (``ctx.reader`` with ``copy=False``: the reconciler
only compares them), and the status is written only when it changes, progress batched in time
(:class:`StatusBatcher`). ``seed_faithful`` reads private copies and writes the status on every
reconcile, as Grove did before PR #545.
"""

from __future__ import annotations

import contextlib
from typing import Any

from shoal.api import AlreadyExistsError, NotFoundError, Object
from shoal.cache import INDEX_OWNER_UID
from shoal.controller import ReconcileContext, Request, Result
from shoal.fanout import gather

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
from ._status import STATUS_BATCH_SECONDS, StatusBatcher, observed_generation_moved


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


def available(pclq: Object, status: dict[str, Any]) -> bool:
    """Whether ``status`` counts at least ``minAvailable`` ready pods."""
    return int(status.get("readyReplicas") or 0) >= int(pclq["spec"].get("minAvailable") or 0)


async def clique_pods(ctx: ReconcileContext, pclq: Object, *, copy: bool = False) -> list[Object]:
    """The pods owned by ``pclq`` (the cache's shared dicts, read-only, unless ``copy``), read once per
    reconcile (memoised by the PodClique's UID). The list is the reconcile's own: pods created or
    ungated in it replace their entries."""
    uid = pclq["metadata"]["uid"]
    namespace = pclq["metadata"]["namespace"]

    async def fetch() -> list[Object]:
        return await ctx.reader.list(PODS, namespace=namespace, index=(INDEX_OWNER_UID, uid), copy=copy)

    pods: list[Object] = await ctx.memo.get(("pclq-pods", uid), fetch)
    return pods


async def podclique(ctx: ReconcileContext, name: str, namespace: str, *, copy: bool = False) -> Object:
    """A PodClique from the cache (shared, read-only, unless ``copy``), read once per reconcile."""

    async def fetch() -> Object:
        return await ctx.reader.get(PODCLIQUES, name, namespace=namespace, copy=copy)

    pclq: Object = await ctx.memo.get(("pclq", namespace, name), fetch)
    return pclq


async def gang_complete(ctx: ReconcileContext, gang: Object, *, copy: bool = False) -> bool:
    """Whether every pod the gang lists exists (read through the memoised clique pod lists)."""
    namespace = gang["metadata"]["namespace"]
    for group in gang["spec"]["podgroups"]:
        try:
            pclq = await podclique(ctx, group["name"], namespace, copy=copy)
        except NotFoundError:
            return False
        names = {p["metadata"]["name"] for p in await clique_pods(ctx, pclq, copy=copy)}
        if any(ref["name"] not in names for ref in group["podReferences"]):
            return False
    return True


class PodCliqueReconciler:
    """Reconciles PodCliques, reading the cache's shared dicts; ``seed_faithful`` copies every read and
    writes status unconditionally (the "before")."""

    def __init__(
        self, *, seed_faithful: bool = False, status_batch_seconds: float = STATUS_BATCH_SECONDS
    ) -> None:
        self.seed_faithful = seed_faithful
        self.copy = seed_faithful
        """Read private copies from the cache (the seed's reads) instead of its shared dicts."""
        self.statuses = StatusBatcher(PODCLIQUES, seconds=status_batch_seconds)
        self._ungated: dict[tuple[str, str], set[str]] = {}
        """Per PodClique, the UIDs of pods whose gate this reconciler removed and the cache still shows
        gated: a reconcile that runs before the pods' watch events does not remove the gates again
        (the patch succeeded, so the gate of that pod, that UID, is gone for good)."""

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        try:
            pclq = await ctx.reader.get(PODCLIQUES, request.name, namespace=request.namespace, copy=self.copy)
        except NotFoundError:
            self._forget(request)
            return None
        if pclq["metadata"].get("deletionTimestamp"):
            self._forget(request)
            return None
        pods = await clique_pods(ctx, pclq, copy=self.copy)
        await self._create_missing(ctx, pclq, pods)
        await self._ungate(ctx, pclq, pods)
        return await self._write_status(ctx, pclq, pods)

    def _forget(self, request: Request) -> None:
        self.statuses.forget(request.namespace, request.name)
        self._ungated.pop((request.namespace, request.name), None)

    def _already_ungated(self, pclq: Object, pods: list[Object]) -> set[str]:
        """UIDs of pods this reconciler ungated that the cache still shows gated (the rest are dropped)."""
        key = (pclq["metadata"]["namespace"], pclq["metadata"]["name"])
        sent = self._ungated.get(key)
        if not sent:
            return set()
        sent &= {p["metadata"].get("uid") or "" for p in pods if gated(p)}
        if not sent:
            del self._ungated[key]
        return set(sent)

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
        done = set() if self.seed_faithful else self._already_ungated(pclq, pods)
        if not any(gated(p) and p["metadata"].get("uid") not in done for p in pods):
            return
        namespace = pclq["metadata"]["namespace"]
        try:
            gang = await ctx.reader.get(
                PODGANGS, pclq["spec"]["podGang"], namespace=namespace, copy=self.copy
            )
        except NotFoundError:
            return
        if self.seed_faithful:
            complete = condition_true(gang, INITIALIZED)
        else:
            complete = await gang_complete(ctx, gang, copy=self.copy)
        if not complete:
            return
        listed = {
            ref.get("name")
            for group in (gang.get("spec") or {}).get("podgroups") or ()
            for ref in group.get("podReferences") or ()
        }

        key = (namespace, pclq["metadata"]["name"])
        sent = self._ungated.setdefault(key, set())

        async def ungate(index: int) -> None:
            pod = pods[index]
            gates = [g for g in pod["spec"].get("schedulingGates") or () if g.get("name") != SCHEDULING_GATE]
            patch = {"spec": {"schedulingGates": gates or None}}
            try:
                pods[index] = await ctx.client.patch(
                    PODS, pod["metadata"]["name"], patch, namespace=namespace
                )
            except NotFoundError:
                return
            if not self.seed_faithful:
                sent.add(pods[index]["metadata"].get("uid") or "")

        await gather(
            *(
                ungate(i)
                for i, p in enumerate(pods)
                if gated(p) and p["metadata"]["name"] in listed and p["metadata"].get("uid") not in done
            )
        )
        if not sent:
            del self._ungated[key]

    async def _write_status(self, ctx: ReconcileContext, pclq: Object, pods: list[Object]) -> Result | None:
        """The seed patches the status every time. Otherwise a change that moves the clique across
        ``minAvailable`` (what the set's availability reads) or reports a new generation is written at
        once; other progress waits for the batch (see :mod:`._status`)."""
        status = clique_status(pclq, pods)
        if self.seed_faithful:
            name, namespace = pclq["metadata"]["name"], pclq["metadata"]["namespace"]
            await ctx.client.patch_status(PODCLIQUES, name, {"status": status}, namespace=namespace)
            return None
        current = pclq.get("status") or {}
        urgent = available(pclq, current) != available(pclq, status) or observed_generation_moved(
            current, status
        )
        after = await self.statuses.write(ctx.client, pclq, status, urgent=urgent)
        return None if after is None else Result(requeue_after=after)
