"""The informer: one reflector, one indexed store, and the event handlers of everyone watching the kind.

The reflector writes; the informer turns each write into handler calls. A list arrives page by page:
each page's new and changed objects are stored and handed to the handlers at once (a controller's
queue fills while later pages are still on the wire), and the end of the list removes what it did not
contain and marks the informer synced. A relist thus becomes the difference against the store (adds,
updates for changed resourceVersions, deletes for objects that vanished), so handlers see each change
once however the stream broke. Handlers run inline and must be quick and
synchronous (enqueueing a request is); they receive the shared cached dicts and must not mutate them.
A handler with ``on_add_all`` (:class:`BatchEventHandler`) gets each run of a page's new objects in one
call, as snapshots that carry their keys: a controller then fills its queue with one call per page
instead of one per object, without working out each key again.

Events from the first list carry ``is_in_initial_list=True`` and a resync replays every object as an
update whose old and new objects are the same, so controllers can give both a low priority.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from shoal.api import GroupVersionKind, GroupVersionResource, Object, ObjectKey, WatchEvent, split_api_version
from shoal.client import Client

from ._indexer import Indexer, IndexFunc
from ._reflector import Reflector, ReflectorOptions
from ._snapshot import Snapshot, debug_from_env

log = logging.getLogger(__name__)


class EventHandler(Protocol):
    """Receives an informer's changes. Methods are called inline, in order, and must not block."""

    def on_add(self, obj: Object, is_in_initial_list: bool) -> None: ...

    def on_update(self, old: Object, new: Object) -> None: ...

    def on_delete(self, obj: Object) -> None: ...


@runtime_checkable
class BatchEventHandler(EventHandler, Protocol):
    """An :class:`EventHandler` that also takes several adds in one call (a list page's new objects)."""

    def on_add_all(self, snapshots: Sequence[Snapshot], is_in_initial_list: bool) -> None:
        """The same as ``on_add(snapshot.obj, ...)`` for each snapshot, in order; one object's failure
        must not stop the rest."""
        ...


