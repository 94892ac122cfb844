"""The manager's HTTP endpoints: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for kubelet.

One small aiohttp server per manager, on one port (controller-runtime splits metrics and probes over
two; one is enough here and halves the configuration). ``/healthz`` answers 200 while the process
runs; ``/readyz`` answers 200 once every informer has its first list, so a rolling update waits for
warm caches.
"""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CollectorRegistry

from shoal.metrics import metrics_handler


class HealthServer:
    """Serves ``/metrics``, ``/healthz`` and ``/readyz`` on ``host:port`` between start and stop."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry, ready: Callable[[], bool]) -> None:
        self.host = host
        self.port = port
        self._ready = ready
        app = web.Application()
        app.router.add_get("/metrics", metrics_handler(registry))
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self) -> None:
        """Listen on ``host:port``."""
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _readyz(self, request: web.Request) -> web.Response:
        if self._ready():
            return web.Response(text="ok")
        return web.Response(status=503, text="informers not synced")
