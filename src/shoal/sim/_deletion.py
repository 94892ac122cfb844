"""DELETE and deletecollection: preconditions, finalizers, graceful pod deletion, propagation policies.

An object without finalizers (and, for a pod, without a running grace period) leaves the store at once
and the DELETED object is returned. Otherwise it gets ``deletionTimestamp`` and stays: a namespace
turns ``Terminating`` until its contents are gone, a CRD gets the cleanup finalizer until its custom
resources are gone, ``Foreground`` and ``Orphan`` add their finalizers for the garbage collector.
Getting ``deletionTimestamp`` moves the ``generation`` of the kinds that keep one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shoal.api import BadRequestError, NotFoundError, Object, Preconditions, PropagationPolicy

from ._crds import CRD_CLEANUP, CRD_STORAGE, crd_status
from ._lists import Filter
from ._objects import meta, now_rfc3339, rfc3339_after, with_meta
from ._resources import ResourceInfo
from ._strategy import precondition_failed

if TYPE_CHECKING:
    from ._apiserver import ApiServer


def delete_object(
    server: ApiServer,
    info: ResourceInfo,
    name: str,
    *,
    namespace: str | None = None,
    propagation_policy: PropagationPolicy | None = None,
    grace_period_seconds: int | None = None,
    preconditions: Preconditions | None = None,
    dry_run: bool = False,
) -> Object:
    """Delete one object; returns it (with ``deletionTimestamp`` while something holds it) or, when it
    left at once, its last state."""
    key = server.key(info, namespace, name)
    obj = server.store.get(info.storage, key)
    if obj is None:
        raise server.not_found(info, name)
    m = meta(obj)
    if preconditions is not None:
        _check_preconditions(info, name, m, preconditions)
    if propagation_policy not in (None, "Background", "Foreground", "Orphan"):
        raise BadRequestError(
            f'propagationPolicy: Unsupported value: "{propagation_policy}": supported values: '
            '"Foreground", "Background", "Orphan"'
        )
    if dry_run:
        return server.view(info, obj)
    if m.get("deletionTimestamp"):
        if info.storage == "pods" and grace_period_seconds == 0:
            server.gc.kubelet_delete(key, str(m.get("uid")))
            current = server.store.get(info.storage, key)
            return server.view(info, current if current is not None else obj)
        return server.view(info, obj)
    finalizers = list(m.get("finalizers") or ())
    if propagation_policy == "Foreground" and "foregroundDeletion" not in finalizers:
        finalizers.append("foregroundDeletion")
    if propagation_policy == "Orphan" and "orphan" not in finalizers:
        finalizers.append("orphan")
    grace = pod_grace(obj, grace_period_seconds) if info.storage == "pods" else 0
    new: Object | None = None
    if info.storage == "namespaces":
        new = with_meta(obj, deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=0)
        new["status"] = {**(obj.get("status") or {}), "phase": "Terminating"}
    elif info.storage == CRD_STORAGE:
        if CRD_CLEANUP not in finalizers:
            finalizers.append(CRD_CLEANUP)
        new = with_meta(obj, deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=0)
        new["status"] = crd_status(obj, terminating=True)
    elif finalizers or grace > 0:
        new = with_meta(
            obj,
            deletionTimestamp=rfc3339_after(grace) if grace else now_rfc3339(),
            deletionGracePeriodSeconds=grace,
        )
    if new is None:
        gone = server.store.remove(info.storage, key)
        server.gc.after_remove(info, gone)
        return server.view(info, gone)
    if finalizers:
        new["metadata"]["finalizers"] = finalizers
    generation = m.get("generation")
    if isinstance(generation, int) and generation > 0:
        # Being deleted is a new desired state: the apiserver moves the generation of kinds that keep one.
        new["metadata"]["generation"] = generation + 1
    stored = server.store.put(info.storage, new, obj)
    if grace > 0:
        server.gc.pod_grace_started(key, str(m.get("uid")), grace)
    server.gc.after_write(info, stored, obj)
    return server.view(info, stored)


def _check_preconditions(info: ResourceInfo, name: str, m: dict[str, Any], pre: Preconditions) -> None:
    if pre.uid is not None and pre.uid != m.get("uid"):
        raise precondition_failed(info, name, "UID", pre.uid, m.get("uid"))
    if pre.resource_version is not None and pre.resource_version != m.get("resourceVersion"):
        raise precondition_failed(
            info, name, "ResourceVersion", pre.resource_version, m.get("resourceVersion")
        )


def delete_matching(
    server: ApiServer,
    info: ResourceInfo,
    *,
    namespace: str | None = None,
    label_selector: str = "",
    field_selector: str = "",
    propagation_policy: PropagationPolicy | None = None,
) -> Object:
    selection = Filter.parse(info, namespace, label_selector, field_selector)
    targets = [meta(o) for k, o in sorted(server.store.objects(info.storage).items()) if selection.matches(o)]
    deleted: list[Object] = []
    for m in targets:
        try:
            deleted.append(
                delete_object(
                    server,
                    info,
                    m["name"],
                    namespace=m.get("namespace"),
                    propagation_policy=propagation_policy,
                )
            )
        except NotFoundError:
            continue
    return {
        "apiVersion": info.api_version,
        "kind": info.list_kind,
        "metadata": {"resourceVersion": str(server.store.revision)},
        "items": deleted,
    }


def ready_to_remove(obj: Object) -> bool:
    """A deleting object with no finalizers left (and no grace period running) leaves the store."""
    m = meta(obj)
    if not m.get("deletionTimestamp") or m.get("finalizers") or m.get("deletionGracePeriodSeconds"):
        return False
    return not (obj.get("kind") == "Namespace" and (obj.get("spec") or {}).get("finalizers"))


def pod_grace(pod: Object, requested: int | None) -> int:
    """The apiserver's ``CheckGracefulDelete`` for pods: 0 unless bound and still running."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    if requested is not None:
        return max(0, int(requested))
    return int(spec.get("terminationGracePeriodSeconds", 30) or 0)
