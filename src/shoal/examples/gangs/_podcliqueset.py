"""The PodCliqueSet reconciler: Grove's twelve components, synced on their dependency graph.

Grove synced a PodCliqueSet's components one kind after another (twelve of them), then in three fixed
groups; its PodGang loop stayed sequential. Here the components are a :class:`ComponentGraph`: each
starts when the ones it needs are done (RoleBinding after ServiceAccount and Role, PodCliques after the
ServiceAccount their pods run as), and every per-replica write inside a component runs concurrently.
Grove filled a PodGang from the pods its PodCliques had created, so it waited for them; here a PodGang
lists its pods by their stable names, so it needs nothing and is written first: a PodClique's first
reconcile finds its gang in the cache and creates and ungates its pods in one pass. Objects are
compared against the informer cache's shared dicts (``ctx.reader`` with ``copy=False``) and written
only when they differ (:func:`create_or_patch`, given a private copy), the PodCliqueSet status only
when it changes (progress batched in time, :class:`StatusBatcher`), and the pod lists are read once per
reconcile through the memo. Components this shape does not use (autoscaler, compute domain, resource
claim, scaling group) are declared and do nothing; Role and RoleBinding are written only with
``rbac=True``, since the simulator serves no RBAC API.

``seed_faithful`` is the "before": the same components one after another, the PodGangs in a loop,
the status written on every reconcile, and every read a private copy.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from shoal.api import AlreadyExistsError, NotFoundError, Object, deep_copy
from shoal.cache import INDEX_OWNER_UID
from shoal.controller import ReconcileContext, Request, Result
from shoal.fanout import ComponentGraph, create_or_patch, gather, update_status_if_changed

from ._crd import (
    API_VERSION,
    INITIALIZED,
    PCLQ_KIND,
    PCS_LABEL,
    PODCLIQUES,
    PODCLIQUESETS,
    PODGANG_KIND,
    PODGANGS,
    REPLICA_LABEL,
    ROLE_BINDINGS,
    ROLES,
    SECRETS,
    SERVICE_ACCOUNTS,
    SERVICES,
    clique_name,
    condition_true,
    owner_reference,
    pod_names,
    replica_name,
)
from ._podclique import gang_complete
from ._status import STATUS_BATCH_SECONDS, StatusBatcher, observed_generation_moved

Sync = Callable[[], Awaitable[object]]

COMPONENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("serviceaccount", ()),
    ("role", ()),
    ("rolebinding", ("serviceaccount", "role")),
    ("serviceaccount-token-secret", ("serviceaccount",)),
    ("headless-service", ()),
    ("horizontal-pod-autoscaler", ()),
    ("podcliqueset-replica", ()),
    ("compute-domain", ()),
    ("resource-claim", ()),
    ("podclique", ("serviceaccount",)),
    ("podcliquescalinggroup", ("podclique",)),
    ("podgang", ()),
)
"""The twelve components of Grove's PodCliqueSet, in its sequential order, with real dependencies."""


def _meta(pcs: Object, name: str, replica: int | None = None, **labels: str) -> dict[str, Any]:
    m = pcs["metadata"]
    all_labels = {PCS_LABEL: m["name"], **labels}
    if replica is not None:
        all_labels[REPLICA_LABEL] = str(replica)
    return {
        "name": name,
        "namespace": m["namespace"],
        "labels": all_labels,
        "ownerReferences": [owner_reference(pcs)],
    }


def podclique_object(pcs: Object, replica: int, clique: dict[str, Any]) -> Object:
    name = clique_name(pcs["metadata"]["name"], replica, clique["name"])
    pod_spec = {**clique["podSpec"], "serviceAccountName": pcs["metadata"]["name"]}
    return {
        "apiVersion": API_VERSION,
        "kind": PCLQ_KIND,
        "metadata": _meta(pcs, name, replica),
        "spec": {
            "replicas": clique["replicas"],
            "minAvailable": clique.get("minAvailable", clique["replicas"]),
            "podGang": replica_name(pcs["metadata"]["name"], replica),
            "gangCliques": [
                clique_name(pcs["metadata"]["name"], replica, c["name"])
                for c in pcs["spec"]["template"]["cliques"]
            ],
            "podSpec": pod_spec,
        },
    }


def podgang_object(pcs: Object, replica: int) -> Object:
    """The replica's PodGang, listing every pod by its stable name (so one create suffices)."""
    pcs_name, namespace = pcs["metadata"]["name"], pcs["metadata"]["namespace"]
    groups = []
    for clique in pcs["spec"]["template"]["cliques"]:
        pclq = clique_name(pcs_name, replica, clique["name"])
        groups.append(
            {
                "name": pclq,
                "minReplicas": clique.get("minAvailable", clique["replicas"]),
                "podReferences": [
                    {"namespace": namespace, "name": n} for n in pod_names(pclq, clique["replicas"])
                ],
            }
        )
    return {
        "apiVersion": API_VERSION,
        "kind": PODGANG_KIND,
        "metadata": _meta(pcs, replica_name(pcs_name, replica), replica),
        "spec": {"podgroups": groups},
    }


