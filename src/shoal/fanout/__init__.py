"""The seed patterns as API: run independent API calls concurrently, safely, in one line each.

* :func:`gather` — a few calls at once in one TaskGroup; fail fast or collect every error.
* :func:`bounded_map` — a streaming worker pool with at most ``limit`` calls in flight.
* :class:`ComponentGraph` — components with ``depends_on``, synced on the critical path, deleted in
  reverse.
* :class:`Memo` — reconcile-scoped memoisation with single-flight.
* :class:`KeyedCache` — process-wide single-flight cache with TTL and size bound, for slow shared I/O.
* :func:`update_status_if_changed`, :func:`create_or_patch` — skip writes that change nothing, send
  minimal merge patches otherwise, count both (:func:`write_statistics`).
"""

from ._flight import CacheStatistics as CacheStatistics
from ._gather import GatherMode as GatherMode, gather as gather
from ._graph import Component as Component, ComponentGraph as ComponentGraph, ComponentLike as ComponentLike
from ._keyed_cache import KeyedCache as KeyedCache
from ._memo import Memo as Memo
from ._pool import BoundedMap as BoundedMap, bounded_map as bounded_map
from ._results import (
    ComponentResult as ComponentResult,
    DependencyCycleError as DependencyCycleError,
    GraphResult as GraphResult,
    Outcome as Outcome,
)
from ._writes import (
    WriteOutcome as WriteOutcome,
    WriteResult as WriteResult,
    WriteStatistics as WriteStatistics,
    create_or_patch as create_or_patch,
    reset_write_statistics as reset_write_statistics,
    update_status_if_changed as update_status_if_changed,
    write_statistics as write_statistics,
)

__all__ = [
    "BoundedMap",
    "CacheStatistics",
    "Component",
    "ComponentGraph",
    "ComponentLike",
    "ComponentResult",
    "DependencyCycleError",
    "GatherMode",
    "GraphResult",
    "KeyedCache",
    "Memo",
    "Outcome",
    "WriteOutcome",
    "WriteResult",
    "WriteStatistics",
    "bounded_map",
    "create_or_patch",
    "gather",
    "reset_write_statistics",
    "update_status_if_changed",
    "write_statistics",
]
