"""The cached reader: get and list from the informers, never from the server, never sharing state.

Reconcilers read far more than they write, so reads come from memory. Every object returned is a
private copy decoded from the snapshot's bytes: a caller may change it and send it back with
``client.update`` without corrupting what other reconcilers see. Reading a resource that no informer
watches yet starts one and waits for its first list, as controller-runtime's cache does.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from shoal.api import (
    FieldSelector,
    GroupVersionResource,
    LabelSelector,
    Object,
    ObjectKey,
    ShoalError,
    not_found,
    selects,
)

from ._indexer import INDEX_NAMESPACE
from ._informer import Informer
from ._snapshot import Snapshot

if TYPE_CHECKING:
    from ._cache import Cache


class CacheNotRunningError(ShoalError):
    """A read needed an informer that cannot start because the cache is not running."""


class CachedReader:
    """``get`` and ``list`` over a :class:`Cache`, returning objects the caller owns."""

    __slots__ = ("_cache",)

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def get(self, resource: GroupVersionResource, name: str, *, namespace: str | None = None) -> Object:
        """One object by name; raises :class:`shoal.api.NotFoundError` when the cache has none."""
        informer = await self._synced(resource)
        snap = informer.get(ObjectKey(namespace or "", name))
        if snap is None:
            raise not_found(resource.resource, name, resource.group)
        return snap.copy()

    async def list(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str | LabelSelector = "",
        field_selector: str | FieldSelector = "",
        index: tuple[str, str] | None = None,
    ) -> list[Object]:
        """Objects of ``resource`` sorted by namespace and name.

        Args:
            namespace: only this namespace (``None``: all).
            label_selector, field_selector: filters, as text or parsed; bad text raises BadRequestError.
            index: ``(index name, value)``: only objects filed under ``value`` in that index, e.g.
                ``(INDEX_OWNER_UID, owner_uid)``.
        """
        labels = (
            label_selector
            if isinstance(label_selector, LabelSelector)
            else LabelSelector.parse(label_selector)
        )
        fields = (
            field_selector
            if isinstance(field_selector, FieldSelector)
            else FieldSelector.parse(field_selector)
        )
        informer = await self._synced(resource)
        snaps: list[Snapshot]
        if index is not None:
            snaps = informer.indexer.by_index(*index)
            if namespace is not None:
                snaps = [s for s in snaps if s.key.namespace == namespace]
        elif namespace is not None:
            snaps = informer.indexer.by_index(INDEX_NAMESPACE, namespace)
        else:
            snaps = list(informer.snapshots())
        if informer.debug:
            for snap in snaps:
                snap.verify(resource)
        if not labels.empty:
            snaps = [s for s in snaps if labels.matches((s.obj.get("metadata") or {}).get("labels"))]
        if not fields.empty:
            snaps = [s for s in snaps if selects(fields, s.obj)]
        snaps.sort(key=_by_key)
        return [s.copy() for s in snaps]

    async def _synced(self, resource: GroupVersionResource) -> Informer:
        cache = self._cache
        informer = cache.informer(resource)
        if informer.has_synced:
            return informer
        if not cache.running:
            raise CacheNotRunningError(f"cannot read {resource.group_resource}: the cache is not running")
        try:
            async with asyncio.timeout(cache.options.sync_timeout):
                await informer.wait_for_sync()
        except TimeoutError:
            raise CacheNotRunningError(
                f"the cache of {resource.group_resource} did not sync within {cache.options.sync_timeout} s"
            ) from None
        return informer


def _by_key(snap: Snapshot) -> ObjectKey:
    return snap.key
