"""Wiring the gang reconcilers into a manager: what each controller watches and how events map.

The PodCliqueSet controller must hear about its PodCliques (their status feeds availability), its
PodGangs, and its pods (a gang becomes complete when its last pod is created). The PodClique controller
hears about its pods and about the PodGang whose Initialized condition releases their scheduling gates.
Twenty workers per controller, as the seed's scale test configures (``pcs_syncs = pclq_syncs = 20``).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry

from shoal.api import Object
from shoal.client import Client
from shoal.controller import Controller, ControllerOptions, Manager, ManagerOptions, Request

from ._crd import PCLQ_KIND, PCS_KIND, PCS_LABEL, PODCLIQUES, PODCLIQUESETS, PODGANGS, PODS
from ._podclique import PodCliqueReconciler
from ._podcliqueset import PodCliqueSetReconciler

WORKERS = 20


def pod_to_podcliqueset(pod: Object) -> Iterable[Request]:
    """A pod's PodCliqueSet, from the label every object of a set carries."""
    m = pod.get("metadata") or {}
    name = (m.get("labels") or {}).get(PCS_LABEL)
    return [Request(m.get("namespace") or "", name)] if name else []


def podgang_to_podcliques(gang: Object) -> Iterable[Request]:
    """The PodCliques whose pods a PodGang lists (each podgroup is named after its PodClique)."""
    namespace = (gang.get("metadata") or {}).get("namespace") or ""
    groups = (gang.get("spec") or {}).get("podgroups") or ()
    return [Request(namespace, g["name"]) for g in groups if g.get("name")]


def add_gang_controllers(
    manager: Manager, *, seed_faithful: bool = False, workers: int = WORKERS
) -> tuple[Controller, Controller]:
    """Add the PodCliqueSet and PodClique controllers to ``manager``."""
    options = ControllerOptions(max_concurrent_reconciles=workers, need_leader_election=False)
    suffix = "-seed" if seed_faithful else ""
    pcs = (
        Controller.build(manager)
        .for_(PODCLIQUESETS, kind=PCS_KIND)
        .owns(PODCLIQUES)
        .owns(PODGANGS)
        .watches(PODS, pod_to_podcliqueset)
        .named(f"podcliqueset{suffix}")
        .with_options(options)
        .complete(PodCliqueSetReconciler(seed_faithful=seed_faithful))
    )
    pclq = (
        Controller.build(manager)
        .for_(PODCLIQUES, kind=PCLQ_KIND)
        .owns(PODS)
        .watches(PODGANGS, podgang_to_podcliques)
        .named(f"podclique{suffix}")
        .with_options(options)
        .complete(PodCliqueReconciler(seed_faithful=seed_faithful))
    )
    return pcs, pclq


def gang_manager(client: Client, *, seed_faithful: bool = False, workers: int = WORKERS) -> Manager:
    """A manager running only the gang controllers: no HTTP endpoints, its own metrics registry."""
    manager = Manager(client, options=ManagerOptions(http_port=0, registry=CollectorRegistry()))
    add_gang_controllers(manager, seed_faithful=seed_faithful, workers=workers)
    return manager
