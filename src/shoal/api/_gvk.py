"""Names of things in the Kubernetes API: group/version/kind, group/version/resource, object keys.

Objects themselves are plain dicts in Kubernetes JSON form; these small frozen values are what code
passes around to say *which* API type or *which* object it means, and they hash, so they key caches
and work queues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

Object = dict[str, Any]
"""A Kubernetes object in its JSON form (``apiVersion``, ``kind``, ``metadata``, ...)."""


def split_api_version(api_version: str) -> tuple[str, str]:
    """Split ``"apps/v1"`` into ``("apps", "v1")`` and ``"v1"`` into ``("", "v1")``."""
    group, sep, version = api_version.rpartition("/")
    return (group, version) if sep else ("", api_version)


def join_api_version(group: str, version: str) -> str:
    """Inverse of :func:`split_api_version`: the core group has no prefix."""
    return f"{group}/{version}" if group else version


@dataclass(frozen=True, slots=True)
class GroupVersionKind:
    """A type of object, as written in manifests (``apps/v1``, ``Deployment``)."""

    group: str
    version: str
    kind: str

    @property
    def api_version(self) -> str:
        return join_api_version(self.group, self.version)

    @classmethod
    def of(cls, obj: Object) -> GroupVersionKind:
        """The type an object claims through its ``apiVersion`` and ``kind`` fields."""
        group, version = split_api_version(str(obj.get("apiVersion", "")))
        return cls(group, version, str(obj.get("kind", "")))

    def __str__(self) -> str:
        return f"{self.api_version}, Kind={self.kind}"


@dataclass(frozen=True, slots=True)
class GroupVersionResource:
    """A type of object as addressed in URLs (``apps/v1``, ``deployments``).

    ``GroupVersionResource.parse("apps/v1/deployments")`` and ``parse("v1/pods")`` are the short forms.
    """

    group: str
    version: str
    resource: str

    @property
    def api_version(self) -> str:
        return join_api_version(self.group, self.version)

    @property
    def group_resource(self) -> str:
        """``deployments.apps`` or ``pods``: the form Kubernetes uses in error messages."""
        return f"{self.resource}.{self.group}" if self.group else self.resource

    @classmethod
    def parse(cls, text: str) -> GroupVersionResource:
        """Parse ``group/version/resource`` or ``version/resource`` (core group)."""
        parts = text.strip("/").split("/")
        if len(parts) == 3:
            return cls(parts[0], parts[1], parts[2])
        if len(parts) == 2:
            return cls("", parts[0], parts[1])
        raise ValueError(f"expected 'group/version/resource' or 'version/resource', got {text!r}")

    def path(
        self, namespace: str | None = None, name: str | None = None, subresource: str | None = None
    ) -> str:
        """The REST path of the collection, or of one object (and its subresource) when ``name`` is given."""
        prefix = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        parts = [prefix]
        if namespace:
            parts.append(f"namespaces/{namespace}")
        parts.append(self.resource)
        if name:
            parts.append(name)
            if subresource:
                parts.append(subresource)
        return "/".join(parts)

    def __str__(self) -> str:
        return f"{self.api_version}/{self.resource}"


GVK = GroupVersionKind
GVR = GroupVersionResource


class ObjectKey(NamedTuple):
    """Which object: ``namespace`` is ``""`` for cluster-scoped objects.

    A named tuple rather than a dataclass because it keys every cache, index and work queue: hashing
    and comparing happen in C, several times per event. It is immutable, hashable and ordered by
    (namespace, name); being a tuple, it also equals the plain tuple ``(namespace, name)``.
    """

    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Object) -> ObjectKey:
        meta = obj.get("metadata") or {}
        return cls(str(meta.get("namespace") or ""), str(meta.get("name") or ""))

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}" if self.namespace else self.name
