"""Server-side printing: ``meta.k8s.io/v1 Table`` responses for ``kubectl get``.

kubectl asks for ``Accept: application/json;as=Table;v=v1;g=meta.k8s.io`` and prints whatever columns the
server sends; without them it falls back to ``NAME AGE``. Built-in kinds get the columns users know
(pods show READY/STATUS/RESTARTS, jobs STATUS/COMPLETIONS/DURATION, ...); custom resources get their CRD's ``additionalPrinterColumns``
evaluated with a small JSONPath subset, or ``Age`` when the CRD names none.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from typing import Any

import orjson

from shoal.api import Object

from ._jsonpath import evaluate_jsonpath
from ._resources import ResourceInfo

Cell = Any
Column = tuple[str, str, str, int, Callable[[Object], Cell]]
"""(name, type, description, priority, cell function)."""

TABLE_API_VERSION = "meta.k8s.io/v1"


def wants_table(accept: str) -> bool:
    """Whether the ``Accept`` header asks for a Table (``as=Table;g=meta.k8s.io``, v1 or v1beta1)."""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if "as=Table" in params and "g=meta.k8s.io" in params:
            return True
    return False


def human_duration(seconds: float) -> str:
    """The apiserver's short age form: ``45s``, ``3m20s``, ``2h5m``, ``4d``, ``2y30d``."""
    if seconds < -1:
        return "<invalid>"
    s = max(int(seconds), 0)
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 120:
        return f"{s}s"
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if days < 730:
        return f"{days}d"
    years = days // 365
    return f"{years}y{days % 365}d" if years < 8 else f"{years}y"


def _age_of(timestamp: Any) -> Cell:
    then = _seconds_of(timestamp)
    return "<unknown>" if then is None else human_duration(time.time() - then)


def _seconds_of(timestamp: Any) -> int | None:
    """Seconds since the epoch of an RFC 3339 time (to the second), or ``None``."""
    if not isinstance(timestamp, str) or not timestamp:
        return None
    try:
        return calendar.timegm(time.strptime(timestamp[:19], "%Y-%m-%dT%H:%M:%S"))
    except ValueError:
        return None


def _get(obj: Any, *path: str | int) -> Any:
    for key in path:
        if isinstance(key, int):
            obj = obj[key] if isinstance(obj, list) and -len(obj) <= key < len(obj) else None
        else:
            obj = obj.get(key) if isinstance(obj, dict) else None
        if obj is None:
            return None
    return obj


def _name(obj: Object) -> Cell:
    return _get(obj, "metadata", "name") or ""


def _age(obj: Object) -> Cell:
    return _age_of(_get(obj, "metadata", "creationTimestamp"))


def _count(*path: str) -> Callable[[Object], Cell]:
    return lambda obj: len(_get(obj, *path) or ())


def _field(*path: str | int, default: Cell = "<none>") -> Callable[[Object], Cell]:
    def cell(obj: Object) -> Cell:
        value = _get(obj, *path)
        return default if value is None or value == "" else value

    return cell


def _pod_ready(obj: Object) -> Cell:
    statuses = _get(obj, "status", "containerStatuses") or []
    total = len(_get(obj, "spec", "containers") or ())
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(obj: Object) -> Cell:
    if _get(obj, "metadata", "deletionTimestamp"):
        return "Terminating"
    for status in _get(obj, "status", "containerStatuses") or []:
        reason = _get(status, "state", "waiting", "reason") or _get(status, "state", "terminated", "reason")
        if reason:
            return str(reason)
    return _get(obj, "status", "reason") or _get(obj, "status", "phase") or "Pending"


def _pod_restarts(obj: Object) -> Cell:
    return sum(int(s.get("restartCount") or 0) for s in _get(obj, "status", "containerStatuses") or [])


def _node_status(obj: Object) -> Cell:
    ready = next((c for c in _get(obj, "status", "conditions") or [] if c.get("type") == "Ready"), None)
    text = "Ready" if ready and ready.get("status") == "True" else "NotReady" if ready else "Unknown"
    return f"{text},SchedulingDisabled" if _get(obj, "spec", "unschedulable") else text


