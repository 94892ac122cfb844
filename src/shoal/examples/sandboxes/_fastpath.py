"""The controller's CreateSandbox endpoint: the fast path replies before the Sandbox object is written.

Fast mode (the default) is the seed's: allocate in memory, create on the fastlet, reply, and only then
write the Sandbox object (annotated with its fastlet, status Running) in the background, retrying with
backoff. The reply waits for exactly one network round trip, the fastlet's. Strong mode writes the
object first and waits for the reconciler (:mod:`._reconciler`) to write its status.

The background writes share the event loop with the requests. Clients in flight tend to move in step
(each sends its next request as its reply arrives), so writes started as a burst of replies leaves
would run exactly while the next burst of requests is being read, and each request would wait behind
other sandboxes' bookkeeping. A background write therefore waits until no request has started or
replied for :data:`WRITE_SETTLE` seconds, and never longer than :data:`WRITE_DELAY_LIMIT`.

``POST /api/v1/sandboxes?mode=fast|strong`` takes a Sandbox-shaped JSON body; errors are Kubernetes
Status replies (422 naming the field, 409 for a sandbox that exists, 503 when no fastlet has room).
Background writes belong to the server's task group: leaving ``async with`` waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import orjson
from aiohttp import web
from prometheus_client import CollectorRegistry

from shoal.api import AlreadyExistsError, ApiError, BadRequestError, ObjectKey, ServerTimeoutError
from shoal.client import Client

from ._crd import FASTLET_ANNOTATION, MODE_ANNOTATION, SANDBOXES, sandbox_object
from ._fastlet_client import FastletClient
from ._metrics import CreateMode, sandbox_metrics
from ._model import Allocation, SandboxRequest
from ._reconciler import RUNNING, SandboxWaiters
from ._registry import SandboxRegistry

log = logging.getLogger(__name__)

WRITE_BACKOFF: tuple[float, ...] = (1.0, 2.0, 4.0)
"""The seed's sleeps between attempts at writing the Sandbox object after a fast-mode reply."""
WRITE_SETTLE = 0.002
"""How long the server must have been quiet (no request started or replied) before a background write."""
WRITE_DELAY_LIMIT = 0.05
"""The longest a background write waits for a quiet moment."""


