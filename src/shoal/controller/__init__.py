"""Controllers: reconcile requests from informer events with N workers, under a manager.

``Controller.build(mgr).for_(...).owns(...).watches(...).complete(reconciler)`` wires a
:class:`Reconciler` to the shared cache; :class:`Manager` runs the cache, the controllers, the
``/metrics`` ``/healthz`` ``/readyz`` endpoints and Lease-based leader election, and stops gracefully.
"""

from ._builder import Builder as Builder
from ._controller import Controller as Controller, ControllerOptions as ControllerOptions, Watch as Watch
from ._handlers import (
    EventRouter as EventRouter,
    Mapper as Mapper,
    OwnerMapper as OwnerMapper,
    request_for_object as request_for_object,
)
from ._leader import (
    LeaderElectionLostError as LeaderElectionLostError,
    LeaderElectionOptions as LeaderElectionOptions,
    LeaderElector as LeaderElector,
)
from ._manager import Manager as Manager, ManagerOptions as ManagerOptions
from ._predicates import (
    ANNOTATIONS_CHANGED as ANNOTATIONS_CHANGED,
    GENERATION_CHANGED as GENERATION_CHANGED,
    LABELS_CHANGED as LABELS_CHANGED,
    RESOURCE_VERSION_CHANGED as RESOURCE_VERSION_CHANGED,
    AnyOf as AnyOf,
    Funcs as Funcs,
    MetadataChanged as MetadataChanged,
    Predicate as Predicate,
)
from ._reconcile import (
    ReconcileContext as ReconcileContext,
    ReconcileLogger as ReconcileLogger,
    Reconciler as Reconciler,
    Request as Request,
    Result as Result,
    TerminalError as TerminalError,
)
from ._recorder import EventRecorder as EventRecorder, EventType as EventType
from ._run import (
    RunOptions as RunOptions,
    load_reconciler as load_reconciler,
    run_cli as run_cli,
    run_reconciler as run_reconciler,
)

__all__ = [
    "ANNOTATIONS_CHANGED",
    "GENERATION_CHANGED",
    "LABELS_CHANGED",
    "RESOURCE_VERSION_CHANGED",
    "AnyOf",
    "Builder",
    "Controller",
    "ControllerOptions",
    "EventRecorder",
    "EventRouter",
    "EventType",
    "Funcs",
    "LeaderElectionLostError",
    "LeaderElectionOptions",
    "LeaderElector",
    "Manager",
    "ManagerOptions",
    "Mapper",
    "MetadataChanged",
    "OwnerMapper",
    "Predicate",
    "ReconcileContext",
    "ReconcileLogger",
    "Reconciler",
    "Request",
    "Result",
    "RunOptions",
    "TerminalError",
    "Watch",
    "load_reconciler",
    "request_for_object",
    "run_cli",
    "run_reconciler",
]
