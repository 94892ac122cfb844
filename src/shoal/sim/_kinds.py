"""Per-kind rules of the built-in kinds, limited to what clients and controllers trip over.

The real apiserver validates every field of every kind; the simulator checks what a controller under
test most plausibly gets wrong (pods without containers, negative replicas or job counts, a workload
selector that does not select its own template, a job whose pods would restart ``Always``, a cron job
without a schedule, changes to immutable fields) and reports it with the apiserver's field paths. It
also does the write-time rewrites of two kinds: unless a Job's ``spec.manualSelector`` is true, its
selector and template labels are generated from its uid; a DaemonSet's template generation is kept
in an annotation. Unknown fields are
:mod:`._field_validation`'s business.

Deliberate leniencies: a pod's ``spec.nodeName`` may be set by an update when it was empty (the
simulator has no ``pods/binding`` subresource, so a scheduler under test binds this way), and
``spec.schedulingGates`` and ``spec.tolerations`` may change freely (the apiserver allows only removing
gates and adding tolerations). A Job's template is immutable even while the Job is suspended, and a
cron schedule is checked only for its number of fields.
"""

from __future__ import annotations

from typing import Any

from shoal.api import ApiError, Object, StatusCause
from shoal.api._field_errors import forbidden_cause, invalid_cause, not_supported_cause, required_cause
from shoal.api._selectors import LabelSelector

from ._resources import ResourceInfo

_WORKLOADS = frozenset({"deployments.apps", "replicasets.apps", "statefulsets.apps", "daemonsets.apps"})
_SCALED = frozenset({"deployments.apps", "replicasets.apps", "statefulsets.apps"})
JOBS = "jobs.batch"
CRON_JOBS = "cronjobs.batch"
_STATEFUL_SETS = "statefulsets.apps"
_NON_NEGATIVE = "must be greater than or equal to 0"


def validate_spec(info: ResourceInfo, obj: Object) -> list[StatusCause]:
    """Causes the kind's own validation rejects ``obj`` for (empty for kinds without rules)."""
    storage = info.storage
    if storage == "pods":
        return _pod_spec(obj.get("spec"), "spec")
    if storage in _WORKLOADS:
        return _workload_spec(obj.get("spec"), replicas=storage in _SCALED)
    if storage == JOBS:
        return _job_spec(obj.get("spec"), "spec", selector_required=True)
    if storage == CRON_JOBS:
        return _cron_job_spec(obj.get("spec"))
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


def _non_negative(spec: dict[str, Any], path: str, *fields: str) -> list[StatusCause]:
    return [
        invalid_cause(f"{path}.{name}", value, _NON_NEGATIVE)
        for name in fields
        if (value := spec.get(name)) is not None
        and (not isinstance(value, int) or isinstance(value, bool) or value < 0)
    ]


def _template(spec: dict[str, Any]) -> dict[str, Any]:
    template = spec.get("template")
    return template if isinstance(template, dict) else {}


def _selector_causes(spec: dict[str, Any], path: str) -> list[StatusCause]:
    """``selector`` is required, parses, and selects the labels of ``template``."""
    selector = spec.get("selector")
    if not isinstance(selector, dict) or not (
        selector.get("matchLabels") or selector.get("matchExpressions")
    ):
        return [required_cause(f"{path}.selector")]
    try:
        parsed = LabelSelector.from_json(selector, field=f"{path}.selector")
    except ApiError as exc:
        return list(exc.causes or (invalid_cause(f"{path}.selector", selector, exc.message),))
    labels = (_template(spec).get("metadata") or {}).get("labels") or {}
    if not parsed.matches(labels):
        return [
            invalid_cause(
                f"{path}.template.metadata.labels", labels, "`selector` does not match template `labels`"
            )
        ]
    return []


def _workload_spec(spec: Any, *, replicas: bool) -> list[StatusCause]:
    if not isinstance(spec, dict):
        return [required_cause("spec")]
    causes = _non_negative(spec, "spec", "replicas") if replicas else []
    causes.extend(_selector_causes(spec, "spec"))
    causes.extend(_pod_spec(_template(spec).get("spec"), "spec.template.spec"))
    return causes


_JOB_RESTART_POLICIES = ("OnFailure", "Never")


def _job_spec(spec: Any, path: str, *, selector_required: bool) -> list[StatusCause]:
    """A Job's spec at ``path`` (``spec``, or ``spec.jobTemplate.spec`` of a CronJob, whose template
    carries no selector)."""
    if not isinstance(spec, dict):
        return [required_cause(path)]
    causes = _non_negative(spec, path, "parallelism", "completions", "backoffLimit")
    if selector_required:
        causes.extend(_selector_causes(spec, path))
    pod_spec = _template(spec).get("spec")
    causes.extend(_pod_spec(pod_spec, f"{path}.template.spec"))
    if isinstance(pod_spec, dict):
        # The apiserver defaults an empty restartPolicy to Always before it validates.
        policy = pod_spec.get("restartPolicy") or "Always"
        if policy not in _JOB_RESTART_POLICIES:
            causes.append(
                not_supported_cause(f"{path}.template.spec.restartPolicy", policy, _JOB_RESTART_POLICIES)
            )
    return causes


