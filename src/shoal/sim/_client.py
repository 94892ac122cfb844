"""The in-process client: every method of :class:`shoal.client.Client`, straight against the store.

This is the simulator's front door; the HTTP door calls these same methods, so injected latency,
injected faults and request accounting happen here, once, for every client. Bodies are copied on the
way in (the caller may keep mutating its dicts) and results on the way out (the caller owns them);
stored snapshots are never handed out.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from shoal.api import (
    BadRequestError,
    GroupVersionResource,
    Object,
    PatchType,
    Preconditions,
    PropagationPolicy,
    WatchEvent,
)

from ._lists import Filter
from ._resources import ResourceInfo
from ._streams import deliver, open_watch

if TYPE_CHECKING:
    from ._simulator import Simulator

T = TypeVar("T")


def _copy_in(obj: Any) -> Any:
    try:
        return orjson.loads(orjson.dumps(obj))
    except (TypeError, orjson.JSONEncodeError) as exc:
        raise BadRequestError(f"the request body is not valid JSON: {exc}") from None


def _copy_out(obj: Any) -> Any:
    return orjson.loads(orjson.dumps(obj))


class SimClient:
    """A :class:`shoal.client.Client` served by one :class:`Simulator`, accounted as ``user_agent``."""

    def __init__(self, sim: Simulator, user_agent: str = "shoal") -> None:
        self._sim = sim
        self._server = sim.server
        self.user_agent = user_agent

    async def _call(
        self, verb: str, gvr: GroupVersionResource, label: str, name: str, fn: Callable[[ResourceInfo], T]
    ) -> T:
        """Pay latency, maybe fail by injection, run ``fn`` against the store, account for it.

        With injected latency the request's deadline is taken when it starts and ``fn`` runs within
        it, the store holding the request's changes for watchers until the reply leaves at the
        deadline: reads may see the commit early (as they may see a committed etcd write), watchers
        get it with the reply, however long the store work took, and concurrent requests do their
        store work while the others wait instead of after. A request is accounted before watchers
        get its changes.
        """
        sim = self._sim
        start = time.perf_counter()
        delay = sim.profile.delay(verb, label) if sim.profile.rules else 0.0
        if delay > 0:
            return await self._call_within(start, delay, verb, gvr, label, name, fn)
        try:
            await asyncio.sleep(0)
            return self._run(verb, gvr, label, name, fn)
        finally:
            sim.accounting.record(self.user_agent, verb, label, time.perf_counter() - start)

    def _run(
        self, verb: str, gvr: GroupVersionResource, label: str, name: str, fn: Callable[[ResourceInfo], T]
    ) -> T:
        error = self._sim.faults.check(verb, label, name)
        if error is not None:
            raise error
        return fn(self._server.resolve(gvr))

    async def _call_within(
        self,
        start: float,
        delay: float,
        verb: str,
        gvr: GroupVersionResource,
        label: str,
        name: str,
        fn: Callable[[ResourceInfo], T],
    ) -> T:
        loop = asyncio.get_running_loop()
        store = self._server.store
        deadline = loop.time() + delay
        try:
            # Requests started together all take their deadlines before any of them does store work.
            await asyncio.sleep(0)
            store.holding = deadline
            try:
                result = self._run(verb, gvr, label, name, fn)
            except Exception:
                store.holding = None
                await asyncio.sleep(deadline - loop.time())
                raise
            store.holding = None
            try:
                await asyncio.sleep(deadline - loop.time())
            except asyncio.CancelledError:
                self._release_later(deadline)
                raise
        finally:
            self._sim.accounting.record(self.user_agent, verb, label, time.perf_counter() - start)
        # The loop may wake a sleep a little early (uvloop rounds timers down): the reply leaving
        # means the deadline has passed, so release up to it, never less.
        store.release(max(loop.time(), deadline))
        return result

    def _release_later(self, deadline: float) -> None:
        """A cancelled request's held changes still reach watchers at its deadline."""
        store, schedule = self._server.store, self._server.schedule
        if not store.held or schedule is None:
            return
        loop = asyncio.get_running_loop()
        schedule(max(0.0, deadline - loop.time()), lambda: store.release(max(loop.time(), deadline)))

    # -- reads -----------------------------------------------------------------------------------

    async def get(self, resource: GroupVersionResource, name: str, *, namespace: str | None = None) -> Object:
        obj = await self._call(
            "get", resource, resource.resource, name, lambda i: self._server.get(i, name, namespace)
        )
        return _copy_out(obj)  # type: ignore[no-any-return]

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
        result = await self._call(
            "list",
            resource,
            resource.resource,
            "",
            lambda i: self._server.list(
                i,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                limit=limit,
                continue_=continue_,
                resource_version=resource_version,
                resource_version_match=resource_version_match,
            ),
        )
        return _copy_out(result)  # type: ignore[no-any-return]

    # -- writes ----------------------------------------------------------------------------------

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
        body = _copy_in(obj)
        name = _name_of(body)
        result = await self._call(
            "create",
            resource,
            resource.resource,
            name,
            lambda i: self._server.create(
                i, body, namespace=namespace, dry_run=dry_run, field_validation=field_validation
            ),
        )
        return _copy_out(result)  # type: ignore[no-any-return]

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
        return await self._update(
            resource, obj, namespace, dry_run, status=False, field_validation=field_validation
        )

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
        return await self._update(
            resource, obj, namespace, dry_run, status=True, field_validation=field_validation
        )

    async def _update(
        self,
        resource: GroupVersionResource,
        obj: Object,
        namespace: str | None,
        dry_run: bool,
        *,
        status: bool,
        field_validation: str | None = None,
    ) -> Object:
        body = _copy_in(obj)
        label = f"{resource.resource}/status" if status else resource.resource
        result = await self._call(
            "update",
            resource,
            label,
            _name_of(body),
            lambda i: self._server.update(
                i,
                body,
                namespace=namespace,
                dry_run=dry_run,
                status=status,
                field_validation=field_validation,
            ),
        )
        return _copy_out(result)  # type: ignore[no-any-return]

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
        return await self._patch(
            resource,
            name,
            patch,
            patch_type,
            namespace,
            dry_run,
            field_manager,
            force,
            False,
            field_validation,
        )

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
        return await self._patch(
            resource,
            name,
            patch,
            patch_type,
            namespace,
            dry_run,
            field_manager,
            force,
            True,
            field_validation,
        )

    async def _patch(
        self,
        resource: GroupVersionResource,
        name: str,
        patch: Any,
        patch_type: PatchType,
        namespace: str | None,
        dry_run: bool,
        field_manager: str | None,
        force: bool | None,
        status: bool,
        field_validation: str | None = None,
    ) -> Object:
        body = _copy_in(patch)
        label = f"{resource.resource}/status" if status else resource.resource
        result = await self._call(
            "patch",
            resource,
            label,
            name,
            lambda i: self._server.patch(
                i,
                name,
                body,
                patch_type=PatchType(patch_type),
                namespace=namespace,
                dry_run=dry_run,
                field_manager=field_manager,
                force=force,
                status=status,
                field_validation=field_validation,
            ),
        )
        return _copy_out(result)  # type: ignore[no-any-return]

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
        result = await self._call(
            "delete",
            resource,
            resource.resource,
            name,
            lambda i: self._server.delete(
                i,
                name,
                namespace=namespace,
                propagation_policy=propagation_policy,
                grace_period_seconds=grace_period_seconds,
                preconditions=preconditions,
                dry_run=dry_run,
            ),
        )
        return _copy_out(result)  # type: ignore[no-any-return]

    async def delete_collection(
        self,
        resource: GroupVersionResource,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        field_selector: str = "",
        propagation_policy: PropagationPolicy | None = None,
    ) -> Object:
        result = await self._call(
            "deletecollection",
            resource,
            resource.resource,
            "",
            lambda i: self._server.delete_collection(
                i,
                namespace=namespace,
                label_selector=label_selector,
                field_selector=field_selector,
                propagation_policy=propagation_policy,
            ),
        )
        return _copy_out(result)  # type: ignore[no-any-return]

    # -- watch -----------------------------------------------------------------------------------

    async def watch(
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
        resource_version_match: str | None = None,
    ) -> AsyncIterator[WatchEvent]:
        """See :meth:`shoal.client.Client.watch`. ``resource_version_match`` (only ``NotOlderThan``) is
        implied by ``send_initial_events``; the HTTP door passes the query value through."""
        sim = self._sim
        store = self._server.store

        def start(info: ResourceInfo) -> Any:
            selection = Filter.parse(info, namespace, label_selector, field_selector)
            return open_watch(
                store,
                info,
                selection,
                resource_version=resource_version,
                resource_version_match=resource_version_match,
                send_initial_events=send_initial_events,
                queue_size=sim.watch_queue_size,
                batch_interval=sim.watch_batch_interval,
            )

        stream = await self._call("watch", resource, resource.resource, "", start)
        batches = deliver(
            stream,
            store,
            copy=_watch_copier(sim, stream.info),
            drop_after=sim.faults.watch_drop(resource.resource),
            timeout_seconds=timeout_seconds,
            bookmark_interval=sim.bookmark_interval if allow_bookmarks else None,
        )
        async with contextlib.aclosing(batches):
            async for batch in batches:
                for event in batch:
                    yield event
                # Hold no delivered event while waiting for the next batch: the consumer decides how
                # long its objects live (kept here, they would outlive young garbage collections).
                batch.clear()


def _watch_copier(sim: Simulator, info: ResourceInfo) -> Callable[[list[Object]], list[Object]]:
    """The caller's own copies of stored objects as served at ``info``'s version, decoded from the
    encodings every stream shares."""
    copy_all = sim.encoder.copy_all
    api_version = info.api_version

    def copy(objs: list[Object]) -> list[Object]:
        return copy_all(objs, api_version)

    return copy


def _name_of(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("metadata"), dict):
        return str(body["metadata"].get("name") or "")
    return ""
