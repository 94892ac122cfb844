"""The controller's side of the fastlet HTTP API: create, delete and probe, over one pooled session.

One ``aiohttp.ClientSession`` with keep-alive serves every fastlet, so the fast path pays a request on
an open connection, not a TCP handshake per sandbox (the seed's own "connection pooling" target). A
failed call raises the ``ApiError`` the fastlet's Status names; a fastlet that cannot be reached at all
raises ``ServiceUnavailableError``, so callers handle one error tree.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import aiohttp
import orjson

from shoal.api import ApiError, ServerTimeoutError, ServiceUnavailableError, error_from_status

from ._model import Allocation

CREATE_TIMEOUT = 5.0
"""The seed's fastlet create timeout, in seconds."""


class FastletClient:
    """Calls fastlets at their ``address`` (``http://host:port/fastlets/<name>`` or a node's base URL)."""

    def __init__(self, *, create_timeout: float = CREATE_TIMEOUT) -> None:
        self.create_timeout = create_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._session

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def __aenter__(self) -> FastletClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def create(self, allocation: Allocation) -> dict[str, Any]:
        """Start the sandbox on its fastlet; returns the fastlet's reply (``sandboxID``)."""
        request = allocation.request
        body = {
            "namespace": request.namespace,
            "name": request.name,
            "image": request.image,
            "ports": list(request.ports),
        }
        return await self._call(
            "POST", f"{allocation.address}/api/v1/fastlet/create", body, self.create_timeout
        )

    async def delete(self, allocation: Allocation) -> None:
        """Stop the sandbox on its fastlet."""
        request = allocation.request
        body = {"namespace": request.namespace, "name": request.name}
        await self._call("POST", f"{allocation.address}/api/v1/fastlet/delete", body, self.create_timeout)

    async def status(self, address: str, *, seconds: float) -> dict[str, Any]:
        """The heartbeat probe: the fastlet's status, or an ApiError within ``seconds``."""
        return await self._call("GET", f"{address}/api/v1/fastlet/status", None, seconds)

    async def _call(
        self, method: str, url: str, body: dict[str, Any] | None, seconds: float
    ) -> dict[str, Any]:
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            async with self.session.request(
                method, url, data=data, headers=headers, timeout=aiohttp.ClientTimeout(total=seconds)
            ) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            raise ServerTimeoutError(f"{method} {url} took longer than {seconds:g} s") from None
        except aiohttp.ClientError as error:
            raise ServiceUnavailableError(f"{method} {url} failed: {error}") from None
        try:
            decoded = orjson.loads(raw) if raw else {}
        except orjson.JSONDecodeError:
            decoded = {}
        if status >= 300:
            if isinstance(decoded, dict) and decoded.get("kind") == "Status":
                raise error_from_status(decoded, http_code=status)
            raise ApiError(f"{method} {url}: HTTP {status}", code=status, reason="Unknown")
        return decoded if isinstance(decoded, dict) else {}