def _node_roles(obj: Object) -> Cell:
    prefix = "node-role.kubernetes.io/"
    labels = _get(obj, "metadata", "labels") or {}
    roles = sorted(k[len(prefix) :] for k in labels if k.startswith(prefix) and k != prefix)
    return ",".join(roles) or "<none>"


def _service_ports(obj: Object) -> Cell:
    """``80/TCP``, or ``80:30080/TCP`` for a port with a node port, comma-separated."""
    ports = _get(obj, "spec", "ports") or []
    return (
        ",".join(
            f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol') or 'TCP'}"
            for p in ports
        )
        or "<none>"
    )


def _event_object(obj: Object) -> Cell:
    kind = str(_get(obj, "involvedObject", "kind") or "").lower()
    return f"{kind}/{_get(obj, 'involvedObject', 'name') or ''}"


def _event_last_seen(obj: Object) -> Cell:
    return _age_of(
        _get(obj, "lastTimestamp") or _get(obj, "eventTime") or _get(obj, "metadata", "creationTimestamp")
    )


def _ready_of(replicas_path: tuple[str, ...]) -> Callable[[Object], Cell]:
    return lambda obj: f"{_get(obj, 'status', 'readyReplicas') or 0}/{_get(obj, *replicas_path) or 0}"


def _has_condition(obj: Object, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True" for c in _get(obj, "status", "conditions") or []
    )


_JOB_STATES = ("Complete", "Failed", "Terminating", "Suspended", "FailureTarget", "SuccessCriteriaMet")


def _job_status(obj: Object) -> Cell:
    """The first of Complete, Failed, Terminating (deleted), Suspended, FailureTarget,
    SuccessCriteriaMet that holds, else Running."""
    for state in _JOB_STATES:
        if (
            _get(obj, "metadata", "deletionTimestamp")
            if state == "Terminating"
            else _has_condition(obj, state)
        ):
            return state
    return "Running"


def _job_completions(obj: Object) -> Cell:
    succeeded = _get(obj, "status", "succeeded") or 0
    completions, parallelism = _get(obj, "spec", "completions"), _get(obj, "spec", "parallelism")
    if completions is not None:
        return f"{succeeded}/{completions}"
    if isinstance(parallelism, int) and parallelism > 1:
        return f"{succeeded}/1 of {parallelism}"
    return f"{succeeded}/1"


def _job_duration(obj: Object) -> Cell:
    """Empty before the Job starts; time since the start while it runs; start to completion after."""
    started = _seconds_of(_get(obj, "status", "startTime"))
    if started is None:
        return ""
    completed = _seconds_of(_get(obj, "status", "completionTime"))
    return human_duration((time.time() if completed is None else completed) - started)


def _cron_job_suspend(obj: Object) -> Cell:
    suspend = _get(obj, "spec", "suspend")
    return "<unset>" if suspend is None else "True" if suspend else "False"


def _cron_job_last_schedule(obj: Object) -> Cell:
    last = _get(obj, "status", "lastScheduleTime")
    return "<none>" if last is None else _age_of(last)


def _node_selector(obj: Object) -> Cell:
    selector = _get(obj, "spec", "template", "spec", "nodeSelector") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"


def _status_count(name: str, field: str, text: str) -> Column:
    """An integer column showing ``status.<field>`` (0 when unset)."""
    return (name, "integer", text, 0, _field("status", field, default=0))


_NAME: Column = ("Name", "string", "Name must be unique within a namespace.", 0, _name)
_AGE: Column = ("Age", "string", "Time since the object was created.", 0, _age)

