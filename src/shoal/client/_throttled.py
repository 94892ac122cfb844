"""Client-side QPS/burst for any :class:`Client`, not only the HTTP one.

Benchmarks that reproduce a controller running with client-go's limiter (Grove: QPS 100, burst 150)
often use the simulator's in-process client to keep transport overhead out of the numbers; the limit
must then apply there too. ``ThrottledClient`` wraps any client and makes every request, watches
included, take a token from a :class:`TokenBucket` first, exactly as ``HttpClient`` does when its
``RestConfig`` sets ``qps``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from shoal.api import GroupVersionResource, Object, WatchEvent

from ._protocol import Client
from ._ratelimit import TokenBucket


class ThrottledClient:
    """``inner`` behind a token bucket (``ThrottledClient(sim.client(), TokenBucket(100, 150))``)."""

    def __init__(self, inner: Client, bucket: TokenBucket) -> None:
        self.inner = inner
        self.bucket = bucket

    async def get(self, resource: GroupVersionResource, name: str, *, namespace: str | None = None) -> Object:
        await self.bucket.acquire()
        return await self.inner.get(resource, name, namespace=namespace)

    async def list(self, resource: GroupVersionResource, **options: Any) -> Object:
        await self.bucket.acquire()
        return await self.inner.list(resource, **options)

    async def create(self, resource: GroupVersionResource, obj: Object, **options: Any) -> Object:
        await self.bucket.acquire()
        return await self.inner.create(resource, obj, **options)

    async def update(self, resource: GroupVersionResource, obj: Object, **options: Any) -> Object:
        await self.bucket.acquire()
        return await self.inner.update(resource, obj, **options)

    async def update_status(self, resource: GroupVersionResource, obj: Object, **options: Any) -> Object:
        await self.bucket.acquire()
        return await self.inner.update_status(resource, obj, **options)

    async def patch(self, resource: GroupVersionResource, name: str, patch: Any, **options: Any) -> Object:
        await self.bucket.acquire()
        return await self.inner.patch(resource, name, patch, **options)

    async def patch_status(
        self, resource: GroupVersionResource, name: str, patch: Any, **options: Any
    ) -> Object:
        await self.bucket.acquire()
        return await self.inner.patch_status(resource, name, patch, **options)

    async def delete(self, resource: GroupVersionResource, name: str, **options: Any) -> Object:
        await self.bucket.acquire()
        return await self.inner.delete(resource, name, **options)

    async def delete_collection(self, resource: GroupVersionResource, **options: Any) -> Object:
        await self.bucket.acquire()
        return await self.inner.delete_collection(resource, **options)

    async def watch(self, resource: GroupVersionResource, **options: Any) -> AsyncIterator[WatchEvent]:
        await self.bucket.acquire()
        async for event in self.inner.watch(resource, **options):
            yield event


if TYPE_CHECKING:

    def _implements_client(client: ThrottledClient) -> Client:
        """mypy checks here that ThrottledClient satisfies the Client protocol."""
        return client
