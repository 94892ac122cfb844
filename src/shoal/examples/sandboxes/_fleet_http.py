"""The fastlet fleet's HTTP/1.1 server side: one protocol object per connection, no task per request.

A simulated fleet stands for hundreds of machines, each with its own CPU; the benchmark should measure
the controller, not the simulator. An aiohttp app costs about a tenth of a millisecond of Python per
request, so a sweep of 1,000 probes would be bound by the simulator's core. This protocol parses
exactly what fastlet clients send (a request line, headers, a ``Content-Length`` body; keep-alive and
pipelining), hands the request to the fleet, and sends the reply when its injected latency has passed,
with a timer rather than a task. Replies on one connection leave in request order.

Anything else (chunked bodies, a malformed request line, oversized headers) gets 400 and the
connection is closed.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Any, cast

import orjson

from shoal.api import BadRequestError

Handler = Callable[[str, str, bytes], tuple[int, dict[str, Any], float]]
"""Answers (method, path, body) with (HTTP status, JSON body, seconds to wait before replying)."""

MAX_HEAD = 16 * 1024
REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}
REASONS |= {409: "Conflict", 503: "Service Unavailable"}


def encode_reply(code: int, body: dict[str, Any], *, close: bool = False) -> bytes:
    """One HTTP/1.1 response with a JSON body."""
    payload = orjson.dumps(body)
    head = (
        f"HTTP/1.1 {code} {REASONS.get(code, 'Unknown')}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n{'Connection: close' + chr(13) + chr(10) if close else ''}\r\n"
    )
    return head.encode("latin-1") + payload


class FleetConnection(asyncio.Protocol):
    """One client connection to the fleet: parses requests, answers each after its latency, in order."""

    def __init__(self, handle: Handler, connections: set[FleetConnection]) -> None:
        self._handle = handle
        self._connections = connections
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._pending: deque[tuple[float, bytes]] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._transport = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending.clear()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while not self._closing:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEAD:
                    self._refuse("request head too large")
                return
            head = bytes(self._buffer[:end]).decode("latin-1")
            lines = head.split("\r\n")
            request_line = lines[0].split(" ")
            length, close, problem = 0, False, ""
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value) if value.strip().isdigit() else -1
                elif name == "transfer-encoding":
                    problem = "chunked request bodies are not accepted"
                elif name == "connection":
                    close = value.strip().lower() == "close"
            if len(request_line) != 3 or not request_line[2].startswith("HTTP/1.") or length < 0:
                problem = problem or f"malformed request: {lines[0][:80]!r}"
            if problem:
                self._refuse(problem)
                return
            if len(self._buffer) < end + 4 + length:
                return
            body = bytes(self._buffer[end + 4 : end + 4 + length])
            del self._buffer[: end + 4 + length]
            code, reply, delay = self._handle(request_line[0], request_line[1], body)
            self._closing = close
            self._queue(delay, encode_reply(code, reply, close=close))

    def _refuse(self, message: str) -> None:
        self._closing = True
        self._queue(0.0, encode_reply(400, BadRequestError(message).status(), close=True))

    def _queue(self, delay: float, reply: bytes) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        if self._pending:
            due = max(due, self._pending[-1][0])
        self._pending.append((due, reply))
        if self._timer is None:
            self._send_due()

    def _send_due(self) -> None:
        self._timer = None
        transport = self._transport
        if transport is None:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        while self._pending and self._pending[0][0] <= now:
            transport.write(self._pending.popleft()[1])
        if self._pending:
            self._timer = loop.call_at(self._pending[0][0], self._send_due)
        elif self._closing:
            transport.close()
