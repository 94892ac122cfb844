"""Read-only views of the manager's informer cache: the shared cached dicts, without a copy.

The cached reader hands out private copies (one ``orjson.loads`` per object), which is right for code
that changes what it reads. The gang reconcilers mostly compare: a PodCliqueSet sync checks every
Service, PodClique and PodGang of the set against the cache, its status reads every PodClique, and a
PodClique reconcile reads its pods, its gang and its gang's cliques. At 500 replicas those copies were
most of the deploy's CPU. These reads return the informer's shared dict instead; the reconcilers never
change it, and copy it (``deep_copy``) before anything that might. Before the informer's first list,
the view falls back to the cached reader, which waits for it.
"""

from __future__ import annotations

from shoal.api import GroupVersionResource, Object, ObjectKey, not_found
from shoal.cache import INDEX_OWNER_UID, Cache, Informer
from shoal.controller import ReconcileContext


class CacheView:
    """``get`` and ``owned`` over ``cache``'s informers, returning shared read-only dicts.

    Without a cache (a reconciler built outside a manager) every read goes to ``ctx.reader``.
    """

    __slots__ = ("_cache",)

    def __init__(self, cache: Cache | None = None) -> None:
        self._cache = cache

    def _informer(self, resource: GroupVersionResource) -> Informer | None:
        if self._cache is None or not self._cache.running:
            return None
        informer = self._cache.informer(resource)
        return informer if informer.has_synced else None

    async def get(
        self, ctx: ReconcileContext, resource: GroupVersionResource, name: str, namespace: str
    ) -> Object:
        """One cached object (read-only); :class:`shoal.api.NotFoundError` when the cache has none."""
        informer = self._informer(resource)
        if informer is None:
            return await ctx.reader.get(resource, name, namespace=namespace)
        snap = informer.get(ObjectKey(namespace, name))
        if snap is None:
            raise not_found(resource.resource, name, resource.group)
        return snap.obj

    async def owned(
        self, ctx: ReconcileContext, resource: GroupVersionResource, namespace: str, owner_uid: str
    ) -> list[Object]:
        """The cached objects (read-only) in ``namespace`` whose owner references name ``owner_uid``.

        The list itself is new: the caller may append to it or replace its items."""
        informer = self._informer(resource)
        if informer is None:
            return await ctx.reader.list(resource, namespace=namespace, index=(INDEX_OWNER_UID, owner_uid))
        snaps = informer.indexer.by_index(INDEX_OWNER_UID, owner_uid)
        return [s.obj for s in snaps if s.key.namespace == namespace]
