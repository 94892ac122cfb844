"""A watch that outlives its connections: reconnect from the last resourceVersion seen.

A single watch request ends for ordinary reasons — the server's ``timeoutSeconds``, a load balancer
idling the connection out, an apiserver restart. client-go's reflector and kopf both reopen the
watch from the last ``resourceVersion`` they saw (bookmarks included, which is why bookmarks are
requested), so nothing is missed and nothing is repeated. Only one failure cannot be resumed: the
server no longer has that resourceVersion (410 Gone); then the caller must list again, so
:class:`shoal.api.GoneError` propagates.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from shoal.api import (
    GroupVersionResource,
    InternalError,
    ServerTimeoutError,
    ServiceUnavailableError,
    TooManyRequestsError,
    WatchEvent,
)

from ._protocol import Client
from ._transport import TransportError

log = logging.getLogger("shoal.client.watch")

RETRYABLE = (TransportError, TooManyRequestsError, InternalError, ServiceUnavailableError, ServerTimeoutError)


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchBackoff:
    """Pause between failed reconnects: ``initial`` doubling (times ``factor``) up to ``maximum`` seconds.

    A stream that ends normally resets the pause; ``Retry-After`` of a 429 overrides it.
    """

    initial: float = 0.1
    maximum: float = 30.0
    factor: float = 2.0

    def next(self, current: float) -> float:
        return min(self.maximum, current * self.factor)


async def watch_forever(
    client: Client,
    resource: GroupVersionResource,
    *,
    namespace: str | None = None,
    label_selector: str = "",
    field_selector: str = "",
    resource_version: str | None = None,
    timeout_seconds: float | None = None,
    yield_bookmarks: bool = True,
    backoff: WatchBackoff = WatchBackoff(),
) -> AsyncIterator[WatchEvent]:
    """Watch ``resource`` indefinitely, resuming after every ended or broken stream.

    Start from ``resource_version`` (normally the ``metadata.resourceVersion`` of a list); each
    reconnect asks for changes after the newest resourceVersion delivered so far. Connection errors
    and 429/500/503/504 answers are retried with ``backoff``. Raises GoneError when the server has
    compacted that resourceVersion: relist, then call again with the list's resourceVersion.
    """
    last = resource_version
    delay = backoff.initial
    while True:
        delivered = False
        try:
            async for event in client.watch(
                resource,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                resource_version=last,
                allow_bookmarks=True,
                timeout_seconds=timeout_seconds,
            ):
                delivered = True
                seen = (event.object.get("metadata") or {}).get("resourceVersion")
                if seen:
                    last = str(seen)
                if event.type != "BOOKMARK" or yield_bookmarks:
                    yield event
        except RETRYABLE as exc:
            pause = float(getattr(exc, "retry_after", None) or delay)
            log.info("watch %s failed (%s); reconnecting in %.2fs from %s", resource, exc, pause, last)
            await asyncio.sleep(pause)
            delay = backoff.next(delay)
            continue
        delay = backoff.initial
        if not delivered:
            # An empty stream (server timeout, immediate close): pause briefly, never for long.
            await asyncio.sleep(backoff.initial)
        log.debug("watch %s ended; resuming from %s", resource, last)
