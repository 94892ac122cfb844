"""API discovery documents, built from the resource registry.

Clients learn what a server serves before they send anything else: kubectl maps ``kind: Deployment`` to
``apps/v1/deployments``, kopf looks for ``namespaces`` and ``/status`` entries, ``kubectl get all`` reads
the ``all`` category. Two formats exist and both are served: the legacy one (``/api``, ``/apis``, one
``APIResourceList`` per group-version; every Python client uses it) and aggregated discovery v2 (``/api``
and ``/apis`` answer everything at once when the ``Accept`` header asks for it). Documents are rebuilt
only when :attr:`ResourceRegistry.revision` moves, i.e. when CRDs come or go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shoal.api import Object

from ._resources import ResourceInfo, ResourceRegistry

AGGREGATED_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
"""The content type of aggregated discovery; sent only when the request's ``Accept`` names it."""

_STATUS_VERBS = ("get", "patch", "update")
_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int]:
    """Sort key for versions, highest priority first: ``v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other``."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0))


def wants_aggregated(accept: str) -> bool:
    """Whether the ``Accept`` header prefers aggregated discovery v2 over the legacy format."""
    for part in accept.split(","):
        params = {p.strip() for p in part.split(";")[1:]}
        if {"g=apidiscovery.k8s.io", "v=v2", "as=APIGroupDiscoveryList"} <= params:
            return True
    return False


@dataclass(frozen=True, slots=True)
class _GroupView:
    name: str
    versions: tuple[str, ...]

    @property
    def preferred(self) -> str:
        return self.versions[0]

    def to_json(self) -> Object:
        versions = [{"groupVersion": f"{self.name}/{v}", "version": v} for v in self.versions]
        return {
            "name": self.name,
            "versions": versions,
            "preferredVersion": versions[0],
        }


class Discovery:
    """Discovery documents for one registry, cached per registry revision."""

    def __init__(self, registry: ResourceRegistry, server_address: str = "127.0.0.1:0") -> None:
        self._registry = registry
        self.server_address = server_address
        """``host:port`` advertised in ``/api``; set once the listening port is known."""
        self._revision = -1
        self._groups: dict[str, _GroupView] = {}
        self._by_gv: dict[tuple[str, str], list[ResourceInfo]] = {}
        self._cache: dict[str, Object] = {}

    def _refresh(self) -> None:
        if self._revision == self._registry.revision:
            return
        by_gv: dict[tuple[str, str], list[ResourceInfo]] = {}
        for info in self._registry.all():
            by_gv.setdefault((info.gvr.group, info.gvr.version), []).append(info)
        versions: dict[str, set[str]] = {}
        for group, version in by_gv:
            versions.setdefault(group, set()).add(version)
        self._groups = {
            group: _GroupView(group, tuple(sorted(vs, key=version_priority)))
            for group, vs in versions.items()
        }
        self._by_gv = {gv: sorted(infos, key=lambda i: i.gvr.resource) for gv, infos in by_gv.items()}
        self._cache = {}
        self._revision = self._registry.revision

    def _cached(self, key: str, build: Any) -> Object:
        self._refresh()
        doc = self._cache.get(key)
        if doc is None:
            doc = self._cache[key] = build()
        return doc

    def core_versions(self) -> Object:
        """``GET /api``: the legacy ``APIVersions``."""
        return self._cached(
            "api",
            lambda: {
                "kind": "APIVersions",
                "apiVersion": "v1",
                "versions": list(self._groups[""].versions) if "" in self._groups else [],
                "serverAddressByClientCIDRs": [
                    {"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}
                ],
            },
        )

    def group_list(self) -> Object:
        """``GET /apis``: the legacy ``APIGroupList`` (named groups only)."""
        return self._cached(
            "apis",
            lambda: {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [g.to_json() for name, g in sorted(self._groups.items()) if name],
            },
        )

    def group(self, name: str) -> Object | None:
        """``GET /apis/<group>``: one ``APIGroup``, or ``None`` when the group is not served."""
        self._refresh()
        view = self._groups.get(name) if name else None
        if view is None:
            return None
        return {"kind": "APIGroup", "apiVersion": "v1", **view.to_json()}

    def resource_list(self, group: str, version: str) -> Object | None:
        """``GET /api/v1`` or ``/apis/<g>/<v>``: an ``APIResourceList``, or ``None`` when not served."""
        self._refresh()
        if (group, version) not in self._by_gv:
            return None
        return self._cached(f"gv:{group}/{version}", lambda: self._build_resource_list(group, version))

    def _build_resource_list(self, group: str, version: str) -> Object:
        resources: list[Object] = []
        for info in self._by_gv[(group, version)]:
            resources.append(_legacy_resource(info))
            if info.has_status:
                resources.append(_legacy_subresource(info, "status", info.kind, "", ""))
            if info.has_scale:
                resources.append(_legacy_subresource(info, "scale", "Scale", "autoscaling", "v1"))
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }

    def aggregated(self, core: bool) -> Object:
        """``GET /api`` (``core=True``) or ``/apis`` in the aggregated v2 format."""
        return self._cached(f"agg:{core}", lambda: self._build_aggregated(core))

    def _build_aggregated(self, core: bool) -> Object:
        items: list[Object] = []
        for name, view in sorted(self._groups.items()):
            if (name == "") != core:
                continue
            versions = [
                {
                    "version": version,
                    "resources": [_aggregated_resource(i) for i in self._by_gv[(name, version)]],
                    "freshness": "Current",
                }
                for version in view.versions
            ]
            items.append({"metadata": {"name": name, "creationTimestamp": None}, "versions": versions})
        return {
            "kind": "APIGroupDiscoveryList",
            "apiVersion": "apidiscovery.k8s.io/v2",
            "metadata": {},
            "items": items,
        }

    def served_resources(self) -> Iterable[ResourceInfo]:
        """Every resource, grouped by group-version (the order the documents list them)."""
        self._refresh()
        for infos in self._by_gv.values():
            yield from infos


def _legacy_resource(info: ResourceInfo) -> Object:
    out: Object = {
        "name": info.gvr.resource,
        "singularName": info.singular,
        "namespaced": info.namespaced,
        "kind": info.kind,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        out["shortNames"] = list(info.short_names)
    if info.categories:
        out["categories"] = list(info.categories)
    return out


def _legacy_subresource(info: ResourceInfo, sub: str, kind: str, group: str, version: str) -> Object:
    out: Object = {
        "name": f"{info.gvr.resource}/{sub}",
        "singularName": "",
        "namespaced": info.namespaced,
        "kind": kind,
        "verbs": list(_STATUS_VERBS),
    }
    if group:
        out["group"], out["version"] = group, version
    return out


def _aggregated_resource(info: ResourceInfo) -> Object:
    kind = {"group": info.gvr.group, "version": info.gvr.version, "kind": info.kind}
    out: Object = {
        "resource": info.gvr.resource,
        "responseKind": kind,
        "scope": "Namespaced" if info.namespaced else "Cluster",
        "singularResource": info.singular,
        "verbs": list(info.verbs),
    }
    if info.short_names:
        out["shortNames"] = list(info.short_names)
    if info.categories:
        out["categories"] = list(info.categories)
    subresources: list[Object] = []
    if info.has_status:
        subresources.append({"subresource": "status", "responseKind": kind, "verbs": list(_STATUS_VERBS)})
    if info.has_scale:
        scale = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
        subresources.append({"subresource": "scale", "responseKind": scale, "verbs": list(_STATUS_VERBS)})
    if subresources:
        out["subresources"] = subresources
    return out
