"""The async Client protocol: the one interface reconcilers, caches and benchmarks talk to.

Two implementations exist and must be indistinguishable to callers: ``Simulator.client()`` (in-process,
straight against the simulator's store) and ``HttpClient`` (aiohttp, for real clusters and the
simulator's HTTP door). The conformance suite in ``tests/conformance`` runs against both.

Every method returns the JSON the apiserver would return and raises an :class:`shoal.api.ApiError`
subclass for a failure ``Status``. Objects passed in are never mutated; objects returned are the
caller's own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from shoal.api import (
    GroupVersionResource,
    Object,
    PatchType,
    Preconditions,
    PropagationPolicy,
    WatchEvent,
)


class Client(Protocol):
    """Kubernetes REST verbs, one method each. ``namespace`` is ``None`` for cluster-scoped resources
    and, for lists and watches, means "all namespaces"."""

    async def get(self, resource: GroupVersionResource, name: str, *, namespace: str | None = None) -> Object:
        """GET one object. Raises NotFoundError."""
        ...

    async def list(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        limit: int = 0,
        continue_: str = "",
        resource_version: str | None = None,
        resource_version_match: str | None = None,
    ) -> Object:
        """LIST: a ``<Kind>List`` with ``metadata.resourceVersion`` and, when paging, ``metadata.continue``.

        Raises GoneError when ``continue_`` refers to a compacted revision.
        """
        ...

    async def create(
        self,
        resource: GroupVersionResource,
        obj: Object,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Object:
        """POST. ``namespace`` defaults to ``obj.metadata.namespace``. Raises AlreadyExistsError, InvalidError."""
        ...

    async def update(
        self,
        resource: GroupVersionResource,
        obj: Object,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Object:
        """PUT. A stale ``metadata.resourceVersion`` raises ConflictError; status is ignored when the kind
        has a status subresource."""
        ...

    async def update_status(
        self,
        resource: GroupVersionResource,
        obj: Object,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        field_validation: str | None = None,
    ) -> Object:
        """PUT /status: only ``status`` changes."""
        ...

    async def patch(
        self,
        resource: GroupVersionResource,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType = PatchType.MERGE,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        force: bool | None = None,
        field_validation: str | None = None,
    ) -> Object:
        """PATCH. ``patch`` is a dict (merge, strategic, apply) or a list of operations (JSON patch).

        Apply patches create the object when it is missing and need ``field_manager``.
        """
        ...

    async def patch_status(
        self,
        resource: GroupVersionResource,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType = PatchType.MERGE,
        namespace: str | None = None,
        dry_run: bool = False,
        field_manager: str | None = None,
        force: bool | None = None,
        field_validation: str | None = None,
    ) -> Object:
        """PATCH /status."""
        ...

    async def delete(
        self,
        resource: GroupVersionResource,
        name: str,
        *,
        namespace: str | None = None,
        propagation_policy: PropagationPolicy | None = None,
        grace_period_seconds: int | None = None,
        preconditions: Preconditions | None = None,
        dry_run: bool = False,
    ) -> Object:
        """DELETE. Returns the object (with ``deletionTimestamp`` when finalizers keep it) or a Success Status."""
        ...

    async def delete_collection(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        propagation_policy: PropagationPolicy | None = None,
    ) -> Object:
        """DELETE on the collection: every matching object, as a ``<Kind>List`` of what was deleted."""
        ...

    def watch(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        resource_version: str | None = None,
        allow_bookmarks: bool = False,
        send_initial_events: bool = False,
        timeout_seconds: float | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """WATCH: every change after ``resource_version``, exactly once and in order.

        Yields ADDED / MODIFIED / DELETED / BOOKMARK events. A ``resource_version`` older than the
        server keeps raises GoneError (from the stream's ERROR event) so the caller relists. The stream
        ends when ``timeout_seconds`` pass or the server closes it; leaving the ``async for`` closes it.
        """
        ...
