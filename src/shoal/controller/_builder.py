"""The controller builder: controller-runtime's fluent wiring, checked at each call.

::

    Controller.build(mgr).for_("example.com/v1/widgets").owns("v1/configmaps") \\
        .watches("v1/secrets", secret_to_widgets).with_predicates(GENERATION_CHANGED) \\
        .named("widgets").complete(WidgetReconciler())

Each call is a shorthand for one :class:`Watch`: ``for_(r)`` reconciles each object of ``r``;
``owns(r)`` reconciles the ``for_`` object that controls (ownerReference with ``controller: true``)
an object of ``r``; ``watches(r, mapper)`` reconciles whatever ``mapper`` returns for an object of
``r``. Mistakes (two ``for_``, no watch at all, a duplicate name) raise at once, not at start.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from shoal.api import GroupVersionKind, GroupVersionResource

from ._controller import Controller, ControllerOptions, Watch
from ._handlers import Mapper
from ._predicates import Predicate
from ._reconcile import Reconciler

if TYPE_CHECKING:
    from ._manager import Manager


def as_resource(resource: GroupVersionResource | str) -> GroupVersionResource:
    """Accept a :class:`GroupVersionResource` or its ``group/version/resource`` text."""
    return resource if isinstance(resource, GroupVersionResource) else GroupVersionResource.parse(resource)


class Builder:
    """Collects watches and options, then :meth:`complete` adds the controller to the manager."""

    def __init__(self, manager: Manager) -> None:
        self._manager = manager
        self._watches: list[Watch] = []
        self._common: tuple[Predicate, ...] = ()
        self._name = ""
        self._kind: GroupVersionKind | None = None
        self._options: ControllerOptions | None = None

    def for_(
        self,
        resource: GroupVersionResource | str,
        *,
        kind: str | None = None,
        predicates: Iterable[Predicate] = (),
    ) -> Builder:
        """Reconcile each object of ``resource``. ``kind`` (e.g. ``"Deployment"``) saves one list call
        at start for ``owns``; without it the kind is read from the first list."""
        if any(w.role == "for" for w in self._watches):
            raise ValueError("for_() may be called only once per controller")
        gvr = as_resource(resource)
        if kind is not None:
            self._kind = GroupVersionKind(gvr.group, gvr.version, kind)
        self._watches.insert(0, Watch(gvr, "for", tuple(predicates)))
        return self

    def owns(self, resource: GroupVersionResource | str, *, predicates: Iterable[Predicate] = ()) -> Builder:
        """Reconcile the controlling owner (of the ``for_`` kind) of each object of ``resource``."""
        self._watches.append(Watch(as_resource(resource), "owns", tuple(predicates)))
        return self

    def watches(
        self, resource: GroupVersionResource | str, mapper: Mapper, *, predicates: Iterable[Predicate] = ()
    ) -> Builder:
        """Reconcile the requests ``mapper`` returns for each event on ``resource``."""
        self._watches.append(Watch(as_resource(resource), "watches", tuple(predicates), mapper))
        return self

    def with_predicates(self, *predicates: Predicate) -> Builder:
        """Filter the events of every watch of this controller (controller-runtime's ``WithEventFilter``)."""
        self._common = (*self._common, *predicates)
        return self

    def with_options(self, options: ControllerOptions) -> Builder:
        self._options = options
        return self

    def named(self, name: str) -> Builder:
        """The controller's name, in metrics and logs. Defaults to the ``for_`` resource (``widgets.example.com``)."""
        if not name:
            raise ValueError("a controller name must not be empty")
        self._name = name
        return self

    def build(self, reconciler: Reconciler) -> Controller:
        """The controller, not yet added to the manager."""
        if not self._watches:
            raise ValueError("a controller needs at least one of for_(), owns() or watches()")
        if not any(w.role == "for" for w in self._watches) and not self._name:
            raise ValueError("a controller without for_() must be named()")
        name = self._name or self._watches[0].resource.group_resource
        watches = [Watch(w.resource, w.role, (*self._common, *w.predicates), w.mapper) for w in self._watches]
        return Controller(name, reconciler, watches, for_kind=self._kind, options=self._options)

    def complete(self, reconciler: Reconciler) -> Controller:
        """Build the controller and add it to the manager; it starts with the manager."""
        controller = self.build(reconciler)
        self._manager.add(controller)
        return controller
