"""What a kubelet writes, as data: a started pod's status and a node's own objects.

KWOK showed that a cluster of fake nodes needs no container runtime, only the writes a kubelet would
make: the node with its capacity and Ready condition, its Lease in ``kube-node-lease``, and for every
pod bound to it a Running, Ready status. These builders are pure, so the actors stay about scheduling
and the shapes stay in one place.
"""

from __future__ import annotations

import time
from typing import Any

from shoal.api import Object

from ._objects import now_rfc3339

NODE_LEASE_NAMESPACE = "kube-node-lease"


def micro_time() -> str:
    """``metav1.MicroTime`` (microseconds, UTC), the form Lease renew times use."""
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


def node_address(index: int) -> str:
    return f"10.0.{index // 250}.{index % 250 + 1}"


def node_object(name: str, index: int) -> Object:
    """A Node as created (spec and labels); its status comes from :func:`node_status`."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                "type": "kwok",
            },
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
        },
        "spec": {"podCIDR": f"10.244.{index % 256}.0/24"},
    }


def node_status(
    name: str, index: int, cpu: str, memory: str, pods: int, kubelet_version: str
) -> dict[str, Any]:
    """A Ready node's status: capacity, allocatable, conditions, addresses, node info (its kubelet and
    kube-proxy at ``kubelet_version``, ``v1.37.1``)."""
    now = now_rfc3339()
    resources = {"cpu": cpu, "memory": memory, "pods": str(pods)}

    def condition(kind: str, status: str, reason: str) -> dict[str, str]:
        return {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": reason,
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }

    return {
        "phase": "Running",
        "capacity": dict(resources),
        "allocatable": dict(resources),
        "conditions": [
            condition("Ready", "True", "KubeletReady"),
            condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
            condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
            condition("PIDPressure", "False", "KubeletHasSufficientPID"),
            condition("NetworkUnavailable", "False", "RouteCreated"),
        ],
        "addresses": [
            {"type": "InternalIP", "address": node_address(index)},
            {"type": "Hostname", "address": name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "architecture": "amd64",
            "operatingSystem": "linux",
            "kubeletVersion": kubelet_version,
            "kubeProxyVersion": kubelet_version,
            "containerRuntimeVersion": "shoal://simulated",
            "osImage": "simulated",
            "kernelVersion": "simulated",
            "machineID": name,
            "systemUUID": name,
            "bootID": name,
        },
    }


def node_lease(node: Object, duration: int) -> Object:
    """The node's heartbeat Lease, owned by the node so it goes when the node goes."""
    m = node["metadata"]
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": m["name"],
            "namespace": NODE_LEASE_NAMESPACE,
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": m["name"], "uid": m["uid"]}],
        },
        "spec": {
            "holderIdentity": m["name"],
            "leaseDurationSeconds": duration,
            "renewTime": micro_time(),
        },
    }


def scheduled_condition(status: dict[str, Any]) -> dict[str, Any]:
    """``status`` with ``PodScheduled=True``, as a binding leaves it."""
    conditions = [c for c in status.get("conditions") or () if c.get("type") != "PodScheduled"]
    conditions.append({"type": "PodScheduled", "status": "True", "lastTransitionTime": now_rfc3339()})
    return {**status, "conditions": conditions}


def running_status(pod: Object, host_ip: str, pod_ip: str) -> dict[str, Any]:
    """The status of a pod whose containers all started and passed readiness (KWOK's ``pod-ready``)."""
    now = now_rfc3339()
    spec = pod.get("spec") or {}
    gates = [g.get("conditionType") for g in spec.get("readinessGates") or () if g.get("conditionType")]
    kinds = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled", *gates]
    containers = [
        {
            "name": c.get("name"),
            "image": c.get("image"),
            "imageID": f"docker-pullable://{c.get('image')}",
            "containerID": f"shoal://{c.get('name')}",
            "ready": True,
            "started": True,
            "restartCount": 0,
            "state": {"running": {"startedAt": now}},
        }
        for c in spec.get("containers") or ()
    ]
    status: dict[str, Any] = {
        **(pod.get("status") or {}),
        "phase": "Running",
        "conditions": [{"type": k, "status": "True", "lastTransitionTime": now} for k in kinds],
        "containerStatuses": containers,
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "qosClass": "BestEffort",
    }
    init = [
        {
            "name": c.get("name"),
            "image": c.get("image"),
            "ready": True,
            "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": now}},
        }
        for c in spec.get("initContainers") or ()
    ]
    if init:
        status["initContainerStatuses"] = init
    return status
