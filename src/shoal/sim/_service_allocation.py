"""Cluster IPs and node ports of Services: allocated on create, kept on update, freed on delete.

A real apiserver gives every ClusterIP, NodePort and LoadBalancer Service a virtual IP from the
service CIDR, and every NodePort or LoadBalancer port a node port, each unique in the cluster; the
values are fixed once allocated, and an update that leaves them out keeps them. ``kubectl get svc``
shows the IP, and a controller that compares a desired Service with the live one must expect it.

The simulator keeps no allocator state of its own: what is allocated is what the stored Services
hold, so allocations survive with the store and are released when a Service is removed. A create
scans the stored Services once, which is cheap at the numbers of Services tests make.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Iterable
from typing import Any

from shoal.api import Object, StatusCause
from shoal.api._field_errors import forbidden_cause, invalid_cause, required_cause

SERVICE_CIDR = ipaddress.IPv4Network("10.96.0.0/12")
KUBERNETES_SERVICE_IP = "10.96.0.1"
"""The first address of the range, which the ``kubernetes`` Service in ``default`` holds: never
handed out to a Service that did not ask for it."""
NODE_PORTS = range(30000, 32768)
_STATIC_BAND = 256
"""Dynamic allocation prefers addresses above this offset, leaving the low ones to Services that ask
for a fixed IP (as the apiserver's allocator does)."""
_ATTEMPTS = 64


def _needs_cluster_ip(spec: dict[str, Any]) -> bool:
    return spec.get("type") in ("ClusterIP", "NodePort", "LoadBalancer")


def _needs_node_ports(spec: dict[str, Any]) -> bool:
    kind = spec.get("type")
    return kind == "NodePort" or (
        kind == "LoadBalancer" and spec.get("allocateLoadBalancerNodePorts") is not False
    )


def _needs_health_check_port(spec: dict[str, Any]) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _ports(spec: dict[str, Any]) -> list[Any]:
    ports = spec.get("ports")
    return ports if isinstance(ports, list) else []


def _in_use(services: Iterable[Object]) -> tuple[set[str], set[int]]:
    """The cluster IPs and node ports the given Services hold."""
    ips: set[str] = set()
    ports: set[int] = set()
    for service in services:
        spec = service.get("spec") or {}
        ips.update(ip for ip in spec.get("clusterIPs") or () if ip and ip != "None")
        ports.update(p["nodePort"] for p in _ports(spec) if isinstance(p, dict) and p.get("nodePort"))
        if spec.get("healthCheckNodePort"):
            ports.add(spec["healthCheckNodePort"])
    return ips, ports


def _free_ip(used: set[str]) -> str:
    base, size = int(SERVICE_CIDR.network_address), SERVICE_CIDR.num_addresses
    for _ in range(_ATTEMPTS):
        candidate = str(ipaddress.IPv4Address(base + random.randrange(_STATIC_BAND, size - 1)))
        if candidate not in used:
            return candidate
    taken = used | {KUBERNETES_SERVICE_IP}
    return next(ip for i in range(1, size - 1) if (ip := str(ipaddress.IPv4Address(base + i))) not in taken)


def _free_port(used: set[int]) -> int:
    for _ in range(_ATTEMPTS):
        candidate = random.choice(NODE_PORTS)
        if candidate not in used:
            return candidate
    return next(port for port in NODE_PORTS if port not in used)


def _keep_allocated(spec: dict[str, Any], old: dict[str, Any]) -> None:
    """An update that leaves out the allocated values keeps them, and ``clusterIP`` and
    ``clusterIPs`` are brought in line the way the apiserver reads an older client's intent."""
    if _needs_cluster_ip(old) and _needs_cluster_ip(spec):
        if _unset(spec.get("clusterIP")) and old.get("clusterIP"):
            spec["clusterIP"] = old["clusterIP"]
        if not spec.get("clusterIPs") and old.get("clusterIPs"):
            spec["clusterIPs"] = old["clusterIPs"]
    if _needs_node_ports(old) and _needs_node_ports(spec) and _ports(spec):
        used = {p.get("nodePort") for p in _ports(spec) if isinstance(p, dict) and p.get("nodePort")}
        by_name = {p.get("name"): p.get("nodePort") for p in _ports(old) if isinstance(p, dict)}
        spec["ports"] = [
            {**p, "nodePort": by_name[p.get("name")]}
            if isinstance(p, dict)
            and not p.get("nodePort")
            and by_name.get(p.get("name")) not in used | {None}
            else p
            for p in _ports(spec)
        ]
    if (
        _needs_health_check_port(old)
        and _needs_health_check_port(spec)
        and not spec.get("healthCheckNodePort")
    ):
        spec["healthCheckNodePort"] = old.get("healthCheckNodePort")
    if old.get("clusterIP") != spec.get("clusterIP") and spec.get("clusterIPs") == old.get("clusterIPs"):
        spec["clusterIPs"] = [spec["clusterIP"]] if spec.get("clusterIP") else []
        if not spec["clusterIPs"]:
            del spec["clusterIPs"]
    if not _needs_node_ports(spec) and _ports(spec):
        by_name = {p.get("name"): p.get("nodePort") for p in _ports(old) if isinstance(p, dict)}
        spec["ports"] = [
            {k: v for k, v in p.items() if k != "nodePort"}
            if isinstance(p, dict) and p.get("nodePort") and p["nodePort"] == by_name.get(p.get("name"))
            else p
            for p in _ports(spec)
        ]
    _drop_type_dependent(spec, old)


def _drop_type_dependent(spec: dict[str, Any], old: dict[str, Any]) -> None:
    """A change of ``type`` drops the fields the new type may not have, where the update carried
    the old values over (as a patch or a read-modify-write does)."""
    dropped: list[str] = []
    if not _needs_cluster_ip(spec):
        dropped += ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy", "internalTrafficPolicy"]
    kind = spec.get("type")
    if kind not in ("NodePort", "LoadBalancer") and not (kind == "ClusterIP" and spec.get("externalIPs")):
        dropped.append("externalTrafficPolicy")
    if kind != "LoadBalancer":
        dropped.append("allocateLoadBalancerNodePorts")
    if not _needs_health_check_port(spec):
        dropped.append("healthCheckNodePort")
    for field in dropped:
        if field in spec and spec[field] == old.get(field):
            del spec[field]


def _unset(value: Any) -> bool:
    return value is None or value == ""


def _cluster_ip_changes(spec: dict[str, Any], old: dict[str, Any]) -> list[StatusCause]:
    """The primary (and any) cluster IP may not change once set while the Service keeps one."""
    before, after = old.get("clusterIPs") or [], spec.get("clusterIPs") or []
    if not before or not _needs_cluster_ip(old) or not _needs_cluster_ip(spec):
        return []
    if not after:
        return [required_cause("spec.clusterIPs[0]", "primary clusterIP can not be unset")]
    return [
        invalid_cause(f"spec.clusterIPs[{i}]", after, "may not change once set")
        for i, ip in enumerate(before[: len(after)])
        if ip != after[i]
    ]


def _requested_ip(spec: dict[str, Any], used: set[str]) -> list[StatusCause]:
    ip = spec["clusterIPs"][0]
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return [
            invalid_cause(
                "spec.clusterIPs[0]", ip, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
            )
        ]
    if address not in SERVICE_CIDR:
        detail = (
            f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. "
            f"The range of valid IPs is {SERVICE_CIDR}"
        )
        return [invalid_cause("spec.clusterIPs", spec["clusterIPs"], detail)]
    if ip in used:
        detail = f"failed to allocate IP {ip}: provided IP is already allocated"
        return [invalid_cause("spec.clusterIPs", spec["clusterIPs"], detail)]
    return []


def _allocate_ip(spec: dict[str, Any], old: dict[str, Any] | None, used: set[str]) -> list[StatusCause]:
    if not _needs_cluster_ip(spec):
        return []
    if not spec.get("clusterIPs") and not _unset(spec.get("clusterIP")):
        spec["clusterIPs"] = [spec["clusterIP"]]
    ips = spec.get("clusterIPs")
    if ips and ips[0] not in ((old or {}).get("clusterIPs") or ()):
        causes = _requested_ip(spec, used)
        if causes:
            return causes
    elif not ips:
        ip = _free_ip(used)
        spec["clusterIP"], spec["clusterIPs"] = ip, [ip]
    spec["clusterIP"] = spec["clusterIPs"][0]
    if spec.get("ipFamilyPolicy") is None:
        spec["ipFamilyPolicy"] = (old or {}).get("ipFamilyPolicy") or "SingleStack"
    if not spec.get("ipFamilies"):
        spec["ipFamilies"] = (old or {}).get("ipFamilies") or ["IPv4"]
    return []


def _allocate_node_ports(
    spec: dict[str, Any], old: dict[str, Any] | None, used: set[int]
) -> list[StatusCause]:
    causes: list[StatusCause] = []
    own = {p.get("nodePort") for p in _ports(old or {}) if isinstance(p, dict)}
    if not _needs_node_ports(spec):
        if spec.get("type") == "ClusterIP":
            causes.extend(
                forbidden_cause(f"spec.ports[{i}].nodePort", "may not be used when `type` is 'ClusterIP'")
                for i, p in enumerate(_ports(spec))
                if isinstance(p, dict) and p.get("nodePort")
            )
        return causes
    ports = []
    for i, port in enumerate(_ports(spec)):
        if not isinstance(port, dict):
            ports.append(port)
            continue
        wanted = port.get("nodePort")
        if not wanted:
            wanted = _free_port(used)
            port = {**port, "nodePort": wanted}
        elif wanted not in own:
            if wanted not in NODE_PORTS:
                detail = "provided port is not in the valid range. The range of valid ports is 30000-32767"
                causes.append(invalid_cause(f"spec.ports[{i}].nodePort", wanted, detail))
            elif wanted in used:
                causes.append(
                    invalid_cause(f"spec.ports[{i}].nodePort", wanted, "provided port is already allocated")
                )
        used.add(wanted)
        ports.append(port)
    if ports:
        spec["ports"] = ports
    if _needs_health_check_port(spec) and not spec.get("healthCheckNodePort"):
        spec["healthCheckNodePort"] = _free_port(used)
    return causes


def allocate(spec: dict[str, Any], old: dict[str, Any] | None, others: Iterable[Object]) -> list[StatusCause]:
    """Give the (defaulted) Service ``spec`` its cluster IP and node ports; ``old`` is the stored
    spec on an update, ``others`` the other stored Services. ``spec`` is the caller's own dict and
    is changed in place (nested dicts are replaced). Returns the causes of a 422."""
    if old is not None:
        _keep_allocated(spec, old)
        causes = _cluster_ip_changes(spec, old)
        if causes:
            return causes
    used_ips, used_ports = _in_use(others)
    if spec.get("clusterIP") == "None" or spec.get("clusterIPs") == ["None"]:
        if _needs_cluster_ip(spec):
            spec["clusterIP"], spec["clusterIPs"] = "None", ["None"]
            if spec.get("ipFamilyPolicy") is None:
                spec["ipFamilyPolicy"] = "SingleStack"
            if not spec.get("ipFamilies"):
                spec["ipFamilies"] = ["IPv4"]
        causes = []
    else:
        causes = _allocate_ip(spec, old, used_ips)
    return causes + _allocate_node_ports(spec, old, used_ports)
