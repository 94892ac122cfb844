"""The ApplicationSet reconciler: generate parameters from git, render Applications, converge them.

One reconcile is Argo CD's loop, reshaped around the seed's findings. The git listing goes through a
:class:`~shoal.fanout.KeyedCache` keyed by (repository, revision), so any number of ApplicationSets on
the same repository, reconciled at once by different workers, cost one repo-server call. Applications
are created, patched and deleted concurrently (at most ``application_concurrency`` at a time) and only
when they differ, so a steady-state reconcile writes nothing. The answer is a requeue after the
generators' period (3 minutes by default, at low priority so that a new or changed ApplicationSet is
served ahead of the periodic ones): git is polled, not watched.

Most reconciles find nothing to do, and with the listing cached they are pure CPU on the event loop
every worker shares. So each converged ApplicationSet keeps what its last pass saw (:class:`Converged`:
its generation, the listings, its Applications' resourceVersions, the status written); when a periodic
reconcile finds all of them unchanged it stops before rendering and comparing, and the loop stays free
for the ApplicationSets that have work.

Every reconcile is written to a :class:`ReconcileLog` (which key, in which order), which is how tests
and benchmarks observe progress without timing it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shoal.api import (
    AlreadyExistsError,
    ApiError,
    InvalidError,
    NotFoundError,
    ObjectKey,
    invalid,
    invalid_cause,
)
from shoal.cache import INDEX_OWNER_UID
from shoal.controller import ReconcileContext, Result, TerminalError
from shoal.fanout import KeyedCache, bounded_map, create_or_patch, gather, update_status_if_changed
from shoal.workqueue import Priority

from ._crd import APPLICATION_SET_KIND, APPLICATION_SETS, APPLICATIONS, GROUP
from ._generator import DEFAULT_REQUEUE_AFTER, GitDirectoriesGenerator, parse_generators
from ._repo_server import RepoServer
from ._template import render_application

GitCache = KeyedCache[tuple[str, str], list[str]]
"""Directory listings by (repository URL, revision)."""


@dataclass(frozen=True, slots=True)
class Converged:
    """What one ApplicationSet's last successful pass saw and left; equal inputs mean nothing to do."""

    uid: str
    generation: int | None
    listings: tuple[list[str], ...]
    applications: dict[str, str]
    """Application name to the resourceVersion the pass left it at."""
    status: dict[str, Any] | None


class ReconcileLog:
    """The order in which ApplicationSets were reconciled, how often each was, and how many of those
    reconciles found every input unchanged and stopped early (``unchanged``)."""

    def __init__(self) -> None:
        self.order: list[ObjectKey] = []
        self.counts: Counter[ObjectKey] = Counter()
        self.unchanged = 0
        self._changed = asyncio.Condition()

    async def record(self, key: ObjectKey) -> None:
        self.order.append(key)
        self.counts[key] += 1
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, condition: Callable[[ReconcileLog], bool]) -> None:
        """Return once ``condition(self)`` holds (checked after each recorded reconcile)."""
        async with self._changed:
            await self._changed.wait_for(lambda: condition(self))


