"""What a deletion sets off: owner-reference cascades, namespace and CRD cleanup, graceful pod removal.

In a real cluster these are separate controllers (garbage collector, namespace controller, CRD
finalizer, kubelet). Here they run synchronously right after the write that triggers them, through a
work list (so a long cascade needs no deep recursion), and every step is an ordinary store write:
watchers see the same MODIFIED (deletionTimestamp, finalizer removal) and DELETED events, in the same
order, as from a real cluster.

Ordering: Background removes the owner first, then its dependents; Foreground marks the owner
(``foregroundDeletion``), deletes dependents and removes the owner once no dependent with
``blockOwnerDeletion`` is left; Orphan marks the owner (``orphan``), strips its ownerReferences from the
dependents, then removes it. Dependents whose other owners still exist only lose the dead reference.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from shoal.api import ApiError, Object

from ._crds import CRD_CLEANUP, CRD_STORAGE, crd_resources
from ._objects import meta, owner_uids, with_meta
from ._resources import ResourceInfo
from ._store import Key, Ref

if TYPE_CHECKING:
    from ._apiserver import ApiServer


class GarbageCollector:
    """Runs the follow-up writes of deletions for one :class:`ApiServer`."""

    def __init__(self, server: ApiServer) -> None:
        self._server = server
        self._store = server.store
        self._work: deque[Callable[[], None]] = deque()
        self._running = False

    def drain(self) -> None:
        """Run queued work until none is left (a nested call returns at once: the outer loop continues)."""
        if self._running:
            return
        self._running = True
        try:
            while self._work:
                try:
                    self._work.popleft()()
                except ApiError:
                    continue
        finally:
            self._running = False

    # -- hooks called by the ApiServer ------------------------------------------------------------

    def after_write(self, info: ResourceInfo, stored: Object, old: Object | None) -> None:
        m = stored["metadata"]
        if info.storage == CRD_STORAGE and not m.get("deletionTimestamp"):
            self._sync_crd(stored)
        added = owner_uids(stored) - owner_uids(old) if "ownerReferences" in m else None
        if added and any(self._store.by_uid(uid) is None for uid in added):
            ref = (info.storage, m.get("namespace") or "", m["name"])
            check = partial(self._verify_owners, ref, str(m.get("uid")))
            if self._server.schedule is not None:
                self._server.schedule(0.0, check)
            else:
                self._work.append(check)
        if m.get("deletionTimestamp") and (old is None or not meta(old).get("deletionTimestamp")):
            key, uid = _key(stored), str(m.get("uid"))
            self._work.append(lambda: self._deletion_started(info.storage, key, uid))
        if self._work:
            self.drain()

    def after_remove(self, info: ResourceInfo, gone: Object) -> None:
        storage, m = info.storage, meta(gone)
        uid = str(m.get("uid"))
        if storage == CRD_STORAGE:
            self._unregister_crd(m["name"])
        for ref, _ in self._store.dependents(uid):
            self._work.append(partial(self._collect, ref, uid))
        for owner in owner_uids(gone):
            self._work.append(partial(self._finish_foreground, owner))
        ns = m.get("namespace")
        if ns:
            namespace = self._store.get("namespaces", ("", ns))
            if namespace is not None and meta(namespace).get("deletionTimestamp"):
                self._work.append(lambda: self._finish_namespace(ns))
        if info.is_crd:
            self._work.append(lambda: self._finish_crd(storage))
        self.drain()

    def pod_grace_started(self, key: Key, uid: str, grace: int) -> None:
        """A bound pod got a grace period: the kubelet (or this simulator, by option) removes it later."""
        server = self._server
        if not server.pod_graceful_delete:
            return
        delay = min(float(grace), server.pod_grace_cap)
        if delay <= 0 or server.schedule is None:
            self._work.append(lambda: self.kubelet_delete(key, uid))
        else:
            server.schedule(delay, lambda: self.kubelet_delete(key, uid))

    def kubelet_delete(self, key: Key, uid: str) -> None:
        """What the kubelet does when a pod's containers stopped: delete it with grace period 0."""
        pod = self._store.get("pods", key)
        if pod is None or meta(pod).get("uid") != uid:
            return
        info = self._server.resources.for_storage("pods")
        if info is not None:
            self._server.commit_update(info, with_meta(pod, deletionGracePeriodSeconds=0), pod)
        self.drain()

    # -- steps -------------------------------------------------------------------------------------

    def _get(self, ref: Ref, uid: str | None = None) -> tuple[ResourceInfo, Object] | None:
        info = self._server.resources.for_storage(ref[0])
        if info is None or not self._store.has_storage(ref[0]):
            return None
        obj = self._store.get(ref[0], (ref[1], ref[2]))
        if obj is None or (uid is not None and meta(obj).get("uid") != uid):
            return None
        return info, obj

    def _write_meta(self, ref: Ref, uid: str | None, **changes: object) -> None:
        found = self._get(ref, uid)
        if found is not None:
            info, obj = found
            self._server.commit_update(info, with_meta(obj, **changes), obj)

    def _remove_finalizer(self, ref: Ref, uid: str | None, finalizer: str) -> None:
        found = self._get(ref, uid)
        if found is None:
            return
        finalizers = [f for f in meta(found[1]).get("finalizers") or () if f != finalizer]
        self._write_meta(ref, uid, finalizers=finalizers or None)

    def _delete(self, ref: Ref, policy: str = "Background") -> None:
        found = self._get(ref)
        if found is None or meta(found[1]).get("deletionTimestamp"):
            return
        self._server.delete(found[0], ref[2], namespace=ref[1] or None, propagation_policy=policy)  # type: ignore[arg-type]

    def _deletion_started(self, storage: str, key: Key, uid: str) -> None:
        ref = (storage, key[0], key[1])
        found = self._get(ref, uid)
        if found is None:
            return
        obj = found[1]
        finalizers = meta(obj).get("finalizers") or ()
        if "foregroundDeletion" in finalizers:
            for dep_ref, _ in self._store.dependents(uid):
                policy = "Foreground" if self._has_dependents(dep_ref) else "Background"
                self._work.append(partial(self._delete, dep_ref, policy))
            self._work.append(lambda: self._finish_foreground(uid))
        if "orphan" in finalizers:
            for dep_ref, _ in self._store.dependents(uid):
                self._strip_owner(dep_ref, uid)
            self._remove_finalizer(ref, uid, "orphan")
        if storage == "namespaces":
            self._empty_namespace(key[1])
        if storage == CRD_STORAGE:
            for cr_key in sorted(self._store.objects(key[1])) if self._store.has_storage(key[1]) else ():
                self._work.append(partial(self._delete, (key[1], cr_key[0], cr_key[1])))
            self._work.append(lambda: self._finish_crd(key[1]))

    def _has_dependents(self, ref: Ref) -> bool:
        found = self._get(ref)
        return found is not None and bool(self._store.dependents(str(meta(found[1]).get("uid"))))

    def _strip_owner(self, ref: Ref, owner_uid: str) -> None:
        found = self._get(ref)
        if found is None:
            return
        refs = [r for r in meta(found[1]).get("ownerReferences") or () if r.get("uid") != owner_uid]
        self._write_meta(ref, None, ownerReferences=refs or None)

    def _collect(self, ref: Ref, owner_uid: str) -> None:
        """The owner ``owner_uid`` is gone: drop the dependent, unless another owner still exists."""
        found = self._get(ref)
        if found is None:
            return
        alive = [u for u in owner_uids(found[1]) if u != owner_uid and self._store.by_uid(u) is not None]
        if alive:
            self._strip_owner(ref, owner_uid)
        else:
            self._delete(ref)

    def _verify_owners(self, ref: Ref, uid: str) -> None:
        """Owners named by uid that do not exist: drop those references, or the object if none is left."""
        found = self._get(ref, uid)
        if found is None:
            return
        owners = owner_uids(found[1])
        dead = {u for u in owners if self._store.by_uid(u) is None}
        if dead == owners:
            self._delete(ref)
        elif dead:
            refs = [r for r in meta(found[1]).get("ownerReferences") or () if r.get("uid") not in dead]
            self._write_meta(ref, uid, ownerReferences=refs)
        self.drain()

    def _finish_foreground(self, owner_uid: str) -> None:
        found = self._store.by_uid(owner_uid)
        if found is None:
            return
        ref, owner = found
        m = meta(owner)
        if not m.get("deletionTimestamp") or "foregroundDeletion" not in (m.get("finalizers") or ()):
            return
        for _, dep in self._store.dependents(owner_uid):
            for r in meta(dep).get("ownerReferences") or ():
                if r.get("uid") == owner_uid and r.get("blockOwnerDeletion"):
                    return
        self._remove_finalizer(ref, owner_uid, "foregroundDeletion")

    def _empty_namespace(self, ns: str) -> None:
        for info in self._server.resources.all():
            if not info.namespaced or not info.storage_version or not self._store.has_storage(info.storage):
                continue
            for key in sorted(k for k in self._store.objects(info.storage) if k[0] == ns):
                self._work.append(partial(self._delete, (info.storage, key[0], key[1])))
        self._work.append(lambda: self._finish_namespace(ns))

    def _finish_namespace(self, ns: str) -> None:
        namespace = self._store.get("namespaces", ("", ns))
        if namespace is None or not meta(namespace).get("deletionTimestamp") or self._store.population(ns):
            return
        spec = namespace.get("spec") or {}
        if "kubernetes" not in (spec.get("finalizers") or ()):
            return
        info = self._server.resources.for_storage("namespaces")
        if info is not None:
            new = dict(namespace)
            new["spec"] = {**spec, "finalizers": [f for f in spec["finalizers"] if f != "kubernetes"]}
            self._server.commit_update(info, new, namespace)

    def _finish_crd(self, storage: str) -> None:
        crd = self._store.get(CRD_STORAGE, ("", storage))
        if crd is None or not meta(crd).get("deletionTimestamp"):
            return
        if self._store.has_storage(storage) and self._store.objects(storage):
            return
        self._remove_finalizer((CRD_STORAGE, "", storage), None, CRD_CLEANUP)

    # -- CRD registration --------------------------------------------------------------------------

    def _sync_crd(self, crd: Object) -> None:
        storage = meta(crd)["name"]
        registry = self._server.resources
        wanted = {info.gvr: info for info in crd_resources(crd)}
        for info in registry.versions_of(storage):
            if wanted.get(info.gvr) != info:
                registry.remove(info.gvr)
        for gvr, info in wanted.items():
            if registry.lookup(gvr) != info:
                registry.add(info)
        self._store.add_storage(storage)

    def _unregister_crd(self, storage: str) -> None:
        registry = self._server.resources
        for info in registry.versions_of(storage):
            registry.remove(info.gvr)
        self._store.drop_storage(storage)


def _key(obj: Object) -> Key:
    m = meta(obj)
    return (m.get("namespace") or "", m["name"])