def service_object(pcs: Object, replica: int) -> Object:
    name = replica_name(pcs["metadata"]["name"], replica)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(pcs, name, replica),
        "spec": {
            "clusterIP": "None",
            "selector": {PCS_LABEL: pcs["metadata"]["name"], REPLICA_LABEL: str(replica)},
            "publishNotReadyAddresses": True,
        },
    }


def rbac_objects(pcs: Object) -> dict[str, tuple[Any, Object]]:
    """The PodCliqueSet-level objects: ServiceAccount, Role, RoleBinding and the SA token Secret."""
    name = pcs["metadata"]["name"]
    return {
        "serviceaccount": (
            SERVICE_ACCOUNTS,
            {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(pcs, name)},
        ),
        "role": (
            ROLES,
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": _meta(pcs, name),
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
            },
        ),
        "rolebinding": (
            ROLE_BINDINGS,
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": _meta(pcs, name),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [
                    {"kind": "ServiceAccount", "name": name, "namespace": pcs["metadata"]["namespace"]}
                ],
            },
        ),
        "serviceaccount-token-secret": (
            SECRETS,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    **_meta(pcs, f"{name}-token"),
                    "annotations": {"kubernetes.io/service-account.name": name},
                },
                "type": "kubernetes.io/service-account-token",
            },
        ),
    }


def covers(current: Any, desired: Any) -> bool:
    """Whether ``current`` already has every field of ``desired`` (a merge patch of ``desired`` would
    change nothing). Equal subtrees are compared in one ``==``; only differing dicts are walked."""
    if current == desired:
        return True
    if not isinstance(current, dict) or not isinstance(desired, dict):
        return False
    return all(
        key == "status" or (key in current and covers(current[key], value)) for key, value in desired.items()
    )


