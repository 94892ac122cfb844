"""Synthetic inventories shaped like the Velero seed's test, to run the backup controller against.

The seed measured a "mysql-persistent" application in two namespaces (77 items at one worker, 102 at
sixteen as Events accumulated) and the design's target case of many pods each with a small volume.
These builders produce the same shapes deterministically. The simulator serves no RBAC or
``discovery.k8s.io`` kinds, so RoleBindings, ClusterRoleBindings and EndpointSlices are installed as
schemaless CustomResourceDefinitions under their real group, version and kind; the controller lists
them by their real names and cannot tell. Core ``Endpoints`` cannot be a CRD (the core group is
reserved): the inventory carries two more EndpointSlices per namespace in their place, and the backup
reports ``endpoints`` as not served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shoal.api import CRDS, OPEN_OBJECT, GroupVersionResource, Object, custom_resource_definition
from shoal.client import Client
from shoal.fanout import bounded_map

from ._blocks import Item, ItemKey
from ._resources import DEFAULT_RESOURCE_TYPES, ResourceType

WIDGETS = ResourceType(GroupVersionResource("example.shoal.dev", "v1", "widgets"), custom=True)


@dataclass(frozen=True, slots=True)
class Inventory:
    """Objects to create (definitions first), the namespaces to back up, and the types to list."""

    name: str
    namespaces: tuple[str, ...]
    definitions: tuple[Object, ...]
    objects: tuple[tuple[GroupVersionResource, Object], ...]
    resource_types: tuple[ResourceType, ...]

    def expected_keys(self) -> set[ItemKey]:
        """Every item a backup of :attr:`namespaces` must contain."""
        keys = {Item(resource, obj).key for resource, obj in self.objects}
        custom = {kind.group_resource for kind in self.resource_types if kind.custom}
        used = {key.resource for key in keys} & custom
        return keys | {ItemKey(CRDS.group_resource, "", name) for name in used}


STAND_IN_DEFINITIONS: tuple[Object, ...] = tuple(
    custom_resource_definition(
        group, kind, plural, namespaced=namespaced, schema=OPEN_OBJECT, status_subresource=False
    )
    for group, kind, plural, namespaced in (
        ("rbac.authorization.k8s.io", "RoleBinding", "rolebindings", True),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", False),
        ("discovery.k8s.io", "EndpointSlice", "endpointslices", True),
        ("example.shoal.dev", "Widget", "widgets", True),
    )
)


def _gvr(text: str) -> GroupVersionResource:
    return GroupVersionResource.parse(text)


def _obj(api_version: str, kind: str, name: str, namespace: str = "", **body: Any) -> Object:
    metadata: dict[str, Any] = {"name": name, "labels": {"app": "mysql"}}
    if namespace:
        metadata["namespace"] = namespace
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def _pod(name: str, namespace: str, claims: list[str]) -> Object:
    volumes = [{"name": f"v{i}", "persistentVolumeClaim": {"claimName": c}} for i, c in enumerate(claims)]
    container = {"name": "main", "image": "mysql:8"}
    return _obj("v1", "Pod", name, namespace, spec={"containers": [container], "volumes": volumes})


def _volume_pair(claim: str, namespace: str) -> list[tuple[GroupVersionResource, Object]]:
    volume = f"pv-{namespace}-{claim}"
    return [
        (
            _gvr("v1/persistentvolumeclaims"),
            _obj("v1", "PersistentVolumeClaim", claim, namespace, spec={"volumeName": volume}),
        ),
        (
            _gvr("v1/persistentvolumes"),
            _obj(
                "v1", "PersistentVolume", volume, spec={"claimRef": {"namespace": namespace, "name": claim}}
            ),
        ),
    ]


def _binding(kind: str, name: str, namespace: str, account: tuple[str, str] | None) -> Object:
    subject = (
        {"kind": "ServiceAccount", "namespace": account[0], "name": account[1]}
        if account
        else {"kind": "Group", "name": "system:authenticated"}
    )
    role = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}
    return _obj("rbac.authorization.k8s.io/v1", kind, name, namespace, subjects=[subject], roleRef=role)


def _application(
    namespace: str, *, shared_claim: bool, events: int
) -> list[tuple[GroupVersionResource, Object]]:
    """One "mysql-persistent" namespace: 37 items when ``events`` is 4."""
    out: list[tuple[GroupVersionResource, Object]] = []

    def add(resource: str, kind: str, name: str, **body: Any) -> None:
        api_version = resource.rsplit("/", 1)[0]
        out.append((_gvr(resource), _obj(api_version, kind, name, namespace, **body)))

    out.append((_gvr("v1/namespaces"), _obj("v1", "Namespace", namespace)))
    out.append((_gvr("v1/pods"), _pod("mysql-0", namespace, ["mysql-data"])))
    out.append((_gvr("v1/pods"), _pod("mysql-reader", namespace, ["mysql-data"] if shared_claim else [])))
    out.extend(_volume_pair("mysql-data", namespace))
    labels = {"app": "mysql"}
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "m", "image": "mysql:8"}]}}
    workload = {"replicas": 1, "selector": {"matchLabels": labels}, "template": template}
    for name in ("mysql", "mysql-exporter"):
        add("apps/v1/deployments", "Deployment", name, spec=workload)
        add("apps/v1/replicasets", "ReplicaSet", f"{name}-5d8f", spec=workload)
        add("v1/services", "Service", name, spec={"ports": [{"port": 3306}]})
    for i in range(4):
        add(
            "discovery.k8s.io/v1/endpointslices",
            "EndpointSlice",
            f"mysql-{i}",
            addressType="IPv4",
            endpoints=[],
        )
    for name in ("default", "mysql", "mysql-exporter"):
        add("v1/serviceaccounts", "ServiceAccount", name)
    for i in range(6):
        add("v1/secrets", "Secret", f"mysql-secret-{i}", data={})
    for i in range(2):
        add("v1/configmaps", "ConfigMap", f"mysql-config-{i}", data={"k": "v"})
    for i, account in enumerate([(namespace, "mysql"), (namespace, "mysql"), (namespace, "default"), None]):
        out.append(
            (
                _gvr("rbac.authorization.k8s.io/v1/rolebindings"),
                _binding("RoleBinding", f"mysql-{i}", namespace, account),
            )
        )
    involved = {"kind": "Pod", "namespace": namespace, "name": "mysql-0"}
    for i in range(events):
        add("v1/events", "Event", f"mysql-0.{i:04d}", involvedObject=involved, reason="Pulled")
    for i in range(3):
        add("example.shoal.dev/v1/widgets", "Widget", f"widget-{i}", spec={"size": i})
    return out


def seed_inventory(extra_events: int = 0) -> Inventory:
    """The seed's two-namespace application: 77 items, plus ``extra_events`` Events (25 gives 102).

    Blocks: the RWX pair in ``mysql-a`` (two pods sharing a claim, its volume: 4 items), the pod with its
    claim and volume in ``mysql-b`` (3), each ``mysql`` ServiceAccount with its RoleBindings and its
    ClusterRoleBinding (4), every other item alone.
    """
    objects = _application("mysql-a", shared_claim=True, events=4 + extra_events - extra_events // 2)
    objects += _application("mysql-b", shared_claim=False, events=4 + extra_events // 2)
    for namespace in ("mysql-a", "mysql-b"):
        binding = _binding("ClusterRoleBinding", f"mysql-{namespace}", "", (namespace, "mysql"))
        objects.append((_gvr("rbac.authorization.k8s.io/v1/clusterrolebindings"), binding))
    return Inventory(
        f"seed-{77 + extra_events}",
        ("mysql-a", "mysql-b"),
        STAND_IN_DEFINITIONS,
        tuple(objects),
        (*DEFAULT_RESOURCE_TYPES, WIDGETS),
    )


def many_small_volumes(pods: int = 500) -> Inventory:
    """The design's target case: one namespace of ``pods`` pods, each with its own claim and volume."""
    namespace = "volumes"
    objects: list[tuple[GroupVersionResource, Object]] = [
        (_gvr("v1/namespaces"), _obj("v1", "Namespace", namespace))
    ]
    for i in range(pods):
        objects.append((_gvr("v1/pods"), _pod(f"worker-{i:04d}", namespace, [f"data-{i:04d}"])))
        objects.extend(_volume_pair(f"data-{i:04d}", namespace))
    return Inventory(
        f"pods-{pods}", (namespace,), STAND_IN_DEFINITIONS, tuple(objects), DEFAULT_RESOURCE_TYPES
    )


async def install(client: Client, inventory: Inventory, *, concurrency: int = 32) -> None:
    """Create the inventory's definitions, then its namespaces, then every other object."""
    for definition in inventory.definitions:
        await client.create(CRDS, definition)
    namespaces = [(r, o) for r, o in inventory.objects if r.resource == "namespaces"]
    rest = [(r, o) for r, o in inventory.objects if r.resource != "namespaces"]
    for batch in (namespaces, rest):

        async def create(entry: tuple[GroupVersionResource, Object]) -> None:
            await client.create(entry[0], entry[1])

        async for _ in bounded_map(create, batch, limit=concurrency):
            pass
