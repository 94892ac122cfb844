"""The reflector: keeps a local store equal to one resource on the server, across drops and compaction.

It lists in pages, asking for the next page before handing the current one to the store (a
:class:`PagedReflectorStore` takes each page as it comes; any other store gets the whole list at the
end), then watches from the list's resourceVersion
with bookmarks so an idle watch still advances its resourceVersion. When the watch stream ends (server
timeout, dropped connection) it watches again from the last resourceVersion it saw
(:func:`shoal.client.watch_forever`), so nothing is lost or repeated. When the server answers 410 Gone (the resourceVersion was compacted away) it relists, and
the store turns the new list into the difference as events. Other errors back off exponentially
(client-go's 800 ms doubling to 30 s) before the next attempt.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from shoal.api import GoneError, GroupVersionResource, Object, WatchEvent, error_from_status
from shoal.client import Client, WatchBackoff, watch_forever

from ._snapshot import CacheMutationError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReflectorOptions:
    """How a reflector lists and watches.

    Attributes:
        page_size: items per list page (``limit``); 0 lists in one response. Defaults to 500.
        watch_timeout_seconds: the server-side timeout asked for each watch; each watch uses a random
            value between this and twice this, so many reflectors do not reconnect in lock-step.
            Defaults to 300.
        backoff_initial: first delay after a failed list or watch, in seconds. Defaults to 0.8.
        backoff_max: cap of the doubling delay. Defaults to 30.
    """

    page_size: int = 500
    watch_timeout_seconds: float = 300.0
    backoff_initial: float = 0.8
    backoff_max: float = 30.0


class ReflectorStore(Protocol):
    """What a reflector feeds: a full replacement after each list, and single watch events."""

    def replace(self, items: list[Object], list_object: Object) -> None:
        """The server's complete state (``list_object`` is the last page, without ``items``)."""
        ...

    def apply(self, event: WatchEvent) -> None:
        """One ADDED / MODIFIED / DELETED event."""
        ...


@runtime_checkable
class PagedReflectorStore(ReflectorStore, Protocol):
    """A store that takes a list page by page: ``begin_list``, ``add_page`` per page, ``end_list``.

    A reflector feeding such a store never holds a whole list, and the store can act on the first
    page while the next is fetched. ``begin_list`` may come again before ``end_list`` when a list
    restarts; the pages after it are then the whole state.
    """

    def begin_list(self) -> None: ...

    def add_page(self, items: list[Object]) -> None: ...

    def end_list(self, list_object: Object) -> None:
        """The list is complete (``list_object`` is the last page, without ``items``)."""
        ...


class Reflector:
    """List-then-watch loop for one resource (optionally one namespace and selectors).

    Attributes:
        resource_version: the last resourceVersion seen (from a list, an event or a bookmark).
        lists: how many full lists ran (the first one plus one per 410 relist); for statistics and tests.
    """

    def __init__(
        self,
        client: Client,
        resource: GroupVersionResource,
        store: ReflectorStore,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        options: ReflectorOptions | None = None,
    ) -> None:
        self.client = client
        self.resource = resource
        self.store = store
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.options = options or ReflectorOptions()
        self.resource_version = ""
        self.lists = 0
        self._delay = 0.0

    async def run(self) -> None:
        """Keep the store in step with the server until cancelled."""
        must_list = True
        while True:
            try:
                if must_list:
                    await self._list()
                    must_list = False
                    self._delay = 0.0
                await self._watch()
            except GoneError:
                log.info("%s: resourceVersion %s is too old, relisting", self.resource, self.resource_version)
                must_list = True
                continue
            except CacheMutationError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure means: back off, then list or watch again
                log.warning("%s: list/watch failed, backing off: %r", self.resource, exc)
            await asyncio.sleep(self._next_delay())

    def _next_delay(self) -> float:
        opts = self.options
        self._delay = min(opts.backoff_max, self._delay * 2 if self._delay else opts.backoff_initial)
        return self._delay * random.uniform(0.9, 1.1)

    async def _list(self) -> None:
        """List in pages; the next page is requested before the current one is stored."""
        store = self.store
        paged = store if isinstance(store, PagedReflectorStore) else None
        items: list[Object] = []
        limit = self.options.page_size
        if paged is not None:
            paged.begin_list()
        page = await self._page(limit, "")
        following: asyncio.Task[Object] | None = None
        try:
            while True:
                meta = page.get("metadata") or {}
                token = str(meta.get("continue") or "")
                if token:
                    following = asyncio.ensure_future(self._page(limit, token))
                    await asyncio.sleep(0)  # let it send the request before this page is stored
                if paged is not None:
                    paged.add_page(page.get("items") or [])
                else:
                    items.extend(page.get("items") or ())
                if following is None:
                    break
                try:
                    page = await following
                except GoneError:
                    # The continue token outlived its snapshot: read everything at once instead.
                    limit, items = 0, []
                    if paged is not None:
                        paged.begin_list()
                    page = await self._page(0, "")
                following = None
        finally:
            if following is not None:
                following.cancel()
                await asyncio.wait([following])
                if not following.cancelled():
                    following.exception()  # retrieved: the list failed for another reason
        page.pop("items", None)
        self.resource_version = str(meta.get("resourceVersion") or "")
        self.lists += 1
        if paged is not None:
            paged.end_list(page)
        else:
            store.replace(items, page)

    async def _page(self, limit: int, token: str) -> Object:
        page: Object = await self.client.list(
            self.resource,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            limit=limit,
            continue_=token,
        )
        return page

    async def _watch(self) -> None:
        """Watch from the current resourceVersion, across stream ends and transient failures.

        Reconnecting is :func:`shoal.client.watch_forever`'s job; it raises GoneError (relist) or a
        non-retryable error (back off, then watch again).
        """
        base = self.options.watch_timeout_seconds
        backoff = WatchBackoff(initial=self.options.backoff_initial, maximum=self.options.backoff_max)
        async for event in watch_forever(
            self.client,
            self.resource,
            namespace=self.namespace,
            label_selector=self.label_selector,
            field_selector=self.field_selector,
            resource_version=self.resource_version,
            timeout_seconds=random.uniform(base, 2 * base),
            backoff=backoff,
        ):
            self._handle(event)
            self._delay = 0.0

    def _handle(self, event: WatchEvent) -> None:
        kind = event.type
        if kind == "ERROR":
            raise error_from_status(event.object)
        rv = (event.object.get("metadata") or {}).get("resourceVersion")
        if kind != "BOOKMARK":
            self.store.apply(event)
        if rv:
            self.resource_version = str(rv)
