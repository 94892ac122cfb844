"""The embedded Kubernetes API: one store, an in-process client, latency and fault injection.

``Simulator()`` bootstraps a cluster's default namespaces; ``sim.client()`` is a
:class:`shoal.client.Client` served straight from the store. See BRIEF.md for the HTTP door.

The HTTP door (:func:`serve`, :class:`ServedSimulator`, ...) is imported on first use: the in-process
door does not need aiohttp, whose ~30,000 long-lived objects every full garbage collection of a
write-heavy process would walk.
"""

from typing import TYPE_CHECKING, Any

from ._accounting import RequestAccounting as RequestAccounting, RequestStats as RequestStats
from ._apiserver import ApiServer as ApiServer
from ._client import SimClient as SimClient
from ._faults import Fault as Fault, FaultSet as FaultSet
from ._latency import PROFILES as PROFILES, LatencyProfile as LatencyProfile, LatencyRule as LatencyRule
from ._nodes import NodeActors as NodeActors, NodeOptions as NodeOptions, attach_nodes as attach_nodes
from ._resources import (
    BUILTIN_RESOURCES as BUILTIN_RESOURCES,
    ResourceInfo as ResourceInfo,
    ResourceRegistry as ResourceRegistry,
)
from ._simulator import Simulator as Simulator
from ._store import Store as Store
from ._streams import INITIAL_EVENTS_END as INITIAL_EVENTS_END
from ._watch import Change as Change, Watcher as Watcher

if TYPE_CHECKING:
    from ._serve import (
        ServedSimulator as ServedSimulator,
        run_simulator as run_simulator,
        serve as serve,
        write_kubeconfig as write_kubeconfig,
    )

_HTTP_DOOR = frozenset({"ServedSimulator", "run_simulator", "serve", "write_kubeconfig"})


def __getattr__(name: str) -> Any:
    if name in _HTTP_DOOR:
        from . import _serve

        return getattr(_serve, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUILTIN_RESOURCES",
    "INITIAL_EVENTS_END",
    "PROFILES",
    "ApiServer",
    "Change",
    "Fault",
    "FaultSet",
    "LatencyProfile",
    "LatencyRule",
    "NodeActors",
    "NodeOptions",
    "RequestAccounting",
    "RequestStats",
    "ResourceInfo",
    "ResourceRegistry",
    "ServedSimulator",
    "SimClient",
    "Simulator",
    "Store",
    "Watcher",
    "attach_nodes",
    "run_simulator",
    "serve",
    "write_kubeconfig",
]
