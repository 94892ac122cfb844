"""Opening a watch: which events a new stream starts with, and from which revision it goes live.

The three starting points of the apiserver: no resourceVersion (or ``"0"``) sends every current object
as a synthetic ADDED and then goes live; ``N`` replays every retained change after N (410 when N is
older than the history); ``sendInitialEvents`` (a streaming list) sends the current objects, then a
BOOKMARK annotated ``k8s.io/initial-events-end``. Registration and the snapshot of the starting events
happen in one synchronous step, so no change can slip between them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass

from shoal.api import BadRequestError, InvalidError, Object, StatusCause, WatchEvent

from ._lists import Filter, parse_revision
from ._resources import ResourceInfo
from ._store import Store
from ._watch import Event, Watcher

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


@dataclass(slots=True)
class WatchStream:
    """A registered watcher and the events to deliver before its queue."""

    watcher: Watcher
    initial: list[Event]
    info: ResourceInfo

    def bookmark(self, revision: int, *, initial_events_end: bool = False) -> WatchEvent:
        """A BOOKMARK: an object of the watched kind carrying only ``metadata.resourceVersion``."""
        m: dict[str, object] = {"resourceVersion": str(revision)}
        if initial_events_end:
            m["annotations"] = {INITIAL_EVENTS_END: "true"}
        obj: Object = {"apiVersion": self.info.api_version, "kind": self.info.kind, "metadata": m}
        return WatchEvent("BOOKMARK", obj)


def open_watch(
    store: Store,
    info: ResourceInfo,
    selection: Filter,
    *,
    resource_version: str | None,
    resource_version_match: str | None = None,
    send_initial_events: bool = False,
    queue_size: int = 10_000,
    batch_interval: float = 0.0,
) -> WatchStream:
    """Register a watcher on ``info``'s storage and compute its starting events."""
    watcher = Watcher(
        info.storage,
        namespace=selection.namespace,
        labels=selection.labels,
        fields=selection.fields,
        extra_paths=selection.extra_paths,
        queue_size=queue_size,
        batch_interval=batch_interval,
        wakeups=store.wakeups,
    )
    stream = WatchStream(watcher, [], info)
    if send_initial_events:
        if resource_version_match not in (None, "NotOlderThan"):
            raise InvalidError(
                'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: '
                f'"{resource_version_match}": supported values: "NotOlderThan"',
                causes=(
                    StatusCause("FieldValueNotSupported", "must be NotOlderThan", "resourceVersionMatch"),
                ),
            )
        if resource_version not in (None, "", "0"):
            parse_revision(str(resource_version), store)
        stream.initial = _current(store, info, watcher)
        # Sent even when bookmarks were not asked for: a streaming list is not complete without it.
        stream.initial.append(stream.bookmark(store.revision, initial_events_end=True))
    elif resource_version_match:
        raise BadRequestError("resourceVersionMatch is forbidden for watch unless sendInitialEvents is set")
    elif resource_version in (None, "", "0"):
        stream.initial = _current(store, info, watcher)
    else:
        revision = parse_revision(str(resource_version), store)
        events = (watcher.event_for(c) for c in store.changes_since(info.storage, revision))
        stream.initial = [e for e in events if e is not None]
    # Held changes (see Store.holding) are already in the starting events; their offer is skipped.
    watcher.after = store.revision
    store.watch(watcher)
    return stream


def _current(store: Store, info: ResourceInfo, watcher: Watcher) -> list[Event]:
    objects = store.objects(info.storage)
    return [WatchEvent("ADDED", objects[k]) for k in sorted(objects) if watcher.matches(objects[k])]


async def deliver(
    stream: WatchStream,
    store: Store,
    *,
    copy: Callable[[list[Object]], list[Object]],
    drop_after: int | None = None,
    timeout_seconds: float | None = None,
    bookmark_interval: float | None = None,
) -> AsyncGenerator[list[WatchEvent], None]:
    """The events of an opened watch in batches: its starting events, then live ones, their objects
    ``copy``-ed (one call per batch, copies in order). A batch is what the watcher buffered since the
    last one, so a consumer pays one resumption per batch rather than per event; flatten it to get
    the stream.

    Ends at ``timeout_seconds``, after ``drop_after`` object events (an injected drop), or when the
    server closes the watcher; raises the watcher's error (410 when it fell behind). With a
    ``bookmark_interval``, an idle stream sends a BOOKMARK at the current revision that often and once
    more when its timeout ends it (as the apiserver does, so the client resumes from there), at a
    revision every change up to which has been offered to the watcher (:attr:`Store.watched_revision`).
    Leaving the stream unregisters the watcher.
    """
    watcher = stream.watcher
    loop = asyncio.get_running_loop()
    deadline = None if timeout_seconds is None else loop.time() + max(0.0, timeout_seconds)
    left = drop_after
    try:
        batch = stream.initial
        while True:
            if not batch:
                batch = watcher.take()
            if batch:
                whole = len(batch)
                if left is not None:
                    batch, left = _within(batch, left)
                out = _copied(batch, copy)
                if out:
                    yield out
                if len(batch) < whole:
                    return
                batch = []
                continue
            if watcher.closed:
                if watcher.error is not None:
                    raise watcher.error
                return
            wait = None if deadline is None else deadline - loop.time()
            if bookmark_interval is not None:
                wait = bookmark_interval if wait is None else min(wait, bookmark_interval)
            if wait is None:
                await watcher.wait()
                continue
            if wait > 0:
                try:
                    async with asyncio.timeout(wait):
                        await watcher.wait()
                    continue
                except TimeoutError:
                    pass
            if watcher.pending:
                continue
            if bookmark_interval is not None:
                yield [stream.bookmark(max(watcher.after, store.watched_revision))]
            if deadline is not None and loop.time() >= deadline:
                return
    finally:
        store.unwatch(watcher)
        watcher.closed = True


def _copied(batch: list[Event], copy: Callable[[list[Object]], list[Object]]) -> list[WatchEvent]:
    """``batch`` as watch events with private copies of their objects; a BOOKMARK's object (built
    per stream) is its own."""
    types = [event.type for event in batch]
    if "BOOKMARK" not in types:
        return list(map(WatchEvent, types, copy([event.object for event in batch])))
    copies = iter(copy([event.object for event in batch if event.type != "BOOKMARK"]))
    return [
        WatchEvent(event.type, event.object if event.type == "BOOKMARK" else next(copies)) for event in batch
    ]


def _within(batch: list[Event], left: int) -> tuple[list[Event], int]:
    """The head of ``batch`` before its object event number ``left + 1`` (BOOKMARKs do not count), and
    how many object events may still follow."""
    for i, event in enumerate(batch):
        if event.type == "BOOKMARK":
            continue
        if left == 0:
            return batch[:i], 0
        left -= 1
    return batch, left
