"""Status writes batched in time: a change that moves availability is written at once, progress waits.

A PodClique's status changes four times in its first tenth of a second (pods created, ungated, the
first Ready, the second Ready), and a PodCliqueSet's ``availableReplicas`` once per replica. Only some
of those changes carry a decision: a clique reaching (or losing) ``minAvailable``, a set becoming
available or fully available, a new ``observedGeneration``. Those are written at once; every other
change waits up to :data:`STATUS_BATCH_SECONDS` from the first change not yet written, so the states a
burst passes through collapse into the one it ends in (one write per clique instead of two or three).
The status is never left stale: the reconcile asks to be requeued when the wait is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shoal.api import GroupVersionResource, Object, ObjectKey, create_merge_patch
from shoal.client import Client

STATUS_BATCH_SECONDS = 0.25
"""How long a status change that moves no availability may wait for the next one."""


class StatusBatcher:
    """Writes one resource's statuses, batching the changes that are not urgent (see module doc).

    One per reconciler; a work queue never reconciles one object on two workers at once, so the
    per-object wait needs no lock.
    """

    __slots__ = ("_clock", "_since", "resource", "seconds")

    def __init__(
        self,
        resource: GroupVersionResource,
        *,
        seconds: float = STATUS_BATCH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resource = resource
        self.seconds = seconds
        self._clock = clock
        self._since: dict[ObjectKey, float] = {}

    def forget(self, namespace: str, name: str) -> None:
        """Drop the pending wait of an object that is gone."""
        self._since.pop(ObjectKey(namespace, name), None)

    async def write(
        self, client: Client, obj: Object, status: dict[str, Any], *, urgent: bool
    ) -> float | None:
        """Patch ``obj``'s status to ``status`` now, later, or not at all (unchanged).

        ``obj`` is read, never changed (it may be a shared cached dict). Returns ``None``, or the
        seconds after which the caller should reconcile again to write the waiting change.
        """
        m = obj["metadata"]
        key = ObjectKey(m.get("namespace") or "", m["name"])
        current = obj.get("status") or {}
        if current == status:
            self._since.pop(key, None)
            return None
        now = self._clock()
        if not urgent:
            since = self._since.setdefault(key, now)
            if now - since < self.seconds:
                return since + self.seconds - now
        patch = create_merge_patch({"status": current}, {"status": status})
        await client.patch_status(self.resource, key.name, patch, namespace=key.namespace or None)
        self._since.pop(key, None)
        return None


def observed_generation_moved(current: dict[str, Any], status: dict[str, Any]) -> bool:
    """Whether a written status is about to observe a new generation (a spec change to report)."""
    return "observedGeneration" in current and current["observedGeneration"] != status.get(
        "observedGeneration"
    )
