"""Per-kind rules of the built-in kinds, limited to what clients and controllers trip over.

The real apiserver validates every field of every kind; the simulator checks what a controller under
test most plausibly gets wrong (pods without containers, negative replicas, a workload selector that
does not select its own template, changes to immutable fields) and reports it with the apiserver's
field paths. Unknown fields are :mod:`._field_validation`'s business.

Deliberate leniencies: a pod's ``spec.nodeName`` may be set by an update when it was empty (the
simulator has no ``pods/binding`` subresource, so a scheduler under test binds this way), and
``spec.schedulingGates`` and ``spec.tolerations`` may change freely (the apiserver allows only removing
gates and adding tolerations).
"""

from __future__ import annotations

from typing import Any

from shoal.api import ApiError, Object, StatusCause
from shoal.api._field_errors import forbidden_cause, invalid_cause, required_cause
from shoal.api._selectors import LabelSelector

from ._resources import ResourceInfo

_WORKLOADS = frozenset({"deployments.apps", "replicasets.apps"})


def validate_spec(info: ResourceInfo, obj: Object) -> list[StatusCause]:
    """Causes the kind's own validation rejects ``obj`` for (empty for kinds without rules)."""
    if info.storage == "pods":
        return _pod_spec(obj.get("spec"), "spec")
    if info.storage in _WORKLOADS:
        return _workload_spec(obj.get("spec"))
    return []


def _pod_spec(spec: Any, path: str) -> list[StatusCause]:
    if not isinstance(spec, dict):
        return [required_cause(path)]
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        return [required_cause(f"{path}.containers")]
    causes: list[StatusCause] = []
    for i, container in enumerate(containers):
        at = f"{path}.containers[{i}]"
        if not isinstance(container, dict):
            causes.append(invalid_cause(at, container, "must be an object"))
            continue
        if not container.get("name"):
            causes.append(required_cause(f"{at}.name"))
        if not container.get("image"):
            causes.append(required_cause(f"{at}.image"))
    return causes


def _workload_spec(spec: Any) -> list[StatusCause]:
    if not isinstance(spec, dict):
        return [required_cause("spec")]
    causes: list[StatusCause] = []
    replicas = spec.get("replicas")
    if replicas is not None and (not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0):
        causes.append(invalid_cause("spec.replicas", replicas, "must be greater than or equal to 0"))
    template: dict[str, Any] = spec["template"] if isinstance(spec.get("template"), dict) else {}
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        causes.append(required_cause("spec.selector"))
    else:
        try:
            parsed = LabelSelector.from_json(selector, field="spec.selector")
        except ApiError as exc:
            causes.extend(exc.causes or (invalid_cause("spec.selector", selector, exc.message),))
        else:
            labels = (template.get("metadata") or {}).get("labels") or {}
            if not parsed.matches(labels):
                causes.append(
                    invalid_cause(
                        "spec.template.metadata.labels", labels, "`selector` does not match template `labels`"
                    )
                )
    causes.extend(_pod_spec(template.get("spec"), "spec.template.spec"))
    return causes


_IMMUTABLE = "field is immutable"
_POD_SPEC_MUTABLE = frozenset(
    {"activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds", "schedulingGates"}
)
_POD_MUTABLE = (
    "pod updates may not change fields other than `spec.containers[*].image`,"
    "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` "
    "(only additions to existing tolerations),`spec.terminationGracePeriodSeconds` "
    "(allow it to be set to 1 if it was previously negative)"
)


def validate_update(info: ResourceInfo, new: Object, old: Object) -> list[StatusCause]:
    """Causes an update of ``old`` to ``new`` is rejected for: immutable fields of the kind."""
    storage = info.storage
    if storage in ("configmaps", "secrets") and old.get("immutable") is True:
        causes = []
        if new.get("immutable") is not True:
            causes.append(forbidden_cause("immutable", _IMMUTABLE + " when `immutable` is set"))
        causes.extend(
            forbidden_cause(field, _IMMUTABLE + " when `immutable` is set")
            for field in ("data", "binaryData")
            if new.get(field) != old.get(field)
        )
        return causes
    if storage in _WORKLOADS:
        before, after = (old.get("spec") or {}).get("selector"), (new.get("spec") or {}).get("selector")
        if before != after:
            return [invalid_cause("spec.selector", after, _IMMUTABLE)]
        return []
    if storage == "pods" and _pod_spec_frozen(new.get("spec")) != _pod_spec_frozen(
        old.get("spec"), new.get("spec")
    ):
        return [forbidden_cause("spec", _POD_MUTABLE)]
    return []


def _pod_spec_frozen(spec: Any, bound: Any = None) -> Any:
    """The part of a pod spec an update must leave alone (``bound``: the new spec, for nodeName)."""
    if not isinstance(spec, dict):
        return spec
    frozen = {k: v for k, v in spec.items() if k not in _POD_SPEC_MUTABLE}
    for field in ("containers", "initContainers"):
        if isinstance(frozen.get(field), list):
            frozen[field] = [
                {k: v for k, v in c.items() if k != "image"} if isinstance(c, dict) else c
                for c in frozen[field]
            ]
    if isinstance(bound, dict) and not frozen.get("nodeName") and bound.get("nodeName"):
        frozen["nodeName"] = bound["nodeName"]
    if isinstance(bound, dict):
        kept = bound.get("schedulingGates") or []
        if all(gate in (frozen.get("schedulingGates") or []) for gate in kept):
            frozen["schedulingGates"] = kept  # scheduling gates may be removed, never added
    if not frozen.get("schedulingGates"):
        frozen.pop("schedulingGates", None)
    return frozen
