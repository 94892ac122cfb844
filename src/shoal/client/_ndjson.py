"""Splitting a watch response body into events.

A watch answer is one JSON document per line, sent in HTTP chunks whose boundaries bear no relation
to the lines: a chunk may hold half an event, many events, or end in the middle of a multi-byte
character. ``aiohttp``'s ``readline`` caps line length, and a large object (a ConfigMap of a few
hundred kilobytes) is a legitimate single line, so the body is read in raw chunks and split here.
"""

from __future__ import annotations

from typing import Any

import orjson

from shoal.api import BadRequestError


class NdjsonDecoder:
    """Feed raw chunks, get back the complete JSON documents they finish, in order.

    Blank lines (keep-alive newlines some servers send) are skipped. A line that is not JSON raises
    :class:`shoal.api.BadRequestError` naming the offending text.
    """

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, chunk: bytes) -> list[Any]:
        """Add ``chunk``; return every document whose terminating newline has now arrived."""
        if not chunk:
            return []
        start = len(self._buffer)
        self._buffer += chunk
        end = self._buffer.rfind(b"\n", start)
        if end < 0:
            return []
        complete = bytes(self._buffer[: end + 1])
        del self._buffer[: end + 1]
        return [_decode(line) for line in complete.split(b"\n") if line.strip()]

    def close(self) -> list[Any]:
        """End of body: a final line without a newline is still a document if it parses whole.

        A truncated trailing fragment (the connection dropped mid-event) is discarded, because the
        event it began was never delivered and a resumed watch will send it again.
        """
        rest = bytes(self._buffer).strip()
        self._buffer.clear()
        if not rest:
            return []
        try:
            return [orjson.loads(rest)]
        except orjson.JSONDecodeError:
            return []

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a complete line."""
        return len(self._buffer)


def _decode(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        preview = line[:80].decode("utf-8", "replace")
        raise BadRequestError(f"watch stream sent a line that is not JSON ({exc}): {preview!r}") from exc