BUILTIN_COLUMNS: dict[str, tuple[Column, ...]] = {
    "pods": (
        _NAME,
        ("Ready", "string", "Ready containers out of all containers.", 0, _pod_ready),
        ("Status", "string", "The aggregate state of the containers.", 0, _pod_status),
        ("Restarts", "string", "Container restarts.", 0, _pod_restarts),
        _AGE,
        ("IP", "string", "Pod IP.", 1, _field("status", "podIP")),
        ("Node", "string", "The node the pod is bound to.", 1, _field("spec", "nodeName")),
    ),
    "namespaces": (
        _NAME,
        ("Status", "string", "Phase.", 0, _field("status", "phase", default="Active")),
        _AGE,
    ),
    "configmaps": (
        _NAME,
        (
            "Data",
            "integer",
            "Number of keys.",
            0,
            lambda o: len(o.get("data") or ()) + len(o.get("binaryData") or ()),
        ),
        _AGE,
    ),
    "secrets": (
        _NAME,
        ("Type", "string", "Secret type.", 0, _field("type", default="Opaque")),
        ("Data", "integer", "Number of keys.", 0, _count("data")),
        _AGE,
    ),
    "nodes": (
        _NAME,
        ("Status", "string", "Readiness of the node.", 0, _node_status),
        ("Roles", "string", "Node roles from node-role.kubernetes.io labels.", 0, _node_roles),
        _AGE,
        (
            "Version",
            "string",
            "Kubelet version.",
            0,
            _field("status", "nodeInfo", "kubeletVersion", default=""),
        ),
    ),
    "services": (
        _NAME,
        ("Type", "string", "Service type.", 0, _field("spec", "type", default="ClusterIP")),
        ("Cluster-IP", "string", "Cluster IP.", 0, _field("spec", "clusterIP")),
        ("Port(s)", "string", "Ports.", 0, _service_ports),
        _AGE,
    ),
    "deployments": (
        _NAME,
        ("Ready", "string", "Ready replicas out of desired.", 0, _ready_of(("spec", "replicas"))),
        ("Up-to-date", "integer", "Updated replicas.", 0, _field("status", "updatedReplicas", default=0)),
        ("Available", "integer", "Available replicas.", 0, _field("status", "availableReplicas", default=0)),
        _AGE,
    ),
    "replicasets": (
        _NAME,
        ("Desired", "integer", "Desired replicas.", 0, _field("spec", "replicas", default=0)),
        ("Current", "integer", "Current replicas.", 0, _field("status", "replicas", default=0)),
        ("Ready", "integer", "Ready replicas.", 0, _field("status", "readyReplicas", default=0)),
        _AGE,
    ),
    "statefulsets": (
        _NAME,
        ("Ready", "string", "Ready replicas out of desired.", 0, _ready_of(("spec", "replicas"))),
        _AGE,
    ),
    "daemonsets": (
        _NAME,
        _status_count("Desired", "desiredNumberScheduled", "Nodes that should run the pod."),
        _status_count("Current", "currentNumberScheduled", "Nodes running the pod."),
        _status_count("Ready", "numberReady", "Nodes with the pod ready."),
        _status_count("Up-to-date", "updatedNumberScheduled", "Nodes running the updated pod."),
        _status_count("Available", "numberAvailable", "Nodes with the pod available."),
        ("Node Selector", "string", "The template's node selector.", 0, _node_selector),
        _AGE,
    ),
    "jobs": (
        _NAME,
        ("Status", "string", "Status of the job.", 0, _job_status),
        ("Completions", "string", "Succeeded pods out of desired completions.", 0, _job_completions),
        ("Duration", "string", "Time the job took to complete (or has been running).", 0, _job_duration),
        _AGE,
    ),
    "cronjobs": (
        _NAME,
        ("Schedule", "string", "The cron schedule.", 0, _field("spec", "schedule", default="")),
        ("Timezone", "string", "The schedule's time zone.", 0, _field("spec", "timeZone")),
        ("Suspend", "boolean", "Whether scheduling is suspended.", 0, _cron_job_suspend),
        ("Active", "integer", "Running jobs.", 0, _count("status", "active")),
        ("Last Schedule", "string", "Time since a job was last scheduled.", 0, _cron_job_last_schedule),
        _AGE,
    ),
    "events": (
        ("Last Seen", "string", "Time since the event was last seen.", 0, _event_last_seen),
        ("Type", "string", "Normal or Warning.", 0, _field("type", default="")),
        ("Reason", "string", "Reason.", 0, _field("reason", default="")),
        ("Object", "string", "The object the event is about.", 0, _event_object),
        ("Message", "string", "Message.", 0, _field("message", default="")),
        _NAME,
    ),
    "leases": (
        _NAME,
        ("Holder", "string", "Holder identity.", 0, _field("spec", "holderIdentity", default="")),
        _AGE,
    ),
    "serviceaccounts": (_NAME, ("Secrets", "integer", "Secrets.", 0, _count("secrets")), _AGE),
    "persistentvolumeclaims": (
        _NAME,
        ("Status", "string", "Phase.", 0, _field("status", "phase", default="Pending")),
        ("Volume", "string", "Bound volume.", 0, _field("spec", "volumeName", default="")),
        _AGE,
    ),
    "persistentvolumes": (
        _NAME,
        ("Status", "string", "Phase.", 0, _field("status", "phase", default="Available")),
        _AGE,
    ),
    "customresourcedefinitions": (
        _NAME,
        ("Created At", "date", "Creation time.", 0, _field("metadata", "creationTimestamp", default="")),
    ),
}


