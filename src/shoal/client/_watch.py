"""Reading one watch response: NDJSON lines → :class:`shoal.api.WatchEvent`, errors → typed exceptions.

The apiserver reports a watch that cannot continue (most often: the requested resourceVersion was
compacted away) not with an HTTP status but with an in-stream ``ERROR`` event whose object is a
``Status``; this module turns that event into the same exception the in-process client raises
(``GoneError`` for 410), so a reflector handles both doors with one ``except``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

import aiohttp

from shoal.api import BadRequestError, WatchEvent, WatchEventType, error_from_status

from ._ndjson import NdjsonDecoder
from ._transport import Transport, TransportError

log = logging.getLogger("shoal.client.watch")

EVENT_TYPES = frozenset({"ADDED", "MODIFIED", "DELETED", "BOOKMARK"})
READ_SIZE = 1 << 20


def event_from_json(raw: Any) -> WatchEvent | None:
    """One decoded line as an event; ``ERROR`` raises its Status as an ApiError; unknown types → None."""
    if not isinstance(raw, dict):
        raise BadRequestError(f"watch event is not an object: {raw!r:.80}")
    kind = raw.get("type")
    obj = raw.get("object")
    if kind == "ERROR":
        status = obj if isinstance(obj, dict) else {}
        raise error_from_status(status, http_code=int(status.get("code") or 500))
    if kind not in EVENT_TYPES:
        log.warning("ignoring watch event of unknown type %r", kind)
        return None
    if not isinstance(obj, dict):
        raise BadRequestError(f"watch event {kind} carries no object")
    return WatchEvent(cast(WatchEventType, kind), obj)


async def read_watch(
    transport: Transport, path: str, params: Mapping[str, str], *, resource: str
) -> AsyncIterator[WatchEvent]:
    """Open the watch at ``path`` and yield its events until the server ends the stream.

    A connection that breaks mid-stream ends the iteration like a server-side close (the caller
    resumes from the last resourceVersion it saw); the drop is counted in the client's statistics.
    Reading on after the client was closed raises :class:`TransportError`: resuming cannot help.
    """
    async with transport.stream(path, params, resource=resource) as resp:
        decoder = NdjsonDecoder()
        while True:
            try:
                chunk = await resp.content.read(READ_SIZE)
            except (aiohttp.ClientError, TimeoutError) as exc:
                transport.statistics.watch_drops += 1
                log.debug("watch %s dropped: %s", path, exc)
                return
            except RuntimeError as exc:  # aiohttp's "Connection closed." once the session is gone
                if not transport.closed:
                    raise
                raise TransportError(f"watch {path}: the client is closed") from exc
            if not chunk:
                break
            for raw in decoder.feed(chunk):
                event = event_from_json(raw)
                if event is not None:
                    yield event
        for raw in decoder.close():
            event = event_from_json(raw)
            if event is not None:
                yield event
