"""The controller's side of the fastlet HTTP API: create, delete and probe, over keep-alive connections.

Requests go over :class:`._http_pool.Http1Pool` connections that stay open between calls, so the fast
path pays a request on an open connection, not a TCP handshake per sandbox (the seed's own "connection
pooling" target). Probes have a pool of their own, sized to the heartbeat sweep's concurrency, so a
sweep with 100 probes in flight never queues a sandbox create behind them. A failed call raises the
``ApiError`` the fastlet's Status names; a fastlet that cannot be reached at all raises
``ServiceUnavailableError`` and one that does not answer in time ``ServerTimeoutError``, so callers
handle one error tree.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import orjson

from shoal.api import ApiError, ServerTimeoutError, ServiceUnavailableError, error_from_status

from ._http_pool import Http1Pool
from ._model import Allocation

CREATE_TIMEOUT = 5.0
"""The seed's fastlet create timeout, in seconds."""
CALL_CONNECTIONS = 256
"""Connections open at most for creates and deletes."""
PROBE_CONNECTIONS = 100
"""Connections open at most for heartbeat probes: the sweep's default concurrency."""


class FastletClient:
    """Calls fastlets at their ``address`` (``http://host:port/fastlets/<name>`` or a node's base URL)."""

    def __init__(
        self,
        *,
        create_timeout: float = CREATE_TIMEOUT,
        connections: int = CALL_CONNECTIONS,
        probe_connections: int = PROBE_CONNECTIONS,
    ) -> None:
        self.create_timeout = create_timeout
        self.connections = connections
        self.probe_connections = probe_connections
        self._calls: Http1Pool | None = None
        self._probes: Http1Pool | None = None

    async def aclose(self) -> None:
        calls, probes, self._calls, self._probes = self._calls, self._probes, None, None
        for pool in (calls, probes):
            if pool is not None:
                pool.close()

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
        url = f"{allocation.address}/api/v1/fastlet/create"
        return await self._call(None, "POST", url, body, self.create_timeout)

    async def delete(self, allocation: Allocation) -> None:
        """Stop the sandbox on its fastlet."""
        request = allocation.request
        body = {"namespace": request.namespace, "name": request.name}
        url = f"{allocation.address}/api/v1/fastlet/delete"
        await self._call(None, "POST", url, body, self.create_timeout)

    async def status(self, address: str, *, seconds: float) -> dict[str, Any]:
        """The heartbeat probe: the fastlet's status, or an ApiError within ``seconds``."""
        if self._probes is None:
            self._probes = Http1Pool(self.probe_connections)
        return await self._call(self._probes, "GET", f"{address}/api/v1/fastlet/status", None, seconds)

    async def _call(
        self, pool: Http1Pool | None, method: str, url: str, body: dict[str, Any] | None, seconds: float
    ) -> dict[str, Any]:
        if pool is None:
            pool = self._calls = self._calls or Http1Pool(self.connections)
        data = orjson.dumps(body) if body is not None else None
        try:
            status, raw = await pool.request(method, url, data, seconds=seconds)
        except TimeoutError:
            raise ServerTimeoutError(f"{method} {url} took longer than {seconds:g} s") from None
        except (OSError, ValueError) as error:  # ResponseError is a ValueError
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