def _printer_column(spec: dict[str, Any]) -> Column:
    json_path = str(spec.get("jsonPath") or "")
    kind = str(spec.get("type") or "string")

    def cell(obj: Object) -> Cell:
        values = evaluate_jsonpath(obj, json_path)
        if not values:
            return None
        value = values[0] if len(values) == 1 else ",".join(_text(v) for v in values)
        if kind == "date":
            return _age_of(value)
        if kind == "string" and not isinstance(value, str):
            return _text(value)
        return value

    return (
        str(spec.get("name") or json_path),
        kind,
        str(spec.get("description") or ""),
        int(spec.get("priority") or 0),
        cell,
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def columns_for(info: ResourceInfo) -> tuple[Column, ...]:
    """The columns of ``info``'s table: built-in ones, the CRD's printer columns, or Name and Age."""
    if info.is_crd:
        extra = tuple(_printer_column(c) for c in info.printer_columns)
        return (_NAME, *extra) if extra else (_NAME, _AGE)
    if info.gvr.group in (
        "",
        "apps",
        "batch",
        "apiextensions.k8s.io",
        "coordination.k8s.io",
        "events.k8s.io",
    ):
        found = BUILTIN_COLUMNS.get(info.gvr.resource)
        if found is not None:
            return found
    return (_NAME, _AGE)


class TablePrinter:
    """Renders objects of one resource as Table rows; ``include_object`` is ``None|Metadata|Object``."""

    def __init__(self, info: ResourceInfo, include_object: str = "Metadata") -> None:
        self._columns = columns_for(info)
        self._include = include_object

    def definitions(self) -> list[Object]:
        return [
            {
                "name": name,
                "type": kind if kind != "date" else "string",
                "format": "name" if name == "Name" else "",
                "description": text,
                "priority": priority,
            }
            for name, kind, text, priority, _ in self._columns
        ]

    def row(self, obj: Object) -> Object:
        out: Object = {"cells": [self._safe_cell(fn, obj) for *_, fn in self._columns]}
        if self._include == "Object":
            out["object"] = obj
        elif self._include != "None":
            out["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": TABLE_API_VERSION,
                "metadata": obj.get("metadata") or {},
            }
        return out

    @staticmethod
    def _safe_cell(fn: Callable[[Object], Cell], obj: Object) -> Cell:
        try:
            return fn(obj)
        except (TypeError, ValueError, AttributeError, KeyError):
            return None

    def table(self, rows: list[Object], metadata: Object) -> Object:
        return {
            "kind": "Table",
            "apiVersion": TABLE_API_VERSION,
            "metadata": metadata,
            "columnDefinitions": self.definitions(),
            "rows": rows,
        }

    def list_table(self, listed: Object) -> Object:
        """A whole ``<Kind>List`` as one Table (``metadata`` keeps ``resourceVersion`` and ``continue``)."""
        return self.table(
            [self.row(o) for o in listed.get("items") or ()], dict(listed.get("metadata") or {})
        )

    def object_table(self, obj: Object) -> Object:
        """One object as a one-row Table (a GET of one name, or one watch event)."""
        rv = (obj.get("metadata") or {}).get("resourceVersion")
        return self.table([self.row(obj)], {"resourceVersion": rv} if rv else {})
