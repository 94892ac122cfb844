"""Leader election on a ``coordination.k8s.io/v1`` Lease, with client-go's algorithm and defaults.

Several replicas of a manager may run for availability; only the one holding the Lease reconciles.
A candidate reads the Lease and takes it when it is free (no holder, or released) or when the holder
has not renewed it for ``lease_duration`` as measured on the candidate's own clock (so clock skew
between machines does not matter). Every write is a PUT carrying the resourceVersion that was read, so
of two candidates racing for one Lease exactly one wins; the other gets 409 and tries again later.

The leader renews every ``retry_period``; if it cannot renew for ``renew_deadline`` it has lost the
Lease and :meth:`LeaderElector.hold` raises :class:`LeaderElectionLostError` so the manager stops. A
graceful stop releases the Lease (empty holder) so another replica takes over at once instead of
waiting for the Lease to expire. Defaults: 15 s / 10 s / 2 s. Like client-go's, this is not fencing: a
paused leader may act after its Lease expired; optimistic concurrency on every write is the safety net.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import math
import os
import random
import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

from shoal.api import AlreadyExistsError, ApiError, ConflictError, GroupVersionResource, NotFoundError, Object
from shoal.client import Client

log = logging.getLogger(__name__)

LEASES = GroupVersionResource("coordination.k8s.io", "v1", "leases")
JITTER_FACTOR = 1.2


def default_identity() -> str:
    """``<hostname>_<uuid>``, as controller-runtime builds it."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def _micro_time(at: datetime.datetime | None = None) -> str:
    return (at or datetime.datetime.now(datetime.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElectionLostError(Exception):
    """The leader could not renew its Lease within the renew deadline."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaderElectionOptions:
    """Which Lease to compete for and how often.

    Attributes:
        name: the Lease's name (controller-runtime's ``LeaderElectionID``). Required.
        namespace: the Lease's namespace. Defaults to the pod's namespace in a cluster, else ``default``.
        identity: this candidate's name in ``holderIdentity``. Defaults to ``<hostname>_<uuid>``.
        lease_duration: seconds a non-leader waits after the last observed renewal before taking over.
        renew_deadline: seconds the leader keeps retrying a renewal before giving up leadership.
        retry_period: seconds between attempts.
        release_on_stop: release the Lease on a graceful stop. Defaults to True.
    """

    name: str
    namespace: str = field(default_factory=lambda: _pod_namespace() or "default")
    identity: str = field(default_factory=default_identity)
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_stop: bool = True

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("leader election needs a Lease name")
        if not self.lease_duration > self.renew_deadline:
            raise ValueError("lease_duration must be greater than renew_deadline")
        if not self.renew_deadline > JITTER_FACTOR * self.retry_period:
            raise ValueError(f"renew_deadline must be greater than {JITTER_FACTOR} * retry_period")


def _pod_namespace() -> str | None:
    path = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip() or None
    return None


class LeaderElector:
    """Acquires, holds and releases one Lease for one candidate."""

    def __init__(self, client: Client, options: LeaderElectionOptions) -> None:
        self.client = client
        self.options = options
        self.is_leader = False
        self._observed: dict[str, Any] | None = None
        self._observed_at = 0.0
        self._lease: Object | None = None

    async def acquire(self) -> None:
        """Return once this candidate holds the Lease (retrying every ``retry_period``, jittered)."""
        opts = self.options
        log.info("leader election: %s waiting for lease %s/%s", opts.identity, opts.namespace, opts.name)
        while True:
            if await self._try_acquire_or_renew():
                break
            await asyncio.sleep(opts.retry_period * random.uniform(1.0, JITTER_FACTOR))
        self.is_leader = True
        log.info("leader election: %s acquired lease %s/%s", opts.identity, opts.namespace, opts.name)

    async def hold(self) -> None:
        """Renew until cancelled; raise :class:`LeaderElectionLostError` once renewal keeps failing."""
        opts = self.options
        loop = asyncio.get_running_loop()
        last_renewal = loop.time()
        while True:
            await asyncio.sleep(opts.retry_period)
            if await self._try_acquire_or_renew():
                last_renewal = loop.time()
            elif loop.time() - last_renewal >= opts.renew_deadline:
                self.is_leader = False
                raise LeaderElectionLostError(f"{opts.identity} lost lease {opts.namespace}/{opts.name}")

    async def release(self) -> None:
        """Give the Lease up (empty holder) if this candidate holds it; errors are logged."""
        if not self.is_leader or self._lease is None:
            return
        self.is_leader = False
        lease = self._lease
        spec = dict(lease.get("spec") or {})
        spec.update({"holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": _micro_time()})
        try:
            await self.client.update(LEASES, {**lease, "spec": spec}, namespace=self.options.namespace)
            log.info("leader election: %s released lease", self.options.identity)
        except ApiError as exc:
            log.warning("leader election: could not release the lease: %s", exc)

    async def _try_acquire_or_renew(self) -> bool:
        opts = self.options
        now = _micro_time()
        try:
            lease = await self.client.get(LEASES, opts.name, namespace=opts.namespace)
        except NotFoundError:
            return await self._create(now)
        except ApiError as exc:
            log.warning("leader election: cannot read the lease: %s", exc)
            return False
        spec: dict[str, Any] = lease.get("spec") or {}
        loop_now = asyncio.get_running_loop().time()
        if spec != self._observed:
            self._observed, self._observed_at = spec, loop_now
        holder = spec.get("holderIdentity") or ""
        duration = float(spec.get("leaseDurationSeconds") or opts.lease_duration)
        held_by_other = holder and holder != opts.identity
        if held_by_other and self._observed_at + duration > loop_now:
            return False
        new_spec = dict(spec)
        new_spec.update(
            {
                "holderIdentity": opts.identity,
                "leaseDurationSeconds": _seconds(opts.lease_duration),
                "renewTime": now,
            }
        )
        if holder != opts.identity:
            new_spec["acquireTime"] = now
            new_spec["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        try:
            updated = await self.client.update(LEASES, {**lease, "spec": new_spec}, namespace=opts.namespace)
        except ConflictError:
            return False
        except ApiError as exc:
            log.warning("leader election: cannot update the lease: %s", exc)
            return False
        self._remember(updated)
        return True

    async def _create(self, now: str) -> bool:
        opts = self.options
        lease: Object = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": opts.name, "namespace": opts.namespace},
            "spec": {
                "holderIdentity": opts.identity,
                "leaseDurationSeconds": _seconds(opts.lease_duration),
                "acquireTime": now,
                "renewTime": now,
                "leaseTransitions": 0,
            },
        }
        try:
            created = await self.client.create(LEASES, lease, namespace=opts.namespace)
        except AlreadyExistsError:
            return False
        except ApiError as exc:
            log.warning("leader election: cannot create the lease: %s", exc)
            return False
        self._remember(created)
        return True

    def _remember(self, lease: Object) -> None:
        self._lease = lease
        self._observed = lease.get("spec") or {}
        self._observed_at = asyncio.get_running_loop().time()
