"""A small HTTP/1.1 keep-alive connection pool for the controller's calls to fastlets.

A heartbeat sweep is 1,000 tiny GETs every 2 s, and the seed's budget for a sweep is tens of
milliseconds. aiohttp's client spends about 0.13 ms of Python on each request on the benchmark
machine (request and response objects, URL parsing, timers, a stream reader), so 1,000 probes cost
more CPU than the whole sweep's budget. This pool does only what the fastlet API needs: one request at
a time per connection, idle connections kept per host and reused, at most ``limit`` connections, a
response read by ``Content-Length``, chunked encoding, or to the end of the connection. A request that
times out or is cancelled closes its connection rather than returning it.
"""

from __future__ import annotations

import asyncio
import functools
from collections import defaultdict
from typing import cast
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024


class ResponseError(ValueError):
    """The peer's reply is not HTTP/1.x this pool can read."""


@functools.lru_cache(maxsize=65536)
def _split(url: str) -> tuple[tuple[str, int], str, str]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"only http:// URLs are supported, not {url!r}")
    port = parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (parts.hostname, port), target, parts.netloc


class _Connection(asyncio.Protocol):
    """One keep-alive connection; reads one response per request."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.reusable = True
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.received = 0
        """Bytes received for the request in flight."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.reusable = False
        waiter, self._waiter = self._waiter, None
        if waiter is None or waiter.done():
            return
        try:
            parsed = self._parse(eof=True)
        except ResponseError as error:
            waiter.set_exception(error)
            return
        if parsed is not None:
            waiter.set_result(parsed)
        else:
            waiter.set_exception(ConnectionResetError("the connection closed before the response ended"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self.received += len(data)
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        try:
            parsed = self._parse(eof=False)
        except ResponseError as error:
            self.reusable = False
            self._waiter = None
            waiter.set_exception(error)
            return
        if parsed is not None:
            self._waiter = None
            waiter.set_result(parsed)

    def send(self, request: bytes) -> asyncio.Future[tuple[int, bytes]]:
        if self.transport is None:
            raise ConnectionResetError("the connection is closed")
        self._buffer.clear()
        self.received = 0
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return self._waiter

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()

    def _parse(self, *, eof: bool) -> tuple[int, bytes] | None:
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > MAX_HEAD:
                raise ResponseError("the response head is too large")
            return None
        lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        status = lines[0].split(" ", 2)
        if len(status) < 2 or not status[0].startswith("HTTP/1.") or not status[1].isdigit():
            raise ResponseError(f"not an HTTP/1.x response: {lines[0][:80]!r}")
        code = int(status[1])
        length: int | None = None
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                if not value.strip().isdigit():
                    raise ResponseError(f"bad Content-Length {value.strip()!r}")
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value.lower()
            elif name == "connection" and value.strip().lower() == "close":
                self.reusable = False
        start = end + 4
        if code in (204, 304) or 100 <= code < 200:
            return code, b""
        if chunked:
            body = _dechunk(buffer, start)
            return None if body is None else (code, body)
        if length is None:
            self.reusable = False
            return (code, bytes(buffer[start:])) if eof else None
        if len(buffer) - start < length:
            return None
        return code, bytes(buffer[start : start + length])


def _dechunk(buffer: bytearray, at: int) -> bytes | None:
    """The body of a complete chunked message starting at ``at``; None while it is incomplete."""
    body = bytearray()
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size_text = bytes(buffer[at:line_end]).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ResponseError(f"bad chunk size {size_text[:20]!r}") from None
        if size == 0:
            return (
                bytes(body) if buffer.find(b"\r\n\r\n", line_end) >= 0 or buffer.endswith(b"\r\n") else None
            )
        if len(buffer) < line_end + 2 + size + 2:
            return None
        body += buffer[line_end + 2 : line_end + 2 + size]
        at = line_end + 2 + size + 2


def connection_answered(connection: _Connection | None) -> bool:
    """Whether the peer sent any of a response on ``connection`` (then a retry could repeat a request)."""
    return connection is not None and bool(connection.received)


class Http1Pool:
    """Keep-alive HTTP/1.1 requests with at most ``limit`` connections open (0: no limit)."""

    def __init__(self, limit: int = 100) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit) if limit > 0 else None
        self._idle: defaultdict[tuple[str, int], list[_Connection]] = defaultdict(list)
        self._closed = False

    async def request(
        self, method: str, url: str, body: bytes | None = None, *, seconds: float
    ) -> tuple[int, bytes]:
        """Send one request; returns the status code and the body. Raises OSError, TimeoutError or
        ResponseError."""
        if self._closed:
            raise ConnectionResetError("the connection pool is closed")
        peer, target, host = _split(url)
        head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        request = (head + "\r\n").encode("latin-1") + (body or b"")
        if self._slots is None:
            return await self._exchange(peer, request, seconds)
        async with self._slots:
            return await self._exchange(peer, request, seconds)

    async def _exchange(self, peer: tuple[str, int], request: bytes, seconds: float) -> tuple[int, bytes]:
        idle = self._idle[peer]
        async with asyncio.timeout(seconds):
            while True:
                connection: _Connection | None = None
                while idle and connection is None:
                    candidate = idle.pop()
                    if candidate.transport is not None and candidate.reusable:
                        connection = candidate
                reused = connection is not None
                try:
                    if connection is None:
                        loop = asyncio.get_running_loop()
                        _, connection = await loop.create_connection(_Connection, *peer)
                    reply = await connection.send(request)
                except ConnectionResetError:
                    if connection is not None:
                        connection.close()
                    if reused and not connection_answered(connection):
                        continue  # the peer closed an idle connection as it was reused: try a new one
                    raise
                except BaseException:
                    if connection is not None:
                        connection.close()
                    raise
                break
        if connection.reusable and not self._closed:
            idle.append(connection)
        else:
            connection.close()
        return reply

    def close(self) -> None:
        """Close every idle connection; requests in flight close theirs when they finish."""
        self._closed = True
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()