class AppSetReconciler:
    """Reconciles ApplicationSets into their Applications (``shoal.controller.Reconciler``).

    Args:
        repo_server: where directory listings come from.
        git_cache: shares listings between reconciles; ``None`` calls the repo server every time
            (the seed's behaviour).
        application_concurrency: Applications written at once per ApplicationSet.
        requeue_after: seconds between reconciles when no generator sets ``requeueAfterSeconds``.
        requeue_priority: the work-queue priority of that periodic requeue; ``None`` keeps the priority
            the request was taken with (controller-runtime's behaviour, the seed's).
        skip_unchanged: stop a reconcile early when its inputs are as the last pass left them; ``False``
            renders and compares every time, as Argo CD does.
    """

    def __init__(
        self,
        repo_server: RepoServer,
        *,
        git_cache: GitCache | None = None,
        application_concurrency: int = 16,
        requeue_after: float = DEFAULT_REQUEUE_AFTER,
        requeue_priority: int | None = Priority.LOW,
        skip_unchanged: bool = True,
    ) -> None:
        if application_concurrency < 1:
            raise ValueError("application_concurrency must be at least 1")
        self.repo_server = repo_server
        self.git_cache = git_cache
        self.application_concurrency = application_concurrency
        self.requeue_after = requeue_after
        self.requeue_priority = requeue_priority
        self.skip_unchanged = skip_unchanged
        self.log = ReconcileLog()
        self._converged: dict[ObjectKey, Converged] = {}

    async def reconcile(self, ctx: ReconcileContext, request: ObjectKey) -> Result | None:
        await self.log.record(request)
        try:
            appset = await ctx.reader.get(APPLICATION_SETS, request.name, namespace=request.namespace)
        except NotFoundError:
            self._converged.pop(request, None)
            return None  # its Applications go with it: they carry its ownerReference
        metadata = appset["metadata"]
        if metadata.get("deletionTimestamp"):
            self._converged.pop(request, None)
            return None
        try:
            generators = parse_generators(appset)
            if len(generators) == 1:
                listings: tuple[list[str], ...] = (await self._directories(generators[0]),)
            else:
                listings = await gather(*(self._directories(g) for g in generators))
        except InvalidError as error:
            await self._set_status(ctx, appset, 0, error.message)
            raise TerminalError(error) from error
        current = await ctx.reader.list(
            APPLICATIONS, namespace=request.namespace, index=(INDEX_OWNER_UID, metadata["uid"])
        )
        result = Result(requeue_after=self._period(generators), priority=self.requeue_priority)
        last = self._converged.get(request)
        if last is not None and self._unchanged(last, appset, listings, current):
            self.log.unchanged += 1
            return result
        self._converged.pop(request, None)
        try:
            desired = self._render(appset, generators, listings)
        except InvalidError as error:
            await self._set_status(ctx, appset, 0, error.message)
            raise TerminalError(error) from error
        by_name = {app["metadata"]["name"]: app for app in current}
        stale = [name for name in by_name if name not in desired]
        versions: dict[str, str] = {}

        async def converge(name: str) -> None:
            app = desired.get(name)
            if app is None:
                with contextlib.suppress(NotFoundError):
                    await ctx.client.delete(APPLICATIONS, name, namespace=request.namespace)
                return
            if name in by_name:
                written = (await create_or_patch(ctx.client, APPLICATIONS, app, current=by_name[name])).object
            else:  # absent from the cache: create without a live GET first
                try:
                    written = await ctx.client.create(APPLICATIONS, app, namespace=request.namespace)
                except AlreadyExistsError:
                    written = (await create_or_patch(ctx.client, APPLICATIONS, app)).object
            versions[name] = written["metadata"].get("resourceVersion", "")

        await bounded_map(converge, [*desired, *stale], limit=self.application_concurrency).collect()
        updated = await self._set_status(ctx, appset, len(desired), "")
        if updated is not None and self.skip_unchanged:
            self._converged[request] = Converged(
                metadata["uid"], metadata.get("generation"), listings, versions, updated.get("status")
            )
        return result

    def _period(self, generators: list[GitDirectoriesGenerator]) -> float:
        periods = [g.requeue_after for g in generators if g.requeue_after is not None]
        return min(periods, default=self.requeue_after)

    @staticmethod
    def _unchanged(
        last: Converged,
        appset: dict[str, Any],
        listings: tuple[list[str], ...],
        current: list[dict[str, Any]],
    ) -> bool:
        """Whether the ApplicationSet, its listings and its Applications are as ``last`` left them."""
        metadata = appset["metadata"]
        return (
            last.uid == metadata["uid"]
            and last.generation == metadata.get("generation")
            and last.listings == listings
            and last.status == appset.get("status")
            and len(current) == len(last.applications)
            and all(
                last.applications.get(app["metadata"]["name"]) == app["metadata"].get("resourceVersion")
                for app in current
            )
        )

    async def _directories(self, generator: GitDirectoriesGenerator) -> list[str]:
        repo, revision = generator.repo_url, generator.revision
        try:
            if self.git_cache is None:
                return await self.repo_server.directories(repo, revision)
            return await self.git_cache.get(
                (repo, revision), lambda: self.repo_server.directories(repo, revision)
            )
        except NotFoundError as error:
            raise invalid(
                APPLICATION_SET_KIND, "", invalid_cause("spec.generators.git.repoURL", repo, error.message)
            ) from error

    @staticmethod
    def _render(
        appset: dict[str, Any], generators: list[GitDirectoriesGenerator], listings: tuple[list[str], ...]
    ) -> dict[str, dict[str, Any]]:
        desired: dict[str, dict[str, Any]] = {}
        for generator, directories in zip(generators, listings, strict=True):
            for params in generator.parameters(directories):
                app = render_application(appset, params)
                name = app["metadata"]["name"]
                if name in desired:
                    raise invalid(
                        APPLICATION_SET_KIND,
                        appset["metadata"]["name"],
                        invalid_cause(
                            "spec.template.metadata.name", name, "two directories render this name"
                        ),
                        group=GROUP,
                    )
                desired[name] = app
        return desired

    @staticmethod
    async def _set_status(
        ctx: ReconcileContext, appset: dict[str, Any], count: int, error: str
    ) -> dict[str, Any] | None:
        """Write the ``ErrorOccurred`` condition; the ApplicationSet as it now is (``None``: gone)."""
        condition = {
            "type": "ErrorOccurred",
            "status": "True" if error else "False",
            "reason": "ApplicationGenerationFromParamsError" if error else "ApplicationSetUpToDate",
            "message": error or "all Applications are generated and up to date",
        }

        def mutate(obj: dict[str, Any]) -> None:
            obj["status"] = {"applications": count, "conditions": [condition]}

        try:
            return (await update_status_if_changed(ctx.client, APPLICATION_SETS, appset, mutate)).object
        except NotFoundError:
            return None
        except ApiError:
            if not error:
                raise
            return None