class PodCliqueSetReconciler:
    """Reconciles PodCliqueSets. See the module docstring for ``seed_faithful``."""

    def __init__(
        self,
        *,
        seed_faithful: bool = False,
        rbac: bool = False,
        status_on_sync: bool = True,
        status_batch_seconds: float = STATUS_BATCH_SECONDS,
    ) -> None:
        self.seed_faithful = seed_faithful
        self.copy = seed_faithful
        """Read private copies from the cache (the seed's reads) instead of its shared dicts."""
        self.statuses = StatusBatcher(PODCLIQUESETS, seconds=status_batch_seconds)
        self.rbac = rbac
        self.status_on_sync = status_on_sync
        """Write the status after every sync; ``False`` when :class:`PodCliqueSetStatusReconciler` runs
        (then only a spec change not yet reflected in ``observedGeneration`` makes the sync write it),
        so two controllers do not race to write the same status from stale cached copies."""

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        try:
            pcs = await ctx.reader.get(
                PODCLIQUESETS, request.name, namespace=request.namespace, copy=self.copy
            )
        except NotFoundError:
            self.statuses.forget(request.namespace, request.name)
            return None
        if pcs["metadata"].get("deletionTimestamp"):
            self.statuses.forget(request.namespace, request.name)
            return None  # owner references collect every component
        syncs = self._syncs(ctx, pcs)
        if self.seed_faithful:
            for name, _ in COMPONENTS:
                await syncs[name]()
        else:
            graph = ComponentGraph()
            for name, depends_on in COMPONENTS:
                graph.add(name, syncs[name], depends_on=depends_on)
            (await graph.sync()).raise_for_failures()
        unobserved = _generation_unobserved(pcs)
        if self.seed_faithful or self.status_on_sync or unobserved:
            return await self.write_status(ctx, pcs, urgent=unobserved)
        return None

    def _syncs(self, ctx: ReconcileContext, pcs: Object) -> dict[str, Sync]:
        replicas = range(int(pcs["spec"]["replicas"]))
        cliques: list[dict[str, Any]] = pcs["spec"]["template"]["cliques"]
        many = self._sequential if self.seed_faithful else self._concurrent

        async def nothing() -> None:
            return None

        def apply(resource: Any, desired: Object) -> Sync:
            return lambda: self._apply(ctx, resource, desired)

        syncs: dict[str, Sync] = {name: nothing for name, _ in COMPONENTS}
        for name, (resource, desired) in rbac_objects(pcs).items():
            if self.rbac or name not in ("role", "rolebinding"):
                syncs[name] = apply(resource, desired)
        syncs["headless-service"] = lambda: many([apply(SERVICES, service_object(pcs, r)) for r in replicas])
        syncs["podclique"] = lambda: many(
            [apply(PODCLIQUES, podclique_object(pcs, r, c)) for r in replicas for c in cliques]
        )
        syncs["podgang"] = lambda: many([self._podgang_sync(ctx, pcs, r) for r in replicas])
        return syncs

    @staticmethod
    async def _sequential(syncs: list[Sync]) -> None:
        for sync in syncs:
            await sync()

    @staticmethod
    async def _concurrent(syncs: list[Sync]) -> None:
        await gather(*(sync() for sync in syncs))

    async def _apply(self, ctx: ReconcileContext, resource: Any, desired: Object) -> Object | None:
        """Create or patch ``desired`` against the cached object (no write when nothing differs); the
        result is read-only."""
        m = desired["metadata"]
        try:
            current = await ctx.reader.get(resource, m["name"], namespace=m.get("namespace"), copy=self.copy)
        except NotFoundError:
            try:  # not in the cache: create without a live GET (a GET costs a token too)
                return await ctx.client.create(resource, desired, namespace=m.get("namespace"))
            except AlreadyExistsError:
                current = None  # the cache lags: create_or_patch reads it live
        if current is not None and covers(current, desired):
            return current  # nothing to write: skip create_or_patch's full merge-patch diff
        mine = None if current is None else deep_copy(current)
        result = await create_or_patch(ctx.client, resource, desired, current=mine)
        return result.object

    def _podgang_sync(self, ctx: ReconcileContext, pcs: Object, replica: int) -> Sync:
        """Create or patch the replica's PodGang. The seed also marked it Initialized here once all its
        pods existed (one more write per gang, and a PodCliqueSet reconcile on every pod event); Shoal's
        PodClique controller checks the gang's pods in its cache instead."""

        async def sync() -> None:
            gang = await self._apply(ctx, PODGANGS, podgang_object(pcs, replica))
            if not self.seed_faithful or gang is None or condition_true(gang, INITIALIZED):
                return
            if await gang_complete(ctx, gang, copy=self.copy):
                await update_status_if_changed(ctx.client, PODGANGS, gang, _initialized)

        return sync

    async def write_status(
        self, ctx: ReconcileContext, pcs: Object, *, urgent: bool = False
    ) -> Result | None:
        """Write availableReplicas (replicas whose PodCliques all have minAvailable ready pods).

        The seed patches it every time. Otherwise the set becoming available (its first available
        replica, or all of them), a new replica count or generation is written at once, and the
        counts in between wait for the batch (see :mod:`._status`)."""
        m = pcs["metadata"]
        owned = (INDEX_OWNER_UID, m["uid"])
        pclqs = await ctx.reader.list(PODCLIQUES, namespace=m["namespace"], index=owned, copy=self.copy)
        available: dict[str, bool] = {}
        for pclq in pclqs:
            replica = pclq["metadata"]["labels"].get(REPLICA_LABEL, "")
            ok = int((pclq.get("status") or {}).get("readyReplicas") or 0) >= int(
                pclq["spec"]["minAvailable"]
            )
            available[replica] = available.get(replica, True) and ok
        replicas = int(pcs["spec"]["replicas"])
        current = pcs.get("status") or {}
        status = {
            **current,
            "replicas": replicas,
            "availableReplicas": sum(1 for ok in available.values() if ok),
            "observedGeneration": m.get("generation"),
        }
        if self.seed_faithful:
            await ctx.client.patch_status(
                PODCLIQUESETS, m["name"], {"status": status}, namespace=m["namespace"]
            )
            return None
        urgent = (
            urgent
            or _milestones(current, replicas) != _milestones(status, replicas)
            or current.get("replicas") != replicas
            or observed_generation_moved(current, status)
        )
        after = await self.statuses.write(ctx.client, pcs, status, urgent=urgent)
        return None if after is None else Result(requeue_after=after)


def _milestones(status: dict[str, Any], replicas: int) -> tuple[bool, bool]:
    """Whether any replica is available, and whether every one is."""
    count = int(status.get("availableReplicas") or 0)
    return count > 0, count >= replicas


def _generation_unobserved(pcs: Object) -> bool:
    return bool((pcs.get("status") or {}).get("observedGeneration") != pcs["metadata"].get("generation"))


def _initialized(gang: Object) -> None:
    gang["status"] = {
        **(gang.get("status") or {}),
        "conditions": [{"type": INITIALIZED, "status": "True", "reason": "AllPodsCreated"}],
    }


class PodCliqueSetStatusReconciler:
    """Recomputes only a PodCliqueSet's status; runs on PodClique status changes, so the full
    component sync runs only when a spec or an owned object's spec changes."""

    def __init__(self, *, status_batch_seconds: float = STATUS_BATCH_SECONDS) -> None:
        self._sets = PodCliqueSetReconciler(status_batch_seconds=status_batch_seconds)

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        try:
            pcs = await ctx.reader.get(PODCLIQUESETS, request.name, namespace=request.namespace, copy=False)
        except NotFoundError:
            self._sets.statuses.forget(request.namespace, request.name)
            return None
        if pcs["metadata"].get("deletionTimestamp"):
            self._sets.statuses.forget(request.namespace, request.name)
            return None
        return await self._sets.write_status(ctx, pcs)
