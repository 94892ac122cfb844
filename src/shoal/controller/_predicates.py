"""Predicates: which informer events are worth a reconcile.

Most updates a controller sees change nothing it cares about (status written by itself, a resync,
managedFields); filtering them before they reach the queue saves a reconcile each. A predicate answers
per event kind; an event is enqueued only when every predicate of the watch agrees.

The built-ins mirror controller-runtime's: :data:`GENERATION_CHANGED` (spec changes only),
:data:`LABELS_CHANGED`, :data:`ANNOTATIONS_CHANGED`, :data:`RESOURCE_VERSION_CHANGED` (drops resyncs);
:class:`Funcs` builds one from plain functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from shoal.api import Object


class Predicate(Protocol):
    """Filters informer events. ``update`` gets the old and the new object; all are read-only."""

    def create(self, obj: Object) -> bool: ...

    def update(self, old: Object, new: Object) -> bool: ...

    def delete(self, obj: Object) -> bool: ...


def _always(*_: Object) -> bool:
    return True


@dataclass(frozen=True, slots=True, kw_only=True)
class Funcs:
    """A predicate from functions; an event kind without a function passes."""

    on_create: Callable[[Object], bool] = _always
    on_update: Callable[[Object, Object], bool] = _always
    on_delete: Callable[[Object], bool] = _always

    def create(self, obj: Object) -> bool:
        return self.on_create(obj)

    def update(self, old: Object, new: Object) -> bool:
        return self.on_update(old, new)

    def delete(self, obj: Object) -> bool:
        return self.on_delete(obj)


def _meta(obj: Object, field: str) -> Any:
    return (obj.get("metadata") or {}).get(field)


@dataclass(frozen=True, slots=True)
class MetadataChanged:
    """Passes updates whose ``metadata.<field>`` differs; creates and deletes always pass."""

    field: str

    def create(self, obj: Object) -> bool:
        return True

    def update(self, old: Object, new: Object) -> bool:
        return bool(_meta(old, self.field) != _meta(new, self.field))

    def delete(self, obj: Object) -> bool:
        return True


GENERATION_CHANGED = MetadataChanged("generation")
"""Updates that changed the spec (``metadata.generation``); status-only updates and resyncs are dropped."""

LABELS_CHANGED = MetadataChanged("labels")
"""Updates that changed ``metadata.labels``."""

ANNOTATIONS_CHANGED = MetadataChanged("annotations")
"""Updates that changed ``metadata.annotations``."""

RESOURCE_VERSION_CHANGED = MetadataChanged("resourceVersion")
"""Updates that are real changes (resyncs replay an object with its resourceVersion unchanged)."""


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Passes an event when at least one of ``predicates`` does (``GENERATION_CHANGED`` or labels, say)."""

    predicates: tuple[Predicate, ...]

    def create(self, obj: Object) -> bool:
        return any(p.create(obj) for p in self.predicates)

    def update(self, old: Object, new: Object) -> bool:
        return any(p.update(old, new) for p in self.predicates)

    def delete(self, obj: Object) -> bool:
        return any(p.delete(obj) for p in self.predicates)