AddAll = Callable[[Sequence[Snapshot], bool], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class InformerOptions:
    """What one informer watches and how.

    Attributes:
        namespace: watch one namespace only; ``None`` (the default) watches all.
        label_selector, field_selector: server-side filters of the list and watch.
        resync_period: seconds between replays of every cached object to the handlers (jittered by
            ±10 %); ``None`` (the default) never resyncs.
        debug: check cached objects for in-place mutation; ``None`` reads ``SHOAL_CACHE_DEBUG``.
        reflector: list/watch tuning.
    """

    namespace: str | None = None
    label_selector: str = ""
    field_selector: str = ""
    resync_period: float | None = None
    debug: bool | None = None
    reflector: ReflectorOptions = field(default_factory=ReflectorOptions)


class Informer:
    """A cached, indexed view of one resource that notifies handlers of every change.

    Run it with :meth:`run` (in a task group); :meth:`wait_for_sync` returns once the first list is in.
    """

    def __init__(
        self, client: Client, resource: GroupVersionResource, *, options: InformerOptions | None = None
    ) -> None:
        self.resource = resource
        self.options = options or InformerOptions()
        self.debug = debug_from_env() if self.options.debug is None else self.options.debug
        self.indexer = Indexer()
        self.kind: GroupVersionKind | None = None
        """The kind of the objects, known after the first list."""
        self.reflector = Reflector(
            client,
            resource,
            self,
            namespace=self.options.namespace,
            label_selector=self.options.label_selector,
            field_selector=self.options.field_selector,
            options=self.options.reflector,
        )
        self._handlers: list[EventHandler] = []
        self._add_alls: list[AddAll] = []
        self._synced = asyncio.Event()
        self._listed: set[ObjectKey] = set()

    # -- public surface ---------------------------------------------------------------------------

    @property
    def has_synced(self) -> bool:
        """Whether the first list has been stored."""
        return self._synced.is_set()

    async def wait_for_sync(self) -> None:
        """Wait for the first list (bound the wait with ``asyncio.timeout``)."""
        await self._synced.wait()

    def add_handler(self, handler: EventHandler) -> None:
        """Register a handler. Added after the first list, it is first told of every cached object."""
        self._handlers.append(handler)
        add_all = self._add_all_of(handler)
        self._add_alls.append(add_all)
        if self.has_synced:
            self._call(add_all, list(self.indexer), True)

    def add_index(self, name: str, func: IndexFunc) -> None:
        """Add a custom index (see :class:`Indexer`)."""
        self.indexer.add_index(name, func)

    def get(self, key: ObjectKey) -> Snapshot | None:
        """The cached snapshot of one object (shared: call ``.copy()`` before changing it)."""
        snap = self.indexer.get(key)
        if snap is not None and self.debug:
            snap.verify(self.resource)
        return snap

    def snapshots(self) -> Iterable[Snapshot]:
        """Every cached snapshot."""
        return self.indexer

    async def run(self) -> None:
        """List, watch and (optionally) resync until cancelled."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.reflector.run())
            if self.options.resync_period:
                tg.create_task(self._resync_loop(self.options.resync_period))

    # -- ReflectorStore ---------------------------------------------------------------------------

    def replace(self, items: list[Object], list_object: Object) -> None:
        """Store a complete list and notify handlers of the difference against the cache."""
        self.begin_list()
        self.add_page(items)
        self.end_list(list_object)

    def begin_list(self) -> None:
        """A list starts: the pages that follow, up to :meth:`end_list`, are the server's whole state."""
        self._listed = set()

    def add_page(self, items: list[Object]) -> None:
        """Store one page of the list in progress and notify handlers of what is new or changed, so
        the work queue fills while later pages are still on the wire."""
        if self.kind is None and items:
            self._learn_kind(items[0], from_list=False)
        self._store(items, not self.has_synced, self._listed)

    def end_list(self, list_object: Object) -> None:
        """The list is complete: drop (and report deleted) what it did not contain; the informer has
        synced."""
        if self.kind is None:
            self._learn_kind(list_object, from_list=True)
        listed, self._listed = self._listed, set()
        for key in self.indexer.list_keys():
            if key not in listed:
                gone = self.indexer.pop(key)
                if gone is not None:
                    self._check(gone)
                    self._notify_delete(gone.obj)
        self._synced.set()

    def apply(self, event: WatchEvent) -> None:
        """Store one watch event and notify handlers."""
        obj = event.object
        if event.type == "DELETED":
            gone = self.indexer.pop(ObjectKey.of(obj))
            if gone is not None:
                self._check(gone)
                self._notify_delete(obj)
            return
        self._store([obj], False)

    # -- internals --------------------------------------------------------------------------------

    def _store(self, items: list[Object], initial: bool, listed: set[ObjectKey] | None = None) -> None:
        """Store ``items`` (noting their keys in ``listed``) and tell handlers, in order, of each new or
        changed one; runs of new objects go to handlers in one call."""
        checked, indexer = self.debug, self.indexer
        added: list[Snapshot] = []
        for obj in items:
            snap = Snapshot(obj, checked=checked)
            key = snap.key
            if listed is not None:
                listed.add(key)
            old = indexer.get(key)
            if old is None:
                indexer.put(snap)
                added.append(snap)
                continue
            self._check(old)
            if old.resource_version == snap.resource_version:
                continue
            if added:
                self._notify_adds(added, initial)
                added = []
            indexer.put(snap)
            for handler in self._handlers:
                self._call(handler.on_update, old.obj, obj)
        if added:
            self._notify_adds(added, initial)

    def _notify_adds(self, snapshots: list[Snapshot], initial: bool) -> None:
        for add_all in self._add_alls:
            self._call(add_all, snapshots, initial)

    def _add_all_of(self, handler: EventHandler) -> AddAll:
        if isinstance(handler, BatchEventHandler):
            return handler.on_add_all

        def add_each(snapshots: Sequence[Snapshot], initial: bool) -> None:
            for snap in snapshots:
                self._call(handler.on_add, snap.obj, initial)

        return add_each

    def _notify_delete(self, obj: Object) -> None:
        for handler in self._handlers:
            self._call(handler.on_delete, obj)

    def _check(self, snap: Snapshot) -> None:
        if self.debug:
            snap.verify(self.resource)

    def _call(self, method: Callable[..., None], *args: object) -> None:
        try:
            method(*args)
        except Exception:
            log.exception("%s: event handler %r failed", self.resource, method)

    def _learn_kind(self, source: Object, *, from_list: bool) -> None:
        kind = str(source.get("kind") or "")
        if from_list:
            kind = kind.removesuffix("List")
        if kind:
            group, version = split_api_version(str(source.get("apiVersion") or self.resource.api_version))
            self.kind = GroupVersionKind(group, version, kind)

    async def _resync_loop(self, period: float) -> None:
        await self._synced.wait()
        while True:
            await asyncio.sleep(period * random.uniform(0.9, 1.1))
            for snap in self.indexer:
                self._check(snap)
                for handler in self._handlers:
                    self._call(handler.on_update, snap.obj, snap.obj)