def _cron_job_spec(spec: Any) -> list[StatusCause]:
    if not isinstance(spec, dict):
        return [required_cause("spec")]
    causes: list[StatusCause] = []
    schedule = spec.get("schedule")
    if not isinstance(schedule, str) or not schedule:
        causes.append(required_cause("spec.schedule"))
    elif not schedule.startswith("@") and len(fields := schedule.split()) != 5:
        causes.append(
            invalid_cause(
                "spec.schedule",
                schedule,
                f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]",
            )
        )
    causes.extend(_non_negative(spec, "spec", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"))
    job_template = spec.get("jobTemplate")
    if not isinstance(job_template, dict):
        causes.append(required_cause("spec.jobTemplate"))
    else:
        causes.extend(_job_spec(job_template.get("spec"), "spec.jobTemplate.spec", selector_required=False))
    return causes


DAEMON_SETS = "daemonsets.apps"
TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
"""The annotation apps/v1 DaemonSets carry their template generation in (set by the server only)."""


def set_template_generation(obj: dict[str, Any], old: Object | None) -> None:
    """Give a DaemonSet the server's template generation: 1 on create; on update the stored one,
    plus one when ``spec.template`` changed (whatever the request said). ``obj["metadata"]`` must be
    the caller's own dict; its ``annotations`` are replaced, not changed in place."""
    generation = 1
    if old is not None:
        try:
            generation = int(
                ((old.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION) or 0
            )
        except ValueError:
            generation = 0
        if (obj.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
            generation += 1
    m = obj["metadata"]
    m["annotations"] = {**(m.get("annotations") or {}), TEMPLATE_GENERATION: str(generation)}


JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")
CONTROLLER_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def generate_job_selector(obj: dict[str, Any], uid: str) -> None:
    """Give a Job whose ``spec.manualSelector`` is not true the apiserver's generated selector: the
    template gains the job-name and controller-uid labels (legacy and ``batch.kubernetes.io/`` ones,
    where not already set) and ``spec.selector.matchLabels`` the controller uid. Labels the user set
    are kept, so a conflicting one fails validation. Nested dicts are replaced, not changed in place."""
    spec = obj.get("spec")
    if not isinstance(spec, dict) or spec.get("manualSelector") is True:
        return
    template = _template(spec)
    template_meta: dict[str, Any] = template["metadata"] if isinstance(template.get("metadata"), dict) else {}
    labels = dict(template_meta.get("labels") or {})
    for key in JOB_NAME_LABELS:
        labels.setdefault(key, str((obj.get("metadata") or {}).get("name") or ""))
    for key in CONTROLLER_UID_LABELS:
        labels.setdefault(key, uid)
    selector: dict[str, Any] = spec["selector"] if isinstance(spec.get("selector"), dict) else {}
    match_labels = dict(selector.get("matchLabels") or {})
    match_labels.setdefault(CONTROLLER_UID_LABELS[1], uid)
    obj["spec"] = {
        **spec,
        "selector": {**selector, "matchLabels": match_labels},
        "template": {**template, "metadata": {**template_meta, "labels": labels}},
    }


_IMMUTABLE = "field is immutable"
_STATEFUL_SET_MUTABLE = frozenset(
    {
        "replicas",
        "ordinals",
        "template",
        "updateStrategy",
        "revisionHistoryLimit",
        "persistentVolumeClaimRetentionPolicy",
        "minReadySeconds",
    }
)
_STATEFUL_SET_FORBIDDEN = (
    "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
    "'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and "
    "'minReadySeconds' are forbidden"
)
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
    if storage == _STATEFUL_SETS:
        return _stateful_set_update(new.get("spec"), old.get("spec"))
    if storage in _WORKLOADS:
        return _immutable(new.get("spec"), old.get("spec"), "selector")
    if storage == JOBS:
        return _immutable(new.get("spec"), old.get("spec"), "selector", "template")
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


def _immutable(new_spec: Any, old_spec: Any, *fields: str) -> list[StatusCause]:
    """``spec.<field>: Invalid value: ...: field is immutable`` for each of ``fields`` that changed."""
    after = new_spec if isinstance(new_spec, dict) else {}
    before = old_spec if isinstance(old_spec, dict) else {}
    return [
        invalid_cause(f"spec.{field}", after.get(field), _IMMUTABLE)
        for field in fields
        if after.get(field) != before.get(field)
    ]


def _stateful_set_update(new_spec: Any, old_spec: Any) -> list[StatusCause]:
    """A StatefulSet update may change only the fields in :data:`_STATEFUL_SET_MUTABLE` (selector,
    serviceName, podManagementPolicy and volumeClaimTemplates are fixed at creation)."""
    after = new_spec if isinstance(new_spec, dict) else {}
    before = old_spec if isinstance(old_spec, dict) else {}
    if {k: v for k, v in after.items() if k not in _STATEFUL_SET_MUTABLE} != {
        k: v for k, v in before.items() if k not in _STATEFUL_SET_MUTABLE
    }:
        return [forbidden_cause("spec", _STATEFUL_SET_FORBIDDEN)]
    return []
