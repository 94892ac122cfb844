"""The defaults of a pod spec, shared by pods and by every workload's pod template.

The apiserver defaults each pod spec it decodes, wherever it sits: in a Pod, in a Deployment's or
StatefulSet's template, in a CronJob's job template. Restart, DNS and scheduler policies, the grace
period, each container's pull and termination-message policies, port protocols, probe timings and
volume modes all get values, so a template read back is larger than the one written. A Pod itself also
gets what only pods get (requests copied from limits, service links). Nested dicts are replaced,
never changed in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_DEFAULTS = (
    ("timeoutSeconds", 1),
    ("periodSeconds", 10),
    ("successThreshold", 1),
    ("failureThreshold", 3),
)
_MODED_VOLUMES = ("secret", "configMap", "downwardAPI", "projected")
_DEFAULT_MODE = 0o644


def unset(value: Any) -> bool:
    """Whether a field is missing as Go sees it after decoding: absent, null or the empty string."""
    return value is None or value == ""


def fill(obj: dict[str, Any], key: str, value: Any) -> None:
    if unset(obj.get(key)):
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


def map_list(items: Any, default: Callable[[Any], Any]) -> Any:
    return [default(item) for item in items] if isinstance(items, list) else items


def protocol_tcp(port: Any) -> Any:
    if not isinstance(port, dict) or not unset(port.get("protocol")):
        return port
    return {**port, "protocol": "TCP"}


def _handler(handler: Any) -> Any:
    """A probe or lifecycle handler whose ``httpGet`` gets path ``/`` and scheme ``HTTP``."""
    if not isinstance(handler, dict) or not isinstance(handler.get("httpGet"), dict):
        return handler
    http_get = dict(handler["httpGet"])
    fill(http_get, "path", "/")
    fill(http_get, "scheme", "HTTP")
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
    if not isinstance(field_ref, dict) or not unset(field_ref.get("apiVersion")):
        return var
    return {**var, "valueFrom": {**var["valueFrom"], "fieldRef": {**field_ref, "apiVersion": "v1"}}}


def _container(container: Any) -> Any:
    if not isinstance(container, dict):
        return container
    out = dict(container)
    fill(out, "imagePullPolicy", pull_policy(out.get("image")))
    fill(out, "terminationMessagePath", "/dev/termination-log")
    fill(out, "terminationMessagePolicy", "File")
    if out.get("resources") is None:
        out["resources"] = {}
    if "ports" in out:
        out["ports"] = map_list(out["ports"], protocol_tcp)
    if "env" in out:
        out["env"] = map_list(out["env"], _env)
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
    fill(out, "dnsPolicy", "ClusterFirst")
    fill(out, "restartPolicy", "Always")
    if out.get("securityContext") is None:
        out["securityContext"] = {}
    if out.get("terminationGracePeriodSeconds") is None:
        out["terminationGracePeriodSeconds"] = 30
    fill(out, "schedulerName", "default-scheduler")
    for field in ("containers", "initContainers"):
        if field in out:
            out[field] = map_list(out[field], _container)
    if "volumes" in out:
        out["volumes"] = map_list(out["volumes"], _volume)
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


def default_pod(obj: dict[str, Any]) -> None:
    """A Pod's own defaults on top of its spec's: requests default to limits, service links are on,
    and host-network pods publish their container ports on the host."""
    spec = pod_spec(obj.get("spec"))
    if isinstance(spec, dict):
        if spec.get("enableServiceLinks") is None:
            spec["enableServiceLinks"] = True
        for field in ("containers", "initContainers"):
            if field in spec:
                spec[field] = map_list(spec[field], _requests_from_limits)
                if spec.get("hostNetwork") is True:
                    spec[field] = map_list(spec[field], _host_ports)
    obj["spec"] = spec
