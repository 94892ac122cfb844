"""The strong path: a Sandbox object first, then a reconcile allocates, creates on the fastlet, writes status.

This is the CRD-first order of the seed's strong mode (the object exists before anything runs), driven
by a ``shoal.controller`` controller instead of inline in the RPC handler: the fast-path server creates
the object and waits on :class:`SandboxWaiters` until the reconcile has written the status, so a caller
of either mode gets one reply.

The reconcile is idempotent: the registry keeps the allocation per sandbox and a fastlet accepts a
repeated create of the sandbox it already runs, so a retry after a failed status write does no harm.
Objects the fast path wrote (``sandboxes.shoal.dev/fastlet`` annotation) already run: the reconcile
leaves them to the fast path's own status write, and :data:`STRONG_PATH_EVENTS` keeps their creates
and updates out of the queue altogether. A deleted Sandbox releases its capacity and ports and
stops the sandbox on its fastlet. A Sandbox for which no fastlet has room is deleted, as the seed's
strong mode does, and its caller gets the 503.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from shoal.api import ApiError, NotFoundError, Object, ObjectKey
from shoal.controller import Controller, ControllerOptions, Funcs, Manager, ReconcileContext, Result

from ._crd import FASTLET_ANNOTATION, SANDBOXES
from ._fastlet_client import FastletClient
from ._model import InsufficientCapacityError, SandboxRequest
from ._registry import SandboxRegistry

RUNNING = "Running"
FAILED = "Failed"


def _strong_path(obj: Object) -> bool:
    return FASTLET_ANNOTATION not in ((obj.get("metadata") or {}).get("annotations") or {})


STRONG_PATH_EVENTS = Funcs(on_create=_strong_path, on_update=lambda _, new: _strong_path(new))
"""A ``for_`` predicate: creates and updates of Sandboxes the fast path wrote (and already runs) are not
queued, so its two writes cost the controller no reconciles; deletes always pass, to release them."""


class SandboxWaiters:
    """Callers waiting for a Sandbox's status, woken by the reconcile that writes it."""

    def __init__(self) -> None:
        self._waiting: dict[ObjectKey, list[asyncio.Future[dict[str, Any]]]] = {}

    def expect(self, key: ObjectKey) -> asyncio.Future[dict[str, Any]]:
        """A future for the next status of ``key``; take it before creating the object."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        return future

    def forget(self, key: ObjectKey, future: asyncio.Future[dict[str, Any]]) -> None:
        futures = self._waiting.get(key, [])
        if future in futures:
            futures.remove(future)
        if not futures:
            self._waiting.pop(key, None)

    def resolve(self, key: ObjectKey, status: dict[str, Any] | ApiError) -> None:
        """Wake every caller waiting on ``key`` with the written status, or the error that stopped it."""
        for future in self._waiting.pop(key, []):
            if future.done():
                continue
            if isinstance(status, ApiError):
                future.set_exception(status)
            else:
                future.set_result(status)


class SandboxReconciler:
    """Reconciles Sandbox objects (``shoal.controller.Reconciler``)."""

    def __init__(
        self, registry: SandboxRegistry, fastlets: FastletClient, waiters: SandboxWaiters | None = None
    ) -> None:
        self.registry = registry
        self.fastlets = fastlets
        self.waiters = waiters or SandboxWaiters()

    async def reconcile(self, ctx: ReconcileContext, request: ObjectKey) -> Result | None:
        try:
            obj = await ctx.client.get(SANDBOXES, request.name, namespace=request.namespace)
        except NotFoundError:
            await self._deleted(request)
            return None
        status = obj.get("status") or {}
        annotations = obj["metadata"].get("annotations") or {}
        if status.get("phase") in (RUNNING, FAILED) or FASTLET_ANNOTATION in annotations:
            return None
        try:
            wanted = SandboxRequest.from_object(obj)
        except ApiError as error:
            await self._report(ctx, request, {"phase": FAILED, "message": error.message}, error)
            return None
        allocation = self.registry.allocation(request.namespace, request.name)
        if allocation is None:
            try:
                allocation = self.registry.allocate(wanted)
            except InsufficientCapacityError as error:
                # As the seed does: a strong-mode sandbox with no room is refused, and its object goes.
                with contextlib.suppress(NotFoundError):
                    await ctx.client.delete(SANDBOXES, request.name, namespace=request.namespace)
                self.waiters.resolve(request, error)
                return None
        try:
            reply = await self.fastlets.create(allocation)
        except ApiError as error:
            self.registry.release(request.namespace, request.name)
            message = f"fastlet {allocation.fastlet}: {error.message}"
            await self._report(ctx, request, {"phase": FAILED, "message": message}, error)
            return None
        done = {
            "phase": RUNNING,
            "fastlet": allocation.fastlet,
            "sandboxID": str(reply.get("sandboxID", "")),
            "message": "",
        }
        await self._report(ctx, request, done, None)
        return None

    async def _report(
        self, ctx: ReconcileContext, key: ObjectKey, status: dict[str, Any], error: ApiError | None
    ) -> None:
        written = await ctx.client.patch_status(
            SANDBOXES, key.name, {"status": status}, namespace=key.namespace
        )
        self.waiters.resolve(key, error if error is not None else written.get("status", status))

    async def _deleted(self, key: ObjectKey) -> None:
        allocation = self.registry.release(key.namespace, key.name)
        if allocation is not None:
            # A fastlet that is gone or unreachable is the heartbeat sweep's business, not this delete's.
            with contextlib.suppress(ApiError):
                await self.fastlets.delete(allocation)
        self.waiters.resolve(key, NotFoundError(f'sandbox "{key.name}" was deleted', name=key.name))


def sandbox_controller(
    manager: Manager, reconciler: SandboxReconciler, *, max_concurrent_reconciles: int = 16
) -> Controller:
    """Register the ``sandbox`` controller with ``manager``: Sandboxes, filtered by :data:`STRONG_PATH_EVENTS`."""
    options = ControllerOptions(
        max_concurrent_reconciles=max_concurrent_reconciles, need_leader_election=False
    )
    return (
        Controller.build(manager)
        .for_(SANDBOXES, kind="Sandbox", predicates=[STRONG_PATH_EVENTS])
        .named("sandbox")
        .with_options(options)
        .complete(reconciler)
    )
