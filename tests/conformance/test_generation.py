"""metadata.generation: set by the server only for kinds whose strategy keeps one, moved by desired state."""

from __future__ import annotations

from typing import Any

import pytest

from shoal.api import GVR, Object
from shoal.client import Client

from ._support import (
    CONFIGMAPS,
    CRDS,
    DEPLOYMENTS,
    HOLD,
    NAMESPACES,
    PODS,
    SECRETS,
    configmap,
    crd,
    deployment,
    pod,
)

SERVICES = GVR("", "v1", "services")
SERVICE_ACCOUNTS = GVR("", "v1", "serviceaccounts")
EVENTS = GVR("", "v1", "events")
LEASES = GVR("coordination.k8s.io", "v1", "leases")
CLAIMS = GVR("", "v1", "persistentvolumeclaims")
NODES = GVR("", "v1", "nodes")
REPLICA_SETS = GVR("apps", "v1", "replicasets")


def _holds(actual: Any, expected: Any) -> bool:
    """Whether ``actual`` has every field of ``expected`` with its value (fields the server defaults
    or allocates, such as a Service's type and cluster IP, may come on top)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _holds(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_holds(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected)


def _typed(api_version: str, kind: str, name: str, namespace: str | None, **body: Any) -> Object:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


WITHOUT_GENERATION: dict[str, tuple[GVR, bool, dict[str, Any], dict[str, Any]]] = {
    # kind: (resource, namespaced, body to create, top-level fields an update changes)
    "Namespace": (NAMESPACES, False, {}, {"spec": {"finalizers": ["kubernetes", "example.com/x"]}}),
    "ConfigMap": (CONFIGMAPS, True, {"data": {"k": "v"}}, {"data": {"k": "w"}}),
    "Secret": (SECRETS, True, {"data": {"k": "dg=="}}, {"data": {"k": "dw=="}}),
    "Service": (SERVICES, True, {"spec": {"ports": [{"port": 80}]}}, {"spec": {"ports": [{"port": 81}]}}),
    "ServiceAccount": (SERVICE_ACCOUNTS, True, {}, {"automountServiceAccountToken": False}),
    "Event": (
        EVENTS,
        True,
        {"involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Seen"},
        {"message": "seen again"},
    ),
    "Lease": (LEASES, True, {"spec": {"holderIdentity": "a"}}, {"spec": {"holderIdentity": "b"}}),
    "PersistentVolumeClaim": (
        CLAIMS,
        True,
        {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}},
        {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}},
    ),
    "Node": (NODES, False, {"spec": {"podCIDR": "10.244.0.0/24"}}, {"spec": {"unschedulable": True}}),
}


@pytest.mark.parametrize("kind", sorted(WITHOUT_GENERATION))
async def test_kinds_whose_strategy_keeps_no_generation_never_get_one(
    client: Client, ns: str, kind: str
) -> None:
    resource, namespaced, body, change = WITHOUT_GENERATION[kind]
    namespace = ns if namespaced else None
    made = await client.create(resource, _typed(resource.api_version, kind, "g", namespace, **body))
    assert "generation" not in made["metadata"]
    labelled = await client.patch(resource, "g", {"metadata": {"labels": {"x": "y"}}}, namespace=namespace)
    assert "generation" not in labelled["metadata"]
    changed = await client.update(resource, {**labelled, **change})
    assert _holds(changed, change)
    assert "generation" not in changed["metadata"]
    assert "generation" not in (await client.get(resource, "g", namespace=namespace))["metadata"]


async def test_pod_generation_starts_at_one_and_moves_on_spec_changes_only(client: Client, ns: str) -> None:
    made = await client.create(PODS, pod("p", ns))
    assert made["metadata"]["generation"] == 1
    labelled = await client.patch(PODS, "p", {"metadata": {"labels": {"x": "y"}}}, namespace=ns)
    assert labelled["metadata"]["generation"] == 1
    status = await client.patch_status(PODS, "p", {"status": {"phase": "Running"}}, namespace=ns)
    assert status["metadata"]["generation"] == 1
    containers = [{**made["spec"]["containers"][0], "image": "registry.k8s.io/pause:3.11"}]
    image = await client.patch(PODS, "p", {"spec": {"containers": containers}}, namespace=ns)
    assert image["metadata"]["generation"] == 2


async def test_replica_set_and_crd_generation_start_at_one(client: Client, ns: str) -> None:
    template = deployment("rs", ns)["spec"]
    made = await client.create(REPLICA_SETS, _typed("apps/v1", "ReplicaSet", "rs", ns, spec=template))
    assert made["metadata"]["generation"] == 1
    annotated = await client.patch(
        REPLICA_SETS, "rs", {"metadata": {"annotations": {"a": "b"}}}, namespace=ns
    )
    assert annotated["metadata"]["generation"] == 1
    scaled = await client.patch(REPLICA_SETS, "rs", {"spec": {"replicas": 3}}, namespace=ns)
    assert scaled["metadata"]["generation"] == 2
    definition = await client.create(CRDS, crd("gizmos", "Gizmo"))
    assert definition["metadata"]["generation"] == 1


async def test_deployment_annotations_move_its_generation(client: Client, ns: str) -> None:
    made = await client.create(DEPLOYMENTS, deployment("web", ns))
    annotated = await client.patch(
        DEPLOYMENTS, "web", {"metadata": {"annotations": {"a": "b"}}}, namespace=ns
    )
    assert annotated["metadata"]["generation"] == made["metadata"]["generation"] + 1
    same = await client.patch(DEPLOYMENTS, "web", {"metadata": {"annotations": {"a": "b"}}}, namespace=ns)
    assert same["metadata"]["generation"] == annotated["metadata"]["generation"]


async def test_being_deleted_moves_the_generation_of_kinds_that_keep_one(client: Client, ns: str) -> None:
    held = {"finalizers": [HOLD]}
    made = await client.create(
        DEPLOYMENTS, {**deployment("web", ns), "metadata": {"name": "web", "namespace": ns, **held}}
    )
    deleting = await client.delete(DEPLOYMENTS, "web", namespace=ns)
    assert deleting["metadata"]["deletionTimestamp"]
    assert deleting["metadata"]["generation"] == made["metadata"]["generation"] + 1
    again = await client.delete(DEPLOYMENTS, "web", namespace=ns)
    assert again["metadata"]["generation"] == deleting["metadata"]["generation"]
    await client.create(
        CONFIGMAPS, {**configmap("c", ns), "metadata": {"name": "c", "namespace": ns, **held}}
    )
    config = await client.delete(CONFIGMAPS, "c", namespace=ns)
    assert config["metadata"]["deletionTimestamp"]
    assert "generation" not in config["metadata"]
    for resource, name in ((DEPLOYMENTS, "web"), (CONFIGMAPS, "c")):
        await client.patch(resource, name, {"metadata": {"finalizers": None}}, namespace=ns)
