"""Watchers: one bounded queue per watch stream, fed synchronously by the store on every commit.

The store never awaits inside a write, so it cannot wait for a slow consumer; instead each watcher owns
an :class:`asyncio.Queue` with a bound. A watcher whose queue overflows is failed with 410 Expired, as
the apiserver's watch cache terminates watchers that fall too far behind, and its client relists.
Selector filtering happens here, once per watcher per change, turning the store's change into the
event this particular watcher should see (an object that stops matching is a DELETED for it).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from shoal.api import ApiError, GoneError, Object, WatchEvent, WatchEventType
from shoal.api._fields import FieldSelector, selects
from shoal.api._selectors import LabelSelector

from ._objects import meta, with_meta


@dataclass(frozen=True, slots=True)
class Change:
    """One committed write. For DELETED, ``object`` is the last state stamped with the delete's revision."""

    revision: int
    type: WatchEventType
    object: Object
    previous: Object | None


class Watcher:
    """The server side of one watch stream on one resource.

    ``queue`` yields :class:`WatchEvent` items, an :class:`ApiError` (the stream failed) or ``None`` (the
    stream was closed by the server).
    """

    __slots__ = (
        "_everything",
        "closed",
        "extra_paths",
        "fields",
        "labels",
        "namespace",
        "queue",
        "storage",
    )

    def __init__(
        self,
        storage: str,
        *,
        namespace: str | None,
        labels: LabelSelector,
        fields: FieldSelector,
        extra_paths: tuple[str, ...] = (),
        queue_size: int = 10_000,
    ) -> None:
        self.storage = storage
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.extra_paths = extra_paths
        self.queue: asyncio.Queue[WatchEvent | ApiError | None] = asyncio.Queue(queue_size)
        self.closed = False
        self._everything = namespace is None and labels.empty and fields.empty

    def matches(self, obj: Object) -> bool:
        """Whether ``obj`` is in this watcher's namespace and passes its selectors."""
        if self._everything:
            return True
        m = meta(obj)
        if self.namespace is not None and m.get("namespace") != self.namespace:
            return False
        if not self.labels.empty and not self.labels.matches(m.get("labels")):
            return False
        return self.fields.empty or selects(self.fields, obj, self.extra_paths)

    def event_for(self, change: Change) -> WatchEvent | None:
        """The event this watcher sees for ``change`` (``None``: not its business)."""
        if self._everything:
            return WatchEvent(change.type, change.object)
        if change.type != "MODIFIED" or change.previous is None:
            return WatchEvent(change.type, change.object) if self.matches(change.object) else None
        now, before = self.matches(change.object), self.matches(change.previous)
        if now:
            return WatchEvent("MODIFIED" if before else "ADDED", change.object)
        if before:
            gone = with_meta(change.previous, resourceVersion=str(change.revision))
            return WatchEvent("DELETED", gone)
        return None

    def offer(self, change: Change) -> None:
        """Queue the event for ``change``, failing the watcher with 410 when its queue is full."""
        if self.closed:
            return
        event = self.event_for(change)
        if event is None:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.fail(
                GoneError(
                    f"watcher of {self.storage} fell too far behind (more than "
                    f"{self.queue.maxsize} events queued); relist"
                )
            )

    def fail(self, error: ApiError | None) -> None:
        """End the stream: drop what is queued and deliver ``error`` (or a plain close for ``None``)."""
        if self.closed:
            return
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(error)
