"""The Backup kind and the resource types a backup collects.

A backup is a custom resource so that it can be created with kubectl, watched and reported on like any
other object; its CustomResourceDefinition lives here, next to the names the controller uses. The
resource types are data, not code: each says which API resource to list, whether it is namespaced, and
whether it is served by a CustomResourceDefinition (whose definition is then backed up too, as Velero
does for every custom group-resource it saves).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shoal.api import GroupVersionResource, custom_resource_definition

GROUP = "backup.shoal.dev"
VERSION = "v1alpha1"
BACKUPS = GroupVersionResource(GROUP, VERSION, "backups")

PHASE_NEW = "New"
PHASE_IN_PROGRESS = "InProgress"
PHASE_COMPLETED = "Completed"
PHASE_PARTIALLY_FAILED = "PartiallyFailed"
PHASE_FAILED = "Failed"
TERMINAL_PHASES = frozenset({PHASE_COMPLETED, PHASE_PARTIALLY_FAILED, PHASE_FAILED})


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One API resource a backup lists.

    Attributes:
        resource: what to list.
        namespaced: listed once per included namespace; otherwise listed cluster-wide and kept only
            when related to a namespaced item (a PersistentVolume bound to a collected claim, a
            ClusterRoleBinding naming a collected ServiceAccount) or naming an included Namespace.
        custom: served by a CustomResourceDefinition; the definition is backed up with the items.
    """

    resource: GroupVersionResource
    namespaced: bool = True
    custom: bool = False

    @property
    def group_resource(self) -> str:
        """``pods``, ``deployments.apps``: the key the archive and the item keys use."""
        return self.resource.group_resource


def _core(resource: str, *, namespaced: bool = True) -> ResourceType:
    return ResourceType(GroupVersionResource("", "v1", resource), namespaced)


NAMESPACES = _core("namespaces", namespaced=False)
PODS = _core("pods")
PERSISTENT_VOLUME_CLAIMS = _core("persistentvolumeclaims")
PERSISTENT_VOLUMES = _core("persistentvolumes", namespaced=False)
SERVICE_ACCOUNTS = _core("serviceaccounts")
ROLE_BINDINGS = ResourceType(GroupVersionResource("rbac.authorization.k8s.io", "v1", "rolebindings"))
CLUSTER_ROLE_BINDINGS = ResourceType(
    GroupVersionResource("rbac.authorization.k8s.io", "v1", "clusterrolebindings"), namespaced=False
)

DEFAULT_RESOURCE_TYPES: tuple[ResourceType, ...] = (
    NAMESPACES,
    PODS,
    PERSISTENT_VOLUME_CLAIMS,
    PERSISTENT_VOLUMES,
    ResourceType(GroupVersionResource("apps", "v1", "deployments")),
    ResourceType(GroupVersionResource("apps", "v1", "replicasets")),
    _core("services"),
    _core("endpoints"),
    ResourceType(GroupVersionResource("discovery.k8s.io", "v1", "endpointslices")),
    SERVICE_ACCOUNTS,
    _core("secrets"),
    _core("configmaps"),
    ROLE_BINDINGS,
    CLUSTER_ROLE_BINDINGS,
    _core("events"),
)
"""What a backup lists unless told otherwise. A type the server does not serve (a 404 on its list) is
skipped, as Velero skips resources missing from discovery."""


def backup_crd() -> dict[str, Any]:
    """The CustomResourceDefinition of ``Backup`` (namespaced, with a status subresource)."""
    status = {
        "phase": "string",
        "startTimestamp": "string",
        "completionTimestamp": "string",
        "durationSeconds": "number",
        "totalItems": "integer",
        "itemsBackedUp": "integer",
        "itemBlocks": "integer",
        "workers": "integer",
        "errors": "integer",
        "archive": "string",
        "message": "string",
    }
    status_properties: dict[str, Any] = {name: {"type": kind} for name, kind in status.items()}
    status_properties["failures"] = {"type": "array", "items": {"type": "string"}}
    spec_properties = {
        "includedNamespaces": {"type": "array", "items": {"type": "string"}},
        "storageLocation": {"type": "string"},
    }
    schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": spec_properties},
            "status": {"type": "object", "properties": status_properties},
        },
    }
    columns = [
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Items", "type": "integer", "jsonPath": ".status.itemsBackedUp"},
        {"name": "Errors", "type": "integer", "jsonPath": ".status.errors"},
    ]
    return custom_resource_definition(
        GROUP,
        "Backup",
        "backups",
        version=VERSION,
        schema=schema,
        printer_columns=columns,
    )


def backup(
    name: str, namespaces: list[str], *, namespace: str = "default", storage: str = ""
) -> dict[str, Any]:
    """A ``Backup`` object of ``namespaces`` (``storage``: the archive directory, else the controller's)."""
    spec: dict[str, Any] = {"includedNamespaces": namespaces}
    if storage:
        spec["storageLocation"] = storage
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Backup",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }
