"""The Prometheus registry Shoal records into, and the one place metric families are created.

Shoal registers its metrics in a registry of its own (:func:`default_registry`), not in
``prometheus_client.REGISTRY``: importing Shoal never changes what an application already exports, two
test cases can use two registries, and a manager chooses what its ``/metrics`` serves. Every function
that creates metrics takes an optional ``registry``; ``None`` means the default one.

A metric family can be registered only once per registry, so families are created on first use and
reused afterwards (:func:`families`).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

from prometheus_client import CollectorRegistry

F = TypeVar("F")

_DEFAULT_REGISTRY = CollectorRegistry()
_FAMILIES: weakref.WeakKeyDictionary[CollectorRegistry, dict[Callable[..., object], object]] = (
    weakref.WeakKeyDictionary()
)


def default_registry() -> CollectorRegistry:
    """The registry Shoal's components record into unless given another one."""
    return _DEFAULT_REGISTRY


def families(registry: CollectorRegistry | None, factory: Callable[[CollectorRegistry], F]) -> F:
    """The metric families ``factory`` registers in ``registry``, created on the first call only."""
    registry = _DEFAULT_REGISTRY if registry is None else registry
    created = _FAMILIES.setdefault(registry, {})
    if factory not in created:
        created[factory] = factory(registry)
    found: F = created[factory]  # type: ignore[assignment]
    return found
