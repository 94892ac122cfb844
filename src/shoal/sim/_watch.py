"""Watchers: one bounded queue per watch stream, fed synchronously by the store on every commit.

The store never awaits inside a write, so it cannot wait for a slow consumer; instead each watcher owns
a bounded buffer that its stream drains in batches. A watcher whose queue overflows is failed with 410 Expired, as
the apiserver's watch cache terminates watchers that fall too far behind, and its client relists.
Selector filtering happens here, once per watcher per change, turning the store's change into the
event this particular watcher should see (an object that stops matching is a DELETED for it).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from shoal.api import ApiError, GoneError, Object, WatchEvent, WatchEventType
from shoal.api._fields import FieldSelector, selects
from shoal.api._selectors import LabelSelector

from ._objects import meta, with_meta
from ._wakeups import WakeSchedule


@dataclass(slots=True)
class Change:
    """One committed write (never modified once made: the store's history and every watcher share it).
    For DELETED, ``object`` is the last state stamped with the delete's revision.

    A change is also its own watch event (it has ``type`` and ``object``): a watcher that sees it as
    it is queues the change itself, so a write costs no event object however many watch it (streams
    copy the shared stored snapshot on delivery).
    """

    revision: int
    type: WatchEventType
    object: Object
    previous: Object | None


Event = WatchEvent | Change
"""What a watcher queues: a change as it is, or the event a selector turns it into."""


class Watcher:
    """The server side of one watch stream on one resource.

    Events wait in a bounded buffer; the stream's consumer takes them in batches (:meth:`take`) and
    sleeps in :meth:`wait` while the buffer is empty. An idle consumer is woken by the first event at
    once; under a stream of writes it is woken at most every ``batch_interval`` seconds, so it takes
    many events per wake-up instead of paying a task switch per event (with a shared ``wakeups``
    schedule, at a due time rounded up by at most a quarter interval, on a timer it shares with the
    watchers due then). :attr:`closed` with :attr:`error` (``None``: a plain close by the server) ends
    the stream.
    """

    __slots__ = (
        "_events",
        "_everything",
        "_last_wake",
        "_namespace_only",
        "_waiter",
        "after",
        "batch_interval",
        "closed",
        "error",
        "extra_paths",
        "fields",
        "labels",
        "max_events",
        "namespace",
        "storage",
        "wakeups",
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
        batch_interval: float = 0.0,
        wakeups: WakeSchedule | None = None,
    ) -> None:
        self.storage = storage
        self.wakeups = wakeups
        self.after = 0
        """Changes up to this revision are already in the stream's starting events: offers skip them."""
        self.batch_interval = batch_interval
        self._last_wake = float("-inf")
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.extra_paths = extra_paths
        self.max_events = queue_size
        self.closed = False
        self.error: ApiError | None = None
        self._events: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._namespace_only = labels.empty and fields.empty
        self._everything = namespace is None and self._namespace_only

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

    def event_for(self, change: Change) -> Event | None:
        """The event this watcher sees for ``change`` (``None``: not its business)."""
        if self._everything:
            return change
        if self._namespace_only:
            # Namespace never changes, so the transition cases cannot arise.
            if change.object["metadata"].get("namespace") != self.namespace:
                return None
            return change
        if change.type != "MODIFIED" or change.previous is None:
            return change if self.matches(change.object) else None
        now, before = self.matches(change.object), self.matches(change.previous)
        if now:
            return WatchEvent("MODIFIED" if before else "ADDED", change.object)
        if before:
            gone = with_meta(change.previous, resourceVersion=str(change.revision))
            return WatchEvent("DELETED", gone)
        return None

    def offer(self, change: Change) -> None:
        """Buffer the event for ``change``, failing the watcher with 410 when the buffer is full."""
        if self.closed or change.revision <= self.after:
            return
        event = change if self._everything else self.event_for(change)
        if event is None:
            return
        if len(self._events) >= self.max_events:
            self.fail(
                GoneError(
                    f"watcher of {self.storage} fell too far behind (more than {self.max_events} events "
                    "buffered); relist"
                )
            )
            return
        self._events.append(event)
        if self._waiter is not None:
            self._wake()

    @property
    def pending(self) -> bool:
        """Whether events are buffered."""
        return bool(self._events)

    def take(self) -> list[Event]:
        """Every buffered event, oldest first; the buffer is empty afterwards."""
        if not self._events:
            return []
        out = list(self._events)
        self._events.clear()
        return out

    async def wait(self) -> None:
        """Sleep until events are buffered or the watcher closes (bound it with ``asyncio.timeout``)."""
        if self._events or self.closed:
            return
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def fail(self, error: ApiError | None) -> None:
        """End the stream: drop what is buffered and deliver ``error`` (``None``: a plain close)."""
        if self.closed:
            return
        self.closed = True
        self.error = error
        self._events.clear()
        self._wake()

    def _wake(self) -> None:
        """Wake the consumer: at once when idle, at most once per ``batch_interval`` under load."""
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        self._waiter = None
        if self.batch_interval <= 0:
            waiter.set_result(None)
            return
        loop = waiter.get_loop()
        now = loop.time()
        due = self._last_wake + self.batch_interval
        if now >= due:
            self._last_wake = now
            waiter.set_result(None)
        elif self.wakeups is None:
            self._last_wake = due
            loop.call_at(due, _release, waiter)
        else:
            self._last_wake = due = self.wakeups.slot(due, self.batch_interval)
            self.wakeups.wake_at(due, waiter)


def offer_all(watchers: Iterable[Watcher], change: Change) -> None:
    """:meth:`Watcher.offer` ``change`` to each of ``watchers``, the common case inlined (a write with
    ten watchers makes ten offers): a plain open watcher (not a subclass with an ``offer`` of its own)
    without selectors, with room in its buffer and no consumer asleep, that has not seen the change."""
    namespace = change.object["metadata"].get("namespace")
    revision = change.revision
    for watcher in watchers:
        if (
            type(watcher) is Watcher
            and watcher._namespace_only
            and watcher._waiter is None
            and not watcher.closed
            and revision > watcher.after
            and (watcher.namespace is None or watcher.namespace == namespace)
            and len(watcher._events) < watcher.max_events
        ):
            watcher._events.append(change)
        else:
            watcher.offer(change)


def _release(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
