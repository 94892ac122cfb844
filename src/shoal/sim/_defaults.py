"""The field defaults the apiserver fills in when it decodes a pod, a workload or a Service.

A real apiserver defaults every object it decodes, before it validates a create or compares an
update with the stored object: a Deployment gets one replica and a rolling-update strategy, every pod
template a restart policy, DNS policy and scheduler, every container its pull and termination-message
policies, a Service its type, session affinity and port protocols. A controller that compares its
desired object with the live one must expect these values, so the simulator stores them too; an
update that omits a defaulted field is defaulted the same way and so changes nothing.

Only the plain defaults every object of a kind gets are here, not what admission plugins add (a
service account's token volume, default tolerations, priority). Nested dicts are replaced, never
changed in place: stored objects are shared. Pod specs (a pod's, a template's) are defaulted by
:mod:`._pod_defaults`; cluster IPs and node ports are allocated by :mod:`._service_allocation`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._pod_defaults import default_pod, fill, map_list, pod_spec, protocol_tcp, unset

DEPLOYMENTS = "deployments.apps"
REPLICA_SETS = "replicasets.apps"
STATEFUL_SETS = "statefulsets.apps"
DAEMON_SETS = "daemonsets.apps"
JOBS = "jobs.batch"
CRON_JOBS = "cronjobs.batch"
SERVICES = "services"

_MAX_INT32 = 2**31 - 1


def _decoded_metadata(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` without ``metadata.creationTimestamp: null``: the apiserver decodes it as a zero
    time, which the version the simulator reports leaves out when it encodes the object again
    (kubectl 1.37's own JSON leaves it out; kubectl up to 1.33 sends the null)."""
    meta_ = template.get("metadata")
    if isinstance(meta_, dict) and "creationTimestamp" in meta_ and meta_["creationTimestamp"] is None:
        return {**template, "metadata": {k: v for k, v in meta_.items() if k != "creationTimestamp"}}
    return template


def _with_template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict):
        template = _decoded_metadata(template)
        if "spec" in template:
            template = {**template, "spec": pod_spec(template["spec"])}
        spec["template"] = template


def _rolling_update(spec: dict[str, Any], field: str, max_unavailable: Any, max_surge: Any) -> None:
    """``spec.<field>`` as Deployments and DaemonSets default it: a rolling update with both bounds."""
    strategy = dict(spec.get(field) or {})
    fill(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = dict(strategy.get("rollingUpdate") or {})
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = max_unavailable
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = max_surge
        strategy["rollingUpdate"] = rolling
    spec[field] = strategy


def _deployment(spec: dict[str, Any]) -> None:
    fill(spec, "replicas", 1)
    _rolling_update(spec, "strategy", "25%", "25%")
    fill(spec, "revisionHistoryLimit", 10)
    fill(spec, "progressDeadlineSeconds", 600)
    _with_template(spec)


def _replica_set(spec: dict[str, Any]) -> None:
    fill(spec, "replicas", 1)
    _with_template(spec)


def _stateful_set(spec: dict[str, Any]) -> None:
    fill(spec, "podManagementPolicy", "OrderedReady")
    strategy = dict(spec.get("updateStrategy") or {})
    if unset(strategy.get("type")):
        strategy["type"] = "RollingUpdate"
        if strategy.get("rollingUpdate") is None:
            strategy["rollingUpdate"] = {}
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict) and rolling.get("partition") is None:
        strategy["rollingUpdate"] = {**rolling, "partition": 0}
    spec["updateStrategy"] = strategy
    retention = dict(spec.get("persistentVolumeClaimRetentionPolicy") or {})
    fill(retention, "whenDeleted", "Retain")
    fill(retention, "whenScaled", "Retain")
    spec["persistentVolumeClaimRetentionPolicy"] = retention
    fill(spec, "replicas", 1)
    fill(spec, "revisionHistoryLimit", 10)
    _with_template(spec)


def _daemon_set(spec: dict[str, Any]) -> None:
    _rolling_update(spec, "updateStrategy", 1, 0)
    fill(spec, "revisionHistoryLimit", 10)
    _with_template(spec)


