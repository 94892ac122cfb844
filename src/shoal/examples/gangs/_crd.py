"""The gang kinds (PodCliqueSet, PodClique, PodGang), their names and labels, and installing them.

Grove's object model in the shape its scale test uses: a PodCliqueSet with R replicas, each replica one
PodClique per clique template (whose pods form one gang) and one PodGang listing those pods. The
reconcilers, the tests and the benchmark all need the same names and labels, so they live here.
"""

from __future__ import annotations

import contextlib
from typing import Any

from shoal.api import CRDS, AlreadyExistsError, GroupVersionResource, custom_resource_definition
from shoal.client import Client

GROUP = "gangs.shoal.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"
PCS_KIND = "PodCliqueSet"
PCLQ_KIND = "PodClique"
PODGANG_KIND = "PodGang"
PODCLIQUESETS = GroupVersionResource(GROUP, VERSION, "podcliquesets")
PODCLIQUES = GroupVersionResource(GROUP, VERSION, "podcliques")
PODGANGS = GroupVersionResource(GROUP, VERSION, "podgangs")
PODS = GroupVersionResource("", "v1", "pods")
SERVICES = GroupVersionResource("", "v1", "services")
SERVICE_ACCOUNTS = GroupVersionResource("", "v1", "serviceaccounts")
SECRETS = GroupVersionResource("", "v1", "secrets")
ROLES = GroupVersionResource("rbac.authorization.k8s.io", "v1", "roles")
ROLE_BINDINGS = GroupVersionResource("rbac.authorization.k8s.io", "v1", "rolebindings")

PCS_LABEL = f"{GROUP}/podcliqueset"
"""On every object of a PodCliqueSet: the set's name."""
REPLICA_LABEL = f"{GROUP}/replica-index"
PCLQ_LABEL = f"{GROUP}/podclique"
PODGANG_LABEL = f"{GROUP}/podgang"
SCHEDULING_GATE = f"{GROUP}/podgang-scheduling-gate"
"""Held on each pod until its gang is complete (every pod of the PodGang exists)."""
GANG_CLIQUES_ANNOTATION = f"{GROUP}/gang-podcliques"
"""On every pod: the PodCliques whose pods form its gang (comma-separated), so any of them can be told."""
RECONCILE_TRIGGER = f"{GROUP}/reconcile-trigger"
"""The annotation the benchmark bumps to cause a no-op reconcile."""
INITIALIZED = "Initialized"


def replica_name(pcs: str, replica: int) -> str:
    """The name of a replica's PodGang and headless Service."""
    return f"{pcs}-{replica}"


def clique_name(pcs: str, replica: int, clique: str) -> str:
    return f"{pcs}-{replica}-{clique}"


def pod_names(pclq: str, replicas: int) -> list[str]:
    """A PodClique's pods have stable names, so its PodGang can list them before they exist."""
    return [f"{pclq}-{i}" for i in range(replicas)]


def gang_crds() -> list[dict[str, Any]]:
    """The CustomResourceDefinitions of the three kinds (each with a status subresource)."""
    return [
        custom_resource_definition(GROUP, PCS_KIND, "podcliquesets", version=VERSION),
        custom_resource_definition(GROUP, PCLQ_KIND, "podcliques", version=VERSION),
        custom_resource_definition(GROUP, PODGANG_KIND, "podgangs", version=VERSION),
    ]


async def install(client: Client) -> None:
    """Create the CRDs (existing ones are left as they are)."""
    for crd in gang_crds():
        with contextlib.suppress(AlreadyExistsError):
            await client.create(CRDS, crd)


def podcliqueset_object(
    name: str,
    replicas: int,
    *,
    namespace: str = "default",
    clique: str = "worker",
    pods: int = 2,
    min_available: int | None = None,
    image: str = "registry.example/worker:1",
) -> dict[str, Any]:
    """A PodCliqueSet of ``replicas`` replicas with one clique of ``pods`` pods (the scale test's shape)."""
    return {
        "apiVersion": API_VERSION,
        "kind": PCS_KIND,
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "template": {
                "cliques": [
                    {
                        "name": clique,
                        "replicas": pods,
                        "minAvailable": pods if min_available is None else min_available,
                        "podSpec": {"containers": [{"name": "main", "image": image}]},
                    }
                ]
            },
        },
    }


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    """A controller ownerReference to ``owner`` (so deleting the owner collects the object)."""
    m = owner["metadata"]
    return {
        "apiVersion": owner.get("apiVersion", API_VERSION),
        "kind": owner["kind"],
        "name": m["name"],
        "uid": m["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def condition_true(obj: dict[str, Any], kind: str) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)
