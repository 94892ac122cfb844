"""The seed patterns as API: run independent API calls concurrently, safely, in one line each.

* :func:`gather` — a few calls at once in one TaskGroup; fail fast or collect every error.
* :func:`bounded_map` — a streaming worker pool with at most ``limit`` calls in flight.
"""

from ._gather import GatherMode as GatherMode, gather as gather
from ._pool import BoundedMap as BoundedMap, bounded_map as bounded_map

__all__ = ["BoundedMap", "GatherMode", "bounded_map", "gather"]
