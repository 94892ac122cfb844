"""One pooled aiohttp session per API server, and everything every request shares.

Each request goes through the same steps: wait for the client-side token bucket (when configured),
attach ``Authorization`` (refreshing expiring credentials), send, account the outcome (Prometheus
and the client's own tally), and turn a failure ``Status`` into the matching
:class:`shoal.api.ApiError`. Keeping those steps here lets ``HttpClient`` be a thin map from Kubernetes
verbs to paths and query parameters.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson

from shoal.api import ApiError, ShoalError, error_from_status

from ._config import RestConfig
from ._metrics import ClientMetrics, ClientStatistics
from ._ratelimit import TokenBucket

TOKEN_REFRESH_SECONDS = 60.0
_WARNING = re.compile(r'^\d{3} \S+ "((?:[^"\\]|\\.)*)"')

log = logging.getLogger("shoal.client")


def log_warnings(headers: Iterable[str]) -> None:
    """Log the text of each ``Warning: 299 - "..."`` header a response carries, as client-go does."""
    for header in headers:
        found = _WARNING.match(header)
        text = re.sub(r"\\(.)", r"\1", found.group(1)) if found else header
        log.warning("server warning: %s", text)


class TransportError(ShoalError):
    """The request got no HTTP answer: connection refused or reset, TLS failure, client timeout."""


class Transport:
    """The session, limiter, credentials and accounting of one :class:`HttpClient`."""

    def __init__(self, config: RestConfig, *, metrics: ClientMetrics, statistics: ClientStatistics) -> None:
        self.config = config
        self.metrics = metrics
        self.statistics = statistics
        self.limiter = TokenBucket(config.qps, config.burst) if config.qps is not None else None
        self.host_label = config.host.split("://", 1)[1].split("/", 1)[0]
        self._session: aiohttp.ClientSession | None = None
        self._authorization = config.authorization
        self._refreshed_at = time.monotonic() if config.authorization else float("-inf")
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._stream_timeout = aiohttp.ClientTimeout(total=None, connect=config.timeout)

    @property
    def closed(self) -> bool:
        return self._session is None or self._session.closed

    async def open(self) -> aiohttp.ClientSession:
        """Create the pooled session (idempotent; called by the first request when needed)."""
        if self._session is None or self._session.closed:
            ssl_context = self.config.ssl_context()
            connector = aiohttp.TCPConnector(
                limit=self.config.max_connections, ssl=ssl_context if ssl_context is not None else True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.config.user_agent, "Accept": "application/json"},
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _headers(self, content_type: str | None, *, force_refresh: bool = False) -> dict[str, str]:
        source = self.config.token_source
        if source is not None and (
            force_refresh or time.monotonic() - self._refreshed_at > TOKEN_REFRESH_SECONDS
        ):
            self._authorization = await asyncio.to_thread(source)
            self._refreshed_at = time.monotonic()
        headers: dict[str, str] = {}
        if self._authorization:
            headers["Authorization"] = self._authorization
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    async def _throttle(self, method: str) -> None:
        if self.limiter is None:
            return
        waited = await self.limiter.acquire()
        self.statistics.throttled_seconds += waited
        self.metrics.rate_limiter_duration_seconds.labels(verb=method, host=self.host_label).observe(waited)

    def _account(self, method: str, verb: str, resource: str, code: str, started: float) -> None:
        elapsed = time.perf_counter() - started
        self.metrics.requests_total.labels(code=code, method=method, host=self.host_label).inc()
        self.metrics.request_duration_seconds.labels(verb=method, host=self.host_label).observe(elapsed)
        self.statistics.record(verb, resource, error=not code.startswith("2"), seconds=elapsed)

    def _request_options(self, params: Mapping[str, str] | None) -> dict[str, Any]:
        options: dict[str, Any] = {"params": dict(params) if params else None}
        if self.config.tls_server_name:
            options["server_hostname"] = self.config.tls_server_name
        if self.config.proxy:
            options["proxy"] = self.config.proxy
        return options

    async def request(
        self,
        method: str,
        path: str,
        *,
        verb: str,
        resource: str,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        content_type: str | None = None,
    ) -> Any:
        """Send one request and return its decoded JSON body; raise ApiError or TransportError."""
        session = await self.open()
        data = orjson.dumps(body) if body is not None else None
        if data is not None and content_type is None:
            content_type = "application/json"
        await self._throttle(method)
        url = self.config.host + path
        options = self._request_options(params)
        for attempt in (0, 1):
            headers = await self._headers(content_type, force_refresh=attempt > 0)
            started = time.perf_counter()
            try:
                async with session.request(
                    method, url, data=data, headers=headers, timeout=self._timeout, **options
                ) as resp:
                    payload = await resp.read()
                    status = resp.status
                    retry_after = resp.headers.get("Retry-After")
                    log_warnings(resp.headers.getall("Warning", ()))
            except (aiohttp.ClientError, TimeoutError) as exc:
                self._account(method, verb, resource, "<error>", started)
                raise TransportError(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
            self._account(method, verb, resource, str(status), started)
            if status == 401 and attempt == 0 and self.config.token_source is not None:
                continue
            if status >= 400:
                raise decode_error(status, payload, retry_after)
            return orjson.loads(payload) if payload else {}
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def stream(
        self, path: str, params: Mapping[str, str], *, resource: str
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a long-lived GET (a watch) and yield the response whose body the caller reads."""
        session = await self.open()
        await self._throttle("GET")
        url = self.config.host + path
        headers = await self._headers(None)
        started = time.perf_counter()
        try:
            resp = await session.get(
                url, headers=headers, timeout=self._stream_timeout, **self._request_options(params)
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._account("GET", "watch", resource, "<error>", started)
            raise TransportError(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        try:
            self._account("GET", "watch", resource, str(resp.status), started)
            if resp.status >= 400:
                raise decode_error(resp.status, await resp.read(), resp.headers.get("Retry-After"))
            yield resp
        finally:
            if resp.content.at_eof():
                resp.release()
            else:
                resp.close()


def decode_error(status: int, payload: bytes, retry_after: str | None = None) -> ApiError:
    """The typed error for a failed response: its ``Status`` body when it has one, else the HTTP code."""
    body: Any = None
    try:
        body = orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        error = error_from_status(body, http_code=status)
    else:
        text = payload[:200].decode("utf-8", "replace").strip()
        error = error_from_status({"code": status, "message": text or f"HTTP {status}"}, http_code=status)
    if error.retry_after is None and retry_after and retry_after.isdigit():
        error.retry_after = int(retry_after)
    return error
