"""The cached reader: get and list from the informers, never from the server.

Reconcilers read far more than they write, so reads come from memory. By default every object returned
is a private copy decoded from the snapshot's bytes (one ``orjson.loads`` each): a caller may change it
and send it back with ``client.update`` without corrupting what other reconcilers see. A reconciler
that only compares what it reads pays for copies it never changes; ``copy=False`` hands it the
informer's shared dicts instead, read-only by contract (controller-runtime's ``UnsafeDisableDeepCopy``),
and the cache's debug mode reports a caller that breaks the contract. Reading a resource that no
informer watches yet starts one and waits for its first list, as controller-runtime's cache does.
"""

from __future__ import annotations

import asyncio
from operator import attrgetter
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


_EVERY_FIELD = FieldSelector()
"""The empty field selector: ``list`` skips parsing the common ``""``."""
_BY_KEY = attrgetter("key")
_BY_NAME = attrgetter("key.name")


class CacheNotRunningError(ShoalError):
    """A read needed an informer that cannot start because the cache is not running."""


class CachedReader:
    """``get`` and ``list`` over a :class:`Cache`: private copies, or with ``copy=False`` shared dicts.

    A shared dict (``copy=False``) is the very object the informer stores and hands to event handlers,
    index functions and every other ``copy=False`` reader. The caller may read it, keep it and compare
    it; it must never change it, nor anything inside it, nor hand it to code that might:
    ``shoal.api.deep_copy(obj)``, or a read with ``copy=True``, gives a private copy to change. Nor
    does it change under the caller: the informer replaces an object on every event instead of updating
    it, so a kept dict stays the state it was read in (stale, never torn). With the cache's debug mode
    on (``SHOAL_CACHE_DEBUG=1`` or ``debug=True``), an in-place change raises
    :class:`CacheMutationError`, naming the resource and the object, on that object's next read or
    event at the latest.
    """

    __slots__ = ("_cache",)

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def get(
        self, resource: GroupVersionResource, name: str, *, namespace: str | None = None, copy: bool = True
    ) -> Object:
        """One object by name; raises :class:`shoal.api.NotFoundError` when the cache has none.

        ``copy=False`` returns the informer's shared dict, which the caller must not change (see the
        class docstring): two reads of an unchanged object return the same dict.
        """
        informer = self._cache.informer(resource)
        if not informer.has_synced:
            await self._sync(informer)
        snap = informer.get(ObjectKey(namespace or "", name))
        if snap is None:
            raise not_found(resource.resource, name, resource.group)
        return snap.copy() if copy else snap.obj

    async def list(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str | LabelSelector = "",
        field_selector: str | FieldSelector = "",
        index: tuple[str, str] | None = None,
        copy: bool = True,
    ) -> list[Object]:
        """Objects of ``resource`` sorted by namespace and name, in a new list the caller owns.

        Args:
            namespace: only this namespace (``None``: all).
            label_selector, field_selector: filters, as text or parsed; bad text raises BadRequestError.
            index: ``(index name, value)``: only objects filed under ``value`` in that index, e.g.
                ``(INDEX_OWNER_UID, owner_uid)``.
            copy: ``False`` fills the list with the informer's shared dicts, which the caller must not
                change (see the class docstring); the list itself is new either way.
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
            if field_selector
            else _EVERY_FIELD
        )
        informer = self._cache.informer(resource)
        if not informer.has_synced:
            await self._sync(informer)
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
        # One namespace: order by name alone, which sorts strings (C's fast path), not named tuples.
        if len(snaps) > 1:
            snaps.sort(key=_BY_KEY if namespace is None else _BY_NAME)
        if copy:
            return [s.copy() for s in snaps]
        return [s.obj for s in snaps]

    async def _sync(self, informer: Informer) -> None:
        """Wait for the first list of an informer that has none yet."""
        cache, resource = self._cache, informer.resource
        if not cache.running:
            raise CacheNotRunningError(f"cannot read {resource.group_resource}: the cache is not running")
        try:
            async with asyncio.timeout(cache.options.sync_timeout):
                await informer.wait_for_sync()
        except TimeoutError:
            raise CacheNotRunningError(
                f"the cache of {resource.group_resource} did not sync within {cache.options.sync_timeout} s"
            ) from None
