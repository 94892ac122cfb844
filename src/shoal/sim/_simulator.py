"""The simulator: one store, its resources, latency, faults and accounting, and clients onto it.

A :class:`Simulator` is cheap to create (tests make one each) and bootstraps what every cluster has:
the namespaces ``default``, ``kube-system``, ``kube-public`` and ``kube-node-lease``. Background work
(graceful pod removal timers) is owned by the simulator and cancelled by :meth:`Simulator.aclose`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

from ._accounting import RequestAccounting
from ._apiserver import ApiServer
from ._client import SimClient
from ._faults import FaultSet
from ._latency import LatencyProfile, resolve_profile
from ._nodes import NodeActors, NodeOptions
from ._objects import SnapshotEncoder
from ._resources import BUILTIN_RESOURCES, NAMESPACE_GVR, ResourceRegistry
from ._store import Store
from ._version import DEFAULT_KUBE_VERSION

BOOTSTRAP_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class Simulator:
    """An embedded Kubernetes API.

    Args:
        profile: latency profile name (``none``, ``gitpod-seed``) or a :class:`LatencyProfile`.
        history: changes retained per resource for watch resumption and paged lists.
        watch_queue_size: events a watcher may fall behind before it is closed with 410.
        bookmark_interval: seconds between BOOKMARKs on idle watches that allow them.
        watch_batch_interval: under a burst of writes, a watch stream wakes at most this often and
            takes every event buffered since (an idle stream gets its first event at once); 0 wakes
            per event.
        pod_graceful_delete: remove bound pods whose grace period runs, instead of leaving that to a
            kubelet actor.
        pod_grace_cap: upper bound (seconds) of the wait before such a removal (0: in the deleting call).
        seed: seeds the fault injection's random rates.
        nodes: simulated Ready nodes with a binder and kubelets (KWOK-like); 0 runs none.
        node_options: capacity and kubelet timing of those nodes.
        kube_version: the Kubernetes release the simulator is (``1.37.1``): what its nodes' kubelets
            report, and what its HTTP door's ``/version`` says unless told otherwise.
    """

    def __init__(
        self,
        profile: str | LatencyProfile = "none",
        *,
        history: int = 5000,
        watch_queue_size: int = 10_000,
        bookmark_interval: float = 1.0,
        watch_batch_interval: float = 0.001,
        pod_graceful_delete: bool = True,
        pod_grace_cap: float = 1.0,
        seed: int | None = None,
        nodes: int = 0,
        node_options: NodeOptions | None = None,
        kube_version: str = DEFAULT_KUBE_VERSION,
    ) -> None:
        self.profile = resolve_profile(profile)
        self.kube_version = kube_version
        self.watch_queue_size = watch_queue_size
        self.bookmark_interval = bookmark_interval
        self.watch_batch_interval = watch_batch_interval
        self.resources = ResourceRegistry(BUILTIN_RESOURCES)
        self.store = Store(history=history)
        self.server = ApiServer(
            self.store,
            self.resources,
            schedule=self._schedule,
            pod_graceful_delete=pod_graceful_delete,
            pod_grace_cap=pod_grace_cap,
        )
        self.faults = FaultSet(seed)
        self.accounting = RequestAccounting()
        self.encoder = SnapshotEncoder()
        """JSON bytes of stored objects, shared by watch streams (and usable by the HTTP door)."""
        self._timers: set[asyncio.TimerHandle] = set()
        self._closed = False
        namespaces = self.resources.lookup(NAMESPACE_GVR)
        assert namespaces is not None
        for name in BOOTSTRAP_NAMESPACES:
            self.server.create(namespaces, {"metadata": {"name": name}})
        self.nodes: NodeActors | None = None
        if nodes:
            self.nodes = NodeActors(
                self.server, self._schedule, nodes, node_options or NodeOptions(), kube_version
            )

    def client(self, user_agent: str = "shoal") -> SimClient:
        """An in-process client; ``user_agent`` labels its requests in :attr:`accounting`."""
        return SimClient(self, user_agent)

    def set_profile(self, profile: str | LatencyProfile) -> None:
        self.profile = resolve_profile(profile)

    def compact(self) -> None:
        """Drop all retained history: watches and continue tokens from before now get 410."""
        self.store.compact()

    def _schedule(self, delay: float, callback: Callable[[], None]) -> None:
        if self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            callback()
            return

        def fire() -> None:
            self._timers.discard(handle)
            callback()

        handle = loop.call_later(delay, fire)
        self._timers.add(handle)

    async def aclose(self) -> None:
        """Cancel pending timers and end every open watch."""
        self._closed = True
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        self.store.close_watchers()

    async def __aenter__(self) -> Simulator:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
