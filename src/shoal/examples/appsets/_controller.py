"""Wiring the ApplicationSet reconciler into a manager, with the event filters that keep priorities honest.

The work queue puts initial-list events at low priority and real changes at high priority, which is
what lets a new ApplicationSet skip a backlog of periodic requeues. That only works if the controller's
own writes do not count as "real changes": a reconcile that creates an Application, or writes the
ApplicationSet's status, would otherwise re-enqueue its ApplicationSet at high priority, and after one
pass every ApplicationSet would be in the fast lane. So the ApplicationSet watch passes spec changes
only (``metadata.generation``), and the Application watch ignores creations (the controller made them)
and passes spec changes and deletions (someone else's doing, to be repaired at once).
"""

from __future__ import annotations

from typing import Any

from shoal.controller import GENERATION_CHANGED, Controller, ControllerOptions, Funcs, Manager

from ._crd import APPLICATION_SET_KIND, APPLICATION_SETS, APPLICATIONS
from ._reconciler import AppSetReconciler

CONTROLLER_NAME = "applicationset"


def _never(obj: dict[str, Any]) -> bool:
    return False


def add_appset_controller(
    manager: Manager,
    reconciler: AppSetReconciler,
    *,
    max_concurrent_reconciles: int = 16,
    name: str = CONTROLLER_NAME,
) -> Controller:
    """Add the ApplicationSet controller to ``manager``; ``max_concurrent_reconciles`` is W."""
    return (
        Controller.build(manager)
        .for_(APPLICATION_SETS, kind=APPLICATION_SET_KIND, predicates=[GENERATION_CHANGED])
        .owns(APPLICATIONS, predicates=[Funcs(on_create=_never), GENERATION_CHANGED])
        .with_options(
            ControllerOptions(max_concurrent_reconciles=max_concurrent_reconciles, need_leader_election=False)
        )
        .named(name)
        .complete(reconciler)
    )
