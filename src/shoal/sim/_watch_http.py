"""Watch over HTTP: a chunked stream of newline-delimited JSON events.

One task reads the simulator's watch (an async iterator of events) and encodes each event once into its
wire form; the request handler writes whatever has accumulated in a single chunk. A busy stream thus
costs one socket write per batch rather than per event, which is what lets ten watchers follow thousands
of writes a second. The first moments decide how an error is reported: a failure before any event (a
bad selector, an injected fault) is an ordinary error response, while a too-old resourceVersion is,
as clients expect, an HTTP 200 stream holding one ``ERROR`` event with a 410 ``Status``. When the client
goes away the handler is cancelled, which cancels the reading task and closes the simulator's watch.
When the server shuts down it ends every open stream itself (:class:`WatchStreams`), each with a
complete response, rather than waiting for clients that may never read or close theirs (a consumer
that left its loop with ``break`` keeps its stream open until its generator is collected).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import orjson
from aiohttp import web
from multidict import MultiMapping

from shoal.api import ApiError, GoneError, Object, StatusCause, WatchEvent, invalid

from ._negotiation import JSON, error_response
from ._rest import parse_bool, parse_int
from ._tables import TablePrinter

FIRST_EVENT_GRACE = 0.05
"""Seconds to wait for the first event (or an early failure) before sending the 200 headers."""

MAX_PENDING = 20_000
"""Encoded events a slow client may fall behind by before its stream is closed (it then re-watches)."""

Encoder = Callable[[WatchEvent], bytes]


def event_encoder(printer: TablePrinter | None) -> Encoder:
    """How events go on the wire: ``{"type":..,"object":..}\\n``, objects as Table rows when asked."""
    prefixes: dict[str, bytes] = {}

    def prefix(kind: str) -> bytes:
        found = prefixes.get(kind)
        if found is None:
            found = prefixes[kind] = b'{"type":"' + kind.encode() + b'","object":'
        return found

    if printer is None:
        return lambda ev: prefix(ev.type) + orjson.dumps(ev.object) + b"}\n"

    def encode(ev: WatchEvent) -> bytes:
        obj: Object = ev.object
        if ev.type in ("ADDED", "MODIFIED", "DELETED"):
            obj = printer.object_table(obj)
        return prefix(ev.type) + orjson.dumps(obj) + b"}\n"

    return encode


def error_event(err: ApiError) -> bytes:
    return b'{"type":"ERROR","object":' + orjson.dumps(err.status()) + b"}\n"


class _Pump:
    """Drains a watch iterator into encoded chunks, recording how it ended."""

    def __init__(self, events: AsyncIterator[WatchEvent], encode: Encoder) -> None:
        self._events = events
        self._encode = encode
        self.pending: list[bytes] = []
        self.error: ApiError | None = None
        self.done = False
        self.wake = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None
        """The task running :meth:`run`; cancelling it ends the stream after what was read."""

    async def run(self) -> None:
        closer = getattr(self._events, "aclose", None)
        try:
            async for event in self._events:
                self.pending.append(self._encode(event))
                self.wake.set()
                if len(self.pending) > MAX_PENDING:
                    break
        except ApiError as err:
            self.error = err
        finally:
            self.done = True
            self.wake.set()
            if closer is not None:
                with contextlib.suppress(RuntimeError):
                    await closer()

    def stop(self) -> None:
        """End the stream after what has been read: no more events are read (:meth:`run` may not
        have started yet, so this marks the end itself)."""
        if self.reader is not None:
            self.reader.cancel()
        self.done = True
        self.wake.set()

    def take(self) -> list[bytes]:
        batch, self.pending = self.pending, []
        self.wake.clear()
        return batch


class WatchStreams:
    """The watch streams a server has open, so that shutting down can end them instead of waiting."""

    def __init__(self) -> None:
        self._open: set[_Pump] = set()
        self.ended = False

    def __len__(self) -> int:
        return len(self._open)

    def end_all(self) -> None:
        """End every open stream (each sends what it has read, then a clean end) and any opened later."""
        self.ended = True
        for pump in self._open:
            pump.stop()

    @contextlib.contextmanager
    def opened(self, pump: _Pump) -> Iterator[None]:
        """Count ``pump`` as open for the ``with`` block."""
        if self.ended:
            pump.stop()
        self._open.add(pump)
        try:
            yield
        finally:
            self._open.discard(pump)


async def stream_watch(
    request: web.Request, events: AsyncIterator[WatchEvent], encode: Encoder, streams: WatchStreams
) -> web.StreamResponse:
    """Serve ``events`` as a watch response until the watch ends, the client disconnects or ``streams``
    are ended."""
    pump = _Pump(events, encode)
    async with asyncio.TaskGroup() as tasks:
        reader = pump.reader = tasks.create_task(pump.run())
        with streams.opened(pump):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pump.wake.wait(), FIRST_EVENT_GRACE)
            if (
                pump.done
                and pump.error is not None
                and not pump.pending
                and not isinstance(pump.error, GoneError)
            ):
                return error_response(pump.error)
            response = web.StreamResponse(
                status=200, headers={"Content-Type": JSON, "Cache-Control": "no-cache"}
            )
            response.enable_chunked_encoding()
            try:
                await response.prepare(request)
                await _copy(pump, response)
            except ConnectionError:
                pass
            finally:
                reader.cancel()
    return response


async def _copy(pump: _Pump, response: web.StreamResponse) -> None:
    while True:
        await pump.wake.wait()
        finished = pump.done
        batch = pump.take()
        if batch:
            await response.write(b"".join(batch))
        if finished:
            if pump.error is not None:
                await response.write(error_event(pump.error))
            await response.write_eof()
            return


def _forbidden(field: str, message: str) -> ApiError:
    return invalid(
        "ListOptions.meta.k8s.io", "", StatusCause("FieldValueForbidden", f"Forbidden: {message}", field)
    )


def watch_kwargs(query: MultiMapping[str], namespace: str | None, name: str | None) -> dict[str, Any]:
    """Keyword arguments of ``client.watch`` from the request's query (an object path watches one name).

    ``sendInitialEvents=true`` needs ``resourceVersionMatch=NotOlderThan`` and ``allowWatchBookmarks=true``
    (422 otherwise, as the apiserver's ``validateWatchOptions``), because the stream's end of initial
    events is announced by a bookmark.
    """
    send_initial = parse_bool(query, "sendInitialEvents")
    bookmarks = parse_bool(query, "allowWatchBookmarks")
    if send_initial:
        if query.get("resourceVersionMatch") != "NotOlderThan":
            raise _forbidden(
                "resourceVersionMatch",
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )
        if not bookmarks:
            raise _forbidden(
                "allowWatchBookmarks", "sendInitialEvents requires setting allowWatchBookmarks to true"
            )
    field_selector = query.get("fieldSelector", "")
    if name is not None:
        by_name = f"metadata.name={name}"
        field_selector = f"{field_selector},{by_name}" if field_selector else by_name
    timeout = parse_int(query, "timeoutSeconds")
    return {
        "namespace": namespace,
        "label_selector": query.get("labelSelector", ""),
        "field_selector": field_selector,
        "resource_version": query.get("resourceVersion") or None,
        "allow_bookmarks": bookmarks,
        "send_initial_events": send_initial,
        "timeout_seconds": float(timeout) if timeout is not None and timeout > 0 else None,
    }
