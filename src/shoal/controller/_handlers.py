"""From informer events to work-queue requests: map, filter, enqueue with the right priority.

Each watch of a controller is one :class:`EventRouter` registered on the shared informer of its kind.
The router asks the watch's predicates, maps the object to requests (the object itself for ``for_``,
its controlling owner for ``owns``, a user function for ``watches``) and adds them to the controller's
queue. Events from the initial list and resyncs (old and new share a resourceVersion) go in at
``Priority.LOW``, real changes at ``Priority.HIGH``, so a restart's backlog does not delay new work
while aging in the queue still guarantees the backlog is served.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from shoal.api import GroupVersionKind, Object, ObjectKey, split_api_version
from shoal.cache import Informer, Snapshot
from shoal.workqueue import Priority, WorkQueue

from ._predicates import Predicate
from ._reconcile import Request

log = logging.getLogger(__name__)

Mapper = Callable[[Object], Iterable[Request]]
"""Maps a watched object to the requests it should trigger (read-only input)."""


def request_for_object(obj: Object) -> Iterable[Request]:
    """The ``for_`` mapping: the object itself."""
    return (Request.of(obj),)


class OwnerMapper:
    """The ``owns`` mapping: the owner named by the object's ownerReferences.

    Matches owners by group and kind (any version). With ``only_controller`` (the default) only the
    reference marked ``controller: true`` counts. An owner must live in the object's namespace or be
    cluster-scoped; the owner informer's cache tells which when it holds the owner.
    """

    __slots__ = ("kind", "only_controller", "owners")

    def __init__(self, kind: GroupVersionKind, owners: Informer, *, only_controller: bool = True) -> None:
        self.kind = kind
        self.owners = owners
        self.only_controller = only_controller

    def __call__(self, obj: Object) -> Iterable[Request]:
        meta = obj.get("metadata") or {}
        refs: list[dict[str, Any]] = meta.get("ownerReferences") or []
        out: list[Request] = []
        for ref in refs:
            if self.only_controller and not ref.get("controller"):
                continue
            if ref.get("kind") != self.kind.kind:
                continue
            if split_api_version(str(ref.get("apiVersion") or ""))[0] != self.kind.group:
                continue
            name = str(ref.get("name") or "")
            namespace = str(meta.get("namespace") or "")
            if (
                namespace
                and self.owners.get(ObjectKey(namespace, name)) is None
                and self.owners.get(ObjectKey("", name)) is not None
            ):
                namespace = ""
            out.append(Request(namespace, name))
        return out


class EventRouter:
    """An informer :class:`~shoal.cache.BatchEventHandler` that filters, maps and enqueues.

    A mapper or predicate that raises is logged and the event dropped; the informer and the other
    controllers carry on. A list page's new objects come in one :meth:`on_add_all` and go into the
    queue in one :meth:`~shoal.workqueue.WorkQueue.add_all`.
    """

    __slots__ = ("mapper", "predicates", "queue")

    def __init__(
        self, queue: WorkQueue[Request], mapper: Mapper, predicates: Iterable[Predicate] = ()
    ) -> None:
        self.queue = queue
        self.mapper = mapper
        self.predicates = tuple(predicates)

    def on_add(self, obj: Object, is_in_initial_list: bool) -> None:
        if not self.predicates or all(p.create(obj) for p in self.predicates):
            self._enqueue(self.mapper(obj), Priority.LOW if is_in_initial_list else Priority.HIGH)

    def on_add_all(self, snapshots: Sequence[Snapshot], is_in_initial_list: bool) -> None:
        priority = Priority.LOW if is_in_initial_list else Priority.HIGH
        if self.mapper is request_for_object and not self.predicates:
            self.queue.add_all([snap.key for snap in snapshots], priority)
            return
        requests: list[Request] = []
        for snap in snapshots:
            obj = snap.obj
            try:
                if all(p.create(obj) for p in self.predicates):
                    requests.extend(self.mapper(obj))
            except Exception:
                log.exception("event handler failed on %s; event dropped", snap.key)
        self.queue.add_all(requests, priority)

    def on_update(self, old: Object, new: Object) -> None:
        if not all(p.update(old, new) for p in self.predicates):
            return
        unchanged = old is new or _rv(old) == _rv(new)
        priority = Priority.LOW if unchanged else Priority.HIGH
        if unchanged or self.mapper is request_for_object:
            self._enqueue(self.mapper(new), priority)
        else:
            self._enqueue({*self.mapper(old), *self.mapper(new)}, priority)

    def on_delete(self, obj: Object) -> None:
        if all(p.delete(obj) for p in self.predicates):
            self._enqueue(self.mapper(obj), Priority.HIGH)

    def _enqueue(self, requests: Iterable[Request], priority: int) -> None:
        add = self.queue.add
        for request in requests:
            add(request, priority)


def _rv(obj: Object) -> Any:
    return (obj.get("metadata") or {}).get("resourceVersion")
