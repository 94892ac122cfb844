"""What a resource URL of the apiserver addresses: a collection, an object or a subresource.

The apiserver's URL grammar is regular (``[watch/][namespaces/<ns>/]<resource>[/<name>[/<sub>]]`` after
``/api/v1`` or ``/apis/<group>/<version>``), so the HTTP door resolves it by hand against the resource
registry; anything that names nothing served is the apiserver's plain 404, which kubectl reads as
"the server doesn't have a resource type".
"""

from __future__ import annotations

from dataclasses import dataclass

from shoal.api import GroupVersionResource, NotFoundError

from ._resources import ResourceInfo, ResourceRegistry

_NOT_FOUND = "the server could not find the requested resource"
_NAMESPACE_SUBRESOURCES = frozenset({"status", "finalize"})


def path_not_found() -> NotFoundError:
    """The 404 for a path that names nothing served (kubectl: "the server doesn't have a resource type")."""
    return NotFoundError(_NOT_FOUND)


@dataclass(frozen=True, slots=True)
class ResourcePath:
    """What a resource URL addresses: a collection (``name is None``), an object, or a subresource."""

    info: ResourceInfo
    namespace: str | None
    name: str | None
    subresource: str | None
    watch_prefix: bool = False


def parse_resource_path(
    registry: ResourceRegistry, group: str, version: str, parts: list[str]
) -> ResourcePath:
    """Resolve the parts after ``/api/v1`` or ``/apis/<g>/<v>``; 404 when they name nothing served."""
    watch = bool(parts) and parts[0] == "watch"
    if watch:
        parts = parts[1:]
    namespace: str | None = None
    if len(parts) >= 3 and parts[0] == "namespaces" and parts[2] not in _NAMESPACE_SUBRESOURCES:
        namespace, parts = parts[1], parts[2:]
    if not parts or len(parts) > 3 or not all(parts):
        raise path_not_found()
    info = registry.lookup(GroupVersionResource(group, version, parts[0]))
    if info is None or (namespace is not None and not info.namespaced):
        raise path_not_found()
    name = parts[1] if len(parts) > 1 else None
    sub = parts[2] if len(parts) > 2 else None
    if sub is not None and not _has_subresource(info, sub):
        raise path_not_found()
    if name is not None and info.namespaced and namespace is None:
        raise path_not_found()
    return ResourcePath(info, namespace, name, sub, watch)


def _has_subresource(info: ResourceInfo, sub: str) -> bool:
    return (sub == "status" and info.has_status) or (sub == "scale" and info.has_scale)
