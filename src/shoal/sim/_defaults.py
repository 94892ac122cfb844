"""The field defaults the apiserver fills in when it decodes a pod, a workload or a Service.

A real apiserver defaults every object it decodes, before it validates a create or compares an
update with the stored object: a Deployment gets one replica and a rolling-update strategy, every pod
template a restart policy, DNS policy and scheduler, every container its pull and termination-message
policies, a Service its type, session affinity and port protocols. A controller that compares its
desired object with the live one must expect these values, so the simulator stores them too; an
update that omits a defaulted field is defaulted the same way and so changes nothing.

Only the plain defaults every object of a kind gets are here, not what admission plugins add (a
service account's token volume, default tolerations, priority). Nested dicts are replaced, never
changed in place: stored objects are shared. Cluster IPs and node ports are allocated by
:mod:`._service_allocation`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEPLOYMENTS = "deployments.apps"
REPLICA_SETS = "replicasets.apps"
STATEFUL_SETS = "statefulsets.apps"
DAEMON_SETS = "daemonsets.apps"
JOBS = "jobs.batch"
CRON_JOBS = "cronjobs.batch"
SERVICES = "services"

_MAX_INT32 = 2**31 - 1
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_DEFAULTS = (
    ("timeoutSeconds", 1),
    ("periodSeconds", 10),
    ("successThreshold", 1),
    ("failureThreshold", 3),
)
_MODED_VOLUMES = ("secret", "configMap", "downwardAPI", "projected")
_DEFAULT_MODE = 0o644


def _unset(value: Any) -> bool:
    """Whether a field is missing as Go sees it after decoding: absent, null or the empty string."""
    return value is None or value == ""


def _fill(obj: dict[str, Any], key: str, value: Any) -> None:
    if _unset(obj.get(key)):
        obj[key] = value


def pull_policy(image: Any) -> str:
    """``Always`` for an image without tag and digest or tagged ``latest``, else ``IfNotPresent``."""
    reference = str(image or "")
    name, _, digest = reference.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = last.rpartition(":")[2] if ":" in last else ""
    if tag == "latest" or (not tag and not digest):
        return "Always"
    return "IfNotPresent"


def _map_list(items: Any, default: Callable[[Any], Any]) -> Any:
    return [default(item) for item in items] if isinstance(items, list) else items


def _port(port: Any) -> Any:
    if not isinstance(port, dict) or not _unset(port.get("protocol")):
        return port
    return {**port, "protocol": "TCP"}


def _handler(handler: Any) -> Any:
    """A probe or lifecycle handler whose ``httpGet`` gets path ``/`` and scheme ``HTTP``."""
    if not isinstance(handler, dict) or not isinstance(handler.get("httpGet"), dict):
        return handler
    http_get = dict(handler["httpGet"])
    _fill(http_get, "path", "/")
    _fill(http_get, "scheme", "HTTP")
    return {**handler, "httpGet": http_get}


def _probe(probe: Any) -> Any:
    if not isinstance(probe, dict):
        return probe
    out = _handler(probe)
    out = dict(out) if out is probe else out
    for key, value in _PROBE_DEFAULTS:
        if not out.get(key):
            out[key] = value
    return out


def _env(var: Any) -> Any:
    """An env var whose ``valueFrom.fieldRef`` gets ``apiVersion: v1``."""
    if not isinstance(var, dict) or not isinstance(var.get("valueFrom"), dict):
        return var
    field_ref = var["valueFrom"].get("fieldRef")
    if not isinstance(field_ref, dict) or not _unset(field_ref.get("apiVersion")):
        return var
    return {**var, "valueFrom": {**var["valueFrom"], "fieldRef": {**field_ref, "apiVersion": "v1"}}}


def _container(container: Any) -> Any:
    if not isinstance(container, dict):
        return container
    out = dict(container)
    _fill(out, "imagePullPolicy", pull_policy(out.get("image")))
    _fill(out, "terminationMessagePath", "/dev/termination-log")
    _fill(out, "terminationMessagePolicy", "File")
    if out.get("resources") is None:
        out["resources"] = {}
    if "ports" in out:
        out["ports"] = _map_list(out["ports"], _port)
    if "env" in out:
        out["env"] = _map_list(out["env"], _env)
    for probe in _PROBES:
        if probe in out:
            out[probe] = _probe(out[probe])
    lifecycle = out.get("lifecycle")
    if isinstance(lifecycle, dict):
        out["lifecycle"] = {key: _handler(value) for key, value in lifecycle.items()}
    return out


def _volume(volume: Any) -> Any:
    if not isinstance(volume, dict):
        return volume
    if all(key == "name" for key in volume):
        return {**volume, "emptyDir": {}}
    out = dict(volume)
    for source in _MODED_VOLUMES:
        if isinstance(out.get(source), dict) and out[source].get("defaultMode") is None:
            out[source] = {**out[source], "defaultMode": _DEFAULT_MODE}
    if isinstance(out.get("hostPath"), dict) and out["hostPath"].get("type") is None:
        out["hostPath"] = {**out["hostPath"], "type": ""}
    return out


def pod_spec(spec: Any) -> Any:
    """A pod spec (of a pod or of any template) with the PodSpec, container and volume defaults."""
    if not isinstance(spec, dict):
        return spec
    out = dict(spec)
    _fill(out, "dnsPolicy", "ClusterFirst")
    _fill(out, "restartPolicy", "Always")
    if out.get("securityContext") is None:
        out["securityContext"] = {}
    if out.get("terminationGracePeriodSeconds") is None:
        out["terminationGracePeriodSeconds"] = 30
    _fill(out, "schedulerName", "default-scheduler")
    for field in ("containers", "initContainers"):
        if field in out:
            out[field] = _map_list(out[field], _container)
    if "volumes" in out:
        out["volumes"] = _map_list(out["volumes"], _volume)
    return out


def _requests_from_limits(container: Any) -> Any:
    resources = container.get("resources") if isinstance(container, dict) else None
    if not isinstance(resources, dict) or not isinstance(resources.get("limits"), dict):
        return container
    requests = dict(resources.get("requests") or {})
    for name, quantity in resources["limits"].items():
        requests.setdefault(name, quantity)
    return {**container, "resources": {**resources, "requests": requests}}


def _host_ports(container: Any) -> Any:
    if not isinstance(container, dict) or not isinstance(container.get("ports"), list):
        return container
    ports = [
        {**p, "hostPort": p.get("containerPort")} if isinstance(p, dict) and not p.get("hostPort") else p
        for p in container["ports"]
    ]
    return {**container, "ports": ports}


def _pod(obj: dict[str, Any]) -> None:
    """A Pod's own defaults on top of its spec's: requests default to limits, service links are on,
    and host-network pods publish their container ports on the host."""
    spec = pod_spec(obj.get("spec"))
    if isinstance(spec, dict):
        if spec.get("enableServiceLinks") is None:
            spec["enableServiceLinks"] = True
        for field in ("containers", "initContainers"):
            if field in spec:
                spec[field] = _map_list(spec[field], _requests_from_limits)
                if spec.get("hostNetwork") is True:
                    spec[field] = _map_list(spec[field], _host_ports)
    obj["spec"] = spec


def _with_template(spec: dict[str, Any]) -> None:
    template = spec.get("template")
    if isinstance(template, dict) and "spec" in template:
        spec["template"] = {**template, "spec": pod_spec(template["spec"])}


def _rolling_update(spec: dict[str, Any], field: str, max_unavailable: Any, max_surge: Any) -> None:
    """``spec.<field>`` as Deployments and DaemonSets default it: a rolling update with both bounds."""
    strategy = dict(spec.get(field) or {})
    _fill(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = dict(strategy.get("rollingUpdate") or {})
        if rolling.get("maxUnavailable") is None:
            rolling["maxUnavailable"] = max_unavailable
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = max_surge
        strategy["rollingUpdate"] = rolling
    spec[field] = strategy


def _deployment(spec: dict[str, Any]) -> None:
    _fill(spec, "replicas", 1)
    _rolling_update(spec, "strategy", "25%", "25%")
    _fill(spec, "revisionHistoryLimit", 10)
    _fill(spec, "progressDeadlineSeconds", 600)
    _with_template(spec)


def _replica_set(spec: dict[str, Any]) -> None:
    _fill(spec, "replicas", 1)
    _with_template(spec)


def _stateful_set(spec: dict[str, Any]) -> None:
    _fill(spec, "podManagementPolicy", "OrderedReady")
    strategy = dict(spec.get("updateStrategy") or {})
    if _unset(strategy.get("type")):
        strategy["type"] = "RollingUpdate"
        if strategy.get("rollingUpdate") is None:
            strategy["rollingUpdate"] = {}
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(rolling, dict) and rolling.get("partition") is None:
        strategy["rollingUpdate"] = {**rolling, "partition": 0}
    spec["updateStrategy"] = strategy
    retention = dict(spec.get("persistentVolumeClaimRetentionPolicy") or {})
    _fill(retention, "whenDeleted", "Retain")
    _fill(retention, "whenScaled", "Retain")
    spec["persistentVolumeClaimRetentionPolicy"] = retention
    _fill(spec, "replicas", 1)
    _fill(spec, "revisionHistoryLimit", 10)
    _with_template(spec)


def _daemon_set(spec: dict[str, Any]) -> None:
    _rolling_update(spec, "updateStrategy", 1, 0)
    _fill(spec, "revisionHistoryLimit", 10)
    _with_template(spec)


def _job(spec: dict[str, Any]) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _fill(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 6 if spec.get("backoffLimitPerIndex") is None else _MAX_INT32
    _fill(spec, "completionMode", "NonIndexed")
    _fill(spec, "suspend", False)
    failure_policy = spec.get("podFailurePolicy")
    if isinstance(failure_policy, dict) and isinstance(failure_policy.get("rules"), list):
        spec["podFailurePolicy"] = {
            **failure_policy,
            "rules": _map_list(failure_policy["rules"], _failure_rule),
        }
    _fill(spec, "podReplacementPolicy", "Failed" if failure_policy is not None else "TerminatingOrFailed")
    _fill(spec, "manualSelector", False)
    _with_template(spec)


def _failure_rule(rule: Any) -> Any:
    if not isinstance(rule, dict) or not isinstance(rule.get("onPodConditions"), list):
        return rule
    patterns = [
        {**p, "status": "True"} if isinstance(p, dict) and _unset(p.get("status")) else p
        for p in rule["onPodConditions"]
    ]
    return {**rule, "onPodConditions": patterns}


def _cron_job(spec: dict[str, Any]) -> None:
    """A CronJob's own defaults; its job template gets the pod template's, not a Job's (the
    apiserver defaults a Job's spec only on the Job)."""
    _fill(spec, "concurrencyPolicy", "Allow")
    _fill(spec, "suspend", False)
    _fill(spec, "successfulJobsHistoryLimit", 3)
    _fill(spec, "failedJobsHistoryLimit", 1)
    job_template = spec.get("jobTemplate")
    if isinstance(job_template, dict) and isinstance(job_template.get("spec"), dict):
        job_spec = dict(job_template["spec"])
        _with_template(job_spec)
        spec["jobTemplate"] = {**job_template, "spec": job_spec}


def _service(spec: dict[str, Any]) -> None:
    _fill(spec, "sessionAffinity", "None")
    if spec["sessionAffinity"] == "None":
        spec.pop("sessionAffinityConfig", None)
    elif spec["sessionAffinity"] == "ClientIP":
        config = spec.get("sessionAffinityConfig") or {}
        if (config.get("clientIP") or {}).get("timeoutSeconds") is None:
            spec["sessionAffinityConfig"] = {"clientIP": {"timeoutSeconds": 10800}}
    _fill(spec, "type", "ClusterIP")
    kind = spec["type"]
    if isinstance(spec.get("ports"), list):
        spec["ports"] = [_service_port(port) for port in spec["ports"]]
    if kind in ("NodePort", "LoadBalancer") or (kind == "ClusterIP" and spec.get("externalIPs")):
        _fill(spec, "externalTrafficPolicy", "Cluster")
    if kind in ("ClusterIP", "NodePort", "LoadBalancer"):
        _fill(spec, "internalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        _fill(spec, "allocateLoadBalancerNodePorts", True)


def _service_port(port: Any) -> Any:
    if not isinstance(port, dict):
        return port
    out = _port(port)
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
        _pod(obj)
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
