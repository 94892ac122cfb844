"""The ``/metrics`` endpoint: Prometheus text exposition of a registry, as an aiohttp handler.

A factory rather than a route so the manager decides where (and whether) to mount it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from ._registry import default_registry


def metrics_handler(
    registry: CollectorRegistry | None = None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """An aiohttp handler that renders ``registry`` (default: Shoal's) in the text format."""
    target = default_registry() if registry is None else registry

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(target), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handle
