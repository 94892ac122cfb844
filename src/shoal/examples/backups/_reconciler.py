"""The Backup reconciler: a new Backup is run once, and its status tells how it went.

A backup is an action, not a desired state, so the reconcile is one-shot: a Backup without a terminal
phase is marked ``InProgress``, run, and marked ``Completed`` (every item saved), ``PartiallyFailed``
(some item actions failed) or ``Failed`` (bad spec, a list or the archive failed). A Backup found
``InProgress`` at the start of a reconcile was interrupted (the key is never reconciled twice at once),
so it is marked ``Failed`` rather than run again into the same archive, as Velero does after a restart.
The Backup is read live: the cache may not yet show the status this controller just wrote.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from shoal.api import NotFoundError, Object
from shoal.controller import Controller, ControllerOptions, Manager, ReconcileContext, Request, Result
from shoal.fanout import update_status_if_changed

from ._resources import (
    BACKUPS,
    PHASE_COMPLETED,
    PHASE_FAILED,
    PHASE_IN_PROGRESS,
    PHASE_PARTIALLY_FAILED,
    TERMINAL_PHASES,
)
from ._run import MAX_FAILURES_REPORTED, BackupOptions, BackupReport, run_backup


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_problem(spec: Any) -> str | None:
    """Why ``spec`` cannot be run (the field named), or ``None``."""
    if not isinstance(spec, dict):
        return "spec: Required value"
    namespaces = spec.get("includedNamespaces")
    if not isinstance(namespaces, list) or not namespaces:
        return "spec.includedNamespaces: Required value: name at least one namespace"
    if not all(isinstance(n, str) and n for n in namespaces):
        return "spec.includedNamespaces: Invalid value: every entry must be a namespace name"
    location = spec.get("storageLocation")
    if location is not None and (not isinstance(location, str) or not Path(location).is_absolute()):
        return f"spec.storageLocation: Invalid value: {location!r}: must be an absolute directory path"
    return None


class BackupReconciler:
    """Runs each new Backup once with ``options``; ``reports`` keeps the last run per Backup."""

    def __init__(self, options: BackupOptions) -> None:
        self.options = options
        self.reports: dict[Request, BackupReport] = {}

    async def _set_status(self, ctx: ReconcileContext, backup: Object, **fields: Any) -> Object:
        def mutate(obj: Object) -> None:
            obj.setdefault("status", {}).update(fields)

        return (await update_status_if_changed(ctx.client, BACKUPS, backup, mutate)).object

    async def reconcile(self, ctx: ReconcileContext, request: Request) -> Result | None:
        try:
            backup = await ctx.client.get(BACKUPS, request.name, namespace=request.namespace)
        except NotFoundError:
            return None
        status = backup.get("status") or {}
        phase = status.get("phase")
        if phase in TERMINAL_PHASES:
            return None
        if phase == PHASE_IN_PROGRESS:
            await self._set_status(
                ctx,
                backup,
                phase=PHASE_FAILED,
                completionTimestamp=_now(),
                message="the backup was interrupted",
            )
            return None
        spec = backup.get("spec")
        problem = _spec_problem(spec)
        if problem is not None:
            await self._set_status(
                ctx, backup, phase=PHASE_FAILED, completionTimestamp=_now(), message=problem
            )
            return None
        assert isinstance(spec, dict)
        directory = Path(spec.get("storageLocation") or self.options.archive_dir)
        archive = directory / request.namespace / f"{request.name}.tar.gz"
        backup = await self._set_status(
            ctx, backup, phase=PHASE_IN_PROGRESS, startTimestamp=_now(), workers=self.options.workers
        )
        ctx.log.info("backing up %s into %s", ", ".join(spec["includedNamespaces"]), archive)
        try:
            report = await run_backup(
                ctx.client, request.name, spec["includedNamespaces"], archive, self.options
            )
        except Exception as error:  # noqa: BLE001 - recorded in the Backup's status
            ctx.log.warning("backup failed: %s", error)
            await self._set_status(
                ctx, backup, phase=PHASE_FAILED, completionTimestamp=_now(), message=str(error) or repr(error)
            )
            return None
        self.reports[request] = report
        await self._set_status(ctx, backup, **_final_status(report))
        return None


def _final_status(report: BackupReport) -> dict[str, Any]:
    failed = bool(report.failures)
    fields: dict[str, Any] = {
        "phase": PHASE_PARTIALLY_FAILED if failed else PHASE_COMPLETED,
        "completionTimestamp": _now(),
        "durationSeconds": round(report.duration, 6),
        "totalItems": report.total_items,
        "itemsBackedUp": report.backed_up,
        "itemBlocks": len(report.blocks),
        "errors": len(report.failures),
        "archive": str(report.archive),
    }
    if failed:
        fields["failures"] = report.failures[:MAX_FAILURES_REPORTED]
    return fields


def add_backup_controller(
    manager: Manager, options: BackupOptions, *, concurrent_backups: int = 4
) -> BackupReconciler:
    """Add the ``backups`` controller to ``manager``; ``concurrent_backups`` Backups run at once."""
    reconciler = BackupReconciler(options)
    Controller.build(manager).for_(BACKUPS, kind="Backup").named("backups").with_options(
        ControllerOptions(max_concurrent_reconciles=concurrent_backups, need_leader_election=False)
    ).complete(reconciler)
    return reconciler
