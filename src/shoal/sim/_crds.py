"""CustomResourceDefinitions: what makes one valid, its status, and the resources it serves.

Creating a CRD in the simulator establishes it at once (the apiserver's naming and establishing
controllers run in the same write), so its custom resources can be created by the very next request.
"""

from __future__ import annotations

from typing import Any

from shoal.api import GroupVersionResource, Object, StatusCause
from shoal.api._field_errors import invalid_cause, not_supported_cause, required_cause
from shoal.api._names import validate_dns1123_label, validate_dns1123_subdomain

from ._objects import meta, now_rfc3339
from ._resources import ALL_VERBS, CRD_GVR, ResourceInfo

_SCOPES = ("Cluster", "Namespaced")
CRD_STORAGE = CRD_GVR.group_resource
CRD_CLEANUP = "customresourcecleanup.apiextensions.k8s.io"
"""The finalizer a deleting CRD keeps until its custom resources are gone."""


def validate_crd(crd: Object) -> list[StatusCause]:
    """Causes a CRD is rejected for: group, names, scope, versions (exactly one storage), its name."""
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return [required_cause("spec")]
    causes: list[StatusCause] = []
    group = spec.get("group")
    if not isinstance(group, str) or not group:
        causes.append(required_cause("spec.group"))
    else:
        causes.extend(invalid_cause("spec.group", group, m) for m in validate_dns1123_subdomain(group))
        if "." not in group:
            causes.append(invalid_cause("spec.group", group, "should be a domain with at least one dot"))
    names = spec.get("names")
    if not isinstance(names, dict):
        names = {}
    plural, kind = names.get("plural"), names.get("kind")
    if not isinstance(plural, str) or not plural:
        causes.append(required_cause("spec.names.plural"))
    else:
        causes.extend(invalid_cause("spec.names.plural", plural, m) for m in validate_dns1123_label(plural))
    if not isinstance(kind, str) or not kind:
        causes.append(required_cause("spec.names.kind"))
    if spec.get("scope") not in _SCOPES:
        causes.append(not_supported_cause("spec.scope", spec.get("scope"), _SCOPES))
    causes.extend(_validate_versions(spec.get("versions")))
    name = meta(crd).get("name")
    if isinstance(plural, str) and isinstance(group, str) and name != f"{plural}.{group}":
        causes.append(invalid_cause("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    return causes


def _validate_versions(versions: Any) -> list[StatusCause]:
    if not isinstance(versions, list) or not versions:
        return [required_cause("spec.versions", "must have exactly one version marked as storage version")]
    causes: list[StatusCause] = []
    storage = 0
    for i, version in enumerate(versions):
        path = f"spec.versions[{i}]"
        if not isinstance(version, dict):
            causes.append(invalid_cause(path, version, "must be an object"))
            continue
        vname = version.get("name")
        if not isinstance(vname, str) or not vname:
            causes.append(required_cause(f"{path}.name"))
        else:
            causes.extend(invalid_cause(f"{path}.name", vname, m) for m in validate_dns1123_label(vname))
        storage += bool(version.get("storage"))
        schema = version.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("openAPIV3Schema"), dict):
            causes.append(required_cause(f"{path}.schema.openAPIV3Schema", "schemas are required"))
    if storage != 1:
        causes.append(
            invalid_cause(
                "spec.versions", versions, "must have exactly one version marked as storage version"
            )
        )
    return causes


def accepted_names(crd: Object) -> dict[str, Any]:
    names = dict(crd["spec"]["names"])
    names.setdefault("singular", str(names["kind"]).lower())
    names.setdefault("listKind", f"{names['kind']}List")
    return names


def crd_status(crd: Object, *, terminating: bool = False) -> dict[str, Any]:
    """The status the naming and establishing controllers (and, when deleting, the finalizer) write."""
    now = now_rfc3339()
    conditions = [
        {
            "type": "NamesAccepted",
            "status": "True",
            "reason": "NoConflicts",
            "message": "no conflicts found",
            "lastTransitionTime": now,
        },
        {
            "type": "Established",
            "status": "True",
            "reason": "InitialNamesAccepted",
            "message": "the initial names have been accepted",
            "lastTransitionTime": now,
        },
    ]
    old = {c.get("type"): c for c in (crd.get("status") or {}).get("conditions") or ()}
    conditions = [old.get(c["type"], c) for c in conditions]
    if terminating:
        conditions.append(
            {
                "type": "Terminating",
                "status": "True",
                "reason": "InstanceDeletionInProgress",
                "message": "CustomResource deletion is in progress",
                "lastTransitionTime": now,
            }
        )
    stored = [v["name"] for v in crd["spec"]["versions"] if v.get("storage")]
    return {"acceptedNames": accepted_names(crd), "conditions": conditions, "storedVersions": stored}


def crd_resources(crd: Object) -> list[ResourceInfo]:
    """One :class:`ResourceInfo` per served version of an established CRD."""
    spec = crd["spec"]
    names = accepted_names(crd)
    out = []
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        out.append(
            ResourceInfo(
                GroupVersionResource(spec["group"], version["name"], names["plural"]),
                kind=names["kind"],
                singular=names["singular"],
                namespaced=spec["scope"] == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                verbs=ALL_VERBS,
                has_status="status" in subresources,
                has_scale="scale" in subresources,
                is_crd=True,
                printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
                selectable_fields=tuple(f["jsonPath"] for f in version.get("selectableFields") or ()),
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
                storage_version=bool(version.get("storage")),
            )
        )
    return out
