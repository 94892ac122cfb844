"""Which lists of the built-in kinds merge (and by which key) under a strategic merge patch.

Kubernetes declares this on its Go types (``patchStrategy:"merge" patchMergeKey:"name"``); Shoal keeps the
same facts as a small table keyed by ``(kind, dotted path)``, where the path names fields only (list
items add no segment: ``spec.containers.env`` is the ``env`` of every container). Lists absent from the
table are atomic: a patch replaces them whole, as the apiserver does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ._gvk import GroupVersionKind


@dataclass(frozen=True, slots=True)
class ListRule:
    """How one list merges: by ``merge_key`` for lists of objects, by value when ``merge_key`` is None."""

    merge_key: str | None


BY_VALUE: Final = ListRule(None)


def _key(name: str) -> ListRule:
    return ListRule(name)


_OBJECT_META: Final[dict[str, ListRule]] = {
    "finalizers": BY_VALUE,
    "ownerReferences": _key("uid"),
}

_CONTAINER: Final[dict[str, ListRule]] = {
    "ports": _key("containerPort"),
    "env": _key("name"),
    "volumeMounts": _key("mountPath"),
    "volumeDevices": _key("devicePath"),
}


def _mount(prefix: str, fragment: dict[str, ListRule]) -> dict[str, ListRule]:
    return {f"{prefix}.{path}": rule for path, rule in fragment.items()}


def _containers() -> dict[str, ListRule]:
    out: dict[str, ListRule] = {}
    for field in ("containers", "initContainers", "ephemeralContainers"):
        out[field] = _key("name")
        out.update(_mount(field, _CONTAINER))
    return out


_POD_SPEC: Final[dict[str, ListRule]] = {
    "volumes": _key("name"),
    "imagePullSecrets": _key("name"),
    "hostAliases": _key("ip"),
    "topologySpreadConstraints": _key("topologyKey"),
    "resourceClaims": _key("name"),
    "schedulingGates": _key("name"),
    **_containers(),
}

_CONDITIONS: Final[dict[str, ListRule]] = {"status.conditions": _key("type")}


def _pod_template(prefix: str) -> dict[str, ListRule]:
    return {**_mount(f"{prefix}.spec", _POD_SPEC), **_mount(f"{prefix}.metadata", _OBJECT_META)}


_WORKLOAD: Final = {**_pod_template("spec.template"), **_CONDITIONS}

# kind -> {path: rule}; every built-in kind also gets the ObjectMeta lists.
_KINDS: Final[dict[tuple[str, str], dict[str, ListRule]]] = {
    ("", "Pod"): {
        **_mount("spec", _POD_SPEC),
        **_CONDITIONS,
        "status.podIPs": _key("ip"),
        "status.hostIPs": _key("ip"),
        "status.resourceClaimStatuses": _key("name"),
    },
    ("", "PodTemplate"): _pod_template("template"),
    ("", "ReplicationController"): _WORKLOAD,
    ("", "Service"): {"spec.ports": _key("port"), **_CONDITIONS},
    ("", "ServiceAccount"): {"secrets": _key("name")},
    ("", "Node"): {
        "spec.podCIDRs": BY_VALUE,
        **_CONDITIONS,
        "status.addresses": _key("type"),
    },
    ("", "Namespace"): _CONDITIONS,
    ("", "PersistentVolumeClaim"): _CONDITIONS,
    ("apps", "Deployment"): _WORKLOAD,
    ("apps", "ReplicaSet"): _WORKLOAD,
    ("apps", "StatefulSet"): _WORKLOAD,
    ("apps", "DaemonSet"): _WORKLOAD,
    ("batch", "Job"): _WORKLOAD,
    ("batch", "CronJob"): _pod_template("spec.jobTemplate.spec.template"),
    ("policy", "PodDisruptionBudget"): _CONDITIONS,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _CONDITIONS,
}

BUILTIN_GROUPS: Final = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)


def strategic_merge_supported(gvk: GroupVersionKind) -> bool:
    """Whether the apiserver accepts strategic merge patches for this kind (built-ins yes, CRs no → 415)."""
    return gvk.group in BUILTIN_GROUPS


def list_rules(gvk: GroupVersionKind) -> dict[str, ListRule]:
    """The merging lists of a kind, by dotted path (ObjectMeta's included)."""
    return {**_mount("metadata", _OBJECT_META), **_KINDS.get((gvk.group, gvk.kind), {})}
