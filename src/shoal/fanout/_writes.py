"""Writes that are skipped when they would change nothing, and otherwise send only what changed.

A reconcile runs again and again on objects that are already right. Grove's PodClique reconcile patched
its status on every pass; on a 1,000-pod steady state that is hundreds of writes a minute that change
nothing, each paying a round trip and an etcd write and waking every watcher. The fix compares before
writing. :func:`update_status_if_changed` and :func:`create_or_patch` do that comparison semantically
(JSON values, not Python identity), skip the call when the difference is empty, and otherwise send the
minimal RFC 7386 merge patch. Every decision is counted (:func:`write_statistics`, and the Prometheus
counter ``shoal_fanout_writes_total{result="sent|skipped"}``), so a benchmark or a dashboard can show how
many writes were avoided.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shoal.api import (
    AlreadyExistsError,
    GroupVersionKind,
    GroupVersionResource,
    NotFoundError,
    Object,
    PatchType,
    apply_merge_patch,
    create_merge_patch,
    deep_copy,
    invalid,
    required_cause,
)
from shoal.client import Client

from ._metrics import fanout_metrics


class WriteOutcome(enum.Enum):
    """What a conditional write did."""

    CREATED = "created"
    PATCHED = "patched"
    UNCHANGED = "unchanged"
    """Nothing differed: no request was sent."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome, the object as it now is, and the patch sent (``None`` when nothing was sent)."""

    outcome: WriteOutcome
    object: Object
    patch: dict[str, Any] | None = None

    @property
    def sent(self) -> bool:
        """``True`` when a request reached the API."""
        return self.outcome is not WriteOutcome.UNCHANGED


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteStatistics:
    """Conditional writes in this process since start (or the last :func:`reset_write_statistics`)."""

    sent: int
    """Writes that went to the API (creates and patches)."""
    skipped: int
    """Writes not sent because nothing would have changed."""


_counts = {"sent": 0, "skipped": 0}


def write_statistics() -> WriteStatistics:
    """How many conditional writes were sent and how many were skipped."""
    return WriteStatistics(sent=_counts["sent"], skipped=_counts["skipped"])


def reset_write_statistics() -> None:
    """Zero the counters of :func:`write_statistics` (benchmarks call this between variants)."""
    _counts["sent"] = _counts["skipped"] = 0


def _count(result: WriteResult) -> WriteResult:
    decision = "sent" if result.sent else "skipped"
    _counts[decision] += 1
    fanout_metrics().writes_total.labels(decision).inc()
    return result


def _identity(obj: Object) -> tuple[str, str | None]:
    """``(name, namespace)`` of an object; a missing name is a 422 naming ``metadata.name``."""
    metadata = obj.get("metadata") or {}
    name = metadata.get("name")
    if not isinstance(name, str) or not name:
        kind = GroupVersionKind.of(obj).kind or "object"
        raise invalid(kind, "", required_cause("metadata.name", "name is required"))
    namespace = metadata.get("namespace")
    return name, namespace if isinstance(namespace, str) and namespace else None


async def update_status_if_changed(
    client: Client,
    resource: GroupVersionResource,
    obj: Object,
    mutate: Callable[[Object], object],
    *,
    optimistic_lock: bool = False,
    field_manager: str | None = None,
) -> WriteResult:
    """Apply ``mutate`` to a copy of ``obj``; patch ``/status`` with the difference, or send nothing.

    ``obj`` is never modified (it may be a cached object). Only ``status`` is compared and sent; other
    changes ``mutate`` makes are ignored, as the status subresource would ignore them.

    Args:
        client: where the patch goes.
        resource: the object's resource (``GroupVersionResource("apps", "v1", "deployments")``).
        obj: the object as last read, with ``metadata.name`` (and ``namespace`` when namespaced).
        mutate: changes the copy's ``status`` in place; its return value is ignored.
        optimistic_lock: put ``obj``'s ``resourceVersion`` in the patch, so a stale ``obj`` gets a 409
            ConflictError instead of overwriting a newer status. Defaults to ``False``.
        field_manager: recorded in ``managedFields``.

    Returns:
        ``UNCHANGED`` with ``obj`` itself when the status would not change, else ``PATCHED`` with the
        server's object and the patch sent.

    Raises:
        InvalidError: ``obj`` has no ``metadata.name``.
        ApiError: whatever the patch raised (NotFoundError, ConflictError, ...).
    """
    name, namespace = _identity(obj)
    modified = deep_copy(obj)
    mutate(modified)
    difference = create_merge_patch(
        {"status": obj.get("status") or {}}, {"status": modified.get("status") or {}}
    )
    if not difference:
        return _count(WriteResult(WriteOutcome.UNCHANGED, obj))
    if optimistic_lock:
        difference["metadata"] = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion")}
    returned = await client.patch_status(
        resource,
        name,
        difference,
        patch_type=PatchType.MERGE,
        namespace=namespace,
        field_manager=field_manager,
    )
    return _count(WriteResult(WriteOutcome.PATCHED, returned, difference))


async def create_or_patch(
    client: Client,
    resource: GroupVersionResource,
    desired: Object,
    *,
    current: Object | None = None,
    field_manager: str | None = None,
) -> WriteResult:
    """Make the object carry every field of ``desired``: create it, patch the difference, or do nothing.

    ``desired`` lists the fields this controller owns; fields it does not mention (set by the server,
    defaulting, or other controllers) are left alone. Lists are compared whole, as a merge patch
    replaces them whole. ``status`` in ``desired`` is ignored.

    Args:
        client: used for the create or patch, and for the GET when ``current`` is not given.
        resource: the object's resource.
        desired: a full object for creation; its ``metadata.name`` (and namespace) select the object.
        current: the object as it is now, typically from an informer cache; saves the live GET.
            ``None`` means "read it now" (a NotFound leads to a create).
        field_manager: recorded in ``managedFields``.

    Returns:
        ``CREATED`` or ``PATCHED`` with the server's object, or ``UNCHANGED`` with ``current``.

    Raises:
        InvalidError: ``desired`` has no ``metadata.name``, or the server rejected it.
        ApiError: whatever the API raised.
    """
    name, namespace = _identity(desired)
    if current is None:
        try:
            current = await client.get(resource, name, namespace=namespace)
        except NotFoundError:
            try:
                created = await client.create(
                    resource, desired, namespace=namespace, field_manager=field_manager
                )
            except AlreadyExistsError:  # created by someone else since the GET: patch theirs
                current = await client.get(resource, name, namespace=namespace)
            else:
                return _count(WriteResult(WriteOutcome.CREATED, created, None))
    owned = {key: value for key, value in desired.items() if key != "status"}
    difference = create_merge_patch(current, apply_merge_patch(current, owned))
    difference.pop("status", None)
    if not difference:
        return _count(WriteResult(WriteOutcome.UNCHANGED, current))
    returned = await client.patch(
        resource,
        name,
        difference,
        patch_type=PatchType.MERGE,
        namespace=namespace,
        field_manager=field_manager,
    )
    return _count(WriteResult(WriteOutcome.PATCHED, returned, difference))