def _job(spec: dict[str, Any]) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    fill(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 6 if spec.get("backoffLimitPerIndex") is None else _MAX_INT32
    fill(spec, "completionMode", "NonIndexed")
    fill(spec, "suspend", False)
    failure_policy = spec.get("podFailurePolicy")
    if isinstance(failure_policy, dict) and isinstance(failure_policy.get("rules"), list):
        spec["podFailurePolicy"] = {
            **failure_policy,
            "rules": map_list(failure_policy["rules"], _failure_rule),
        }
    fill(spec, "podReplacementPolicy", "Failed" if failure_policy is not None else "TerminatingOrFailed")
    fill(spec, "manualSelector", False)
    _with_template(spec)


def _failure_rule(rule: Any) -> Any:
    if not isinstance(rule, dict) or not isinstance(rule.get("onPodConditions"), list):
        return rule
    patterns = [
        {**p, "status": "True"} if isinstance(p, dict) and unset(p.get("status")) else p
        for p in rule["onPodConditions"]
    ]
    return {**rule, "onPodConditions": patterns}


def _cron_job(spec: dict[str, Any]) -> None:
    """A CronJob's own defaults; its job template gets the pod template's, not a Job's (the
    apiserver defaults a Job's spec only on the Job)."""
    fill(spec, "concurrencyPolicy", "Allow")
    fill(spec, "suspend", False)
    fill(spec, "successfulJobsHistoryLimit", 3)
    fill(spec, "failedJobsHistoryLimit", 1)
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict):
        job_template = _decoded_metadata(job_template)
        if isinstance(job_template.get("spec"), dict):
            job_spec = dict(job_template["spec"])
            _with_template(job_spec)
            job_template = {**job_template, "spec": job_spec}
        spec["jobTemplate"] = job_template


def _service(spec: dict[str, Any]) -> None:
    fill(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig") or {}
        if (config.get("clientIP") or {}).get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    fill(spec, "type", "ClusterIP")
    kind = spec["type"]
    if isinstance(spec.get("ports"), list):
        spec["ports"] = [_service_port(port) for port in spec["ports"]]
    if kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and spec.get("externalIPs")):
        fill(spec, "externalTrafficPolicy", "Cluster")
    if kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        fill(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        fill(spec, "allocateLoadBalancerNodePorts", True)


def _service_port(port: Any) -> Any:
    if not isinstance(port, dict):
        return port
    out = protocol_tcp(port)
    if out.get("targetPort") in (None, 0, ""):
        out = {**out, "targetPort": out.get("port")}
    return out


_SPEC_DEFAULTS: dict[str, Callable[[dict[str, Any]], None]] = {
    DEPLOYMENTS: _deployment,
    REPLICA_SETS: _replica_set,
    STATEFUL_SETS: _stateful_set,
    DAEMON_SETS: _daemon_set,
    JOBS: _job,
    CRON_JOBS: _cron_job,
    SERVICES: _service,
}

DEFAULTED: frozenset[str] = frozenset(_SPEC_DEFAULTS) | {"pods"}
"""The resources (by storage name) that have defaults: check membership before :func:`set_defaults`."""


def set_defaults(storage: str, obj: dict[str, Any]) -> None:
    """Fill in the defaults of ``obj``, an object of ``storage`` whose top-level dict and ``metadata``
    are the caller's own; ``obj["spec"]`` is replaced by a new dict (a spec that is not an object is
    left for validation). A Job whose labels are empty gets its template's."""
    if storage == "pods":
        default_pod(obj)
        return
    spec = obj.get("spec", {} if storage == SERVICES else None)
    if not isinstance(spec, dict):
        return
    spec = dict(spec)
    _SPEC_DEFAULTS[storage](spec)
    obj["spec"] = spec
    if storage == JOBS and not obj["metadata"].get("labels"):
        template_labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
        if isinstance(template_labels, dict) and template_labels:
            obj["metadata"]["labels"] = dict(template_labels)
