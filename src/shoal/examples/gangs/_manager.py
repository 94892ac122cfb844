"""Wiring the gang reconcilers into a manager: what each controller watches and how events map.

The PodCliqueSet controller hears about changes to its own spec or metadata and to its PodCliques'
and PodGangs' other than their status, and about their deletion, not their creation (the set's own
writes coming back); a PodClique's status change (which feeds the set's availability) goes to a
second, status-only controller, so the twelve components are not compared again for each pod turning
Ready. The PodClique controller hears about changes to its spec or metadata, its PodGang, and the
changes of every pod of its gang that its work depends on: creation (the last pod created completes
the gang and releases the scheduling gates), deletion, the gate, readiness. A pod's binding and the
kubelet's other status updates do not wake it. In the seed's design the set hears every event of
itself, its children and every pod, since it marks a gang Initialized, and a clique every event of
itself and its own pods.
Twenty workers per controller, as the seed's scale test configures (``pcs_syncs = pclq_syncs = 20``).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry

from shoal.api import Object
from shoal.client import Client
from shoal.controller import Controller, ControllerOptions, Funcs, Manager, ManagerOptions, Request

from ._crd import (
    GANG_CLIQUES_ANNOTATION,
    PCLQ_KIND,
    PCS_KIND,
    PCS_LABEL,
    PODCLIQUES,
    PODCLIQUESETS,
    PODGANGS,
    PODS,
)
from ._podclique import PodCliqueReconciler, gated, ready
from ._podcliqueset import PodCliqueSetReconciler, PodCliqueSetStatusReconciler
from ._status import STATUS_BATCH_SECONDS

WORKERS = 20


def _spec_or_metadata_changed(old: Object, new: Object) -> bool:
    """Anything but the status (and the bookkeeping resourceVersion/managedFields) changed."""

    def relevant(obj: Object) -> Object:
        m = {
            k: v
            for k, v in (obj.get("metadata") or {}).items()
            if k not in ("resourceVersion", "managedFields")
        }
        return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": m}

    return relevant(old) != relevant(new)


def _pod_progressed(old: Object, new: Object) -> bool:
    """A change a PodClique's work reads: the gate, readiness, deletion, ownership."""
    om, nm = old.get("metadata") or {}, new.get("metadata") or {}
    return (
        gated(old) != gated(new)
        or ready(old) != ready(new)
        or om.get("deletionTimestamp") != nm.get("deletionTimestamp")
        or om.get("ownerReferences") != nm.get("ownerReferences")
    )


SPEC_OR_METADATA_CHANGED = Funcs(on_update=_spec_or_metadata_changed)
OWNED_CHANGED = Funcs(on_create=lambda obj: False, on_update=_spec_or_metadata_changed)
POD_PROGRESSED = Funcs(on_update=_pod_progressed)
STATUS_CHANGED = Funcs(
    on_create=lambda obj: False,
    on_update=lambda old, new: old.get("status") != new.get("status"),
)


def pod_to_podcliqueset(pod: Object) -> Iterable[Request]:
    """A pod's PodCliqueSet, from the label every object of a set carries."""
    m = pod.get("metadata") or {}
    name = (m.get("labels") or {}).get(PCS_LABEL)
    return [Request(m.get("namespace") or "", name)] if name else []


def pod_to_gang_podcliques(pod: Object) -> Iterable[Request]:
    """Every PodClique of the pod's gang (its own included): a new pod may complete any of them."""
    m = pod.get("metadata") or {}
    names = ((m.get("annotations") or {}).get(GANG_CLIQUES_ANNOTATION) or "").split(",")
    return [Request(m.get("namespace") or "", n) for n in names if n]


def podgang_to_podcliques(gang: Object) -> Iterable[Request]:
    """The PodCliques whose pods a PodGang lists (each podgroup is named after its PodClique)."""
    namespace = (gang.get("metadata") or {}).get("namespace") or ""
    groups = (gang.get("spec") or {}).get("podgroups") or ()
    return [Request(namespace, g["name"]) for g in groups if g.get("name")]


def add_gang_controllers(
    manager: Manager,
    *,
    seed_faithful: bool = False,
    workers: int = WORKERS,
    status_batch_seconds: float = STATUS_BATCH_SECONDS,
) -> tuple[Controller, Controller]:
    """Add the PodCliqueSet and PodClique controllers to ``manager``. ``status_batch_seconds``: how
    long a status change that moves no availability may wait for the next one (``shoal.examples.gangs
    ._status``)."""
    batch = status_batch_seconds
    options = ControllerOptions(max_concurrent_reconciles=workers, need_leader_election=False)
    suffix = "-seed" if seed_faithful else ""
    pcs_builder = Controller.build(manager)
    pclq_builder = Controller.build(manager)
    if seed_faithful:  # the set marks gangs Initialized, so it hears every pod; cliques hear their own
        pcs_builder.for_(PODCLIQUESETS, kind=PCS_KIND).owns(PODGANGS).owns(PODCLIQUES)
        pcs_builder.watches(PODS, pod_to_podcliqueset)
        pclq_builder.for_(PODCLIQUES, kind=PCLQ_KIND).owns(PODS)
    else:  # a clique checks its gang itself, so every pod of the gang wakes every clique of it
        pclq_builder.for_(PODCLIQUES, kind=PCLQ_KIND, predicates=[SPEC_OR_METADATA_CHANGED])
        pclq_builder.watches(PODS, pod_to_gang_podcliques, predicates=[POD_PROGRESSED])
        # a PodClique's status changes only the set's status: a second controller writes just that
        pcs_builder.for_(PODCLIQUESETS, kind=PCS_KIND, predicates=[SPEC_OR_METADATA_CHANGED])
        pcs_builder.owns(PODGANGS, predicates=[OWNED_CHANGED])
        pcs_builder.owns(PODCLIQUES, predicates=[OWNED_CHANGED])
        (
            Controller.build(manager)
            .watches(PODCLIQUES, pod_to_podcliqueset, predicates=[STATUS_CHANGED])
            .named("podcliqueset-status")
            .with_options(options)
            .complete(PodCliqueSetStatusReconciler(status_batch_seconds=batch))
        )
    pcs = (
        pcs_builder.named(f"podcliqueset{suffix}")
        .with_options(options)
        .complete(
            PodCliqueSetReconciler(
                seed_faithful=seed_faithful,
                status_on_sync=seed_faithful,
                status_batch_seconds=batch,
            )
        )
    )
    pclq = (
        pclq_builder.watches(PODGANGS, podgang_to_podcliques)
        .named(f"podclique{suffix}")
        .with_options(options)
        .complete(PodCliqueReconciler(seed_faithful=seed_faithful, status_batch_seconds=batch))
    )
    return pcs, pclq


def gang_manager(
    client: Client,
    *,
    seed_faithful: bool = False,
    workers: int = WORKERS,
    status_batch_seconds: float = STATUS_BATCH_SECONDS,
) -> Manager:
    """A manager running only the gang controllers: no HTTP endpoints, its own metrics registry."""
    manager = Manager(client, options=ManagerOptions(http_port=0, registry=CollectorRegistry()))
    add_gang_controllers(
        manager, seed_faithful=seed_faithful, workers=workers, status_batch_seconds=status_batch_seconds
    )
    return manager
