"""Simulated nodes (KWOK-like): Ready nodes with capacity and Lease heartbeats, a binder, a kubelet.

Controllers that own pods cannot be exercised without a cluster that starts them. These actors are the
smallest such cluster: ``Simulator(nodes=N)`` creates N Ready nodes with their Leases, binds every
schedulable pod to a node with room, moves bound pods to Running and Ready after a delay with jitter,
and completes a bound pod's graceful deletion at once (KWOK's ``pod-delete`` stage). They are driven by
the store's change feed, write through the apiserver's verbs (so watches, resourceVersions and garbage
collection behave as for any client), are not counted in request accounting (they are the cluster, not
the client under test), and run on the simulator's own timers, which :meth:`Simulator.aclose` cancels.
With ``nodes=0`` nothing here exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shoal.api import ApiError, Object
from shoal.api._fields import FieldSelector
from shoal.api._selectors import LabelSelector

from ._apiserver import ApiServer
from ._binder import Key, NodeRoom, Placement, parse_quantity, schedulable
from ._kubelet import (
    NODE_LEASE_NAMESPACE,
    micro_time,
    node_address,
    node_lease,
    node_object,
    node_status,
    running_status,
    scheduled_condition,
)
from ._objects import meta
from ._resources import ResourceInfo
from ._version import DEFAULT_KUBE_VERSION, git_version
from ._watch import Change, Watcher

if TYPE_CHECKING:
    from ._simulator import Simulator

Schedule = Callable[[float, Callable[[], None]], None]


@dataclass(frozen=True, slots=True)
class NodeOptions:
    """Shape of the simulated nodes and timing of their kubelets.

    ``cpu``/``memory``/``pods`` are each node's capacity (and allocatable). A bound pod turns Ready
    ``pod_ready_delay`` plus up to ``pod_ready_jitter`` seconds after binding. Leases are renewed every
    ``lease_interval`` seconds. ``seed`` makes the jitter reproducible.
    """

    cpu: str = "32"
    memory: str = "256Gi"
    pods: int = 110
    pod_ready_delay: float = 0.05
    pod_ready_jitter: float = 0.05
    lease_duration: int = 40
    lease_interval: float = 10.0
    name_prefix: str = "node-"
    seed: int | None = None


class _Feed(Watcher):
    """A watcher that hands each change to a callback instead of queueing events."""

    __slots__ = ("_on_change",)

    def __init__(self, storage: str, on_change: Callable[[Change], None]) -> None:
        super().__init__(
            storage, namespace=None, labels=LabelSelector.parse(""), fields=FieldSelector.parse("")
        )
        self._on_change = on_change

    def offer(self, change: Change) -> None:
        if not self.closed:
            self._on_change(change)


def _info(server: ApiServer, storage: str) -> ResourceInfo:
    info = server.resources.for_storage(storage)
    assert info is not None, storage
    return info


class NodeActors:
    """The nodes, binder and kubelets of one simulator (see the module docstring)."""

    def __init__(
        self,
        server: ApiServer,
        schedule: Schedule,
        count: int,
        options: NodeOptions,
        kube_version: str = DEFAULT_KUBE_VERSION,
    ) -> None:
        if count < 0:
            raise ValueError(f"nodes must not be negative, got {count}")
        self.server = server
        self.options = options
        self._schedule = schedule
        self._random = random.Random(options.seed)
        self._pods = _info(server, "pods")
        self._leases = _info(server, "leases.coordination.k8s.io")
        self.node_names: list[str] = []
        self._host_ips: dict[str, str] = {}
        rooms: dict[str, NodeRoom] = {}
        nodes = _info(server, "nodes")
        width = max(len(str(count - 1)), 1)
        for index in range(count):
            name = f"{options.name_prefix}{index:0{width}d}"
            created = server.create(nodes, node_object(name, index))
            status = node_status(
                name, index, options.cpu, options.memory, options.pods, git_version(kube_version)
            )
            node = server.commit_update(nodes, {**created, "status": status}, created)
            server.create(self._leases, node_lease(node, options.lease_duration))
            self.node_names.append(name)
            self._host_ips[name] = node_address(index)
            rooms[name] = NodeRoom(
                name,
                dict(meta(node).get("labels") or {}),
                options.pods,
                parse_quantity(options.cpu),
                parse_quantity(options.memory),
            )
        self.placement = Placement(rooms)
        self._waiting: dict[Key, None] = {}
        self._starting: set[str] = set()
        self._changes: list[Change] = []
        self._flush_pending = False
        self._heartbeat_started = False
        self._next_ip = 0
        self._feed = _Feed("pods", self._on_change)
        server.store.watch(self._feed)
        self._start_heartbeat()

    # -- driving -------------------------------------------------------------------------------------

    @staticmethod
    def _loop_running() -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return False
        return True

    def _on_change(self, change: Change) -> None:
        self._changes.append(change)
        if not self._flush_pending and self._loop_running():
            self._flush_pending = True
            self._schedule(0.0, self._flush)
            self._start_heartbeat()

    def _start_heartbeat(self) -> None:
        if not self._heartbeat_started and self.node_names and self._loop_running():
            self._heartbeat_started = True
            self._schedule(self.options.lease_interval, self._renew_leases)

    def _flush(self) -> None:
        """Handle every pod change since the last flush: charge, release, bind, start, finish."""
        self._flush_pending = False
        changes, self._changes = self._changes, []
        placement = self.placement
        freed = False
        fresh: list[Key] = []
        for change in changes:
            pod = change.object
            m = meta(pod)
            key = (m.get("namespace") or "", m["name"])
            if change.type == "DELETED":
                freed = placement.release(key) or freed
                self._waiting.pop(key, None)
                continue
            node = (pod.get("spec") or {}).get("nodeName")
            if node:
                self._waiting.pop(key, None)
                if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                    freed = placement.release(key) or freed
                elif node in placement.rooms:
                    placement.charge(key, node, pod)
                    self._kubelet(key, pod)
            elif schedulable(pod):
                if key not in self._waiting:
                    self._waiting[key] = None
                    fresh.append(key)
            else:
                self._waiting.pop(key, None)
        for key in list(self._waiting) if freed else fresh:
            self._bind(key)

    # -- binder --------------------------------------------------------------------------------------

    def _bind(self, key: Key) -> None:
        pod = self.server.store.get("pods", key)
        if pod is None or not schedulable(pod):
            self._waiting.pop(key, None)
            return
        node = self.placement.choose(pod)
        if node is None:
            return
        bound = {
            **pod,
            "spec": {**(pod.get("spec") or {}), "nodeName": node},
            "status": scheduled_condition(pod.get("status") or {}),
        }
        self._waiting.pop(key, None)
        self.placement.charge(key, node, pod)
        self._write(bound, pod)

    # -- kubelet -------------------------------------------------------------------------------------

    def _kubelet(self, key: Key, pod: Object) -> None:
        m = meta(pod)
        if m.get("deletionTimestamp"):
            with contextlib.suppress(ApiError):
                self.server.delete(self._pods, key[1], namespace=key[0], grace_period_seconds=0)
            return
        uid = str(m.get("uid"))
        if (pod.get("status") or {}).get("phase", "Pending") != "Pending" or uid in self._starting:
            return
        self._starting.add(uid)
        delay = self.options.pod_ready_delay + self._random.random() * self.options.pod_ready_jitter
        self._schedule(delay, lambda: self._start_pod(key, uid))

    def _start_pod(self, key: Key, uid: str) -> None:
        self._starting.discard(uid)
        pod = self.server.store.get("pods", key)
        if pod is None or meta(pod).get("uid") != uid or meta(pod).get("deletionTimestamp"):
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if node not in self._host_ips or (pod.get("status") or {}).get("phase", "Pending") != "Pending":
            return
        self._next_ip += 1
        n = self._next_ip
        pod_ip = f"10.{64 + (n >> 16) % 64}.{(n >> 8) & 255}.{n & 255}"
        self._write({**pod, "status": running_status(pod, self._host_ips[node], pod_ip)}, pod)

    def _write(self, new: Object, old: Object) -> None:
        with contextlib.suppress(ApiError):
            self.server.commit_update(self._pods, new, old)

    # -- leases --------------------------------------------------------------------------------------

    def _renew_leases(self) -> None:
        store = self.server.store
        renew = micro_time()
        for name in self.node_names:
            lease = store.get(self._leases.storage, (NODE_LEASE_NAMESPACE, name))
            if lease is None:
                continue
            spec = {**(lease.get("spec") or {}), "renewTime": renew}
            try:
                self.server.commit_update(self._leases, {**lease, "spec": spec}, lease)
            except ApiError:
                continue
        self._schedule(self.options.lease_interval, self._renew_leases)


def attach_nodes(sim: Simulator, count: int, options: NodeOptions | None = None) -> NodeActors:
    """Give a running simulator ``count`` nodes (as ``Simulator(nodes=count)`` would); returns the actors.

    For code that receives a simulator it did not construct (a benchmark harness). Raises
    ``ValueError`` when ``sim`` already has node actors.
    """
    if sim.nodes is not None:
        raise ValueError("this simulator already has node actors")
    sim.nodes = NodeActors(sim.server, sim._schedule, count, options or NodeOptions(), sim.kube_version)
    return sim.nodes
