"""Spec validation of the built-in kinds, limited to the rules clients and controllers trip over.

The real apiserver validates every field of every kind; the simulator checks what a controller under
test most plausibly gets wrong (pods without containers, negative replicas, a workload selector that
does not select its own template) and reports it with the apiserver's field paths.
"""

from __future__ import annotations

from typing import Any

from shoal.api import ApiError, Object, StatusCause
from shoal.api._field_errors import invalid_cause, required_cause
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
