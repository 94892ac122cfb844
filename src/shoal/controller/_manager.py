"""The manager: one process's informers, controllers, HTTP endpoints and leader election, as one unit.

Every part runs in the manager's task group, so nothing outlives it and a failure of one part (a lost
Lease, a cache that never syncs) stops the whole manager instead of leaving it half alive. Start order:
endpoints, the cache, leader election, then controllers (controllers with ``need_leader_election=False``
do not wait for the Lease). Stop order, on :meth:`Manager.stop` or cancellation: controllers take no
new requests and in-flight reconciles finish (up to ``graceful_shutdown_timeout``, then they are
cancelled), the Lease is released so a standby takes over at once, then informers and endpoints stop.

::

    async with Manager(client) as mgr:
        Controller.build(mgr).for_("apps/v1/deployments").complete(MyReconciler())
        ...                       # runs until the block ends, then stops gracefully
    # or: await Manager(client).run()  (until cancelled)
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from types import TracebackType

from prometheus_client import CollectorRegistry

from shoal.cache import Cache, CacheOptions
from shoal.client import Client
from shoal.metrics import default_registry

from ._controller import Controller
from ._health import HealthServer
from ._leader import LeaderElectionOptions, LeaderElector

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManagerOptions:
    """How a manager runs.

    Attributes:
        cache: options of the shared cache (namespace restriction, resync, debug mode).
        http_host: address of the ``/metrics``, ``/healthz``, ``/readyz`` server. Defaults to all.
        http_port: its port; 0 turns the server off. Defaults to 8080.
        graceful_shutdown_timeout: seconds in-flight reconciles get to finish on stop. Defaults to 30.
        leader_election: compete for a Lease before running controllers; ``None`` (the default) runs
            them at once.
        registry: where metrics are recorded; ``None`` is Shoal's default registry.
    """

    cache: CacheOptions = field(default_factory=CacheOptions)
    http_host: str = "0.0.0.0"
    http_port: int = 8080
    graceful_shutdown_timeout: float = 30.0
    leader_election: LeaderElectionOptions | None = None
    registry: CollectorRegistry | None = None


class Manager:
    """Runs controllers over a shared cache. Add controllers with ``Controller.build(mgr)...``."""

    def __init__(self, client: Client, *, options: ManagerOptions | None = None) -> None:
        self.client = client
        self.options = options or ManagerOptions()
        self.registry = self.options.registry or default_registry()
        self.cache = Cache(client, options=self.options.cache)
        self.elector = (
            LeaderElector(client, self.options.leader_election) if self.options.leader_election else None
        )
        self.elected = asyncio.Event()
        """Set once this manager may run leader-only controllers (at once without leader election)."""
        self._controllers: dict[str, Controller] = {}
        self._controller_tasks: list[asyncio.Task[None]] = []
        self._aux_tasks: list[asyncio.Task[None]] = []
        self._tg: asyncio.TaskGroup | None = None
        self._stop = asyncio.Event()
        self._outer: asyncio.TaskGroup | None = None

    @property
    def controllers(self) -> dict[str, Controller]:
        return dict(self._controllers)

    @property
    def ready(self) -> bool:
        """Whether the cache runs and every informer has its first list (what ``/readyz`` reports)."""
        return self.cache.running and all(i.has_synced for i in self.cache.informers().values())

    def add(self, controller: Controller) -> None:
        """Add a controller; it starts with the manager (at once, if the manager already runs)."""
        if controller.name in self._controllers:
            raise ValueError(f"a controller named {controller.name!r} already exists in this manager")
        self._controllers[controller.name] = controller
        if self._tg is not None and (self.elected.is_set() or not controller.options.need_leader_election):
            self._start(controller)

    def stop(self) -> None:
        """Ask :meth:`run` to stop gracefully and return."""
        self._stop.set()

    async def run(self) -> None:
        """Run until :meth:`stop` or cancellation, then shut down gracefully."""
        if self._tg is not None:
            raise RuntimeError("the manager is already running")
        opts = self.options
        http = None
        if opts.http_port:
            http = HealthServer(opts.http_host, opts.http_port, self.registry, lambda: self.ready)
            await http.start()
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                self._aux_tasks.append(tg.create_task(self.cache.run(), name="cache"))
                try:
                    for controller in self._controllers.values():
                        if not controller.options.need_leader_election:
                            self._start(controller)
                    if self.elector is not None:
                        await self.elector.acquire()
                        self._aux_tasks.append(tg.create_task(self.elector.hold(), name="leader election"))
                    self.elected.set()
                    for controller in self._controllers.values():
                        if controller.options.need_leader_election:
                            self._start(controller)
                    await self._stop.wait()
                finally:
                    await self._shutdown()
        finally:
            self._tg = None
            self.elected.clear()
            if http is not None:
                await http.stop()

    async def __aenter__(self) -> Manager:
        self._stop.clear()
        self._outer = asyncio.TaskGroup()
        await self._outer.__aenter__()
        self._outer.create_task(self.run(), name="manager")
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        outer, self._outer = self._outer, None
        assert outer is not None
        await outer.__aexit__(exc_type, exc, tb)

    def _start(self, controller: Controller) -> None:
        assert self._tg is not None
        task = self._tg.create_task(
            controller.run(self.client, self.cache, registry=self.registry),
            name=f"controller {controller.name}",
        )
        self._controller_tasks.append(task)

    async def _shutdown(self) -> None:
        for controller in self._controllers.values():
            controller.stop()
        tasks, self._controller_tasks = self._controller_tasks, []
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=self.options.graceful_shutdown_timeout)
            for task in pending:
                log.warning("%s did not finish within the graceful shutdown timeout", task.get_name())
                task.cancel()
        if (
            self.elector is not None
            and self.options.leader_election
            and self.options.leader_election.release_on_stop
        ):
            await self.elector.release()
        aux, self._aux_tasks = self._aux_tasks, []
        for task in aux:
            task.cancel()
