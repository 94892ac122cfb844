"""The cache: one shared informer per resource, however many controllers watch it.

Two controllers that both watch pods must not open two watches and hold two copies of every pod: the
cache hands out the same :class:`Informer` for the same resource and runs every informer it created in
its own task group. An informer asked for after the cache started is started on the spot, which is what
lets the cached reader read a resource nobody registered a watch for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from shoal.api import GroupVersionResource
from shoal.client import Client

from ._informer import Informer, InformerOptions
from ._reader import CachedReader
from ._reflector import ReflectorOptions


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheOptions:
    """Defaults for every informer the cache creates.

    Attributes:
        namespace: restrict every informer to one namespace; ``None`` (the default) caches all.
        resync_period: seconds between resyncs; ``None`` (the default) never resyncs.
        debug: detect in-place mutation of cached objects; ``None`` reads ``SHOAL_CACHE_DEBUG``.
        reflector: list/watch tuning.
        by_resource: complete informer options for particular resources, overriding the fields above.
        sync_timeout: seconds a reader waits for a lazily started informer's first list. Defaults to 120.
    """

    namespace: str | None = None
    resync_period: float | None = None
    debug: bool | None = None
    reflector: ReflectorOptions = field(default_factory=ReflectorOptions)
    by_resource: Mapping[GroupVersionResource, InformerOptions] = field(default_factory=dict)
    sync_timeout: float = 120.0


class Cache:
    """Shared informers keyed by resource, and the :class:`CachedReader` over them.

    Run it with ``await cache.run()`` inside a task group; cancel that task to stop every informer.
    """

    def __init__(self, client: Client, *, options: CacheOptions | None = None) -> None:
        self.client = client
        self.options = options or CacheOptions()
        self._informers: dict[GroupVersionResource, Informer] = {}
        self._tg: asyncio.TaskGroup | None = None
        self.reader = CachedReader(self)
        """A reader over this cache: private copies, or the shared dicts with ``copy=False``."""

    @property
    def running(self) -> bool:
        return self._tg is not None

    def informer(self, resource: GroupVersionResource) -> Informer:
        """The shared informer of ``resource``, created (and started, if the cache runs) on first use."""
        informer = self._informers.get(resource)
        if informer is None:
            informer = Informer(self.client, resource, options=self._options_for(resource))
            self._informers[resource] = informer
            if self._tg is not None:
                self._tg.create_task(informer.run(), name=f"informer {resource}")
        return informer

    def informers(self) -> dict[GroupVersionResource, Informer]:
        """Every informer created so far."""
        return dict(self._informers)

    async def wait_for_sync(self) -> None:
        """Wait until every informer created so far has its first list (bound it with ``asyncio.timeout``)."""
        for informer in list(self._informers.values()):
            await informer.wait_for_sync()

    async def run(self) -> None:
        """Run every informer, including those created later, until cancelled."""
        if self._tg is not None:
            raise RuntimeError("the cache is already running")
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                for resource, informer in list(self._informers.items()):
                    tg.create_task(informer.run(), name=f"informer {resource}")
                await asyncio.Event().wait()
        finally:
            self._tg = None

    def _options_for(self, resource: GroupVersionResource) -> InformerOptions:
        explicit = self.options.by_resource.get(resource)
        if explicit is not None:
            return explicit
        opts = self.options
        return replace(
            InformerOptions(),
            namespace=opts.namespace,
            resync_period=opts.resync_period,
            debug=opts.debug,
            reflector=opts.reflector,
        )
