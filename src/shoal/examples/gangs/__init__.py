"""Gangs: Grove's PodCliqueSet → PodClique → Pods and PodGang, with the seed's fixes as defaults.

A PodCliqueSet's twelve components sync on a :class:`shoal.fanout.ComponentGraph`; PodCliques create
their pods behind a scheduling gate that is removed once every pod of the replica's PodGang exists; every
status is written only when it changes (progress batched in time), and reads of the informer cache
share its dicts instead of copying them. ``gang_manager(client)`` runs both controllers;
``seed_faithful=True`` is the benchmark's "before". ``shoal bench gangs`` measures deploy, a no-op
steady state and delete on simulated nodes (docs/examples.md).
"""

from ._crd import (
    PCS_LABEL as PCS_LABEL,
    PODCLIQUES as PODCLIQUES,
    PODCLIQUESETS as PODCLIQUESETS,
    PODGANGS as PODGANGS,
    PODS as PODS,
    RECONCILE_TRIGGER as RECONCILE_TRIGGER,
    SCHEDULING_GATE as SCHEDULING_GATE,
    gang_crds as gang_crds,
    install as install,
    podcliqueset_object as podcliqueset_object,
)
from ._manager import (
    add_gang_controllers as add_gang_controllers,
    gang_manager as gang_manager,
    pod_to_gang_podcliques as pod_to_gang_podcliques,
    pod_to_podcliqueset as pod_to_podcliqueset,
    podgang_to_podcliques as podgang_to_podcliques,
)
from ._podclique import PodCliqueReconciler as PodCliqueReconciler
from ._podcliqueset import (
    COMPONENTS as COMPONENTS,
    PodCliqueSetReconciler as PodCliqueSetReconciler,
    PodCliqueSetStatusReconciler as PodCliqueSetStatusReconciler,
)
from ._status import STATUS_BATCH_SECONDS as STATUS_BATCH_SECONDS, StatusBatcher as StatusBatcher

__all__ = [
    "COMPONENTS",
    "PCS_LABEL",
    "PODCLIQUES",
    "PODCLIQUESETS",
    "PODGANGS",
    "PODS",
    "RECONCILE_TRIGGER",
    "SCHEDULING_GATE",
    "STATUS_BATCH_SECONDS",
    "PodCliqueReconciler",
    "PodCliqueSetReconciler",
    "PodCliqueSetStatusReconciler",
    "StatusBatcher",
    "add_gang_controllers",
    "gang_crds",
    "gang_manager",
    "install",
    "pod_to_gang_podcliques",
    "pod_to_podcliqueset",
    "podcliqueset_object",
    "podgang_to_podcliques",
]
