"""Which resources the simulator serves, and what discovery says about each.

The store, the HTTP door (routing, discovery, OpenAPI, tables) and the CRD lifecycle all need the same
answer to "is ``apps/v1/deployments`` served, is it namespaced, does it have ``/status``": the
:class:`ResourceRegistry` is that single answer. It changes when CRDs are established or removed and
counts those changes in :attr:`ResourceRegistry.revision`, so discovery documents can be re-hashed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from shoal.api import GroupVersionKind, GroupVersionResource

ALL_VERBS: tuple[str, ...] = (
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
)


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """Everything discovery and the store know about one served resource at one version.

    ``storage`` is the group-qualified resource (``deployments.apps``): objects are stored once per
    resource whatever version they are read at.
    """

    gvr: GroupVersionResource
    kind: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    has_status: bool = False
    has_scale: bool = False
    is_crd: bool = False
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    selectable_fields: tuple[str, ...] = ()
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    storage_version: bool = True
    api_version: str = field(init=False, compare=False, hash=False)
    """``apps/v1``: what objects served here carry in ``apiVersion``."""
    storage: str = field(init=False, compare=False, hash=False)
    """``deployments.apps``: the group-qualified resource, the key objects are stored under."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "api_version", self.gvr.api_version)
        object.__setattr__(self, "storage", self.gvr.group_resource)

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def gvk(self) -> GroupVersionKind:
        return GroupVersionKind(self.gvr.group, self.gvr.version, self.kind)


class ResourceRegistry:
    """The served resources, looked up by GVR or GVK. Mutated only by the simulator (CRD lifecycle)."""

    def __init__(self, infos: tuple[ResourceInfo, ...] = ()) -> None:
        self._by_gvr: dict[GroupVersionResource, ResourceInfo] = {}
        self._by_gvk: dict[GroupVersionKind, ResourceInfo] = {}
        self._by_storage: dict[str, ResourceInfo] = {}
        self.revision = 0
        """Bumped on every change, for discovery and OpenAPI hashes."""
        for info in infos:
            self.add(info)

    def lookup(self, gvr: GroupVersionResource) -> ResourceInfo | None:
        """The resource served at ``gvr``, or ``None``."""
        return self._by_gvr.get(gvr)

    def by_kind(self, gvk: GroupVersionKind) -> ResourceInfo | None:
        """The resource whose objects have type ``gvk``, or ``None``."""
        return self._by_gvk.get(gvk)

    def all(self) -> tuple[ResourceInfo, ...]:
        """Every served resource, in registration order."""
        return tuple(self._by_gvr.values())

    def versions_of(self, storage: str) -> tuple[ResourceInfo, ...]:
        """Every served version of the group-qualified resource ``storage``."""
        return tuple(i for i in self._by_gvr.values() if i.storage == storage)

    def for_storage(self, storage: str) -> ResourceInfo | None:
        """The storage version of ``storage`` (the one objects are kept at), or ``None``."""
        return self._by_storage.get(storage)

    def __iter__(self) -> Iterator[ResourceInfo]:
        return iter(self.all())

    def add(self, info: ResourceInfo) -> None:
        self._by_gvr[info.gvr] = info
        self._by_gvk[info.gvk] = info
        if info.storage_version or info.storage not in self._by_storage:
            self._by_storage[info.storage] = info
        self.revision += 1

    def remove(self, gvr: GroupVersionResource) -> None:
        info = self._by_gvr.pop(gvr, None)
        if info is not None:
            self._by_gvk.pop(info.gvk, None)
            if self._by_storage.get(info.storage) == info:
                del self._by_storage[info.storage]
                for other in self._by_gvr.values():
                    if other.storage == info.storage:
                        self._by_storage[other.storage] = other
                        break
            self.revision += 1


def _core(resource: str, kind: str, **kw: Any) -> ResourceInfo:
    return ResourceInfo(GroupVersionResource("", "v1", resource), kind, kind.lower(), **kw)


def _grouped(group: str, resource: str, kind: str, **kw: Any) -> ResourceInfo:
    return ResourceInfo(GroupVersionResource(group, "v1", resource), kind, kind.lower(), **kw)


CRD_GVR = GroupVersionResource("apiextensions.k8s.io", "v1", "customresourcedefinitions")
NAMESPACE_GVR = GroupVersionResource("", "v1", "namespaces")

BUILTIN_RESOURCES: tuple[ResourceInfo, ...] = (
    _core("namespaces", "Namespace", namespaced=False, short_names=("ns",), has_status=True),
    _core("pods", "Pod", namespaced=True, short_names=("po",), categories=("all",), has_status=True),
    _core("services", "Service", namespaced=True, short_names=("svc",), categories=("all",), has_status=True),
    _core("configmaps", "ConfigMap", namespaced=True, short_names=("cm",)),
    _core("secrets", "Secret", namespaced=True),
    _core("serviceaccounts", "ServiceAccount", namespaced=True, short_names=("sa",)),
    _core("nodes", "Node", namespaced=False, short_names=("no",), has_status=True),
    _core("events", "Event", namespaced=True, short_names=("ev",)),
    _core(
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        namespaced=True,
        short_names=("pvc",),
        has_status=True,
    ),
    _core("persistentvolumes", "PersistentVolume", namespaced=False, short_names=("pv",), has_status=True),
    _grouped("events.k8s.io", "events", "Event", namespaced=True, short_names=("ev",)),
    _grouped("coordination.k8s.io", "leases", "Lease", namespaced=True),
    _grouped(
        "apps",
        "deployments",
        "Deployment",
        namespaced=True,
        short_names=("deploy",),
        categories=("all",),
        has_status=True,
        has_scale=True,
    ),
    _grouped(
        "apps",
        "replicasets",
        "ReplicaSet",
        namespaced=True,
        short_names=("rs",),
        categories=("all",),
        has_status=True,
        has_scale=True,
    ),
    _grouped(
        "apps",
        "statefulsets",
        "StatefulSet",
        namespaced=True,
        short_names=("sts",),
        categories=("all",),
        has_status=True,
        has_scale=True,
    ),
    _grouped(
        "apps",
        "daemonsets",
        "DaemonSet",
        namespaced=True,
        short_names=("ds",),
        categories=("all",),
        has_status=True,
    ),
    _grouped("batch", "jobs", "Job", namespaced=True, categories=("all",), has_status=True),
    _grouped(
        "batch",
        "cronjobs",
        "CronJob",
        namespaced=True,
        short_names=("cj",),
        categories=("all",),
        has_status=True,
    ),
    _grouped(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        namespaced=False,
        short_names=("crd", "crds"),
        has_status=True,
    ),
)

CREATE_ON_UPDATE: frozenset[str] = frozenset({"events", "events.events.k8s.io", "leases.coordination.k8s.io"})
"""Storage names whose PUT creates a missing object (the apiserver's ``AllowCreateOnUpdate``)."""