class FastPathServer:
    """CreateSandbox over HTTP, in fast or strong mode. Use as ``async with``; :meth:`serve` to listen."""

    def __init__(
        self,
        registry: SandboxRegistry,
        fastlets: FastletClient,
        client: Client,
        *,
        waiters: SandboxWaiters | None = None,
        metrics_registry: CollectorRegistry | None = None,
        write_backoff: Sequence[float] = WRITE_BACKOFF,
        strong_timeout: float = 30.0,
    ) -> None:
        self.registry = registry
        self.fastlets = fastlets
        self.client = client
        self.waiters = waiters or SandboxWaiters()
        self.metrics = sandbox_metrics(metrics_registry)
        self.write_backoff = tuple(write_backoff)
        self.strong_timeout = strong_timeout
        self.url = ""
        self.failed_writes = 0
        self._writes: asyncio.TaskGroup | None = None
        self._last_activity = 0.0
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> FastPathServer:
        self._writes = asyncio.TaskGroup()
        await self._writes.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
        writes, self._writes = self._writes, None
        if writes is not None:
            await writes.__aexit__(exc_type, exc, tb)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/sandboxes", self._handle)
        return app

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` until the ``async with`` block ends; returns the base URL."""
        runner = web.AppRunner(self.app(), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host, port).start()
        self._runner = runner
        bound = runner.addresses[0]
        self.url = f"http://{bound[0]}:{bound[1]}"
        return self.url

    async def create(self, request: SandboxRequest, mode: CreateMode = "fast") -> dict[str, Any]:
        """Create a sandbox; returns the reply body (``fastlet``, ``sandboxID``). Records the histogram."""
        started = time.perf_counter()
        success = False
        try:
            reply = await (self._fast(request) if mode == "fast" else self._strong(request))
            success = True
            return reply
        finally:
            self.metrics.observe_create(mode, success, time.perf_counter() - started)

    async def _fast(self, request: SandboxRequest) -> dict[str, Any]:
        if self._writes is None:
            raise RuntimeError("the fast path needs the server running: use `async with FastPathServer(...)`")
        allocation = self.registry.allocate(request)
        try:
            reply = await self.fastlets.create(allocation)
        except BaseException:
            self.registry.release(request.namespace, request.name)
            raise
        sandbox_id = str(reply.get("sandboxID", ""))
        self._writes.create_task(self._write_object(allocation, sandbox_id))
        return {
            "name": request.name,
            "namespace": request.namespace,
            "fastlet": allocation.fastlet,
            "sandboxID": sandbox_id,
            "mode": "fast",
        }

    async def _quiet_moment(self) -> None:
        """Return once no request has started or replied for WRITE_SETTLE s, or after WRITE_DELAY_LIMIT."""
        loop = asyncio.get_running_loop()
        limit = loop.time() + WRITE_DELAY_LIMIT
        while (now := loop.time()) < limit:
            wait = self._last_activity + WRITE_SETTLE - now
            if wait <= 0:
                return
            await asyncio.sleep(min(wait, limit - now))

    async def _write_object(self, allocation: Allocation, sandbox_id: str) -> None:
        await self._quiet_moment()
        request = allocation.request
        obj = sandbox_object(
            request.namespace, request.name, pool=request.pool, image=request.image, ports=request.ports
        )
        obj["metadata"]["annotations"] = {FASTLET_ANNOTATION: allocation.fastlet, MODE_ANNOTATION: "fast"}
        status = {"phase": RUNNING, "fastlet": allocation.fastlet, "sandboxID": sandbox_id, "message": ""}
        for attempt, pause in enumerate((*self.write_backoff, None)):
            try:
                with contextlib.suppress(AlreadyExistsError):
                    await self.client.create(SANDBOXES, obj)
                await self.client.patch_status(
                    SANDBOXES, request.name, {"status": status}, namespace=request.namespace
                )
                return
            except ApiError as error:
                log.warning(
                    "writing Sandbox %s/%s (attempt %d) failed: %s",
                    request.namespace,
                    request.name,
                    attempt + 1,
                    error,
                )
                if pause is None:
                    self.failed_writes += 1
                    return
                await asyncio.sleep(pause)

    async def _strong(self, request: SandboxRequest) -> dict[str, Any]:
        request.validate()
        key = ObjectKey(request.namespace, request.name)
        future = self.waiters.expect(key)
        try:
            await self.client.create(
                SANDBOXES,
                sandbox_object(
                    request.namespace,
                    request.name,
                    pool=request.pool,
                    image=request.image,
                    ports=request.ports,
                ),
            )
            async with asyncio.timeout(self.strong_timeout):
                status = await future
        except TimeoutError:
            raise ServerTimeoutError(
                f'sandbox "{request.name}" got no status within {self.strong_timeout:g} s'
            ) from None
        finally:
            self.waiters.forget(key, future)
        return {
            "name": request.name,
            "namespace": request.namespace,
            "fastlet": status.get("fastlet", ""),
            "sandboxID": status.get("sandboxID", ""),
            "mode": "strong",
        }

    async def _handle(self, http: web.Request) -> web.Response:
        loop = asyncio.get_running_loop()
        self._last_activity = loop.time()
        try:
            return await self._reply(http)
        finally:
            self._last_activity = loop.time()

    async def _reply(self, http: web.Request) -> web.Response:
        mode = http.query.get("mode", "fast")
        try:
            if mode not in ("fast", "strong"):
                raise BadRequestError(f"mode must be fast or strong, not {mode!r}")
            try:
                body = orjson.loads(await http.read())
            except orjson.JSONDecodeError as error:
                raise BadRequestError(f"the request body is not JSON: {error}") from None
            if not isinstance(body, dict):
                raise BadRequestError("the request body must be a Sandbox object")
            request = SandboxRequest.from_object(body)
            reply = await self.create(request, "fast" if mode == "fast" else "strong")
        except ApiError as error:
            return web.Response(
                body=orjson.dumps(error.status()), status=error.code, content_type="application/json"
            )
        return web.Response(body=orjson.dumps(reply), status=201, content_type="application/json")
